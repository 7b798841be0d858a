"""The project-level part of checklist area 10, run once after the per-file
analysis: the dependency audit and the suppression review against the final
findings."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from redline import suppress
from redline.config import Config
from redline.deps import audit
from redline.discovery import SourceFile
from redline.model import DependencyAudit, ScanResult, SkippedFile


def audit_project(
    result: ScanResult,
    files: Iterable[SourceFile],
    root: Path,
    config: Config,
    enabled: frozenset[str],
) -> None:
    """Add the dependency findings, the dependency section and the suppression
    review's findings to ``result``."""
    if enabled & audit.DEPENDENCY_RULES:
        settings = audit.AuditSettings(
            vuln_db=Path(config.vuln_db) if config.vuln_db else None,
            online=config.online,
            online_timeout=config.online_timeout,
            critical=config.critical_dependencies,
            policy=config.dependency_policy,
            environments=tuple(Path(e) for e in config.environments),
        )
        try:
            outcome = audit.run(((f.path, f.rel, f.kind) for f in files), root, settings, enabled)
        except Exception as exc:  # a bug here must not hide the rest of the review
            reason = f"internal error in the dependency audit: {type(exc).__name__}: {exc}"
            result.skipped.append(SkippedFile("<dependencies>", reason, parse_failure=True))
            result.dependencies = DependencyAudit("none", reason, None, None, data_note=reason)
        else:
            result.findings.extend(outcome.findings)
            result.dependencies = outcome.audit
            result.suppressed_count += outcome.suppressed
    reviewed, meta = suppress.review(result.findings, result.foreign_suppressions, enabled)
    for f in meta:
        f.severity = config.severity.get(f.rule_id, f.severity)
    result.foreign_suppressions = reviewed
    result.findings.extend(meta)
