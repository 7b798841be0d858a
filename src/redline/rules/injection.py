"""Checklist area 3: injection (shell commands for now; SQL/Cypher come with taint)."""

from __future__ import annotations

import ast

from redline.model import Area, Confidence, Severity
from redline.rules.common import argument, is_const, is_literal, keyword
from redline.rules.registry import check, define

INJ001 = define(
    "INJ001",
    "shell-command-injection",
    "Shell command built from non-literal data",
    area=Area.INJECTION,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=78,
    what="""
A command that a shell interprets, built from anything but a literal:
`subprocess.*` with `shell=True`, `subprocess.getoutput`/`getstatusoutput`,
`os.system`, `os.popen`, and `asyncio.create_subprocess_shell`.
""",
    why="""
The shell gives meaning to `;`, `|`, `$(...)` and backticks, so any variable part
of the command (a file name, a workflow input, a tool argument chosen by a model)
can append commands of its own. Quoting by hand is fragile.
""",
    example="""
    import subprocess

    def convert(name):
        subprocess.run(f"pandoc {name} -o out.pdf", shell=True)
""",
    use_instead="""
    import subprocess

    def convert(name):
        subprocess.run(["pandoc", name, "-o", "out.pdf"], check=True, timeout=60)
""",
    recommendation=(
        "Run commands as argument lists without a shell (subprocess.run([...], shell=False)); "
        "validate variable parts against an allowlist, and use shlex.quote only as a last resort."
    ),
    references=(
        "https://docs.python.org/3/library/subprocess.html#security-considerations",
        "https://cwe.mitre.org/data/definitions/78.html",
    ),
)

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


@check(INJ001, calls=_SUBPROCESS)
def subprocess_shell(ctx, node: ast.Call) -> None:
    shell = keyword(node, "shell")
    if shell is None or is_const(shell.value, False) or is_const(shell.value, None):
        return
    command = argument(node, 0, "args")
    if command is None or is_literal(command):
        return
    name = ctx.qualname(node.func)
    ctx.report(INJ001, node, f"{name}(..., shell=True) runs a command built from variable data")


@check(INJ001, calls=_ALWAYS_SHELL)
def shell_call(ctx, node: ast.Call) -> None:
    command = argument(node, 0, "cmd")
    if command is None or is_literal(command):
        return
    name = ctx.qualname(node.func)
    ctx.report(INJ001, node, f"{name}() passes a command built from variable data to a shell")
