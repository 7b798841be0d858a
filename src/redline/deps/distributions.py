"""Distribution metadata, every form of it: ``*.dist-info/METADATA`` (a wheel, an
installed package), ``PKG-INFO`` (an sdist, an ``*.egg-info``) and
``*.egg-info/requires.txt`` (setuptools' requirements, with ``[extra]`` and
``[:marker]`` sections).

A file that is not usable metadata (no ``Name`` or ``Version``, a version that is not
PEP 440, undecodable bytes) is skipped with a one-line reason, never guessed at.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from packaging.utils import canonicalize_name

from redline.deps.datafiles import DataError, read_text
from redline.deps.lines import LineFinder
from redline.deps.manifests import pep508
from redline.deps.model import DECLARED, INSTALLED, Dependency, Manifest, canonical
from redline.deps.versions import parse

MAX_METADATA_BYTES = 5_000_000
_EXTRA = re.compile(r"""\bextra\s*==\s*["']([^"']+)["']|["']([^"']+)["']\s*==\s*extra\b""")


def _kind(rel: str) -> str:
    """``installed`` for a ``*.dist-info`` or ``*.egg-info`` (what is installed),
    ``sdist`` for a bare ``PKG-INFO`` (the unpacked source distribution itself)."""
    parent = rel.rsplit("/", 2)[-2] if "/" in rel else ""
    return "installed" if parent.endswith((".dist-info", ".egg-info")) else "sdist"


def _headers(text: str):
    from email.parser import HeaderParser  # only for installed metadata: 7 ms at every start

    head = text.replace("\r\n", "\n").split("\n\n", 1)[0]
    return HeaderParser().parsestr(head + "\n\n")


def read_identity(path: Path, rel: str) -> tuple[str, str, int, str] | str:
    """(name, version, line of Version, that line) of a METADATA or PKG-INFO file, or
    why it cannot be used (one line)."""
    try:
        text = read_text(path, MAX_METADATA_BYTES)
    except DataError as exc:
        return f"skipped: {exc}"
    return _identity(text, _headers(text), LineFinder(text))


def _identity(text: str, headers, finder: LineFinder) -> tuple[str, str, int, str] | str:
    if not text.strip():
        return "skipped: empty metadata file"
    name, version = (headers.get("Name") or "").strip(), (headers.get("Version") or "").strip()
    if not name or not version:
        missing = " and ".join(h for h, v in (("Name", name), ("Version", version)) if not v)
        return f"skipped: malformed metadata, no {missing} header"
    if parse(version) is None:
        return f"skipped: malformed metadata, Version {version[:60]!r} is not a PEP 440 version"
    line = finder.key("Version")
    return name, version, line, finder.text(line)


def parse_metadata(path: Path, rel: str) -> Manifest:
    """``Name``/``Version`` of a distribution, its ``Requires-Python`` and its
    ``Requires-Dist`` (extras as optional groups)."""
    fmt = "METADATA" if rel.rsplit("/", 1)[-1] == "METADATA" else "PKG-INFO"
    manifest = Manifest(rel, fmt)
    try:
        text = read_text(path, MAX_METADATA_BYTES)
    except DataError as exc:
        manifest.errors.append(f"{rel}: skipped: {exc}")
        return manifest
    headers, finder = _headers(text), LineFinder(text)
    identity = _identity(text, headers, finder)
    if isinstance(identity, str):
        manifest.errors.append(f"{rel}: {identity}")
        return manifest
    name, version, line, snippet = identity
    requires = (headers.get("Requires-Python") or "").strip()
    manifest.requires_python = requires or None
    manifest.dependencies.append(
        Dependency(
            canonical(name), name, rel, line, INSTALLED, fmt, specifier=f"=={version}", version=version,
            snippet=snippet, local=_kind(rel) == "sdist",  # an sdist's PKG-INFO is the project itself
        )
    )
    for req in headers.get_all("Requires-Dist") or []:
        req = " ".join(req.split())
        number = finder.find(req)
        dep, error = pep508(req, rel, number, fmt, "", finder.text(number))
        if error:
            manifest.errors.append(error)
        elif dep is not None:
            manifest.dependencies.append(_with_extra_group(dep))
    return manifest


def _with_extra_group(dep: Dependency) -> Dependency:
    """A requirement of an optional extra (``; extra == "x"``) belongs to group ``x``."""
    m = _EXTRA.search(dep.marker)
    if m is None:
        return dep
    return replace(dep, group=canonicalize_name(m.group(1) or m.group(2)))


def parse_requires_txt(path: Path, rel: str) -> Manifest:
    """``*.egg-info/requires.txt``: requirements, then ``[extra]``, ``[:marker]`` or
    ``[extra:marker]`` sections. Left alone when the sibling ``PKG-INFO`` lists its
    ``Requires-Dist`` (the same requirements, read there)."""
    manifest = Manifest(rel, "requires.txt")
    sibling = path.parent / "PKG-INFO"
    try:
        if sibling.is_file() and "\nRequires-Dist:" in read_text(sibling, MAX_METADATA_BYTES):
            return manifest
    except DataError:
        pass
    try:
        text = read_text(path)
    except DataError as exc:
        manifest.errors.append(f"{rel}: skipped: {exc}")
        return manifest
    group, marker = "", ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            extra, _, marker = section.partition(":")
            group = canonicalize_name(extra) if extra.strip() else ""
            marker = marker.strip()
            continue
        req = line
        if marker:
            base, sep, own = line.partition(";")
            req = f"{base.strip()}; ({own.strip()}) and ({marker})" if sep else f"{line}; {marker}"
        dep, error = pep508(req, rel, number, "requires.txt", group, raw.strip(), DECLARED)
        if error:
            manifest.errors.append(error)
        elif dep is not None:
            manifest.dependencies.append(dep)
    return manifest
