"""Agent tools: model-chosen tool calls (area 6), code-execution tools handed to agents
(area 6) and tool/node classes without an input schema (area 3)."""

from __future__ import annotations

import ast

from redline.knowledge.agents import ToolBase, agents
from redline.rules.catalog import rule
from redline.rules.common import keyed_read, keyword, last_name
from redline.rules.registry import check, project_pass

LLM003 = rule("LLM003")
LLM004 = rule("LLM004")
LLM005 = rule("LLM005")


# -- LLM003: model-chosen tool dispatch ---------------------------------------------------


def _path(node: ast.AST) -> tuple[str | None, tuple[str, ...]]:
    """``call["function"]["name"]`` / ``call.function.name`` / ``call.get("name")`` ->
    ("call", ("function", "name"))."""
    keys: list[str] = []
    while True:
        if isinstance(node, ast.Attribute):
            keys.append(node.attr)
            node = node.value
        elif (read := keyed_read(node)) is not None:
            node = read[0]
            keys.append(read[1])
        elif isinstance(node, ast.Name):
            return node.id, tuple(reversed(keys))
        else:
            return None, ()


_FINDERS = frozenset({"get", "find", "lookup", "load", "resolve", "fetch"})


class _Loop:
    """The tool-call loop's variables: the calls, the chosen names and arguments, and
    the callables looked up by name."""

    def __init__(self, calls: set[str]) -> None:
        k = agents().dispatch
        self.k = k
        self.calls = calls
        self.names: set[str] = set()
        self.args: set[str] = set()
        self.callables: set[str] = set()
        self.checked = False

    def is_name(self, node: ast.AST) -> bool:
        if isinstance(node, ast.Name):
            return node.id in self.names
        var, keys = _path(node)
        return var in self.calls and keys in self.k.name_paths

    def is_args(self, node: ast.AST | None) -> bool:
        if node is None:
            return False
        if isinstance(node, ast.Name):
            return node.id in self.args
        if isinstance(node, ast.BoolOp):
            return any(self.is_args(v) for v in node.values)
        if isinstance(node, ast.Call) and node.args and last_name(node.func) in ("loads", "literal_eval", "dict"):
            return self.is_args(node.args[0])
        var, keys = _path(node)
        return var in self.calls and keys in self.k.argument_paths

    def lookup(self, node: ast.AST) -> bool:
        """``TOOLS[name]``, ``TOOLS.get(name)``, ``getattr(obj, name)``, ``globals()[name]``."""
        if isinstance(node, ast.Subscript):
            return self.is_name(node.slice)
        if isinstance(node, ast.Call):
            fname = last_name(node.func)
            if fname == "getattr" and len(node.args) >= 2:
                return self.is_name(node.args[1])
            if fname == "get" and isinstance(node.func, ast.Attribute) and node.args:
                return self.is_name(node.args[0])
            if fname.lstrip("_").split("_")[0] in _FINDERS:  # registry.get_tool_by_name(name)
                return any(self.is_name(v) for v in (*node.args, *(kw.value for kw in node.keywords)))
        return False

    def bind(self, stmt: ast.Assign) -> None:
        value = stmt.value
        names = [t.id for t in stmt.targets if isinstance(t, ast.Name)]
        if not names:
            return
        if self.is_name(value):
            self.names.update(names)
        elif self.is_args(value):
            self.args.update(names)
        elif self.lookup(value):
            self.callables.update(names)

    def dispatch(self, call: ast.Call) -> bool:
        func = call.func
        if self.lookup(func):
            return True
        if isinstance(func, ast.Name) and func.id in self.callables:
            return True
        if isinstance(func, ast.Attribute) and func.attr in self.k.run_methods:
            target = func.value
            if (isinstance(target, ast.Name) and target.id in self.callables) or self.lookup(target):
                return True
        callee = last_name(func)
        if callee in self.k.inert_calls or callee.lstrip("_").split("_")[0] not in self.k.handoff_verbs:
            return False  # a record of the call (ToolCall(...), create_tool_call(...)), not a run
        values = [*call.args, *(kw.value for kw in call.keywords)]
        values = [v.value if isinstance(v, ast.Starred) else v for v in values]
        return any(self.is_name(v) for v in values) and any(self.is_args(v) for v in values)

    def vouches(self, node: ast.AST) -> bool:
        """An allowlist check of the name, a None check of a looked-up callable, or a
        validation of the arguments."""
        if isinstance(node, ast.Compare):
            subjects = [node.left, *node.comparators]
            if any(isinstance(op, (ast.In, ast.NotIn, ast.Eq)) for op in node.ops) and any(
                self.is_name(s) for s in subjects
            ):
                return True
            return any(isinstance(s, ast.Name) and s.id in self.callables for s in subjects)
        if isinstance(node, ast.If):
            test = node.test.operand if isinstance(node.test, ast.UnaryOp) else node.test
            return isinstance(test, ast.Name) and test.id in self.callables
        if isinstance(node, ast.Match):
            return self.is_name(node.subject)
        if isinstance(node, ast.Call):
            fname = last_name(node.func)
            if any(v in fname for v in self.k.validators):
                values = [*node.args, *(kw.value for kw in node.keywords)]
                return any(self.is_args(v) or self.is_name(v) for v in values)
        return False


