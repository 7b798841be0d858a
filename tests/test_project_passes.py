"""Findings that depend on other modules: LLM005 follows a tool class's bases through the
project index, so a schema defined on a shared base class in another module counts, and a
base class of another module can make a class a tool."""

from __future__ import annotations

import textwrap
from pathlib import Path

from redline.config import Config
from redline.scan import ScanOptions, run_scan

BASE = """
    from langchain_core.tools import BaseTool
    from pydantic import BaseModel


    class QueryInput(BaseModel):
        query: str


    class CompanyTool(BaseTool):
        '''Shared plumbing, no schema.'''

        def log_call(self, name):
            print(name)


    class SchemaTool(BaseTool):
        args_schema: type[BaseModel] = QueryInput
"""
TOOLS = """
    from agents.base import CompanyTool, SchemaTool


    class SearchTool(CompanyTool):
        name: str = "search"

        def _run(self, query):
            return query


    class LookupTool(SchemaTool):
        name: str = "lookup"

        def _run(self, query):
            return query


    class NotATool(ValueError):
        def _run(self, query):
            return query


    class QuietTool(CompanyTool):
        name: str = "channels"

        def _run(self, *args, run_manager=None):
            return "no input"
"""


def _project(root: Path) -> Path:
    (root / "agents").mkdir(parents=True)
    (root / "agents" / "__init__.py").write_text("")
    (root / "agents" / "base.py").write_text(textwrap.dedent(BASE))
    (root / "agents" / "tools.py").write_text(textwrap.dedent(TOOLS))
    return root


def _llm005(root: Path, **options) -> list[tuple[str, int, str]]:
    result = run_scan([root], Config(select=("LLM005",), fail_on=None), ScanOptions(jobs=1, **options))
    return [(f.location.path, f.location.line, f.message) for f in result.findings]


def test_tool_base_in_another_module_is_followed(tmp_path):
    found = _llm005(_project(tmp_path / "p"), use_cache=False)
    assert [(path, line) for path, line, _ in found] == [("agents/tools.py", 5)]  # SearchTool only
    message = found[0][2]
    assert message.startswith("LangChain tool SearchTool has no args_schema")
    assert "reached through CompanyTool" in message


def test_cached_results_are_settled_again(tmp_path):
    root = _project(tmp_path / "p")
    cache = tmp_path / "cache"
    cold = _llm005(root, use_cache=True, cache_dir=cache)
    warm = _llm005(root, use_cache=True, cache_dir=cache)
    assert cold == warm and len(cold) == 1
