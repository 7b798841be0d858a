"""Checklist area 2: dynamic code execution."""

from __future__ import annotations

import ast

from redline.rules.catalog import rule
from redline.rules.common import argument, is_literal
from redline.rules.registry import check

EXEC001 = rule("EXEC001")


@check(EXEC001, calls=("eval", "exec"))
def dynamic_code(ctx, node: ast.Call) -> None:
    name = ctx.qualname(node.func)
    code = argument(node, 0, "source")
    if code is None or is_literal(code):
        return
    if ctx.sandboxed:
        ctx.report(
            EXEC001,
            node,
            f"{name}() runs dynamic code in a sanctioned sandbox file; review its restrictions",
            evidence=("sandbox-file",),
        )
        return
    ctx.report(EXEC001, node, f"{name}() executes a string that is not a literal")

EXEC002 = rule("EXEC002")
