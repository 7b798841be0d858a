"""The finding model: severities, areas, rule metadata, findings and the scan result.

Everything here is plain data. Analyzers produce it, renderers consume it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Severity(enum.IntEnum):
    """Ordered so that comparisons read naturally: ``CRITICAL > HIGH``."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.name.lower() for s in sorted(cls, reverse=True))
            raise ValueError(f"unknown severity {text!r} (expected one of: {names})") from None

    def lower(self) -> Severity:
        return Severity(max(self.value - 1, Severity.LOW.value))


class Confidence(enum.IntEnum):
    LOW = 1
    MEDIUM = 2
    HIGH = 3


class Area(enum.Enum):
    """Checklist areas 1-10, plus production engineering and workflow definitions."""

    CREDENTIALS = ("credentials", 1, "Credential Management")
    CODE_EXECUTION = ("code-execution", 2, "Dynamic Code Execution")
    INJECTION = ("injection", 3, "Input Validation and Injection")
    SERIALIZATION = ("serialization", 4, "Serialization Security")
    AUTH = ("auth", 5, "Authentication and TLS")
    LLM = ("llm", 6, "LLM Security")
    FILESYSTEM = ("filesystem", 7, "File System")
    VECTOR_STORE = ("vector-store", 8, "Vector Store and Memory")
    NETWORK = ("network", 9, "Network Security")
    DEPENDENCIES = ("dependencies", 10, "Dependencies and Suppressions")
    PRODUCTION = ("production", 11, "Production Engineering")
    WORKFLOWS = ("workflows", 12, "Workflow Definitions")

    def __init__(self, slug: str, number: int, label: str) -> None:
        self.slug = slug
        self.number = number
        self.label = label

    @classmethod
    def parse(cls, text: str) -> Area:
        key = text.strip().lower()
        for area in cls:
            if key in (area.slug, area.name.lower(), str(area.number)):
                return area
        raise ValueError(f"unknown area {text!r}")


@dataclass(frozen=True)
class RuleDoc:
    """The fixed documentation sections of a rule (Ruff-style)."""

    what: str
    why: str
    example: str
    use_instead: str
    references: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule:
    """One source of truth for a rule's metadata."""

    id: str
    name: str
    title: str
    area: Area
    severity: Severity
    confidence: Confidence
    cwe: int | None
    doc: RuleDoc
    recommendation: str
    # "data": the rule finds a dangerous operation whose danger depends on the data it
    # gets; without a proven flow a finding is a review item (see redline.severity).
    # "config": what it finds is dangerous whatever the data.
    basis: str = "config"
    # Named variants whose impact differs from ``severity``: (("write", HIGH), ...).
    variants: tuple[tuple[str, Severity], ...] = ()
    # "default": runs in every scan; "audit": measured precision on real code under 50 %,
    # runs only with `--profile audit` (or when selected by id).
    profile: str = "default"

    @property
    def impacts(self) -> dict[str, Severity]:
        return dict(self.variants)

    @property
    def cwe_id(self) -> str | None:
        return f"CWE-{self.cwe}" if self.cwe else None


@dataclass(frozen=True)
class Location:
    path: str  # relative to the scan root, with forward slashes
    line: int
    column: int = 0
    end_line: int | None = None
    end_column: int | None = None
    cell: int | None = None  # notebook code cell (1-based), when the file is a notebook


def location_dict(loc: Location) -> dict:
    """A location as plain data (the JSON report and the cache share this shape)."""
    return {
        "path": loc.path,
        "line": loc.line,
        "column": loc.column,
        "end_line": loc.end_line,
        "end_column": loc.end_column,
        "cell": loc.cell,
    }


@dataclass(frozen=True)
class TaintStep:
    location: Location
    description: str


@dataclass(frozen=True)
class AdvisoryRef:
    """One published advisory behind a dependency finding, as the reports list it."""

    id: str
    aliases: tuple[str, ...] = ()
    summary: str = ""
    severity: Severity = Severity.MEDIUM
    severity_basis: str = ""  # "CVSS 9.8", "advisory rating HIGH", ...
    cvss: str = ""  # the CVSS vector, when the advisory has one
    score: float | None = None
    affected: str = ""  # the affected interval that holds the version (">=2.2, <2.2.3")
    fixed: str | None = None  # the first version that fixes it (inside the range, for a range)
    url: str = ""


