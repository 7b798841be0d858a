"""Workflow definitions and templates: the rules, and the checks of engine code.

WF001 and WF002 are reported by the text scanner (``redline.text.workflows``) on
YAML, JSON and Jinja files; WF003 and WF004 read the Python engine that runs them.
The framework knowledge (field names, template syntaxes, render and shell calls)
lives in ``knowledge/workflows.toml``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from redline.knowledge.taint import load_all as taint_knowledge
from redline.knowledge.workflows import workflows
from redline.rules.catalog import rule
from redline.rules.common import argument, is_const, is_literal, keyword
from redline.rules.registry import check

WF001 = rule("WF001")
WF002 = rule("WF002")
WF003 = rule("WF003")
WF004 = rule("WF004")


# -- helpers shared by the Python checks ---------------------------------------------------

_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def body_nodes(func: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[ast.AST]:
    """Every node of a function's body in source order, nested definitions excluded."""
    stack: list[ast.AST] = list(reversed(func.body))
    while stack:
        node = stack.pop()
        yield node
        children = [c for c in ast.iter_child_nodes(node) if not isinstance(c, _NESTED)]
        stack.extend(reversed(children))


def function_text(ctx, func: ast.AST) -> str:
    start = func.lineno - 1
    end = getattr(func, "end_lineno", None) or func.lineno
    return "\n".join(ctx.lines[start:end])


def _names_in(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _assigned_names(stmt: ast.AST) -> list[str]:
    targets: list[ast.AST] = []
    if isinstance(stmt, ast.Assign):
        targets = stmt.targets
    elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr)) and stmt.value is not None:
        targets = [stmt.target]
    out = []
    for t in targets:
        for n in ast.walk(t):
            if isinstance(n, ast.Name):
                out.append(n.id)
    return out


# -- WF003: a rendered template run by a shell --------------------------------------------

_SHELL_HINTS = ("shell=True", "system(", "popen(", "getoutput", "create_subprocess_shell", "pexpect", "\"-c\"", "'-c'")
_RENDER_HINTS = ("render", "substitute", "format")


@dataclass(frozen=True)
class _Render:
    line: int
    what: str
    template_is_data: bool


