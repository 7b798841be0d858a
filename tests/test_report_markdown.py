"""The Markdown report: checklist format, verdicts, grouping and escaping."""

from __future__ import annotations

import random
import re

import pytest

from redline.model import Severity
from redline.report import markdown

import report_samples as samples

ITEM = re.compile(
    r"^- \[ \] (?P<sev>CRITICAL|HIGH|MEDIUM|LOW): (?P<title>.+?): (?P<msg>.+) "
    r"\((?P<fence>`+) ?(?P<path>.+?):(?P<line>\d+) ?(?P=fence)(?: \(cell (?P<cell>\d+)\))?\) "
    r"\[(?P<rule>[A-Z]+\d+)\]$"
)
TAINT_STEP = re.compile(r"^  - (?P<fence>`+)(?P<path>[^`]+):(?P<line>\d+)(?P=fence) \S.*$")
CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")

CHECKLIST_SECTIONS = [
    ("### Critical Vulnerabilities", "CRITICAL"),
    ("### High-Risk Findings", "HIGH"),
    ("### Medium-Risk Issues", "MEDIUM"),
]
EXPECTED_HEADINGS = [
    "# Security Review",
    "## Executive Summary",
    "### Findings by Area",
    "### Top Issues",
    "## Security Analysis Report",
    "### Critical Vulnerabilities",
    "### High-Risk Findings",
    "### Medium-Risk Issues",
    "### Recommendations",
    "### Low-Risk and Production Engineering Items",
    "### Production Engineering Issues",
    "### Action Plan",
    "#### Phase 1: Critical and High-Risk Fixes (URGENT)",
    "#### Phase 2: Medium-Risk Fixes and Hardening",
    "#### Phase 3: Security Testing",
    "### Suppression Review",
    "### Skipped Files",
]


def render(result=None) -> str:
    return markdown.render(result or samples.full_result(), samples.RULES)


def section(md: str, heading: str) -> list[str]:
    """The lines under ``heading`` up to the next heading, without blank lines."""
    lines = md.splitlines()
    start = lines.index(heading) + 1
    out = []
    for line in lines[start:]:
        if line.startswith("#"):
            break
        if line.strip():
            out.append(line)
    return out


def outside_code(md: str) -> str:
    return CODE_SPAN.sub("", md)


# --- structure --------------------------------------------------------------


def test_headings_in_order_and_nothing_else_is_a_heading():
    headings = [line for line in render().splitlines() if line.startswith("#")]
    assert headings == EXPECTED_HEADINGS


def test_checklist_block_is_verbatim_shape():
    md = render()
    lines = md.splitlines()
    i = lines.index("## Security Analysis Report")
    assert lines[i + 1] == ""
    assert lines[i + 2] == "### Critical Vulnerabilities"
    assert lines[i + 3] == ""
    assert lines[i + 4].startswith("- [ ] CRITICAL: ")
    # The checklist's sections come straight after each other, Recommendations last.
    order = [lines.index(h) for h, _ in CHECKLIST_SECTIONS] + [lines.index("### Recommendations")]
    assert order == sorted(order)
    assert md.endswith("\n") and not md.endswith("\n\n")


def test_items_match_format_and_sit_in_their_section():
    md = render()
    result = samples.full_result()
    sections = [*CHECKLIST_SECTIONS, ("### Low-Risk and Production Engineering Items", "LOW")]
    total = 0
    for heading, sev in sections:
        items = [line for line in section(md, heading) if not line.startswith("  ")]
        expected = [f for f in result.findings if f.severity.name == sev]
        assert len(items) == len(expected), heading
        for line in items:
            m = ITEM.match(line)
            assert m, line
            assert m["sev"] == sev
        total += len(items)
    assert total == len(result.findings)


def test_items_sorted_by_sort_key_and_locations_right():
    md = render()
    result = samples.full_result()
    parsed = [ITEM.match(line) for line in md.splitlines() if line.startswith("- [ ] ")]
    got = [(m["rule"], int(m["line"])) for m in parsed]
    want = [
        (f.rule_id, f.location.line) for f in sorted(result.findings, key=lambda f: f.sort_key())
    ]
    assert got == want