def _mentions(node: ast.AST, words: tuple[str, ...]) -> bool:
    """Whether a name, attribute or string key in the expression contains one of the words."""
    for child in ast.walk(node):
        if isinstance(child, ast.Name):
            text = child.id
        elif isinstance(child, ast.Attribute):
            text = child.attr
        elif isinstance(child, ast.Constant) and isinstance(child.value, str):
            text = child.value
        else:
            continue
        if any(word in text for word in words):
            return True
    return False


def _loop_targets(target: ast.AST) -> set[str]:
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, (ast.Tuple, ast.List)):
        return {e.id for e in target.elts if isinstance(e, ast.Name)}
    return set()


def _scan(ctx, loop: _Loop, body: list[ast.stmt], after: ast.AST | None = None) -> None:
    """Walk ``body`` in source order (from ``after`` on, when given) and report the first
    dispatch that no allowlist check or argument validation comes before."""
    started = after is None
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        item = stack.pop()
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if not started:
            if item is after:
                started = True
            else:
                stack.extend(reversed(list(ast.iter_child_nodes(item))))
            continue
        if isinstance(item, ast.Assign):
            loop.bind(item)
        if loop.vouches(item):
            return
        if isinstance(item, ast.Call) and loop.dispatch(item):
            ctx.report(
                LLM003,
                item,
                "the tool named by the model is called with the model's arguments, without an "
                "allowlist check of the name or validation of the arguments",
            )
            return
        stack.extend(reversed(list(ast.iter_child_nodes(item))))


@check(LLM003, nodes=(ast.For, ast.AsyncFor))
def tool_call_loop(ctx, node: ast.For | ast.AsyncFor) -> None:
    """``for call in response.choices[0].message.tool_calls: ...``"""
    if not _mentions(node.iter, agents().dispatch.call_lists):
        return
    calls = _loop_targets(node.target)
    if calls:
        _scan(ctx, _Loop(calls), node.body)


def _single_call(node: ast.AST, words: tuple[str, ...]) -> bool:
    """``message.tool_calls[0]``, ``message.tool_calls[0].function``, ``message.function_call``."""
    if isinstance(node, ast.IfExp):
        return _single_call(node.body, words) or _single_call(node.orelse, words)
    if isinstance(node, ast.BoolOp):
        return any(_single_call(v, words) for v in node.values)
    while isinstance(node, ast.Attribute) and node.attr == "function":
        node = node.value
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, int):
        return _mentions(node.value, words)
    return isinstance(node, ast.Attribute) and node.attr in words


@check(LLM003, nodes=(ast.Assign,))
def single_tool_call(ctx, node: ast.Assign) -> None:
    """``call = response.choices[0].message.tool_calls[0]`` and what the function does with it."""
    if len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name):
        return
    if not _single_call(node.value, agents().dispatch.call_lists):
        return
    fn = ctx.function
    if fn is not None:
        _scan(ctx, _Loop({node.targets[0].id}), fn.body, after=node)


# -- LLM004: code-execution tools -----------------------------------------------------------

_K = agents()


