"""Inline suppressions: ``# redline: ignore[ID, ...] reason``.

A comment applies to the statement it sits on (any line of a multi-line
statement) or, when it stands alone on its line, to the statement after it.
Other tools' comments (``# nosec``, ``# noqa: S...``, ``# nosemgrep``,
``# pragma: allowlist secret``) never silence redline; they are collected, with
redline's own, for the suppression review. A suppression without a justification
over a HIGH or CRITICAL finding is itself a finding (DEP103).
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from redline.model import Finding, ForeignSuppression, Location, Severity
from redline.rules.suppressions import DEP101, DEP102, DEP103
from redline.severity import decide
from redline.suppression_text import describe

_REDLINE = re.compile(r"#\s*redline\s*:\s*ignore\b(?:\[([^\]]*)\])?\s*(.*)$", re.IGNORECASE)
_FOREIGN = (
    ("bandit", re.compile(r"#\s*nosec\b.*$", re.IGNORECASE)),
    ("semgrep", re.compile(r"#\s*nosemgrep\b.*$", re.IGNORECASE)),
    # A bare noqa comment silences every check, the flake8-bandit ones (S...) included.
    ("ruff/flake8", re.compile(r"#\s*noqa(?:\s*:\s*(?:[A-Z]+[0-9]+[\s,]*)*?\bS[0-9]+\b.*|(?!\s*:).*)$", re.IGNORECASE)),
    ("detect-secrets", re.compile(r"#\s*pragma\s*:\s*allowlist[ -]secret\b.*$", re.IGNORECASE)),
)
_MARKERS = ("redline", "nosec", "noqa", "nosemgrep", "allowlist")


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
    hidden: list[Finding] = field(default_factory=list)

    def covers(self, finding: Finding) -> bool:
        if self.rules and finding.rule_id not in self.rules:
            return False
        if finding.stmt_start <= self.line <= finding.stmt_end:
            return True
        return self.standalone and self.line == finding.stmt_start - 1


def parse_ignore(line: str) -> tuple[frozenset[str], str] | None:
    """The rules (empty: all) and reason of a ``# redline: ignore`` in one line of text."""
    m = _REDLINE.search(line)
    if m is None:
        return None
    ids = frozenset(i.strip().upper() for i in (m.group(1) or "").split(",") if i.strip())
    return ids, m.group(2).strip()


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
        ignore = parse_ignore(c.text)
        if ignore is not None:
            ours.append(Suppression(c.line, ignore[0], ignore[1], c.standalone))
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
            if not f.fingerprint.startswith("sink:"):  # a potential taint sink is not a finding yet
                hit.hidden.append(f)
    meta: list[Finding] = []
    reviews = []
    for s in ours:
        loc = location(s.line)
        serious = sorted({f.rule_id for f in s.hidden if f.severity >= Severity.HIGH})
        if not s.reason and serious:
            meta.append(_meta(DEP103, loc, f"suppression hides {', '.join(serious)} without a justification", path, s.line))
        elif not s.reason:
            meta.append(_meta(DEP101, loc, "suppression comment gives no reason", path, s.line))
        if not s.used and (not s.rules or s.rules <= enabled):
            named = ", ".join(sorted(s.rules)) or "all rules"
            meta.append(_meta(DEP102, loc, f"suppression of {named} matches no finding", path, s.line))

        text = "# " + _REDLINE.search(_comment_text(s, found)).group(0).lstrip("#").strip()
        hidden = tuple(sorted({f.rule_id for f in s.hidden}))
        worst = max((f.severity for f in s.hidden), default=None)
        reviews.append(
            ForeignSuppression(path, loc.line, "redline", text, hidden, s.standalone, worst.name if worst else "")
        )
    for c, tool in foreign:
        hides = sorted(
            {f.rule_id for f in findings if f.stmt_start - (1 if c.standalone else 0) <= c.line <= f.stmt_end}
        )
        reviews.append(ForeignSuppression(path, location(c.line).line, tool, c.text.strip(), tuple(hides), c.standalone))
    return kept, len(findings) - len(kept), meta, reviews


def attribute(reviews: list[ForeignSuppression], hidden: list[Finding]) -> list[ForeignSuppression]:
    """redline's own suppression comments with the project-wide findings they silenced
    (taint findings are known only once every module is read)."""
    if not hidden:
        return reviews
    out = []
    for s in reviews:
        ignore = parse_ignore(s.text) if s.tool == "redline" else None
        if ignore is not None:
            rules = ignore[0]
            covered = [
                f for f in hidden
                if f.location.path == s.path
                and (not rules or f.rule_id in rules)
                and (f.stmt_start <= s.line <= f.stmt_end or (s.standalone and s.line == f.stmt_start - 1))
            ]
            if covered:
                worst = max([f.severity for f in covered] + ([Severity.parse(s.worst)] if s.worst else []))
                hides = tuple(sorted({*s.hides, *(f.rule_id for f in covered)}))
                s = replace(s, hides=hides, worst=worst.name)
        out.append(s)
    return out


def _comment_text(s: Suppression, found: list[Comment]) -> str:
    return next(c.text for c in found if c.line == s.line and _REDLINE.search(c.text))


def review(
    findings: list[Finding], reviews: list[ForeignSuppression], enabled: frozenset[str]
) -> tuple[list[ForeignSuppression], list[Finding]]:
    """The suppression review against the project's final findings (taint included):
    what redline reports on each other tool's comment, and a DEP103 finding for each
    such comment without a justification over a HIGH or CRITICAL finding."""
    by_path: dict[str, list[Finding]] = {}
    for f in findings:
        by_path.setdefault(f.location.path, []).append(f)
    out: list[ForeignSuppression] = []
    meta: list[Finding] = []
    for s in reviews:
        if s.tool == "redline":
            out.append(s)
            continue
        here = [
            f
            for f in by_path.get(s.path, ())
            if f.rule_id != DEP103.id
            and (
                (f.location.cell is None and f.stmt_start - (1 if s.standalone else 0) <= s.line <= f.stmt_end)
                or (f.location.cell is not None and f.location.line == s.line and f.rule_id in s.hides)
            )
        ]
        hides = tuple(sorted({f.rule_id for f in here}))
        worst = max((f.severity for f in here), default=None)
        out.append(ForeignSuppression(s.path, s.line, s.tool, s.text, hides, s.standalone, worst.name if worst else ""))
        serious = sorted({f.rule_id for f in here if f.severity >= Severity.HIGH})
        if serious and DEP103.id in enabled and not describe(s.tool, s.text)[1]:
            cell = next((f.location.cell for f in here), None)
            finding = _meta(
                DEP103,
                Location(s.path, s.line, cell=cell),
                f"`{s.text}` silences {s.tool} where redline reports {', '.join(serious)}, without a justification",
                s.path,
                s.line,
            )
            finding.snippet = next((f.snippet for f in here if f.location.line == s.line), "")
            meta.append(finding)
    return out, meta


def _meta(rule, loc: Location, message: str, path: str, line: int) -> Finding:
    severity, confidence, reasons = decide(rule, ())
    return Finding(
        rule_id=rule.id,
        title=rule.title,
        area=rule.area,
        severity=severity,
        confidence=confidence,
        reasons=reasons,
        location=loc,
        message=message,
        snippet="",
        cwe=rule.cwe,
        recommendation=rule.recommendation,
        stmt_start=line,
        stmt_end=line,
    )
