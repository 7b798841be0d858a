"""Finding the files to review and telling what kind each one is.

Honours ``.gitignore`` files at every level (with pathspec's git semantics) and
configured excludes, skips version-control, virtual-environment, dependency and
build directories, and never follows a symlink out of the scan root.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from redline.model import SkippedFile

SKIP_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", ".bzr", "node_modules", "site-packages", "dist-packages",
        "__pycache__", ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache",
        ".redline_cache", ".eggs", "build", "dist", ".venv", "venv", ".ipynb_checkpoints",
        ".idea", ".vscode", "htmlcov", ".cache",
    }
)

_BY_SUFFIX = {
    ".py": "python",
    ".ipynb": "notebook",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".json": "json",
    ".toml": "toml",
    ".ini": "ini",
    ".cfg": "ini",
    ".j2": "jinja",
    ".jinja": "jinja",
    ".jinja2": "jinja",
    ".env": "env",
    ".sh": "shell",
    ".md": "markdown",
}
# What redline reads inside a setuptools ``*.egg-info`` directory (nothing else there).
EGG_INFO_FILES = ("PKG-INFO", "requires.txt")
_LOCK_FILES = frozenset(
    {"poetry.lock", "uv.lock", "pdm.lock", "pipfile.lock", "pylock.toml", "requirements.lock"}
)
PYTHON_KINDS = frozenset({"python", "notebook"})
# Read as text by the secret scanner (redline.text).
TEXT_KINDS = frozenset({"yaml", "json", "toml", "env", "ini", "jinja", "shell", "markdown", "dockerfile"})
ANALYSED_KINDS = PYTHON_KINDS | TEXT_KINDS


def classify(name: str) -> str | None:
    """The kind of a file from its name; None when redline has nothing to say about it."""
    lower = name.lower()
    if lower in _LOCK_FILES or (lower.startswith("pylock.") and lower.endswith(".toml")):
        return "lockfile"
    if lower == "pipfile":
        return "toml"
    if lower in ("metadata", "pkg-info"):  # an unpacked or installed distribution
        return "metadata"
    if lower.endswith(".txt") and ("requirements" in lower or lower.startswith(("constraints", "requires"))):
        return "requirements"
    if lower.endswith(".in") and "requirements" in lower:
        return "requirements"
    if lower == ".env" or lower.startswith(".env.") or lower.endswith(".env"):
        return "env"
    if lower == "dockerfile" or lower.startswith("dockerfile."):
        return "dockerfile"
    if lower.endswith(".pyi"):
        return None
    dot = lower.rfind(".")
    if dot > 0:
        return _BY_SUFFIX.get(lower[dot:])
    return None


def real_parent(path: str | os.PathLike[str]) -> str:
    """``path`` absolute with its directories resolved (links followed) and its own name
    kept: how the walk names the files it lists."""
    path = os.path.abspath(path)
    return os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))


def watch_patterns() -> tuple[str, ...]:
    """Glob patterns (LSP's syntax) matching the files ``classify`` gives a kind, for an
    editor to report changes to (case as usually written)."""
    suffixes = sorted({s.lstrip(".") for s in _BY_SUFFIX} | {"lock", "txt", "in"})
    return ("**/*.{" + ",".join(suffixes) + "}", "**/.env*", "**/Dockerfile*", "**/Pipfile", "**/PKG-INFO")


def has_python_shebang(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            first = fh.readline(200)
    except OSError:
        return False
    return first.startswith(b"#!") and b"python" in first


@dataclass(frozen=True)
class SourceFile:
    path: Path  # absolute
    rel: str  # relative to the scan root, forward slashes
    kind: str
    size: int


@dataclass
class Discovery:
    files: list[SourceFile] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    package_dirs: set[str] = field(default_factory=set)


class _Ignores:
    """The .gitignore specs (by directory) and configured excludes that apply to one target.

    Where several .gitignore files match a path, the deepest one decides, as in git:
    ``!keep.py`` in ``sub/.gitignore`` re-includes a file that ``*.py`` at the root
    excludes.
    """

    def __init__(self, extra: Iterable[str], explicit: str = "") -> None:
        # ``explicit``: the relative directory named on the command line; patterns
        # that exclude that directory itself are dropped, so that asking for it
        # scans it.
        self.explicit = explicit
        lines = _not_matching(list(extra), explicit) if explicit else list(extra)
        self.extra = pathspec.GitIgnoreSpec.from_lines(lines) if lines else None
        self.specs: dict[str, pathspec.GitIgnoreSpec | None] = {}

    def load(self, rel_dir: str, abs_dir: Path) -> None:
        gi = abs_dir / ".gitignore"
        spec = None
        try:
            if gi.is_file():
                lines = gi.read_text(encoding="utf-8", errors="replace").splitlines()
                if self.explicit and _is_strict_prefix(rel_dir, self.explicit):
                    sub = self.explicit[len(rel_dir) + 1 :] if rel_dir else self.explicit
                    lines = _not_matching(lines, sub)
                spec = pathspec.GitIgnoreSpec.from_lines(lines)
        except OSError:
            spec = None
        self.specs[rel_dir] = spec

    def ignored(self, rel: str, is_dir: bool) -> bool:
        probe = rel + "/" if is_dir else rel
        if self.extra is not None and self.extra.match_file(probe):
            return True
        # The deepest ancestor .gitignore with a matching pattern decides, each
        # matching the path relative to its own directory.
        parts = rel.split("/")
        for depth in range(len(parts) - 1, -1, -1):
            spec = self.specs.get("/".join(parts[:depth]))
            if spec is None:
                continue
            sub = "/".join(parts[depth:]) + ("/" if is_dir else "")
            decision = spec.check_file(sub).include
            if decision is not None:
                return decision
        return False


def _is_strict_prefix(rel_dir: str, rel: str) -> bool:
    return rel_dir == "" or rel.startswith(rel_dir + "/")


def _not_matching(lines: list[str], rel_dir: str) -> list[str]:
    """``lines`` without the patterns that exclude the directory ``rel_dir`` itself."""
    probe = rel_dir.rstrip("/") + "/"
    kept = []
    for line in lines:
        one = pathspec.GitIgnoreSpec.from_lines([line])
        if one.check_file(probe).include is not True:
            kept.append(line)
    return kept


def _is_venv(path: Path) -> bool:
    return (path / "pyvenv.cfg").is_file() or (path / "conda-meta").is_dir()


def discover(
    root: Path,
    targets: list[Path],
    *,
    exclude: Iterable[str] = (),
    max_file_size: int = 2_000_000,
    use_gitignore: bool = True,
    unsaved: Iterable[Path] = (),
) -> Discovery:
    """Walk the targets (files or directories) below ``root``. ``unsaved``: absolute
    paths of files an editor holds that are not on disk yet, listed as if they were when
    a target directory holds them and nothing ignores them."""
    root = root.resolve()
    out = Discovery()
    exclude = list(exclude)
    seen: set[str] = set()
    seen_files: set[tuple[int, int]] = set()  # (device, inode): a file reached twice is read once

    def rel_of(p: Path) -> str:
        try:
            return p.relative_to(root).as_posix()
        except ValueError:
            return p.as_posix()

    def add_file(abs_path: Path, rel: str, explicit: bool) -> None:
        if rel in seen:
            return
        try:
            st = abs_path.lstat()
        except OSError as exc:
            out.skipped.append(SkippedFile(rel, f"cannot read: {exc.strerror}"))
            return
        if stat.S_ISLNK(st.st_mode):
            # A dangling link named like nothing redline reads is not worth a line.
            name = abs_path.name
            maybe_source = classify(name) is not None or "." not in name
            try:
                real = abs_path.resolve(strict=True)
            except (OSError, RuntimeError):
                if maybe_source or explicit:
                    out.skipped.append(SkippedFile(rel, "broken or looping symlink"))
                return
            if not real.is_relative_to(root):
                if maybe_source or explicit:
                    out.skipped.append(SkippedFile(rel, "symlink points outside the scan root"))
                return
            try:
                st = real.stat()
            except OSError as exc:
                out.skipped.append(SkippedFile(rel, f"cannot read: {exc.strerror}"))
                return
        if not stat.S_ISREG(st.st_mode):
            return
        kind = classify(abs_path.name)
        if kind is None and "." not in abs_path.name and has_python_shebang(abs_path):
            kind = "python"
        if kind is None or (st.st_dev, st.st_ino) in seen_files:
            return
        seen.add(rel)
        seen_files.add((st.st_dev, st.st_ino))
        if st.st_size > max_file_size:
            out.skipped.append(
                SkippedFile(rel, f"larger than the size limit ({st.st_size:,} > {max_file_size:,} bytes)")
            )
            return
        out.files.append(SourceFile(abs_path, rel, kind, st.st_size))
        if abs_path.name == "__init__.py":
            out.package_dirs.add(rel.rsplit("/", 1)[0] if "/" in rel else "")

    for target in targets:
        target = Path(os.path.abspath(target))
        # Resolve the directories on the way (the root is resolved too, so a path
        # through a symlinked directory still yields root-relative paths), but keep
        # a symlink named as the target itself a symlink.
        try:
            target = target.parent.resolve() / target.name if target.name else target.resolve()
        except (OSError, RuntimeError):
            pass
        if target.is_symlink() and target.is_dir():
            try:
                real = target.resolve(strict=True)
            except (OSError, RuntimeError):
                real = None
            if real is not None and real.is_relative_to(root):
                target = real
        if not target.is_dir() or target.is_symlink():
            if target.is_file() or target.is_symlink():
                add_file(target, rel_of(target), explicit=True)
            else:
                out.skipped.append(SkippedFile(rel_of(target), "no such file or directory"))
            continue
        if not target.is_relative_to(root):
            out.skipped.append(SkippedFile(rel_of(target), "outside the scan root"))
            continue
        base_rel = rel_of(target)
        base_rel = "" if base_rel == "." else base_rel
        ignores = _Ignores(exclude, base_rel)
        if use_gitignore and base_rel:
            # .gitignore files between the scan root and the target apply inside it.
            parts = base_rel.split("/")
            for depth in range(len(parts)):
                rel_dir = "/".join(parts[:depth])
                ignores.load(rel_dir, root / rel_dir if rel_dir else root)
        for dirpath, dirnames, filenames in os.walk(target, followlinks=False):
            abs_dir = Path(dirpath)
            rel_dir = rel_of(abs_dir)
            rel_dir = "" if rel_dir == "." else rel_dir
            if use_gitignore:
                ignores.load(rel_dir, abs_dir)
            kept = []
            for d in sorted(dirnames):
                child = abs_dir / d
                child_rel = f"{rel_dir}/{d}" if rel_dir else d
                if d.endswith(".egg-info") and not child.is_symlink():
                    # Only its metadata: the distribution and its requirements.
                    for meta in EGG_INFO_FILES:
                        if (child / meta).is_file() and not ignores.ignored(f"{child_rel}/{meta}", is_dir=False):
                            add_file(child / meta, f"{child_rel}/{meta}", explicit=False)
                    continue
                if d in SKIP_DIRS or child.is_symlink():
                    continue
                if _is_venv(child) or ignores.ignored(child_rel, is_dir=True):
                    continue
                kept.append(d)
            dirnames[:] = kept
            for name in sorted(filenames):
                rel = f"{rel_dir}/{name}" if rel_dir else name
                if ignores.ignored(rel, is_dir=False):
                    continue
                add_file(abs_dir / name, rel, explicit=False)
        for path in unsaved:
            real = Path(os.path.realpath(path))
            rel = rel_of(real)
            if real.is_relative_to(target) and rel not in seen and not os.path.lexists(path):
                _add_unsaved(out, path, rel, base_rel, ignores)
                seen.add(rel)
    out.files.sort(key=lambda f: f.rel)
    return out


def _add_unsaved(out: Discovery, path: Path, rel: str, base_rel: str, ignores: _Ignores) -> None:
    """A file not on disk, listed when the walk would have listed it."""
    parts = rel.split("/")
    start = len(base_rel.split("/")) if base_rel else 0
    for depth in range(start + 1, len(parts)):
        name = parts[depth - 1]
        if name in SKIP_DIRS or name.endswith(".egg-info") or ignores.ignored("/".join(parts[:depth]), is_dir=True):
            return
    kind = classify(path.name)
    if kind is None or ignores.ignored(rel, is_dir=False):
        return
    out.files.append(SourceFile(path, rel, kind, 0))
    if path.name == "__init__.py":
        out.package_dirs.add(rel.rsplit("/", 1)[0] if "/" in rel else "")
