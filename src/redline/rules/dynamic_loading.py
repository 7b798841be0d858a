"""Checklist area 4: classes and objects resolved from names in data (workflow YAML
``type:`` strings, JSON configs, request fields) and documents whose loader expands
environment variables.

The importers, resolvers, registries and interpolating loaders are data
(``knowledge/sandbox.toml``). A proven flow from an untrusted source into an importer
is the taint rule EXEC002, which replaces SER004 on the same line.
"""

from __future__ import annotations

import ast

from redline.knowledge.sandbox import sandbox
from redline.rules import gates
from redline.rules.catalog import rule
from redline.rules.common import argument, is_literal, keyword, own_nodes
from redline.rules.registry import check

_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)

SER004 = rule("SER004")
SER005 = rule("SER005")

def _function(ctx) -> ast.AST | None:
    return ctx.function


def _constant_package(node: ast.AST) -> bool:
    """``f"app.nodes.{kind}"`` or ``"app.nodes." + kind``: confined to one package."""
    if isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        return isinstance(first, ast.Constant) and "." in str(first.value)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return isinstance(node.left, ast.Constant) and "." in str(node.left.value)
    return False


def _names(node: ast.AST | None) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} if node is not None else set()


def _restricted(ctx, fn: ast.AST, names: set[str]) -> bool:
    """An allowlist test, prefix check or issubclass check in the function."""
    checks = sandbox().type_checks
    for sub in own_nodes(fn):
        if isinstance(sub, ast.Call):
            func = sub.func
            if isinstance(func, ast.Name) and func.id in checks:
                return True
            if isinstance(func, ast.Attribute) and func.attr == "startswith" and _names(func.value) & names:
                return True
        elif (
            isinstance(sub, ast.Compare)
            and any(isinstance(op, (ast.In, ast.NotIn)) for op in sub.ops)
            and _names(sub.left) & names
        ):
            return True
    return False


def _origin_names(fn: ast.AST, names: set[str]) -> set[str]:
    """The names a resolved name was split from (``mod, _, cls = path.rpartition(".")``)."""
    found = set(names)
    for sub in own_nodes(fn):
        if isinstance(sub, ast.Assign) and _names(ast.Tuple(elts=sub.targets, ctx=ast.Load())) & found:
            found |= _names(sub.value)
    return found


def _document_field(node: ast.AST) -> bool:
    """``spec["type"]`` or ``item.get("type")``: a field read out of a document."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Subscript) and isinstance(sub.slice, ast.Constant) and isinstance(sub.slice.value, str):
            return True
        if (
            isinstance(sub, ast.Call)
            and isinstance(sub.func, ast.Attribute)
            and sub.func.attr == "get"
            and sub.args
            and isinstance(sub.args[0], ast.Constant)
        ):
            return True
    return False


def _from_document(fn: ast.AST | None, target: ast.AST, names: set[str]) -> bool:
    """Evidence that the resolved name comes from a document: a field lookup, or a
    parameter named for a type (``node_type``, ``type_path``)."""
    if _document_field(target):
        return True
    if fn is None:
        return False
    words = _KB.type_words
    args = fn.args
    for a in (*args.posonlyargs, *args.args, *args.kwonlyargs):
        if a.arg in names and any(w in a.arg.lower() for w in words):
            return True
    return any(
        isinstance(sub, ast.Assign)
        and _names(ast.Tuple(elts=sub.targets, ctx=ast.Load())) & names
        and _document_field(sub.value)
        for sub in own_nodes(fn)
    )


def _report(ctx, node: ast.AST, message: str, evidence: bool, gated: str | None = None) -> None:
    tag = gated or gates.gate(ctx, node, tuple(node.args) if isinstance(node, ast.Call) else ())
    tags: tuple[str, ...] = ("unknown-data",) if tag is None else (tag,)
    if evidence:
        ctx.report(SER004, node, message, evidence=tags)
    else:
        ctx.report(SER004, node, message + "; review where the name comes from", evidence=(*tags, "variant:origin-unknown"))


def _constant_map(m, fn, node: ast.AST | None) -> bool:
    """``MAP[key]`` / ``MAP.get(key[, default])`` where MAP is a module- or class-level dict
    literal of constants: the value is one of the map's (an allowlist by construction)."""
    if isinstance(node, ast.Subscript):
        container, default = node.value, None
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" and node.args:
        container, default = node.func.value, node.args[1] if len(node.args) > 1 else None
    else:
        return False
    if default is not None and not (is_literal(default) or _constant_map(m, fn, default)):
        return False
    value = None
    if isinstance(container, ast.Name):
        value = m.assigned.get(container.id)
    elif isinstance(container, ast.Attribute) and isinstance(container.value, ast.Name):
        owner = container.value.id
        cls = m.class_of(fn) if owner in ("self", "cls") else m.classes.get(owner)
        for stmt in cls.body if cls is not None else ():
            target = stmt.targets[0] if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 else getattr(stmt, "target", None)
            if isinstance(target, ast.Name) and target.id == container.attr:
                value = getattr(stmt, "value", None)
    return isinstance(value, ast.Dict) and all(is_literal(v) for v in value.values)


