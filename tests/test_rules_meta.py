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


# -- the catalog ----------------------------------------------------------------------


def test_catalog_rejects_a_malformed_entry_by_name():
    from redline.knowledge import KnowledgeError
    from redline.rules import catalog

    good = {
        "id": "NET999", "name": "x", "title": "t", "area": "network", "severity": "high",
        "confidence": "high", "basis": "data", "what": "w", "why": "y", "recommendation": "r",
        "example": "e\n", "use_instead": "u\n",
    }
    assert catalog._rule("f.toml", good).severity.name == "HIGH"
    for bad, said in (
        ({**good, "severity": "urgent"}, "severity = 'urgent'"),
        ({**good, "area": "networking"}, "area = 'networking'"),
        ({**good, "impacts": {"write": "huge"}}, "impacts.write"),
        ({**good, "sevrity": "high"}, "unknown keys ['sevrity']"),
        ({k: v for k, v in good.items() if k != "why"}, "missing keys ['why']"),
    ):
        with pytest.raises(KnowledgeError, match=re.escape(said)):
            catalog._rule("f.toml", bad)


def test_every_catalog_rule_is_emitted_by_some_module():
    """A rule in the catalog that no check, text scanner or engine names is dead metadata."""
    from pathlib import Path

    import redline

    root = Path(redline.__file__).parent
    code = "\n".join(p.read_text(encoding="utf-8") for p in root.rglob("*.py"))
    for r in RULES:
        assert f'"{r.id}"' in code, f"{r.id} is in the catalog but no module takes it"


def _imports(root):
    """Every import of a redline module by a redline module, deferred ones included."""
    import ast

    mods = {}
    for p in root.rglob("*.py"):
        parts = p.relative_to(root.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        mods[name] = p
    edges = {m: set() for m in mods}
    for m, p in mods.items():
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            else:
                continue
            # a module importing its own package (its __init__) is not an edge of the graph
            edges[m] |= {n for n in names if n in mods and n != m and not m.startswith(n + ".")}
    return edges


def test_no_import_cycles():
    from pathlib import Path

    import redline

    edges = _imports(Path(redline.__file__).parent)
    state: dict[str, int] = {}

    def visit(m, path):
        state[m] = 1
        for n in sorted(edges[m]):
            if state.get(n) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*path[path.index(n):], n]))
            if n not in state:
                visit(n, [*path, n])
        state[m] = 2

    for m in sorted(edges):
        if m not in state:
            visit(m, [m])


def test_text_scanners_and_the_python_layer_name_rules_through_the_catalog():
    from pathlib import Path

    import redline

    edges = _imports(Path(redline.__file__).parent)
    allowed = {"redline.rules", "redline.rules.catalog"}
    for m, targets in edges.items():
        if m.startswith(("redline.text", "redline.python", "redline.engine")):
            wrong = {t for t in targets if t.startswith("redline.rules") and t not in allowed}
            if m.startswith("redline.python.flow") or m == "redline.engine":
                wrong -= {"redline.rules.common", "redline.rules.routes", "redline.rules.registry"}
            assert not wrong, f"{m} imports {sorted(wrong)}"
