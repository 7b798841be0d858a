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
        if args.command == "docs":
            return cmd_docs(args)
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


def _scan_config(args: argparse.Namespace, paths: list[Path]) -> config_mod.Config:
    """The configuration file's settings with the command line's on top."""
    from redline.scan import scan_root

    for p in paths:
        if not p.exists() and not p.is_symlink():
            raise UsageError(f"{p}: no such file or directory")
    if getattr(args, "jobs", None) is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    cfg = config_mod.load(scan_root(paths), args.config)
    select, ignore = _split(args.select), _split(args.ignore)
    for sel in (*select, *ignore):
        config_mod.validate_selector(sel)
    fail_on = cfg.fail_on
    if getattr(args, "fail_on", None) is not None:
        try:
            fail_on = config_mod.parse_fail_on(args.fail_on)
        except ValueError as exc:
            raise UsageError(f"--fail-on: {exc}") from None
    cfg = cfg.with_overrides(
        select=select or None,
        ignore=(cfg.ignore + ignore) if ignore else None,
        exclude=(cfg.exclude + _split(args.exclude)) if args.exclude else None,
    )
    cfg = _dependency_options(cfg, args)
    if getattr(args, "profile", None):
        cfg = dataclasses.replace(cfg, profile=args.profile)
    if getattr(args, "threat_model", None):
        try:
            extra = config_mod.parse_threat_models(args.threat_model, "--threat-model")
        except config_mod.ConfigError as exc:
            raise UsageError(str(exc)) from None
        cfg = dataclasses.replace(cfg, threat_models=tuple(dict.fromkeys(cfg.threat_models + extra)))
    return dataclasses.replace(cfg, fail_on=fail_on)


def cmd_scan(args: argparse.Namespace) -> int:
    from redline.report import format_for_path, render_text
    from redline.rules import registry
    from redline.scan import ScanOptions, run_scan, scan_root

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
            result = run_scan(
                paths,
                cfg,
                ScanOptions(jobs=args.jobs, cache_dir=args.cache_dir, use_cache=not args.no_cache),
                progress,
            )
        finally:
            if bar is not None:
                bar.close()
        if changed is not None:
            gitdiff.apply(result, changed, args.diff)
        if entries is not None:
            baseline_mod.apply(result, entries, str(args.baseline))
        return result

    result = scan()
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


def cmd_baseline_create(args: argparse.Namespace) -> int:
    from redline import baseline as baseline_mod
    from redline.scan import ScanOptions, run_scan, scan_root

    paths = [args.path]
    cfg = _scan_config(args, paths)
    result = run_scan(paths, cfg, ScanOptions(cache_dir=args.cache_dir, use_cache=not args.no_cache))
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
    from redline.rules import registry

    rule = registry.get(rule_id)
    if rule is None:
        raise UsageError(f"unknown rule {rule_id!r} (see `redline rules`)")
    d = rule.doc
    parts = [
        f"# {rule.id} {rule.name}: {rule.title}",
        "",
        f"Area: {rule.area.label} ({rule.area.slug})  Severity: {rule.severity.name}  "
        f"Confidence: {rule.confidence.name}  {rule.cwe_id or ''}".rstrip(),
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
        rule.recommendation,
    ]
    if d.references:
        parts += ["", "## References", *(f"- {ref}" for ref in d.references)]
    return "\n".join(parts) + "\n"


def cmd_explain(args: argparse.Namespace) -> int:
    sys.stdout.write(explain_text(args.rule_id))
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