@check(LLM004, calls=tuple(name for name, t in _K.code_tools.items() if t.where == "anywhere"))
def code_tool_built(ctx, node: ast.Call) -> None:
    name = ctx.qualname(node.func) or ""
    tool = agents().code_tools[name]
    short = name.rpartition(".")[2]
    ctx.report(
        LLM004,
        node,
        f"{short} {tool.what}; review the isolation and limits it runs with",
        evidence=(f"variant:{tool.severity.name.lower()}",),
    )


@check(LLM004, nodes=(ast.Call,))
def agent_tools_list(ctx, node: ast.Call) -> None:
    kw = keyword(node, "tools")
    if kw is None or not isinstance(kw.value, (ast.List, ast.Tuple)):
        return
    code_tools = agents().code_tools
    for element in kw.value.elts:
        if isinstance(element, ast.Call):
            name = ctx.qualname(element.func)
        elif isinstance(element, ast.Name):
            name = ctx.variable_type(element.id)
        else:
            continue
        tool = code_tools.get(name or "")
        if tool is None or tool.where != "agent-tools":
            continue
        short = (name or "").rpartition(".")[2]
        ctx.report(
            LLM004,
            element,
            f"agent tool {short} {tool.what}; review the isolation and limits it runs with",
            evidence=(f"variant:{tool.severity.name.lower()}",),
        )


def _enabled(value: ast.AST) -> bool:
    if isinstance(value, ast.Constant):
        return bool(value.value)
    if isinstance(value, (ast.List, ast.Tuple, ast.Set, ast.Dict)):
        return bool(getattr(value, "elts", None) or getattr(value, "keys", None))
    return True


@check(LLM004, calls=tuple(_K.code_flags))
def code_execution_flag(ctx, node: ast.Call) -> None:
    flag = agents().code_flags[ctx.qualname(node.func) or ""]
    kw = keyword(node, flag.keyword)
    if kw is None or not _enabled(kw.value):
        return
    short = (ctx.qualname(node.func) or "").rpartition(".")[2]
    message = f"{short}({flag.keyword}=...) {flag.what}; review its isolation"
    ctx.report(LLM004, node, message, evidence=(f"variant:{flag.severity.name.lower()}",))


# -- LLM005: tool and node classes without an input schema -------------------------------

def _classes_seen(ctx) -> dict[str, tuple[ToolBase, bool]]:
    """Per file: local class name -> (framework kind, has a schema), for classes seen so far."""
    return {}


def _defines_schema(node: ast.ClassDef, fields: frozenset[str]) -> bool:
    for stmt in node.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if any(isinstance(t, ast.Name) and t.id in fields for t in targets):
                value = stmt.value  # an annotation alone is a required field: the schema is given
                if not (isinstance(value, ast.Constant) and value.value is None):
                    return True
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name in fields:
            return True  # a property returning the schema
    return False


