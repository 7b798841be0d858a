"""An installed environment read without running it (``redline scan --env PATH``): the
``*.dist-info`` (and ``*.egg-info``) entries of a virtual environment's or an
interpreter prefix's site-packages, one exact version per installed distribution
(what pip-audit audits for an environment). No interpreter is started.
"""

from __future__ import annotations

import os
from pathlib import Path

from redline.deps.distributions import read_identity
from redline.deps.model import INSTALLED, Dependency, Manifest, canonical

FORMAT = "installed"
# Where site-packages lives under a prefix (POSIX venvs and prefixes, Debian, Windows).
_LAYOUTS = ("lib/python*/site-packages", "lib64/python*/site-packages", "lib/python*/dist-packages",
            "lib/python3/dist-packages", "Lib/site-packages")


class EnvironmentError_(ValueError):
    """A path that is not an environment; the message is one line."""


def site_packages(path: Path) -> list[Path]:
    """The site-packages directories of a virtual environment or interpreter prefix,
    or ``path`` itself when it is one. Raises EnvironmentError_ when there is none."""
    if not path.is_dir():
        raise EnvironmentError_(f"{path}: no such directory")
    if path.name in ("site-packages", "dist-packages") or _holds_distributions(path):
        return [path]
    found: dict[Path, Path] = {}
    for pattern in _LAYOUTS:
        for candidate in sorted(path.glob(pattern)):
            if candidate.is_dir():
                found.setdefault(candidate.resolve(), candidate)
    if not found:
        raise EnvironmentError_(
            f"{path}: no site-packages found (expected a virtual environment, an interpreter prefix or a site-packages directory)"
        )
    return list(found.values())


def _holds_distributions(path: Path) -> bool:
    try:
        return any(e.name.endswith(".dist-info") and e.is_dir() for e in os.scandir(path))
    except OSError:
        return False


def _metadata_file(entry: os.DirEntry) -> Path | None:
    if entry.name.endswith(".dist-info") and entry.is_dir():
        return Path(entry.path) / "METADATA"
    if entry.name.endswith(".egg-info"):
        # A directory with PKG-INFO, or (distutils) the PKG-INFO itself as a file.
        return Path(entry.path) / "PKG-INFO" if entry.is_dir() else Path(entry.path)
    return None


def read(path: Path, shown: str) -> tuple[Manifest, int]:
    """One manifest of every distribution installed under ``path`` (paths written
    under ``shown``, the environment as the user named it), and how many were read."""
    manifest = Manifest(shown, FORMAT, is_lock=True)
    count = 0
    for directory in site_packages(path):
        prefix = shown if directory == path else f"{shown.rstrip('/')}/{directory.relative_to(path).as_posix()}"
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            manifest.errors.append(f"{prefix}: cannot read: {exc.strerror or exc}")
            continue
        for entry in entries:
            meta = _metadata_file(entry)
            if meta is None:
                continue
            rel = f"{prefix}/{entry.name}" + (f"/{meta.name}" if meta != Path(entry.path) else "")
            if not meta.is_file():
                manifest.errors.append(f"{rel}: skipped: no {meta.name} file (incomplete installation)")
                continue
            identity = read_identity(meta, rel)
            if isinstance(identity, str):
                manifest.errors.append(f"{rel}: {identity}")
                continue
            name, version, line, snippet = identity
            count += 1
            manifest.dependencies.append(
                Dependency(
                    canonical(name), name, rel, line, INSTALLED, FORMAT,
                    specifier=f"=={version}", version=version, snippet=snippet,
                )
            )
    return manifest, count
