"""Checklist area 1, storage: credentials written to files created with default
permissions (CRED005), and literal passwords in ``(user, password)`` pairs (CRED001).

A file made by ``open(path, "w")`` or ``Path.write_text`` gets the process umask,
usually 0644: every local user and every process of another account can read it.
The check is intra-procedural, like the leak checks it shares its judge of secrets
with: the written value must be a secret in that function, and the function must
not give the file owner-only permissions (``os.chmod``, ``os.open`` with a mode,
``os.umask``, ``Path.chmod``/``touch(mode=)``, ``tempfile`` files, which are 0600).
"""

from __future__ import annotations

import ast

from redline.rules.catalog import rule
from redline.rules.common import own_nodes, string_value, writing_mode
from redline.rules.credential_leaks import (
    _describe,
    _leak_words,
    _secrets_here,
)
from redline.rules.credentials import CRED001, report
from redline.rules.registry import check
from redline.text.secret_values import secret_value

CRED005 = rule("CRED005")

_OPENERS = ("open", "io.open", "codecs.open")


def _opened_for_writing(ctx, value: ast.AST) -> bool:
    """``open(p, "w")``, ``io.open``, ``Path(...).open("w")``."""
    if not isinstance(value, ast.Call):
        return False
    qual = ctx.qualname(value.func) or ""
    if qual in _OPENERS:
        return writing_mode(value, 1)
    func = value.func
    if isinstance(func, ast.Attribute) and func.attr == "open" and qual not in ("os.open", "tempfile.open"):
        return writing_mode(value, 0) and not qual.startswith(("gzip.", "tarfile.", "zipfile."))
    return False


def _file_handles(ctx, fn: ast.AST) -> set[str]:
    """Names bound in ``fn`` to files opened for writing."""
    names: set[str] = set()
    for node in own_nodes(fn):
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if isinstance(item.optional_vars, ast.Name) and _opened_for_writing(ctx, item.context_expr):
                    names.add(item.optional_vars.id)
        elif (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and _opened_for_writing(ctx, node.value)
        ):
            names.add(node.targets[0].id)
    return names


def _restricts_permissions(ctx, fn: ast.AST) -> bool:
    words = _leak_words()
    for node in own_nodes(fn):
        if not isinstance(node, ast.Call):
            continue
        if (ctx.qualname(node.func) or "") in words["private_file_calls"]:
            return True
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in words["private_file_methods"]:
            return True
        if any(kw.arg == "opener" for kw in node.keywords):
            return True
    return False


def _written(ctx, node: ast.Call, handles) -> ast.AST | None:
    """The value a call writes into a file, when it writes into one."""
    func = node.func
    if isinstance(func, ast.Attribute) and node.args:
        if func.attr in ("write_text", "write_bytes"):
            return node.args[0]
        if func.attr in ("write", "writelines") and isinstance(func.value, ast.Name) and func.value.id in handles():
            return node.args[0]
    if (
        len(node.args) >= 2
        and isinstance(node.args[1], ast.Name)
        and (ctx.qualname(func) or "") in _leak_words()["file_dumps"]
        and node.args[1].id in handles()
    ):
        return node.args[0]
    return None



@check(CRED005, nodes=(ast.Call,))
def credential_file(ctx, node: ast.Call) -> None:
    func = node.func
    if not isinstance(func, (ast.Attribute, ast.Name)) or not node.args:
        return
    name = func.attr if isinstance(func, ast.Attribute) else func.id
    if name not in ("write", "writelines", "write_text", "write_bytes") and not name.endswith("dump"):
        return
    judge = _secrets_here(ctx)
    fn = judge.fn
    if fn is None:
        return
    cached: list[set[str]] = []

    def handles() -> set[str]:
        if not cached:
            cached.append(_file_handles(ctx, fn))
        return cached[0]

    value = _written(ctx, node, handles)
    if value is None or not judge.kind(value) or _restricts_permissions(ctx, fn):
        return
    report(ctx, CRED005, node, f"credential {_describe(value)} written to a file created with default permissions")


@check(CRED001, nodes=(ast.Call,))
def auth_pair(ctx, node: ast.Call) -> None:
    """``auth=("user", "literal")`` and ``HTTPBasicAuth("user", "literal")``."""
    words = _leak_words()
    for kw in node.keywords:
        value = kw.value
        if kw.arg in words["auth_keywords"] and isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == 2:
            _literal_password(ctx, value.elts[1], f"{kw.arg}=(user, password)")
    if len(node.args) >= 2 and (ctx.qualname(node.func) or "") in words["auth_calls"]:
        _literal_password(ctx, node.args[1], f"{ctx.qualname(node.func)}(user, password)")


def _literal_password(ctx, node: ast.AST, where: str) -> None:
    value = string_value(node)
    if value and secret_value(value, "password", "password"):
        report(ctx, CRED001, node, f"literal password in {where}", secret=value)
