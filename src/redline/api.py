"""redline's Python API: scan a project (or one unsaved document in it) and read the result.

What the command line uses, and what an editor integration or a script can rely on::

    from redline import api

    config = api.load_config("path/to/project")          # its [tool.redline] settings
    result = api.scan(["path/to/project"], config)       # a redline.model.ScanResult
    for finding in result.findings:
        print(finding.severity.name, finding.location.path, finding.location.line, finding.title)
    print(api.render(result, "sarif"))                    # markdown, json, sarif, html

    # An editor's unsaved buffer, analysed with the rest of the project (through the
    # result cache, so only what the edit reaches is analysed again):
    result = api.scan(["path/to/project"], config, documents={"path/to/project/app/tools.py": text})
    mine = api.findings_in(result, "path/to/project/app/tools.py")

Nothing here imports or runs the scanned code, and every finding's secrets are masked as
in the reports. Bad input raises ``api.Error`` (an unknown rule, a missing path, a
malformed configuration); a file that cannot be analysed is reported in
``result.skipped`` and the scan goes on.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from redline import config as config_mod
from redline.config import Config, ConfigError
from redline.model import Finding, Rule, ScanResult

__all__ = [
    "Config",
    "Error",
    "Finding",
    "Rule",
    "ScanResult",
    "configured",
    "explain",
    "findings_in",
    "load_config",
    "render",
    "reported_path",
    "rule",
    "rules",
    "scan",
]

FORMATS = ("markdown", "json", "sarif", "html")


class Error(ValueError):
    """Input the API cannot work with; the message says what and where, on one line."""


def load_config(root: str | os.PathLike[str], config_file: str | os.PathLike[str] | None = None) -> Config:
    """The settings for a project: ``config_file`` if given, else the nearest
    ``pyproject.toml`` ``[tool.redline]`` or ``redline.toml`` at or above ``root``, else
    the defaults."""
    try:
        return config_mod.load(Path(root), Path(config_file) if config_file is not None else None)
    except ConfigError as exc:
        raise Error(str(exc)) from None


def scan(
    paths: Iterable[str | os.PathLike[str]],
    config: Config | None = None,
    *,
    select: Iterable[str] = (),
    ignore: Iterable[str] = (),
    threat_models: Iterable[str] = (),
    documents: Mapping[str | os.PathLike[str], str] | None = None,
    use_cache: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ScanResult:
    """Scan ``paths`` (files or directories; reported relative to their common
    directory) with ``config`` (default: the project's, ``load_config``).

    ``select`` / ``ignore``: rule ids, prefixes or areas, as on the command line (they
    replace the configuration's selection / add to its ignores); ``threat_models``: more
    threat models than the configuration's. ``documents``: path -> text to analyse
    instead of what is on disk (an unsaved buffer; never stored in the cache as the
    file's result). ``progress(done, total)`` is called as files are analysed."""
    from redline.scan import ScanOptions, run_scan, scan_root

    roots = [Path(p) for p in paths] or [Path(".")]
    for p in roots:
        if not p.exists() and not p.is_symlink():
            raise Error(f"{p}: no such file or directory")
    if jobs is not None and jobs < 1:
        raise Error("jobs must be at least 1")
    if config is None:
        config = load_config(scan_root(roots))
    config = configured(config, select=select, ignore=ignore, threat_models=threat_models)
    options = ScanOptions(
        jobs=jobs,
        cache_dir=Path(cache_dir) if cache_dir is not None else None,
        use_cache=use_cache,
        documents={os.fspath(p): text for p, text in documents.items()} if documents else None,
    )
    return run_scan(roots, config, options, progress)


def configured(
    config: Config,
    *,
    select: Iterable[str] = (),
    ignore: Iterable[str] = (),
    threat_models: Iterable[str] = (),
    sources: tuple[str, str] = ("select/ignore", "threat_models"),
) -> Config:
    """``config`` with a rule selection, more ignored rules and more threat models
    (``sources``: what an error calls the selectors and the threat models)."""
    select, ignore, extra = tuple(select), tuple(ignore), tuple(threat_models)
    try:
        for selector in (*select, *ignore):
            config_mod.validate_selector(selector, sources[0])
        if extra:
            models = config_mod.parse_threat_models(extra, sources[1])
            config = dataclasses.replace(config, threat_models=tuple(dict.fromkeys(config.threat_models + models)))
    except ConfigError as exc:
        raise Error(str(exc)) from None
    return config.with_overrides(select=select or None, ignore=(config.ignore + ignore) if ignore else None)


def reported_path(result: ScanResult, path: str | os.PathLike[str]) -> str:
    """How ``result`` names a file given as a path on disk (or as reported)."""
    from redline.discovery import real_parent

    if not os.path.isabs(result.root):
        return os.fspath(path).replace(os.sep, "/")
    # the walk names files through the root's real directories
    return os.path.relpath(real_parent(path), os.path.realpath(result.root)).replace(os.sep, "/")


def findings_in(result: ScanResult, path: str | os.PathLike[str]) -> list[Finding]:
    """The findings located in one file (given as a path on disk, or as reported)."""
    rel = reported_path(result, path)
    return [f for f in result.findings if f.location.path == rel]


def render(result: ScanResult, fmt: str) -> str:
    """The report in one of ``FORMATS``, as the command line writes it."""
    from redline.report import render_text
    from redline.rules import registry

    if fmt not in FORMATS:
        raise Error(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
    return render_text(fmt, result, {r.id: r for r in registry.all_rules()})


def rules() -> list[Rule]:
    """Every rule, in id order."""
    from redline.rules import registry

    return sorted(registry.all_rules(), key=lambda r: r.id)


def rule(rule_id: str) -> Rule:
    """One rule by id."""
    from redline.rules import registry

    found = registry.get(rule_id)
    if found is None:
        raise Error(f"unknown rule {rule_id!r} (see `redline rules`)")
    return found


def explain(rule_id: str) -> str:
    """A rule's documentation as Markdown: what it finds, why it matters, an example,
    what to use instead, the recommendation and references."""
    r = rule(rule_id)
    d = r.doc
    parts = [
        f"# {r.id} {r.name}: {r.title}",
        "",
        f"Area: {r.area.label} ({r.area.slug})  Severity: {r.severity.name}  "
        f"Confidence: {r.confidence.name}  {r.cwe_id or ''}".rstrip(),
        "",
        "## What it finds",
        d.what,
        "",
        "## Why it matters",
        d.why,
        "",
        "## Example",
        "```python",
        d.example.rstrip(),
        "```",
        "",
        "## Use instead",
        "```python",
        d.use_instead.rstrip(),
        "```",
        "",
        "## Recommendation",
        r.recommendation,
    ]
    if d.references:
        parts += ["", "## References", *(f"- {ref}" for ref in d.references)]
    return "\n".join(parts) + "\n"
