"""The JSON report: a stable, documented document (see ``docs/json-format.md``).

Keys are written in a fixed order and findings in a fixed order, so the same
scan result always renders to the same bytes. Enums are written by name
(``"CRITICAL"``), areas by slug (``"code-execution"``). Additive changes keep
``schema_version`` at ``1.x``; removing or renaming a key bumps the major part.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from redline import __version__
from redline.model import (
    AdvisoryRef,
    Area,
    Finding,
    ForeignSuppression,
    Location,
    Rule,
    ScanResult,
    SkippedFile,
    TaintStep,
    location_dict,
)
from redline.report.common import severities_desc, verdict

SCHEMA_VERSION = "1.1"
TOOL_NAME = "redline"


def location(loc: Location) -> dict[str, Any]:
    return location_dict(loc)


def taint_step(step: TaintStep) -> dict[str, Any]:
    return {"location": location(step.location), "description": step.description}


def finding(f: Finding) -> dict[str, Any]:
    return {
        "rule_id": f.rule_id,
        "title": f.title,
        "area": f.area.slug,
        "severity": f.severity.name,
        "confidence": f.confidence.name,
        "location": location(f.location),
        "message": f.message,
        "snippet": f.snippet,
        "cwe": f.cwe,
        "recommendation": f.recommendation,
        "scope": f.scope,
        "taint_path": [taint_step(s) for s in f.taint_path],
        "fingerprint": f.fingerprint,
        "stmt_start": f.stmt_start,
        "stmt_end": f.stmt_end,
        "evidence": list(f.evidence),
        "reasons": list(f.reasons),
        "advisories": [advisory(a) for a in f.advisories],
    }


def advisory(a: AdvisoryRef) -> dict[str, Any]:
    return {
        "id": a.id,
        "aliases": list(a.aliases),
        "summary": a.summary,
        "severity": a.severity.name,
        "severity_basis": a.severity_basis,
        "cvss_vector": a.cvss or None,
        "cvss_score": a.score,
        "affected": a.affected,
        "fixed": a.fixed,
        "url": a.url or None,
    }


def skipped(s: SkippedFile) -> dict[str, Any]:
    return {"path": s.path, "reason": s.reason, "parse_failure": s.parse_failure}


def foreign_suppression(s: ForeignSuppression) -> dict[str, Any]:
    from redline.suppression_text import describe

    silences, justification = describe(s.tool, s.text)
    return {
        "path": s.path,
        "line": s.line,
        "tool": s.tool,
        "text": s.text,
        "hides": list(s.hides),
        "silences": silences,
        "justification": justification,
    }


def dependencies(result: ScanResult) -> dict[str, Any]:
    """``{"dependencies": {...}}`` when the dependency audit ran, else nothing."""
    audit = result.dependencies
    if audit is None:
        return {}
    return {
        "dependencies": {
            "policy": audit.policy,
            "policy_reason": audit.policy_reason,
            "data_source": audit.data_source,
            "data_date": audit.data_date,
            "data_note": audit.data_note,
            "advisories_loaded": audit.advisories_loaded,
            "manifests": list(audit.manifests),
            "packages": audit.packages,
            "critical": [
                {
                    "name": c.name,
                    "reason": c.reason,
                    "found": c.found,
                    "version": c.version,
                    "pin": c.pin,
                    "location": c.location,
                    "advisories": list(c.advisories),
                }
                for c in audit.critical
            ],
            "errors": list(audit.errors),
            "requires_python": audit.requires_python,
            "not_installed": list(audit.not_installed),
            "environments": list(audit.environments),
        }
    }


def summary(result: ScanResult) -> dict[str, Any]:
    sevs = severities_desc()
    by_area: dict[str, Any] = {}
    for area in sorted(Area, key=lambda a: a.number):
        in_area = [f for f in result.findings if f.area is area]
        by_area[area.slug] = {
            "number": area.number,
            "label": area.label,
            "total": len(in_area),
            "by_severity": {s.name: sum(1 for f in in_area if f.severity == s) for s in sevs},
        }
    highest = result.highest()
    v = verdict(result)
    return {
        "total": len(result.findings),
        "by_severity": {s.name: n for s, n in result.counts().items()},
        "by_area": by_area,
        "highest": highest.name if highest is not None else None,
        "gate": result.fail_on.name if result.fail_on is not None else None,
        "gate_failed": result.gate_failed(),
        "verdict": v.code,
        "review_complete": v.complete,
    }


def document(result: ScanResult, rules: Mapping[str, Rule]) -> dict[str, Any]:
    """The report as plain data (what :func:`render` serialises)."""
    findings = sorted(result.findings, key=lambda f: (f.sort_key(), f.fingerprint))
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": TOOL_NAME, "version": __version__},
        "root": result.root,
        "summary": summary(result),
        "files_scanned": result.files_scanned,
        "files_by_kind": dict(sorted(result.files_by_kind.items())),
        "rules_run": sorted(result.rules_run),
        "findings": [finding(f) for f in findings],
        "skipped": [skipped(s) for s in sorted(result.skipped, key=lambda s: (s.path, s.reason))],
        "foreign_suppressions": [
            foreign_suppression(s)
            for s in sorted(
                result.foreign_suppressions, key=lambda s: (s.path, s.line, s.tool, s.text)
            )
        ],
        "suppressed_count": result.suppressed_count,
        **dependencies(result),
    }
    # Present only for scans that used them.
    if result.baseline is not None:
        doc["baseline"] = baseline(result)
    if result.diff_ref is not None:
        doc["diff"] = {"ref": result.diff_ref}
    return doc


def baseline(result: ScanResult) -> dict[str, Any] | None:
    b = result.baseline
    if b is None:
        return None
    return {
        "file": b.file,
        "accepted": b.accepted,
        "stale": [
            {"rule_id": s.rule_id, "path": s.path, "scope": s.scope, "code": s.code, "missing": s.missing}
            for s in b.stale
        ],
    }


def render(result: ScanResult, rules: Mapping[str, Rule]) -> str:
    """Render ``result`` as the JSON report (ASCII only, two-space indent, final newline)."""
    return json.dumps(document(result, rules), indent=2, ensure_ascii=True) + "\n"
