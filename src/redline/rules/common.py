"""Small AST predicates shared by the rule modules."""

from __future__ import annotations

import ast


def is_literal(node: ast.AST | None) -> bool:
    """A value fixed in the source: constants, f-strings without fields, and
    containers, concatenations and ``%``/``.format`` of such values."""
    if node is None:
        return True
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.JoinedStr):
        return all(isinstance(v, ast.Constant) for v in node.values)
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return all(is_literal(e) for e in node.elts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        return is_literal(node.left) and is_literal(node.right)
    return False


def keyword(call: ast.Call, name: str) -> ast.keyword | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw
    return None


def has_star_kwargs(call: ast.Call) -> bool:
    return any(kw.arg is None for kw in call.keywords)


def argument(call: ast.Call, position: int, name: str) -> ast.AST | None:
    """The argument passed at ``position`` or as keyword ``name``."""
    if len(call.args) > position and not any(
        isinstance(a, ast.Starred) for a in call.args[: position + 1]
    ):
        return call.args[position]
    kw = keyword(call, name)
    return kw.value if kw is not None else None


def is_const(node: ast.AST | None, value: object) -> bool:
    return isinstance(node, ast.Constant) and node.value is value


def is_false(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value in (False, 0) and node.value is not None


def string_value(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def own_nodes(fn: ast.AST):
    """The nodes of a function body, nested functions, classes and lambdas left out
    (they are scopes of their own)."""
    stack = list(fn.body)
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, _NESTED):
                stack.append(child)


def last_name(node: ast.AST | None) -> str:
    """The last name of ``x``, ``a.b.x`` or a call of either (``x(...)``); "" otherwise."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def keyed_read(node: ast.AST) -> tuple[ast.AST, str] | None:
    """``doc["key"]`` or ``doc.get("key", ...)``: (the container, the key), else None."""
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
        return node.value, node.slice.value
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        return node.func.value, node.args[0].value
    return None


def writing_mode(call: ast.Call, position: int) -> bool:
    """A literal file mode at ``position`` (or ``mode=``) that writes, appends or creates:
    ``open(p, "w")``, ``Path(p).open(mode="ab")``."""
    mode = call.args[position] if len(call.args) > position else None
    for kw in call.keywords:
        if kw.arg == "mode":
            mode = kw.value
    text = string_value(mode)
    return text is not None and bool(set(text) & set("wax+"))
