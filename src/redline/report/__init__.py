"""Renderers: turn a :class:`~redline.model.ScanResult` into text.

Every renderer is a pure function ``render(result, rules) -> str`` (the terminal
renderer writes to a given rich ``Console`` instead). ``rules`` maps rule ids to
their metadata; it is passed in rather than read from the registry so that a
renderer never triggers rule loading and tests can hand-build everything.

The facts every format must agree on (the deploy verdict, the order of severities,
how a location is written) are in :mod:`redline.report.common`.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Mapping

from redline.model import Rule, ScanResult

__all__ = [
    "FORMATS",
    "format_for_path",
    "render_text",
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
