"""SARIF 2.1.0 output: schema validity, rule table, results, code flows."""

from __future__ import annotations

import json
import random
from pathlib import Path
from urllib.parse import unquote

import pytest

import redline
from redline.model import Severity
from redline.report import sarif

import report_samples as samples

SCHEMA = Path("/work/shared/schemas/sarif-schema-2.1.0.json")
BANDS = {
    "CRITICAL": (9.0, 10.0),
    "HIGH": (7.0, 8.9),
    "MEDIUM": (4.0, 6.9),
    "LOW": (0.1, 3.9),
}
LEVELS = {"CRITICAL": "error", "HIGH": "error", "MEDIUM": "warning", "LOW": "note"}


def load(result=None) -> dict:
    return json.loads(sarif.render(result or samples.full_result(), samples.RULES))


def run_of(log: dict) -> dict:
    assert len(log["runs"]) == 1
    return log["runs"][0]


@pytest.mark.skipif(not SCHEMA.exists(), reason="SARIF schema file not available")
@pytest.mark.parametrize("name", sorted(samples.all_results()))
def test_valid_against_the_schema(name):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(load(samples.all_results()[name])), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def test_log_header_and_driver():
    log = load()
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-schema-2.1.0.json")
    driver = run_of(log)["tool"]["driver"]
    assert driver["name"] == "redline"
    assert driver["version"] == redline.__version__
    assert "informationUri" not in driver  # no home page yet: better absent than wrong


def test_rule_table_unique_sorted_and_complete():
    result = samples.full_result()
    rules = run_of(load(result))["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids))
    assert ids == sorted(ids)
    assert set(ids) == set(result.rules_run) | {f.rule_id for f in result.findings}


def test_rule_descriptor_from_metadata():
    rules = {r["id"]: r for r in run_of(load())["tool"]["driver"]["rules"]}
    ex = rules["EXEC001"]
    meta = samples.RULES["EXEC001"]
    assert ex["name"] == meta.name
    assert ex["shortDescription"] == {"text": meta.title}
    assert ex["fullDescription"] == {"text": meta.doc.what}
    assert meta.recommendation in ex["help"]["text"]
    assert (
        "## Use instead" in ex["help"]["markdown"] and meta.recommendation in ex["help"]["markdown"]
    )
    assert ex["helpUri"] == meta.doc.references[0]
    assert ex["defaultConfiguration"] == {"level": "error"}
    assert ex["properties"]["tags"] == ["security", "code-execution", "external/cwe/cwe-95"]
    assert ex["properties"]["precision"] == "high"
    assert rules["FS001"]["properties"]["precision"] == "low"
    assert rules["OPS001"]["properties"]["tags"] == ["security", "production"]
    assert rules["NET001"]["defaultConfiguration"] == {"level": "warning"}
    assert rules["OPS001"]["defaultConfiguration"] == {"level": "note"}
    # No metadata: described from the finding, or by id alone when it only ran.
    assert rules["WF001"]["shortDescription"] == {"text": "Rule WF001"}
    assert rules["DEP009"] == {"id": "DEP009"}


def test_security_severity_bands_on_rules_and_results():
    run = run_of(load())
    for rule in run["tool"]["driver"]["rules"]:
        if "properties" not in rule:
            continue
        value = rule["properties"]["security-severity"]
        assert isinstance(value, str)
        level = rule["defaultConfiguration"]["level"]
        assert any(lo <= float(value) <= hi for lo, hi in BANDS.values())
        assert level in LEVELS.values()
    for res in run["results"]:
        sev = res["properties"]["severity"]
        value = res["properties"]["security-severity"]
        assert isinstance(value, str)
        lo, hi = BANDS[sev]
        assert lo < float(value) <= hi if sev == "CRITICAL" else lo <= float(value) <= hi
        assert res["level"] == LEVELS[sev]
    assert sarif.SECURITY_SEVERITY == {
        Severity.CRITICAL: "9.5",
        Severity.HIGH: "8.0",
        Severity.MEDIUM: "5.5",
        Severity.LOW: "3.0",
    }


def test_overridden_severity_is_per_result():
    run = run_of(load())
    raised = next(
        r
        for r in run["results"]
        if r["ruleId"] == "NET001"
        and r["locations"][0]["physicalLocation"]["region"]["startLine"] == 2
    )
    assert raised["level"] == "error"
    assert raised["properties"]["security-severity"] == "8.0"
    rule = run["tool"]["driver"]["rules"][raised["ruleIndex"]]
    assert rule["properties"]["security-severity"] == "5.5"


def test_rule_index_points_at_the_rule():
    run = run_of(load())
    rules = run["tool"]["driver"]["rules"]
    assert len(run["results"]) == len(samples.full_result().findings)
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]