def _call_sites(ctx, fn: ast.AST | None, names: set[str]) -> str | None:
    """``"allowed"`` when the resolved name is a parameter of ``fn`` and every call of
    ``fn`` in this module passes a checked value (a literal, a constant-mapping lookup, a
    name the caller checks against an allowlist); the gate's evidence tag when some of
    them instead run only under an opt-in flag; None otherwise."""
    m = gates.facts(ctx)
    if not isinstance(fn, _FUNCS):
        return None
    params = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args)]
    method = bool(params) and params[0] in ("self", "cls")
    wanted = [p for p in (*params, *(a.arg for a in fn.args.kwonlyargs)) if p in names]
    if not wanted:
        return None
    sites = [
        c
        for c in ast.walk(m.tree)
        if isinstance(c, ast.Call)
        and ((isinstance(c.func, ast.Name) and c.func.id == fn.name) or (isinstance(c.func, ast.Attribute) and c.func.attr == fn.name))
    ]
    if not sites:
        return None
    gated = None
    for call in sites:
        caller = m.enclosing(call, _FUNCS)
        for p in wanted:
            at = params.index(p) - (1 if method and isinstance(call.func, ast.Attribute) else 0) if p in params else -1
            arg = argument(call, at, p) if at >= 0 else next((k.value for k in call.keywords if k.arg == p), None)
            if arg is None or is_literal(arg) or _constant_map(m, caller, arg):
                continue
            if caller is not None and _checked_value(ctx, m, caller, arg):
                continue
            tag = gates.gate(ctx, call, (arg,))
            if tag is None:
                return None
            gated = tag
    return gated or "allowed"


def _checked_value(ctx, m, caller, arg: ast.AST) -> bool:
    arg_names = _names(arg)
    if not arg_names:
        return False
    if _restricted(ctx, caller, _origin_names(caller, arg_names)):
        return True
    for sub in own_nodes(caller):  # class_type = cls.PROVIDERS.get(name)
        if (
            isinstance(sub, ast.Assign)
            and len(sub.targets) == 1
            and isinstance(sub.targets[0], ast.Name)
            and sub.targets[0].id in arg_names
            and _constant_map(m, caller, sub.value)
        ):
            return True
    return False


@check(SER004, calls=("importlib.import_module", "__import__", "importlib.__import__"))
def import_then_getattr(ctx, node: ast.Call) -> None:
    name = argument(node, 0, "name")
    if name is None or is_literal(name) or _constant_package(name):
        return
    fn = _function(ctx)
    if fn is None:
        return
    stmt = ctx.stmt
    module_var = None
    if (
        isinstance(stmt, ast.Assign)
        and stmt.value is node
        and len(stmt.targets) == 1
        and isinstance(stmt.targets[0], ast.Name)
    ):
        module_var = stmt.targets[0].id
    attr = None
    for sub in own_nodes(fn):
        if (
            isinstance(sub, ast.Call)
            and isinstance(sub.func, ast.Name)
            and sub.func.id == "getattr"
            and len(sub.args) >= 2
            and not is_literal(sub.args[1])
            and (sub.args[0] is node or (isinstance(sub.args[0], ast.Name) and sub.args[0].id == module_var))
        ):
            attr = sub.args[1]
            break
    if attr is None:
        return
    names = _origin_names(fn, _names(name) | _names(attr))
    sites = _call_sites(ctx, fn, names)
    if _restricted(ctx, fn, names) or sites == "allowed":
        return
    _report(
        ctx,
        node,
        f"{ctx.qualname(node.func)}() and getattr() resolve a class from a name that is not "
        "constant, with no allowlist or issubclass check",
        _from_document(fn, name, _origin_names(fn, _names(name))) or _from_document(None, attr, set()),
        sites,
    )


def _resolver(ctx, node: ast.Call, what: str, always: bool = False) -> None:
    func = node.func
    spelled = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    qual = ctx.qualname(func) or ""
    if spelled != qual.rpartition(".")[2]:
        return  # cls = NodeManager.get_node_by_type(t); cls(...) calls the result
    if ctx.imports.module and qual.startswith(ctx.imports.module + "."):
        return  # the resolver's own module: its body is what gets reviewed
    target = node.args[0] if node.args and not isinstance(node.args[0], ast.Starred) else None
    if target is None and node.keywords:
        target = node.keywords[0].value
    if target is None or is_literal(target):
        return
    fn = _function(ctx)
    names = _origin_names(fn, _names(target)) if fn is not None else _names(target)
    sites = _call_sites(ctx, fn, names)
    if fn is not None and (_restricted(ctx, fn, names) or sites == "allowed"):
        return
    message = f"{ctx.qualname(node.func)}() {what}, with no allowlist or issubclass check"
    _report(ctx, node, message, always or _from_document(fn, target, names), sites)


_KB = sandbox()


@check(SER004, calls=tuple(sorted(_KB.resolvers)))
def resolver_call(ctx, node: ast.Call) -> None:
    _resolver(ctx, node, "resolves a class or object from data")


@check(SER004, calls=tuple(sorted(_KB.registries)))
def registry_call(ctx, node: ast.Call) -> None:
    _resolver(ctx, node, "resolves any dotted type string to a class", always=True)


