"""Analysis of one file, run in worker processes: read, parse, walk, suppress.

Workers return plain data (a FileResult); nothing here prints or touches global state
other than the result cache.
"""

from __future__ import annotations

import ast
import fnmatch
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from redline import suppress
from redline.discovery import TEXT_KINDS
from redline.engine import Dispatch, FileContext, RuleSettings, walk
from redline.knowledge.taint import CATEGORIES, SUPERSEDES
from redline.knowledge.taint import load_all as taint_knowledge
from redline.model import (
    Area,
    Confidence,
    Finding,
    ForeignSuppression,
    Location,
    Severity,
    SkippedFile,
)
from redline.python.flow import FlowBuilder
from redline.python.flow.graph import definitions as flow_definitions
from redline.python.flow.graph import shape as flow_shape
from redline.python.index import ModuleSummary, summarise
from redline.python.names import ImportMap
from redline.python.parsing import (
    ParseFailure,
    decode_python,
    notebook_source,
    parse,
    source_lines,
)
from redline.severity import DEFAULT_THREAT_MODELS
from redline.text.secret_values import message_secrets, redact
from redline.text.secrets import scan_text
from redline.text.urls import scan_urls
from redline.text.workflows import scan_workflows


def digest(data: bytes) -> str:
    """The content digest of a file's bytes (the result cache's key)."""
    return hashlib.blake2b(data, digest_size=20).hexdigest()


@dataclass(frozen=True)
class FileTask:
    path: str  # absolute
    rel: str
    kind: str
    module: str
    is_package: bool


@dataclass(frozen=True)
class AnalysisSettings:
    rules: RuleSettings
    sandbox_files: tuple[str, ...] = ()
    taint: bool = False  # build flow graphs for the taint analysis
    project_roots: frozenset[str] = frozenset()  # top-level module names of the project
    threat_models: frozenset[str] = DEFAULT_THREAT_MODELS  # whose sources produce findings


@dataclass
class FileResult:
    rel: str
    findings: list[Finding] = field(default_factory=list)
    suppressed: int = 0
    foreign: list[ForeignSuppression] = field(default_factory=list)
    skipped: SkippedFile | None = None
    parser: str = "host"
    summary: dict | None = None  # ModuleSummary.to_dict(), for the project index
    flows: dict | None = None  # FlowGraph.to_dict(), for the taint analysis
    digest: str = ""  # of the bytes analysed, for the result cache


_dispatch_cache: dict[frozenset[str], Dispatch] = {}


def _dispatch(enabled: frozenset[str]) -> Dispatch:
    d = _dispatch_cache.get(enabled)
    if d is None:
        d = _dispatch_cache[enabled] = Dispatch(enabled)
    return d


def is_sandbox_file(rel: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatch(rel, p) or rel.endswith("/" + p.lstrip("/")) for p in patterns)


def analyse_bytes(task: FileTask, data: bytes, settings: AnalysisSettings) -> FileResult:
    if task.kind in TEXT_KINDS:
        return _analyse_text(task, data, settings)
    result = FileResult(task.rel)
    cell_of_line = None
    try:
        if task.kind == "notebook":
            nb = notebook_source(data)
            source, cell_of_line = nb.source, nb.cell_of_line
        else:
            source = decode_python(data)
        tree, result.parser = parse(source, task.rel)
    except ParseFailure as exc:
        result.skipped = SkippedFile(task.rel, str(exc), parse_failure=True)
        return result
    try:
        findings, summary, flows, known = _check(task, source, tree, settings, cell_of_line)
        result.summary = summary.to_dict()
    except RecursionError:
        result.skipped = SkippedFile(task.rel, "too deeply nested to analyse", parse_failure=True)
        return result

    def location(line: int) -> Location:
        if cell_of_line is None:
            return Location(task.rel, line)
        cell, shown = cell_of_line(line)
        return Location(task.rel, shown, cell=cell)

    enabled = settings.rules.enabled
    # Taint sinks are potential findings: suppressions may name their rules, or the
    # pattern rules they supersede (ignore[EXEC001] on an eval covers EXEC002 there).
    potential = [
        _sink_finding(task.rel, sid, sink, rule_id)
        for sid, sink in (flows.sinks.items() if flows else ())
        for rule_id in (CATEGORIES[sink["category"]], *SUPERSEDES.get(CATEGORIES[sink["category"]], ()))
    ]
    kept, _, meta, result.foreign = suppress.apply(
        task.rel, source, findings + potential, enabled, location
    )
    if flows is not None:
        kept_ids = {id(f) for f in kept}
        gone = {f.fingerprint for f in potential if id(f) not in kept_ids}
        for sid, sink in flows.sinks.items():
            sink["suppressed"] = sid in gone
        result.flows = flows.to_dict()
        result.flows["shape"] = flow_shape(result.flows, result.summary)
        result.flows["defs"] = flow_definitions(result.flows, result.summary)
        if cell_of_line is not None:  # the lines pattern findings are reported on
            result.flows["safe"] = [[*_shown(cell_of_line, line), col, cat] for line, col, cat in result.flows["safe"]]
        kept = [f for f in kept if not f.fingerprint.startswith("sink:")]
    result.suppressed = len(findings) - len(kept)
    lines = source_lines(source)
    for m in meta:
        if m.rule_id in enabled:
            if 0 < m.stmt_start <= len(lines):
                m.snippet = lines[m.stmt_start - 1].strip()
            kept.append(m)
    for f in kept:  # no secret reaches a report or the cache, whichever rule saw its line
        f.snippet, f.message = redact(f.snippet, known), redact(f.message, message_secrets(known))
    result.findings = kept
    return result


