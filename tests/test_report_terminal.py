"""The terminal report, and the report package's format selection."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from redline.report import FORMATS, format_for_path, render_text, terminal

import report_samples as samples

SGR = re.compile(r"\x1b\[[0-9;]*m")
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def plain(result=None) -> str:
    return render_text("terminal", result or samples.full_result(), samples.RULES)


def coloured(result=None) -> str:
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, color_system="truecolor", width=100)
    terminal.render(result or samples.full_result(), samples.RULES, console)
    return buf.getvalue()


def test_grouped_by_severity_most_severe_first():
    out = plain()
    heads = [
        line for line in out.splitlines() if re.match(r"^(CRITICAL|HIGH|MEDIUM|LOW) \(\d+\)$", line)
    ]
    assert heads == ["CRITICAL (2)", "HIGH (3)", "MEDIUM (8)", "LOW (1)"]
    assert "MEDIUM (" not in plain(samples.clear_result())


def test_finding_lines():
    lines = plain().splitlines()
    i = lines.index("  app/tools.py:31:5 EXEC001 Code execution with `eval`")
    assert lines[i + 1] == "    `eval()` on tainted `expr`"
    assert lines[i + 2] == "    | x = do_it()"
    assert lines[i + 3] == "    1. app/api.py:10 `request.json` read here (source)"
    assert lines[i + 5] == "    3. app/tools.py:31 reaches `eval()` (sink)"
    assert "  notebooks/explore.ipynb:4:5 (cell 3) FS001 Path traversal" in lines


def test_skipped_suppressions_and_summary():
    out = plain()
    assert "  broken/bad.py: parse failure: SyntaxError: invalid syntax (line 3)" in out
    assert "  big/data.py: larger than 1 MiB" in out
    assert "Suppressions: 2 finding(s) suppressed by redline comments; 2 comment(s)" in out
    assert "  app/legacy.py:5 # nosec B307 would hide EXEC001" in out
    last = out.rstrip("\n").splitlines()[-1]
    assert last == (
        "14 findings (2 critical, 3 high, 8 medium, 1 low) | DEPLOYMENT BLOCKED "
        "(review incomplete) | gate: HIGH | 14 files scanned"
    )


@pytest.mark.parametrize(
    ("name", "verdict"),
    [
        ("full", "DEPLOYMENT BLOCKED (review incomplete)"),
        ("caution", "DEPLOY WITH CAUTION"),
        ("clear", "CLEAR TO DEPLOY"),
        ("incomplete", "REVIEW INCOMPLETE"),
    ],
)
def test_summary_verdicts(name, verdict):
    last = plain(samples.all_results()[name]).rstrip("\n").splitlines()[-1]
    assert f"| {verdict} | gate: HIGH |" in last
    if name != "full":
        assert "CLEAR" not in last or name == "clear"


def test_plain_output_has_no_control_characters():
    out = plain()
    assert not CONTROL.search(out)
    # Hostile bytes are shown as visible escapes, not dropped silently.
    assert "a`|<script>alert(1)</script>\\x1b[31m.py:3:5 CRED001" in out
    assert "\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m" in out
    assert "\\u202e.py:7:5 SER001" in out


def test_coloured_output_carries_only_rich_styles():
    out = coloured()
    assert "\x1b[" in out  # colours are on
    assert not CONTROL.search(SGR.sub("", out))
    # The file name's own escape sequence never reaches the terminal raw.
    assert "</script>\x1b[31m" not in out
    assert "\x1b]" not in out and "\x1b[2J" not in out and "\x9b" not in out


def test_no_markup_injection():
    out = plain()
    assert "pkg/[bold red]owned[/bold red]\\u202e.py:7:5 SER001" in out
    assert "    [red]pickle.loads[/red] on request body" in out
    # And with styling on, the text is still literal (rich did not eat the tags).
    assert "[bold red]owned[/bold red]" in SGR.sub("", coloured())


def test_message_newlines_do_not_break_lines():
    out = plain()
    assert "onerror=alert(1)>\\n# not a heading" in out
    assert not any(line.startswith("# not a heading") for line in out.splitlines())


# --- report package ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "fmt"),
    [
        ("report.md", "markdown"),
        ("out/REPORT.Markdown", "markdown"),
        ("r.json", "json"),
        ("r.sarif", "sarif"),
        ("r.sarif.json", "sarif"),
        ("dir.v1/r.SARIF.JSON", "sarif"),
        ("r.txt", "terminal"),
    ],
)
def test_format_for_path(path, fmt):
    assert format_for_path(path) == fmt


@pytest.mark.parametrize("path", ["r.xml", "report", "r.md.bak", ".json", ".html"])
def test_format_for_path_rejects_unknown(path):
    with pytest.raises(ValueError):
        format_for_path(path)


def test_render_text_dispatch():
    result = samples.caution_result()
    assert set(FORMATS) == {"markdown", "json", "sarif", "html"}
    for fmt in FORMATS:
        assert render_text(fmt, result, samples.RULES) == FORMATS[fmt](result, samples.RULES)
    assert render_text("markdown", result, samples.RULES).startswith("# Security Review")
    assert render_text("json", result, samples.RULES).startswith("{")
    assert '"version": "2.1.0"' in render_text("sarif", result, samples.RULES)
    with pytest.raises(ValueError):
        render_text("pdf", result, samples.RULES)


def test_terminal_text_is_plain_and_stable():
    a = plain()
    assert "\x1b" not in a
    assert a == plain()
