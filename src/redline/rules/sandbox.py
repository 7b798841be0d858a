"""Checklist area 2: audit of sandboxes for untrusted code (RestrictedPython and
home-made restricted ``exec``/``eval``), ``__builtins__`` tampering and the opt-in
flags that switch a library's protection off.

What counts as an escaping builtin, a host-access module or a resource limit is data
(``knowledge/sandbox.toml``); this module only knows the shapes of the code.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from redline.knowledge.sandbox import sandbox
from redline.rules.catalog import rule
from redline.rules.common import argument, is_literal, own_nodes, string_value
from redline.rules.registry import check

_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)
_REFS = "https://restrictedpython.readthedocs.io/en/latest/usage/policy.html"

EXEC003 = rule("EXEC003")
EXEC004 = rule("EXEC004")
EXEC005 = rule("EXEC005")
EXEC006 = rule("EXEC006")
EXEC007 = rule("EXEC007")
EXEC008 = rule("EXEC008")
EXEC009 = rule("EXEC009")
EXEC010 = rule("EXEC010")


# -- per-file state -------------------------------------------------------------------


@dataclass
class _State:
    module_defs: dict[str, ast.AST] = field(default_factory=dict)  # top-level functions
    restricted: set[tuple[tuple[str, ...], str]] = field(default_factory=set)  # compiled names
    builtin_dicts: set[str] = field(default_factory=set)  # names holding a builtins mapping
    sandbox_globals: dict[tuple[tuple[str, ...], str], ast.Dict] = field(default_factory=dict)
    seen: set[int] = field(default_factory=set)  # dict nodes already audited
    limited: bool | None = None  # the module mentions a resource limit
    executes: bool | None = None  # the module runs code (exec/eval/compile, a restricted compiler)
    hooks: set[tuple[str, ...]] = field(default_factory=set)  # import hooks audited


def _state(ctx) -> _State:
    return ctx.fact(_new_state)


def _new_state(ctx) -> _State:
    st = _State()
    st.module_defs = {s.name: s for s in ctx.tree.body if isinstance(s, _FUNCS)}
    return st


_ALL = (EXEC003, EXEC004, EXEC005, EXEC006, EXEC007, EXEC008)


# -- shapes ---------------------------------------------------------------------------


def _is_builtin(ctx, value: ast.AST, name: str) -> bool:
    """``value`` is the unwrapped builtin ``name`` (``getattr``, ``builtins.getattr``,
    and for getattr its RestrictedPython alias ``default_guarded_getattr``)."""
    if not isinstance(value, (ast.Name, ast.Attribute)):
        return False
    qual = ctx.qualname(value)
    if name == "getattr" and qual in sandbox().plain_getattr:
        return True
    if isinstance(value, ast.Name) and value.id != name:
        return False
    return qual == name


def _getattr_wrapper(ctx, value: ast.AST) -> bool:
    """A module function that hands the requested name to the plain getattr without
    refusing any name first (``safe_getattr`` falling through to
    ``default_guarded_getattr(obj, name)``)."""
    if not isinstance(value, ast.Name):
        return False
    fn = _state(ctx).module_defs.get(value.id)
    if fn is None:
        return False
    params = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args)]
    if len(params) < 2:
        return False
    attr = params[1]
    passes = False
    for sub in own_nodes(fn):
        if isinstance(sub, ast.If) and attr in _names_in(sub.test) and any(isinstance(b, ast.Raise) for b in sub.body):
            return False  # a name is refused
        if isinstance(sub, ast.Call):
            func = sub.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr in ("startswith", "match", "fullmatch")
                and (attr in _names_in(func.value) or any(attr in _names_in(a) for a in sub.args))
            ):
                return False
            if (
                len(sub.args) >= 2
                and isinstance(sub.args[1], ast.Name)
                and sub.args[1].id == attr
                and _is_builtin(ctx, func, "getattr")
            ):
                passes = True
    return passes


def _names_in(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _spreads_builtins(ctx, node: ast.Dict) -> bool:
    mappings = sandbox().builtin_mappings
    return any(k is None and ctx.qualname(v) in mappings for k, v in zip(node.keys, node.values, strict=True))


def _builtins_source(ctx, value: ast.AST) -> bool:
    """``safe_builtins.copy()``, ``dict(safe_builtins)``: a copy of a builtins mapping."""
    mappings = sandbox().builtin_mappings
    if isinstance(value, ast.Call):
        func = value.func
        if isinstance(func, ast.Attribute) and func.attr == "copy" and ctx.qualname(func.value) in mappings:
            return True
        if isinstance(func, ast.Name) and func.id == "dict" and value.args and ctx.qualname(value.args[0]) in mappings:
            return True
    return isinstance(value, ast.Dict) and _spreads_builtins(ctx, value)


def _target_name(stmt: ast.AST | None) -> str | None:
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target = stmt.targets[0]
    elif isinstance(stmt, ast.AnnAssign):
        target = stmt.target
    else:
        return None
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute):
        return target.attr
    return None


def _updated_name(stmt: ast.AST | None) -> str | None:
    """``name.update({...})`` as a statement: the name updated."""
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        func = stmt.value.func
        if isinstance(func, ast.Attribute) and func.attr == "update" and isinstance(func.value, ast.Name):
            return func.value.id
    return None


def _identity_function(ctx, value: ast.AST) -> bool:
    """A function that hands back one of its parameters: ``lambda x: x`` or
    ``def guarded_write(obj, value=None): return value if value is not None else obj``."""
    if isinstance(value, ast.Lambda):
        return _returns_parameter(value.args, value.body)
    if isinstance(value, ast.Name):
        fn = _state(ctx).module_defs.get(value.id)
        if fn is None:
            return False
        body = [s for s in fn.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
        return len(body) == 1 and isinstance(body[0], ast.Return) and _returns_parameter(fn.args, body[0].value)
    return False


def _returns_parameter(args: ast.arguments, expr: ast.AST | None) -> bool:
    params = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
    if not params or expr is None:
        return False
    if isinstance(expr, ast.Name):
        return expr.id in params
    if isinstance(expr, ast.IfExp):
        return _returns_parameter(args, expr.body) and _returns_parameter(args, expr.orelse)
    if isinstance(expr, ast.BoolOp):
        return all(_returns_parameter(args, v) for v in expr.values)
    return False


# -- EXEC003 / EXEC004: builtins and guards ----------------------------------------------


def _escapes(ctx, node: ast.Dict) -> list[tuple[ast.AST, str]]:
    escape = sandbox().escape_builtins
    found = []
    for k, v in zip(node.keys, node.values, strict=True):
        name = string_value(k)
        if name in escape and _is_builtin(ctx, v, name):
            found.append((k, name))
        elif name == "getattr" and _getattr_wrapper(ctx, v):
            found.append((k, f"getattr (as {v.id}, which passes any name to the plain getattr)"))
    return found


def _report_escapes(ctx, entries: list[tuple[ast.AST, str]], where: str) -> None:
    escape = sandbox().escape_builtins
    by_line: dict[int, list[tuple[ast.AST, str]]] = {}
    for key, name in entries:
        by_line.setdefault(key.lineno, []).append((key, name))
    for items in by_line.values():
        names = ", ".join(name for _, name in items)
        why = "; ".join(f"{name.split()[0]} {escape[name.split()[0]]}" for _, name in items)
        ctx.report(EXEC003, items[0][0], f"{where} hands the raw {names} to sandboxed code: {why}")


def _guards(ctx, keys_values) -> None:
    kb = sandbox()
    for k, v in keys_values:
        name = string_value(k)
        if name in kb.write_guards and _identity_function(ctx, v):
            ctx.report(EXEC004, k, f"the {name} guard returns its argument: sandboxed code may write attributes of any object")
        elif name in kb.getattr_guards and (
            _is_builtin(ctx, v, "getattr") or _identity_function(ctx, v) or _getattr_wrapper(ctx, v)
        ):
            ctx.report(
                EXEC004,
                k,
                f"the {name} guard is the plain getattr: nothing refuses underscore names or "
                "str.format at run time (use RestrictedPython.Guards.safer_getattr)",
            )


@check(EXEC003, EXEC004, nodes=(ast.Dict,))
def builtins_mapping(ctx, node: ast.Dict) -> None:
    st = _state(ctx)
    if id(node) in st.seen:
        return
    keys = [string_value(k) for k in node.keys]
    if "_write_" in keys or "_getattr_" in keys:
        _guards(ctx, zip(node.keys, node.values, strict=True))
    inner = None
    if "__builtins__" in keys:
        inner = node.values[keys.index("__builtins__")]
        name = _target_name(ctx.stmt)
        if name is not None:
            st.sandbox_globals[(ctx.scope, name)] = node
        _report_escapes(ctx, _escapes(ctx, node), "the sandbox globals")
        if isinstance(inner, ast.Dict):
            st.seen.add(id(inner))
            if inner.keys:
                _report_escapes(ctx, _escapes(ctx, inner), "the sandbox builtins")
                if "_write_" in [string_value(k) for k in inner.keys] or "_getattr_" in [string_value(k) for k in inner.keys]:
                    _guards(ctx, zip(inner.keys, inner.values, strict=True))
        return
    target = _target_name(ctx.stmt) or _updated_name(ctx.stmt)
    named = target is not None and ("builtin" in target.lower() or target in st.builtin_dicts)
    if _spreads_builtins(ctx, node) or named:
        _report_escapes(ctx, _escapes(ctx, node), "the sandbox builtins")


@check(EXEC003, EXEC004, EXEC009, nodes=(ast.Assign,))
def builtins_item(ctx, node: ast.Assign) -> None:
    """``b = safe_builtins.copy(); b["getattr"] = getattr`` and ``g["_write_"] = ...``;
    ``builtins.open = ...`` and ``__builtins__["x"] = ...``."""
    st = _state(ctx)
    if len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) and _builtins_source(ctx, node.value):
        st.builtin_dicts.add(node.targets[0].id)
    for target in node.targets:
        _tamper(ctx, target, node)
        if not isinstance(target, ast.Subscript) or not isinstance(target.value, ast.Name):
            continue
        key = string_value(target.slice)
        if key is None:
            continue
        owner = target.value.id
        if key in sandbox().write_guards or key in sandbox().getattr_guards:
            _guards(ctx, [(target.slice, node.value)])
        elif (
            key in sandbox().escape_builtins
            and (owner in st.builtin_dicts or "builtin" in owner.lower())
            and _is_builtin(ctx, node.value, key)
        ):
            _report_escapes(ctx, [(target, key)], f"{owner}[{key!r}]")


# -- EXEC009: builtins tampering ---------------------------------------------------------


def _is_builtins_object(ctx, node: ast.AST) -> bool:
    if isinstance(node, ast.Name) and node.id == "__builtins__":
        return True
    if isinstance(node, ast.Attribute) and node.attr == "__dict__":
        return _is_builtins_object(ctx, node.value)
    return isinstance(node, ast.Name) and ctx.qualname(node) == "builtins"


def _tamper(ctx, target: ast.AST, stmt: ast.AST) -> None:
    if isinstance(target, (ast.Attribute, ast.Subscript)) and _is_builtins_object(ctx, target.value):
        what = target.attr if isinstance(target, ast.Attribute) else string_value(target.slice) or "an entry"
        ctx.report(EXEC009, target, f"the process-wide builtins are modified ({what})")


@check(EXEC009, nodes=(ast.AugAssign, ast.Delete))
def builtins_changed(ctx, node: ast.AST) -> None:
    for target in node.targets if isinstance(node, ast.Delete) else [node.target]:
        _tamper(ctx, target, node)


@check(EXEC009, calls=("setattr", "delattr"))
def builtins_setattr(ctx, node: ast.Call) -> None:
    if node.args and _is_builtins_object(ctx, node.args[0]):
        ctx.report(EXEC009, node, f"the process-wide builtins are modified with {ctx.qualname(node.func)}()")


@check(EXEC009, nodes=(ast.Expr,))
def builtins_update(ctx, node: ast.Expr) -> None:
    call = node.value
    if (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr in ("update", "setdefault", "pop", "clear", "__setitem__")
        and _is_builtins_object(ctx, call.func.value)
    ):
        ctx.report(EXEC009, call, f"the process-wide builtins are modified with .{call.func.attr}()")


# -- EXEC005: allowlisted modules ---------------------------------------------------------

_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def _allowlist_name(name: str) -> bool:
    kb = sandbox()
    words = {w.lower() for w in _WORD.findall(name)}
    return bool(words & kb.allow_words) and bool(words & kb.module_words)


def _module_names(value: ast.AST | None) -> list[tuple[ast.AST, str]]:
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in (
        "set", "frozenset", "list", "tuple"
    ) and len(value.args) == 1:
        value = value.args[0]
    if isinstance(value, (ast.List, ast.Tuple, ast.Set)):
        items = value.elts
    elif isinstance(value, ast.Dict):
        items = [k for k in value.keys if k is not None]
    else:
        return []
    found = []
    for item in items:
        text = string_value(item)
        if text is None:
            return []  # not a list of module names
        found.append((item, text))
    return found


def _host_modules(ctx, names: list[tuple[ast.AST, str]]) -> list[str]:
    kb = sandbox()
    own = ctx.imports.module.split(".", 1)[0] if ctx.imports.module else ""
    bad = []
    for _, text in names:
        top = text.split(".", 1)[0]
        if text == "*":
            bad.append("* (every module)")
        elif top in kb.host_modules:
            bad.append(f"{text} ({kb.host_modules[top]})")
        elif own and top == own and "." in ctx.imports.module:
            bad.append(f"{text} (the host application's own package)")
    return bad


def _executes(ctx) -> bool:
    """The module runs code: exec/eval/compile of a value, a restricted compiler, or a
    namespace with ``__builtins__``. An allowlist elsewhere (which modules may supply
    logging classes or deserialized types) is not a sandbox's."""
    st = _state(ctx)
    if st.executes is None:
        st.executes = False
        compilers = sandbox().compilers
        for sub in ast.walk(ctx.tree):
            if isinstance(sub, ast.Call) and (
                (ctx.qualname(sub.func) in ("exec", "eval", "compile") and not is_literal(argument(sub, 0, "source")))
                or ctx.qualname(sub.func) in compilers
            ):
                st.executes = True
                break
            if isinstance(sub, ast.Constant) and sub.value == "__builtins__":
                st.executes = True
                break
    return st.executes