def _does_work(method: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """More than a docstring, ``pass``, ``...`` or a ``raise`` (a disabled or abstract method)."""
    for stmt in method.body:
        if isinstance(stmt, (ast.Pass, ast.Raise)):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue
        return True
    return False


def _untyped_run(method: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A ``_run`` from whose signature no schema can be inferred."""
    args = method.args
    params = [
        a
        for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)
        if a.arg not in ("self", "cls", "run_manager", "config", "callbacks")
    ]
    if not params and (args.kwarg is None or args.vararg is not None):
        return False  # (*args, **kwargs): a wrapper forwarding to a function with the schema; (*args): no input
    return not any(a.annotation is not None for a in params)


def _is_tool_node(node: ast.ClassDef) -> bool:
    if node.name.endswith("Tool"):
        return True
    for stmt in node.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if any(isinstance(t, ast.Name) and t.id == "group" for t in targets):
                return isinstance(stmt.value, ast.Attribute) and stmt.value.attr == "TOOLS"
    return False


@check(LLM005, nodes=(ast.ClassDef,))
def tool_input_schema(ctx, node: ast.ClassDef) -> None:
    seen = ctx.fact(_classes_seen)
    bases = agents().tool_bases
    kind: ToolBase | None = None
    inherited = False
    elsewhere = False  # a base this file does not define nor the knowledge name
    for base in node.bases:
        qual = ctx.qualname(base) or ""
        if qual in bases:
            kind = kind or bases[qual]
        elif isinstance(base, ast.Name) and base.id in seen:
            local_kind, local_schema = seen[base.id]
            kind = kind or local_kind
            inherited = inherited or local_schema
        elif qual and qual.split(".", 1)[0] not in _NOT_TOOLS:
            elsewhere = True
    if kind is None and elsewhere and not ctx.scope:
        # Maybe a tool through a base class of another module: report provisionally,
        # with every framework's fields and methods; the project pass below decides.
        kind = _any_framework()
    if kind is None:
        return
    has_schema = inherited or _defines_schema(node, kind.schema)
    if not ctx.scope:
        seen[node.name] = (kind, has_schema)
    if has_schema:
        return
    methods = [
        s
        for s in node.body
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name in kind.methods and _does_work(s)
    ]
    if not methods:
        return  # an abstract base: its subclasses are judged
    if "_run" in {m.name for m in methods} and not any(_untyped_run(m) for m in methods if m.name in ("_run", "_arun")):
        return  # LangChain and CrewAI infer the schema from a typed _run
    tool = _is_tool_node(node) or "_run" in kind.methods
    ctx.report(
        LLM005,
        node,
        _schema_message(kind, node.name, methods[0].name),
        evidence=() if tool else ("variant:not-a-tool",),
    )


# Top-level packages whose classes are never agent tools: a base from one of them does
# not make a class worth a provisional finding.
_NOT_TOOLS = frozenset({"builtins", "abc", "enum", "typing", "typing_extensions", "collections", "dataclasses", "pydantic", "exceptions"})
_PROVISIONAL = "provisional:"  # ToolBase.framework, so the message, of a provisional finding


def _any_framework() -> ToolBase:
    known = set(agents().tool_bases.values())
    return ToolBase(
        frozenset().union(*(k.schema for k in known)),
        frozenset().union(*(k.methods for k in known)),
        _PROVISIONAL,
    )


def _schema_message(kind: ToolBase, name: str, method: str) -> str:
    return (
        f"{kind.framework or 'tool'} {name} has no {'/'.join(sorted(kind.schema))}: its input reaches "
        f"{method}() unvalidated"
    )


@project_pass(LLM005)
def tools_through_other_modules(findings: list, index) -> list:
    """Settle provisional LLM005 findings with the project index: follow the class's
    bases through the project's modules to a framework tool base (none: not a tool),
    and drop the finding when a class on the way defines the framework's schema field
    or the class itself has none of its input methods."""
    if not any(f.rule_id == LLM005.id and f.message.startswith(_PROVISIONAL + " ") for f in findings):
        return findings  # nothing provisional: the index is not even built
    tool_bases = agents().tool_bases
    kept = []
    for f in findings:
        if f.rule_id != LLM005.id or not f.message.startswith(_PROVISIONAL + " "):
            kept.append(f)
            continue
        summary = index.by_path.get(f.location.path)
        cls = index.enclosing(f.location.path, f.location.line) if summary is not None else None
        if cls is None or cls.kind != "class":
            continue
        kind, chain = _framework_of(cls, summary.module, index, tool_bases)
        if kind is None or any(set(d.attrs) & kind.schema for d in chain):
            continue
        methods = sorted(set(cls.attrs) & kind.methods)
        if not methods:
            continue
        f.message = _schema_message(kind, cls.qualname, methods[0]) + f" (tool base reached through {chain[-1].qualname})"
        kept.append(f)
    return kept


def _framework_of(cls, module: str, index, tool_bases) -> tuple[ToolBase | None, list]:
    """The framework tool base a project class derives from, and the project classes on
    the way (the class first); breadth-first, at most 32 classes."""
    chain, todo, seen = [cls], [(b, module) for b in cls.bases], set()
    while todo and len(seen) < 32:
        base, _ = todo.pop(0)
        if base in tool_bases:
            return tool_bases[base], chain
        if base in seen:
            continue
        seen.add(base)
        found = index.definition(base)
        if found is not None and found[1].kind == "class":
            chain.append(found[1])
            todo.extend((b, found[0].module) for b in found[1].bases)
    return None, chain
