"""The JSON report: schema fields, round trip, ordering and determinism."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

import redline
from redline.model import Area, Confidence, Finding, Location, Severity, TaintStep
from redline.report import json_report

import report_samples as samples

TOP_LEVEL_KEYS = [
    "schema_version",
    "tool",
    "root",
    "summary",
    "files_scanned",
    "files_by_kind",
    "rules_run",
    "findings",
    "skipped",
    "foreign_suppressions",
    "suppressed_count",
]
SUMMARY_KEYS = [
    "total",
    "by_severity",
    "by_area",
    "highest",
    "gate",
    "gate_failed",
    "verdict",
    "review_complete",
]
FINDING_KEYS = [
    "rule_id",
    "title",
    "area",
    "severity",
    "confidence",
    "location",
    "message",
    "snippet",
    "cwe",
    "recommendation",
    "scope",
    "taint_path",
    "fingerprint",
    "stmt_start",
    "stmt_end",
    "evidence",
    "reasons",
    "advisories",
]
LOCATION_KEYS = ["path", "line", "column", "end_line", "end_column", "cell"]
DOCS = Path(__file__).resolve().parents[1] / "docs" / "json-format.md"


def load(result=None) -> dict:
    return json.loads(json_report.render(result or samples.full_result(), samples.RULES))


def location_from(d: dict) -> Location:
    return Location(**d)


def finding_from(d: dict) -> Finding:
    """Rebuild a Finding from its JSON form (the inverse of the renderer)."""
    return Finding(
        rule_id=d["rule_id"],
        title=d["title"],
        area=Area.parse(d["area"]),
        severity=Severity[d["severity"]],
        confidence=Confidence[d["confidence"]],
        location=location_from(d["location"]),
        message=d["message"],
        snippet=d["snippet"],
        cwe=d["cwe"],
        recommendation=d["recommendation"],
        scope=d["scope"],
        taint_path=tuple(
            TaintStep(location_from(s["location"]), s["description"]) for s in d["taint_path"]
        ),
        fingerprint=d["fingerprint"],
        stmt_start=d["stmt_start"],
        stmt_end=d["stmt_end"],
    )


def test_top_level_shape_and_key_order():
    doc = load()
    assert list(doc) == TOP_LEVEL_KEYS
    assert doc["schema_version"] == "1.1"
    assert doc["tool"] == {"name": "redline", "version": redline.__version__}
    assert doc["root"] == "/repo"
    assert doc["files_scanned"] == 14
    assert list(doc["files_by_kind"].items()) == [("notebook", 1), ("python", 12), ("yaml", 1)]
    assert doc["rules_run"] == sorted(samples.full_result().rules_run)
    assert doc["suppressed_count"] == 2


def test_summary_counts():
    s = load()["summary"]
    assert list(s) == SUMMARY_KEYS
    assert s["total"] == 14
    assert list(s["by_severity"].items()) == [
        ("CRITICAL", 2),
        ("HIGH", 3),
        ("MEDIUM", 8),
        ("LOW", 1),
    ]
    assert list(s["by_area"]) == [a.slug for a in sorted(Area, key=lambda a: a.number)]
    net = s["by_area"]["network"]
    assert net == {
        "number": 9,
        "label": "Network Security",
        "total": 7,
        "by_severity": {"CRITICAL": 0, "HIGH": 1, "MEDIUM": 6, "LOW": 0},
    }
    assert s["by_area"]["injection"]["total"] == 0
    assert sum(a["total"] for a in s["by_area"].values()) == s["total"]
    assert s["highest"] == "CRITICAL"
    assert s["gate"] == "HIGH"
    assert s["gate_failed"] is True


@pytest.mark.parametrize(
    ("name", "verdict", "complete", "gate_failed", "highest"),
    [
        ("full", "blocked", False, True, "CRITICAL"),
        ("caution", "caution", True, False, "MEDIUM"),
        ("clear", "clear", True, False, None),
        ("incomplete", "incomplete", False, False, None),
    ],
)
def test_verdicts(name, verdict, complete, gate_failed, highest):
    s = load(samples.all_results()[name])["summary"]
    assert s["verdict"] == verdict
    assert s["review_complete"] is complete
    assert s["gate_failed"] is gate_failed
    assert s["highest"] == highest


def test_gate_disabled_is_null():
    result = samples.full_result()
    result.fail_on = None
    s = load(result)["summary"]
    assert s["gate"] is None and s["gate_failed"] is False and s["verdict"] == "blocked"  # CRITICAL findings


def test_finding_fields():
    findings = load()["findings"]
    for f in findings:
        assert list(f) == FINDING_KEYS
        assert list(f["location"]) == LOCATION_KEYS
    taint = next(f for f in findings if f["taint_path"])
    assert taint["rule_id"] == "EXEC001"
    assert taint["area"] == "code-execution"
    assert taint["severity"] == "CRITICAL" and taint["confidence"] == "HIGH"
    assert taint["cwe"] == 95
    assert taint["location"] == {
        "path": "app/tools.py",
        "line": 31,
        "column": 4,
        "end_line": 31,
        "end_column": 12,
        "cell": None,
    }
    assert [s["location"]["path"] for s in taint["taint_path"]] == [
        "app/api.py",
        "app/tools.py",
        "app/tools.py",
    ]
    assert taint["taint_path"][0]["description"] == "`request.json` read here (source)"
    assert taint["fingerprint"] == "fp-EXEC001-app/tools.py-31"
    cell = next(f for f in findings if f["rule_id"] == "FS001")
    assert cell["location"]["cell"] == 3
    raised = next(f for f in findings if f["rule_id"] == "NET001" and f["location"]["line"] == 2)
    assert raised["severity"] == "HIGH"


def test_round_trip_reproduces_every_finding():
    result = samples.full_result()
    back = [finding_from(d) for d in load(result)["findings"]]
    assert back == sorted(result.findings, key=lambda f: f.sort_key())


def test_findings_in_sort_key_order():
    findings = load()["findings"]
    keys = [
        (
            -Severity[f["severity"]],
            f["location"]["path"],
            f["location"]["line"],
            f["location"]["column"],
            f["rule_id"],
            f["message"],
        )
        for f in findings
    ]
    assert keys == sorted(keys)


def test_skipped_and_foreign_suppressions():
    doc = load()
    assert doc["skipped"] == [
        {"path": "big/data.py", "reason": "larger than 1 MiB", "parse_failure": False},
        {
            "path": "broken/bad.py",
            "reason": "SyntaxError: invalid syntax (line 3)",
            "parse_failure": True,
        },
    ]
    assert doc["foreign_suppressions"][0] == {
        "path": "app/legacy.py",
        "line": 5,
        "tool": "bandit",
        "text": "# nosec B307",
        "hides": ["EXEC001"],
        "silences": "B307",
        "justification": "",
    }
    assert doc["foreign_suppressions"][1]["hides"] == []


def test_hostile_content_survives_exactly_and_output_is_ascii():
    text = json_report.render(samples.full_result(), samples.RULES)
    assert text.isascii()
    assert "\x1b" not in text and "\u202e" not in text
    doc = json.loads(text)
    paths = {f["location"]["path"] for f in doc["findings"]}
    assert samples.HOSTILE_PATH in paths and samples.MARKUP_PATH in paths
    cred = next(f for f in doc["findings"] if f["rule_id"] == "CRED001")
    assert cred["message"] == samples.HOSTILE_MESSAGE
    assert cred["snippet"] == samples.HOSTILE_SNIPPET


def test_deterministic_regardless_of_input_order():
    a = samples.full_result()
    b = samples.full_result()
    random.Random(3).shuffle(b.findings)
    b.skipped.reverse()
    b.foreign_suppressions.reverse()
    b.files_by_kind = dict(reversed(list(b.files_by_kind.items())))
    b.rules_run = tuple(reversed(b.rules_run))
    assert json_report.render(a, samples.RULES) == json_report.render(b, samples.RULES)


def test_empty_result():
    doc = load(samples.clear_result())
    assert doc["findings"] == [] and doc["skipped"] == []
    assert doc["summary"]["total"] == 0
    assert set(doc["summary"]["by_severity"].values()) == {0}


@pytest.mark.skipif(not DOCS.exists(), reason="docs/json-format.md not present")
def test_docs_describe_every_key():
    docs = DOCS.read_text(encoding="utf-8")
    assert '"schema_version": "1.1"' in docs
    for key in TOP_LEVEL_KEYS + SUMMARY_KEYS + FINDING_KEYS + LOCATION_KEYS:
        assert f"`{key}`" in docs or f'"{key}"' in docs, key
    for verdict in ("blocked", "caution", "clear", "incomplete"):
        assert f"`{verdict}`" in docs
    for area in Area:
        assert f"`{area.slug}`" in docs
