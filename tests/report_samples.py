"""Hand-built rules and scan results shared by the renderer tests.

Nothing here touches the rule registry or the engine: the renderers take the
rules mapping as an argument, so the tests can run before any rule exists.
"""

from __future__ import annotations

from redline.model import (
    Area,
    Confidence,
    Finding,
    ForeignSuppression,
    Location,
    Rule,
    RuleDoc,
    ScanResult,
    Severity,
    SkippedFile,
    TaintStep,
)

HOSTILE_PATH = "a`|<script>alert(1)</script>\x1b[31m.py"
MARKUP_PATH = "pkg/[bold red]owned[/bold red]\u202e.py"
HOSTILE_MESSAGE = (
    "value reaches <img src=x onerror=alert(1)>\n# not a heading | [link](javascript:x)"
)
HOSTILE_SNIPPET = "eval(data)  # \x1b]0;pwned\x07\x1b[2J\x9b31m\r"


def make_rule(
    rule_id: str,
    title: str,
    area: Area,
    severity: Severity,
    *,
    cwe: int | None = None,
    confidence: Confidence = Confidence.HIGH,
    recommendation: str | None = None,
    references: tuple[str, ...] = (),
) -> Rule:
    return Rule(
        id=rule_id,
        name=title.lower().replace(" ", "-").replace("`", ""),
        title=title,
        area=area,
        severity=severity,
        confidence=confidence,
        cwe=cwe,
        doc=RuleDoc(
            what=f"Finds {title.lower()}.",
            why="Attackers can exploit it.",
            example="bad()\n",
            use_instead="good()\n",
            references=references,
        ),
        recommendation=recommendation or f"Fix {title.lower()}.",
    )


RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        make_rule(
            "EXEC001",
            "Code execution with `eval`",
            Area.CODE_EXECUTION,
            Severity.CRITICAL,
            cwe=95,
            recommendation="Replace `eval()` with `ast.literal_eval` or a safe expression parser.",
            references=("https://cwe.mitre.org/data/definitions/95.html",),
        ),
        make_rule(
            "CRED001",
            "Hardcoded credential",
            Area.CREDENTIALS,
            Severity.HIGH,
            cwe=798,
            recommendation="Load secrets from the environment or a secret manager.",
        ),
        make_rule(
            "SER001",
            "Unsafe deserialization",
            Area.SERIALIZATION,
            Severity.HIGH,
            cwe=502,
            confidence=Confidence.MEDIUM,
            recommendation="Use `json` or `yaml.safe_load` for untrusted data.",
        ),
        make_rule(
            "NET001",
            "HTTP request without timeout",
            Area.NETWORK,
            Severity.MEDIUM,
            cwe=400,
            recommendation="Pass an explicit `timeout=` to every outbound request.",
        ),
        make_rule(
            "FS001",
            "Path traversal",
            Area.FILESYSTEM,
            Severity.MEDIUM,
            cwe=22,
            confidence=Confidence.LOW,
            recommendation="Resolve paths and check they stay under an allowed root.",
        ),
        make_rule(
            "OPS001",
            "Unbounded cache",
            Area.PRODUCTION,
            Severity.LOW,
            recommendation="Bound caches with a maximum size or TTL.",
        ),
    )
}


def finding(
    rule_id: str,
    path: str,
    line: int,
    *,
    severity: Severity | None = None,
    message: str = "problem here",
    column: int = 4,
    cell: int | None = None,
    snippet: str = "x = do_it()",
    taint: tuple[TaintStep, ...] = (),
    area: Area | None = None,
    title: str | None = None,
) -> Finding:
    rule = RULES.get(rule_id)
    return Finding(
        rule_id=rule_id,
        title=title or (rule.title if rule else f"Rule {rule_id}"),
        area=area or (rule.area if rule else Area.WORKFLOWS),
        severity=severity or (rule.severity if rule else Severity.MEDIUM),
        confidence=rule.confidence if rule else Confidence.MEDIUM,
        location=Location(path, line, column, line, column + 8, cell),
        message=message,
        snippet=snippet,
        cwe=rule.cwe if rule else None,
        recommendation=rule.recommendation if rule else "Validate workflow definitions.",
        scope="app.handler",
        taint_path=taint,
        fingerprint=f"fp-{rule_id}-{path}-{line}",
        stmt_start=line,
        stmt_end=line,
    )


