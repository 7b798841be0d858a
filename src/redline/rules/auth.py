"""Checklist area 5: authentication and TLS."""

from __future__ import annotations

import ast

from redline.knowledge import web
from redline.rules import gates
from redline.rules.catalog import rule
from redline.rules.common import is_false, keyword
from redline.rules.registry import check
from redline.rules.routes import web_facts

AUTH001 = rule("AUTH001")

def _report_tls(ctx, node: ast.AST, message: str) -> None:
    """Off unconditionally: a configuration dangerous whatever the data; off only under
    a flag or setting that defaults to verifying: a LOW review item."""
    tag = gates.gate(ctx, node)
    if tag is not None:
        ctx.report(AUTH001, node, f"{message}, only when a flag or setting asks for it", evidence=(tag,))
    else:
        ctx.report(AUTH001, node, message, evidence=("config",))


# Keyword arguments that switch verification off when set to False, with the
# library families they belong to (None: any call).
_OFF_KEYWORDS = {"verify": None, "verify_certs": None, "verify_ssl": None, "ssl": "aiohttp."}
# Callees whose ``verify`` keyword means something else.
_NOT_TLS = ("jwt.", "jose.", "itsdangerous.")


@check(AUTH001, nodes=(ast.Call,))
def verify_keyword(ctx, node: ast.Call) -> None:
    for kw in node.keywords:
        if kw.arg not in _OFF_KEYWORDS or not is_false(kw.value):
            continue
        name = ctx.qualname(node.func) or ""
        family = _OFF_KEYWORDS[kw.arg]
        if family is not None and not name.startswith(family):
            continue
        if name.startswith(_NOT_TLS):
            continue
        shown = name or "this call"
        _report_tls(ctx, node, f"{kw.arg}=False disables certificate verification in {shown}")


@check(AUTH001, nodes=(ast.Attribute,))
def ssl_constants(ctx, node: ast.Attribute) -> None:
    if node.attr not in ("CERT_NONE", "_create_unverified_context"):
        return
    name = ctx.qualname(node)
    if name == "ssl.CERT_NONE":
        if _compared_or_mapped(ctx.stmt, node):
            return  # `mode != ssl.CERT_NONE`, {ssl.CERT_NONE: VERIFY_NONE}: read, not set
        _report_tls(ctx, node, "ssl.CERT_NONE accepts any certificate")
    elif name == "ssl._create_unverified_context":
        _report_tls(ctx, node, "ssl._create_unverified_context() skips certificate checks")


@check(AUTH001, nodes=(ast.Assign,))
def verification_attributes(ctx, node: ast.Assign) -> None:
    if not is_false(node.value):
        return
    for target in node.targets:
        if isinstance(target, ast.Attribute) and target.attr in ("verify", "check_hostname"):
            if ctx.scope[-1:] == ("__init__",) and isinstance(target.value, ast.Name) and target.value.id == "self":
                continue  # a context class giving its own attribute its initial value
            _report_tls(ctx, node, f"setting .{target.attr} = False disables TLS checks")


def _compared_or_mapped(stmt: ast.AST | None, node: ast.AST) -> bool:
    """Whether ``node`` is an operand of a comparison or a key of a dict literal in ``stmt``."""
    if stmt is None:
        return False
    for parent in ast.walk(stmt):
        if isinstance(parent, ast.Compare) and (parent.left is node or any(c is node for c in parent.comparators)):
            return True
        if isinstance(parent, ast.Dict) and any(k is node for k in parent.keys):
            return True
    return False

AUTH002 = rule("AUTH002")
AUTH011 = rule("AUTH011")


def _options_disable_signature(node: ast.AST) -> bool:
    if not isinstance(node, ast.Dict):
        return False
    for key, value in zip(node.keys, node.values, strict=True):
        if isinstance(key, ast.Constant) and key.value == "verify_signature" and is_false(value):
            return True
    return False


def _admits_none(node: ast.AST) -> bool:
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return any(isinstance(e, ast.Constant) and str(e.value).lower() == "none" for e in node.elts)
    return isinstance(node, ast.Constant) and str(node.value).lower() == "none"


def _obtained_here(ctx, token: ast.AST | None) -> bool:
    """The token was just obtained by this code from its own credential or token
    endpoint (``token = credential.get_token(scope).token``): decoding it without
    verification reads its claims, it authenticates nobody."""
    if not isinstance(token, ast.Name):
        return False
    fn = gates.facts(ctx).enclosing(token)
    if fn is None or isinstance(fn, ast.ClassDef):
        return False
    for sub in ast.walk(fn):
        if not (isinstance(sub, ast.Assign) and any(isinstance(t, ast.Name) and t.id == token.id for t in sub.targets)):
            continue
        value = sub.value
        while isinstance(value, (ast.Attribute, ast.Subscript)):
            value = value.value
        if not isinstance(value, ast.Call):
            return False
        called = value.func.attr if isinstance(value.func, ast.Attribute) else getattr(value.func, "id", "")
        return bool(set(web.words_of(called)) & web.auth().token_issuing_words) and "token" in web.words_of(called)
    return False


