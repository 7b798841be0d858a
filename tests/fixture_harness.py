"""The fixture harness: `# expect: ID[, ID]` on each line that must be flagged.

The expectation comments are blanked out before analysis (so they never act as a
suppression reason), and the harness compares the exact set of (line, rule id)
pairs: a missing finding and an extra finding both fail.
"""

from __future__ import annotations

import re
from pathlib import Path

from redline.analysis import AnalysisSettings, FileTask, analyse_bytes
from redline.engine import RuleSettings
from redline.rules import registry

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


def analyse_fixture(path: Path, rel: str, *, sandbox: bool = False, enabled=None):
    source, expected = expectations(path.read_text(encoding="utf-8"))
    settings = AnalysisSettings(
        rules=RuleSettings(enabled=enabled or all_rule_ids(), severity={}),
        sandbox_files=(rel,) if sandbox else (),
    )
    module = rel.removesuffix(".py").replace("/", ".")
    result = analyse_bytes(FileTask(str(path), rel, "python", module, False), source.encode(), settings)
    assert result.skipped is None, result.skipped
    actual = {(f.location.line, f.rule_id) for f in result.findings}
    return actual, expected, result
