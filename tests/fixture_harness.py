"""The fixture harness: `# expect: ID[severity], ID[severity]` on each line that must be flagged.

The expectation comments are blanked out before analysis (so they never act as a
suppression reason), and the harness compares the exact set of (line, rule id)
pairs: a missing finding and an extra finding both fail. Each expectation pins the
finding's severity too (``EXEC002[critical]``), so a change in what users see is a
visible diff. A fixture may widen the threat models its sources are read under with a
line ``# fixture: threat-models=local,library`` (default: remote only).

To pin the severities of expectations written without one (a new fixture), run
``python tests/fixture_harness.py FILE...``: it fills in what redline reports now.
``--update`` rewrites every pin to what redline reports now (after an intended severity
change; review the diff).
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from redline.config import Config, parse_threat_models
from redline.rules import registry
from redline.scan import ScanOptions, run_scan

EXPECT = re.compile(r"#\s*expect:\s*([A-Za-z0-9_,\[\] ]+?)\s*$")
ITEM = re.compile(r"^([A-Z0-9_]+)(?:\[([a-z]+)\])?$")
MODELS = re.compile(r"#\s*fixture:\s*threat-models\s*=\s*([a-z, ]+)")


def all_rule_ids() -> frozenset[str]:
    return frozenset(r.id for r in registry.all_rules())


def _items(text: str) -> list[tuple[str, str | None]]:
    out = []
    for raw in text.split(","):
        raw = raw.strip()
        if not raw:
            continue
        m = ITEM.match(raw)
        if m is None:
            raise ValueError(f"bad expectation {raw!r} (expected RULE-ID or RULE-ID[severity])")
        out.append((m[1], m[2]))
    return out


def expectations(source: str) -> tuple[str, set[tuple[int, str]]]:
    text, pinned = expectations_with_severity(source)
    return text, set(pinned)


def expectations_with_severity(source: str) -> tuple[str, dict[tuple[int, str], str | None]]:
    """The source with expectation comments blanked, and (line, rule) -> pinned severity
    (upper case) or None where the expectation does not pin one."""
    expected: dict[tuple[int, str], str | None] = {}
    lines = []
    for number, line in enumerate(source.splitlines(), start=1):
        m = EXPECT.search(line)
        if m:
            for rule_id, severity in _items(m.group(1)):
                expected[(number, rule_id)] = severity.upper() if severity else None
            line = line[: m.start()].rstrip()
        lines.append(line)
    return "\n".join(lines) + "\n", expected


def threat_models(source: str) -> tuple[str, ...]:
    m = MODELS.search(source)
    return parse_threat_models([m[1]], "fixture") if m else ()


def analyse_fixture(path: Path, rel: str, tmp: Path, *, enabled=None):
    """Scan one fixture through the whole pipeline (pattern rules, taint, suppressions)."""
    actual, expected, result, _ = analyse_fixture_pinned(path, rel, tmp, enabled=enabled)
    return actual, set(expected), result


def analyse_fixture_pinned(path: Path, rel: str, tmp: Path, *, enabled=None):
    """As analyse_fixture, with the expectations' pinned severities and the findings'."""
    original = path.read_text(encoding="utf-8")
    source, expected = expectations_with_severity(original)
    copy = tmp / Path(rel).name
    copy.write_text(source, encoding="utf-8")
    config = Config(
        select=tuple(sorted(enabled)) if enabled else (),
        threat_models=threat_models(original),
        profile="audit",  # every rule, those outside the default profile too
    )
    result = run_scan([copy], config, ScanOptions(use_cache=False, jobs=1))
    assert not result.skipped, result.skipped
    actual = {(f.location.line, f.rule_id) for f in result.findings}
    severities = {(f.location.line, f.rule_id): f.severity.name for f in result.findings}
    return actual, expected, result, severities


def severity_mismatches(expected: dict, severities: dict) -> list[str]:
    return [
        f"line {line} {rule}: pinned {want.lower()}, reported {severities[(line, rule)].lower()}"
        for (line, rule), want in sorted(expected.items())
        if want is not None and (line, rule) in severities and severities[(line, rule)] != want
    ]


def pin(path: Path, update: bool = False) -> int:
    """Write the reported severity into each expectation of ``path``; returns how many changed."""
    with tempfile.TemporaryDirectory() as tmp:
        _, _, _, severities = analyse_fixture_pinned(path, path.name, Path(tmp))
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    changed = 0
    for i, line in enumerate(lines):
        m = EXPECT.search(line.rstrip("\n"))
        if not m:
            continue
        items = []
        for rule_id, severity in _items(m.group(1)):
            found = severities.get((i + 1, rule_id))
            if found and (update or not severity):
                severity = found.lower()
            items.append(f"{rule_id}[{severity}]" if severity else rule_id)
        new = line[: m.start()] + "# expect: " + ", ".join(items) + ("\n" if line.endswith("\n") else "")
        if new != line:
            lines[i] = new
            changed += 1
    path.write_text("".join(lines), encoding="utf-8")
    return changed


if __name__ == "__main__":
    update = "--update" in sys.argv[1:]
    for name in sys.argv[1:]:
        if name != "--update":
            print(f"{name}: {pin(Path(name), update)} expectation line(s) pinned")
