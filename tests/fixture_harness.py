"""The fixture harness: `# expect: ID[, ID]` on each line that must be flagged.

The expectation comments are blanked out before analysis (so they never act as a
suppression reason), and the harness compares the exact set of (line, rule id)
pairs: a missing finding and an extra finding both fail.
"""

from __future__ import annotations

import re
from pathlib import Path

from redline.config import Config
from redline.rules import registry
from redline.scan import ScanOptions, run_scan

EXPECT = re.compile(r"#\s*expect:\s*([A-Z0-9_, ]+)\s*$")


def all_rule_ids() -> frozenset[str]:
    return frozenset(r.id for r in registry.all_rules())


def expectations(source: str) -> tuple[str, set[tuple[int, str]]]:
    expected: set[tuple[int, str]] = set()
    lines = []
    for number, line in enumerate(source.splitlines(), start=1):
        m = EXPECT.search(line)
        if m:
            for rule_id in m.group(1).split(","):
                if rule_id.strip():
                    expected.add((number, rule_id.strip()))
            line = line[: m.start()].rstrip()
        lines.append(line)
    return "\n".join(lines) + "\n", expected


def analyse_fixture(path: Path, rel: str, tmp: Path, *, enabled=None):
    """Scan one fixture through the whole pipeline (pattern rules, taint, suppressions)."""
    source, expected = expectations(path.read_text(encoding="utf-8"))
    copy = tmp / Path(rel).name
    copy.write_text(source, encoding="utf-8")
    config = Config(select=tuple(sorted(enabled)) if enabled else ())
    result = run_scan([copy], config, ScanOptions(use_cache=False, jobs=1))
    assert not result.skipped, result.skipped
    actual = {(f.location.line, f.rule_id) for f in result.findings}
    return actual, expected, result