def test_item_text_uses_rule_title_and_message():
    md = render()
    assert (
        "- [ ] CRITICAL: Code execution with `eval`: `eval()` on tainted `expr` "
        "(`app/tools.py:31`) [EXEC001]"
    ) in md.splitlines()


def test_notebook_cell_location():
    lines = [
        line for line in render().splitlines() if "[FS001]" in line and line.startswith("- [ ]")
    ]
    assert len(lines) == 1
    m = ITEM.match(lines[0])
    assert m and m["path"] == "notebooks/explore.ipynb" and m["line"] == "4" and m["cell"] == "3"


def test_taint_path_is_an_indented_sub_list():
    lines = render().splitlines()
    i = next(n for n, line in enumerate(lines) if "(`app/tools.py:31`) [EXEC001]" in line)
    steps = lines[i + 1 : i + 4]
    assert all(TAINT_STEP.match(s) for s in steps), steps
    assert [TAINT_STEP.match(s)["path"] for s in steps] == [
        "app/api.py",
        "app/tools.py",
        "app/tools.py",
    ]
    assert "(source)" in steps[0] and "(sink)" in steps[2]
    assert not lines[i + 4].startswith("  - ")


def test_empty_sections_say_none_found():
    md = render(samples.caution_result())
    assert section(md, "### Critical Vulnerabilities") == ["- None found."]
    assert section(md, "### High-Risk Findings") == ["- None found."]
    assert section(md, "### Medium-Risk Issues")[0].startswith("- [ ] MEDIUM: ")
    md = render(samples.clear_result())
    for heading, _ in CHECKLIST_SECTIONS:
        assert section(md, heading) == ["- None found."]
    assert section(md, "### Low-Risk and Production Engineering Items") == ["- None found."]
    assert section(md, "### Skipped Files") == ["- None."]


# --- executive summary -------------------------------------------------------


def verdict_line(md: str) -> str:
    return section(md, "## Executive Summary")[0]


@pytest.mark.parametrize(
    ("name", "headline", "risk"),
    [
        ("full", "**DEPLOYMENT BLOCKED**", "CRITICAL"),
        ("blocked_incomplete", "**DEPLOYMENT BLOCKED**", "CRITICAL"),
        ("caution", "**DEPLOY WITH CAUTION**", "MEDIUM"),
        ("clear", "**CLEAR TO DEPLOY**", "NONE"),
        ("incomplete", "**REVIEW INCOMPLETE**", "NONE"),
    ],
)
def test_verdict_and_risk_level(name, headline, risk):
    md = render(samples.all_results()[name])
    assert verdict_line(md).startswith(headline + " - ")
    assert re.search(rf"^- \*\*Risk Level\*\*: \*\*{risk}\*\*", md, re.M)
    others = {
        "**DEPLOYMENT BLOCKED**",
        "**DEPLOY WITH CAUTION**",
        "**CLEAR TO DEPLOY**",
        "**REVIEW INCOMPLETE**",
    } - {headline}
    assert not any(o in md for o in others)


def test_parse_failures_always_caveat_and_never_clear():
    for name in ("full", "blocked_incomplete", "incomplete"):
        md = render(samples.all_results()[name])
        assert "> **Review incomplete**: 1 file could not be parsed" in md
        assert "CLEAR TO DEPLOY" not in md
    assert "Review incomplete" not in render(samples.clear_result())
    assert "Review incomplete" not in render(samples.caution_result())


def test_gate_disabled_still_blocks_on_critical_findings():
    """The gate decides the exit code; a CRITICAL finding blocks deployment regardless."""
    result = samples.full_result()
    result.fail_on = None
    md = render(result)
    assert verdict_line(md).startswith(
        "**DEPLOYMENT BLOCKED** - 2 critical findings must be resolved before any production deployment"
    )
    assert "- **Gate**: disabled" in md
    result.findings = [f for f in result.findings if f.severity is not Severity.CRITICAL]
    assert verdict_line(render(result)).startswith("**DEPLOY WITH CAUTION** - ")


