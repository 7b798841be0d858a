"""What the text-file scanners share: a finding on one line of a text file, and the
``redline: ignore[ID] reason`` comments that silence them, in any comment syntax."""

from __future__ import annotations

import re

from redline.model import Finding, Location, Rule
from redline.severity import decide
from redline.text.secret_values import is_test_path

_SUPPRESS = re.compile(r"redline\s*:\s*ignore\b(?:\[([^\]]*)\])?", re.IGNORECASE)
_COMMENT_STARTS = ("#", "//", ";", "<!--", "{#")


def line_finding(
    rule: Rule,
    rel: str,
    line: int,
    col: int,
    message: str,
    snippet: str,
    evidence: tuple[str, ...] = (),
) -> Finding:
    """A finding on ``rel:line`` (one severity lower in tests and fixtures: evidence
    ``test-code``); ``snippet`` is the line as it may be shown (masked)."""
    if is_test_path(rel):
        evidence = (*evidence, "test-code")
    sev, conf, reasons = decide(rule, evidence)
    return Finding(
        rule_id=rule.id,
        title=rule.title,
        area=rule.area,
        severity=sev,
        confidence=conf,
        location=Location(rel, line, col),
        message=message,
        snippet=snippet.strip()[:300],
        cwe=rule.cwe,
        recommendation=rule.recommendation,
        stmt_start=line,
        stmt_end=line,
        evidence=tuple(evidence),
        reasons=reasons,
    )


def unsuppressed(findings: list[Finding], lines: list[str]) -> list[Finding]:
    """The findings no ``redline: ignore`` comment covers, on their line or alone on the
    line above."""
    if not findings or not any("redline" in line.lower() for line in lines):
        return findings
    kept = []
    for f in findings:
        covered = False
        for number in (f.location.line, f.location.line - 1):
            if 0 < number <= len(lines):
                m = _SUPPRESS.search(lines[number - 1])
                standalone = lines[number - 1].lstrip().startswith(_COMMENT_STARTS)
                if m and (number == f.location.line or standalone):
                    ids = {i.strip().upper() for i in (m.group(1) or "").split(",") if i.strip()}
                    covered = covered or not ids or f.rule_id in ids
        if not covered:
            kept.append(f)
    return kept
