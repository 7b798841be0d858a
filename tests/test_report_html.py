"""The HTML report: self-contained, everything from the scanned tree escaped, counts right."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser

import pytest

from redline.model import BaselineSummary, StaleEntry
from redline.report import format_for_path, html, render_text

import report_samples as samples


class Page(HTMLParser):
    """Collects what a browser would act on: tags, attributes, script and style bodies."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.bodies: dict[str, list[str]] = {"script": [], "style": []}
        self._in: str | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in self.bodies:
            self._in = tag
            self.bodies[tag].append("")

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        if self._in:
            self.bodies[self._in][-1] += data
        else:
            self.text.append(data)

    def by_id(self, ident: str) -> dict[str, str | None] | None:
        return next((a for _, a in self.tags if a.get("id") == ident), None)


def parse(text: str) -> Page:
    page = Page()
    page.feed(text)
    return page


def sha(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def test_format_from_extension_and_name():
    assert format_for_path("out/report.html") == "html"
    assert format_for_path("r.HTM") == "html"
    assert render_text("html", samples.clear_result(), samples.RULES).startswith("<!DOCTYPE html>")


def test_hostile_content_is_only_text():
    out = html.render(samples.full_result(), samples.RULES)
    page = parse(out)
    # One script and one stylesheet: redline's own; nothing from the scan adds a tag.
    assert len(page.bodies["script"]) == 1 and len(page.bodies["style"]) == 1
    for tag, attrs in page.tags:
        assert tag not in ("img", "iframe", "object", "embed", "link", "base", "svg:script"), tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            if name in ("href", "src", "action"):
                assert value and value.startswith("https://"), (tag, name, value)
    text = "".join(page.text)
    # The hostile strings arrive as visible text, with control and bidi characters escaped.
    assert "<script>alert(1)</script>" in text
    assert "<img src=x onerror=alert(1)>" in text
    assert "[link](javascript:x)" in text
    assert "\\x1b[31m" in text and "\\u202e" in text
    assert "\x1b" not in out and "\u202e" not in out and "\x07" not in out
    assert "<script>alert" not in out and "<img src=x" not in out


def test_csp_allows_exactly_the_inline_style_and_script():
    out = html.render(samples.full_result(), samples.RULES)
    page = parse(out)
    meta = next(a for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    csp = meta["content"]
    assert "default-src 'none'" in csp and "base-uri 'none'" in csp and "form-action 'none'" in csp
    assert f"script-src '{sha(page.bodies['script'][0])}'" in csp
    assert f"style-src '{sha(page.bodies['style'][0])}'" in csp
    assert "unsafe-inline" not in csp


def test_self_contained():
    out = html.render(samples.full_result(), samples.RULES)
    # The only URLs are the rule references, shown as links; nothing is loaded.
    urls = set(re.findall(r"https?://[^\s\"'<>]+", out))
    assert urls == {"https://cwe.mitre.org/data/definitions/95.html"}
    page = parse(out)
    assert not [t for t, a in page.tags if t in ("link", "img", "iframe") or "src" in a]
    assert "@import" not in page.bodies["style"][0] and "url(" not in page.bodies["style"][0]


def test_counts_chart_and_rows_match_the_result():
    result = samples.full_result()
    page = parse(html.render(result, samples.RULES))
    rows = [a for t, a in page.tags if t == "tr" and a.get("class") == "finding"]
    assert len(rows) == len(result.findings)
    for sev, n in result.counts().items():
        assert sum(1 for r in rows if r["data-severity"] == sev.name) == n
    bars = {a["data-area"]: int(a["data-total"]) for t, a in page.tags if t == "g" and "data-area" in a}
    assert bars == {"credentials": 1, "code-execution": 2, "serialization": 1, "filesystem": 1,
                    "network": 7, "production": 1, "workflows": 1}
    segs = [a for t, a in page.tags if t == "rect"]
    assert sum(int(a["data-count"]) for a in segs) == len(result.findings)
    assert parse_verdict(page) == "blocked"


def parse_verdict(page: Page) -> str | None:
    v = page.by_id("verdict")
    return v["data-verdict"] if v else None


@pytest.mark.parametrize(
    ("name", "verdict"),
    [("caution", "caution"), ("clear", "clear"), ("incomplete", "incomplete"), ("blocked_incomplete", "blocked")],
)
def test_every_verdict_renders(name, verdict):
    result = samples.all_results()[name]
    out = html.render(result, samples.RULES)
    assert parse_verdict(parse(out)) == verdict
    assert ("review incomplete" in out) == bool(result.parse_failures)


def test_sections_taint_suppressions_skipped_and_baseline():
    result = samples.full_result()
    result.baseline = BaselineSummary(
        "base<x>.json", 3, (StaleEntry("EXEC001", "old/<b>.py", "mod.fn", "eval(x)", 2),)
    )
    result.diff_ref = "origin/main<script>"
    out = html.render(result, samples.RULES)
    text = "".join(parse(out).text)
    assert "app/api.py:10" in text and "app/tools.py:22" in text  # taint steps
    assert "# nosec B307" in text and "# noqa: S301 <b>`x`</b>" in text
    assert "broken/bad.py" in text and "SyntaxError: invalid syntax (line 3)" in text
    assert "base<x>.json" in text and "old/<b>.py" in text and "(2 fewer)" in text
    assert "origin/main<script>" in text and "<b>.py" not in out
