"""The project index: every module's name, imports and definitions.

Each worker summarises its module (plain, JSON-friendly data, cached with the
file's result); the parent process joins the summaries into a ProjectIndex that
resolves names across modules, for fingerprints now and for the taint engine.
"""

from __future__ import annotations

import ast
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import NamedTuple

from redline.python.names import ImportMap, namespace_name, statement_bodies


class Definition(NamedTuple):
    """A function or class a module defines (a tuple: the index of a large tree makes
    tens of thousands on every scan, five times faster than a frozen dataclass)."""

    qualname: str  # module-relative: "Agent.run", "helper", "Agent.run.<locals>.inner" -> "Agent.run.inner"
    kind: str  # "function", "class"
    line: int
    end_line: int
    bases: tuple[str, ...] = ()  # resolved base classes, for classes
    attrs: tuple[str, ...] = ()  # names a class body binds to a value (fields, methods)


@dataclass
class ModuleSummary:
    module: str
    path: str
    is_package: bool
    imports: dict[str, str] = field(default_factory=dict)
    definitions: list[Definition] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)  # module-level name -> class built

    def by_qualname(self) -> dict[str, Definition]:
        index = self.__dict__.get("_by_qualname")
        if index is None:
            index = self.__dict__["_by_qualname"] = {}
            for d in self.definitions:
                index.setdefault(d.qualname, d)
        return index

    def to_dict(self) -> dict:
        return {
            "module": self.module,
            "path": self.path,
            "is_package": self.is_package,
            "imports": self.imports,
            "definitions": [
                [d.qualname, d.kind, d.line, d.end_line, list(d.bases), list(d.attrs)] for d in self.definitions
            ],
            "variables": self.variables,
        }

    @classmethod
    def from_dict(cls, data: dict) -> ModuleSummary:
        return cls(
            module=data["module"],
            path=data["path"],
            is_package=data["is_package"],
            imports=dict(data["imports"]),
            definitions=[Definition(q, k, a, b, tuple(bs), tuple(at)) for q, k, a, b, bs, at in data["definitions"]],
            variables=dict(data.get("variables", {})),
        )


def summarise(tree: ast.Module, imports: ImportMap, path: str) -> ModuleSummary:
    summary = ModuleSummary(imports.module, path, imports.is_package, dict(imports.aliases))
    stack: list[tuple[list[ast.stmt], str]] = [(tree.body, "")]
    while stack:
        body, prefix = stack.pop()
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                qual = f"{prefix}{node.name}"
                bases: tuple[str, ...] = ()
                attrs: tuple[str, ...] = ()
                kind = "function"
                if isinstance(node, ast.ClassDef):
                    kind = "class"
                    bases = tuple(_base_name(b, imports) for b in node.bases)
                    attrs = _class_attributes(node)
                summary.definitions.append(
                    Definition(qual, kind, node.lineno, node.end_lineno or node.lineno, bases, attrs)
                )
                stack.append((node.body, qual + "."))
            else:
                for child_body in statement_bodies(node):
                    stack.append((child_body, prefix))
    summary.definitions.sort(key=lambda d: (d.line, d.qualname))
    return summary


def _class_attributes(node: ast.ClassDef) -> tuple[str, ...]:
    """Names the class body binds: methods, and fields given a value other than None
    (an annotation alone is a required field: a subclass or caller supplies it)."""
    names = []
    for stmt in node.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.append(stmt.name)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            if isinstance(stmt.value, ast.Constant) and stmt.value.value is None:
                continue
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            names.extend(t.id for t in targets if isinstance(t, ast.Name))
    return tuple(names)


def _base_name(node: ast.AST, imports: ImportMap) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        head = imports.resolve_name(node.id) or f"{imports.module}.{node.id}"
        return ".".join([head, *reversed(parts)])
    return "?"


_MISSING = object()
_MAX_REWRITES = 16
_MAX_DEPTH = 24


