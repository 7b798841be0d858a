"""Which scanned files are dependency manifests, and reading them all."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from redline.deps import distributions, locks, manifests, requirements
from redline.deps.model import Manifest

Parser = Callable[[Path, str], Manifest]

_BY_NAME: dict[str, Parser] = {
    "pyproject.toml": manifests.parse_pyproject,
    "setup.cfg": manifests.parse_setup_cfg,
    "setup.py": manifests.parse_setup_py,
    "pipfile": manifests.parse_pipfile,
    "pipfile.lock": locks.parse_pipfile_lock,
    "poetry.lock": locks.parse_poetry_lock,
    "uv.lock": locks.parse_uv_lock,
    "pdm.lock": locks.parse_pdm_lock,
    "pylock.toml": locks.parse_pylock,
    "pkg-info": distributions.parse_metadata,
}


def parser_for(rel: str, kind: str) -> Parser | str | None:
    """The parser of a manifest, ``"requirements"`` for pip requirement files, or None."""
    name = rel.rsplit("/", 1)[-1].lower()
    parent = rel.rsplit("/", 2)[-2].lower() if "/" in rel else ""
    if name == "requires.txt" and parent.endswith(".egg-info"):
        return distributions.parse_requires_txt
    if kind == "requirements" or name == "requirements.lock":
        return "requirements"
    if name in _BY_NAME:
        return _BY_NAME[name]
    if name.startswith("pylock.") and name.endswith(".toml"):
        return locks.parse_pylock
    if name == "metadata" and parent.endswith(".dist-info"):
        return distributions.parse_metadata
    return None


def read_all(files: Iterable[tuple[Path, str, str]], root: Path) -> list[Manifest]:
    """Every manifest among (absolute path, relative path, kind), each read once;
    requirement files included by others come with their includer."""
    out: list[Manifest] = []
    seen: dict[str, Manifest] = {}
    for path, rel, kind in sorted(files, key=lambda f: f[1]):
        parser = parser_for(rel, kind)
        if parser is None or rel in seen:
            continue
        if parser == "requirements":
            out.extend(requirements.parse(path, rel, root, seen))
            continue
        seen[rel] = Manifest(rel, "")
        assert callable(parser)
        try:
            out.append(parser(path, rel))
        except RecursionError:
            out.append(Manifest(rel, rel.rsplit("/", 1)[-1], errors=[f"{rel}: nested too deeply to read"]))
    for m in out:
        if m.path.rsplit("/", 1)[-1].lower() == "requirements.lock":
            m.is_lock = True
    return out
