"""Declared dependencies: ``pyproject.toml`` (PEP 621, PEP 735 groups, Poetry, PDM,
Hatch), ``setup.cfg``, ``setup.py`` (read through its AST, never run) and ``Pipfile``
(distribution metadata is read by :mod:`redline.deps.distributions`)."""

from __future__ import annotations

import ast
import configparser
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from redline.deps import poetry
from redline.deps.datafiles import DataError, load_toml, read_text
from redline.deps.lines import LineFinder
from redline.deps.model import (
    DECLARED,
    Dependency,
    Manifest,
    canonical,
    is_commit,
    url_is_pinned,
)
from redline.deps.versions import exact_pin


def pep508(text: str, rel: str, line: int, fmt: str, group: str, snippet: str, origin: str = DECLARED) -> tuple[Dependency | None, str | None]:
    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        return None, f"{rel}:{line}: not a requirement {text!r} ({' '.join(str(exc).split())[:120]})"
    url = req.url
    return (
        Dependency(
            canonical(req.name), req.name, rel, line, origin, fmt,
            specifier=str(req.specifier), version=exact_pin(req.specifier), url=url,
            url_pinned=url_is_pinned(url) if url else True,
            local=bool(url and url.lower().startswith("file:")),
            marker=str(req.marker) if req.marker else "", group=group, snippet=snippet,
        ),
        None,
    )


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


class _Builder:
    """Collects dependencies of one file, finding each entry's line."""

    def __init__(self, rel: str, fmt: str, text: str) -> None:
        self.manifest = Manifest(rel, fmt)
        self.lines = LineFinder(text)

    def requirement(self, text: str, section: str, group: str = "") -> None:
        start = self.lines.section(section) if section else 0
        line = self.lines.find(text.strip(), start)
        if line == 1 and text.strip() not in self.lines.text(1):
            quoted = text.split(";")[0].strip()
            line = self.lines.find(quoted, start)
        dep, error = pep508(text, self.manifest.path, line, self.manifest.fmt, group, self.lines.text(line))
        if error:
            self.manifest.errors.append(error)
        elif dep is not None:
            self.manifest.dependencies.append(dep)

    def table_entry(self, name: str, value: object, section: str, group: str = "", exact_bare: bool = True) -> None:
        """A Poetry or Pipfile entry: ``name = "constraint"`` or ``name = {version=..., git=...}``."""
        if canonical(name) == "python":
            return
        line = self.lines.key(name, self.lines.section(section))
        snippet = self.lines.text(line)
        rel, fmt = self.manifest.path, self.manifest.fmt
        if isinstance(value, list):  # Poetry: several constraints by marker
            value = next((v for v in value if isinstance(v, (str, dict))), "*")
        url = None
        pinned_url = True
        local = False
        constraint = "*"
        marker = ""
        if isinstance(value, str):
            constraint = value
        elif isinstance(value, dict):
            constraint = value.get("version", "*") if isinstance(value.get("version", "*"), str) else "*"
            marker = value.get("markers", "") if isinstance(value.get("markers"), str) else ""
            if isinstance(value.get("git"), str):
                url = "git+" + value["git"]
                ref = next((value[k] for k in ("rev", "ref", "tag", "branch") if isinstance(value.get(k), str)), "")
                pinned_url = is_commit(ref)
            elif isinstance(value.get("url"), str):
                url = value["url"]
                pinned_url = url_is_pinned(url)
            elif isinstance(value.get("path"), str) or isinstance(value.get("file"), str):
                local = True
        else:
            self.manifest.errors.append(f"{rel}:{line}: {name}: unreadable entry")
            return
        if not exact_bare and constraint.strip() not in ("", "*") and constraint.strip()[0].isdigit():
            constraint = "==" + constraint.strip()  # Pipfile: a bare version is exact too
        alternatives = poetry.to_pep440(constraint)
        if alternatives is None:
            self.manifest.errors.append(f"{rel}:{line}: {name}: cannot read version {constraint!r}")
            alternatives = ("",)
        spec = " || ".join(alternatives)
        version = None
        if len(alternatives) == 1:
            from redline.deps.versions import specifier

            parsed = specifier(alternatives[0])
            version = exact_pin(parsed) if parsed is not None else None
        self.manifest.dependencies.append(
            Dependency(
                canonical(name), name, rel, line, DECLARED, fmt, specifier=spec, version=version,
                url=url, url_pinned=pinned_url, local=local, marker=marker, group=group, snippet=snippet,
            )
        )


def parse_pyproject(path: Path, rel: str) -> Manifest:
    try:
        text = read_text(path)
        data = load_toml(text)
    except DataError as exc:
        return Manifest(rel, "pyproject.toml", errors=[f"{rel}: {exc}"])
    b = _Builder(rel, "pyproject.toml", text)
    project = data.get("project") if isinstance(data.get("project"), dict) else {}
    b.manifest.requires_python = _requires_python(project.get("requires-python"), data)
    for req in _strings(project.get("dependencies")):
        b.requirement(req, "project")
    extras = project.get("optional-dependencies")
    if isinstance(extras, dict):
        for extra, reqs in extras.items():
            for req in _strings(reqs):
                b.requirement(req, "project.optional-dependencies", extra)
    groups = data.get("dependency-groups")
    if isinstance(groups, dict):
        for group, reqs in groups.items():
            for req in _strings(reqs):
                b.requirement(req, "dependency-groups", group)
    tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}
    _poetry(b, tool.get("poetry"))
    pdm = tool.get("pdm")
    if isinstance(pdm, dict):
        for key in ("dev-dependencies", "optional-dependencies"):
            table = pdm.get(key)
            if isinstance(table, dict):
                for group, reqs in table.items():
                    for req in _strings(reqs):
                        b.requirement(req, f"tool.pdm.{key}", group)
    hatch = tool.get("hatch")
    envs = hatch.get("envs") if isinstance(hatch, dict) else None
    if isinstance(envs, dict):
        for env, conf in envs.items():
            if isinstance(conf, dict):
                for key in ("dependencies", "extra-dependencies"):
                    for req in _strings(conf.get(key)):
                        b.requirement(req, f"tool.hatch.envs.{env}", f"hatch:{env}")
    return b.manifest