def _feeds_runner(ctx, node: ast.AST) -> bool:
    """``CodeRunner(allowed_imports=[...])``: a keyword of a call whose name says it runs code."""
    call = ctx.stmt
    words = sandbox().runner_words
    for sub in ast.walk(call) if call is not None else ():
        if isinstance(sub, ast.Call) and any(v is node for v in (kw.value for kw in sub.keywords)):
            name = ctx.qualname(sub.func) or ""
            return any(w.lower() in words for part in name.split(".") for w in _WORD.findall(part))
    return False


def _report_allowlist(ctx, node: ast.AST, name: str, value: ast.AST | None) -> None:
    names = _module_names(value)
    if not names or not _allowlist_name(name):
        return
    if not _executes(ctx) and not _feeds_runner(ctx, node):
        return
    bad = _host_modules(ctx, names)
    if bad:
        ctx.report(EXEC005, node, f"{name} lets sandboxed code use {', '.join(bad)}")


@check(EXEC005, nodes=(ast.Assign, ast.AnnAssign))
def module_allowlist(ctx, node: ast.Assign | ast.AnnAssign) -> None:
    if not isinstance(node.value, (ast.List, ast.Tuple, ast.Set, ast.Dict, ast.Call)):
        return
    name = _target_name(node)
    if name is not None:
        _report_allowlist(ctx, node, name, node.value)


