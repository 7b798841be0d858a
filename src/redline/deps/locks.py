"""Lock files: exact versions from ``poetry.lock``, ``uv.lock``, ``pdm.lock``,
``Pipfile.lock`` and ``pylock.toml`` (PEP 751)."""

from __future__ import annotations

import re
from pathlib import Path

from redline.deps.datafiles import DataError, load_json, load_toml, read_text
from redline.deps.model import LOCKED, Dependency, Manifest, canonical, is_commit

_NAME_LINE = re.compile(r"""^\s*name\s*=\s*["']([^"']+)["']""")


def _package_lines(text: str, header: str) -> list[int]:
    """The line of each ``name = ...`` that follows a ``[[header]]`` line, in order."""
    out = []
    waiting = False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("[["):
            waiting = stripped == f"[[{header}]]"
        elif stripped.startswith("["):
            waiting = False
        elif waiting and _NAME_LINE.match(line):
            out.append(number)
            waiting = False
    return out


def _toml_lock(path: Path, rel: str, fmt: str, table: str) -> tuple[Manifest, list[tuple[dict, int, str]]]:
    manifest = Manifest(rel, fmt, is_lock=True)
    try:
        text = read_text(path)
        data = load_toml(text)
    except DataError as exc:
        manifest.errors.append(f"{rel}: {exc}")
        return manifest, []
    packages = data.get(table)
    if not isinstance(packages, list):
        return manifest, []
    numbers = _package_lines(text, table)
    lines = text.splitlines()
    out = []
    for i, pkg in enumerate(packages):
        if not isinstance(pkg, dict) or not isinstance(pkg.get("name"), str):
            continue
        line = numbers[i] if i < len(numbers) else 1
        out.append((pkg, line, lines[line - 1].strip() if 0 < line <= len(lines) else ""))
    return manifest, out


def _locked(manifest: Manifest, pkg: dict, line: int, snippet: str, **extra) -> None:
    version = pkg.get("version")
    manifest.dependencies.append(
        Dependency(
            canonical(pkg["name"]), pkg["name"], manifest.path, line, LOCKED, manifest.fmt,
            specifier=f"=={version}" if isinstance(version, str) else "",
            version=version if isinstance(version, str) else None, snippet=snippet, **extra,
        )
    )


def parse_poetry_lock(path: Path, rel: str) -> Manifest:
    manifest, packages = _toml_lock(path, rel, "poetry.lock", "package")
    for pkg, line, snippet in packages:
        source = pkg.get("source") if isinstance(pkg.get("source"), dict) else {}
        kind = source.get("type")
        if kind in ("directory", "file") and not source.get("url", "").startswith(("http:", "https:")):
            _locked(manifest, pkg, line, snippet, local=True)
        elif kind == "git":
            commit = source.get("resolved_reference") or source.get("reference")
            _locked(manifest, pkg, line, snippet, url=f"git+{source.get('url', '')}",
                    url_pinned=is_commit(commit if isinstance(commit, str) else ""))
        else:
            _locked(manifest, pkg, line, snippet, hashes=bool(pkg.get("files")))
    return manifest


def parse_uv_lock(path: Path, rel: str) -> Manifest:
    manifest, packages = _toml_lock(path, rel, "uv.lock", "package")
    for pkg, line, snippet in packages:
        source = pkg.get("source") if isinstance(pkg.get("source"), dict) else {}
        if any(k in source for k in ("editable", "virtual", "directory", "path")):
            _locked(manifest, pkg, line, snippet, local=True)  # the project itself or a workspace member
        elif isinstance(source.get("git"), str):
            url = source["git"]
            commit = url.rsplit("#", 1)[1] if "#" in url else ""
            _locked(manifest, pkg, line, snippet, url=f"git+{url}", url_pinned=is_commit(commit))
        else:
            _locked(manifest, pkg, line, snippet, hashes=bool(pkg.get("sdist") or pkg.get("wheels")))
    return manifest


def parse_pdm_lock(path: Path, rel: str) -> Manifest:
    manifest, packages = _toml_lock(path, rel, "pdm.lock", "package")
    for pkg, line, snippet in packages:
        if isinstance(pkg.get("git"), str):
            _locked(manifest, pkg, line, snippet, url=f"git+{pkg['git']}", url_pinned=is_commit(pkg.get("revision")))
        elif isinstance(pkg.get("path"), str) or pkg.get("editable"):
            _locked(manifest, pkg, line, snippet, local=True)
        else:
            _locked(manifest, pkg, line, snippet, hashes=bool(pkg.get("files")))
    return manifest


def parse_pylock(path: Path, rel: str) -> Manifest:
    manifest, packages = _toml_lock(path, rel, "pylock.toml", "packages")
    for pkg, line, snippet in packages:
        vcs = pkg.get("vcs") if isinstance(pkg.get("vcs"), dict) else None
        if isinstance(pkg.get("directory"), dict):
            _locked(manifest, pkg, line, snippet, local=True)
        elif vcs is not None:
            _locked(manifest, pkg, line, snippet, url=f"{vcs.get('type', 'git')}+{vcs.get('url', '')}",
                    url_pinned=is_commit(vcs.get("commit-id")))
        else:
            _locked(manifest, pkg, line, snippet, hashes=bool(pkg.get("wheels") or pkg.get("sdist") or pkg.get("archive")))
    return manifest


def parse_pipfile_lock(path: Path, rel: str) -> Manifest:
    manifest = Manifest(rel, "Pipfile.lock", is_lock=True)
    try:
        text = read_text(path)
        data = load_json(text)
    except DataError as exc:
        manifest.errors.append(f"{rel}: {exc}")
        return manifest
    if not isinstance(data, dict):
        manifest.errors.append(f"{rel}: not a Pipfile.lock (no top-level object)")
        return manifest
    lines = text.splitlines()
    for section in ("default", "develop"):
        table = data.get(section)
        if not isinstance(table, dict):
            continue
        start = next((i for i, line in enumerate(lines) if f'"{section}"' in line), 0)
        for name, entry in table.items():
            if not isinstance(entry, dict):
                continue
            needle = f'"{name}":'
            line = next((i + 1 for i in range(start, len(lines)) if needle in lines[i]), 1)
            snippet = lines[line - 1].strip() if lines else ""
            group = "" if section == "default" else "develop"
            raw = entry.get("version")
            version = raw[2:] if isinstance(raw, str) and raw.startswith("==") else None
            if isinstance(entry.get("git"), str):
                url = "git+" + entry["git"]
                manifest.dependencies.append(
                    Dependency(canonical(name), name, rel, line, LOCKED, "Pipfile.lock", version=version,
                               url=url, url_pinned=is_commit(entry.get("ref")), group=group, snippet=snippet)
                )
            elif isinstance(entry.get("path"), str) or isinstance(entry.get("file"), str):
                manifest.dependencies.append(
                    Dependency(canonical(name), name, rel, line, LOCKED, "Pipfile.lock", local=True,
                               group=group, snippet=snippet)
                )
            else:
                manifest.dependencies.append(
                    Dependency(canonical(name), name, rel, line, LOCKED, "Pipfile.lock",
                               specifier=raw if isinstance(raw, str) else "", version=version,
                               marker=entry.get("markers", "") if isinstance(entry.get("markers"), str) else "",
                               group=group, hashes=bool(entry.get("hashes")), snippet=snippet)
                )
    return manifest
