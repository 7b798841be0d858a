"""Orchestration: discovery -> parallel per-file analysis (cached) -> one ScanResult."""

from __future__ import annotations

import gc
import hashlib
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from redline import cache as cache_mod
from redline import severity, suppress
from redline.analysis import (
    AnalysisSettings,
    FileResult,
    FileTask,
    analyse_bytes,
    analyse_file,
    digest,
)
from redline.config import Config, enabled_rules
from redline.deps.project import audit_project
from redline.discovery import ANALYSED_KINDS, PYTHON_KINDS, discover, real_parent
from redline.engine import RuleSettings
from redline.knowledge.taint import CATEGORIES, REVIEW_PATTERNS, SUPERSEDES
from redline.knowledge.taint import load_all as taint_knowledge
from redline.model import Confidence, Finding, ScanResult, Severity, SkippedFile
from redline.python import partial, taint
from redline.python.flow import FlowGraph
from redline.python.index import ProjectIndex
from redline.python.names import module_name, namespace_name
from redline.rules import registry

TAINT_RULES = frozenset(CATEGORIES.values())
# Below this many files a process pool costs more than it saves.
_POOL_THRESHOLD = 24


@dataclass(frozen=True)
class ScanOptions:
    jobs: int | None = None
    cache_dir: Path | None = None
    use_cache: bool = True
    # path -> text analysed instead of the file's bytes (an editor's unsaved buffer);
    # never cached as the file's result
    documents: Mapping[str, str] | None = None


def scan_root(paths: list[Path]) -> Path:
    """The directory that reported paths are relative to."""
    resolved = [Path(os.path.abspath(p)) for p in paths] or [Path.cwd()]
    if len(resolved) == 1:
        p = resolved[0]
        return p if p.is_dir() else p.parent
    return Path(os.path.commonpath([str(p if p.is_dir() else p.parent) for p in resolved]))


def run_scan(
    paths: list[Path],
    config: Config,
    options: ScanOptions = ScanOptions(),
    progress: Callable[[int, int], None] | None = None,
) -> ScanResult:
    started = time.perf_counter()
    root = scan_root(paths)
    documents = {real_parent(p): text for p, text in (options.documents or {}).items()}
    found = discover(
        root,
        paths or [root],
        exclude=config.exclude,
        max_file_size=config.max_file_size,
        unsaved=[Path(p) for p in documents],
    )
    enabled = enabled_rules(config)
    package_dirs = frozenset(found.package_dirs)
    tasks = []
    for f in found.files:
        if f.kind in PYTHON_KINDS:
            module, is_package = module_name(f.rel, package_dirs, root.name)
            tasks.append(FileTask(str(f.path), f.rel, f.kind, module, is_package))
        elif f.kind in ANALYSED_KINDS:  # read as text: secrets in configuration files
            tasks.append(FileTask(str(f.path), f.rel, f.kind, "", False))
    taint_rules = enabled & TAINT_RULES
    settings = AnalysisSettings(
        rules=RuleSettings(enabled=enabled),
        sandbox_files=config.sandbox_files,
        taint=bool(taint_rules),
        project_roots=_project_roots([t for t in tasks if t.module]) if taint_rules else frozenset(),
        threat_models=config.active_threat_models(),
    )

    cache = None
    if options.use_cache:
        salt = _settings_salt(settings)
        cache = cache_mod.ResultCache(options.cache_dir or cache_mod.default_dir(), str(root), salt)
    results = _analyse_all(tasks, settings, cache, options.jobs, progress, documents)

    result = ScanResult(root=str(root), fail_on=config.fail_on)
    result.files_scanned = len(found.files)
    result.files_by_kind = dict(sorted(Counter(f.kind for f in found.files).items()))
    result.skipped = list(found.skipped)
    result.rules_run = tuple(sorted(enabled))
    for r in results:
        if r.skipped is not None:
            result.skipped.append(r.skipped)
        result.findings.extend(r.findings)
        result.foreign_suppressions.extend(r.foreign)
        result.suppressed_count += r.suppressed
    # The parent's part: large structures without reference cycles (the project index,
    # the flow graph), built faster with the cyclic collector paused.
    with _collector_paused():
        result.index = ProjectIndex([r.summary for r in results if r.summary is not None])
        for r in results:
            r.summary = None  # the index holds what they said
        for project_check in registry.project_passes():
            if project_check.rule.id in enabled:
                result.findings = project_check.fn(result.findings, result.index)
        if taint_rules:
            verdict = _taint(results, tasks, settings, result.index, cache)
            result.findings = supersede(result.findings, verdict.findings, verdict.safe, verdict.mitigated)
            result.suppressed_count += verdict.suppressed
            result.foreign_suppressions = suppress.attribute(result.foreign_suppressions, verdict.hidden)
        # --- project-level audit (checklist area 10): dependencies, suppression review ---
        audit_project(result, found.files, root, config, enabled)
        # ---
        apply_overrides(result.findings, config.severity)
        if cache is not None:
            cache.save()
    result.skipped.sort(key=lambda s: s.path)
    result.foreign_suppressions.sort(key=lambda s: (s.path, s.line))
    assign_fingerprints(result.findings)
    result.findings.sort(key=Finding.sort_key)
    result.duration_s = time.perf_counter() - started
    return result