@dataclass
class Finding:
    rule_id: str
    title: str
    area: Area
    severity: Severity
    confidence: Confidence
    location: Location
    message: str
    snippet: str
    cwe: int | None
    recommendation: str
    scope: str = "<module>"
    taint_path: tuple[TaintStep, ...] = ()
    fingerprint: str = ""
    # The statement's line span, used to match suppression comments.
    stmt_start: int = 0
    stmt_end: int = 0
    # What the severity was decided from (redline.severity), and why, in words.
    evidence: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    # Dependency findings: every advisory that applies (the message names only a few).
    advisories: tuple[AdvisoryRef, ...] = ()

    def sort_key(self) -> tuple:
        loc = self.location
        return (-self.severity, loc.path, loc.line, loc.column, self.rule_id, self.message)


@dataclass(frozen=True)
class SkippedFile:
    path: str
    reason: str
    # True when the file should have been analysed but could not be (parse failure);
    # False for deliberate skips (size limit, binary data in a non-source file).
    parse_failure: bool = False


@dataclass(frozen=True)
class ForeignSuppression:
    """A suppression comment kept for review: another tool's (``# nosec``, ``# noqa: S...``,
    ``# nosemgrep``, ``# pragma: allowlist secret``) or redline's own (tool ``redline``)."""

    path: str
    line: int
    tool: str
    text: str
    hides: tuple[str, ...] = ()  # redline rule ids reported on the same statement (suppressed, for redline's own)
    standalone: bool = False  # alone on its line: it applies to the statement below
    worst: str = ""  # severity name of the worst finding in ``hides`` ("" when none)


@dataclass(frozen=True)
class StaleEntry:
    """A baseline entry with fewer current occurrences than it accepts."""

    rule_id: str
    path: str
    scope: str
    code: str
    missing: int  # accepted occurrences no longer found


@dataclass(frozen=True)
class BaselineSummary:
    file: str
    accepted: int  # findings hidden because the baseline accepts them
    stale: tuple[StaleEntry, ...] = ()


@dataclass(frozen=True)
class CriticalDependency:
    """A dependency the report always reviews (RestrictedPython, litellm, jsonpickle, ...)."""

    name: str
    reason: str
    found: bool
    version: str | None = None  # the exact version pinned, locked or installed
    pin: str = ""  # the requirement as written ("" when it is not declared)
    location: str = ""  # path:line of the entry that decides the version
    advisories: tuple[str, ...] = ()  # advisory ids affecting that version (or admitted by the range)


@dataclass
class DependencyAudit:
    """What the dependency audit read and decided (checklist area 10)."""

    policy: str  # "application" | "library" | "none"
    policy_reason: str
    data_source: str | None  # the advisory data that was used; None without data
    data_date: str | None
    data_note: str = ""  # one line: how to get data, or what went wrong reading it
    manifests: tuple[str, ...] = ()  # "path (format)"
    packages: int = 0  # distinct packages named by the manifests
    advisories_loaded: int = 0
    critical: tuple[CriticalDependency, ...] = ()
    errors: tuple[str, ...] = ()  # manifest or advisory data problems, one line each
    # The Pythons markers were judged for (the project's requires-python, or the default).
    requires_python: str = ""
    # Requirements no supported Python installs (their marker never holds), one line each.
    not_installed: tuple[str, ...] = ()
    # Installed environments read (``scan --env``): "PATH (N distributions)".
    environments: tuple[str, ...] = ()


@dataclass
class ScanResult:
    root: str
    findings: list[Finding] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    foreign_suppressions: list[ForeignSuppression] = field(default_factory=list)
    suppressed_count: int = 0
    files_scanned: int = 0
    files_by_kind: dict[str, int] = field(default_factory=dict)
    rules_run: tuple[str, ...] = ()
    duration_s: float = 0.0
    fail_on: Severity | None = Severity.HIGH
    # The ProjectIndex of the scanned modules (for cross-module analysers; not rendered).
    index: object | None = field(default=None, repr=False, compare=False)
    # Set by the dependency audit (manifests, advisory data, critical dependencies).
    dependencies: DependencyAudit | None = None
    # Set by ``scan --baseline``: what the baseline accepted and its stale entries.
    baseline: BaselineSummary | None = None
    # Set by ``scan --diff REF``: only findings on lines changed since REF are kept.
    diff_ref: str | None = None

    @property
    def parse_failures(self) -> list[SkippedFile]:
        return [s for s in self.skipped if s.parse_failure]

    def highest(self) -> Severity | None:
        return max((f.severity for f in self.findings), default=None)

    def gate_failed(self) -> bool:
        if self.fail_on is None:
            return False
        return any(f.severity >= self.fail_on for f in self.findings)

    def counts(self) -> dict[Severity, int]:
        out = {s: 0 for s in sorted(Severity, reverse=True)}
        for f in self.findings:
            out[f.severity] += 1
        return out


def mask_secret(value: str) -> str:
    """The only form in which a secret may appear in any output: 4 characters, then stars."""
    return value[:4] + "*" * 8
