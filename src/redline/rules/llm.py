"""Checklist area 6: LLM security."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from functools import cache
from typing import NamedTuple

from redline.knowledge.agents import agents
from redline.model import mask_secret
from redline.rules.catalog import rule
from redline.rules.registry import check

LLM001 = rule("LLM001")


# -- LLM002: sensitive details in prompts and tool descriptions ------------------------

LLM002 = rule("LLM002")


class _Finding(NamedTuple):
    kind: str
    value: str
    secret: bool = False


@cache
def _patterns() -> dict[str, re.Pattern[str]]:
    k = agents().prompts
    suffixes = "|".join(re.escape(s) for s in sorted(k.internal_suffixes, key=len, reverse=True))
    schemes = "|".join(re.escape(s) for s in sorted(k.database_schemes, key=len, reverse=True))
    admin = "|".join(re.escape(s) for s in k.admin_paths)
    words = "|".join(re.escape(s) for s in k.credential_words)
    return {
        "host": re.compile(
            rf"(?<![\w.@-])((?:[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?\.)+(?:{suffixes}))(?![\w.-]*\w)",
            re.IGNORECASE,
        ),
        "ip": re.compile(r"(?<![\w.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\w.]*\d)"),
        "uri": re.compile(rf"(?<![\w+])((?:{schemes})://[^\s'\"<>]+)", re.IGNORECASE),
        "admin": re.compile(rf"(?<![\w/.-])(/(?:{admin})(?:/[\w.-]*)*)(?=[\s?#'\",;:)]|$)", re.IGNORECASE),
        "localhost": re.compile(r"\bhttps?://(localhost|127\.0\.0\.1):\d+", re.IGNORECASE),
        "credential": re.compile(rf"\b(?:{words})\s*[=:]\s*([^\s'\",;<>{{}}()\[\]]{{8,}})", re.IGNORECASE),
    }


def _private_ip(octets: tuple[int, ...]) -> bool:
    a, b = octets[0], octets[1]
    return a == 10 or (a == 192 and b == 168) or (a == 172 and 16 <= b <= 31) or (a == 169 and b == 254)


def sensitive_details(text: str) -> list[_Finding]:
    """What in ``text`` a model (and whoever talks to it) should not be told."""
    if len(text) < 6:
        return []
    pats = _patterns()
    found: list[_Finding] = []
    for m in pats["host"].finditer(text):
        found.append(_Finding("an internal host name", m.group(1)))
    for m in pats["ip"].finditer(text):
        octets = tuple(int(g) for g in m.groups())
        if all(o <= 255 for o in octets) and _private_ip(octets):
            found.append(_Finding("a private IP address", m.group(0)))
    for m in pats["uri"].finditer(text):
        found.append(_Finding("a database connection URI", m.group(1).split("@")[-1].rstrip(".,;:)")))
    for m in pats["admin"].finditer(text):
        found.append(_Finding("an administrative endpoint", m.group(1)))
    for m in pats["localhost"].finditer(text):
        found.append(_Finding("a local service URL", m.group(0)))
    for m in pats["credential"].finditer(text):
        value = m.group(1)
        if not set(value) <= set(".*xX#_-") and not value.startswith(("$", "%", "<")):
            found.append(_Finding("a credential", value, secret=True))
    return found


def _texts(node: ast.AST | None, depth: int = 0) -> list[str]:
    """The constant string pieces of a prompt expression (literals, f-string text,
    concatenations, ``"...".format(...)``, ``textwrap.dedent("...")``)."""
    if node is None or depth > 6:
        return []
    if isinstance(node, ast.Constant):
        return [node.value] if isinstance(node.value, str) else []
    if isinstance(node, ast.JoinedStr):
        return ["".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))]
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        return _texts(node.left, depth + 1) + _texts(node.right, depth + 1)
    if isinstance(node, (ast.List, ast.Tuple)):
        return [t for e in node.elts for t in _texts(e, depth + 1)]
    if isinstance(node, ast.Call):
        out = _texts(node.func.value, depth + 1) if isinstance(node.func, ast.Attribute) else []
        if len(node.args) == 1 and not node.keywords:  # dedent("..."), cleandoc("...")
            out += _texts(node.args[0], depth + 1)
        return out
    return []


def _report_prompt(ctx, node: ast.AST, where: str, values: Iterable[ast.AST | None]) -> None:
    found: list[_Finding] = []
    for value in values:
        for text in _texts(value):
            found.extend(sensitive_details(text))
    if not found:
        return
    shown: list[str] = []
    secret = None
    for f in found:
        if f.secret:
            secret = secret or f.value
            label = f"{f.kind} ({mask_secret(f.value)})"
        else:
            label = f"{f.kind} ({f.value})"
        if label not in shown:
            shown.append(label)
    ctx.report(
        LLM002,
        node,
        f"{where} discloses " + ", ".join(shown[:4]) + (" and more" if len(shown) > 4 else ""),
        evidence=("variant:secret",) if secret else (),
        secret=secret,
    )


def _is_prompt_name(name: str) -> bool:
    lowered = name.lower()
    names = agents().prompts.names
    return lowered in names or any(lowered.endswith("_" + n) for n in names)


def _target_name(target: ast.AST) -> str | None:
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute):
        return target.attr
    return None


@check(LLM002, nodes=(ast.Assign, ast.AnnAssign))
def prompt_assignment(ctx, node: ast.Assign | ast.AnnAssign) -> None:
    if node.value is None:
        return
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    for target in targets:
        name = _target_name(target)
        if name is not None and _is_prompt_name(name):
            _report_prompt(ctx, node, f"the prompt {name}", [node.value])
            return


@check(LLM002, nodes=(ast.Dict,))
def system_message_dict(ctx, node: ast.Dict) -> None:
    """``{"role": "system", "content": "..."}``"""
    role = content = None
    for key, value in zip(node.keys, node.values, strict=True):
        if isinstance(key, ast.Constant):
            if key.value == "role":
                role = value
            elif key.value == "content":
                content = value
    if content is not None and isinstance(role, ast.Constant) and role.value in ("system", "developer"):
        _report_prompt(ctx, node, "the system message", [content])


@check(LLM002, nodes=(ast.Tuple,))
def system_message_tuple(ctx, node: ast.Tuple) -> None:
    """``ChatPromptTemplate.from_messages([("system", "..."), ...])``"""
    elts = node.elts
    if len(elts) == 2 and isinstance(elts[0], ast.Constant) and elts[0].value == "system":
        _report_prompt(ctx, node, "the system message", [elts[1]])


def _last_name(ctx, func: ast.AST) -> tuple[str | None, str]:
    qual = ctx.qualname(func)
    if isinstance(func, ast.Attribute):
        return qual, func.attr
    if isinstance(func, ast.Name):
        return qual, func.id
    return qual, (qual or "").rpartition(".")[2]


@cache
def _message_names() -> frozenset[str]:
    return frozenset(name.rpartition(".")[2] for name in agents().prompts.message_calls)


@cache
def _scoped_keywords() -> frozenset[str]:
    return frozenset(kw for words in agents().prompts.call_keywords.values() for kw in words)


@check(LLM002, nodes=(ast.Call,))
def prompt_arguments(ctx, node: ast.Call) -> None:
    k = agents().prompts
    func = node.func
    last = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    qual = None
    if last in _message_names() or any(kw.arg in _scoped_keywords() or kw.arg in k.tool_keywords for kw in node.keywords):
        qual, last = _last_name(ctx, func)  # resolve only calls that may need it
    values: list[ast.AST] = []
    wanted = k.keywords | k.call_keywords.get(qual or "", frozenset())
    is_tool = last.endswith("Tool") or last in k.tool_factories or (qual or "").startswith(k.tool_modules)
    for kw in node.keywords:
        if kw.arg in wanted or (is_tool and kw.arg in k.tool_keywords):
            values.append(kw.value)
    if last in k.tool_decorators:
        values.extend(a for a in node.args if isinstance(a, (ast.Constant, ast.JoinedStr, ast.BinOp)))
    if qual in k.message_calls:
        first = node.args[0] if node.args else next((kw.value for kw in node.keywords if kw.arg == "content"), None)
        if first is not None:
            values.append(first)
    if values:
        what = "the tool description" if is_tool or last in k.tool_decorators else f"the prompt given to {last}()"
        _report_prompt(ctx, node, what, values)


@check(LLM002, nodes=(ast.ClassDef,))
def tool_class_description(ctx, node: ast.ClassDef) -> None:
    """``description: str = "..."`` in a tool class: the text the model picks tools by."""
    k = agents()
    if not node.name.endswith("Tool") and not any(ctx.qualname(b) in k.tool_bases for b in node.bases):
        return
    for stmt in node.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if any(isinstance(t, ast.Name) and t.id in k.prompts.tool_fields for t in targets):
                _report_prompt(ctx, stmt, f"the description of tool {node.name}", [stmt.value])