def _render_call(ctx, node: ast.AST) -> _Render | None:
    """``Template(x).render(...)``, ``env.from_string(x).render``, ``string.Template(x).substitute``,
    ``template_text.format(**ctx)`` where the template is not a literal."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return None
    k = workflows()
    method = node.func.attr
    if method not in k.render_methods:
        return None
    receiver = node.func.value
    qual = ctx.qualname(node.func)
    if method in ("format", "format_map"):
        if is_literal(receiver):
            return None  # "ls {}".format(x): plain string building, INJ001's case
        return _Render(node.lineno, f"str.{method}() of a template held in data", True)
    template_is_data = True
    if isinstance(receiver, ast.Call):
        source = argument(receiver, 0, "source")
        template_is_data = not is_literal(source) if source is not None else True
    shown = qual or f"{ast.unparse(receiver)[:40]}.{method}"
    known = qual is None or qual in k.render or qual.endswith(("Template.render", "Template.substitute"))
    if not known and method not in ("render", "substitute", "safe_substitute"):
        return None
    return _Render(node.lineno, f"{shown}()", template_is_data)


def _script_of_argv(argv: ast.AST | None) -> ast.AST | None:
    """``["bash", "-c", script, ...]``: the element a shell runs as a script."""
    if not isinstance(argv, (ast.List, ast.Tuple)):
        return None
    k = workflows()
    seen_shell = False
    for i, element in enumerate(argv.elts):
        word = element.value.lower() if isinstance(element, ast.Constant) and isinstance(element.value, str) else None
        if word is None:
            return None
        if word in k.shells or word.rsplit("/", 1)[-1] in k.shells:
            seen_shell = True
        elif seen_shell and word in k.script_flags:
            return argv.elts[i + 1] if i + 1 < len(argv.elts) else None
    return None


def _shell_command(ctx, node: ast.Call) -> tuple[str, ast.AST] | None:
    k = workflows()
    name = ctx.qualname(node.func)
    if name in k.shell_kwarg:
        shell = keyword(node, "shell")
        command = argument(node, 0, "args")
        if shell is None or is_const(shell.value, False) or is_const(shell.value, None):
            script = _script_of_argv(command)
            return (f"{name}([shell, '-c', ...])", script) if script is not None else None
        return (f"{name}(..., shell=True)", command) if command is not None else None
    if name in k.exec_argv:
        script = _script_of_argv(ast.List(elts=list(node.args), ctx=ast.Load()))
        return (f"{name}(shell, '-c', ...)", script) if script is not None else None
    if name in k.shell_always:
        command = argument(node, 0, "cmd") or argument(node, 0, "command")
        return (f"{name}()", command) if command is not None else None
    return None


def _module_runs_shell(ctx) -> bool:
    """Once per module: does its text mention a shell call at all?"""
    return ctx.fact(_mentions_shell)


def _mentions_shell(ctx) -> bool:
    return any(h in ctx.source for h in _SHELL_HINTS)


@check(WF003, nodes=(ast.FunctionDef, ast.AsyncFunctionDef))
def rendered_shell(ctx, func: ast.FunctionDef) -> None:
    if not _module_runs_shell(ctx):
        return
    text = function_text(ctx, func)
    if not any(h in text for h in _SHELL_HINTS) or not any(h in text for h in _RENDER_HINTS):
        return
    rendered: dict[str, _Render] = {}
    shells: list[tuple[ast.Call, str, ast.AST]] = []
    for node in body_nodes(func):
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr)) and node.value is not None:
            found = _render_in(ctx, node.value, rendered)
            for name in _assigned_names(node):
                if found is not None:
                    rendered[name] = found
                elif not isinstance(node, ast.AugAssign):
                    rendered.pop(name, None)
        elif isinstance(node, ast.Call):
            shell = _shell_command(ctx, node)
            if shell is not None:
                shells.append((node, *shell))
    quoted = "shlex.quote" in text or "quote(" in text
    for call, sink, command in shells:
        found = _render_in(ctx, command, rendered)
        if found is None:
            continue
        evidence = ["variant:template-data" if found.template_is_data else "variant:variables"]
        message = f"{sink} runs a command rendered by {found.what} at line {found.line}"
        if quoted:
            evidence.append("mitigated")
            message += " (values are quoted with shlex.quote in this function: review)"
        ctx.report(WF003, call, message, evidence=tuple(evidence))


def _render_in(ctx, expr: ast.AST, rendered: dict[str, _Render]) -> _Render | None:
    for node in ast.walk(expr):
        if isinstance(node, ast.Name) and node.id in rendered:
            return rendered[node.id]
        found = _render_call(ctx, node)
        if found is not None:
            return found
    return None


# -- WF004: definition expressions evaluated with eval ------------------------------------

def _is_allowlist_evaluator(text: str) -> bool:
    """ast.parse, then a walk that checks node types before anything runs."""
    return "ast.parse" in text and ("ast.walk" in text or "visit_" in text or "generic_visit" in text) and (
        "isinstance(" in text or "type(" in text
    )


def _code_runner_calls(ctx, func: ast.AST) -> Iterator[ast.Call]:
    runners = workflows().code_runners
    for node in body_nodes(func):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and ctx.qualname(node.func) in runners:
            yield node


def _evaluators(ctx) -> dict[str, int] | None:
    """Functions of this module that eval() one of their parameters (not through an
    allowlist), by name; None when nothing in the module evaluates code."""
    module = ctx.tree
    found: dict[str, int] = {}
    text = ctx.source
    if "eval(" not in text and "exec(" not in text:
        return None
    defs: list[ast.AST] = []
    for stmt in module.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            defs.append(stmt)
        elif isinstance(stmt, ast.ClassDef):
            defs += [s for s in stmt.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for func in defs:
        params = [a.arg for a in (*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs)]
        params = [p for p in params if p not in ("self", "cls")]
        if not params:
            continue
        text = function_text(ctx, func)
        if "eval(" not in text and "exec(" not in text or _is_allowlist_evaluator(text):
            continue
        derived = set(params)
        for node in body_nodes(func):
            assigns = isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr)) and node.value is not None
            if assigns and _names_in(node.value) & derived:
                derived.update(_assigned_names(node))
        for call in _code_runner_calls(ctx, func):
            code = argument(call, 0, "source")
            if code is not None and _names_in(code) & derived:
                found[func.name] = call.lineno
                break
    return found


def _field_read(node: ast.AST, fields: frozenset[str]) -> str | None:
    """``step["condition"]``, ``step.get("when")``, ``step.condition``, ``getattr(step, "if")``."""
    if isinstance(node, ast.Subscript):
        key = node.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str) and key.value.lower() in fields:
            return key.value
    elif isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in ("get", "pop") and node.args:
            key = node.args[0]
        elif isinstance(func, ast.Name) and func.id == "getattr" and len(node.args) >= 2:
            key = node.args[1]
        else:
            return None
        if isinstance(key, ast.Constant) and isinstance(key.value, str) and key.value.lower() in fields:
            return key.value
    elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load) and node.attr in fields:
        return node.attr  # exact case: `step.condition`, not the class `ast.Expr`
    return None


def _reads_in(expr: ast.AST, fields: frozenset[str], ctx=None) -> list[tuple[ast.AST, str]]:
    """Field reads in ``expr``; with ``ctx``, not those of a web request's parameters
    (``request.form["expr"]`` is request data, EXEC002's, not a workflow definition)."""
    return [
        (n, f)
        for n in ast.walk(expr)
        if (f := _field_read(n, fields)) is not None and not (ctx is not None and _request_read(ctx, n))
    ]


def _request_read(ctx, node: ast.AST) -> bool:
    if isinstance(node, ast.Subscript):
        base = node.value
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        base = node.func.value
    else:
        return False
    return ctx.qualname(base) in taint_knowledge().source_attributes


@check(WF004, nodes=(ast.FunctionDef, ast.AsyncFunctionDef))
def definition_expression_eval(ctx, func: ast.FunctionDef) -> None:
    evaluators = ctx.fact(_evaluators)
    if evaluators is None:
        return
    text = function_text(ctx, func)
    if "eval(" not in text and "exec(" not in text and not any(f"{e}(" in text for e in evaluators):
        return
    if _is_allowlist_evaluator(text):
        return
    k = workflows()
    fields = k.expressions
    tracked: dict[str, tuple[ast.AST, str]] = {}  # variable -> (read node, field)
    reported: set[int] = set()
    exec_enabled = "EXEC001" in ctx.settings.enabled
    for node in body_nodes(func):
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
            reads = _reads_in(node.value, fields, ctx)
            if not reads:
                names = _names_in(node.value) & tracked.keys()
                reads = [tracked[n] for n in sorted(names)]
            for name in _assigned_names(node):
                if reads:
                    tracked[name] = reads[0]
                else:
                    tracked.pop(name, None)
            continue
        if not isinstance(node, ast.Call):
            continue
        sink = _eval_sink(ctx, node, evaluators)
        if sink is None:
            continue
        name, builtin = sink
        code = argument(node, 0, "source") if builtin else (node.args[0] if node.args else None)
        if code is None:
            continue
        reads = _reads_in(code, fields, ctx) + [tracked[n] for n in sorted(_names_in(code) & tracked.keys())]
        for read, field in reads:
            line = read.lineno
            if line in reported or (builtin and exec_enabled and line == node.lineno):
                continue  # EXEC001 reports this line already
            reported.add(line)
            how = f"{name}()" if builtin else f"{name}(), a home-made evaluator built on eval"
            ctx.report(
                WF004,
                read,
                f"workflow field {field!r} is evaluated as Python by {how} at line {node.lineno}",
            )


def _eval_sink(ctx, call: ast.Call, evaluators: dict[str, int]) -> tuple[str, bool] | None:
    func = call.func
    if isinstance(func, ast.Name):
        qual = ctx.qualname(func)
        if qual in workflows().code_runners:
            return qual, True
        if func.id in evaluators:
            return func.id, False
    elif (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id in ("self", "cls")
        and func.attr in evaluators
    ):
        return f"self.{func.attr}", False
    return None


# -- WF001/WF002 on definitions written inline in Python -----------------------------------


@dataclass(frozen=True)
class _At:
    lineno: int
    col_offset: int
    end_lineno: int


@check(WF001, WF002, calls=("yaml.safe_load", "yaml.load", "yaml.safe_load_all", "yaml.full_load", "json.loads"))
def inline_definition(ctx, node: ast.Call) -> None:
    """``yaml.safe_load(\"\"\"nodes: ...\"\"\")``: the text scanner reads the literal."""
    from redline.text.workflows import definition_hits

    text = argument(node, 0, "stream") or argument(node, 0, "s")
    if not (isinstance(text, ast.Constant) and isinstance(text.value, str)):
        return
    if "\n" not in text.value and "{{" not in text.value and "${" not in text.value:
        return
    kind = "json" if (ctx.qualname(node.func) or "").startswith("json.") else "yaml"
    for hit_rule, line, col, evidence, message in definition_hits(text.value, kind):
        at = text.lineno + line - 1
        ctx.report(hit_rule, _At(at, col, at), message, evidence=evidence)
