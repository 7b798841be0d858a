"""Checklist area 1: credentials in source code."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass

from redline.knowledge import secrets
from redline.python.names import dotted
from redline.rules.catalog import rule
from redline.rules.common import argument, string_value
from redline.rules.registry import check
from redline.text.secret_values import (
    credential_kind,
    is_placeholder,
    message_secrets,
    provider_evidence,
    provider_hits,
    provider_of,
    public_key,
    redact,
    secret_value,
)

CRED001 = rule("CRED001")

_GETENV_NAMES = ("get_env_var", "getenv", "get_env", "env_var", "environ.get")


def report(
    ctx,
    rule,
    node,
    message: str,
    *,
    evidence: tuple[str, ...] = (),
    secret: str | None = None,
    stmt: ast.stmt | None = None,
    scope: tuple[str, ...] | None = None,
) -> None:
    """``ctx.report`` for the credential rules, the secret masked in the snippet however
    the source spells it (tests and fixtures are one level lower: evidence ``test-code``,
    added by the context)."""
    before = len(ctx.findings)
    ctx.report(rule, node, message, evidence=evidence, secret=secret, stmt=stmt, scope=scope)
    if len(ctx.findings) > before:
        f = ctx.findings[-1]
        known = {secret} if secret else set()
        raw = _raw_literal(ctx, node)
        if raw and secret:
            known.add(raw)
        f.snippet = redact(f.snippet, known)
        f.message = redact(f.message, message_secrets(known))


_QUOTED = re.compile(r"^[rRbBuUfF]{0,2}('\'\'|\"\"\"|'|\")(.*)\1$", re.DOTALL)


def _raw_literal(ctx, node) -> str | None:
    """The text between the quotes of a one-line string literal, as written."""
    line, end_line = getattr(node, "lineno", 0), getattr(node, "end_lineno", 0)
    if not isinstance(node, ast.Constant) or line != end_line or not 0 < line <= len(ctx.lines):
        return None
    raw = ctx.lines[line - 1].encode()[node.col_offset : node.end_col_offset].decode(errors="replace")
    m = _QUOTED.match(raw)
    return m.group(2) if m and m.group(2) else None


def _literal(node: ast.AST | None) -> ast.AST | None:
    """The literal a value falls back to: ``x or "lit"``, ``Field(default="lit")``."""
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
        return node.values[-1]
    if isinstance(node, ast.Call) and not node.args:
        for kw in node.keywords:
            if kw.arg == "default":
                return kw.value
    return node


def _report(
    ctx,
    node: ast.AST,
    name: str,
    value_node: ast.AST | None,
    where: str,
    *,
    strict: bool = False,
    around: tuple[str, ...] = (),
) -> None:
    """Report a literal given to ``name``; ``around`` names the object it is set on or
    the call it is given to (a public ingestion key is known by them too)."""
    value_node = _literal(value_node)
    value = string_value(value_node)
    if value is None:
        return
    kind = credential_kind(name, strict=strict)
    hit = provider_of(value)
    if hit is not None and is_placeholder(value, name):
        hit = None
    if hit is None and (kind is None or not secret_value(value, name, kind)):
        return
    public = ("public-key",) if public_key(value, name, *around) else ()
    if hit:
        message = f"{hit.label} hardcoded in {where} {name!r}"
        report(ctx, CRED001, value_node or node, message, evidence=(*provider_evidence(hit), *public), secret=value)
    else:
        message = f"literal credential in {where} {name!r}"
        if public:
            message += ": a client-side ingestion key, public by design"
        report(ctx, CRED001, value_node or node, message, evidence=public, secret=value)


def _around(node: ast.AST) -> tuple[str, ...]:
    """The dotted names of an assignment target's object or of a callee."""
    if isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    parts = dotted(node)
    return (".".join(parts),) if parts else ()


def _target_name(target: ast.AST) -> str | None:
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute):
        return target.attr
    if isinstance(target, ast.Subscript):
        return string_value(target.slice)
    return None


@check(CRED001, nodes=(ast.Assign,))
def assignment(ctx, node: ast.Assign) -> None:
    for target in node.targets:
        name = _target_name(target)
        if name:
            _report(ctx, node, name, node.value, "assignment to", around=_around(target))


@check(CRED001, nodes=(ast.AnnAssign,))
def annotated_assignment(ctx, node: ast.AnnAssign) -> None:
    name = _target_name(node.target)
    if name and node.value is not None:
        _report(ctx, node, name, node.value, "assignment to", around=_around(node.target))


@check(CRED001, nodes=(ast.Call,))
def keyword_argument(ctx, node: ast.Call) -> None:
    for kw in node.keywords:
        if kw.arg and isinstance(kw.value, ast.Constant):
            _report(ctx, kw, kw.arg, kw.value, "keyword argument", around=_around(node.func))


