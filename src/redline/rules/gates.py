"""Insecure options behind an opt-in: a dangerous call that runs only when a flag, a
parameter, a setting or an environment variable allows it, and that is off by default.

``verify=False`` under ``if not self.verify_ssl:``, ``pickle.load`` after
``if not allow_pickle: raise ...`` (``allow_pickle=False`` by default), a load under
``if self.allow():`` whose body raises unless ``ALLOW_PICKLE`` is set: the user chose the
danger, so the finding is a LOW review item with the evidence ``opt-in`` (a parameter the
caller passes) or ``settings-gated`` (a setting, a command-line flag, the environment).

A condition counts as a gate when it is made only of flags (parameters, settings
attributes, environment lookups, module constants, small gate functions of the same
module), constants and the usual operators, when one of its flags is named for the
danger or for an opt-in (``knowledge/sandbox.toml`` ``[opt_in]``), and when, with the
defaults the code shows, the dangerous branch is not taken. A condition on the data the
dangerous call reads is never a gate.
"""

from __future__ import annotations

import ast
import operator

from redline.knowledge.sandbox import sandbox
from redline.knowledge.web import words_of

_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_EXITS = (ast.Raise, ast.Return, ast.Continue, ast.Break)
_DEPTH = 4


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()  # a flag whose default the code does not show


class _NotFlag(Exception):
    """The condition reads something that is not a flag (data, a computed value)."""


class ModuleFacts:
    """Parents, functions and module-level assignments of one module, built on demand."""

    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.parents: dict[ast.AST, ast.AST] = {}
        self.functions: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]] = {}
        self.classes: dict[str, ast.ClassDef] = {}
        self.assigned: dict[str, ast.expr] = {}
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node
            if isinstance(node, _FUNCS):
                self.functions.setdefault(node.name, []).append(node)
            elif isinstance(node, ast.ClassDef):
                self.classes.setdefault(node.name, node)
        for stmt in tree.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                self.assigned[stmt.targets[0].id] = stmt.value
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
                self.assigned[stmt.target.id] = stmt.value

    def enclosing(self, node: ast.AST, kinds: tuple[type, ...] = _SCOPES) -> ast.AST | None:
        parent = self.parents.get(node)
        while parent is not None and not isinstance(parent, kinds):
            parent = self.parents.get(parent)
        return parent

    def class_of(self, fn: ast.AST | None) -> ast.ClassDef | None:
        parent = self.parents.get(fn) if fn is not None else None
        return parent if isinstance(parent, ast.ClassDef) else None

    def function(self, name: str, near: ast.AST | None, method: bool) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        """The function ``name`` called from ``near``: a method of the same class for
        ``self.name()``, a module-level function for ``name()``."""
        cls = self.class_of(near)
        for fn in self.functions.get(name, ()):
            owner = self.parents.get(fn)
            if method and owner is cls and cls is not None:
                return fn
            if not method and owner is self.tree:
                return fn
        return None


def _module_facts(ctx) -> ModuleFacts:
    return ModuleFacts(ctx.tree)


def facts(ctx) -> ModuleFacts:
    """The module's parents, functions and assignments (a fact of the context)."""
    return ctx.fact(_module_facts)


def gate(ctx, node: ast.AST, data: tuple[ast.AST, ...] = ()) -> str | None:
    """``"opt-in"`` or ``"settings-gated"`` when ``node`` runs only under a flag that is
    off by default; None otherwise. ``data``: the values the dangerous call reads (a
    condition on them is not a gate)."""
    m = facts(ctx)
    data_names = {n.id for d in data for n in ast.walk(d) if isinstance(n, ast.Name)}
    for test, want, fn in _conditions(m, node):
        tag = _judge(ctx, m, fn, test, want, data_names)
        if tag is not None:
            return tag
    return None


def _index(block: list, child: ast.AST) -> int:
    for i, item in enumerate(block):
        if item is child:
            return i
    return -1


def _conditions(m: ModuleFacts, node: ast.AST):
    """(test, branch wanted, function) for every condition the node runs under, in the
    function that holds it: enclosing ``if``/``while``/ternaries/``and``, and guards
    before it that leave the function (``if not allow: raise``) or assert."""
    fn = m.enclosing(node, _SCOPES)
    child = node
    while True:
        parent = m.parents.get(child)
        if parent is None:
            return
        if isinstance(parent, (ast.If, ast.While, ast.IfExp)) and child is not parent.test:
            body = parent.body if isinstance(parent.body, list) else [parent.body]
            yield parent.test, _index(body, child) >= 0, fn
        elif isinstance(parent, ast.BoolOp) and isinstance(parent.op, ast.And):
            for value in parent.values[: _index(parent.values, child)]:
                yield value, True, fn
        if isinstance(child, ast.stmt):
            for field in ("body", "orelse", "finalbody"):
                block = getattr(parent, field, None)
                if not isinstance(block, list):
                    continue
                at = _index(block, child)
                for stmt in block[: max(at, 0)]:
                    if isinstance(stmt, ast.If) and not stmt.orelse and stmt.body and isinstance(stmt.body[-1], _EXITS):
                        yield stmt.test, False, fn
                    elif isinstance(stmt, ast.Assert):
                        yield stmt.test, True, fn
        if isinstance(parent, _SCOPES):
            return
        child = parent