@check(AUTH011, calls=tuple(web.section("jwt").decoders))
def jwt_unverified(ctx, node: ast.Call) -> None:
    name = ctx.qualname(node.func)
    if _obtained_here(ctx, node.args[0] if node.args else None):
        return
    for kw in node.keywords:
        if kw.arg == "options" and _options_disable_signature(kw.value):
            ctx.report(AUTH011, node, f"{name}() with verify_signature=False accepts forged tokens")
            return
        if kw.arg == "verify" and is_false(kw.value) and keyword(node, "algorithms") is None:
            # PyJWT 1.x; with algorithms= the call is PyJWT 2.x style, where verify is ignored
            ctx.report(AUTH011, node, f"{name}(verify=False) accepts forged tokens")
            return
        if kw.arg == "algorithms" and _admits_none(kw.value):
            ctx.report(AUTH011, node, f"{name}() accepts the 'none' algorithm (unsigned tokens)")
            return
    if any(kw.arg in ("algorithms", None) for kw in node.keywords) or len(node.args) >= 3:
        return
    ctx.report(
        AUTH011,
        node,
        f"{name}() without algorithms=[...] lets the token header choose the algorithm",
        evidence=("variant:algorithm-unpinned",),
    )


AUTH012 = rule("AUTH012")


def _credential_params(ctx, func: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    auth_k = web.auth()
    names = set()
    args = func.args
    for a in (*args.posonlyargs, *args.args, *args.kwonlyargs):
        ann = ast.unparse(a.annotation) if a.annotation is not None else ""
        if a.arg.lower() in auth_k.credential_names or "Credentials" in ann or "Bearer" in ann:
            names.add(a.arg)
    return names


def _takes_request_credentials(ctx, func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A parameter filled by the framework: ``= Header(...)``, ``= Security(...)``, ``= Depends(...)``."""
    markers = web.auth().other_markers
    defaults = [*func.args.defaults, *(d for d in func.args.kw_defaults if d is not None)]
    return any(isinstance(d, ast.Call) and ctx.qualname(d.func) in markers for d in defaults)


def _mentions(node: ast.AST, names: set[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node))


def _verifies(func: ast.FunctionDef | ast.AsyncFunctionDef, derived: set[str]) -> bool:
    auth_k = web.auth()
    for node in ast.walk(func):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(_mentions(s, derived) for s in sides) and any(
                not _mentions(s, derived) and not isinstance(s, ast.Constant) for s in sides
            ):
                return True
        elif isinstance(node, ast.Call):
            func = node.func
            fname = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if fname in auth_k.not_verifying:
                continue
            if isinstance(func, ast.Attribute) and fname in auth_k.parsing_methods and _mentions(func.value, derived):
                continue  # token.split(" "): parsing, not checking
            if any(_mentions(a, derived) for a in (*node.args, *(k.value for k in node.keywords))):
                return True
        elif isinstance(node, (ast.Subscript,)) and _mentions(node.slice, derived):
            return True  # TOKENS[token]: a lookup
    return False


@check(AUTH012, nodes=(ast.Module,))
def bearer_not_verified(ctx, node: ast.Module) -> None:
    facts = web_facts(ctx)
    for stmt in node.body:
        if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if stmt.name not in facts.dependencies and not _takes_request_credentials(ctx, stmt):
            continue
        if stmt.decorator_list:
            continue  # routes and registered callbacks
        derived = _credential_params(ctx, stmt)
        if not derived:
            continue
        changed = True
        while changed:
            changed = False
            for sub in ast.walk(stmt):
                if isinstance(sub, ast.Assign) and _mentions(sub.value, derived):
                    for t in sub.targets:
                        for n in ast.walk(t):
                            if isinstance(n, ast.Name) and n.id not in derived:
                                derived.add(n.id)
                                changed = True
        returns = [r for r in ast.walk(stmt) if isinstance(r, ast.Return) and r.value is not None]
        if not any(_mentions(r.value, derived) for r in returns):
            continue
        if _verifies(stmt, derived):
            continue
        ctx.report(AUTH012, stmt, f"{stmt.name}() returns the bearer credential without verifying it", stmt=stmt)