@check(EXEC005, nodes=(ast.keyword,))
def module_allowlist_argument(ctx, node: ast.keyword) -> None:
    if node.arg is not None and isinstance(node.value, (ast.List, ast.Tuple, ast.Set)):
        _report_allowlist(ctx, node.value, node.arg, node.value)


# -- EXEC006: import hooks ------------------------------------------------------------------


def _top_level_of(expr: ast.AST) -> bool:
    """``name.split(".")[0]``, ``name.partition(".")[0]``, ``name.split(".", 1)[0]``."""
    if not isinstance(expr, ast.Subscript) or not (isinstance(expr.slice, ast.Constant) and expr.slice.value == 0):
        return False
    call = expr.value
    return (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr in ("split", "partition")
        and bool(call.args)
        and string_value(call.args[0]) == "."
    )


@check(EXEC006, calls=("__import__", "importlib.__import__", "importlib.import_module"))
def import_hook(ctx, node: ast.Call) -> None:
    st = _state(ctx)
    if ctx.scope in st.hooks or is_literal(argument(node, 0, "name")):
        return
    fn = ctx.function
    if fn is None:
        return
    st.hooks.add(ctx.scope)
    tops: set[str] = set()
    compares = []
    for sub in own_nodes(fn):
        if isinstance(sub, ast.Assign) and len(sub.targets) == 1 and isinstance(sub.targets[0], ast.Name):
            if _top_level_of(sub.value):
                tops.add(sub.targets[0].id)
        elif isinstance(sub, ast.Compare) and len(sub.ops) == 1 and isinstance(sub.ops[0], (ast.In, ast.NotIn)):
            compares.append(sub)
    requested = argument(node, 0, "name")
    full = {requested.id} if isinstance(requested, ast.Name) else set()
    top_checks = [c for c in compares if _top_level_of(c.left) or (isinstance(c.left, ast.Name) and c.left.id in tops)]
    full_checks = [c for c in compares if isinstance(c.left, ast.Name) and c.left.id in full]
    if top_checks and not full_checks:
        ctx.report(
            EXEC006,
            top_checks[0],
            "the import hook allows a module by its top-level package only: every submodule "
            "of an allowed package is importable",
        )


