"""The LLM, tool and vector-store rules on a real agent framework: dynamiq 0.69.0, downloaded
with pip at run time (skipped without a network). Every (file, rule) pair below was checked
by reading the code; the scan must report exactly these, so a new false alarm fails too."""

from __future__ import annotations

import pytest

from redline.model import Severity

RULES = ("LLM002", "LLM003", "LLM004", "LLM005", "VEC001", "VEC002", "VEC003", "VEC004", "VEC005")

# Retrieval nodes: `filters = input_data.filters or self.filters`. The input (agent-provided,
# so model-chosen when the retriever is a tool) replaces the filters configured on the node,
# which is where tenant scoping is set.
_FILTERS_REPLACED = {
    (f"dynamiq/nodes/{path}", "VEC004")
    for path in (
        "knowledgebases/bedrock.py",
        "knowledgebases/knowledgebase_graph.py",
        "knowledgebases/knowledgebase_vector.py",
        "retrievers/chroma.py",
        "retrievers/elasticsearch.py",
        "retrievers/milvus.py",
        "retrievers/opensearch.py",
        "retrievers/pgvector.py",
        "retrievers/pinecone.py",
        "retrievers/qdrant.py",
        "retrievers/retriever.py",
        "retrievers/turbopuffer.py",
        "retrievers/weaviate.py",
    )
}
# Node classes whose `is_files_allowed` field defaults to True with no file_store or type/size
# options (the Agent base has `file_store`, so it is not listed). Reported LOW, for review.
_FILES_BY_DEFAULT = {
    (f"dynamiq/nodes/{path}", "VEC005")
    for path in (
        "audio/speech_to_text.py",
        "images/edit.py",
        "tools/code_interpreter.py",
        "tools/cua_desktop/cua_desktop.py",
        "tools/e2b_desktop/e2b_desktop.py",
        "tools/http_api_call.py",
        "tools/python.py",
        "tools/stagehand.py",
    )
}
EXPECTED = {
    *_FILTERS_REPLACED,
    *_FILES_BY_DEFAULT,
    # FunctionTool (a TOOLS-group node) has no input_schema: execute() hands the raw input_data
    # to run_func(); only the @function_tool decorator's subclass builds a schema.
    ("dynamiq/nodes/tools/function_tool.py", "LLM005"),
    # Pass (operators) has no input_schema and returns input_data through its transformers (LOW).
    ("dynamiq/nodes/operators/operators.py", "LLM005"),
    # InMemory backend: add() appends every message to self.messages, never trimmed.
    ("dynamiq/memory/backends/in_memory.py", "VEC001"),
}


@pytest.fixture(scope="module")
def findings(dynamiq_scan):
    assert dynamiq_scan.files_scanned > 400
    return [f for f in dynamiq_scan.findings if f.rule_id in RULES]


def test_reported_pairs_are_the_verified_ones(findings):
    found = {(f.location.path, f.rule_id) for f in findings}
    assert found - EXPECTED == set(), "new findings: read the code, then add them here or fix the rule"
    assert EXPECTED - found == set(), "findings lost"


def test_severities_follow_the_evidence(findings):
    by_pair = {(f.location.path, f.rule_id): f for f in findings}
    assert by_pair[("dynamiq/nodes/tools/function_tool.py", "LLM005")].severity == Severity.MEDIUM  # a tool
    assert by_pair[("dynamiq/nodes/operators/operators.py", "LLM005")].severity == Severity.LOW  # a pipeline node
    assert all(by_pair[p].severity == Severity.LOW for p in _FILES_BY_DEFAULT)  # defaults: for review
    assert all(f.severity < Severity.HIGH for f in findings)


def test_no_finding_in_the_prompts(findings):
    """dynamiq's agent prompts describe capabilities, not infrastructure."""
    assert not [f for f in findings if f.rule_id == "LLM002"]
