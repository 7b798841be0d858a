"""The bundled example project: every planted issue whose rule exists is found where
EXPECTED.md says, and the implemented rules report nothing that is not listed."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest

from redline.config import Config
from redline.rules import registry
from redline.scan import ScanOptions, run_scan

from conftest import REPO, SHARED

EXAMPLE = REPO / "examples" / "insecure-agent"
# The vulnerable pins of requirements.txt are found with the PyPA advisory snapshot;
# without it the scan gets an empty advisory directory and DEP001 rows are not expected.
PYPA = SHARED / "advisories" / "pypa-vulns"
NO_DATA = Path(tempfile.mkdtemp(prefix="redline-no-advisories-"))
ROW = re.compile(
    r"^\|\s*(?P<loc>[^|\s]+:\d+)\s*\|\s*(?P<area>[^|]+?)\s*\|\s*(?P<rule>[^|]+?)\s*\|\s*(?P<severity>[a-z]*)\s*\|"
)


def expected_rows() -> list[tuple[str, str, str]]:
    return [(loc, area, rule) for loc, area, rule, _ in expected_rows_with_severity()]


def expected_rows_with_severity() -> list[tuple[str, str, str, str]]:
    rows = []
    for line in (EXAMPLE / "EXPECTED.md").read_text(encoding="utf-8").splitlines():
        m = ROW.match(line)
        if m:
            rows.append((m["loc"], m["area"], m["rule"], m["severity"].upper()))
    return rows


def scan(profile: str = "default"):
    vuln_db = str(PYPA if PYPA.is_dir() else NO_DATA)
    return run_scan([EXAMPLE], Config(fail_on=None, vuln_db=vuln_db, profile=profile), ScanOptions(use_cache=False))


def test_expected_md_covers_every_area_and_points_at_real_lines():
    rows = expected_rows()
    areas = {area for _, area, _ in rows}
    assert {str(n) for n in range(1, 11)} | {"production", "workflows"} <= areas
    for loc, _, _ in rows:
        path, line = loc.rsplit(":", 1)
        lines = (EXAMPLE / path).read_text(encoding="utf-8").splitlines()
        assert 0 < int(line) <= len(lines) and lines[int(line) - 1].strip(), loc


@pytest.mark.parametrize("profile", ["default", "audit"])
def test_every_implemented_rule_row_is_found_and_nothing_else(profile):
    """Every row with --profile audit; without, the rows of the default profile's rules."""
    implemented = {r.id for r in registry.all_rules() if profile == "audit" or r.profile == "default"}
    implemented -= set() if PYPA.is_dir() else {"DEP001"}
    wanted = {(loc, rule) for loc, _, rule in expected_rows() if rule in implemented}
    assert wanted, "EXPECTED.md lists no row for the implemented rules"
    result = scan(profile)
    found = {(f"{f.location.path}:{f.location.line}", f.rule_id) for f in result.findings}
    assert not result.skipped
    assert wanted - found == set(), f"missed: {sorted(wanted - found)}"
    assert found - wanted == set(), f"not listed in EXPECTED.md: {sorted(found - wanted)}"
    severity = {(f"{f.location.path}:{f.location.line}", f.rule_id): f.severity.name for f in result.findings}
    wrong = [
        f"{loc} {rule}: listed {want.lower()}, reported {severity[(loc, rule)].lower()}"
        for loc, _, rule, want in expected_rows_with_severity()
        if (loc, rule) in severity and severity[(loc, rule)] != want
    ]
    assert not wrong, "\n".join(wrong)


def test_example_is_blocked_and_secrets_are_masked():
    result = scan()
    result.fail_on = registry.get("EXEC001").severity
    assert result.gate_failed()
    raw = (EXAMPLE / "app" / "config.py").read_text(encoding="utf-8")
    secrets = re.findall(r'"(sk-proj-[^"]+)"', raw)
    assert secrets
    for f in result.findings:
        for s in secrets:
            assert s not in f.snippet and s not in f.message
