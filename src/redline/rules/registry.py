"""The rule registry: one metadata record per rule, and the checks that emit them.

A *rule* is what a user sees (id, title, severity, docs). A *check* is a small
function called by the engine's single AST walk, either for every node of some
types or for calls whose resolved qualified name is in a set. A check declares
the rules it may report; it is skipped entirely when none of them is enabled.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from redline.model import Area, Confidence, Rule, RuleDoc, Severity

RULES: dict[str, Rule] = {}
CHECKS: list[Check] = []
# Rules outside the default profile: their precision measured on real code
# (benchmarks/precision, judged findings) stayed under 50 %. `--profile audit` runs them.
PROFILES: dict[str, str] = {
    # /tmp paths in agent frameworks are mostly inside sandboxes and remote containers
    # (1 of 6 judged findings real)
    "FS007": "audit",
    # requirements files shipped inside libraries (tool images, project templates) are
    # not the project's own pins (1 of 5 judged findings real, counting debatable as half)
    "DEP003": "audit",
}


def define(
    id: str,
    name: str,
    title: str,
    *,
    area: Area,
    severity: Severity,
    confidence: Confidence,
    cwe: int | None,
    what: str,
    why: str,
    example: str,
    use_instead: str,
    recommendation: str,
    references: Iterable[str] = (),
    basis: str = "config",
    impacts: dict[str, Severity] | None = None,
    profile: str | None = None,
) -> Rule:
    """Register a rule's metadata; the single source of truth for everything shown."""
    if id in RULES:
        raise ValueError(f"duplicate rule id {id}")
    if any(r.name == name for r in RULES.values()):
        raise ValueError(f"duplicate rule name {name}")
    rule = Rule(
        id=id,
        name=name,
        title=title,
        area=area,
        severity=severity,
        confidence=confidence,
        cwe=cwe,
        doc=RuleDoc(
            what=what.strip(),
            why=why.strip(),
            example=_dedent(example),
            use_instead=_dedent(use_instead),
            references=tuple(references),
        ),
        recommendation=recommendation.strip(),
        basis=basis,
        variants=tuple(sorted((impacts or {}).items())),
        profile=profile or PROFILES.get(id, "default"),
    )
    if basis not in ("data", "config"):
        raise ValueError(f"{id}: basis must be 'data' or 'config'")
    RULES[id] = rule
    return rule


def _dedent(text: str) -> str:
    import textwrap

    return textwrap.dedent(text).strip("\n") + "\n"


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


def all_rules() -> list[Rule]:
    load_all()
    return sorted(RULES.values(), key=lambda r: r.id)


def get(rule_id: str) -> Rule | None:
    load_all()
    return RULES.get(rule_id.upper())


_loaded = False


def load_all() -> None:
    """Import every rule module once (registration happens at import time)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    from redline.rules import (  # noqa: F401
        auth,
        code_execution,
        connections,
        credential_files,
        credential_leaks,
        credentials,
        crypto,
        dependencies,
        dynamic_loading,
        filesystem,
        injection,
        llm,
        network,
        production,
        routes,
        sandbox,
        serialization,
        suppressions,
        templates,
        tools,
        vector_store,
        workflows,
    )