def test_gate_and_counts_in_summary():
    md = render()
    assert "- **Gate**: fails on HIGH or above" in md
    assert "- **Files scanned**: 14 (notebook: 1, python: 12, yaml: 1)" in md
    assert "- **Findings**: 14 (2 critical, 3 high, 8 medium, 1 low)" in md
    assert verdict_line(md).startswith(
        "**DEPLOYMENT BLOCKED** - 5 findings at or above the HIGH gate"
    )


def test_area_table_ordered_by_area_number_with_counts():
    rows = [line for line in section(render(), "### Findings by Area") if line.startswith("| ")]
    assert rows[0] == "| # | Area | Critical | High | Medium | Low | Total |"
    body = rows[1:-1]
    numbers = [int(r.split("|")[1]) for r in body]
    assert numbers == sorted(numbers) == [1, 2, 4, 7, 9, 11, 12]
    assert "| 9 | Network Security | 0 | 1 | 6 | 0 | 7 |" in body
    assert "| 2 | Dynamic Code Execution | 2 | 0 | 0 | 0 | 2 |" in body
    assert rows[-1] == "| | **Total** | 2 | 3 | 8 | 1 | 14 |"


def test_top_issues_are_rule_groups():
    items = section(render(), "### Top Issues")
    assert items[0].startswith(
        "1. **CRITICAL** Code execution with `eval` [EXEC001]: 2 occurrences"
    )
    assert items[1].startswith("2. **HIGH** HTTP request without timeout [NET001]: 7 occurrences")
    assert sum(1 for i in items if re.match(r"^\d+\. ", i)) == 5
    assert items[-1] == "... and 2 more rules."


# --- recommendations ---------------------------------------------------------


def test_recommendations_one_per_rule_ordered_and_counted():
    items = section(render(), "### Recommendations")
    assert all(re.match(rf"^{n}\. ", item) for n, item in enumerate(items, 1))
    rule_ids = [re.search(r"\[([A-Z]+\d+)\]$", i)[1] for i in items if re.search(r"\]$", i)]
    # Highest severity first, then most occurrences, then id.
    assert rule_ids == ["EXEC001", "NET001", "CRED001", "SER001", "FS001", "WF001", "OPS001"]
    assert items[0] == (
        "1. Replace `eval()` with `ast.literal_eval` or a safe expression parser. "
        "(2 occurrences: `app/legacy.py:5`, `app/tools.py:31`) [EXEC001]"
    )
    net = items[1]
    assert "(7 occurrences: `app/fetch.py:2`, `svc/m0.py:10`, `svc/m1.py:11`, " in net
    assert net.count("`, `") == 4 and "and 2 more) [NET001]" in net
    assert "(1 occurrence: `notebooks/explore.ipynb:4` (cell 3)) [FS001]" in items[4]
    # A rule without metadata falls back to the finding's recommendation.
    assert items[5].startswith("6. Validate workflow definitions. (1 occurrence:")
    # The parse failure gets its own item, last.
    assert "could not be parsed" in items[-1]


def test_recommendations_when_nothing_found():
    items = section(render(samples.clear_result()), "### Recommendations")
    assert len(items) == 1 and items[0].startswith("1. No security issues were found")


# --- later sections ------------------------------------------------------------


