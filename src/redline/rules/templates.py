"""Checklist areas 3 and 6: templates compiled from a source that is not a constant.

The template constructors are the ``template-injection`` sinks of the taint knowledge
(``knowledge/taint/templates.toml``): one list serves both rules. INJ005 is reported
where an untrusted source is proven to reach the template source and replaces this
review finding on the same line; a source proven constant removes it.
"""

from __future__ import annotations

import ast

from redline.knowledge.taint import load_all as taint_knowledge
from redline.rules.catalog import rule
from redline.rules.common import argument, is_literal, keyed_read
from redline.rules.registry import check

INJ011 = rule("INJ011")


def _template_sinks() -> dict[str, tuple[int, str | None]]:
    """Constructor name -> (position, keyword) of its template source argument."""
    found: dict[str, tuple[int, str | None]] = {}
    for name, specs in taint_knowledge().sinks.items():
        for spec in specs:
            if spec.category == "template-injection" and spec.args:
                found[name] = (spec.args[0], spec.kwargs[0] if spec.kwargs else None)
    return found


_SINKS = _template_sinks()


def _aliases(ctx) -> dict[tuple[tuple[str, ...], str], str]:
    """Per file: (class scope, attribute) -> the template class ``self.<attribute>`` holds."""
    return {}


def _constant(node: ast.AST) -> bool:
    if isinstance(node, ast.Dict):
        return all(is_literal(v) for v in node.values)
    return is_literal(node)


def _report(ctx, node: ast.Call, name: str) -> None:
    position, kwarg = _SINKS[name]
    source = argument(node, position, kwarg or "source")
    if source is None or _constant(source):
        return
    ctx.report(INJ011, node, f"{name}() compiles a template whose source is not a constant")


@check(INJ011, calls=tuple(sorted(_SINKS)))
def template_source(ctx, node: ast.Call) -> None:
    _report(ctx, node, ctx.qualname(node.func))


@check(INJ011, nodes=(ast.ClassDef,))
def template_alias(ctx, node: ast.ClassDef) -> None:
    """``self._Template = Template`` in a method: ``self._Template(x)`` anywhere in the
    class is a constructor (read from the class header, before the methods are visited)."""
    scope = (*ctx.scope, node.name)
    for method in node.body:
        if not isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for stmt in method.body:
            if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1:
                continue
            target = stmt.targets[0]
            if (
                isinstance(target, ast.Attribute)
                and isinstance(target.value, ast.Name)
                and target.value.id == "self"
                and isinstance(stmt.value, (ast.Name, ast.Attribute))
            ):
                qual = ctx.qualname(stmt.value)
                if qual in _SINKS:
                    ctx.fact(_aliases)[(scope, target.attr)] = qual


@check(INJ011, nodes=(ast.Call,))
def aliased_template(ctx, node: ast.Call) -> None:
    func = node.func
    if not isinstance(func, ast.Attribute):
        return
    if func.attr in ("format", "format_map"):
        _format_string(ctx, node, func)
        return
    aliases = ctx.fact(_aliases)
    if aliases and isinstance(func.value, ast.Name) and func.value.id == "self":
        qual = aliases.get((ctx.scope[:-1], func.attr))
        if qual is not None:
            _report(ctx, node, qual)


# -- format strings read from documents --------------------------------------------------

def _module_constants(ctx) -> frozenset[str]:
    """Module-level names bound to literals: ``PROMPTS["system"].format(...)`` reads
    a template the module ships."""
    names = set()
    for stmt in ctx.tree.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and isinstance(
            stmt.value, (ast.Dict, ast.List, ast.Tuple, ast.Constant, ast.JoinedStr)
        ):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return frozenset(names)


def _document_text(node: ast.AST) -> ast.Name | None:
    """``step["message"]`` or ``config.get("template")``: the root name of a field
    read out of a document, else None."""
    read = keyed_read(node)
    if read is None:
        return None
    base = read[0]
    while isinstance(base, (ast.Subscript, ast.Attribute)):
        base = base.value
    return base if isinstance(base, ast.Name) else None


def _format_string(ctx, node: ast.Call, func: ast.Attribute) -> None:
    """``step["message"].format(user=user)``: a format string from a document can read
    attributes of the objects passed in (``{user.__init__.__globals__}``)."""
    root = _document_text(func.value)
    if root is None or root.id in ("self", "cls") or root.id in ctx.fact(_module_constants):
        return
    values = [*node.args, *(kw.value for kw in node.keywords if kw.arg is not None)]
    if not any(isinstance(v, (ast.Name, ast.Attribute)) for v in values):
        return  # literals, items, str(...) results, **mappings of values: no named object to walk
    ctx.report(
        INJ011,
        node,
        f".{func.attr}() of a format string read from data: its fields can read attributes "
        "of the objects passed in",
    )