class ProjectIndex:
    """All modules of the scan, by dotted name and by path.

    Built from the workers' summaries (``ModuleSummary.to_dict()`` form) on first
    use, so a scan whose analysers need no cross-module view pays nothing for it.
    """

    def __init__(self, summaries: list[ModuleSummary | dict]) -> None:
        self._raw = summaries
        self._by_module: dict[str, ModuleSummary] | None = None
        self._by_path: dict[str, ModuleSummary] = {}
        self._starts: dict[str, list[int]] = {}
        self._memo: dict[str, object] = {}
        self._namespace: dict[str, ModuleSummary] = {}

    def _build(self) -> dict[str, ModuleSummary]:
        by_module: dict[str, ModuleSummary] = {}
        summaries = []
        for raw in self._raw:
            s = raw if isinstance(raw, ModuleSummary) else ModuleSummary.from_dict(raw)
            summaries.append(s)
            by_module.setdefault(s.module, s)
            self._by_path[s.path] = s
            self._starts[s.path] = [d.line for d in s.definitions]
        # A loose file in a directory without __init__.py (helpers/utils.py, module
        # "utils") is also importable as helpers.utils: directories are namespace packages.
        self._namespace = {
            alias: s
            for s in summaries
            if s.module == s.path.rpartition("/")[2][:-3]
            and (alias := namespace_name(s.path)) is not None
            and alias not in by_module
        }
        self._by_module = by_module
        return by_module

    @property
    def by_module(self) -> dict[str, ModuleSummary]:
        return self._by_module if self._by_module is not None else self._build()

    @property
    def roots(self) -> frozenset[str]:
        """Top-level names of the scanned modules (``pkg`` for ``pkg.sub.mod``)."""
        roots = self.__dict__.get("_roots")
        if roots is None:
            roots = self.__dict__["_roots"] = frozenset(
                m.split(".", 1)[0] for m in (*self.by_module, *self._namespace)
            )
        return roots

    @property
    def by_path(self) -> dict[str, ModuleSummary]:
        if self._by_module is None:
            self._build()
        return self._by_path

    def __len__(self) -> int:
        return len(self.by_module)

    def definition(self, qualified: str) -> tuple[ModuleSummary, Definition] | None:
        """Find ``pkg.mod.Class.method`` by trying each split between module and definition,
        following re-exports through imports (``from .impl import run`` in ``pkg/__init__``)
        and module-level instances (``component = _Component()``)."""
        memo = self._memo.get(qualified, _MISSING)
        if memo is _MISSING:
            memo = self._memo[qualified] = self._definition(qualified)
        return memo

    def _definition(self, qualified: str) -> tuple[ModuleSummary, Definition] | None:
        by_module = self.by_module
        seen: set[str] = set()
        # A bounded number of rewrites: a name that is both a submodule and a re-exported
        # variable (haystack.core.component.component) would otherwise grow forever.
        for _ in range(_MAX_REWRITES):
            if qualified in seen or qualified.count(".") > _MAX_DEPTH:
                return None
            seen.add(qualified)
            parts = qualified.split(".")
            for cut in range(len(parts) - 1, 0, -1):
                name = ".".join(parts[:cut])
                module = by_module.get(name) or self._namespace.get(name)
                if module is None:
                    continue
                found = module.by_qualname().get(".".join(parts[cut:]))
                if found is not None:
                    return module, found
                target = module.imports.get(parts[cut]) or module.variables.get(parts[cut])
                if target is not None:
                    qualified = ".".join([target, *parts[cut + 1 :]])
                    break
            else:
                return None
        return None

    def enclosing(self, path: str, line: int) -> Definition | None:
        """The innermost definition whose span contains ``line``."""
        summary = self.by_path.get(path)
        if summary is None:
            return None
        starts = self._starts[path]
        best = None
        for d in summary.definitions[: bisect_right(starts, line)]:
            if d.line <= line <= d.end_line:
                best = d  # later starts are nested deeper
        return best
