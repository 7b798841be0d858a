"""The terminal report, written to a rich console.

Findings are grouped by severity, most severe first. Every string that comes
from the scanned tree goes into a :class:`rich.text.Text` (never through
console markup) after :func:`redline.report.visible` has turned control
characters, ANSI escape sequences and bidi overrides into visible escapes,
so a hostile file name or line of code can neither inject rich markup nor
drive the terminal.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import Console
from rich.text import Text

from redline.model import Area, Finding, Rule, ScanResult, Severity
from redline.report.common import gate_label, severities_desc, verdict, visible

STYLES: dict[Severity, str] = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
}
VERDICT_STYLES = {
    "blocked": "bold white on red",
    "caution": "bold yellow",
    "clear": "bold green",
    "incomplete": "bold magenta",
}
INDENT = "    "


def safe(value: str) -> str:
    """Scanned content made inert for the terminal: one line, no control characters."""
    return visible(value, newline="\\n", tab="    ")


def _print(console: Console, text: Text | None = None) -> None:
    # soft_wrap: lines are never broken or cropped by rich, so paths stay whole.
    if text is None:
        console.print()
    else:
        console.print(text, soft_wrap=True)


def _where(f: Finding) -> str:
    loc = f.location
    out = f"{safe(loc.path)}:{loc.line}:{loc.column + 1}"
    if loc.cell is not None:
        out += f" (cell {loc.cell})"
    return out


def _finding(console: Console, f: Finding) -> None:
    head = Text("  ")
    head.append(_where(f), style="bold")
    head.append(" ")
    head.append(safe(f.rule_id), style=STYLES[f.severity])
    head.append(" ")
    head.append(safe(f.title))
    _print(console, head)
    _print(console, Text(INDENT + safe(f.message)))
    if f.snippet.strip():
        for line in f.snippet.strip("\n").splitlines()[:3]:
            _print(console, Text(INDENT + "| " + safe(line), style="dim"))
    for a in f.advisories:
        aliases = f" ({', '.join(a.aliases)})" if a.aliases else ""
        fix = f"fixed in {a.fixed}" if a.fixed else "no fix published"
        line = f"{INDENT}- {a.id}{aliases} {a.severity.name}, {fix}: {a.summary}"
        _print(console, Text(safe(line[:200]), style="dim"))
    for i, step in enumerate(f.taint_path, 1):
        loc = step.location
        cell = f" (cell {loc.cell})" if loc.cell is not None else ""
        t = Text(f"{INDENT}{i}. ", style="dim")
        t.append(f"{safe(loc.path)}:{loc.line}{cell}", style="dim bold")
        t.append(" " + safe(step.description), style="dim")
        _print(console, t)
    if f.reasons:
        _print(console, Text(INDENT + "why " + f.severity.name.lower() + ": " + safe("; ".join(f.reasons)), style="dim"))


def _summary_line(result: ScanResult) -> Text:
    counts = result.counts()
    v = verdict(result)
    line = Text()
    n = len(result.findings)
    line.append(f"{n} finding{'s' if n != 1 else ''}")
    parts = [
        (f"{counts[s]} {s.name.lower()}", STYLES[s] if counts[s] else "") for s in severities_desc()
    ]
    line.append(" (")
    for i, (label, style) in enumerate(parts):
        if i:
            line.append(", ")
        line.append(label, style=style)
    line.append(") | ")
    line.append(v.headline, style=VERDICT_STYLES[v.code])
    if not v.complete and v.code != "incomplete":
        line.append(" (review incomplete)", style="magenta")
    line.append(f" | gate: {gate_label(result)}")
    line.append(f" | {result.files_scanned} file{'s' if result.files_scanned != 1 else ''} scanned")
    return line


def _production(console: Console, findings: list[Finding]) -> None:
    """Production-engineering findings counted by theme and rule (each is listed above)."""
    from redline.report.themes import theme_of, theme_order

    chosen = [f for f in findings if f.area is Area.PRODUCTION]
    if not chosen:
        return
    _print(console, Text(f"Production engineering ({len(chosen)})", style="bold"))
    for theme in theme_order():
        counts: dict[str, tuple[str, int]] = {}
        for f in chosen:
            if theme_of(f.rule_id) == theme:
                title, n = counts.get(f.rule_id, (f.title, 0))
                counts[f.rule_id] = (title, n + 1)
        for rule_id, (title, n) in counts.items():
            _print(console, Text(f"  {theme}: {safe(rule_id)} x{n} {safe(title)}"))
    _print(console)


def render(result: ScanResult, rules: Mapping[str, Rule], console: Console) -> None:
    """Write the terminal report for ``result`` to ``console``."""
    findings = sorted(result.findings, key=lambda f: (f.sort_key(), f.fingerprint))
    for severity in severities_desc():
        group = [f for f in findings if f.severity == severity]
        if not group:
            continue
        _print(console, Text(f"{severity.name} ({len(group)})", style=STYLES[severity]))
        for f in group:
            _finding(console, f)
        _print(console)

    _production(console, findings)
    if result.skipped:
        _print(console, Text(f"Skipped files ({len(result.skipped)})", style="bold"))
        for s in sorted(result.skipped, key=lambda s: (not s.parse_failure, s.path, s.reason)):
            t = Text("  ")
            t.append(safe(s.path), style="bold")
            t.append(": ")
            if s.parse_failure:
                t.append("parse failure: ", style="magenta")
            t.append(safe(s.reason))
            _print(console, t)
        _print(console)

    foreign = sorted(result.foreign_suppressions, key=lambda s: (s.path, s.line, s.tool, s.text))
    others = [s for s in foreign if s.tool != "redline"]
    if result.suppressed_count or foreign:
        _print(
            console,
            Text(
                f"Suppressions: {result.suppressed_count} finding(s) suppressed by redline "
                f"comments; {len(others)} comment(s) for other tools (not honoured)",
                style="bold",
            ),
        )
        for fs in foreign:
            t = Text(f"  {safe(fs.path)}:{fs.line} ")
            t.append(safe(fs.text), style="dim")
            hides = ", ".join(safe(r) for r in fs.hides)
            if fs.tool == "redline":
                t.append(f" suppresses {hides}" if hides else " suppresses nothing")
            else:
                t.append(f" would hide {hides}" if hides else " would hide no redline finding")
            _print(console, t)
        _print(console)

    deps = result.dependencies
    if deps is not None and (deps.manifests or deps.environments):
        data = f"{deps.data_source} ({deps.data_date or 'date unknown'})" if deps.data_source else "none"
        _print(console, Text(f"Dependencies: {deps.policy} policy; advisory data: {safe(data)}", style="bold"))
        if deps.data_note:
            _print(console, Text(f"  {safe(deps.data_note)}"))
        for env in deps.environments:
            _print(console, Text(f"  installed environment read: {safe(env)}"))
        if deps.not_installed:
            _print(console, Text(f"  {len(deps.not_installed)} requirement(s) not installed on any supported Python ({safe(deps.requires_python)}), not audited"))
        _print(console)

    _print(console, _summary_line(result))
