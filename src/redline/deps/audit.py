"""The dependency audit: manifests -> pinning policy -> advisories -> findings and
the report's dependency section. Nothing here touches the network unless
``online`` is set, and a problem with one file or the data never ends the scan."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from redline.deps import environment, markers, osv, osv_api, remedy, store
from redline.deps.collect import read_all
from redline.deps.datafiles import DataError
from redline.deps.model import DECLARED, INSTALLED, LOCKED, REQUIREMENT, Dependency, Manifest
from redline.deps.osv import AdvisoryDB, Match
from redline.deps.versions import specifier
from redline.knowledge import dependencies as knowledge
from redline.model import (
    AdvisoryRef,
    CriticalDependency,
    DependencyAudit,
    Finding,
    Location,
    Severity,
)
from redline.rules import dependencies as rules
from redline.severity import decide
from redline.suppress import parse_ignore

NO_DATA = (
    "No advisory data: known vulnerabilities were not checked. Run `redline db update` "
    "(downloads OSV's PyPI data once), pass `--vuln-db PATH`, or use `--online`."
)
DEPENDENCY_RULES = frozenset({rules.DEP001.id, rules.DEP002.id, rules.DEP003.id, rules.DEP004.id})
MAX_IDS_SHOWN = 4
_USERINFO = re.compile(r"(://)[^/@\s]+@")


@dataclass(frozen=True)
class AuditSettings:
    vuln_db: Path | None = None
    online: bool = False
    online_timeout: float = 20.0
    critical: tuple[str, ...] = ()
    policy: str = "auto"  # auto | application | library
    data_dir: Path | None = None  # where `db update` keeps its data (default: the user cache)
    environments: tuple[Path, ...] = ()  # installed environments to audit (`scan --env`)


@dataclass
class AuditOutcome:
    findings: list[Finding]
    audit: DependencyAudit
    suppressed: int = 0


def mask(text: str) -> str:
    """Credentials in URLs (``https://user:token@host``) never reach a report."""
    return _USERINFO.sub(r"\1****@", text)


# ---------------------------------------------------------------------------
# Policy and data


def decide_policy(manifests: list[Manifest], configured: str) -> tuple[str, str]:
    if configured in ("application", "library"):
        return configured, "set in the configuration (dependency-policy)"
    locks = sorted(m.path for m in manifests if m.is_lock)
    reqs = sorted(m.path for m in manifests if m.fmt == "requirements" and not m.path.endswith(".in"))
    if locks or reqs:
        named = ", ".join((locks + reqs)[:3]) + (" ..." if len(locks) + len(reqs) > 3 else "")
        return "application", f"the project pins what it installs ({named}): every dependency must be pinned exactly"
    declared = sorted(m.path for m in manifests if m.dependencies)
    if declared:
        return "library", (
            f"dependencies are declared ({', '.join(declared[:3])}) with no lock or requirements file: "
            "ranges are expected, unbounded ones are LOW"
        )
    return "none", "no dependency manifest was found"


def load_data(settings: AuditSettings, wanted: set[str], pins: list[tuple[str, str]]) -> tuple[AdvisoryDB | None, str]:
    """The advisory data for this scan and a one-line note (how to get data, or a problem)."""
    db: AdvisoryDB | None = None
    note = ""
    if settings.vuln_db is not None:
        try:
            db = osv.load(settings.vuln_db, wanted)
            db.source = f"{db.source} (--vuln-db)"
        except DataError as exc:
            note = f"advisory data not read: {exc}"
    else:
        found = store.cached(settings.data_dir)
        if found is not None:
            archive, meta = found
            try:
                db = osv.load_zip(archive, wanted, f"OSV PyPI export from {meta.get('source', 'osv.dev')}")
                # The data's date: the export's own date when the server gave one, else
                # the newest record (never the day of the download).
                db.date = str(meta.get("exported") or "")[:10] or db.date
                day = str(meta.get("downloaded", ""))[:10]
                db.source += f", downloaded {day}" if day else ""
            except DataError as exc:
                note = f"advisory data not read: {exc}; run `redline db update` again"
    if settings.online and pins:
        records, error = osv_api.query(pins, settings.online_timeout)
        if error:
            note = "; ".join(x for x in (note, error) if x)
        else:
            online = db or AdvisoryDB("", None)
            for record in records:
                try:
                    adv = osv.advisory(record)
                except DataError as exc:
                    online.errors.append(f"OSV API: {exc}")
                    continue
                if adv is not None:
                    online.add(adv)
            from datetime import date

            online.source = "; ".join(x for x in (online.source, "OSV API (api.osv.dev)") if x)
            online.date = date.today().isoformat()
            db = online
    if db is None and not note:
        note = NO_DATA
    return db, note


# ---------------------------------------------------------------------------
# Findings


def _ids(matches: list[Match]) -> str:
    shown = []
    for m in matches[:MAX_IDS_SHOWN]:
        alias = next((a for a in m.aliases if a.startswith("CVE-")), m.aliases[0] if m.aliases else "")
        shown.append(f"{m.id} ({alias})" if alias else m.id)
    rest = len(matches) - len(shown)
    return ", ".join(shown) + (f" and {rest} more" if rest else "")


def _unfixed(matches: list[Match]) -> str:
    unfixed = [m.id for m in matches if not m.fixed]
    if not unfixed:
        return ""
    rest = len(unfixed) - MAX_IDS_SHOWN
    return f"no fixed version published for {', '.join(unfixed[:MAX_IDS_SHOWN])}" + (f" and {rest} more" if rest > 0 else "")


def _fix_text(db: AdvisoryDB, dep: Dependency, version: str, matches: list[Match]) -> str:
    """What a pinned version should move to."""
    target = remedy.upgrade_target(db, dep.name, version, matches)
    fixes = [m.fixed for m in matches if m.fixed]
    if target is None and fixes:
        target = max(fixes, key=osv._version_key)
    parts = [f"upgrade to {target} or later"] if target else []
    parts.append(_unfixed(matches))
    return "; ".join(p for p in parts if p)


def _range_fix_text(db: AdvisoryDB, dep: Dependency, matches: list[Match]) -> str:
    """What a range should move to: the first fixed version inside it, else the
    lowest bound that excludes every advisory."""
    targets = [t for spec in _alternatives(dep) if (t := remedy.range_target(db, dep.name, spec, matches))]
    inside = [t for t, ok in targets if ok]
    if inside:
        text = f"raise the lower bound to `{inside[0]}` (inside the range)"
    elif targets:
        spec = f"`{dep.specifier}`" if dep.specifier else "the range"
        text = f"no version {spec} allows is clear of them: move to `{targets[0][0]}`"
    else:
        text = ""
    return "; ".join(p for p in (text, _unfixed(matches) if not targets else "") if p)


def _plural(n: int, word: str) -> str:
    return f"{n} known {word}{'y' if n == 1 else 'ies'}"


class _Findings:
    def __init__(self, settings: AuditSettings, enabled: frozenset[str], texts: dict[str, list[str]]) -> None:
        self.settings = settings
        self.enabled = enabled
        self.texts = texts
        self.out: list[Finding] = []
        self.seen: set[tuple[str, int, str]] = set()
        self.suppressed = 0

    def add(
        self, rule, dep: Dependency, severity: Severity, message: str, advisories: tuple[AdvisoryRef, ...] = ()
    ) -> None:
        """A finding rated ``severity`` by the advisories or the policy: the rule's variant
        of that name (redline.severity decides, as for every finding)."""
        key = (dep.path, dep.line, rule.id)
        if rule.id not in self.enabled or key in self.seen:
            return
        self.seen.add(key)
        lines = self.texts.get(dep.path, [])
        raw = lines[dep.line - 1] if 0 < dep.line <= len(lines) else ""
        ignored = parse_ignore(raw)
        if ignored is not None and (not ignored[0] or rule.id in ignored[0]):
            self.suppressed += 1
            return
        evidence = (f"variant:{severity.name.lower()}",)
        decided, confidence, reasons = decide(rule, evidence)
        self.out.append(
            Finding(
                rule_id=rule.id,
                title=rule.title,
                area=rule.area,
                severity=decided,
                confidence=confidence,
                location=Location(dep.path, dep.line),
                message=mask(message),
                snippet=mask(dep.snippet),
                cwe=rule.cwe,
                recommendation=rule.recommendation,
                scope="<dependencies>",
                stmt_start=dep.line,
                stmt_end=dep.line,
                evidence=evidence,
                reasons=reasons,
                advisories=advisories,
            )
        )


def _alternatives(dep: Dependency) -> list:
    out = []
    for text in (dep.specifier or "").split(" || "):
        spec = specifier(text.strip())
        if spec is not None:
            out.append(spec)
    return out


def admitted(db: AdvisoryDB, dep: Dependency) -> list[tuple[Match, str]]:
    found: dict[str, tuple[Match, str]] = {}
    for spec in _alternatives(dep):
        for m, example in db.admitted(dep.name, spec):
            found.setdefault(m.id, (m, example))
    return sorted(found.values(), key=lambda x: (-x[0].severity, osv._preference(x[0].id)))


def judge(
    deps: list[Dependency], policy: str, db: AdvisoryDB | None, sink: _Findings
) -> dict[str, list[Match]]:
    """Report each dependency; returns the advisories of each pinned version (by name)."""
    pinned_names = {d.name for d in deps if d.origin in (LOCKED, INSTALLED) or (d.origin == REQUIREMENT and d.version)}
    application = policy == "application"
    by_version: dict[str, list[Match]] = {}
    for dep in deps:
        if dep.local:
            continue
        label = dep.written
        if dep.url is not None and not dep.url_pinned:
            what = "a commit hash" if "+" in dep.url.split("://", 1)[0] else "a `#sha256=` hash"
            sink.add(
                rules.DEP004, dep, Severity.MEDIUM if application else Severity.LOW,
                f"{label} is installed from `{dep.url}` without {what}; what it installs can change",
            )
        if dep.version is not None:
            if db is None:
                continue
            matches = db.vulnerabilities(dep.name, dep.version)
            by_version.setdefault(dep.name, matches)
            if matches:
                worst = max(m.severity for m in matches)
                basis = next(m.severity_basis for m in matches if m.severity == worst)
                sink.add(
                    rules.DEP001, dep, worst,
                    f"{label} {dep.version} has {_plural(len(matches), 'vulnerabilit')}: {_ids(matches)} "
                    f"(worst {worst.name}, {basis}); {_fix_text(db, dep, dep.version, matches)}",
                    tuple(matches),
                )
            continue
        if dep.url is not None:
            continue
        found = admitted(db, dep) if db is not None else []
        if application and dep.origin == REQUIREMENT and not dep.path.endswith(".in") and dep.name not in pinned_names:
            extra = ""
            if found:
                what = "the range admits" if dep.specifier else "any version may be installed, including"
                extra = f"; {what} versions with {_plural(len(found), 'vulnerabilit')} ({_ids([m for m, _ in found])})"
            spec = f" `{dep.specifier}`" if dep.specifier else ""
            sink.add(
                rules.DEP003, dep, Severity.MEDIUM,
                f"{label}{spec} is not pinned to an exact version (application policy){extra}",
                tuple(m for m, _ in found),
            )
            continue
        if dep.name in pinned_names and application:
            continue  # a lock or requirements pin decides the version
        if found:
            worst = max(m.severity for m, _ in found)
            example = found[0][1]
            spec = dep.specifier or "any version"
            matches = [m for m, _ in found]
            assert db is not None
            sink.add(
                rules.DEP002, dep, worst.lower(),
                f"{label} `{spec}` admits {example}, affected by {_ids(matches)}; {_range_fix_text(db, dep, matches)}",
                tuple(matches),
            )
        elif not application and dep.origin == DECLARED and not dep.specifier:
            sink.add(rules.DEP003, dep, Severity.LOW, f"{label} has no version constraint (library policy)")
    return by_version


def critical_section(
    deps: list[Dependency], names: Iterable[str], db: AdvisoryDB | None, by_version: dict[str, list[Match]]
) -> tuple[CriticalDependency, ...]:
    table = knowledge.critical()
    from redline.deps.model import canonical

    for extra in names:
        table.setdefault(canonical(extra), "listed in the configuration (critical-dependencies)")
    out = []
    rank = {INSTALLED: 0, LOCKED: 1, REQUIREMENT: 2, DECLARED: 3}
    for name, reason in table.items():
        candidates = sorted(
            (d for d in deps if d.name == name),
            key=lambda d: (d.version is None, rank.get(d.origin, 9), d.path, d.line),
        )
        if not candidates:
            out.append(CriticalDependency(name, reason, found=False))
            continue
        dep = candidates[0]
        if dep.version is not None:
            ids = tuple(m.id for m in by_version.get(name, db.vulnerabilities(name, dep.version) if db else []))
        else:
            ids = tuple(m.id for m, _ in admitted(db, dep)) if db is not None else ()
        pin = mask(dep.snippet) or f"{dep.written}{dep.specifier}"
        out.append(
            CriticalDependency(
                dep.written, reason, True, dep.version, pin, f"{dep.path}:{dep.line}", ids
            )
        )
    return tuple(out)


def run(
    files: Iterable[tuple[Path, str, str]], root: Path, settings: AuditSettings, enabled: frozenset[str]
) -> AuditOutcome:
    manifests = read_all(files, root)
    deps, not_installed, python = installed_dependencies(manifests)
    policy, reason = decide_policy(manifests, settings.policy)
    environments, env_errors = [], []
    for env in settings.environments:
        shown = _shown(env, root)
        try:
            installed, count = environment.read(env, shown)
        except environment.EnvironmentError_ as exc:
            env_errors.append(str(exc))
            continue
        deps += installed.dependencies
        env_errors += installed.errors
        environments.append(f"{shown} ({count} distribution{'s' if count != 1 else ''})")
    if policy == "none" and settings.environments:
        policy, reason = "environment", "an installed environment is audited: every distribution's exact version"
    wanted = {d.name for d in deps}
    pins = sorted({(d.name, d.version) for d in deps if d.version and not d.local})
    db, note = load_data(settings, wanted, pins) if (deps or settings.online) else (None, "")
    if not deps and db is None:
        note = ""  # nothing to check: no need to ask for data
    texts = {m.path: _lines(root / m.path) for m in manifests if m.dependencies}
    sink = _Findings(settings, enabled, texts)
    by_version = judge(deps, policy, db, sink)
    errors = [e for m in manifests for e in m.errors] + env_errors
    if db is not None:
        errors += db.errors[:50]
    audit = DependencyAudit(
        policy=policy,
        policy_reason=reason,
        data_source=db.source if db is not None else None,
        data_date=db.date if db is not None else None,
        data_note=note,
        manifests=tuple(f"{m.path} ({m.fmt})" for m in manifests),
        packages=len(wanted),
        advisories_loaded=db.records if db is not None else 0,
        critical=critical_section(deps, settings.critical, db, by_version),
        errors=tuple(mask(e) for e in errors),
        requires_python=python if manifests else "",
        not_installed=tuple(mask(n) for n in not_installed),
        environments=tuple(environments),
    )
    return AuditOutcome(sink.out, audit, sink.suppressed)


METADATA_FORMATS = frozenset({"METADATA", "PKG-INFO", "requires.txt"})


def installed_dependencies(manifests: list[Manifest]) -> tuple[list[Dependency], list[str], str]:
    """The dependencies an install can bring in: those whose environment marker holds
    for some Python the project supports (``requires-python`` of the nearest project
    manifest above, a distribution's own ``Requires-Python``); requirements a
    distribution's metadata repeats from a project manifest of the scan are read once.
    Returns them, the others (one line each) and the project's requires-python as used."""
    declared: dict[str, str] = {}
    for m in manifests:
        if m.requires_python and m.fmt not in METADATA_FORMATS:
            directory = m.path.rsplit("/", 1)[0] if "/" in m.path else ""
            declared.setdefault(directory, m.requires_python)
    default = markers.default_requires_python()
    project_keys = {
        (d.name, d.specifier, d.marker) for m in manifests if m.fmt not in METADATA_FORMATS for d in m.dependencies
    }
    kept: list[Dependency] = []
    skipped: list[str] = []
    for m in manifests:
        own = m.requires_python if m.fmt in METADATA_FORMATS else None
        python = own or _nearest(declared, m.path) or default
        for d in m.dependencies:
            if d.origin == DECLARED and m.fmt in METADATA_FORMATS and (d.name, d.specifier, d.marker) in project_keys:
                continue
            if d.marker and not markers.installed_on(d.marker, python, d.group):
                skipped.append(f"{d.path}:{d.line} {d.written}{d.specifier} ; {d.marker} (requires-python {python})")
                continue
            kept.append(d)
    root = declared.get("") or (next(iter(declared.values())) if len(declared) == 1 else "")
    used = root or f"{default} (not declared)"
    return kept, skipped, used


def _shown(env: Path, root: Path) -> str:
    """An environment's path as reports write it: relative to the scan root inside it."""
    try:
        return env.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return env.resolve().as_posix()


def _nearest(declared: dict[str, str], path: str) -> str | None:
    directory = path.rsplit("/", 1)[0] if "/" in path else ""
    while True:
        if directory in declared:
            return declared[directory]
        if not directory:
            return None
        directory = directory.rsplit("/", 1)[0] if "/" in directory else ""


def _lines(path: Path) -> list[str]:
    try:
        from redline.deps.datafiles import read_text

        return read_text(path).splitlines()
    except DataError:
        return []
