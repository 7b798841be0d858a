"""Every fixture file: the exact set of expected findings, no more, no fewer."""

from __future__ import annotations

import pytest

from redline.rules import registry

from conftest import FIXTURES
from fixture_harness import analyse_fixture_pinned, severity_mismatches

FIXTURE_FILES = sorted(FIXTURES.rglob("*.py"))


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_fixture(path, tmp_path):
    rel = path.relative_to(FIXTURES).as_posix()
    actual, expected, _, severities = analyse_fixture_pinned(path, rel, tmp_path)
    missing = sorted(set(expected) - actual)
    extra = sorted(actual - set(expected))
    assert not missing and not extra, f"missing: {missing}\nextra: {extra}"
    unpinned = sorted(key for key, severity in expected.items() if severity is None)
    assert not unpinned, f"expectations without a pinned severity (run tests/fixture_harness.py): {unpinned}"
    wrong = severity_mismatches(expected, severities)
    assert not wrong, "\n".join(wrong)


def test_every_rule_has_vulnerable_fixture_lines():
    """Each rule is expected somewhere in the fixtures (the safe twins sit beside them)."""
    # Dependency rules are expected in manifests (tests/test_deps_audit.py runs them).
    manifests = [p for p in (FIXTURES / "dependencies" / "projects").rglob("*") if p.is_file()]
    text = "\n".join(p.read_text(encoding="utf-8") for p in [*FIXTURE_FILES, *manifests])
    # DEP104 is what a change does to the review, found by diff scans only
    # (tests/test_gate_relaxations.py runs them on git repositories).
    for rule in registry.all_rules():
        if rule.id == "DEP104":
            continue
        assert f"expect: {rule.id}" in text or f", {rule.id}" in text, f"{rule.id} has no fixture"


def test_pinned_severities_cover_every_severity():
    """The pins are not all one value: each severity is asserted somewhere."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in FIXTURE_FILES)
    for severity in ("critical", "high", "medium", "low"):
        assert f"[{severity}]" in text, severity


def test_fixtures_hold_safe_variants():
    """A fixture without unflagged code would not test precision."""
    for path in FIXTURE_FILES:
        lines = path.read_text(encoding="utf-8").splitlines()
        flagged = sum("# expect:" in line for line in lines)
        assert flagged and len(lines) - flagged > flagged, path
