"""Command line: ``redline scan``, ``redline rules``, ``redline explain``.

Exit codes: 0 nothing at or above the gate, 1 findings at or above the gate,
2 usage, configuration or internal error. A tool failure is never a clean scan.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import redline
from redline import api
from redline import config as config_mod
from redline.model import Area, ScanResult

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
_BASELINE_NAME = ".redline-baseline.json"


class UsageError(Exception):
    pass


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="redline",
        description="Security review for Python codebases that build AI orchestration.",
    )
    parser.add_argument("--version", action="version", version=f"redline {redline.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    scan = sub.add_parser("scan", help="review files and directories (default: .)")
    scan.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    scan.add_argument(
        "--format",
        "-f",
        choices=("terminal", "markdown", "json", "sarif", "html"),
        default="terminal",
        help="format written to standard output (default: terminal)",
    )
    scan.add_argument(
        "--output",
        "-o",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="also write a report to FILE, format from its extension (.md .json .sarif .html .txt); repeatable",
    )
    scan.add_argument(
        "--fail-on",
        metavar="LEVEL",
        help="lowest severity that fails the scan: critical, high, medium, low, never (default: high)",
    )
    scan.add_argument("--select", action="append", metavar="RULES", help="only these rule ids, prefixes or areas (comma-separated)")
    scan.add_argument("--ignore", action="append", metavar="RULES", help="skip these rule ids, prefixes or areas")
    scan.add_argument("--exclude", action="append", metavar="PATTERN", help="gitignore-style pattern to leave out")
    scan.add_argument("--config", type=Path, metavar="FILE", help="read settings from FILE")
    scan.add_argument(
        "--no-project-config", action="store_true",
        help="ignore the scanned tree's .redline.toml and [tool.redline]: built-in defaults and these options only",
    )
    scan.add_argument(
        "--gate-from", metavar="REF",
        help="take the settings (gate, ignores, excludes, severities, threat models) from the configuration "
        "at git revision REF, e.g. the base branch, instead of the working tree's",
    )
    scan.add_argument(
        "--profile", choices=("default", "audit"),
        help="default: the rules of measured precision; audit: every rule (also review items of low precision)",
    )
    scan.add_argument(
        "--threat-model", action="append", metavar="MODELS",
        help="also report flows from these sources besides remote ones: local (command line, files, "
        "environment), library (parameters of public functions), all; comma-separated",
    )
    scan.add_argument("--jobs", "-j", type=int, metavar="N", help="worker processes (default: CPU count)")
    scan.add_argument("--no-cache", action="store_true", help="do not read or write the result cache")
    scan.add_argument("--cache-dir", type=Path, metavar="DIR", help="result cache location (default: ~/.cache/redline)")
    scan.add_argument("--strict", action="store_true", help="exit 2 when any Python file cannot be parsed")
    scan.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    scan.add_argument("--quiet", "-q", action="store_true", help="print nothing to stdout (reports go to -o files)")
    scan.add_argument("--vuln-db", type=Path, metavar="PATH", help="OSV advisories: a directory of JSON/YAML records or an all.zip")
    scan.add_argument("--online", action="store_true", help="also ask the OSV API about pinned versions (network)")
    scan.add_argument(
        "--env", type=Path, action="append", default=None, metavar="PATH", dest="environments",
        help="also audit what is installed in a virtual environment or interpreter prefix (read, never run); repeatable",
    )
    scan.add_argument("--online-timeout", type=float, default=20.0, metavar="S", help="time limit for --online (default: 20)")
    scan.add_argument("--baseline", type=Path, metavar="FILE", help="report only findings beyond this baseline")
    scan.add_argument("--diff", metavar="REF", help="report only findings on lines changed since git revision REF")
    scan.add_argument("--fix", action="store_true", help="apply the mechanical fixes to the files, then report what is left")
    scan.add_argument("--dry-run", action="store_true", help="with --fix: print the fixes as a unified diff, change nothing")

    baseline = sub.add_parser("baseline", help="accept the current findings (baseline create)")
    baseline_sub = baseline.add_subparsers(dest="baseline_command", metavar="ACTION")
    create = baseline_sub.add_parser("create", help=f"write {_BASELINE_NAME} for PATH (default: .)")
    create.add_argument("path", nargs="?", type=Path, default=Path("."), metavar="PATH")
    create.add_argument("--output", "-o", type=Path, metavar="FILE", help=f"where to write (default: PATH/{_BASELINE_NAME})")
    create.add_argument("--config", type=Path, metavar="FILE", help="read settings from FILE")
    create.add_argument("--select", action="append", metavar="RULES", help="only these rule ids, prefixes or areas")
    create.add_argument("--ignore", action="append", metavar="RULES", help="skip these rule ids, prefixes or areas")
    create.add_argument("--exclude", action="append", metavar="PATTERN", help="gitignore-style pattern to leave out")
    create.add_argument("--no-cache", action="store_true", help="do not read or write the result cache")
    create.add_argument("--cache-dir", type=Path, metavar="DIR", help="result cache location")

    rules = sub.add_parser("rules", help="list the rules")
    rules.add_argument("--area", help="only rules of this area (slug or number)")

    explain = sub.add_parser("explain", help="show a rule's documentation")
    explain.add_argument("rule_id", metavar="ID")

    db = sub.add_parser("db", help="advisory data for the dependency audit")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION")
    update = db_sub.add_parser("update", help="download OSV's PyPI advisories into the user cache")
    update.add_argument("--url", help="download from this URL instead (a mirror of all.zip)")
    update.add_argument("--timeout", type=float, default=120.0, metavar="S", help="network time limit (default: 120)")
    db_sub.add_parser("status", help="show which advisory data a scan would use")


    cache = sub.add_parser("cache", help="the result cache: its size and entries, or clear it")
    cache_sub = cache.add_subparsers(dest="cache_command", metavar="ACTION")
    for name, text in (("info", "show where the cache is, its size and its limit"), ("clear", "remove every cached result")):
        action = cache_sub.add_parser(name, help=text)
        action.add_argument("--cache-dir", type=Path, metavar="DIR", help="result cache location (default: ~/.cache/redline)")

    sub.add_parser("server", help="the language server for editors (LSP over stdio)")

    mcp = sub.add_parser("mcp", help="serve redline's tools to coding agents (Model Context Protocol, stdio)")
    mcp.add_argument(
        "--root", action="append", type=Path, metavar="DIR",
        help="a directory the tools may read (repeatable; default: the client's roots, else the current directory)",
    )
    mcp.add_argument("--cache-dir", type=Path, metavar="DIR", help="result cache location")

    docs = sub.add_parser("docs", help="regenerate docs/rules/<ID>.md from the rule metadata")
    docs.add_argument("directory", nargs="?", type=Path, default=Path("docs") / "rules", metavar="DIR")
    docs.add_argument("--check", action="store_true", help="change nothing; exit 1 when the pages are stale")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "scan":
            return cmd_scan(args)
        if args.command == "baseline":
            if args.baseline_command != "create":
                raise UsageError("usage: redline baseline create [PATH] [-o FILE]")
            return cmd_baseline_create(args)
        if args.command == "rules":
            return cmd_rules(args)
        if args.command == "explain":
            return cmd_explain(args)
        if args.command == "db":
            return cmd_db(args)
        if args.command == "cache":
            return cmd_cache(args)
        if args.command == "docs":
            return cmd_docs(args)
        if args.command == "mcp":
            return cmd_mcp(args)
        if args.command == "server":
            return cmd_server(args)
        parser.print_help()
        return EXIT_ERROR
    except (config_mod.ConfigError, UsageError) as exc:
        _error(str(exc))
        return EXIT_ERROR
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_ERROR
    except Exception as exc:  # a tool failure must never look like a clean scan
        _error(f"internal error: {type(exc).__name__}: {exc}")
        return EXIT_ERROR


def _error(message: str) -> None:
    print(f"redline: error: {message}", file=sys.stderr)


def _split(values: list[str] | None) -> tuple[str, ...]:
    out: list[str] = []
    for v in values or ():
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return tuple(out)


def _trusted_gate(args: argparse.Namespace) -> str | None:
    """Where the settings come from when not from the scanned tree (None: the tree's)."""
    if getattr(args, "gate_from", None):
        return f"git revision {args.gate_from}"
    if getattr(args, "no_project_config", False):
        return "the command line (--no-project-config)"
    if getattr(args, "config", None) is not None:
        return f"{args.config} (--config)"
    return None


def _project_config(args: argparse.Namespace, root: Path) -> config_mod.Config:
    gate_from, no_project = getattr(args, "gate_from", None), getattr(args, "no_project_config", False)
    if sum(bool(x) for x in (gate_from, no_project, getattr(args, "config", None))) > 1:
        raise UsageError("--config, --no-project-config and --gate-from choose the settings each: give one")
    if no_project:
        return config_mod.Config()
    if gate_from:
        return config_mod.load_at_revision(root, gate_from)
    return config_mod.load(root, args.config)


def _scan_config(
    args: argparse.Namespace, paths: list[Path], project: config_mod.Config | None = None
) -> config_mod.Config:
    """The configuration file's settings (or ``project``'s) with the command line's on top."""
    from redline.scan import scan_root

    for p in paths:
        if not p.exists() and not p.is_symlink():
            raise UsageError(f"{p}: no such file or directory")
    if getattr(args, "jobs", None) is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    cfg = project if project is not None else _project_config(args, scan_root(paths))
    fail_on = cfg.fail_on
    if getattr(args, "fail_on", None) is not None:
        try:
            fail_on = config_mod.parse_fail_on(args.fail_on)
        except ValueError as exc:
            raise UsageError(f"--fail-on: {exc}") from None
    try:
        cfg = api.configured(
            cfg,
            select=_split(args.select),
            ignore=_split(args.ignore),
            threat_models=getattr(args, "threat_model", None) or (),
            sources=("command line", "--threat-model"),
        )
    except api.Error as exc:
        raise UsageError(str(exc)) from None
    if args.exclude:
        cfg = dataclasses.replace(cfg, exclude=cfg.exclude + _split(args.exclude))
    cfg = _dependency_options(cfg, args)
    if getattr(args, "profile", None):
        cfg = dataclasses.replace(cfg, profile=args.profile)
    return dataclasses.replace(cfg, fail_on=fail_on)


def cmd_scan(args: argparse.Namespace) -> int:
    from redline.report import format_for_path, render_text
    from redline.rules import registry
    from redline.scan import scan_root

    paths = args.paths or [Path(".")]
    cfg = _scan_config(args, paths)
    if args.dry_run and not args.fix:
        raise UsageError("--dry-run only goes with --fix")
    outputs = []
    for out in args.output:
        try:
            outputs.append((out, format_for_path(out)))
        except ValueError as exc:
            raise UsageError(f"{out}: {exc}") from None

    entries = changed = None
    before_baseline: list = []
    if args.baseline is not None:
        from redline import baseline as baseline_mod

        try:
            entries = baseline_mod.load(args.baseline)
        except baseline_mod.BaselineError as exc:
            raise UsageError(str(exc)) from None
    if args.diff is not None:
        from redline import gitdiff

        try:
            changed = gitdiff.changed_lines(scan_root(paths), args.diff)
        except gitdiff.DiffError as exc:
            raise UsageError(str(exc)) from None

    def scan() -> ScanResult:
        progress = None
        bar = None
        if not args.no_progress and sys.stderr.isatty():
            bar = _Progress()
            progress = bar.update
        try:
            result = api.scan(
                paths, cfg, jobs=args.jobs, cache_dir=args.cache_dir, use_cache=not args.no_cache, progress=progress
            )
        finally:
            if bar is not None:
                bar.close()
        if changed is not None:
            gitdiff.apply(result, changed, args.diff)
        before_baseline[:] = result.findings
        if entries is not None:
            baseline_mod.apply(result, entries, str(args.baseline))
        return result

    result = scan()
    if changed is not None:
        _report_relaxations(args, paths, cfg, result, changed, before_baseline)
    if args.fix:
        from redline import fix

        fixes = fix.plan(result, paths, cfg)
        if args.dry_run:
            if not args.quiet:
                sys.stdout.write(fix.unified_diff(fixes))
            print(fix.summary(fixes, written=False), file=sys.stderr)
            return EXIT_FINDINGS if result.gate_failed() else EXIT_CLEAN
        try:
            fix.write(fixes)
        except OSError as exc:
            raise UsageError(f"cannot write a fix: {exc}") from None
        print(fix.summary(fixes, written=True), file=sys.stderr)
        if fixes:
            result = scan()
    if result.baseline is not None and result.baseline.stale:
        from redline.report.common import visible

        for entry in result.baseline.stale:
            print(
                f"redline: stale baseline entry: {visible(entry.rule_id)} {visible(entry.path)} "
                f"in {visible(entry.scope)}" + (f" ({entry.missing} fewer)" if entry.missing > 1 else ""),
                file=sys.stderr,
            )

    rules = {r.id: r for r in registry.all_rules()}
    for path, fmt in outputs:
        text = render_text(fmt, result, rules)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{path}: cannot write report: {exc.strerror}") from None
    if not args.quiet:
        if args.format == "terminal":
            from rich.console import Console

            from redline.report import terminal

            terminal.render(result, rules, Console(highlight=False))
        else:
            sys.stdout.write(render_text(args.format, result, rules))
    if args.strict and result.parse_failures:
        _error(f"{len(result.parse_failures)} Python file(s) could not be parsed (--strict)")
        return EXIT_ERROR
    return EXIT_FINDINGS if result.gate_failed() else EXIT_CLEAN


def _report_relaxations(args, paths: list[Path], cfg, result: ScanResult, changed, before_baseline: list) -> None:
    """A diff scan reports what the change does to silence redline (DEP104): its own
    settings compared with the base revision's, suppression comments on changed lines,
    baseline entries it added. Relaxed settings in effect count against the base's gate."""
    import os

    from redline import baseline as baseline_mod
    from redline import gitdiff, relaxations
    from redline.scan import scan_root

    if "DEP104" not in config_mod.enabled_rules(cfg):
        return
    root = scan_root(paths)
    found = relaxations.from_suppressions(result.foreign_suppressions, changed)
    trusted = _trusted_gate(args)
    if trusted is not None and getattr(args, "config", None) is not None:
        rel = os.path.relpath(args.config.resolve(), root.resolve() if root.is_dir() else root.parent.resolve())
        if rel.replace(os.sep, "/") in changed:
            trusted = None  # the settings file given is one the change edits
    head = _scan_config(args, paths, config_mod.load(root))
    base = _scan_config(args, paths, config_mod.load_at_revision(root, args.diff))
    if relaxations.config_changes(base, head):
        hidden: list = []
        passes: list = []
        if trusted is None:
            reference = api.scan(paths, base, jobs=args.jobs, cache_dir=args.cache_dir, use_cache=not args.no_cache)
            gitdiff.apply(reference, changed, args.diff)
            now = {f.fingerprint: f for f in before_baseline}
            hidden = [
                f for f in reference.findings
                if f.fingerprint not in now or now[f.fingerprint].severity < f.severity
            ]
            if base.fail_on is not None:
                passes = [
                    f for f in before_baseline
                    if f.severity >= base.fail_on and (head.fail_on is None or f.severity < head.fail_on)
                ]
                if result.fail_on is None or result.fail_on > base.fail_on:
                    result.fail_on = base.fail_on  # the change cannot open its own gate
        item = relaxations.from_config(str(result.root), base, head, hidden, passes, trusted)
        if item is not None:
            found.append(item)
    if args.baseline is not None:
        found += _baseline_relaxations(args, root, result, before_baseline, baseline_mod, gitdiff, relaxations)
    relaxations.report(result, found)


def _baseline_relaxations(args, root: Path, result: ScanResult, before_baseline, baseline_mod, gitdiff, relaxations):
    """Entries the change added to the baseline file: the findings they accept that the
    base revision's baseline did not."""
    import os

    try:
        top, commit = gitdiff.revision(root, args.diff)
        rel_top = os.path.relpath(args.baseline.resolve(), top.resolve()).replace(os.sep, "/")
        data = gitdiff.file_at(top, commit, rel_top)
        old = baseline_mod.parse(data.decode("utf-8"), f"{rel_top}@{args.diff}") if data is not None else {}
        new = baseline_mod.load(args.baseline)
    except (gitdiff.DiffError, baseline_mod.BaselineError, UnicodeDecodeError, ValueError):
        return []
    kept_new, _ = baseline_mod.beyond(before_baseline, new, str(result.root), str(args.baseline))
    kept_old, _ = baseline_mod.beyond(before_baseline, old, str(result.root), str(args.baseline))
    now = {id(f) for f in kept_new}
    hidden = [f for f in kept_old if id(f) not in now]
    rel = os.path.relpath(args.baseline.resolve(), Path(result.root).resolve()).replace(os.sep, "/")
    item = relaxations.from_baseline(rel, hidden)
    return [item] if item is not None else []


def cmd_baseline_create(args: argparse.Namespace) -> int:
    from redline import baseline as baseline_mod
    from redline.scan import scan_root

    paths = [args.path]
    cfg = _scan_config(args, paths)
    result = api.scan(paths, cfg, cache_dir=args.cache_dir, use_cache=not args.no_cache)
    target = args.output or scan_root(paths) / _BASELINE_NAME
    try:
        count = baseline_mod.write(target, result)
    except baseline_mod.BaselineError as exc:
        raise UsageError(str(exc)) from None
    print(f"redline: wrote {target}: {len(result.findings)} finding(s) accepted as {count} entries", file=sys.stderr)
    return EXIT_CLEAN


class _Progress:
    """A rich progress bar on stderr, shown only for scans long enough to need one."""

    def __init__(self) -> None:
        self._bar = None
        self._task = None

    def update(self, done: int, total: int) -> None:
        if self._bar is None:
            if total < 200:
                return
            from rich.console import Console
            from rich.progress import Progress

            self._bar = Progress(console=Console(stderr=True), transient=True)
            self._bar.start()
            self._task = self._bar.add_task("scanning", total=total)
        self._bar.update(self._task, completed=done)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()



def _dependency_options(cfg: config_mod.Config, args: argparse.Namespace) -> config_mod.Config:
    """--vuln-db, --online and --env on top of the configuration."""
    vuln_db = getattr(args, "vuln_db", None)
    if vuln_db is not None and not vuln_db.exists():
        raise UsageError(f"--vuln-db {vuln_db}: no such directory or archive")
    timeout = getattr(args, "online_timeout", 20.0)
    if timeout is not None and timeout <= 0:
        raise UsageError("--online-timeout must be positive")
    from redline.deps import environment

    envs = getattr(args, "environments", None) or []
    for env in envs:
        try:
            environment.site_packages(env)
        except environment.EnvironmentError_ as exc:
            raise UsageError(f"--env {exc}") from None
    return dataclasses.replace(
        cfg,
        environments=tuple(str(e) for e in envs) or cfg.environments,
        vuln_db=str(vuln_db) if vuln_db is not None else cfg.vuln_db,
        online=bool(getattr(args, "online", False)),
        online_timeout=timeout or 20.0,
    )


def cmd_db(args: argparse.Namespace) -> int:
    from redline.deps import store
    from redline.deps.datafiles import DataError

    if args.db_command == "update":
        print(f"redline: downloading advisories into {store.data_dir()} ...", file=sys.stderr)
        try:
            meta = store.update(args.url, timeout=args.timeout)
        except DataError as exc:
            raise UsageError(str(exc)) from None
        print(f"advisory data updated: {meta['records']} records from {meta['source']}, {meta['downloaded']}")
        return EXIT_CLEAN
    if args.db_command == "status":
        found = store.cached()
        if found is None:
            print(f"no advisory data in {store.data_dir()}: run `redline db update`")
        else:
            archive, meta = found
            print(
                f"{archive}: {meta.get('records', '?')} records from {meta.get('source', '?')}, "
                f"downloaded {meta.get('downloaded', 'at an unknown date')}"
            )
        return EXIT_CLEAN
    raise UsageError("usage: redline db update [--url URL] | redline db status")


def cmd_rules(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from redline.rules import registry

    rules = registry.all_rules()
    if args.area:
        try:
            area = Area.parse(args.area)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        rules = [r for r in rules if r.area is area]
    table = Table(box=None)
    for header in ("ID", "Name", "Severity", "Area", "CWE", "Profile"):
        table.add_column(header, no_wrap=True)
    table.add_column("Title")
    for r in rules:
        table.add_row(r.id, r.name, r.severity.name, r.area.slug, r.cwe_id or "-", r.profile, r.title)
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=200)  # one rule per line in pipes and files
    console.print(table)
    return EXIT_CLEAN


def explain_text(rule_id: str) -> str:
    try:
        return api.explain(rule_id)
    except api.Error as exc:
        raise UsageError(str(exc)) from None


def cmd_explain(args: argparse.Namespace) -> int:
    sys.stdout.write(explain_text(args.rule_id))
    return EXIT_CLEAN


def cmd_cache(args: argparse.Namespace) -> int:
    from redline import cache as cache_mod

    if args.cache_command not in ("info", "clear"):
        raise UsageError("usage: redline cache info|clear [--cache-dir DIR]")
    directory = args.cache_dir or cache_mod.default_dir()
    if args.cache_command == "clear":
        count, freed = cache_mod.clear(directory)
        print(f"redline: removed {count} cached scan(s), {freed / 1048576:.1f} MiB, from {directory}")
        return EXIT_CLEAN
    found = cache_mod.entries(directory)
    total = sum(e.size for e in found)
    limit = cache_mod.limit_bytes()
    print(f"cache: {directory}")
    print(f"size: {total / 1048576:.1f} MiB in {len(found)} cached scan(s); "
          f"limit {limit / 1048576:.0f} MiB (${cache_mod.LIMIT_ENV}), least recently used evicted first")
    if found:
        import datetime

        newest = datetime.datetime.fromtimestamp(found[-1].last_used).isoformat(timespec="seconds")
        print(f"last used: {newest}")
    return EXIT_CLEAN


def cmd_mcp(args: argparse.Namespace) -> int:
    roots = args.root or [Path(".")]
    for root in roots:
        if not root.is_dir():
            raise UsageError(f"--root {root}: not a directory")
    try:
        import mcp  # noqa: F401

        from redline import mcp_server
    except ImportError:
        raise UsageError("redline mcp needs the mcp package: pip install 'redline[mcp]'") from None
    mcp_server.serve(roots, args.cache_dir, client_roots=not args.root)
    return EXIT_CLEAN


def cmd_server(args: argparse.Namespace) -> int:
    try:
        import pygls  # noqa: F401

        from redline import lsp_server
    except ImportError:
        raise UsageError("redline server needs pygls: pip install 'redline[server]'") from None
    lsp_server.serve()
    return EXIT_CLEAN


def cmd_docs(args: argparse.Namespace) -> int:
    from redline import docs
    from redline.rules import registry

    rules = registry.all_rules()
    if args.check:
        problems = docs.stale(args.directory, rules)
        for problem in problems:
            print(f"redline: stale rule doc: {args.directory / problem}", file=sys.stderr)
        if problems:
            print("redline: run `redline docs` to regenerate them", file=sys.stderr)
        return EXIT_FINDINGS if problems else EXIT_CLEAN
    try:
        changed = docs.write(args.directory, rules)
    except OSError as exc:
        raise UsageError(f"{args.directory}: cannot write rule docs: {exc.strerror or exc}") from None
    print(f"redline: {changed} page(s) updated in {args.directory} ({len(rules)} rules)", file=sys.stderr)
    return EXIT_CLEAN


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
