"""pip requirements files: ``-r``/``-c`` includes, hashes, markers, URLs and
editable installs, read as text (pip is never run).

Includes are followed only inside the scan root, each file once, at most
:data:`MAX_DEPTH` deep. A constraints file (``-c``) pins what it names for every
requirement of the including file.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from redline.deps.datafiles import DataError, read_text
from redline.deps.model import (
    REQUIREMENT,
    VCS_SCHEMES,
    Dependency,
    Manifest,
    canonical,
    url_is_pinned,
)
from redline.deps.versions import exact_pin, specifier

MAX_DEPTH = 10
_EGG = re.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)")
_COMMENT = re.compile(r"(^|\s)#.*$")
_INCLUDE = {"-r": False, "--requirement": False, "-c": True, "--constraint": True}
_EDITABLE = ("-e", "--editable")
# Options that take a value and say nothing about what is installed.
_VALUE_OPTIONS = (
    "-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--trusted-host",
    "--no-binary", "--only-binary", "--prefer-binary", "--config-settings", "--global-option",
    "--use-feature",
)


def logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, text) of each logical line: comments dropped, ``\\``
    continuations joined."""
    out: list[tuple[int, str]] = []
    buf: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _COMMENT.sub("", raw).rstrip()
        if not buf:
            start = number
        if line.endswith("\\"):
            buf.append(line[:-1])
            continue
        buf.append(line)
        joined = " ".join(part.strip() for part in buf).strip()
        buf = []
        if joined:
            out.append((start, joined))
    if buf and " ".join(buf).strip():
        out.append((start, " ".join(part.strip() for part in buf).strip()))
    return out


def _split_options(line: str) -> tuple[str, list[str]]:
    """The requirement part of a line and its per-requirement options (``--hash``)."""
    parts = re.split(r"\s+(?=--?[A-Za-z])", line)
    return parts[0].strip(), [p.strip() for p in parts[1:]]


def _url_dependency(target: str, rel: str, number: int, snippet: str, editable: bool) -> Dependency | None:
    lower = target.lower()
    is_url = lower.startswith(VCS_SCHEMES) or "://" in lower
    if not is_url:
        # A local directory or archive: the project itself or a sibling package.
        name = Path(target.rstrip("/")).name or target
        return Dependency(
            canonical(name) if name[:1].isalnum() else name, target, rel, number, REQUIREMENT, "requirements",
            local=True, snippet=snippet,
        )
    if lower.startswith("file:"):
        return Dependency(
            canonical(Path(target).name), target, rel, number, REQUIREMENT, "requirements",
            local=True, url=target, snippet=snippet,
        )
    egg = _EGG.search(target)
    name = egg.group(1) if egg else target.split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1].split("@", 1)[0]
    name = re.sub(r"\.git$", "", name)
    return Dependency(
        canonical(name), name, rel, number, REQUIREMENT, "requirements",
        url=target, url_pinned=url_is_pinned(target), snippet=snippet,
    )


def parse_line(line: str, rel: str, number: int, snippet: str) -> tuple[Dependency | None, str | None]:
    """One logical requirement line -> (dependency, error)."""
    editable = False
    head, options = _split_options(line)
    if head.startswith(_EDITABLE):
        editable = True
        head = head.split(None, 1)[1] if " " in head else head.split("=", 1)[-1] if "=" in head else ""
        head = head.strip()
        if not head and options:
            head, options = options[0], options[1:]
    hashes = any(o.startswith("--hash") for o in options)
    if not head:
        return None, None
    if editable or head.lower().startswith(VCS_SCHEMES) or head.startswith((".", "/", "~")) or (
        "://" in head and "@" not in head.split("://", 1)[0]
    ):
        dep = _url_dependency(head.split(";", 1)[0].strip(), rel, number, snippet, editable)
        return dep, None
    try:
        req = Requirement(head)
    except InvalidRequirement as exc:
        return None, f"{rel}:{number}: not a requirement ({' '.join(str(exc).split())[:120]})"
    spec = str(req.specifier)
    version = exact_pin(req.specifier)
    url = req.url
    return (
        Dependency(
            canonical(req.name), req.name, rel, number, REQUIREMENT, "requirements",
            specifier=spec, version=version, url=url,
            url_pinned=url_is_pinned(url) if url else True,
            local=bool(url and url.lower().startswith("file:")),
            marker=str(req.marker) if req.marker else "", hashes=hashes, snippet=snippet,
        ),
        None,
    )


def parse(path: Path, rel: str, root: Path, seen: dict[str, Manifest] | None = None, depth: int = 0) -> list[Manifest]:
    """This requirements file and the ones it includes that were not read before
    (each a Manifest); ``seen`` maps the files read so far to their Manifest."""
    seen = {} if seen is None else seen
    manifest = Manifest(rel, "requirements")
    seen[rel] = manifest
    out = [manifest]
    try:
        text = read_text(path)
    except DataError as exc:
        manifest.errors.append(f"{rel}: {exc}")
        return out
    lines = text.splitlines()
    constraints: dict[str, str] = {}
    for number, line in logical_lines(text):
        snippet = lines[number - 1].strip()
        word = line.split(None, 1)[0]
        key = word.split("=", 1)[0]
        if key in _INCLUDE:
            target = line[len(word):].strip() if "=" not in word else word.split("=", 1)[1]
            included, child = _include(path, target, rel, root, seen, depth, manifest)
            if _INCLUDE[key] and child in seen:
                for d in seen[child].dependencies:
                    if d.version:
                        constraints[d.name] = d.version
            out.extend(included)
            continue
        if key in _VALUE_OPTIONS or (key.startswith("-") and not key.startswith(_EDITABLE)):
            continue
        dep, error = parse_line(line, rel, number, snippet)
        if error:
            manifest.errors.append(error)
        if dep is not None:
            manifest.dependencies.append(dep)
    if constraints:
        manifest.dependencies = [
            _constrained(d, constraints[d.name]) if d.version is None and d.url is None and d.name in constraints else d
            for d in manifest.dependencies
        ]
    return out


def _constrained(dep: Dependency, version: str) -> Dependency:
    from dataclasses import replace

    spec = specifier(dep.specifier) if dep.specifier else None
    if spec is not None and not spec.contains(version, prereleases=True):
        return dep
    return replace(dep, version=version)


def _include(
    path: Path, target: str, rel: str, root: Path, seen: dict[str, Manifest], depth: int, manifest: Manifest
) -> tuple[list[Manifest], str]:
    """The manifests newly read through an include, and the included file's relative path."""
    try:
        target = shlex.split(target)[0] if target else ""
    except ValueError:
        pass
    if not target or "://" in target:
        return [], ""
    child = (path.parent / target).resolve()
    try:
        child_rel = child.relative_to(root.resolve()).as_posix()
    except ValueError:
        manifest.errors.append(f"{rel}: include {target!r} is outside the scan root, not read")
        return [], ""
    manifest.includes.append(child_rel)
    if child_rel in seen:
        return [], child_rel
    if depth >= MAX_DEPTH:
        manifest.errors.append(f"{rel}: includes nested deeper than {MAX_DEPTH}, {target!r} not read")
        return [], ""
    if not child.is_file():
        manifest.errors.append(f"{rel}: included file {target!r} not found")
        return [], ""
    return parse(child, child_rel, root, seen, depth + 1), child_rel