@check(SER004, calls=("globals.get", "locals.get"))
def namespace_get(ctx, node: ast.Call) -> None:
    _resolver(ctx, node, "looks an object up by a name from data")


@check(SER004, nodes=(ast.Subscript,))
def namespace_item(ctx, node: ast.Subscript) -> None:
    value = node.value
    if (
        isinstance(node.ctx, ast.Load)
        and isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id in ("globals", "locals")
        and not value.args
        and not is_literal(node.slice)
    ):
        fn = _function(ctx)
        if fn is None:
            return  # module-level code: names from the module itself
        names = _origin_names(fn, _names(node.slice))
        if _restricted(ctx, fn, names):
            return
        message = f"{value.func.id}()[...] looks an object up by a name from data, with no allowlist"
        _report(ctx, node, message, _from_document(fn, node.slice, names))


@check(SER005, calls=tuple(sorted(_KB.interpolation)))
def env_interpolation(ctx, node: ast.Call) -> None:
    name = ctx.qualname(node.func)
    required = _KB.resolve_keyword.get(name)
    if required is not None:
        kw = keyword(node, required)
        if kw is None or not (isinstance(kw.value, ast.Constant) and kw.value.value is True):
            return
    first = argument(node, 0, "path")
    if first is None or is_literal(first):
        return
    if "expandvars" in name:
        fn = _function(ctx)
        if fn is None or not any(
            isinstance(sub, ast.Call) and ctx.qualname(sub.func) in _KB.parsers for sub in own_nodes(fn)
        ):
            return
    ctx.report(SER005, node, f"{name}() resolves environment interpolations in a loaded document")


# -- SER004: getattr on an imported module ------------------------------------------------


def _called(fn: ast.AST, node: ast.Call, stmt: ast.AST | None) -> bool:
    """The object getattr returned is called (instantiated) in the same function."""
    var = None
    if isinstance(stmt, ast.Assign) and stmt.value is node and len(stmt.targets) == 1:
        target = stmt.targets[0]
        var = target.id if isinstance(target, ast.Name) else None
    for sub in own_nodes(fn):
        if isinstance(sub, ast.Call) and (sub.func is node or (var and isinstance(sub.func, ast.Name) and sub.func.id == var)):
            return True
    return False


@check(SER004, calls=("getattr",))
def module_getattr(ctx, node: ast.Call) -> None:
    """``getattr(nodes, spec["type"])(**spec["params"])``: any attribute of an imported
    module, chosen by a document field, called."""
    if len(node.args) < 2 or not isinstance(node.args[0], ast.Name) or is_literal(node.args[1]):
        return
    if node.args[0].id not in ctx.imports.aliases:
        return
    fn = _function(ctx)
    if fn is None:
        return
    names = _origin_names(fn, _names(node.args[1]))
    if not _from_document(fn, node.args[1], names) or _restricted(ctx, fn, names):
        return
    sites = _call_sites(ctx, fn, names)
    if sites == "allowed":
        return
    if _called(fn, node, ctx.stmt):
        _report(
            ctx,
            node,
            f"getattr({node.args[0].id}, ...) picks a module attribute named by document data and calls it, "
            "with no allowlist or issubclass check",
            True,
            sites,
        )


# -- SER005: home-made ${VAR} resolvers ------------------------------------------------------


def _match_group(node: ast.AST | None) -> bool:
    """``m.group(1)``, ``match.group("name")``: text captured from a document."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("group", "groups", "groupdict")
    )


@check(SER005, calls=("os.getenv", "os.environ.get"))
def env_from_match(ctx, node: ast.Call) -> None:
    if node.args and _match_group(node.args[0]):
        ctx.report(SER005, node, "environment variable named by text matched in a document (${VAR} interpolation)")


@check(SER005, nodes=(ast.Subscript,))
def env_item_from_match(ctx, node: ast.Subscript) -> None:
    if _match_group(node.slice) and ctx.qualname(node.value) == "os.environ":
        ctx.report(SER005, node, "environment variable named by text matched in a document (${VAR} interpolation)")


_SUBSTITUTE = frozenset({"substitute", "safe_substitute", "format_map", "format"})


@check(SER005, nodes=(ast.Call,))
def env_substitution(ctx, node: ast.Call) -> None:
    """``Template(text).substitute(os.environ)``, ``text.format_map(os.environ)``,
    ``text.format(**os.environ)``: every variable of the environment offered to the text."""
    func = node.func
    if not isinstance(func, ast.Attribute) or func.attr not in _SUBSTITUTE:
        return
    values = [*node.args, *(kw.value for kw in node.keywords if kw.arg is None)]
    if not any(ctx.qualname(v) == "os.environ" for v in values if isinstance(v, (ast.Attribute, ast.Name))):
        return
    text = func.value
    if isinstance(text, ast.Call) and ctx.qualname(text.func) == "string.Template":
        text = argument(text, 0, "template")
    if text is None or is_literal(text):
        return
    ctx.report(SER005, node, f".{func.attr}() fills a text that is not a constant with the whole environment")
