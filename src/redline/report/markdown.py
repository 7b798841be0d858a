"""The Markdown review report.

Layout: an executive summary (verdict, risk level, counts by area, top issues),
then the security-review checklist's output format verbatim::

    ## Security Analysis Report
    ### Critical Vulnerabilities
    ### High-Risk Findings
    ### Medium-Risk Issues
    ### Recommendations

followed by low-risk items, a phased action plan, a review of suppression
comments and the list of skipped files.

Everything that comes from the scanned tree (paths, messages, code) is treated
as hostile: code and paths go into backtick spans whose fence is longer than
any backtick run inside them, prose is backslash-escaped with ``<``, ``>`` and
``&`` turned into entities, and newlines and control characters never survive,
so a Markdown viewer renders no raw HTML and no structure from scanned content.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from redline import __version__
from redline.model import AdvisoryRef, Area, Finding, Location, Rule, ScanResult, Severity
from redline.report.common import (
    advisory_severity,
    gate_label,
    location_text,
    safe_url,
    severities_desc,
    verdict,
    visible,
)

SECTION_HEADINGS: dict[Severity, str] = {
    Severity.CRITICAL: "### Critical Vulnerabilities",
    Severity.HIGH: "### High-Risk Findings",
    Severity.MEDIUM: "### Medium-Risk Issues",
    Severity.LOW: "### Low-Risk and Production Engineering Items",
}
NONE_FOUND = "- None found."
MAX_LOCATIONS = 5
MAX_TOP_ISSUES = 5


# ---------------------------------------------------------------------------
# Escaping

_RUN_OF_BACKTICKS = re.compile(r"`+")
# Punctuation that can open or close inline Markdown structure (emphasis, code,
# links, table cells, strikethrough). Prose never starts a line, so block markers
# such as ``#`` or ``-`` need no escape; ``<``, ``>`` and ``&`` become entities.
_MD_PUNCT = re.compile(r"([\\`*\[\]|~])")
# An underscore between two letters or digits cannot open or close emphasis
# (CommonMark's intraword rule), so ``db_password`` stays readable unescaped.
_LOOSE_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")


def code(value: str) -> str:
    """``value`` as an inline code span that nothing inside it can close."""
    value = visible(value)
    longest = max((len(m.group(0)) for m in _RUN_OF_BACKTICKS.finditer(value)), default=0)
    fence = "`" * (longest + 1)
    if not value:
        return "` `"
    # A span that starts or ends with a backtick needs a space of padding; one that
    # starts and ends with a space would lose one on each side, so pad it too.
    if value[0] == "`" or value[-1] == "`" or (value[0] == value[-1] == " " and value.strip()):
        value = f" {value} "
    return f"{fence}{value}{fence}"


def text(value: str) -> str:
    """Plain prose: escaped so that it renders exactly as written, as one line."""
    value = visible(value)
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    value = _MD_PUNCT.sub(r"\\\1", value)
    return _LOOSE_UNDERSCORE.sub(r"\\_", value)


def prose(value: str) -> str:
    """Prose that may mark code with single backticks (rule titles, messages).

    Balanced ``\\`...\\``` pairs become safe code spans; everything else is escaped
    as :func:`text`. An unpaired backtick is shown literally.
    """
    parts = visible(value).split("`")
    if len(parts) % 2 == 0:  # an odd number of backticks: the last one is literal
        parts[-2:] = [parts[-2] + "`" + parts[-1]]
    out = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            out.append(text(part))
        elif part:
            out.append(code(part))
        else:
            out.append(r"\`\`")
    return "".join(out)


def cell(value: str) -> str:
    """Prose for a table cell (``|`` is already escaped by :func:`text`)."""
    return text(value)


def where(loc: Location) -> str:
    """```path:line``` plus `` (cell N)`` for notebooks."""
    out = code(location_text(loc))
    if loc.cell is not None:
        out += f" (cell {loc.cell})"
    return out


# ---------------------------------------------------------------------------
# Grouping


@dataclass
class RuleGroup:
    rule_id: str
    findings: list[Finding]
    rule: Rule | None

    @property
    def highest(self) -> Severity:
        return max(f.severity for f in self.findings)

    @property
    def count(self) -> int:
        return len(self.findings)

    @property
    def title(self) -> str:
        return self.rule.title if self.rule is not None else self.findings[0].title

    @property
    def recommendation(self) -> str:
        if self.rule is not None and self.rule.recommendation:
            return self.rule.recommendation
        for f in self.findings:
            if f.recommendation:
                return f.recommendation
        return f"Review and fix: {self.title}."


def _loc_key(f: Finding) -> tuple:
    loc = f.location
    return (loc.path, loc.line, loc.cell or 0, loc.column, f.message)


def group_by_rule(findings: Iterable[Finding], rules: Mapping[str, Rule]) -> list[RuleGroup]:
    """One group per rule, highest severity first, then most occurrences, then id."""
    by_id: dict[str, list[Finding]] = {}
    for f in findings:
        by_id.setdefault(f.rule_id, []).append(f)
    groups = [RuleGroup(rid, sorted(fs, key=_loc_key), rules.get(rid)) for rid, fs in by_id.items()]
    groups.sort(key=lambda g: (-g.highest, -g.count, g.rule_id))
    return groups


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _was(n: int) -> str:
    return "was" if n == 1 else "were"


def occurrences(group: RuleGroup) -> str:
    """``(N occurrences: `a.py:3`, `b.py:9`, and N more)``."""
    shown = [where(f.location) for f in group.findings[:MAX_LOCATIONS]]
    rest = group.count - len(shown)
    if rest:
        shown.append(f"and {rest} more")
    return f"({_plural(group.count, 'occurrence')}: {', '.join(shown)})"


# ---------------------------------------------------------------------------
# Sections


def finding_item(f: Finding) -> list[str]:
    """``- [ ] SEVERITY: Title: message (`path:line`) [RULE-ID]`` and its taint path."""
    lines = [
        f"- [ ] {f.severity.name}: {prose(f.title)}: {prose(f.message)} "
        f"({where(f.location)}) [{text(f.rule_id)}]"
    ]
    for step in f.taint_path:
        lines.append(f"  - {where(step.location)} {prose(step.description)}")
    if f.reasons:
        lines.append(f"  - severity: {prose('; '.join(f.reasons))}")
    return lines


PRODUCTION_HEADING = "### Production Engineering Issues"


def _production_section(groups: list[RuleGroup]) -> list[str]:
    """Production-engineering findings by theme (resource management, error handling,
    state management), one line per rule; each finding is also listed by severity above."""
    from redline.report.themes import theme_of, theme_order

    lines = [PRODUCTION_HEADING, ""]
    chosen = [g for g in groups if g.findings[0].area is Area.PRODUCTION]
    for title in theme_order():
        for g in chosen:
            if theme_of(g.rule_id) == title:
                lines.append(
                    f"- **{text(title)}**: {g.highest.name}: {prose(g.title)} {occurrences(g)} [{text(g.rule_id)}]"
                )
    if not chosen:
        lines.append(NONE_FOUND)
    lines.append("")
    return lines


def _severity_section(findings: list[Finding], severity: Severity) -> list[str]:
    lines = [SECTION_HEADINGS[severity], ""]
    chosen = [f for f in findings if f.severity == severity]
    if not chosen:
        lines.append(NONE_FOUND)
    for f in chosen:
        lines.extend(finding_item(f))
    lines.append("")
    return lines


def _summary_sentence(result: ScanResult) -> str:
    v = verdict(result)
    gate = gate_label(result)
    n = len(result.findings)
    if v.code == "blocked" and not result.gate_failed():
        critical = sum(1 for f in result.findings if f.severity is Severity.CRITICAL)
        gate_note = "the severity gate is disabled" if result.fail_on is None else f"the {gate} gate is not reached"
        tail = (
            f"{_plural(critical, 'critical finding')} must be resolved before any production "
            f"deployment ({gate_note}, so the exit code does not fail)."
        )
    elif v.code == "blocked":
        assert result.fail_on is not None
        at_gate = sum(1 for f in result.findings if f.severity >= result.fail_on)
        tail = (
            f"{_plural(at_gate, 'finding')} at or above the {gate} gate must be resolved "
            "before any production deployment."
        )
    elif v.code == "caution":
        if result.fail_on is None:
            tail = (
                f"{_plural(n, 'finding')} and the severity gate is disabled; "
                "review every finding before deploying."
            )
        else:
            tail = (
                f"{_plural(n, 'finding')}, none at or above the {gate} gate; "
                "review them and schedule fixes."
            )
    elif v.code == "incomplete":
        tail = (
            "no findings in the files that were analysed, but "
            f"{_plural(len(result.parse_failures), 'file')} could not be parsed; "
            "this scan is not a clearance until every unparsed file is reviewed."
        )
    else:
        tail = f"no findings in the {_plural(result.files_scanned, 'file')} analysed."
    return f"**{v.headline}** - {tail}"


def _area_table(findings: list[Finding]) -> list[str]:
    if not findings:
        return ["No findings in any area."]
    sevs = severities_desc()
    counts: dict[Area, dict[Severity, int]] = {}
    for f in findings:
        counts.setdefault(f.area, {s: 0 for s in sevs})[f.severity] += 1
    header = "| # | Area | " + " | ".join(s.name.title() for s in sevs) + " | Total |"
    align = "|--:|:-----|" + "--:|" * len(sevs) + "--:|"
    lines = [header, align]
    for area in sorted(counts, key=lambda a: a.number):
        row = counts[area]
        cells = " | ".join(str(row[s]) for s in sevs)
        lines.append(f"| {area.number} | {cell(area.label)} | {cells} | {sum(row.values())} |")
    totals = " | ".join(str(sum(1 for f in findings if f.severity == s)) for s in sevs)
    lines.append(f"| | **Total** | {totals} | {len(findings)} |")
    return lines


def _executive_summary(result: ScanResult, groups: list[RuleGroup]) -> list[str]:
    v = verdict(result)
    highest = result.highest()
    counts = result.counts()
    lines = [
        "# Security Review",
        "",
        f"Generated by redline {text(__version__)} for {code(result.root)}.",
        "",
        "## Executive Summary",
        "",
        _summary_sentence(result),
        "",
    ]
    if not v.complete:
        lines += [
            f"> **Review incomplete**: {_plural(len(result.parse_failures), 'file')} could not "
            f"be parsed and {_was(len(result.parse_failures))} not analysed (see Skipped Files).",
            "",
        ]
    gate = (
        f"fails on {result.fail_on.name} or above"
        if result.fail_on is not None
        else "disabled (no severity fails the scan)"
    )
    kinds = ", ".join(f"{text(k)}: {n}" for k, n in sorted(result.files_by_kind.items()))
    count_text = ", ".join(f"{counts[s]} {s.name.lower()}" for s in severities_desc())
    lines += [
        f"- **Risk Level**: **{highest.name if highest is not None else 'NONE'}**"
        + ("" if v.complete else " (review incomplete)"),
        f"- **Gate**: {gate}",
        f"- **Files scanned**: {result.files_scanned}" + (f" ({kinds})" if kinds else ""),
        f"- **Findings**: {len(result.findings)} ({count_text})",
        f"- **Suppressed inline**: {result.suppressed_count}",
        f"- **Rules run**: {len(result.rules_run)}",
        "",
        "### Findings by Area",
        "",
        *_area_table(result.findings),
        "",
    ]
    if groups:
        lines += ["### Top Issues", ""]
        for i, g in enumerate(groups[:MAX_TOP_ISSUES], 1):
            first = where(g.findings[0].location)
            lines.append(
                f"{i}. **{g.highest.name}** {prose(g.title)} [{text(g.rule_id)}]: "
                f"{_plural(g.count, 'occurrence')}, first at {first}"
            )
        if len(groups) > MAX_TOP_ISSUES:
            lines.append("")
            lines.append(f"... and {_plural(len(groups) - MAX_TOP_ISSUES, 'more rule')}.")
        lines.append("")
    return lines


def _recommendations(result: ScanResult, groups: list[RuleGroup]) -> list[str]:
    lines = ["### Recommendations", ""]
    items = [f"{prose(g.recommendation)} {occurrences(g)} [{text(g.rule_id)}]" for g in groups]
    failures = result.parse_failures
    if failures:
        items.append(
            f"Fix or review by hand the {_plural(len(failures), 'file')} that could not be "
            f"parsed ({_was(len(failures))} not analysed), then scan again."
        )
    if not items:
        items.append(
            "No security issues were found in the analysed files; keep this scan in CI "
            "so that regressions are caught."
        )
    lines += [f"{i}. {item}" for i, item in enumerate(items, 1)]
    lines.append("")
    return lines


def _phase(title: str, items: list[str], empty: str) -> list[str]:
    lines = [title, ""]
    lines += [f"{i}. {item}" for i, item in enumerate(items or [empty], 1)]
    lines.append("")
    return lines


def _action_plan(result: ScanResult, groups: list[RuleGroup]) -> list[str]:
    def fix(g: RuleGroup) -> str:
        return (
            f"Fix {prose(g.title)} [{text(g.rule_id)}]: "
            f"{_plural(g.count, 'occurrence')}, highest {g.highest.name}"
        )

    urgent = [fix(g) for g in groups if g.highest >= Severity.HIGH]
    if result.parse_failures:
        urgent.insert(
            0,
            f"Resolve the {_plural(len(result.parse_failures), 'parse failure')} and re-run "
            "the scan; the review is incomplete until then",
        )
    hardening = [fix(g) for g in groups if g.highest < Severity.HIGH]
    ours = sum(1 for s in result.foreign_suppressions if s.tool == "redline")
    others = len(result.foreign_suppressions) - ours
    if result.foreign_suppressions:
        counted = [
            *([_plural(ours, "redline suppression comment")] if ours else []),
            *([_plural(others, "suppression comment") + " for other tools"] if others else []),
        ]
        hardening.append(
            f"Review the {' and '.join(counted)} (see the Suppression Review) and document a "
            "justification for each, or remove it"
        )
    testing = []
    if result.findings:
        testing.append("Add a regression test (vulnerable and safe case) for every fixed finding")
    if any(f.taint_path for f in result.findings):
        testing.append(
            "Drive attacker-controlled input along each reported taint path and assert that "
            "it is rejected or sanitised"
        )
    risky_areas = {Area.CODE_EXECUTION, Area.INJECTION, Area.LLM, Area.SERIALIZATION}
    if any(f.area in risky_areas and f.severity >= Severity.HIGH for f in result.findings):
        testing.append(
            "Fuzz and penetration-test the flagged execution, injection, deserialization and "
            "prompt paths, treating model output and tool arguments as hostile"
        )
    if result.fail_on is not None:
        testing.append(
            f"Run redline in CI with the {result.fail_on.name} gate so new findings block merges"
        )
    else:
        testing.append("Enable a severity gate (HIGH or stricter) for redline in CI")
    return [
        "### Action Plan",
        "",
        *_phase(
            "#### Phase 1: Critical and High-Risk Fixes (URGENT)",
            urgent,
            "No critical or high-risk fixes required",
        ),
        *_phase(
            "#### Phase 2: Medium-Risk Fixes and Hardening",
            hardening,
            "No medium-risk or hardening items",
        ),
        *_phase("#### Phase 3: Security Testing", testing, ""),
    ]


def _suppression_review(result: ScanResult) -> list[str]:
    from redline.suppression_text import describe

    ordered = sorted(result.foreign_suppressions, key=lambda s: (s.path, s.line, s.tool, s.text))
    ours = [s for s in ordered if s.tool == "redline"]
    lines = [
        "### Suppression Review",
        "",
        f"- Findings suppressed by redline's own comments: {result.suppressed_count}",
        f"- Suppression comments for other tools (`# nosec`, `# noqa`, `# nosemgrep`, "
        f"`# pragma: allowlist secret`): {len(ordered) - len(ours)}. They do not hide redline "
        "findings; each one should carry a justification.",
        "",
    ]
    if ordered:
        lines += ["Every suppression comment, with what it silences and what redline finds there:", ""]
    for s in ordered:
        silenced, why = describe(s.tool, s.text)
        found = ", ".join(_with_severity(result, s, r) for r in s.hides)
        if s.tool == "redline":
            finds = f"suppresses {found}" if found else "suppresses nothing"
        else:
            finds = f"redline finds {found}" if found else "redline finds nothing"
        reason = f"justification: {text(why)}" if why else "**no justification**"
        where_ = code(f"{s.path}:{s.line}")
        lines.append(f"- {where_} {text(s.tool)} {code(s.text)}: silences {text(silenced)}; {reason}; {finds}")
    if ordered:
        lines.append("")
    return lines


def _with_severity(result: ScanResult, s, rule_id: str) -> str:
    """``RULE (SEVERITY)`` for a finding on the suppression's statement; the bare id when
    redline does not report it (a suppressed finding)."""
    levels = [
        f.severity
        for f in result.findings
        if f.rule_id == rule_id
        and f.location.path == s.path
        and (f.location.line == s.line or f.stmt_start - (1 if s.standalone else 0) <= s.line <= f.stmt_end)
    ]
    return f"{text(rule_id)} ({max(levels).name})" if levels else text(rule_id)


def _dependency_audit(result: ScanResult) -> list[str]:
    audit = result.dependencies
    if audit is None:
        return []
    if not audit.manifests and not audit.environments:
        return ["### Dependency Audit", "", "- No dependency manifest (requirements, pyproject.toml, lock file) was found.", ""]
    if audit.data_source:
        dated = f", dated {text(audit.data_date)}" if audit.data_date else ", date unknown"
        data = f"{text(audit.data_source)}{dated} ({audit.advisories_loaded} advisories read)"
    else:
        data = "none"
    manifests = ", ".join(code(m) for m in audit.manifests)
    lines = ["### Dependency Audit", "", f"- **Advisory data**: {data}"]
    if audit.data_note:
        lines.append(f"- **Note**: {prose(audit.data_note)}")
    lines += [
        f"- **Pinning policy**: {text(audit.policy)}: {text(audit.policy_reason)}",
        f"- **Manifests read**: {len(audit.manifests)}" + (f" ({manifests})" if manifests else ""),
        f"- **Packages named**: {audit.packages}",
    ]
    if audit.environments:
        lines.append("- **Installed environments read**: " + ", ".join(code(e) for e in audit.environments))
    if audit.requires_python:
        lines.append(f"- **Supported Pythons** (environment markers judged for): {code(audit.requires_python)}")
    if audit.not_installed:
        lines.append(f"- **Not installed on any supported Python** ({len(audit.not_installed)}, not audited):")
        lines += [f"  - {code(n)}" for n in audit.not_installed[:20]]
        if len(audit.not_installed) > 20:
            lines.append(f"  - ... and {len(audit.not_installed) - 20} more")
    lines += [
        "",
        "#### Critical Dependencies",
        "",
        "| Package | Why it matters | Version | Pin | Advisories |",
        "|:--|:--|:--|:--|:--|",
    ]
    for c in audit.critical:
        if not c.found:
            lines.append(f"| {cell(c.name)} | {cell(c.reason)} | not used | - | - |")
            continue
        version = cell(c.version) if c.version else "range (not pinned)"
        pin = f"{_cell_code(c.pin)} ({_cell_code(c.location)})"
        if c.advisories:
            advisories = ", ".join(cell(a) for a in c.advisories)
        else:
            advisories = "none known" if audit.data_source else "not checked (no advisory data)"
        lines.append(f"| {cell(c.name)} | {cell(c.reason)} | {version} | {pin} | {advisories} |")
    lines.append("")
    lines += _vulnerable_packages(result)
    if audit.errors:
        lines += ["Dependency data that could not be read:", ""]
        lines += [f"- {text(e)}" for e in audit.errors[:20]]
        if len(audit.errors) > 20:
            lines.append(f"- ... and {len(audit.errors) - 20} more")
        lines.append("")
    return lines


def _vulnerable_packages(result: ScanResult) -> list[str]:
    """One table per dependency finding with advisories: every advisory, one a row."""
    findings = sorted(
        (f for f in result.findings if f.advisories),
        key=lambda f: (f.location.path, f.location.line, f.rule_id),
    )
    if not findings:
        return []
    lines = ["#### Vulnerable Dependencies", ""]
    for f in findings:
        n = len(f.advisories)
        what = _cell_code(f.snippet.strip()) if f.snippet.strip() else "dependency"
        lines += [
            f"##### {what} at {where(f.location)}: {n} {'advisory' if n == 1 else 'advisories'} ({text(f.rule_id)}, {f.severity.name})",
            "",
            "| Advisory | Aliases | Severity | Affected | Fixed in | Summary |",
            "|:--|:--|:--|:--|:--|:--|",
        ]
        lines += [_advisory_row(a) for a in f.advisories]
        lines.append("")
    return lines


def _advisory_row(a: AdvisoryRef) -> str:
    url = safe_url(a.url)
    ident = f"[{cell(a.id)}]({url})" if url else cell(a.id)
    aliases = ", ".join(cell(x) for x in a.aliases) or "-"
    affected = _cell_code(a.affected) if a.affected else "-"
    fixed = _cell_code(a.fixed) if a.fixed else "no fix published"
    return f"| {ident} | {aliases} | {cell(advisory_severity(a))} | {affected} | {fixed} | {cell(a.summary) or '-'} |"


def _cell_code(value: str) -> str:
    """A code span inside a table cell: GitHub splits cells on any unescaped ``|``."""
    return code(value).replace("|", "\\|")


def _skipped(result: ScanResult) -> list[str]:
    lines = ["### Skipped Files", ""]
    if not result.skipped:
        lines.append("- None.")
    for s in sorted(result.skipped, key=lambda s: (not s.parse_failure, s.path, s.reason)):
        flag = "**parse failure**: " if s.parse_failure else ""
        lines.append(f"- {code(s.path)}: {flag}{text(s.reason)}")
    lines.append("")
    return lines


def render(result: ScanResult, rules: Mapping[str, Rule]) -> str:
    """Render ``result`` as the Markdown review report."""
    findings = sorted(result.findings, key=lambda f: (f.sort_key(), f.fingerprint))
    groups = group_by_rule(findings, rules)
    lines = _executive_summary(result, groups)
    lines += ["## Security Analysis Report", ""]
    for severity in (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM):
        lines += _severity_section(findings, severity)
    lines += _recommendations(result, groups)
    lines += _severity_section(findings, Severity.LOW)
    lines += _production_section(groups)
    lines += _action_plan(result, groups)
    lines += _dependency_audit(result)
    lines += _suppression_review(result)
    lines += _skipped(result)
    return "\n".join(lines).rstrip("\n") + "\n"