TAINT = (
    TaintStep(Location("app/api.py", 10, 8), "`request.json` read here (source)"),
    TaintStep(Location("app/tools.py", 22, 4), "passed as argument `expr`"),
    TaintStep(Location("app/tools.py", 31, 11), "reaches `eval()` (sink)"),
)


def full_result() -> ScanResult:
    """Every severity, several areas, a taint path, a notebook cell, hostile content."""
    findings = [
        finding("EXEC001", "app/tools.py", 31, message="`eval()` on tainted `expr`", taint=TAINT),
        finding("EXEC001", "app/legacy.py", 5, message="`eval()` on a variable"),
        finding("CRED001", HOSTILE_PATH, 3, message=HOSTILE_MESSAGE, snippet=HOSTILE_SNIPPET),
        finding("SER001", MARKUP_PATH, 7, message="[red]pickle.loads[/red] on request body"),
        # A MEDIUM rule raised to HIGH by evidence.
        finding("NET001", "app/fetch.py", 2, severity=Severity.HIGH, message="tainted URL"),
        *[finding("NET001", f"svc/m{i}.py", 10 + i, message="no timeout") for i in range(6)],
        finding("FS001", "notebooks/explore.ipynb", 4, cell=3, message="open() on user path"),
        finding("WF001", "flows/flow.yaml", 12, message="workflow runs a shell step"),
        finding("OPS001", "app/cache.py", 9, message="`functools.lru_cache(maxsize=None)`"),
    ]
    return ScanResult(
        root="/repo",
        findings=findings,
        skipped=[
            SkippedFile("big/data.py", "larger than 1 MiB"),
            SkippedFile(
                "broken/bad.py", "SyntaxError: invalid syntax (line 3)", parse_failure=True
            ),
        ],
        foreign_suppressions=[
            ForeignSuppression("app/legacy.py", 5, "bandit", "# nosec B307", ("EXEC001",)),
            ForeignSuppression("app/util.py", 8, "ruff/flake8", "# noqa: S301 <b>`x`</b>", ()),
        ],
        suppressed_count=2,
        files_scanned=14,
        files_by_kind={"python": 12, "notebook": 1, "yaml": 1},
        rules_run=("CRED001", "EXEC001", "FS001", "NET001", "OPS001", "SER001", "DEP009"),
        fail_on=Severity.HIGH,
    )


def caution_result() -> ScanResult:
    """Findings, none at or above the HIGH gate."""
    return ScanResult(
        root="/repo",
        findings=[
            finding("NET001", "svc/a.py", 3, message="no timeout"),
            finding("OPS001", "svc/b.py", 4, message="unbounded cache"),
        ],
        files_scanned=3,
        files_by_kind={"python": 3},
        rules_run=("NET001", "OPS001"),
        fail_on=Severity.HIGH,
    )


def clear_result() -> ScanResult:
    return ScanResult(
        root="/repo",
        files_scanned=5,
        files_by_kind={"python": 5},
        rules_run=tuple(sorted(RULES)),
        fail_on=Severity.HIGH,
    )


def incomplete_result() -> ScanResult:
    """No findings, but a file could not be parsed: never a clearance."""
    return ScanResult(
        root="/repo",
        skipped=[SkippedFile("broken.py", "SyntaxError: unexpected indent", parse_failure=True)],
        files_scanned=4,
        files_by_kind={"python": 4},
        rules_run=tuple(sorted(RULES)),
        fail_on=Severity.HIGH,
    )


def blocked_incomplete_result() -> ScanResult:
    result = full_result()
    result.findings = [f for f in result.findings if f.severity == Severity.CRITICAL]
    return result


def all_results() -> dict[str, ScanResult]:
    return {
        "full": full_result(),
        "caution": caution_result(),
        "clear": clear_result(),
        "incomplete": incomplete_result(),
        "blocked_incomplete": blocked_incomplete_result(),
    }