@check(CRED001, nodes=(ast.arguments,))
def parameter_default(ctx, node: ast.arguments) -> None:
    positional = [*node.posonlyargs, *node.args]
    for arg, default in zip(positional[len(positional) - len(node.defaults) :], node.defaults, strict=True):
        _report(ctx, default, arg.arg, default, "default of parameter")
    for arg, default in zip(node.kwonlyargs, node.kw_defaults, strict=True):
        if default is not None:
            _report(ctx, default, arg.arg, default, "default of parameter")


@check(CRED001, nodes=(ast.Dict,))
def dict_entry(ctx, node: ast.Dict) -> None:
    for key, value in zip(node.keys, node.values, strict=True):
        name = string_value(key)
        if name:
            _report(ctx, value, name, value, "dictionary key")


@check(CRED001, nodes=(ast.Compare,))
def comparison(ctx, node: ast.Compare) -> None:
    if len(node.ops) != 1 or not isinstance(node.ops[0], (ast.Eq, ast.NotEq)):
        return
    name = _target_name(node.left)
    if name:
        _report(ctx, node, name, node.comparators[0], "comparison with", strict=True)  # token == "#x"


@check(CRED001, calls=("os.getenv", "os.environ.get", "os.environ.setdefault"))
def environment_fallback(ctx, node: ast.Call) -> None:
    name = string_value(argument(node, 0, "key"))
    if name:
        _report(ctx, node, name, argument(node, 1, "default"), "fallback for environment variable")


def _is_env_getter(ctx, func: ast.AST) -> bool:
    qual = ctx.qualname(func) or ""
    if qual.startswith("os."):
        return False  # os.getenv/os.environ.get: environment_fallback above
    spelled = qual or (func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    return spelled.endswith(_GETENV_NAMES)


@check(CRED001, nodes=(ast.Call,))
def env_helper_fallback(ctx, node: ast.Call) -> None:
    """``get_env_var("KEY", "literal")`` and ``partial(get_env_var, "KEY", "literal")``:
    the literal is what runs wherever the variable is not set."""
    args = node.args
    if len(args) + len(node.keywords) < 2:
        return  # a name alone has no fallback
    if ctx.qualname(node.func) == "functools.partial" and args and _is_env_getter(ctx, args[0]):
        args = args[1:]
        default = args[1] if len(args) > 1 else argument(node, 99, "default")
    elif _is_env_getter(ctx, node.func):
        default = argument(node, 1, "default")
    else:
        return
    name = string_value(args[0]) if args else None
    if name and default is not None:
        _report(ctx, node, name, default, "fallback for environment variable")


@check(CRED001, nodes=(ast.Constant,))
def provider_literal(ctx, node: ast.Constant) -> None:
    """A provider-shaped key in any string literal (f-string parts and docstrings
    included) that no named check above has reported."""
    if not isinstance(node.value, str) or len(node.value) < 16:
        return
    for hit in provider_hits(node.value):
        if not _reported_at(ctx, node):
            report(ctx, CRED001, node, f"{hit.label} in a string literal", evidence=provider_evidence(hit), secret=hit.text)
        return


def _reported_at(ctx, node: ast.AST) -> bool:
    line, col = node.lineno, node.col_offset
    return any(
        f.rule_id == CRED001.id and f.location.column == col and f.location.line == ctx_line(ctx, line)
        for f in ctx.findings
    )


def ctx_line(ctx, line: int) -> int:
    """The line a finding on source line ``line`` is shown at (notebook cells differ)."""
    cell_of_line = getattr(ctx, "_cell_of_line", None)
    return cell_of_line(line)[1] if cell_of_line is not None else line


@check(CRED001, nodes=(ast.Module,))
def provider_in_comment(ctx, node: ast.Module) -> None:
    """A provider-shaped key pasted into a comment."""
    anchor = secrets().any_anchor
    if not any("#" in line and anchor.search(line, line.index("#")) for line in ctx.lines):
        return  # no line has a provider's literal after a '#': tokenizing would find nothing
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(ctx.source + "\n").readline))
    except (tokenize.TokenError, SyntaxError):
        return
    for tok in tokens:
        if tok.type != tokenize.COMMENT:
            continue
        for hit in provider_hits(tok.string):
            line, col = tok.start
            at = _At(line, col + hit.start, line, col + hit.end)
            report(ctx, CRED001, at, f"{hit.label} in a comment", evidence=provider_evidence(hit), secret=hit.text)


@dataclass(frozen=True)
class _At:
    """A position that is not an AST node (a comment)."""

    lineno: int
    col_offset: int
    end_lineno: int
    end_col_offset: int
