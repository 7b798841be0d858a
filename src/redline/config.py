"""Configuration: ``[tool.redline]`` in pyproject.toml (found from the scan root
upward) or ``.redline.toml``; command-line flags override both.

Every key is validated: an unknown key or a bad value raises ConfigError, which
the CLI turns into a one-line message and exit code 2.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

from redline.model import Area, Severity
from redline.rules import registry
from redline.severity import ALL_THREAT_MODELS, DEFAULT_THREAT_MODELS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class ConfigError(ValueError):
    pass


DEFAULT_MAX_FILE_SIZE = 2_000_000


@dataclass(frozen=True)
class Config:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    severity: dict[str, Severity] = field(default_factory=dict)
    fail_on: Severity | None = Severity.HIGH
    sandbox_files: tuple[str, ...] = ()
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    vuln_db: str | None = None  # OSV data: a directory of records or an all.zip
    critical_dependencies: tuple[str, ...] = ()  # reviewed besides RestrictedPython, litellm, jsonpickle
    dependency_policy: str = "auto"  # auto | application | library
    online: bool = False  # command line only (scan --online): ask the OSV API about pinned versions
    online_timeout: float = 20.0
    environments: tuple[str, ...] = ()  # command line only (scan --env): installed environments to audit
    # Threat models whose sources produce findings besides `remote` (local, library).
    threat_models: tuple[str, ...] = ()
    # "default": the rules of measured precision; "audit": every rule.
    profile: str = "default"
    source: str | None = None  # the file the settings came from

    def active_threat_models(self) -> frozenset[str]:
        return DEFAULT_THREAT_MODELS | frozenset(self.threat_models)

    def with_overrides(self, **changes) -> Config:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def parse_fail_on(text: str) -> Severity | None:
    if text.strip().lower() == "never":
        return None
    try:
        return Severity.parse(text)
    except ValueError:
        raise ValueError(
            f"unknown level {text!r} (expected one of: critical, high, medium, low, never)"
        ) from None


def _section(path: Path, data: dict) -> dict | None:
    """The redline settings in a file: [tool.redline] in pyproject.toml, else top level."""
    if path.name == "pyproject.toml":
        return data.get("tool", {}).get("redline")
    return data


def find_config(start: Path) -> tuple[Path, dict] | None:
    """The nearest .redline.toml or pyproject.toml with [tool.redline], upward from start."""
    start = start.resolve()
    here = start if start.is_dir() else start.parent
    for directory in (here, *here.parents):
        for name in (".redline.toml", "pyproject.toml"):
            candidate = directory / name
            if candidate.is_file():
                section = _section(candidate, _read(candidate))
                if section is not None:
                    return candidate, section
        if (directory / ".git").exists():
            break  # do not pull settings in from outside the repository
    return None


def _read(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None


def load(start: Path, explicit: Path | None = None) -> Config:
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"{explicit}: config file not found")
        found = explicit, _section(explicit, _read(explicit)) or {}
    else:
        found = find_config(start)
        if found is None:
            return Config()
    path, section = found
    return from_mapping(section, str(path))


def load_at_revision(start: Path, ref: str) -> Config:
    """The settings a git revision has for ``start`` (``--gate-from REF``): the nearest
    .redline.toml or pyproject.toml with [tool.redline] in that commit, up to the
    repository's top; the defaults when it has none. Nothing in the working tree counts."""
    from redline import gitdiff

    start = start.resolve()
    here = start if start.is_dir() else start.parent
    try:
        top, commit = gitdiff.revision(here, ref, "--gate-from")
    except gitdiff.DiffError as exc:
        raise ConfigError(str(exc)) from None
    try:
        rel = here.relative_to(top.resolve())
    except ValueError:
        rel = Path(".")
    for directory in (rel, *rel.parents):
        for name in (".redline.toml", "pyproject.toml"):
            path = (directory / name).as_posix()
            data = gitdiff.file_at(top, commit, path)
            if data is None:
                continue
            label = f"{path}@{ref}"
            try:
                parsed = tomllib.loads(data.decode("utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ConfigError(f"{label}: invalid TOML: {exc}") from None
            section = _section(Path(name), parsed)
            if section is not None:
                return from_mapping(section, label, base=top / directory)
    return Config(source=f"defaults@{ref}")


_KEYS = {
    "select", "ignore", "exclude", "severity", "fail-on", "sandbox-files", "max-file-size",
    "vuln-db", "critical-dependencies", "dependency-policy", "threat-models", "profile",
}
PROFILE_NAMES = ("default", "audit")
DEPENDENCY_POLICIES = ("auto", "application", "library")


def from_mapping(data: dict, source: str, base: Path | None = None) -> Config:
    """Settings from a [tool.redline] table; ``base``: the directory relative paths in
    it are relative to (the configuration file's, by default)."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: [tool.redline] must be a table")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise ConfigError(
            f"{source}: unknown key {unknown[0]!r} (known: {', '.join(sorted(_KEYS))})"
        )
    select = _strings(data, "select", source)
    ignore = _strings(data, "ignore", source)
    for sel in (*select, *ignore):
        validate_selector(sel, source)
    severity: dict[str, Severity] = {}
    raw_sev = data.get("severity", {})
    if not isinstance(raw_sev, dict):
        raise ConfigError(f"{source}: 'severity' must be a table of RULE-ID = \"level\"")
    for rule_id, level in raw_sev.items():
        if registry.get(rule_id) is None:
            raise ConfigError(f"{source}: severity: unknown rule id {rule_id!r}")
        if not isinstance(level, str):
            raise ConfigError(f"{source}: severity.{rule_id} must be a string")
        try:
            severity[rule_id.upper()] = Severity.parse(level)
        except ValueError as exc:
            raise ConfigError(f"{source}: severity.{rule_id}: {exc}") from None
    fail_on = Severity.HIGH
    if "fail-on" in data:
        if not isinstance(data["fail-on"], str):
            raise ConfigError(f"{source}: 'fail-on' must be a string")
        try:
            fail_on = parse_fail_on(data["fail-on"])
        except ValueError as exc:
            raise ConfigError(f"{source}: fail-on: {exc}") from None
    max_size = data.get("max-file-size", DEFAULT_MAX_FILE_SIZE)
    if not isinstance(max_size, int) or isinstance(max_size, bool) or max_size <= 0:
        raise ConfigError(f"{source}: 'max-file-size' must be a positive integer (bytes)")
    vuln_db = data.get("vuln-db")
    if vuln_db is not None and (not isinstance(vuln_db, str) or not vuln_db.strip()):
        raise ConfigError(f"{source}: 'vuln-db' must be a path (a directory of OSV records or an all.zip)")
    if vuln_db is not None and not Path(vuln_db).is_absolute():
        vuln_db = str((base or Path(source).parent) / vuln_db)  # relative to the configuration file
    policy = data.get("dependency-policy", "auto")
    if policy not in DEPENDENCY_POLICIES:
        raise ConfigError(f"{source}: 'dependency-policy' must be one of: {', '.join(DEPENDENCY_POLICIES)}")
    return Config(
        select=select,
        ignore=ignore,
        exclude=_strings(data, "exclude", source),
        severity=severity,
        fail_on=fail_on,
        sandbox_files=_strings(data, "sandbox-files", source),
        max_file_size=max_size,
        vuln_db=vuln_db,
        critical_dependencies=_strings(data, "critical-dependencies", source),
        dependency_policy=policy,
        threat_models=parse_threat_models(_strings(data, "threat-models", source), source),
        profile=_profile(data.get("profile", "default"), source),
        source=source,
    )


def _profile(value, source: str) -> str:
    if value not in PROFILE_NAMES:
        raise ConfigError(f"{source}: 'profile' must be one of: {', '.join(PROFILE_NAMES)}")
    return value


def parse_threat_models(names, source: str = "command line") -> tuple[str, ...]:
    """Threat model names (comma-separated items allowed; "all" is every model)."""
    out: list[str] = []
    for item in names:
        for name in item.split(","):
            name = name.strip().lower()
            if not name:
                continue
            if name == "all":
                out.extend(ALL_THREAT_MODELS)
            elif name in ALL_THREAT_MODELS:
                out.append(name)
            else:
                raise ConfigError(
                    f"{source}: unknown threat model {name!r} (expected: {', '.join(ALL_THREAT_MODELS)}, all)"
                )
    return tuple(dict.fromkeys(out))


def _strings(data: dict, key: str, source: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{source}: {key!r} must be a list of strings")
    return tuple(value)


def validate_selector(selector: str, source: str = "command line") -> None:
    if not matching_rules(selector):
        raise ConfigError(f"{source}: {selector!r} is not a rule id, rule prefix or area")


def matching_rules(selector: str) -> set[str]:
    sel = selector.strip()
    rules = registry.all_rules()
    try:
        area = Area.parse(sel)
        return {r.id for r in rules if r.area is area}
    except ValueError:
        pass
    up = sel.upper()
    return {r.id for r in rules if r.id.startswith(up) or r.name == sel.lower()}


def enabled_rules(config: Config) -> frozenset[str]:
    """The rules a scan runs: the profile's (every rule for "audit"), or those selected
    (a rule selected by its own id runs whatever its profile; a prefix or an area
    selects the profile's rules in it), minus the ignored ones."""
    rules = registry.all_rules()
    in_profile = {r.id for r in rules if config.profile == "audit" or r.profile == "default"}
    ids = set(in_profile)
    if config.select:
        ids = set()
        for sel in config.select:
            matched = matching_rules(sel)
            ids |= matched if sel.strip().upper() in matched else matched & in_profile
    for sel in config.ignore:
        ids -= matching_rules(sel)
    return frozenset(ids)