def test_locations_regions_and_fingerprints():
    run = run_of(load())
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"].startswith("file:///")
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"].endswith("/")
    by_fp = {r["partialFingerprints"]["redlineFingerprint/v1"]: r for r in run["results"]}
    res = by_fp["fp-EXEC001-app/tools.py-31"]
    phys = res["locations"][0]["physicalLocation"]
    assert phys["artifactLocation"] == {"uri": "app/tools.py", "uriBaseId": "%SRCROOT%"}
    assert phys["region"] == {
        "startLine": 31,
        "startColumn": 5,
        "endLine": 31,
        "endColumn": 13,
        "snippet": {"text": "x = do_it()"},
    }
    assert res["message"] == {"text": "`eval()` on tainted `expr`"}
    assert res["locations"][0]["logicalLocations"] == [{"fullyQualifiedName": "app.handler"}]
    nb = next(r for r in run["results"] if r["ruleId"] == "FS001")
    assert nb["locations"][0]["properties"] == {"notebookCell": 3}


def test_hostile_paths_are_percent_encoded():
    run = run_of(load())
    uris = [
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]
    ]
    for uri in uris:
        assert uri.isascii()
        assert not set(uri) & set('`|<>[] \x1b\\"')
        assert not uri.startswith("/")
    assert samples.HOSTILE_PATH in {unquote(u) for u in uris}
    assert samples.MARKUP_PATH in {unquote(u) for u in uris}
    assert sarif.artifact_uri("dir/a b#c?.py") == "dir/a%20b%23c%3F.py"


def test_code_flows_from_taint_path():
    run = run_of(load())
    with_flow = [r for r in run["results"] if "codeFlows" in r]
    assert len(with_flow) == 1
    flow = with_flow[0]["codeFlows"][0]["threadFlows"][0]["locations"]
    got = [
        (
            step["location"]["physicalLocation"]["artifactLocation"]["uri"],
            step["location"]["physicalLocation"]["region"]["startLine"],
            step["location"]["message"]["text"],
        )
        for step in flow
    ]
    assert got == [(s.location.path, s.location.line, s.description) for s in samples.TAINT]
    assert flow[0]["kinds"] == ["source"] and flow[-1]["kinds"] == ["sink"]
    assert [s["executionOrder"] for s in flow] == [1, 2, 3]


def test_skipped_files_are_notifications():
    inv = run_of(load())["invocations"]
    assert len(inv) == 1 and inv[0]["executionSuccessful"] is True
    notes = inv[0]["toolExecutionNotifications"]
    assert [n["level"] for n in notes] == ["note", "error"]
    assert notes[1]["descriptor"]["id"] == "redline/parse-failure"
    assert "broken/bad.py" in notes[1]["message"]["text"]
    loc = notes[1]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert loc == {"uri": "broken/bad.py", "uriBaseId": "%SRCROOT%"}
    assert (
        run_of(load(samples.clear_result()))["invocations"][0]["toolExecutionNotifications"] == []
    )


def test_deterministic_regardless_of_input_order():
    a = samples.full_result()
    b = samples.full_result()
    random.Random(11).shuffle(b.findings)
    b.skipped.reverse()
    b.rules_run = tuple(reversed(b.rules_run))
    assert sarif.render(a, samples.RULES) == sarif.render(b, samples.RULES)
