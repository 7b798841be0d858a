"""Inline suppressions: ``# redline: ignore[ID, ...] reason``.

A comment applies to the statement it sits on (any line of a multi-line
statement) or, when it stands alone on its line, to the statement after it.
Other tools' comments (``# nosec``, ``# noqa: S...``, ``# nosemgrep``) never
silence redline; they are collected for the suppression review.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Callable
from dataclasses import dataclass, field

from redline.model import Finding, ForeignSuppression, Location
from redline.rules.suppressions import DEP101, DEP102

_REDLINE = re.compile(r"#\s*redline\s*:\s*ignore\b(?:\[([^\]]*)\])?\s*(.*)$", re.IGNORECASE)
_FOREIGN = (
    ("bandit", re.compile(r"#\s*nosec\b.*$", re.IGNORECASE)),
    ("semgrep", re.compile(r"#\s*nosemgrep\b.*$", re.IGNORECASE)),
    ("ruff/flake8", re.compile(r"#\s*noqa(?!:\s*[A-RT-Z])(?::\s*[\w, ]*S\d+[\w, ]*)?\s*$", re.IGNORECASE)),
)
_MARKERS = ("redline", "nosec", "noqa", "nosemgrep")


@dataclass
class Comment:
    line: int
    text: str
    standalone: bool


@dataclass
class Suppression:
    line: int
    rules: frozenset[str]  # empty: every rule
    reason: str
    standalone: bool
    used: bool = field(default=False)

    def covers(self, finding: Finding) -> bool:
        if self.rules and finding.rule_id not in self.rules:
            return False
        if finding.stmt_start <= self.line <= finding.stmt_end:
            return True
        return self.standalone and self.line == finding.stmt_start - 1


def comments(source: str) -> list[Comment]:
    """Comments of interest, found with the tokenizer so strings never count."""
    lowered = source.lower()
    if not any(m in lowered for m in _MARKERS):
        return []
    # Tokenizing is slow; do it only when some line holds a comment we act on
    # (most noqa comments name style codes and are of no interest).
    if not any(
        _REDLINE.search(line) or any(p.search(line) for _, p in _FOREIGN)
        for line in source.splitlines()
        if "#" in line and any(m in line.lower() for m in _MARKERS)
    ):
        return []
    out: list[Comment] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                standalone = not tok.line[: tok.start[1]].strip()
                out.append(Comment(tok.start[0], tok.string, standalone))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass  # the file parsed, so this is only an unterminated tail
    return out


def apply(
    path: str,
    source: str,
    findings: list[Finding],
    enabled: frozenset[str],
    location: Callable[[int], Location],
) -> tuple[list[Finding], int, list[Finding], list[ForeignSuppression]]:
    """Filter findings through inline suppressions.

    Returns (kept findings, how many were suppressed, findings about the
    suppressions themselves, foreign suppression comments for review).
    """
    found = comments(source)
    if not found:
        return findings, 0, [], []
    ours: list[Suppression] = []
    foreign: list[tuple[Comment, str]] = []
    for c in found:
        m = _REDLINE.search(c.text)
        if m:
            ids = frozenset(i.strip().upper() for i in (m.group(1) or "").split(",") if i.strip())
            ours.append(Suppression(c.line, ids, m.group(2).strip(), c.standalone))
            continue
        for tool, pattern in _FOREIGN:
            if pattern.search(c.text):
                foreign.append((c, tool))
                break

    kept: list[Finding] = []
    for f in findings:
        hit = next((s for s in ours if s.covers(f)), None)
        if hit is None:
            kept.append(f)
        else:
            hit.used = True
    meta: list[Finding] = []
    for s in ours:
        loc = location(s.line)
        if not s.reason:
            meta.append(_meta(DEP101, loc, "suppression comment gives no reason", path, s.line))
        if not s.used and (not s.rules or s.rules <= enabled):
            named = ", ".join(sorted(s.rules)) or "all rules"
            meta.append(_meta(DEP102, loc, f"suppression of {named} matches no finding", path, s.line))

    reviews = []
    for c, tool in foreign:
        hides = sorted(
            {f.rule_id for f in findings if f.stmt_start - (1 if c.standalone else 0) <= c.line <= f.stmt_end}
        )
        reviews.append(ForeignSuppression(path, location(c.line).line, tool, c.text.strip(), tuple(hides)))
    return kept, len(findings) - len(kept), meta, reviews


def _meta(rule, loc: Location, message: str, path: str, line: int) -> Finding:
    return Finding(
        rule_id=rule.id,
        title=rule.title,
        area=rule.area,
        severity=rule.severity,
        confidence=rule.confidence,
        location=loc,
        message=message,
        snippet="",
        cwe=rule.cwe,
        recommendation=rule.recommendation,
        stmt_start=line,
        stmt_end=line,
    )