def apply_overrides(findings: list[Finding], overrides: dict[str, Severity]) -> None:
    """The configuration's severity overrides, once and last: each replaces its rule's
    impact, and the finding's own evidence still applies (a mitigated finding stays LOW)."""
    if not overrides:
        return
    for f in findings:
        override = overrides.get(f.rule_id)
        rule = registry.get(f.rule_id) if override is not None else None
        if rule is not None:
            severity.apply(rule, f, override)


def _project_roots(tasks: list[FileTask]) -> frozenset[str]:
    """Top-level names under which project code is imported, namespace packages included."""
    roots = {t.module.split(".", 1)[0] for t in tasks}
    roots.update(name.split(".", 1)[0] for t in tasks if (name := namespace_name(t.rel)))
    return frozenset(roots)


def _taint(results: list[FileResult], tasks, settings, index, cache) -> taint.TaintResult:
    """The project's taint findings, suppressed count, and sink calls proven safe or
    behind an opt-in flag: reused from the cache when no file changed, placed anew
    when the files that changed kept their shape, computed for the part of the project
    the change reaches when that can be told (redline.python.partial), else computed
    for the whole project."""
    key = hashlib.sha256(
        "\0".join(f"{r.rel}:{r.digest}" for r in results).encode()
    ).hexdigest()
    rules = {r.id: r for r in registry.all_rules() if r.id in settings.rules.enabled}
    modules = [
        (task, r) for task, r in zip(tasks, results, strict=True) if r.skipped is None and task.kind in PYTHON_KINDS
    ]
    if cache is not None:
        memo = cache.taint(key)
        if memo is not None:
            try:
                return taint.TaintResult(
                    [cache_mod.finding_from_dict(f) for f in memo["findings"]],
                    memo["suppressed"],
                    {tuple(k) for k in memo["safe"]},
                    {tuple(k): why for k, why in memo["mitigated"]},
                    [cache_mod.finding_from_dict(f) for f in memo["hidden"]],
                )
            except (KeyError, TypeError, ValueError, AttributeError):
                pass
        previous = cache.previous_taint()
        since = _changed_since(previous, modules, cache)
        if since is not None:
            moved, flows_of = since
            shapes = {**previous["shapes"], **{rel: flows.get("shape") for rel, flows in moved.items()}}
            digests = [[r.rel, r.digest] for _, r in modules]
            verdict = _replayed(previous, moved, flows_of, rules)
            if verdict is not None:
                cache.store_taint(key, verdict, digests, shapes)
                return verdict
            before = dict(previous["digests"])
            found = partial.rerun(
                previous, [r.rel for _, r in modules], moved, flows_of, cache.link_row,
                lambda rel: (cache.flows(rel, before[rel]), cache.summary(rel, before[rel])),
                index, taint_knowledge(), rules, settings.threat_models,
            )
            if found is not None:
                verdict, rows = found
                cache.store_taint(key, verdict, digests, shapes, rows)
                return verdict
    if cache is not None:
        cache.load_flows()
    graphs: list[tuple[str, dict]] = []
    stored: list[tuple[int, FileTask]] = []  # graphs read from the cache
    for task, r in modules:
        flows = r.flows
        if flows is None:
            flows = cache.flows(r.rel, r.digest) if cache is not None and r.digest else None
            if flows is None:  # a cache hit whose graph was lost: analyse the file again
                flows = _flows_again(task, settings, cache)
            else:
                stored.append((len(graphs), task))
        if flows is not None:
            graphs.append((r.rel, flows))
    try:
        verdict = taint.findings(graphs, index, taint_knowledge(), rules, settings.threat_models)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        if not stored:
            raise
        # A stored graph damaged inside a sound shape: every stored one is built again.
        for i, task in stored:
            graphs[i] = (task.rel, _flows_again(task, settings, cache) or _NO_FLOWS)
        verdict = taint.findings(graphs, index, taint_knowledge(), rules, settings.threat_models)
    if cache is not None:
        shapes = {rel: flows.get("shape") for rel, flows in graphs}
        rows = partial.state(verdict.graph, graphs)
        cache.store_taint(key, verdict, [[r.rel, r.digest] for _, r in modules], shapes, rows, replace=True)
    verdict.graph = None
    return verdict


