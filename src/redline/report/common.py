"""The facts every report format must agree on: the deploy verdict, the order of
severities, how a location is written, and how untrusted text and URLs are made safe."""

from __future__ import annotations

import re
from typing import NamedTuple

from redline.model import AdvisoryRef, Location, ScanResult, Severity


def severities_desc() -> list[Severity]:
    """CRITICAL, HIGH, MEDIUM, LOW."""
    return sorted(Severity, reverse=True)


class Verdict(NamedTuple):
    code: str  # "blocked" | "caution" | "clear" | "incomplete" (stable, for JSON)
    headline: str  # "DEPLOYMENT BLOCKED", ...
    complete: bool  # False when some files could not be parsed


def verdict(result: ScanResult) -> Verdict:
    """The deploy verdict.

    Blocked only when a CRITICAL finding stands, whatever the gate: severity comes
    from evidence (redline.severity.decide), so a CRITICAL finding is a proven flow
    from an attacker-controlled source or a configuration dangerous whatever the data.
    The gate decides the exit code, not the verdict. Caution when there are findings
    below that; clear when there are none. With parse failures and no findings the
    review is *incomplete*: an unreadable file is never cleared.
    """
    complete = not result.parse_failures
    if any(f.severity is Severity.CRITICAL for f in result.findings):
        return Verdict("blocked", "DEPLOYMENT BLOCKED", complete)
    if result.findings:
        return Verdict("caution", "DEPLOY WITH CAUTION", complete)
    if not complete:
        return Verdict("incomplete", "REVIEW INCOMPLETE", complete)
    return Verdict("clear", "CLEAR TO DEPLOY", complete)


def gate_label(result: ScanResult) -> str:
    """``"HIGH"`` or ``"none"`` when the gate is disabled."""
    return result.fail_on.name if result.fail_on is not None else "none"


def location_text(loc: Location) -> str:
    """``path:line`` (the notebook cell, if any, is written separately)."""
    return f"{loc.path}:{loc.line}"


# C0/C1 control characters, DEL, and the Unicode bidirectional overrides and
# isolates used in "Trojan Source" attacks. Scanned content never reaches any
# output with one of these in it.
_UNSAFE_CHARS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
)
_NEWLINES = re.compile(r"\r\n|\r|\n|\u2028|\u2029|\x85")


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, *, newline: str = " ", tab: str = " ") -> str:
    """Make ``text`` safe to show: newlines become ``newline``, tabs ``tab``, and any
    other control or bidi character its visible escape (``\\x1b``, ``\\u202e``)."""
    text = _NEWLINES.sub(lambda _: newline, text)
    text = text.replace("\t", tab)
    return _UNSAFE_CHARS.sub(_escape_char, text)


# A link a report may show: http(s), no spaces, quotes, brackets or parentheses.
_SAFE_URL = re.compile(r"^https?://[A-Za-z0-9._~:/?#@!$&*+,;=%-]+$")


def safe_url(url: str) -> str:
    """``url`` when it is a plain web link a report can show as a link, else ""."""
    return url if _SAFE_URL.match(url or "") else ""


def advisory_severity(a: AdvisoryRef) -> str:
    """``HIGH (CVSS 7.5)``, ``MEDIUM (no CVSS in the record)``."""
    return f"{a.severity.name} ({a.severity_basis})" if a.severity_basis else a.severity.name