# -- EXEC007 / EXEC008: the exec/eval itself -----------------------------------------------


def _compiled_restricted(ctx, code: ast.AST) -> bool:
    compilers = sandbox().compilers
    if isinstance(code, ast.Call):
        return ctx.qualname(code.func) in compilers
    if isinstance(code, ast.Attribute):  # result.code of compile_restricted_exec
        code = code.value
    if isinstance(code, ast.Name):
        return (ctx.scope, code.id) in _state(ctx).restricted
    return False


@check(EXEC007, EXEC008, nodes=(ast.Assign,))
def restricted_code(ctx, node: ast.Assign) -> None:
    if (
        len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and isinstance(node.value, ast.Call)
        and ctx.qualname(node.value.func) in sandbox().compilers
    ):
        _state(ctx).restricted.add((ctx.scope, node.targets[0].id))


def _sandbox_globals(ctx, value: ast.AST | None) -> ast.Dict | None:
    """The globals dict given to exec/eval when it sets ``__builtins__``."""
    if isinstance(value, ast.Dict):
        return value if "__builtins__" in [string_value(k) for k in value.keys] else None
    if isinstance(value, ast.Name):
        found = _state(ctx).sandbox_globals
        scope = ctx.scope
        while True:
            hit = found.get((scope, value.id))
            if hit is not None or not scope:
                return hit
            scope = scope[:-1]
    return None


