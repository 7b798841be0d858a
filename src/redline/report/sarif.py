"""SARIF 2.1.0 output, for GitHub code scanning and other SARIF consumers.

One run; ``tool.driver.rules`` holds the metadata of every rule that ran or
reported (sorted by id, each once) and each result points at its rule by
``ruleId`` and ``ruleIndex``. Artifact URIs are relative to ``%SRCROOT%``
(declared in ``originalUriBaseIds``). ``security-severity`` follows GitHub's
bands (critical > 9.0, high 7.0-8.9, medium 4.0-6.9, low 0.1-3.9) and is set on
each result as well as on its rule, because a finding's severity can differ
from its rule's default. Files that were skipped or could not be parsed are
reported as tool execution notifications.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from redline import __version__
from redline.model import (
    AdvisoryRef,
    Confidence,
    Finding,
    Location,
    Rule,
    ScanResult,
    Severity,
    SkippedFile,
)
from redline.report import markdown as md
from redline.report.common import advisory_severity, safe_url

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
# Where people can learn about the tool. Update when the project has a home page.
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "redlineFingerprint/v1"

LEVELS: dict[Severity, str] = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
}
SECURITY_SEVERITY: dict[Severity, str] = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
}
PRECISION: dict[Confidence, str] = {
    Confidence.HIGH: "high",
    Confidence.MEDIUM: "medium",
    Confidence.LOW: "low",
}


def artifact_uri(path: str) -> str:
    """A repo-relative path as a URI reference: forward slashes, percent-encoded."""
    return quote(path, safe="/")


def artifact_location(path: str) -> dict[str, Any]:
    if PurePosixPath(path).is_absolute():
        return {"uri": Path(path).as_uri()}
    return {"uri": artifact_uri(path), "uriBaseId": SRCROOT}


def srcroot_uri(root: str) -> str:
    uri = Path(root).resolve().as_uri()
    return uri if uri.endswith("/") else uri + "/"


def region(loc: Location, snippet: str = "") -> dict[str, Any]:
    start_line = max(loc.line, 1)
    out: dict[str, Any] = {"startLine": start_line, "startColumn": max(loc.column, 0) + 1}
    end_line = loc.end_line if loc.end_line is not None and loc.end_line >= start_line else None
    if end_line is not None:
        out["endLine"] = end_line
    if loc.end_column is not None:
        end_col = loc.end_column + 1
        if (end_line or start_line) > start_line or end_col >= out["startColumn"]:
            out["endLine"] = end_line or start_line
            out["endColumn"] = end_col
    if snippet:
        out["snippet"] = {"text": snippet}
    return out


def physical_location(loc: Location, snippet: str = "") -> dict[str, Any]:
    return {"artifactLocation": artifact_location(loc.path), "region": region(loc, snippet)}


def sarif_location(loc: Location, snippet: str = "", message: str | None = None) -> dict:
    out: dict[str, Any] = {"physicalLocation": physical_location(loc, snippet)}
    if message is not None:
        out["message"] = {"text": message}
    if loc.cell is not None:
        out["properties"] = {"notebookCell": loc.cell}
    return out


# ---------------------------------------------------------------------------
# Rules


def _help_markdown(rule: Rule) -> str:
    doc = rule.doc
    parts = [f"**{rule.title}** ({rule.id})", "", doc.what]
    if doc.why:
        parts += ["", "## Why is this bad?", "", doc.why]
    if doc.example:
        parts += ["", "## Example", "", "```python", doc.example.rstrip("\n"), "```"]
    if doc.use_instead:
        parts += ["", "## Use instead", "", "```python", doc.use_instead.rstrip("\n"), "```"]
    if rule.recommendation:
        parts += ["", "## Recommendation", "", rule.recommendation]
    if doc.references:
        parts += ["", "## References", ""] + [f"- {r}" for r in doc.references]
    return "\n".join(parts)


def _help_text(rule: Rule) -> str:
    doc = rule.doc
    parts = [doc.what]
    if doc.why:
        parts.append(f"Why: {doc.why}")
    if rule.recommendation:
        parts.append(f"Recommendation: {rule.recommendation}")
    if doc.references:
        parts.append("References: " + ", ".join(doc.references))
    return "\n\n".join(parts)


def _tags(area_slug: str, cwe: int | None) -> list[str]:
    tags = ["security", area_slug]
    if cwe:
        tags.append(f"external/cwe/cwe-{cwe}")
    return tags


def rule_descriptor(rule: Rule) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.doc.what or rule.title},
        "help": {"text": _help_text(rule), "markdown": _help_markdown(rule)},
    }
    web_refs = [r for r in rule.doc.references if r.startswith(("https://", "http://"))]
    if web_refs:
        out["helpUri"] = web_refs[0]
    out["defaultConfiguration"] = {"level": LEVELS[rule.severity]}
    out["properties"] = {
        "tags": _tags(rule.area.slug, rule.cwe),
        "security-severity": SECURITY_SEVERITY[rule.severity],
        "precision": PRECISION[rule.confidence],
    }
    return out


def _descriptor_from_finding(f: Finding) -> dict[str, Any]:
    """For a finding whose rule is not in the metadata mapping."""
    return {
        "id": f.rule_id,
        "shortDescription": {"text": f.title},
        "fullDescription": {"text": f.title},
        "help": {"text": f.recommendation or f.title},
        "defaultConfiguration": {"level": LEVELS[f.severity]},
        "properties": {
            "tags": _tags(f.area.slug, f.cwe),
            "security-severity": SECURITY_SEVERITY[f.severity],
            "precision": PRECISION[f.confidence],
        },
    }


def rule_table(result: ScanResult, rules: Mapping[str, Rule]) -> list[dict[str, Any]]:
    """Descriptors for the rules that ran or reported, sorted by id, no duplicates."""
    first_finding: dict[str, Finding] = {}
    for f in result.findings:
        first_finding.setdefault(f.rule_id, f)
    ids = sorted(set(result.rules_run) | set(first_finding))
    table = []
    for rid in ids:
        if rid in rules:
            table.append(rule_descriptor(rules[rid]))
        elif rid in first_finding:
            table.append(_descriptor_from_finding(first_finding[rid]))
        else:
            table.append({"id": rid})
    return table


# ---------------------------------------------------------------------------
# Results


def _code_flows(f: Finding) -> list[dict[str, Any]]:
    steps = []
    last = len(f.taint_path) - 1
    for i, step in enumerate(f.taint_path):
        tfl: dict[str, Any] = {
            "location": sarif_location(step.location, message=step.description),
            "executionOrder": i + 1,
        }
        if i == 0:
            tfl["kinds"] = ["source"]
        elif i == last:
            tfl["kinds"] = ["sink"]
        steps.append(tfl)
    return [
        {
            "message": {"text": f"Untrusted data flows to the sink in {len(steps)} steps"},
            "threadFlows": [{"locations": steps}],
        }
    ]


def result_object(f: Finding, rule_index: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ruleId": f.rule_id,
        "ruleIndex": rule_index,
        "level": LEVELS[f.severity],
        "message": _message(f),
        "locations": [sarif_location(f.location, f.snippet)],
    }
    if f.scope and f.scope != "<module>":
        out["locations"][0]["logicalLocations"] = [{"fullyQualifiedName": f.scope}]
    if f.fingerprint:
        out["partialFingerprints"] = {FINGERPRINT_KEY: f.fingerprint}
    if f.taint_path:
        out["codeFlows"] = _code_flows(f)
    props: dict[str, Any] = {
        "security-severity": SECURITY_SEVERITY[f.severity],
        "severity": f.severity.name,
        "confidence": f.confidence.name,
        "area": f.area.slug,
    }
    if f.cwe:
        props["cwe"] = f"CWE-{f.cwe}"
    if f.evidence:
        props["evidence"] = list(f.evidence)
    if f.reasons:
        props["severityReasons"] = list(f.reasons)
    if f.advisories:
        props["advisoryIds"] = [a.id for a in f.advisories]
        props["advisories"] = [_advisory(a) for a in f.advisories]
    out["properties"] = props
    return out


def _message(f: Finding) -> dict[str, Any]:
    """The finding's message; a dependency finding's also names every advisory, and
    its Markdown lists them one a line with severity, affected range and fix."""
    if not f.advisories:
        return {"text": f.message}
    ids = ", ".join(a.id for a in f.advisories)
    rows = [
        f"- {_md_link(a)}{' (' + md.text(', '.join(a.aliases)) + ')' if a.aliases else ''}: "
        f"{md.text(advisory_severity(a))}; affected {md.code(a.affected) if a.affected else '-'}; "
        f"{'fixed in ' + md.code(a.fixed) if a.fixed else 'no fix published'}. {md.text(a.summary)}"
        for a in f.advisories
    ]
    return {
        "text": f"{f.message}. Advisories ({len(f.advisories)}): {ids}",
        "markdown": f"{md.prose(f.message)}\n\n" + "\n".join(rows),
    }


def _md_link(a: AdvisoryRef) -> str:
    url = safe_url(a.url)
    return f"[{md.text(a.id)}]({url})" if url else md.text(a.id)


def _advisory(a: AdvisoryRef) -> dict[str, Any]:
    out: dict[str, Any] = {"id": a.id, "aliases": list(a.aliases), "summary": a.summary, "severity": a.severity.name}
    if a.cvss:
        out["cvssVector"] = a.cvss
    if a.score is not None:
        out["cvssScore"] = a.score
    out["affected"] = a.affected
    out["fixed"] = a.fixed
    if a.url:
        out["url"] = a.url
    return out


def _notification(s: SkippedFile) -> dict[str, Any]:
    kind = "parse-failure" if s.parse_failure else "skipped"
    text = f"{'Could not parse' if s.parse_failure else 'Skipped'} {s.path}: {s.reason}"
    return {
        "descriptor": {"id": f"redline/{kind}"},
        "level": "error" if s.parse_failure else "note",
        "message": {"text": text},
        "locations": [{"physicalLocation": {"artifactLocation": artifact_location(s.path)}}],
    }


def log(result: ScanResult, rules: Mapping[str, Rule]) -> dict[str, Any]:
    """The SARIF log as plain data (what :func:`render` serialises)."""
    table = rule_table(result, rules)
    index = {d["id"]: i for i, d in enumerate(table)}
    findings = sorted(result.findings, key=lambda f: (f.sort_key(), f.fingerprint))
    skipped = sorted(result.skipped, key=lambda s: (s.path, s.reason))
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "redline",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": table,
            }
        },
        "invocations": [
            {
                "executionSuccessful": True,
                "toolExecutionNotifications": [_notification(s) for s in skipped],
            }
        ],
        "originalUriBaseIds": {SRCROOT: {"uri": srcroot_uri(result.root)}},
        "results": [result_object(f, index[f.rule_id]) for f in findings],
        "properties": {
            "filesScanned": result.files_scanned,
            "suppressedCount": result.suppressed_count,
            "foreignSuppressions": len(result.foreign_suppressions),
            "gate": result.fail_on.name if result.fail_on is not None else None,
            "gateFailed": result.gate_failed(),
            **_dependencies(result),
        },
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def _dependencies(result: ScanResult) -> dict:
    """The dependency audit's policy and advisory data (only when it ran)."""
    d = result.dependencies
    if d is None:
        return {}
    return {
        "dependencyPolicy": d.policy,
        "advisoryData": {"source": d.data_source, "date": d.data_date, "note": d.data_note},
        "requiresPython": d.requires_python,
        "notInstalled": list(d.not_installed),
        "environments": list(d.environments),
    }


def render(result: ScanResult, rules: Mapping[str, Rule]) -> str:
    """Render ``result`` as a SARIF 2.1.0 log (JSON, two-space indent, final newline)."""
    return json.dumps(log(result, rules), indent=2, ensure_ascii=True) + "\n"