def _judge(ctx, m: ModuleFacts, fn, test: ast.AST, want: bool, data_names: set[str]) -> str | None:
    ev = _Eval(ctx, m, fn, data_names)
    try:
        value = ev.value(test)
    except _NotFlag:
        return None
    if not ev.terms or not ev.worded:
        return None
    if value is not UNKNOWN and bool(value) == want:
        return None  # the dangerous branch is the default
    return "opt-in" if ev.parameter else "settings-gated"


_COMPARE = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
_CONVERSIONS = {"bool": bool, "str": str, "int": int}
_STRING_METHODS = frozenset({"lower", "upper", "strip", "casefold"})


def flag_word(name: str) -> bool:
    """Whether a flag's name ties it to a danger or an opt-in (``allow_pickle``,
    ``verify_ssl``, ``allowpickle``, ``NO_VERIFY``)."""
    words = sandbox().flag_words
    lowered = name.lower()
    if any(w in words for w in words_of(name)):
        return True
    return any(len(w) >= 4 and w in lowered for w in words)


def _settings_root(name: str) -> bool:
    kb = sandbox()
    lowered = name.lower()
    return lowered in kb.settings_roots or lowered.endswith(kb.settings_suffixes)


class _Eval:
    """Three-valued evaluation of a condition with the defaults the code shows."""

    def __init__(self, ctx, m: ModuleFacts, fn, data_names: set[str], depth: int = 0) -> None:
        self.ctx = ctx
        self.m = m
        self.fn = fn
        self.data = data_names
        self.depth = depth
        self.terms = 0
        self.worded = False
        self.parameter = False

    def term(self, name: str, *, parameter: bool = False) -> None:
        self.terms += 1
        self.worded = self.worded or flag_word(name)
        self.parameter = self.parameter or parameter

    def value(self, e: ast.AST):
        if isinstance(e, ast.Constant):
            return e.value
        if isinstance(e, (ast.Tuple, ast.List, ast.Set)):
            values = [self.value(x) for x in e.elts]
            return UNKNOWN if any(v is UNKNOWN for v in values) else tuple(values)
        if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.Not):
            v = self.value(e.operand)
            return UNKNOWN if v is UNKNOWN else not v
        if isinstance(e, ast.BoolOp):
            values = [self.value(v) for v in e.values]
            decisive = (lambda v: not v) if isinstance(e.op, ast.And) else bool
            if any(v is not UNKNOWN and decisive(v) for v in values):
                return isinstance(e.op, ast.Or)
            return UNKNOWN if any(v is UNKNOWN for v in values) else values[-1]
        if isinstance(e, ast.Compare):
            values = [self.value(e.left), *(self.value(c) for c in e.comparators)]
            if any(v is UNKNOWN for v in values):
                return UNKNOWN
            try:
                return all(_COMPARE[type(op)](values[i], values[i + 1]) for i, op in enumerate(e.ops))
            except (KeyError, TypeError):
                return UNKNOWN
        if isinstance(e, ast.Name):
            return self.name(e.id)
        if isinstance(e, ast.Attribute):
            return self.attribute(e)
        if isinstance(e, ast.Subscript):
            return self.subscript(e)
        if isinstance(e, ast.Call):
            return self.call(e)
        raise _NotFlag

    # -- leaves -------------------------------------------------------------------------

    def name(self, ident: str):
        if ident in self.data:
            raise _NotFlag
        fn = self.fn
        if isinstance(fn, (*_FUNCS, ast.Lambda)):
            found, default = _parameter(fn.args, ident)
            if found:
                self.term(ident, parameter=True)
                return default.value if isinstance(default, ast.Constant) else UNKNOWN
            if isinstance(fn, _FUNCS):
                for sub in ast.walk(fn):
                    if (
                        isinstance(sub, ast.Assign)
                        and len(sub.targets) == 1
                        and isinstance(sub.targets[0], ast.Name)
                        and sub.targets[0].id == ident
                    ):
                        return self.nested(sub.value)
        value = self.m.assigned.get(ident)
        if value is not None:
            self.term(ident)
            return self.nested(value)
        raise _NotFlag

    def nested(self, e: ast.AST):
        if self.depth >= _DEPTH:
            raise _NotFlag
        self.depth += 1
        try:
            return self.value(e)
        finally:
            self.depth -= 1

    def attribute(self, e: ast.Attribute):
        chain = []
        base: ast.AST = e
        while isinstance(base, ast.Attribute):
            chain.append(base.attr)
            base = base.value
        if not isinstance(base, ast.Name) or base.id in self.data:
            raise _NotFlag
        if self.ctx.qualname(e) in sandbox().env_getters:
            raise _NotFlag
        settings = _settings_root(base.id) or any(_settings_root(a) for a in chain[1:])
        if not settings and not flag_word(e.attr):
            raise _NotFlag
        self.term(e.attr)
        if base.id == "self" and len(chain) == 1:
            return self.self_default(e.attr)
        return UNKNOWN

    def self_default(self, attr: str):
        """The default of ``self.attr``: a class-level value, or what ``__init__`` sets it to."""
        cls = self.m.class_of(self.fn)
        if cls is None:
            return UNKNOWN
        for stmt in cls.body:
            target = stmt.targets[0] if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 else getattr(stmt, "target", None)
            if isinstance(target, ast.Name) and target.id == attr and isinstance(getattr(stmt, "value", None), ast.Constant):
                return stmt.value.value
        for stmt in cls.body:
            if not (isinstance(stmt, _FUNCS) and stmt.name == "__init__"):
                continue
            for sub in ast.walk(stmt):
                if not (isinstance(sub, ast.Assign) and len(sub.targets) == 1):
                    continue
                t = sub.targets[0]
                if not (isinstance(t, ast.Attribute) and t.attr == attr and isinstance(t.value, ast.Name) and t.value.id == "self"):
                    continue
                if isinstance(sub.value, ast.Constant):
                    return sub.value.value
                if isinstance(sub.value, ast.Name):
                    found, default = _parameter(stmt.args, sub.value.id)
                    if found and isinstance(default, ast.Constant):
                        return default.value
                return UNKNOWN
        return UNKNOWN

    def subscript(self, e: ast.Subscript):
        key = e.slice.value if isinstance(e.slice, ast.Constant) and isinstance(e.slice.value, str) else None
        if key is None:
            raise _NotFlag
        root = e.value
        qual = self.ctx.qualname(root)
        if qual == "os.environ" or (isinstance(root, ast.Name) and root.id not in self.data and _settings_root(root.id)):
            self.term(key)
            return UNKNOWN
        raise _NotFlag

    def call(self, e: ast.Call):
        kb = sandbox()
        qual = self.ctx.qualname(e.func) or ""
        if qual in kb.env_getters:
            key = e.args[0] if e.args else None
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                raise _NotFlag
            self.term(key.value)
            at = kb.env_getters[qual]
            default = e.args[at] if len(e.args) > at else next((k.value for k in e.keywords if k.arg == "default"), None)
            if default is None:
                return None
            return default.value if isinstance(default, ast.Constant) else UNKNOWN
        func = e.func
        if isinstance(func, ast.Name) and func.id in _CONVERSIONS and len(e.args) == 1 and not e.keywords:
            v = self.value(e.args[0])
            if v is UNKNOWN:
                return UNKNOWN
            try:
                return _CONVERSIONS[func.id](v)
            except (TypeError, ValueError):
                return UNKNOWN
        if isinstance(func, ast.Attribute) and func.attr in _STRING_METHODS and not e.args:
            v = self.value(func.value)
            return getattr(v, func.attr)() if isinstance(v, str) else UNKNOWN
        if isinstance(func, ast.Name) and func.id == "getattr" and len(e.args) >= 2:
            obj, attr = e.args[0], e.args[1]
            if isinstance(obj, ast.Name) and obj.id not in self.data and _settings_root(obj.id) and isinstance(attr, ast.Constant):
                self.term(str(attr.value))
                return UNKNOWN
            raise _NotFlag
        method = isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in ("self", "cls")
        name = func.attr if method else func.id if isinstance(func, ast.Name) else None
        if name is None or self.depth >= _DEPTH:
            raise _NotFlag
        callee = self.m.function(name, self.fn, method)
        if callee is None:
            raise _NotFlag
        return self.gate_function(callee)

    def gate_function(self, callee):
        """A small function that raises unless a flag allows (its value: whether it
        passes by default), or that returns a flag."""
        sub = _Eval(self.ctx, self.m, callee, set(), self.depth + 1)
        blocks = []
        for stmt in callee.body:
            if isinstance(stmt, ast.If) and not stmt.orelse and stmt.body and isinstance(stmt.body[-1], ast.Raise):
                try:
                    blocks.append(sub.value(stmt.test))
                except _NotFlag:
                    continue
        passes = None
        if blocks:
            if any(v is not UNKNOWN and v for v in blocks):
                passes = False
            elif any(v is UNKNOWN for v in blocks):
                passes = UNKNOWN
            else:
                passes = True
        if passes is None:
            returns = [r for r in callee.body if isinstance(r, ast.Return) and r.value is not None]
            if len(returns) != 1:
                raise _NotFlag
            passes = sub.value(returns[0].value)
        if not sub.terms:
            raise _NotFlag
        self.terms += sub.terms
        self.worded = self.worded or sub.worded or flag_word(callee.name)
        return passes


def _parameter(args: ast.arguments, ident: str) -> tuple[bool, ast.AST | None]:
    """Whether ``ident`` is a parameter, and its default."""
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.AST | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    for a, d in zip(positional, defaults, strict=True):
        if a.arg == ident:
            return True, d
    for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        if a.arg == ident:
            return True, d
    for a in (args.vararg, args.kwarg):
        if a is not None and a.arg == ident:
            raise _NotFlag
    return False, None
