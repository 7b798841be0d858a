"""The checks that emit the rules of the catalog (redline.rules.catalog).

A *rule* is what a user sees (id, title, severity, docs), kept as data. A *check* is a small
function called by the engine's single AST walk, either for every node of some
types or for calls whose resolved qualified name is in a set. A check declares
the rules it may report; it is skipped entirely when none of them is enabled.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from redline.model import Rule
from redline.rules.catalog import catalog

CHECKS: list[Check] = []


@dataclass(frozen=True)
class Check:
    fn: Callable[..., None]
    rules: tuple[Rule, ...]
    node_types: tuple[type[ast.AST], ...] = ()
    calls: frozenset[str] = frozenset()


def check(
    *rules: Rule,
    nodes: Iterable[type[ast.AST]] = (),
    calls: Iterable[str] = (),
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register ``fn(ctx, node)`` for node types and/or resolved call names."""

    def wrap(fn: Callable[..., None]) -> Callable[..., None]:
        CHECKS.append(Check(fn, tuple(rules), tuple(nodes), frozenset(calls)))
        return fn

    return wrap


@dataclass(frozen=True)
class ProjectPass:
    fn: Callable[..., list]
    rule: Rule


PROJECT_PASSES: list[ProjectPass] = []


def project_pass(rule: Rule) -> Callable[[Callable[..., list]], Callable[..., list]]:
    """Register ``fn(findings, index) -> findings``: run in the parent once the project
    index is built, for the findings of ``rule`` that depend on other modules (a base
    class defined elsewhere). The per-file check reports provisionally; this pass keeps,
    rewrites or drops those findings. Inline suppressions were applied in the worker."""

    def wrap(fn: Callable[..., list]) -> Callable[..., list]:
        PROJECT_PASSES.append(ProjectPass(fn, rule))
        return fn

    return wrap


def project_passes() -> list[ProjectPass]:
    load_all()
    return PROJECT_PASSES


def all_rules() -> list[Rule]:
    return list(catalog().values())


def get(rule_id: str) -> Rule | None:
    return catalog().get(rule_id.upper())


_loaded = False


def load_all() -> None:
    """Import every module of this package once: checks register at import time."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    import redline.rules as package

    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{info.name}")
