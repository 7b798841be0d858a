"""Renderers: turn a :class:`~redline.model.ScanResult` into text.

Every renderer is a pure function ``render(result, rules) -> str`` (the terminal
renderer writes to a given rich ``Console`` instead). ``rules`` maps rule ids to
their metadata; it is passed in rather than read from the registry so that a
renderer never triggers rule loading and tests can hand-build everything.

This module also holds the few facts every format must agree on: the deploy
verdict, the order of severities, and how a location is written.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable, Mapping
from typing import NamedTuple

from redline.model import AdvisoryRef, Location, Rule, ScanResult, Severity

__all__ = [
    "FORMATS",
    "Verdict",
    "format_for_path",
    "render_text",
    "severities_desc",
    "verdict",
]

Renderer = Callable[[ScanResult, Mapping[str, Rule]], str]


def _markdown(result: ScanResult, rules: Mapping[str, Rule]) -> str:
    from redline.report import markdown

    return markdown.render(result, rules)


def _json(result: ScanResult, rules: Mapping[str, Rule]) -> str:
    from redline.report import json_report

    return json_report.render(result, rules)


def _sarif(result: ScanResult, rules: Mapping[str, Rule]) -> str:
    from redline.report import sarif

    return sarif.render(result, rules)


def _html(result: ScanResult, rules: Mapping[str, Rule]) -> str:
    from redline.report import html

    return html.render(result, rules)


# String renderers by format name. Imports are deferred so that importing this
# package costs nothing and the JSON/SARIF paths never import rich.
FORMATS: dict[str, Renderer] = {
    "markdown": _markdown,
    "json": _json,
    "sarif": _sarif,
    "html": _html,
}

# Longest suffixes first: ".sarif.json" must win over ".json".
_SUFFIXES: tuple[tuple[str, str], ...] = (
    (".sarif.json", "sarif"),
    (".sarif", "sarif"),
    (".markdown", "markdown"),
    (".md", "markdown"),
    (".json", "json"),
    (".html", "html"),
    (".htm", "html"),
    (".txt", "terminal"),
)


def format_for_path(path: str | os.PathLike[str]) -> str:
    """Choose an output format from a file name's extension.

    ``.md``/``.markdown`` -> markdown, ``.json`` -> json, ``.sarif``/``.sarif.json``
    -> sarif, ``.html``/``.htm`` -> html, ``.txt`` -> terminal (rendered as plain text). Anything else raises
    :class:`ValueError`.
    """
    name = os.path.basename(os.fspath(path)).lower()
    for suffix, fmt in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return fmt
    known = ", ".join(s for s, _ in _SUFFIXES)
    raise ValueError(f"cannot tell the report format from {os.fspath(path)!r} (known: {known})")


def render_text(fmt: str, result: ScanResult, rules: Mapping[str, Rule]) -> str:
    """Render ``result`` in format ``fmt`` ("markdown", "json", "sarif" or "terminal").

    "terminal" renders the terminal report into an in-memory, colourless console
    120 columns wide, for writing to a ``.txt`` file.
    """
    if fmt == "terminal":
        from rich.console import Console

        from redline.report import terminal

        buf = io.StringIO()
        console = Console(
            file=buf,
            no_color=True,
            color_system=None,
            force_terminal=False,
            width=120,
            highlight=False,
            emoji=False,
            markup=False,
        )
        terminal.render(result, rules, console)
        return buf.getvalue()
    try:
        renderer = FORMATS[fmt]
    except KeyError:
        names = ", ".join([*FORMATS, "terminal"])
        raise ValueError(f"unknown report format {fmt!r} (expected one of: {names})") from None
    return renderer(result, rules)


# ---------------------------------------------------------------------------
# Facts shared by all formats


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
