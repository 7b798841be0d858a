"""Rule metadata: one source of truth, complete, and its examples behave as documented."""

from __future__ import annotations

import re
import textwrap

import pytest

from redline.analysis import AnalysisSettings, FileTask, analyse_bytes
from redline.config import Config
from redline.engine import RuleSettings
from redline.rules import registry
from redline.scan import ScanOptions, run_scan

RULES = registry.all_rules()


def _scan(code: str, rule_id: str, tmp_path):
    (tmp_path / "example.py").write_text(textwrap.dedent(code))
    result = run_scan([tmp_path], Config(select=(rule_id,)), ScanOptions(use_cache=False, jobs=1))
    assert not result.skipped
    return [f for f in result.findings if f.rule_id == rule_id]


def test_ids_and_names_are_unique_and_well_formed():
    assert len({r.id for r in RULES}) == len(RULES)
    assert len({r.name for r in RULES}) == len(RULES)
    for r in RULES:
        assert re.fullmatch(r"(CRED|EXEC|INJ|SER|AUTH|LLM|FS|VEC|NET|DEP|OPS|WF)\d{3}", r.id), r.id
        assert re.fullmatch(r"[a-z]+(-[a-z0-9]+)*", r.name), r.name


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_docs_are_complete(rule):
    d = rule.doc
    assert rule.title and rule.recommendation
    assert d.what and d.why and d.example.strip() and d.use_instead.strip()
    assert rule.cwe is None or rule.cwe > 0


# The dependency rules' examples are manifest lines, run in tests/test_deps_pypa.py.
@pytest.mark.parametrize(
    "rule", [r for r in RULES if not r.id.startswith("DEP")], ids=lambda r: r.id
)
def test_documented_example_is_flagged_and_alternative_is_not(rule, tmp_path):
    assert _scan(rule.doc.example, rule.id, tmp_path), f"{rule.id}: its documented example is not flagged"
    assert not _scan(rule.doc.use_instead, rule.id, tmp_path), f"{rule.id}: its 'use instead' is flagged"


def test_suppression_rule_examples():
    settings = AnalysisSettings(RuleSettings(frozenset({"DEP101", "DEP102", "NET001", "EXEC001"})))
    task = FileTask("/x/e.py", "e.py", "python", "e", False)
    for rule_id in ("DEP101", "DEP102"):
        doc = registry.get(rule_id).doc
        head = "import requests\nHEALTH_URL = 'http://localhost/health'\nprice = quantity = 1\n"
        bad = analyse_bytes(task, (head + doc.example).encode(), settings)
        good = analyse_bytes(task, (head + doc.use_instead).encode(), settings)
        assert rule_id in {f.rule_id for f in bad.findings}
        assert rule_id not in {f.rule_id for f in good.findings}


def test_disabled_rule_is_never_called():
    from redline.engine import Dispatch

    d = Dispatch(frozenset({"NET001"}))
    called = {fn.__module__ for fns in (*d.by_type.values(), *d.by_call.values()) for fn in fns}
    assert called == {"redline.rules.network"}