def _analyse_text(task: FileTask, data: bytes, settings: AnalysisSettings) -> FileResult:
    """A configuration or text file: the secret, plain-URL and workflow scanners read it."""
    result = FileResult(task.rel)
    if b"\x00" in data[:8192]:
        return result  # binary data under a text name: nothing to read
    text = data.decode("utf-8", errors="replace").lstrip("\ufeff")
    rules = settings.rules
    result.findings = scan_text(task.rel, text, task.kind, rules.enabled)
    result.findings += scan_urls(task.rel, text, task.kind, rules.enabled)
    result.findings += scan_workflows(task.rel, text, task.kind, rules.enabled)
    return result


def _check(
    task, source, tree: ast.Module, settings: AnalysisSettings, cell_of_line
) -> tuple[list[Finding], ModuleSummary]:
    imports = ImportMap.build(tree, task.module, task.is_package)
    ctx = FileContext(
        task.rel,
        source,
        imports,
        settings.rules,
        sandboxed=is_sandbox_file(task.rel, settings.sandbox_files),
        cell_of_line=cell_of_line,
    )
    walk(tree, ctx, _dispatch(settings.rules.enabled))
    flows = None
    if settings.taint:
        flows = FlowBuilder(ctx, taint_knowledge(), task.module, settings.project_roots).build(tree)
        for sink in flows.sinks.values():
            line = sink["line"]
            sink["snippet"] = redact(ctx.lines[line - 1].strip(), ctx.secrets) if 0 < line <= len(ctx.lines) else ""
            if cell_of_line is not None:
                sink["cell"], sink["shown_line"] = cell_of_line(line)
    summary = summarise(tree, imports, task.rel)
    summary.variables = ctx.module_variables()
    return ctx.findings, summary, flows, ctx.secrets




def _shown(cell_of_line, line: int) -> tuple[int, int]:
    cell, shown = cell_of_line(line)
    return shown, cell


def _sink_finding(rel: str, sink_id: str, sink: dict, rule_id: str) -> Finding:
    """A stand-in finding for a taint sink, so inline suppressions can cover it."""
    f = Finding(
        rule_id=rule_id,
        title="",
        area=Area.INJECTION,
        severity=Severity.LOW,
        confidence=Confidence.LOW,
        location=Location(rel, sink["line"]),
        message="",
        snippet="",
        cwe=None,
        recommendation="",
        stmt_start=sink["stmt"][0],
        stmt_end=sink["stmt"][1],
    )
    f.fingerprint = sink_id
    return f


def analyse_file(task: FileTask, settings: AnalysisSettings) -> FileResult:
    """Read and analyse one file; the result carries the content digest for the cache."""
    try:
        data = Path(task.path).read_bytes()
    except OSError as exc:
        return FileResult(task.rel, skipped=SkippedFile(task.rel, f"cannot read: {exc.strerror}"))
    result = analyse_bytes(task, data, settings)
    result.digest = digest(data)
    return result