def test_action_plan_follows_severities():
    md = render()
    phase1 = section(md, "#### Phase 1: Critical and High-Risk Fixes (URGENT)")
    phase2 = section(md, "#### Phase 2: Medium-Risk Fixes and Hardening")
    phase3 = section(md, "#### Phase 3: Security Testing")
    assert "parse failure" in phase1[0]
    assert [re.search(r"\[([A-Z]+\d+)\]", p)[1] for p in phase1[1:]] == [
        "EXEC001",
        "NET001",
        "CRED001",
        "SER001",
    ]
    assert any("[FS001]" in p for p in phase2) and any("[OPS001]" in p for p in phase2)
    review = section(md, "### Suppression Review")
    others = int(re.search(r"other tools .*?: (\d+)\.", "\n".join(review))[1])
    # the plan counts the comments the review lists, redline's own apart from other tools'
    assert any(f"{others} suppression comment" in p and "for other tools" in p for p in phase2)
    assert any("taint path" in p for p in phase3)

    md = render(samples.caution_result())
    assert section(md, "#### Phase 1: Critical and High-Risk Fixes (URGENT)") == [
        "1. No critical or high-risk fixes required"
    ]
    assert len(section(md, "#### Phase 2: Medium-Risk Fixes and Hardening")) == 2


def test_suppression_review():
    lines = section(render(), "### Suppression Review")
    assert "- Findings suppressed by redline's own comments: 2" in lines
    assert (
        "- `app/legacy.py:5` bandit `# nosec B307`: silences B307; **no justification**; "
        "redline finds EXEC001 (CRITICAL)"
    ) in lines
    noqa = next(line for line in lines if line.startswith("- `app/util.py:8`"))
    assert noqa.endswith("redline finds nothing")
    assert "<b>" not in outside_code(noqa)


def test_skipped_files_flag_parse_failures():
    lines = section(render(), "### Skipped Files")
    assert lines == [
        "- `broken/bad.py`: **parse failure**: SyntaxError: invalid syntax (line 3)",
        "- `big/data.py`: larger than 1 MiB",
    ]


# --- escaping ------------------------------------------------------------------


def test_no_raw_html_or_control_characters_from_scanned_content():
    md = render()
    bare = outside_code(md)
    assert "<script" not in bare and "<img" not in bare and "<b>" not in bare
    assert "<" not in bare  # (">" starts our own block quote)
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", md)


def test_hostile_path_sits_in_a_longer_fence():
    line = next(line for line in render().splitlines() if "[CRED001]" in line and "- [ ]" in line)
    m = ITEM.match(line)
    assert m, line
    assert m["fence"] == "``"
    assert m["path"] == "a`|<script>alert(1)</script>\\x1b[31m.py"
    # The message's newline is gone, its HTML is entity-escaped, its pipe escaped.
    assert "&lt;img src=x onerror=alert(1)&gt; # not a heading \\|" in m["msg"]


def test_rendered_html_has_no_injected_markup():
    markdown_it = pytest.importorskip("markdown_it")
    md = render()
    html = markdown_it.MarkdownIt("commonmark").enable("table").render(md)
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html
    # Only our own headings exist, and every finding is one list item.
    assert len(re.findall(r"<h[1-6]>", html)) == len(EXPECTED_HEADINGS)
    assert 'href="javascript' not in html


def test_code_span_fences():
    assert markdown.code("plain") == "`plain`"
    assert markdown.code("a`b") == "``a`b``"
    assert markdown.code("``x") == "``` ``x ```"
    assert markdown.code("x`") == "`` x` ``"
    assert markdown.code("line\nbreak") == "`line break`"
    assert markdown.code("") == "` `"


def test_prose_keeps_balanced_code_and_escapes_the_rest():
    assert markdown.prose("use `a|b` not <c>") == "use `a|b` not &lt;c&gt;"
    assert markdown.prose("odd ` tick") == "odd \\` tick"
    assert markdown.prose("*x* _y_ [z]") == "\\*x\\* \\_y\\_ \\[z\\]"


# --- determinism -----------------------------------------------------------------


def test_deterministic_regardless_of_input_order():
    a = samples.full_result()
    b = samples.full_result()
    random.Random(7).shuffle(b.findings)
    b.skipped.reverse()
    b.foreign_suppressions.reverse()
    assert render(a) == render(b)
    assert render(a) == render(samples.full_result())


def test_severity_override_counts_in_its_own_section():
    # NET001's default is MEDIUM; the raised finding appears among HIGH items.
    high = section(render(), "### High-Risk Findings")
    assert any("[NET001]" in line and line.startswith("- [ ] HIGH:") for line in high)
