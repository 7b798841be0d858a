"""Checklist area 3: injection (shell commands for now; SQL/Cypher come with taint)."""

from __future__ import annotations

import ast

from redline.rules.catalog import rule
from redline.rules.common import argument, is_const, is_literal, keyword
from redline.rules.registry import check

INJ001 = rule("INJ001")

_SUBPROCESS = tuple(
    f"subprocess.{n}" for n in ("run", "call", "check_call", "check_output", "Popen")
)
_ALWAYS_SHELL = (
    "os.system",
    "os.popen",
    "subprocess.getoutput",
    "subprocess.getstatusoutput",
    "commands.getoutput",
    "commands.getstatusoutput",
    "asyncio.create_subprocess_shell",
    "popen2.popen2",
)


_QUOTERS = frozenset({"shlex.quote", "pipes.quote", "shlex.join"})


def _quoted_only(ctx, command: ast.AST) -> bool:
    """Every variable part of the command is wrapped in shlex.quote: mitigated."""
    variable = []
    if isinstance(command, ast.JoinedStr):
        variable = [v.value for v in command.values if isinstance(v, ast.FormattedValue)]
    elif isinstance(command, ast.BinOp):
        stack = [command]
        while stack:
            n = stack.pop()
            if isinstance(n, ast.BinOp):
                stack += [n.left, n.right]
            elif not is_literal(n):
                variable.append(n)
    elif isinstance(command, ast.Call):
        variable = [command]
    return bool(variable) and all(
        isinstance(v, ast.Call) and ctx.qualname(v.func) in _QUOTERS for v in variable
    )


def _report_shell(ctx, node: ast.Call, command: ast.AST, message: str) -> None:
    if _quoted_only(ctx, command):
        ctx.report(
            INJ001,
            node,
            message + " (mitigated: every variable part is quoted with shlex.quote)",
            evidence=("mitigated",),
        )
    else:
        ctx.report(INJ001, node, message)


@check(INJ001, calls=_SUBPROCESS)
def subprocess_shell(ctx, node: ast.Call) -> None:
    shell = keyword(node, "shell")
    if shell is None or is_const(shell.value, False) or is_const(shell.value, None):
        return
    command = argument(node, 0, "args")
    if command is None or is_literal(command):
        return
    name = ctx.qualname(node.func)
    _report_shell(ctx, node, command, f"{name}(..., shell=True) runs a command built from variable data")


@check(INJ001, calls=_ALWAYS_SHELL)
def shell_call(ctx, node: ast.Call) -> None:
    command = argument(node, 0, "cmd")
    if command is None or is_literal(command):
        return
    name = ctx.qualname(node.func)
    _report_shell(ctx, node, command, f"{name}() passes a command built from variable data to a shell")

INJ002 = rule("INJ002")
INJ003 = rule("INJ003")
INJ004 = rule("INJ004")
INJ005 = rule("INJ005")
INJ006 = rule("INJ006")
INJ007 = rule("INJ007")
INJ008 = rule("INJ008")
INJ012 = rule("INJ012")
INJ009 = rule("INJ009")
INJ010 = rule("INJ010")
