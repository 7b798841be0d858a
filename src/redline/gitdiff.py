"""Diff scans: keep only the findings on lines changed since a git revision.

git runs as a subprocess with an argument list (never through a shell), from the
scan root, comparing the revision with the working tree. Untracked files that
git does not ignore count as changed throughout. A finding is on a changed line
when any line of its statement is, or when any step of its taint path is: a new
source feeding an old sink is a new problem.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from redline.model import Finding, ScanResult

# ``None``: every line of the file counts as changed (a new, untracked file).
ChangedLines = dict[str, "set[int] | None"]

_HUNK = re.compile(rb"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
_GIT_TIMEOUT_S = 120


class DiffError(Exception):
    """No usable git repository or revision (one line)."""


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "GIT_PAGER": "cat", "LC_ALL": "C"}
    env.pop("GIT_EXTERNAL_DIFF", None)
    try:
        return subprocess.run(
            ["git", "-c", "core.quotePath=false", *args],
            cwd=root,
            capture_output=True,
            env=env,
            timeout=_GIT_TIMEOUT_S,
            check=False,
        )
    except FileNotFoundError:
        raise DiffError("--diff needs git, which is not installed") from None
    except subprocess.TimeoutExpired:
        raise DiffError(f"git {args[0]} took longer than {_GIT_TIMEOUT_S}s") from None


def _first_line(data: bytes) -> str:
    text = data.decode("utf-8", "replace").strip()
    return text.splitlines()[0] if text else "unknown error"


def _unquote(raw: bytes) -> str:
    """A path as git prints it: plain, or C-quoted when it has unusual bytes."""
    if raw.startswith(b'"') and raw.endswith(b'"'):
        body = raw[1:-1]
        out = bytearray()
        i = 0
        simple = {b"n": b"\n", b"t": b"\t", b'"': b'"', b"\\": b"\\", b"a": b"\a", b"b": b"\b",
                  b"f": b"\f", b"r": b"\r", b"v": b"\v"}
        while i < len(body):
            c = body[i : i + 1]
            if c == b"\\" and i + 1 < len(body):
                nxt = body[i + 1 : i + 2]
                if nxt in simple:
                    out += simple[nxt]
                    i += 2
                    continue
                if re.fullmatch(rb"[0-7]{3}", body[i + 1 : i + 4]):
                    out.append(int(body[i + 1 : i + 4], 8))
                    i += 4
                    continue
            out += c
            i += 1
        raw = bytes(out)
    return raw.decode("utf-8", "surrogateescape")


def parse_diff(data: bytes) -> ChangedLines:
    """Added or modified lines of a ``git diff --unified=0`` by new path."""
    changed: ChangedLines = {}
    current: set[int] | None = None
    for line in data.split(b"\n"):
        if line.startswith(b"+++ "):
            target = line[4:].rstrip(b"\r")
            if target == b"/dev/null":
                current = None
                continue
            name = _unquote(target)
            if name.startswith("b/"):
                name = name[2:]
            current = changed.setdefault(name, set())
            continue
        m = _HUNK.match(line)
        if m and current is not None:
            start = int(m.group(1))
            count = int(m.group(2)) if m.group(2) is not None else 1
            current.update(range(start, start + count))
    return changed


def revision(root: Path, ref: str, option: str = "--diff") -> tuple[Path, str]:
    """The repository's top directory and the commit ``ref`` names."""
    if ref.startswith("-"):
        raise DiffError(f"{option}: {ref!r} is not a git revision")
    root = root if root.is_dir() else root.parent
    top = _git(root, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise DiffError(f"{option} needs a git repository, and {root} is not inside one")
    check = _git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    if check.returncode != 0:
        raise DiffError(f"{option}: unknown git revision {ref!r}")
    toplevel = Path(top.stdout.decode("utf-8", "surrogateescape").strip())
    return toplevel, check.stdout.decode("ascii", "replace").strip()


def file_at(top: Path, commit: str, path: str) -> bytes | None:
    """The content of ``path`` (relative to the repository's top) at ``commit``; None
    when the file is not there."""
    shown = _git(top, "cat-file", "blob", f"{commit}:{path}")
    return shown.stdout if shown.returncode == 0 else None


def changed_lines(root: Path, ref: str) -> ChangedLines:
    """Lines changed between ``ref`` and the working tree, by path relative to ``root``."""
    root = root if root.is_dir() else root.parent
    _, commit = revision(root, ref)
    diff = _git(
        root, "diff", "--no-ext-diff", "--no-textconv", "--no-color", "--unified=0",
        "--find-renames", "--relative", commit, "--",
    )
    if diff.returncode != 0:
        raise DiffError(f"git diff failed: {_first_line(diff.stderr)}")
    changed = parse_diff(diff.stdout)
    untracked = _git(root, "ls-files", "-z", "--others", "--exclude-standard")
    if untracked.returncode != 0:
        raise DiffError(f"git ls-files failed: {_first_line(untracked.stderr)}")
    for raw in untracked.stdout.split(b"\0"):
        if raw:
            changed[raw.decode("utf-8", "surrogateescape")] = None
    return changed


def _on_changed_line(changed: ChangedLines, path: str, lines: range, notebook: bool) -> bool:
    if path not in changed:
        return False
    touched = changed[path]
    if touched is None or notebook:  # notebook lines are cell lines, not file lines
        return True
    return any(n in touched for n in lines)


def touches_changes(f: Finding, changed: ChangedLines) -> bool:
    loc = f.location
    start = min(f.stmt_start or loc.line, loc.line)
    end = max(f.stmt_end or loc.line, loc.line)
    if _on_changed_line(changed, loc.path, range(start, end + 1), loc.cell is not None):
        return True
    return any(
        _on_changed_line(
            changed, s.location.path, range(s.location.line, s.location.line + 1), s.location.cell is not None
        )
        for s in f.taint_path
    )


def apply(result: ScanResult, changed: ChangedLines, ref: str) -> None:
    result.findings = [f for f in result.findings if touches_changes(f, changed)]
    result.diff_ref = ref
