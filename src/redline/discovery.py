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
_LOCK_FILES = frozenset(
    {"poetry.lock", "uv.lock", "pdm.lock", "pipfile.lock", "pylock.toml", "requirements.lock"}
)
ANALYSED_KINDS = frozenset({"python", "notebook"})


def classify(name: str) -> str | None:
    """The kind of a file from its name; None when redline has nothing to say about it."""
    lower = name.lower()
    if lower in _LOCK_FILES or (lower.startswith("pylock.") and lower.endswith(".toml")):
        return "lockfile"
    if lower == "pipfile":
        return "toml"
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
    """The stack of .gitignore specs that apply inside one directory."""

    def __init__(self, root: Path, extra: Iterable[str]) -> None:
        self.root = root
        self.extra = pathspec.GitIgnoreSpec.from_lines(list(extra)) if extra else None
        self.specs: dict[str, pathspec.GitIgnoreSpec | None] = {}

    def load(self, rel_dir: str, abs_dir: Path) -> None:
        gi = abs_dir / ".gitignore"
        spec = None
        try:
            if gi.is_file():
                spec = pathspec.GitIgnoreSpec.from_lines(
                    gi.read_text(encoding="utf-8", errors="replace").splitlines()
                )
        except OSError:
            spec = None
        self.specs[rel_dir] = spec

    def ignored(self, rel: str, is_dir: bool) -> bool:
        probe = rel + "/" if is_dir else rel
        if self.extra is not None and self.extra.match_file(probe):
            return True
        # Check every ancestor directory's .gitignore, relative to that directory.
        parts = rel.split("/")
        for depth in range(len(parts)):
            base = "/".join(parts[:depth])
            spec = self.specs.get(base)
            if spec is None:
                continue
            sub = "/".join(parts[depth:]) + ("/" if is_dir else "")
            if spec.match_file(sub):
                return True
        return False


def _is_venv(path: Path) -> bool:
    return (path / "pyvenv.cfg").is_file() or (path / "conda-meta").is_dir()


def discover(
    root: Path,
    targets: list[Path],
    *,
    exclude: Iterable[str] = (),
    max_file_size: int = 2_000_000,
    use_gitignore: bool = True,
) -> Discovery:
    """Walk the targets (files or directories) below ``root``."""
    root = root.resolve()
    out = Discovery()
    ignores = _Ignores(root, exclude)
    seen: set[str] = set()

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
            try:
                real = abs_path.resolve(strict=True)
            except (OSError, RuntimeError):
                out.skipped.append(SkippedFile(rel, "broken or looping symlink"))
                return
            if not real.is_relative_to(root):
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
        if kind is None:
            return
        seen.add(rel)
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
        if not target.is_dir() or target.is_symlink() and not target.resolve().is_relative_to(root):
            if target.is_file() or target.is_symlink():
                add_file(target, rel_of(target), explicit=True)
            else:
                out.skipped.append(SkippedFile(rel_of(target), "no such file or directory"))
            continue
        base_rel = rel_of(target)
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
                if d in SKIP_DIRS or d.endswith(".egg-info") or child.is_symlink():
                    continue
                if _is_venv(child) or ignores.ignored(child_rel, is_dir=True):
                    continue
                kept.append(d)
            dirnames[:] = kept
            for name in sorted(filenames):
                rel = f"{rel_dir}/{name}" if rel_dir else name
                if ignores.ignored(rel, is_dir=False) and rel != base_rel:
                    continue
                add_file(abs_dir / name, rel, explicit=False)
    out.files.sort(key=lambda f: f.rel)
    return out
