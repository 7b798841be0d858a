"""The agent-framework knowledge file and the prompt-content detector behind LLM002."""

from __future__ import annotations

import pytest

from redline.knowledge import KnowledgeError, load_toml
from redline.knowledge.agents import agents, parse
from redline.model import Severity
from redline.rules.llm import sensitive_details


def test_knowledge_loads_and_is_consistent():
    k = agents()
    assert k.code_tools["langchain_experimental.tools.PythonREPLTool"].severity == Severity.MEDIUM
    assert k.code_tools["dynamiq.nodes.tools.E2BInterpreterTool"].where == "agent-tools"
    assert k.tool_bases["dynamiq.nodes.node.Node"].schema == frozenset({"input_schema"})
    assert k.memory.classes["langchain.memory.ConversationBufferMemory"] == frozenset()
    assert "tenant_id" in k.vector.tenant_names


def test_malformed_knowledge_is_rejected_with_its_place():
    data = load_toml("agents.toml")
    with pytest.raises(KnowledgeError, match="unknown sections"):
        parse({**data, "extra": {}})
    bad = {**data, "code_tools": [{"severity": "fatal", "where": "anywhere", "what": "x", "calls": ["a.B"]}]}
    with pytest.raises(KnowledgeError, match=r"code_tools\[0\]"):
        parse(bad)
    with pytest.raises(KnowledgeError, match="vector.pii_keys"):
        parse({**data, "vector": {**data["vector"], "pii_keys": "email"}})


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("The graph lives on neo4j.corp.internal, database prod.", "an internal host name"),
        ("Metrics: grafana.local", "an internal host name"),
        ("Call 10.20.30.40 for the inventory", "a private IP address"),
        ("fallback 172.20.1.5", "a private IP address"),
        ("metadata at 169.254.169.254", "a private IP address"),
        ("rows are in postgresql://reports.example.com/sales", "a database connection URI"),
        ("refresh with /admin/reindex?token=...", "an administrative endpoint"),
        ("the dashboard at http://localhost:3000/d/x", "a local service URL"),
        ("login with password: Winter2024-rotate", "a credential"),
    ],
)
def test_sensitive_details_found(text, kind):
    assert kind in [f.kind for f in sensitive_details(text)]


@pytest.mark.parametrize(
    "text",
    [
        "You are a helpful assistant. Answer in Markdown.",
        "Use the search tool for public documentation at https://docs.example.com/guide.",
        "Python 3.12.1 is required; numpy 1.26.4 works.",
        "Public resolver 8.8.8.8 is not to be used.",
        "Administrative tasks need a human; see the administrator guide.",
        "Ask for the password=... only through the reset flow.",
        "Never print a token: <redacted>.",
        "Store results in the local cache.",
    ],
)
def test_ordinary_prompt_text_is_not_sensitive(text):
    assert sensitive_details(text) == []
