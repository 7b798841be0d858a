"""Checklist area 2: dynamic code execution."""

from __future__ import annotations

import ast

from redline.model import Area, Confidence, Severity
from redline.rules.common import argument, is_literal
from redline.rules.registry import check, define

EXEC001 = define(
    "EXEC001",
    "dynamic-code-execution",
    "Dynamic code execution with eval/exec",
    area=Area.CODE_EXECUTION,
    severity=Severity.CRITICAL,
    confidence=Confidence.HIGH,
    cwe=95,
    basis="data",
    what="""
Calls to the builtins `eval` or `exec` whose code argument is not a literal: one
review item per operation (MEDIUM), because the data's origin is not shown. When a
flow from an attacker-controlled source into the call is proven, EXEC002 reports it
instead, at CRITICAL. `compile()` alone executes nothing: `exec(compile(code, ...))`
is one finding, at the `exec`. Inside a file configured as a sanctioned sandbox
(`sandbox-files`) the item stays, with that reason.
""",
    why="""
Whoever controls the string controls the process: one crafted expression reads
environment secrets, opens a shell or rewrites files. In agent systems the string
is often a workflow condition, a tool argument or model output, all of which an
attacker can steer through prompt injection. Restricted globals such as
`{"__builtins__": {}}` are not a sandbox: object attributes reach every class in
the interpreter.
""",
    example="""
    def route(workflow, state):
        return eval(workflow["condition"], {}, state)
""",
    use_instead="""
    import ast

    def route(workflow, state):
        return ast.literal_eval(workflow["default"])
""",
    recommendation=(
        "Replace eval()/exec() with a safe evaluator (ast.literal_eval, an AST allowlist "
        "or a dedicated expression library); run unavoidable code execution only in an "
        "isolated sandbox process with time and memory limits."
    ),
    references=(
        "https://docs.python.org/3/library/functions.html#eval",
        "https://cwe.mitre.org/data/definitions/95.html",
    ),
)


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

EXEC002 = define(
    "EXEC002",
    "tainted-code-execution",
    "Untrusted data executed as code",
    area=Area.CODE_EXECUTION,
    severity=Severity.CRITICAL,
    confidence=Confidence.HIGH,
    cwe=94,
    what="""
A proven flow from an untrusted source (an HTTP request, model output, an agent
tool argument, the command line) into `eval`, `exec`, `compile`, `runpy`, the
`code` module or a dynamic import, across functions and modules.
""",
    why="""
This is remote code execution with a demonstrated path: whoever controls the source
(an attacker sending a request, or steering the model through prompt injection)
runs Python in your process with all its secrets and permissions. Math chains and
"calculator" tools that evaluate model output are the classic case.
""",
    example="""
    from flask import Flask, request

    app = Flask(__name__)

    @app.route("/calc")
    def calc():
        expression = request.args.get("q", "")
        return str(eval(expression))
""",
    use_instead="""
    import ast
    from flask import Flask, request

    app = Flask(__name__)

    @app.route("/calc")
    def calc():
        return str(ast.literal_eval(request.args.get("q", "0")))
""",
    recommendation=(
        "Never evaluate untrusted text: parse it with ast.literal_eval or a dedicated "
        "expression evaluator with an operator allowlist, or run it in an isolated sandbox "
        "process with no secrets, no network and resource limits."
    ),
    references=("https://cwe.mitre.org/data/definitions/94.html",),
)