def _changed_since(previous: dict | None, modules, cache) -> tuple[dict[str, dict], Callable] | None:
    """The modules changed since the stored result (module -> its flow graph) and how to
    read any module's graph, when the same modules are analysed."""
    try:
        if previous is None or [rel for rel, _ in previous["digests"]] != [r.rel for _, r in modules]:
            return None
        before = dict(previous["digests"])
        moved: dict[str, dict] = {}
        for _, r in modules:
            if r.digest != before[r.rel]:
                flows = r.flows if r.flows is not None else cache.flows(r.rel, r.digest)
                if flows is None or flows.get("shape") is None:
                    return None
                moved[r.rel] = flows
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    digests = {r.rel: r.digest for _, r in modules}
    return moved, lambda rel: cache.flows(rel, digests[rel])


def _replayed(previous: dict, moved: dict[str, dict], flows_of, rules) -> taint.TaintResult | None:
    """The last taint result placed anew (taint.replay), when every module that changed
    since kept its shape."""
    try:
        shapes = previous["shapes"]
        if any(flows["shape"] != shapes.get(rel) for rel, flows in moved.items()):
            return None
        return taint.replay(
            previous["trace"],
            {tuple(k) for k in previous["safe"]},
            {tuple(k): why for k, why in previous["mitigated"]},
            moved,
            flows_of,
            rules,
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


_NO_FLOWS = FlowGraph().to_dict()


def _flows_again(task: FileTask, settings: AnalysisSettings, cache) -> dict | None:
    """A file's flow graph analysed again (its cached one was lost or damaged)."""
    fresh = _worker(task, settings)
    if cache is not None and fresh.digest and fresh.flows is not None:
        try:
            cache.store(task, os.stat(task.path), fresh.digest, fresh)
        except OSError:
            pass
    return fresh.flows


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while the parent builds large structures without
    cycles (cached results, the project's flow graph): with hundreds of thousands of
    live objects each full collection walks them all, a third of the taint analysis's
    time on a package of 1,200 files."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _settings_salt(settings: AnalysisSettings) -> str:
    h = hashlib.sha256(cache_mod.code_signature().encode())
    h.update(repr(sorted(settings.rules.enabled)).encode())
    h.update(repr(settings.sandbox_files).encode())
    h.update(repr((settings.taint, sorted(settings.project_roots), sorted(settings.threat_models))).encode())
    return h.hexdigest()[:24]


def _analyse_all(tasks, settings, cache, jobs, progress, documents: Mapping[str, str] | None = None) -> list[FileResult]:
    """Results in task order: cache hits first looked up here, misses analysed in
    worker processes (or in this one when there are few); ``documents`` (absolute path
    -> text) analysed here from the text given."""
    total = len(tasks)
    results: list[FileResult | None] = [None] * total
    misses: list[int] = []
    stats: dict[int, os.stat_result] = {}
    for i, task in enumerate(tasks if documents else ()):
        text = documents.get(task.path)
        if text is not None:
            data = text.encode("utf-8", errors="surrogatepass")
            data_digest = digest(data)
            results[i] = cache.buffer(task, data_digest) if cache is not None else None
            if results[i] is None:
                results[i] = analyse_bytes(task, data, settings)
                results[i].digest = data_digest
                if cache is not None:
                    cache.store_buffer(task, data_digest, results[i])
            if cache is not None:
                cache.keep(task.rel)
    with _collector_paused():
        for i, task in enumerate(tasks):
            if results[i] is not None:
                continue
            hit = None
            if cache is not None:
                try:
                    stats[i] = os.stat(task.path)
                except OSError:
                    pass
                else:
                    hit = cache.lookup(task, stats[i])
            if hit is None:
                misses.append(i)
            else:
                results[i] = hit
    done = total - len(misses)
    if progress and done:
        progress(done, total)
    jobs = jobs or os.cpu_count() or 1
    todo = [tasks[i] for i in misses]
    if jobs <= 1 or len(todo) < _POOL_THRESHOLD:
        analysed = (_worker(t, settings) for t in todo)
        pool = None
    else:
        from concurrent.futures import ProcessPoolExecutor

        # Workers collect cycles whatever the parent's collector was doing when they forked.
        pool = ProcessPoolExecutor(max_workers=jobs, initializer=gc.enable, mp_context=_process_context())
        chunk = max(1, min(32, len(todo) // (jobs * 8)))
        analysed = pool.map(_worker, todo, [settings] * len(todo), chunksize=chunk)
    try:
        # Results from workers are plain data; files analysed here build cyclic structures.
        with _collector_paused() if pool is not None else nullcontext():
            for i, res in zip(misses, analysed, strict=True):
                results[i] = res
                if cache is not None and i in stats and res.digest:
                    cache.store(tasks[i], stats[i], res.digest, res)
                done += 1
                if progress:
                    progress(done, total)
    finally:
        if pool is not None:
            pool.shutdown()
    return results  # type: ignore[return-value]


def _process_context():
    """How worker processes start: the platform's default from the main thread; from
    another thread (a server scanning off its event loop) never by forking, which copies
    locks other threads hold and can deadlock the workers."""
    import multiprocessing
    import threading

    if threading.current_thread() is threading.main_thread():
        return None
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


# Frames one file's analysis may use above _worker, wherever _worker is called from: a
# pool worker starts deeper in its stack than the main process (24 frames against 9, and
# C calls between them count too), so under one global limit a file nested near it was
# analysed with --jobs 1 and "too deeply nested" with --jobs 2.
ANALYSIS_FRAMES = 1000


def _headroom(n: int = 0) -> int:
    """How many more nested calls fit here, by the interpreter's own count."""
    try:
        return _headroom(n + 1)
    except RecursionError:
        return n


def _worker(task: FileTask, settings: AnalysisSettings) -> FileResult:
    """One file's analysis; a failure is that file's, never the whole scan's."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(limit - _headroom() + ANALYSIS_FRAMES)
    try:
        return analyse_file(task, settings)
    except RecursionError:
        reason = "too deeply nested to analyse"
    except Exception as exc:  # a bug in a rule must not hide the other files' findings
        reason = f"internal error while analysing: {type(exc).__name__}: {exc}"
    finally:
        sys.setrecursionlimit(limit)
    return FileResult(task.rel, skipped=SkippedFile(task.rel, reason, parse_failure=True))


_VERDICT_RULES = {
    category: SUPERSEDES[rule] for category, rule in CATEGORIES.items() if rule in SUPERSEDES
}


def supersede(
    pattern: list[Finding],
    tainted: list[Finding],
    safe: set[tuple] = frozenset(),
    mitigated: dict[tuple, str] | None = None,
) -> list[Finding]:
    """A taint finding replaces the pattern finding it proves on the same line. Weaker
    evidence (below high confidence, and a lower severity than the pattern finding's)
    does not: there the pattern finding stays and the taint finding is dropped as a
    duplicate. A pattern
    finding on a sink call proven to receive only constants or sanitized data goes; one
    behind an opt-in flag (allow_dangerous_code) is LOW."""
    if mitigated:
        behind = {
            (path, line, cell, col, rule): why
            for (path, line, cell, col, category), why in mitigated.items()
            for rule in _VERDICT_RULES.get(category, ())
        }
        for f in pattern:
            why = behind.get((f.location.path, f.location.line, f.location.cell, f.location.column, f.rule_id))
            if why is not None:
                f.evidence = (*f.evidence, "mitigated")
                rule = registry.get(f.rule_id)
                if rule is not None:
                    severity.apply(rule, f)
                f.message += f"; mitigated: {why}"
    if safe:
        settled = {
            (path, line, cell, col, rule)
            for path, line, cell, col, category in safe
            for rule in _VERDICT_RULES.get(category, ())
        }
        pattern = [
            f
            for f in pattern
            if (f.location.path, f.location.line, f.location.cell, f.location.column, f.rule_id) not in settled
        ]
    reported: dict[tuple[str, int, str], Severity] = {}
    for f in pattern:
        key = (f.location.path, f.location.line, f.rule_id)
        reported[key] = max(f.severity, reported.get(key, f.severity))
    covered: set[tuple[str, int, str]] = set()
    kept_taint = []
    for f in tainted:
        here = {(f.location.path, f.location.line, old) for old in SUPERSEDES.get(f.rule_id, ())}
        strong = [reported[key] for key in here if key[2] not in REVIEW_PATTERNS and key in reported]
        if f.confidence is not Confidence.HIGH and strong and f.severity < max(strong):
            continue  # weaker than what the pattern finding already says there
        covered |= here
        kept_taint.append(f)
    kept = [f for f in pattern if (f.location.path, f.location.line, f.rule_id) not in covered]
    return kept + kept_taint


_SPACE = re.compile(r"\s+")


def identity(f: Finding) -> tuple[str, str, str, str]:
    """rule + path + enclosing scope + normalised code: what a finding is, wherever it sits."""
    return (f.rule_id, f.location.path, f.scope, _SPACE.sub(" ", f.snippet).strip())


def assign_fingerprints(findings: list[Finding]) -> None:
    """rule + path + enclosing scope + normalised code + occurrence index; no line numbers."""
    seen: Counter[tuple[str, str, str, str]] = Counter()
    for f in sorted(findings, key=lambda f: (f.location.path, f.location.line, f.location.column)):
        key = identity(f)
        index = seen[key]
        seen[key] += 1
        raw = "\0".join((*key, str(index)))
        f.fingerprint = hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]
