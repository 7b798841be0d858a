"""Module names and qualified-name resolution through a module's imports.

``import yaml as y; y.load(...)`` resolves to ``yaml.load``;
``from subprocess import run as r; r(...)`` to ``subprocess.run``. Builtins keep
their bare name (``eval``), and ``builtins.eval`` is folded onto it.
"""

from __future__ import annotations

import ast
import builtins
import sys

BUILTIN_NAMES = frozenset(dir(builtins))


def module_name(rel_path: str, package_dirs: frozenset[str], root_name: str = "") -> tuple[str, bool]:
    """Dotted module name for a repo-relative path, and whether it is a package.

    ``package_dirs`` holds the relative directories that contain ``__init__.py``
    (``""`` when the scan root itself is a package, whose name is ``root_name``).
    The name starts at the highest directory of the unbroken chain of packages
    above the file, so ``src/pkg/mod.py`` is ``pkg.mod`` and a loose script is
    just its stem.
    """
    directory, _, filename = rel_path.rpartition("/")
    dot = filename.rfind(".")
    stem = filename[:dot] if dot > 0 else filename
    parts: list[str] = []
    is_package = stem == "__init__"
    if not is_package:
        parts.append(stem)
    while directory and directory in package_dirs:
        directory, _, name = directory.rpartition("/")
        parts.append(name)
    if not directory and "" in package_dirs and root_name.isidentifier():
        parts.append(root_name)  # every directory up to the root, and the root, is a package
    if not parts:  # a top-level __init__.py of a root whose name is not an identifier
        parts.append(rel_path.rpartition("/")[0].rpartition("/")[2] or "__init__")
    return ".".join(reversed(parts)), is_package


STDLIB_MODULES = frozenset(sys.stdlib_module_names)


def namespace_name(rel_path: str) -> str | None:
    """The name a file has when its directories are namespace packages (PEP 420):
    ``helpers/utils.py`` imported as ``helpers.utils`` from the project root. None for
    top-level files and paths that are not identifiers."""
    if "/" not in rel_path or not rel_path.endswith(".py"):
        return None
    parts = rel_path[:-3].split("/")
    if parts[-1] == "__init__":
        parts.pop()
    if not all(p.isidentifier() for p in parts) or parts[0] in STDLIB_MODULES:
        return None
    return ".".join(parts)


class ImportMap:
    """Local name -> fully-qualified name, from every import in a module."""

    __slots__ = ("module", "is_package", "aliases", "defined")

    def __init__(self, module: str, is_package: bool) -> None:
        self.module = module
        self.is_package = is_package
        self.aliases: dict[str, str] = {}
        self.defined: set[str] = set()

    @classmethod
    def build(cls, tree: ast.Module, module: str, is_package: bool) -> ImportMap:
        """Collect imports from every statement (function-level ones included),
        visiting statements only: expressions cannot hold an import."""
        imap = cls(module, is_package)
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                imap.defined.add(node.name)
        stack: list[list[ast.stmt]] = [tree.body]
        while stack:
            for node in stack.pop():
                if isinstance(node, ast.Import):
                    for alias in node.names:
                        if alias.asname:
                            imap.aliases[alias.asname] = alias.name
                        else:
                            top = alias.name.split(".", 1)[0]
                            imap.aliases[top] = top
                elif isinstance(node, ast.ImportFrom):
                    base = imap.absolute(node.module, node.level)
                    for alias in node.names:
                        if alias.name != "*":
                            full = f"{base}.{alias.name}" if base else alias.name
                            imap.aliases[alias.asname or alias.name] = full
                else:
                    stack.extend(statement_bodies(node))
        return imap

    def absolute(self, module: str | None, level: int) -> str:
        """The absolute module named by ``from <level dots><module> import ...``."""
        if not level:
            return module or ""
        parts = self.module.split(".")
        if not self.is_package:
            parts = parts[:-1]
        if level > 1:
            parts = parts[: len(parts) - (level - 1)] if level - 1 <= len(parts) else []
        if module:
            parts.append(module)
        return ".".join(parts)

    def resolve_name(self, name: str) -> str | None:
        target = self.aliases.get(name)
        if target is not None:
            return fold_builtins(target)
        if name in self.defined:
            return f"{self.module}.{name}"
        if name in BUILTIN_NAMES:
            return name
        return None


def fold_builtins(name: str) -> str:
    if name.startswith("builtins."):
        return name[len("builtins.") :]
    return name


def dotted(node: ast.AST) -> list[str] | None:
    """``a.b.c`` as ``["a", "b", "c"]``; None for anything that is not a plain chain."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        parts.reverse()
        return parts
    return None


def statement_bodies(node: ast.stmt) -> list[list[ast.stmt]]:
    """The statement lists nested directly in a statement (bodies, else, handlers, cases)."""
    out = []
    for name in ("body", "orelse", "finalbody"):
        value = getattr(node, name, None)
        if value and isinstance(value, list) and isinstance(value[0], ast.stmt):
            out.append(value)
    for handler in getattr(node, "handlers", None) or ():
        out.append(handler.body)
    for case in getattr(node, "cases", None) or ():
        out.append(case.body)
    return out
