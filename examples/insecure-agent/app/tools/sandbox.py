"""Python tools: let the model run small snippets for data wrangling and arithmetic."""

import contextlib
import io
import json
import math
import os
import statistics
import subprocess

from RestrictedPython import safe_builtins

from app.tools import params, tool

# Modules the model may use without importing them. os and subprocess were added
# so that generated snippets can list the workspace and call `wc`/`jq`.
ALLOWED_MODULES = {"math": math, "json": json, "statistics": statistics, "os": os, "subprocess": subprocess}

SANDBOX_BUILTINS = {**safe_builtins, "__import__": __import__, "getattr": getattr, "open": open}

MAX_OUTPUT = 10_000


@tool("run_python", "Execute Python 3 code and return what it prints. Preloaded modules: math, json, statistics, os, subprocess.", params(code="Python source code"))
def run_python(code: str) -> str:
    sandbox_globals = {"__builtins__": SANDBOX_BUILTINS, **ALLOWED_MODULES}
    program = compile(code, "<run_python>", "exec")
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        exec(program, sandbox_globals)
    return stdout.getvalue()[:MAX_OUTPUT]


@tool("calculate", "Evaluate an arithmetic expression such as '2 * (3 + 4) ** 0.5'.", params(expression="arithmetic expression"))
def calculate(expression: str) -> str:
    # No builtins and no names, so only arithmetic can run.
    value = eval(expression, {"__builtins__": {}}, {"sqrt": math.sqrt, "pi": math.pi})
    return str(value)
