"""Autofix: mechanical fixes for what a scan reported, written only with ``--fix``.

``plan`` computes every file's fixed text and changes nothing (``fixed`` one text, as an
editor's buffer); ``unified_diff`` shows a plan; ``write`` is the only function that
touches the scanned tree.
Files libcst cannot parse, notebooks and non-UTF-8 files are never changed.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import libcst as cst

from redline.config import Config
from redline.discovery import discover
from redline.fix.transforms import Applied, fix_module
from redline.model import ScanResult
from redline.report.common import visible
from redline.scan import scan_root

__all__ = ["Applied", "FileFix", "FIXABLE_RULES", "file_targets", "fixed", "may_harden", "plan", "summary", "targets", "unified_diff", "write"]

# SER003 (a proven taint path into a deserializer) is fixed only where the call is yaml's.
FIXABLE_RULES = frozenset({"SER002", "SER003", "AUTH001", "NET001"})
# Files that cannot hold a hardening fix are not even parsed.
_HARDENING_HINTS = ("tarfile", "shell")


@dataclass(frozen=True)
class FileFix:
    path: Path
    rel: str
    before: str
    after: str
    applied: tuple[Applied, ...]


Targets = dict[str, set[tuple[int, int]]]  # rule id -> (line, column) of the reported calls


def targets(findings) -> dict[str, Targets]:
    """The reported calls a fix applies to, by file (as reported) and rule."""
    by_file: dict[str, list] = {}
    for f in findings:
        by_file.setdefault(f.location.path, []).append(f)
    return {rel: found for rel, mine in by_file.items() if (found := file_targets(mine))}


def file_targets(findings) -> Targets:
    """The reported calls a fix applies to in one file's ``findings``, by rule."""
    out: Targets = {}
    for f in findings:
        if f.rule_id in FIXABLE_RULES and f.location.cell is None:
            out.setdefault(f.rule_id, set()).add((f.location.line, f.location.column))
    return out


def may_harden(text: str) -> bool:
    """Whether a hardening fix (no rule of its own) may apply: the cheap test before parsing."""
    return any(h in text for h in _HARDENING_HINTS)


def fixed(text: str, file_targets: Targets, *, hardening: bool = True) -> tuple[str, list[Applied]] | None:
    """A Python file's text with its mechanical fixes applied (the reported calls of
    ``file_targets``, and the hardening fixes unless ``hardening`` is False), and what
    was applied; None when libcst cannot parse it."""
    if not file_targets and not (hardening and may_harden(text)):
        return text, []
    try:
        return fix_module(text, file_targets, hardening=hardening)
    except (cst.ParserSyntaxError, RecursionError):
        return None


def plan(result: ScanResult, paths: list[Path], config: Config) -> list[FileFix]:
    """The fixes for the Python files of a scan; reads files, writes nothing."""
    root = scan_root(paths)
    by_file = targets(result.findings)
    found = discover(root, paths or [root], exclude=config.exclude, max_file_size=config.max_file_size)
    fixes = []
    for source in found.files:
        if source.kind != "python":
            continue
        try:
            text = source.path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        done = fixed(text, by_file.get(source.rel, {}))
        if done is not None and done[1] and done[0] != text:
            fixes.append(FileFix(source.path, source.rel, text, done[0], tuple(done[1])))
    return sorted(fixes, key=lambda x: x.rel)


def unified_diff(fixes: list[FileFix]) -> str:
    out = []
    for fx in fixes:
        name = visible(fx.rel)
        out.extend(
            difflib.unified_diff(
                fx.before.splitlines(keepends=True),
                fx.after.splitlines(keepends=True),
                fromfile=f"a/{name}",
                tofile=f"b/{name}",
            )
        )
        if out and not out[-1].endswith("\n"):
            out[-1] += "\n\\ No newline at end of file\n"
    return "".join(out)


def write(fixes: list[FileFix]) -> None:
    """Replace each file atomically, keeping its permissions; refuse a file that
    changed since it was planned."""
    for fx in fixes:
        current = fx.path.read_bytes().decode("utf-8", "surrogateescape")
        if current != fx.before:
            raise OSError(f"{visible(fx.rel)} changed while redline was fixing it; nothing written to it")
        mode = os.stat(fx.path).st_mode
        fd, tmp = tempfile.mkstemp(prefix=".redline-fix-", dir=fx.path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(fx.after.encode("utf-8"))
            os.chmod(tmp, mode & 0o7777)
            os.replace(tmp, fx.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def summary(fixes: list[FileFix], *, written: bool) -> str:
    count = sum(len(fx.applied) for fx in fixes)
    lines = [
        f"redline: {visible(fx.rel)}:{a.line}: {a.rule_id or 'hardening'}: {a.description}"
        for fx in fixes
        for a in fx.applied
    ]
    verb = "fixed" if written else "would fix (dry run, nothing written)"
    lines.append(f"redline: {verb} {count} issue(s) in {len(fixes)} file(s)")
    return "\n".join(lines)