def _limited(ctx) -> bool:
    st = _state(ctx)
    if st.limited is None:
        markers = sandbox().limit_markers
        st.limited = any(m in line for line in ctx.lines for m in markers)
    return st.limited


@check(EXEC007, EXEC008, calls=("exec", "eval"))
def sandboxed_execution(ctx, node: ast.Call) -> None:
    code = argument(node, 0, "source")
    if code is None or is_literal(code):
        return
    name = ctx.qualname(node.func)
    if _compiled_restricted(ctx, code):
        if not _limited(ctx):
            ctx.report(
                EXEC008,
                node,
                f"{name}() runs restricted code with no time or memory limit in this module "
                "(no setrlimit, alarm or timeout)",
            )
        return
    globals_ = _sandbox_globals(ctx, argument(node, 1, "globals"))
    if globals_ is None:
        return
    builtins = globals_.values[[string_value(k) for k in globals_.keys].index("__builtins__")]
    if _is_builtins_object(ctx, builtins):
        return  # a fresh namespace with every builtin: plain exec, EXEC001's business
    if (isinstance(builtins, ast.Dict) and not builtins.keys) or (
        isinstance(builtins, ast.Constant) and builtins.value is None
    ):
        how = "empty __builtins__ is escapable through ().__class__.__mro__ and __subclasses__()"
    else:
        how = "a custom __builtins__ without a restricted compiler leaves attribute access unguarded"
    ctx.report(EXEC007, node, f"{name}() of code that no restricted compiler checked: {how}")


# -- EXEC010: opt-in danger flags -----------------------------------------------------------


def _flag(ctx, node: ast.AST, name: str | None, value: ast.AST | None) -> None:
    flags = sandbox().danger_flags
    if name in flags and isinstance(value, ast.Constant) and value.value is True:
        ctx.report(EXEC010, node, f"{name}=True: {flags[name]}")


@check(EXEC010, nodes=(ast.keyword,))
def danger_keyword(ctx, node: ast.keyword) -> None:
    _flag(ctx, node.value, node.arg, node.value)


@check(EXEC010, nodes=(ast.Assign, ast.AnnAssign))
def danger_setting(ctx, node: ast.Assign | ast.AnnAssign) -> None:
    _flag(ctx, node, _target_name(node), node.value)
