"""The HTML report: one self-contained file to share (no CDN, no network, no fonts).

Layout: the verdict and counts, a chart of findings by area and severity (inline
SVG), a filterable table of findings whose rows open to the code line, the taint
path and the recommendation, then the baseline, the suppression review and the
skipped files.

Everything that comes from the scanned tree (paths, messages, code, scopes,
comments) is hostile: Jinja2 escapes every value (autoescape is on and nothing
from the scan is marked safe), control and bidi characters become visible
escapes, and no scanned value is ever put in a URL, an attribute that runs code,
a style or the script. The page's Content-Security-Policy allows only its own
inline stylesheet and script, by hash: even markup that slipped through could
not run a script, load a resource or submit a form.

Code excerpts are the finding's own source line, which the analysers already
masked; the renderer reads no files, so a secret on a neighbouring line can
never reach the report.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import jinja2
from markupsafe import Markup

from redline import __version__
from redline.model import Area, Finding, Rule, ScanResult, Severity
from redline.report.common import (
    gate_label,
    location_text,
    safe_url,
    severities_desc,
    verdict,
    visible,
)

_TEMPLATES = "templates"


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("redline.report", _TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["v"] = lambda value: visible(str(value))
    env.filters["spans"] = code_spans
    env.filters["safe_url"] = safe_url
    return env


@lru_cache(maxsize=2)
def _asset(name: str) -> str:
    return resources.files("redline.report").joinpath(_TEMPLATES, name).read_text(encoding="utf-8")


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def code_spans(value: str) -> Markup:
    """Prose with `backtick` code marked up: every part escaped, balanced pairs in <code>."""
    parts = visible(str(value)).split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick stays literal
        parts[-2:] = [parts[-2] + "`" + parts[-1]]
    out = Markup("")
    for i, part in enumerate(parts):
        out += Markup("<code>{}</code>").format(part) if i % 2 else Markup.escape(part)
    return out


@dataclass(frozen=True)
class AreaBar:
    area: Area
    total: int
    segments: tuple[tuple[str, int, float, float], ...]  # severity, count, x, width (0-100)
    end: float  # where the bar ends (0-100)


def _area_bars(findings: list[Finding]) -> list[AreaBar]:
    by_area: dict[Area, dict[Severity, int]] = {}
    for f in findings:
        by_area.setdefault(f.area, dict.fromkeys(Severity, 0))[f.severity] += 1
    widest = max((sum(c.values()) for c in by_area.values()), default=0)
    bars = []
    for area in sorted(by_area, key=lambda a: a.number):
        counts = by_area[area]
        x = 0.0
        segments = []
        for sev in severities_desc():
            n = counts[sev]
            if n:
                width = 100.0 * n / widest
                segments.append((sev.name, n, round(x, 3), round(width, 3)))
                x += width
        bars.append(AreaBar(area, sum(counts.values()), tuple(segments), round(x, 3)))
    return bars


def _reference_links(rule: Rule | None) -> list[str]:
    """Rule references that are plain web links (rule metadata, still checked)."""
    if rule is None:
        return []
    return [r for r in rule.doc.references if r.startswith(("https://", "http://")) and '"' not in r]


def render(result: ScanResult, rules: Mapping[str, Rule]) -> str:
    css, script = _asset("report.css"), _asset("report.js")
    findings = sorted(result.findings, key=lambda f: (f.sort_key(), f.fingerprint))
    v = verdict(result)
    rows = [
        {
            "n": i,
            "f": f,
            "where": location_text(f.location),
            "rule": rules.get(f.rule_id),
            "references": _reference_links(rules.get(f.rule_id)),
        }
        for i, f in enumerate(findings, 1)
    ]
    csp = (
        "default-src 'none'; "
        f"style-src '{_sha256(css)}'; script-src '{_sha256(script)}'; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    return _environment().get_template("report.html.j2").render(
        version=__version__,
        result=result,
        verdict=v,
        gate=gate_label(result),
        counts=result.counts(),
        total=len(findings),
        severities=[s.name for s in severities_desc()],
        areas=sorted({f.area for f in findings}, key=lambda a: a.number),
        bars=_area_bars(findings),
        rows=rows,
        skipped=sorted(result.skipped, key=lambda s: (s.path, s.reason)),
        foreign=sorted(result.foreign_suppressions, key=lambda s: (s.path, s.line, s.tool, s.text)),
        csp=csp,
        css=Markup(css),  # package files, not scanned content
        script=Markup(script),
    )
