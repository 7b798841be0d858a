"""Checklist area 8: vector stores and memory (tenant isolation, personal data in
metadata, retention of conversation memory, file inputs of agents)."""

from __future__ import annotations

import ast

from redline.knowledge.agents import agents
from redline.rules.catalog import rule
from redline.rules.common import keyword
from redline.rules.registry import check

VEC001 = rule("VEC001")
VEC002 = rule("VEC002")
VEC003 = rule("VEC003")
VEC004 = rule("VEC004")
VEC005 = rule("VEC005")


# -- the function or class a node is in -----------------------------------------------------


class _Scope:
    """A function or class, summarised on first use: names read, methods called."""

    __slots__ = ("node", "_loads", "_methods")

    def __init__(self, node: ast.AST) -> None:
        self.node = node
        self._loads: frozenset[str] | None = None
        self._methods: frozenset[str] | None = None

    def _summarise(self) -> None:
        loads: set[str] = set()
        methods: set[str] = set()
        for child in ast.walk(self.node):
            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load):
                loads.add(child.id)
            elif isinstance(child, ast.Call):
                if isinstance(child.func, ast.Attribute):
                    methods.add(child.func.attr)
                for kw in child.keywords:
                    if kw.arg in ("ex", "px", "maxlen", "approximate"):
                        methods.add(f"{kw.arg}=")
            elif isinstance(child, ast.Delete):
                methods.add("del")
            elif (
                isinstance(child, ast.Assign)
                and isinstance(child.value, ast.Subscript)
                and isinstance(child.value.slice, ast.Slice)
            ):
                methods.add("slice=")  # history = history[-50:]
        self._loads, self._methods = frozenset(loads), frozenset(methods)

    @property
    def loads(self) -> frozenset[str]:
        if self._loads is None:
            self._summarise()
        return self._loads or frozenset()

    @property
    def methods(self) -> frozenset[str]:
        if self._methods is None:
            self._summarise()
        return self._methods or frozenset()


_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _summaries(ctx) -> dict[ast.AST, _Scope]:
    return {}


def _classes(ctx) -> dict[tuple[str, ...], ast.ClassDef]:
    """The module's classes by their scope, from its statements alone (no expression is read)."""
    found: dict[tuple[str, ...], ast.ClassDef] = {}
    todo: list[tuple[tuple[str, ...], list]] = [((), ctx.tree.body)]
    while todo:
        scope, body = todo.pop()
        for stmt in body:
            if not isinstance(stmt, ast.stmt):
                continue
            inner = (*scope, stmt.name) if isinstance(stmt, (ast.ClassDef, *_FUNCS)) else scope
            if isinstance(stmt, ast.ClassDef):
                found.setdefault(inner, stmt)
            for field in ("body", "orelse", "finalbody"):
                block = getattr(stmt, field, None)
                if isinstance(block, list):
                    todo.append((inner, block))
            todo.extend((inner, h.body) for h in getattr(stmt, "handlers", ()))
    return found


def _scope(ctx, kind: type | tuple[type, ...]) -> _Scope | None:
    """The function the visited node is in, or its innermost enclosing class (``kind``),
    summarised once."""
    node = None
    if kind is ast.ClassDef:
        classes = ctx.fact(_classes)
        scope = ctx.scope
        while scope and node is None:
            node = classes.get(scope)
            scope = scope[:-1]
    else:
        node = ctx.function
    if node is None:
        return None
    summaries = ctx.fact(_summaries)
    found = summaries.get(node)
    if found is None:
        found = summaries[node] = _Scope(node)
    return found



def _text(node: ast.AST) -> str:
    try:
        return ast.unparse(node).lower()
    except (ValueError, AttributeError):  # pragma: no cover - malformed synthetic trees
        return ""


# -- VEC001 ---------------------------------------------------------------------------------


_LIST_BOUNDS = frozenset({"pop", "popleft", "del", "slice=", "maxlen="})


@check(VEC001, nodes=(ast.Call,))
def memory_append(ctx, node: ast.Call) -> None:
    func = node.func
    if not isinstance(func, ast.Attribute) or not node.args:
        return
    k = agents().memory
    if func.attr == "append":
        _history_list_append(ctx, node, func)
        return
    if func.attr not in k.append_methods:
        return
    owner = _scope(ctx, ast.ClassDef) or _scope(ctx, _FUNCS)
    names = _text(node.args[0]) + " " + " ".join(p.lower() for p in ctx.scope)
    if not any(word in names for word in k.words):
        return
    if func.attr == "xadd" and keyword(node, "maxlen") is not None:
        return
    if owner is not None and (owner.methods & k.bound_methods or "ex=" in owner.methods or "px=" in owner.methods):
        return
    ctx.report(
        VEC001,
        node,
        f"{func.attr}() appends conversation history with no expire/ltrim in "
        f"{'this class' if isinstance(getattr(owner, 'node', None), ast.ClassDef) else 'this code'}: "
        "it is kept forever and grows without limit",
    )