def _requires_python(declared: object, data: dict) -> str | None:
    """PEP 621 ``requires-python``, else Poetry's ``python`` dependency."""
    if isinstance(declared, str) and declared.strip():
        return declared.strip()
    tool = data.get("tool")
    conf = tool.get("poetry") if isinstance(tool, dict) else None
    deps = conf.get("dependencies") if isinstance(conf, dict) else None
    python = deps.get("python") if isinstance(deps, dict) else None
    if isinstance(python, str):
        alternatives = poetry.to_pep440(python)
        if alternatives and len(alternatives) == 1 and alternatives[0]:
            return alternatives[0]
    return None


def _poetry(b: _Builder, poetry_conf: object) -> None:
    if not isinstance(poetry_conf, dict):
        return
    sections = [("tool.poetry.dependencies", poetry_conf.get("dependencies"), "")]
    sections.append(("tool.poetry.dev-dependencies", poetry_conf.get("dev-dependencies"), "dev"))
    groups = poetry_conf.get("group")
    if isinstance(groups, dict):
        for name, group in groups.items():
            if isinstance(group, dict):
                sections.append((f"tool.poetry.group.{name}.dependencies", group.get("dependencies"), name))
    for section, table, group in sections:
        if isinstance(table, dict):
            for name, value in table.items():
                b.table_entry(name, value, section, group)


def parse_pipfile(path: Path, rel: str) -> Manifest:
    try:
        text = read_text(path)
        data = load_toml(text)
    except DataError as exc:
        return Manifest(rel, "Pipfile", errors=[f"{rel}: {exc}"])
    b = _Builder(rel, "Pipfile", text)
    for section, table in data.items():
        if section in ("source", "requires", "scripts", "pipenv") or not isinstance(table, dict):
            continue
        for name, value in table.items():
            b.table_entry(name, value, section, "" if section == "packages" else section, exact_bare=False)
    return b.manifest


def parse_setup_cfg(path: Path, rel: str) -> Manifest:
    try:
        text = read_text(path)
    except DataError as exc:
        return Manifest(rel, "setup.cfg", errors=[f"{rel}: {exc}"])
    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        return Manifest(rel, "setup.cfg", errors=[f"{rel}: invalid INI: {' '.join(str(exc).split())[:200]}"])
    b = _Builder(rel, "setup.cfg", text)
    if parser.has_option("options", "python_requires"):
        b.manifest.requires_python = parser.get("options", "python_requires").strip() or None
    if parser.has_section("options"):
        for key in ("install_requires", "setup_requires", "tests_require"):
            if parser.has_option("options", key):
                for req in _cfg_list(parser.get("options", key)):
                    b.requirement(req, "options", "" if key == "install_requires" else key)
    if parser.has_section("options.extras_require"):
        for extra, value in parser.items("options.extras_require"):
            for req in _cfg_list(value):
                b.requirement(req, "options.extras_require", extra)
    return b.manifest


def _cfg_list(value: str) -> list[str]:
    out = []
    for line in value.splitlines():
        line = line.split(" #", 1)[0].strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


_SETUP_KEYS = {"install_requires": "", "setup_requires": "setup_requires", "tests_require": "tests_require"}


def parse_setup_py(path: Path, rel: str) -> Manifest:
    manifest = Manifest(rel, "setup.py")
    try:
        text = read_text(path)
        tree = ast.parse(text, filename=rel)
    except DataError as exc:
        manifest.errors.append(f"{rel}: {exc}")
        return manifest
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        manifest.errors.append(f"{rel}: cannot be parsed")
        return manifest
    lines = text.splitlines()
    assigned: dict[str, ast.expr] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            assigned[node.targets[0].id] = node.value

    def resolve(expr: ast.expr, depth: int = 0) -> ast.expr:
        while isinstance(expr, ast.Name) and expr.id in assigned and depth < 10:
            expr, depth = assigned[expr.id], depth + 1
        return expr

    def add(expr: ast.expr, group: str) -> None:
        expr = resolve(expr)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            add(expr.left, group)
            add(expr.right, group)
            return
        if not isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
            return
        for elt in expr.elts:
            elt = resolve(elt)
            if isinstance(elt, ast.Constant) and isinstance(elt.value, str):
                snippet = lines[elt.lineno - 1].strip() if 0 < elt.lineno <= len(lines) else ""
                dep, error = pep508(elt.value, rel, elt.lineno, "setup.py", group, snippet)
                if error:
                    manifest.errors.append(error)
                elif dep is not None:
                    manifest.dependencies.append(dep)

    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name != "setup":
            continue
        for kw in node.keywords:
            if kw.arg == "python_requires":
                value = resolve(kw.value)
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    manifest.requires_python = value.value.strip() or None
            if kw.arg in _SETUP_KEYS:
                add(kw.value, _SETUP_KEYS[kw.arg])
            elif kw.arg == "extras_require":
                extras = resolve(kw.value)
                if isinstance(extras, ast.Dict):
                    for k, v in zip(extras.keys, extras.values, strict=True):
                        if isinstance(k, ast.Constant) and isinstance(k.value, str):
                            add(v, k.value)
    return manifest