def _history_list_append(ctx, node: ast.Call, func: ast.Attribute) -> None:
    """``self.messages.append(message)`` in a memory or history class that never trims the list."""
    target = func.value
    if not (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self"):
        return
    words = agents().memory.words
    owner = _scope(ctx, ast.ClassDef)
    if owner is None or not any(w in target.attr.lower() for w in words):
        return
    if not any(w in owner.node.name.lower() for w in words) or owner.methods & _LIST_BOUNDS:
        return
    ctx.report(
        VEC001,
        node,
        f"{owner.node.name} appends to self.{target.attr} and never trims it: the history is kept "
        "for the life of the process and grows without limit",
    )


_K = agents()


@check(VEC001, calls=tuple(_K.memory.classes))
def memory_class(ctx, node: ast.Call) -> None:
    name = ctx.qualname(node.func) or ""
    bounds = agents().memory.classes.get(name)
    if bounds is None:
        return
    short = name.rpartition(".")[2]
    if not bounds:
        ctx.report(VEC001, node, f"{short} keeps the whole conversation with no limit; use a window or summary memory")
    elif not any(keyword(node, b) is not None for b in bounds) and not any(kw.arg is None for kw in node.keywords):
        ctx.report(VEC001, node, f"{short} without {' or '.join(sorted(bounds))} keeps every message forever")


# -- VEC002 ---------------------------------------------------------------------------------

_MASKING = ("hash", "sha", "md5", "encrypt", "mask", "redact", "pseudonym", "anonym", "tokeni", "hmac")


_MACHINE = frozenset(
    {"ip", "mac", "server", "host", "bind", "listen", "remote", "local", "base", "wallet", "contract",
     "memory", "node", "peer", "socket", "network", "net", "web", "url", "endpoint", "proxy"}
)


def _pii_key(key: str) -> bool:
    k = agents().vector
    lowered = key.lower().replace("-", "_")
    parts = lowered.split("_")
    if any(p in ("hash", "hashed", "domain", "verified", "count", "masked", "sha256") for p in parts):
        return False
    if "address" in parts and parts.index("address") > 0 and parts[parts.index("address") - 1] in _MACHINE:
        parts = [p for p in parts if p != "address"]  # ip_address, server_address: a machine, not a person
    return any(p in k.pii_keys for p in parts) or any(
        ("_" in pii) and pii in lowered for pii in k.pii_keys
    )


def _masked(value: ast.AST) -> bool:
    if isinstance(value, ast.Constant):
        return True  # a literal is not a person's data
    if isinstance(value, ast.Call):
        return any(m in _text(value.func) for m in _MASKING)
    return False


def _report_pii(ctx, node: ast.Dict) -> None:
    keys = [
        key.value
        for key, value in zip(node.keys, node.values, strict=True)
        if isinstance(key, ast.Constant) and isinstance(key.value, str) and _pii_key(key.value) and not _masked(value)
    ]
    if not keys:
        return
    fn = _scope(ctx, _FUNCS)
    if fn is None or not fn.methods & agents().vector.write_methods:
        return
    ctx.report(VEC002, node, "document metadata holds personal data: " + ", ".join(keys[:5]))


def _metadata_name(name: str | None) -> bool:
    if not name:
        return False
    lowered = name.lower()
    return any(lowered == m or lowered.endswith("_" + m) for m in agents().vector.metadata_names)


@check(VEC002, nodes=(ast.Assign,))
def metadata_assignment(ctx, node: ast.Assign) -> None:
    if isinstance(node.value, ast.Dict) and any(
        _metadata_name(t.id if isinstance(t, ast.Name) else getattr(t, "attr", None)) for t in node.targets
    ):
        _report_pii(ctx, node.value)


@check(VEC002, nodes=(ast.Call,))
def metadata_argument(ctx, node: ast.Call) -> None:
    for kw in node.keywords:
        if isinstance(kw.value, ast.Dict) and _metadata_name(kw.arg):
            _report_pii(ctx, kw.value)


@check(VEC002, nodes=(ast.Dict,))
def metadata_entry(ctx, node: ast.Dict) -> None:
    for key, value in zip(node.keys, node.values, strict=True):
        if isinstance(value, ast.Dict) and isinstance(key, ast.Constant) and _metadata_name(str(key.value)):
            _report_pii(ctx, value)


# -- VEC003 ---------------------------------------------------------------------------------


def _vector_call(node: ast.Call) -> str | None:
    """"search" or "write" when the call searches or writes a vector store."""
    func = node.func
    if not isinstance(func, ast.Attribute):
        return None
    k = agents().vector
    attr = func.attr
    if attr in k.search_methods:
        return "search"
    if attr in k.retriever_methods:
        owner = func.value
        name = owner.attr if isinstance(owner, ast.Attribute) else owner.id if isinstance(owner, ast.Name) else ""
        if any(word in name.lower() for word in k.retriever_names):
            return "search"
    kws = {kw.arg for kw in node.keywords}
    if attr in ("search", "query") and kws & k.vector_keywords:
        return "search"
    if attr in ("add_texts", "add_documents", "aadd_texts", "aadd_documents", "write_documents", "upsert", "add_nodes", "insert_nodes"):
        return "write"
    if attr in ("index", "add", "insert") and kws & {"document", "documents", "embeddings", "vectors", "body"}:
        return "write"
    return None


def _assigned_dict(fn: ast.AST, name: str) -> ast.Dict | None:
    for child in ast.walk(fn):
        if (
            isinstance(child, ast.Assign)
            and isinstance(child.value, ast.Dict)
            and any(isinstance(t, ast.Name) and t.id == name for t in child.targets)
        ):
            return child.value
    return None


def _scope_location(fn: ast.AST, call: ast.Call) -> ast.AST:
    """The filter that leaves the tenant out (possibly inside a dict built earlier), or the call."""
    scope_keys = agents().vector.scope_keywords
    for kw in call.keywords:
        value = kw.value
        if isinstance(value, ast.Name):
            value = _assigned_dict(fn, value.id) or value
        if kw.arg in scope_keys:
            return value
        if isinstance(value, ast.Dict):
            for key, inner in zip(value.keys, value.values, strict=True):
                if isinstance(key, ast.Constant) and key.value in scope_keys:
                    return inner
    return call


@check(VEC003, nodes=(ast.Call,))
def tenant_ignored(ctx, node: ast.Call) -> None:
    kind = _vector_call(node)
    if kind is None:
        return
    fn = _scope(ctx, _FUNCS)
    if fn is None:
        return
    args = fn.node.args
    params = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    unused = [p for p in params if p in agents().vector.tenant_names and p not in fn.loads]
    if not unused:
        return
    where = _scope_location(fn.node, node)
    verb = "searches" if kind == "search" else "writes to"
    ctx.report(
        VEC003,
        where,
        f"{node.func.attr}() {verb} the store without {unused[0]}, which this function receives "
        "and never uses: other tenants' documents are in reach",
    )


# -- VEC004 ---------------------------------------------------------------------------------


def _input_filter(node: ast.AST) -> bool:
    """``input_data.filters``, ``input_data["filters"]``, ``kwargs.get("filters")``."""
    k = agents().vector
    keys: list[str] = []
    while True:
        if isinstance(node, ast.Attribute):
            keys.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            keys.append(str(node.slice.value))
            node = node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" and node.args:
            first = node.args[0]
            keys.append(str(first.value) if isinstance(first, ast.Constant) else "")
            node = node.func.value
        else:
            break
    return isinstance(node, ast.Name) and node.id in k.input_names and bool(keys) and keys[0] in k.filter_attributes


def _configured_filter(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
        and node.attr in agents().vector.filter_attributes
    )


@check(VEC004, nodes=(ast.BoolOp,))
def filters_replaced(ctx, node: ast.BoolOp) -> None:
    if not isinstance(node.op, ast.Or) or len(node.values) < 2:
        return
    if _input_filter(node.values[0]) and any(_configured_filter(v) for v in node.values[1:]):
        ctx.report(VEC004, node, "filters from the input replace the configured filters instead of narrowing them")


@check(VEC004, nodes=(ast.Dict,))
def filters_overridden(ctx, node: ast.Dict) -> None:
    unpacked = [v for k, v in zip(node.keys, node.values, strict=True) if k is None]
    if len(unpacked) < 2:
        return
    for i, value in enumerate(unpacked):
        if _input_filter(value) and any(_configured_filter(v) for v in unpacked[:i]):
            ctx.report(VEC004, node, "filters from the input override the configured filter keys")
            return


# -- VEC005 ---------------------------------------------------------------------------------


@check(VEC005, calls=tuple(_K.files.calls))
def files_allowed_argument(ctx, node: ast.Call) -> None:
    k = agents().files
    kw = keyword(node, k.keyword)
    if kw is None or not (isinstance(kw.value, ast.Constant) and kw.value.value is True):
        return
    if any(keyword(node, c) is not None for c in k.controls):
        return
    short = (ctx.qualname(node.func) or "").rpartition(".")[2]
    ctx.report(VEC005, node, f"{short}({k.keyword}=True) accepts any user file with no type, size or storage restriction")


@check(VEC005, nodes=(ast.ClassDef,))
def files_allowed_default(ctx, node: ast.ClassDef) -> None:
    k = agents().files
    found = None
    controls = False
    for stmt in node.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            if stmt.target.id == k.keyword and isinstance(stmt.value, ast.Constant) and stmt.value.value is True:
                found = stmt
            elif stmt.target.id in k.controls:
                controls = True
    if found is not None and not controls:
        ctx.report(
            VEC005,
            found,
            f"{node.name} accepts user files by default ({k.keyword} = True); review who can send them and what they may be",
            evidence=("variant:default-on",),
        )
