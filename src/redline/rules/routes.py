"""Checklist area 5: HTTP routes without authentication, and credentials in query strings.

The routes of a module (FastAPI, Flask, Quart, Starlette, aiohttp, Sanic decorators and
Django / DRF views) are collected once per module from its top-level statements (and
one level of application factories); the other rules of this area and the production
rules ask :func:`web_facts` which functions are request handlers.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from redline.knowledge import web
from redline.rules import gates
from redline.rules.catalog import rule
from redline.rules.common import string_value, writing_mode
from redline.rules.registry import check

AUTH009 = rule("AUTH009")
AUTH010 = rule("AUTH010")


@dataclass
class Route:
    func: ast.FunctionDef | ast.AsyncFunctionDef
    decorator: ast.expr
    scope: tuple[str, ...]  # the function's own scope, as FileContext.scope sees its body
    owner: str | None
    path: str
    framework: str
    auth: str | None = None  # how it is authenticated, None when it is not
    by_hand: bool = False  # only by a credential parameter the handler checks itself


@dataclass
class WebFacts:
    routes: list[Route] = field(default_factory=list)
    handler_scopes: set[tuple[str, ...]] = field(default_factory=set)
    dependencies: set[str] = field(default_factory=set)  # names passed to Depends/Security
    authed_owners: set[str] = field(default_factory=set)
    app_wide: bool = False
    uses_fastapi: bool = False


def web_facts(ctx) -> WebFacts:
    """The routes of the module being walked (a fact of the context)."""
    return ctx.fact(_collect)


def in_handler(ctx) -> bool:
    """Whether the node being visited is inside a request handler."""
    facts = web_facts(ctx)
    if not facts.handler_scopes:
        return False
    scope = ctx.scope
    return any(scope[: len(s)] == s for s in facts.handler_scopes)


def _last(name: str | None) -> str:
    return (name or "").rpartition(".")[2]


def _callee(node: ast.AST) -> ast.AST:
    return node.func if isinstance(node, ast.Call) else node


def _plain_name(node: ast.AST) -> str:
    node = _callee(node)
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _has_word(name: str, words: frozenset[str]) -> bool:
    return any(w in words for w in web.words_of(name)) or name.lower() in words


def _depends_targets(ctx, node: ast.AST) -> list[str]:
    """Names given to Depends()/Security() anywhere inside ``node``."""
    found = []
    depends = web.auth().depends
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and (
            ctx.qualname(sub.func) in depends or _plain_name(sub.func) in ("Depends", "Security")
        ):
            target = sub.args[0] if sub.args else None
            if target is None:
                for kw in sub.keywords:
                    if kw.arg == "dependency":
                        target = kw.value
            name = _plain_name(target) if target is not None else ""
            found.append(name or "<dependency>")
    return found


def _collect(ctx) -> WebFacts:
    module = ctx.tree
    facts = WebFacts()
    facts.uses_fastapi = any(v.startswith("fastapi") for v in ctx.imports.aliases.values())
    routes_k, auth_k = web.routes(), web.auth()
    owners: dict[str, str] = {}
    pending: list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, tuple[str, ...]]] = []

    registered: list[tuple[str, str, ast.Call]] = []  # (handler name, path, registering call)
    included: list[tuple[str, str]] = []  # (app or router, router included into it)
    calls_k, methods_k = routes_k.map("registrations"), routes_k.map("router_methods")

    def note_registrations(stmt: ast.stmt) -> None:
        """Route("/x", handler), web.post("/x", handler), app.router.add_post("/x", handler)."""
        for sub in ast.walk(stmt):
            if not isinstance(sub, ast.Call) or not isinstance(sub.func, (ast.Name, ast.Attribute)):
                continue
            position = calls_k.get(ctx.qualname(sub.func) or "")
            if position is None and isinstance(sub.func, ast.Attribute):
                position = methods_k.get(sub.func.attr)
            if position is None or len(sub.args) <= position:
                continue
            handler = _plain_name(sub.args[position])
            path = string_value(sub.args[position - 1]) or ""
            if handler:
                registered.append((handler, path, sub))

    def visit(body: list[ast.stmt], scope: tuple[str, ...], depth: int) -> None:
        for stmt in body:
            if isinstance(stmt, (ast.Assign, ast.Expr)) and isinstance(stmt.value, (ast.Call, ast.List, ast.Tuple)):
                note_registrations(stmt)
            if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and isinstance(stmt.value, ast.Call):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                qual = ctx.qualname(stmt.value.func) or ""
                for t in targets:
                    if isinstance(t, ast.Name) and qual in routes_k.owners:
                        owners[t.id] = qual
                        if any(kw.arg == "dependencies" and _has_value(kw.value) for kw in stmt.value.keywords):
                            facts.authed_owners.add(t.id)
                if _adds_auth_middleware(stmt.value, auth_k):
                    facts.app_wide = True
                facts.dependencies.update(_depends_targets(ctx, stmt.value))
            elif isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Subscript):
                facts.dependencies.update(_depends_targets(ctx, stmt.value))  # Annotated aliases
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
                call = stmt.value
                name = _plain_name(call.func)
                if _adds_auth_middleware(call, auth_k):
                    facts.app_wide = True
                if name in ("include_router", "register_blueprint") and call.args and isinstance(call.args[0], ast.Name):
                    parent = _plain_name(call.func.value) if isinstance(call.func, ast.Attribute) else ""
                    included.append((parent, call.args[0].id))
                    if any(kw.arg == "dependencies" and _has_value(kw.value) for kw in call.keywords):
                        facts.authed_owners.add(call.args[0].id)
                    facts.dependencies.update(_depends_targets(ctx, call))
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                pending.append((stmt, scope))
                if depth == 0:  # application factories: create_app() registering routes
                    visit(stmt.body, (*scope, stmt.name), depth + 1)

    visit(module.body, (), 0)
    changed = True
    while changed:  # a router included into an authenticated app or router is authenticated
        changed = False
        for parent, child in included:
            if parent in facts.authed_owners and child not in facts.authed_owners:
                facts.authed_owners.add(child)
                changed = True
    for func, scope in pending:
        for dec in func.decorator_list:
            if _plain_name(dec) in auth_k.app_wide and _checks_credentials(ctx, func, auth_k):
                facts.app_wide = True
        route = _route_of(ctx, func, scope, owners, routes_k)
        if route is None:
            continue
        facts.dependencies.update(_depends_targets(ctx, func.args))
        facts.routes.append(route)
        facts.handler_scopes.add(route.scope)
    if registered:
        decorated = {id(r.func) for r in facts.routes}
        by_name = {func.name: (func, scope) for func, scope in pending}
        for handler, path, call in registered:
            found = by_name.get(handler)
            if found is None or id(found[0]) in decorated:
                continue
            func, scope = found
            decorated.add(id(func))
            qual = ctx.qualname(call.func) or ""
            framework = qual.partition(".")[0] if qual in calls_k else ""
            facts.routes.append(Route(func, call, (*scope, func.name), None, path, framework))
            facts.handler_scopes.add((*scope, func.name))
    for route in facts.routes:
        route.auth = _authentication(ctx, route, facts, auth_k)
        route.by_hand = bool(route.auth and route.auth.endswith("checked by hand"))
    return facts


def _has_value(node: ast.AST) -> bool:
    """``dependencies=[...]`` that is not empty (a list, or a variable built elsewhere)."""
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return bool(node.elts)
    return not (isinstance(node, ast.Constant) and node.value is None)


def _adds_auth_middleware(node: ast.AST, auth_k) -> bool:
    """``app.add_middleware(AuthMiddleware)``, ``Middleware(AuthenticationMiddleware, ...)``
    anywhere in ``node``."""
    for sub in ast.walk(node):
        if (
            isinstance(sub, ast.Call)
            and _plain_name(sub.func) in auth_k.middleware_calls
            and sub.args
            and any(w in auth_k.middleware_words for w in web.words_of(_plain_name(sub.args[0])))
        ):
            return True
    return False


def _checks_credentials(ctx, func, auth_k) -> bool:
    """A hook (before_request, an HTTP middleware) that looks at the caller's credentials:
    it reads an Authorization/API-key header or a credential, calls a known check, or
    answers 401/403."""
    for node in ast.walk(func):
        if isinstance(node, ast.Constant):
            text = str(node.value).lower()
            if text in auth_k.credential_headers or text in auth_k.denied_statuses:
                return True
        elif isinstance(node, (ast.Name, ast.Attribute)):
            name = _plain_name(node)
            if name in auth_k.body_checks or name.lower() in auth_k.credential_names:
                return True
            if any(w in ("unauthorized", "forbidden") for w in web.words_of(name)):
                return True
    return False


def _route_of(ctx, func, scope, owners, routes_k) -> Route | None:
    for dec in func.decorator_list:
        name = _plain_name(dec)
        if name in routes_k.django_views:
            return Route(func, dec, (*scope, func.name), None, "", "django")
        if not isinstance(dec, ast.Call) or not isinstance(dec.func, ast.Attribute):
            continue
        if dec.func.attr not in routes_k.methods:
            continue
        qual = ctx.qualname(dec.func) or ""
        owner_node = dec.func.value
        owner = owner_node.id if isinstance(owner_node, ast.Name) else None
        owner_class = qual.rpartition(".")[0]
        if owner_class not in routes_k.owners:
            if owner is None or (owner not in owners and owner not in routes_k.owner_names):
                continue
            if owner in owners:
                owner_class = owners[owner]
        path = string_value(dec.args[0]) if dec.args else None
        if path is None:
            for kw in dec.keywords:
                if kw.arg in ("path", "rule"):
                    path = string_value(kw.value)
        if path is None and dec.args:
            continue  # not a route registration (e.g. dict.get(key))
        framework = owner_class.partition(".")[0] if owner_class in routes_k.owners else ""
        return Route(func, dec, (*scope, func.name), owner, path or "", framework)
    return None


def _authentication(ctx, route: Route, facts: WebFacts, auth_k) -> str | None:
    func = route.func
    for dec in func.decorator_list:
        if _plain_name(dec) in auth_k.decorators:
            return f"@{_plain_name(dec)}"
        if isinstance(dec, ast.Call):
            for kw in dec.keywords:
                if kw.arg == "dependencies" and _depends_targets(ctx, kw.value):
                    return "route dependencies"
    if route.owner in facts.authed_owners:
        return f"dependencies of {route.owner}"
    if facts.app_wide:
        return "an app-wide authentication hook"
    args = func.args
    for a in (*args.posonlyargs, *args.args, *args.kwonlyargs):
        if a.annotation is not None:
            deps = _depends_targets(ctx, a.annotation)
            if any(_has_word(d, auth_k.dependency_words) for d in deps):
                return "an authentication dependency"
            ann = a.annotation.slice if isinstance(a.annotation, ast.Subscript) else a.annotation
            ann_name = _plain_name(ann)
            if ann_name and ann_name not in ("str", "int", "dict", "list") and _has_word(ann_name, auth_k.dependency_words):
                return f"a {ann_name} parameter"
        if a.arg in auth_k.credential_names:
            return f"the {a.arg} parameter checked by hand"
    for default in (*args.defaults, *(d for d in args.kw_defaults if d is not None)):
        if any(_has_word(d, auth_k.dependency_words) for d in _depends_targets(ctx, default)):
            return "an authentication dependency"
    for node in ast.walk(func):
        if isinstance(node, (ast.Attribute, ast.Name, ast.Call)) and _plain_name(node) in auth_k.body_checks:
            return "a check in the handler"
    return None


def _named(route: Route) -> str | None:
    """Sensitivity read from the route's path, its function's name or its method."""
    routes_k = web.routes()
    for text in (route.path, route.func.name):
        for w in web.words_of(text):
            if w in routes_k.sensitive_words:
                return f"'{w}' in {'its path' if text == route.path else 'its name'}"
    dec = route.decorator
    if isinstance(dec, ast.Call) and _plain_name(dec.func) in ("delete", "add_delete"):
        return "it is a DELETE route"
    return None


def _secret_holder(node: ast.AST) -> bool:
    return any(w in web.routes().secret_holders for w in web.words_of(_plain_name(node)))


def _reaches(ctx, route: Route) -> str | None:
    """What the handler reaches that makes the route sensitive: code or shell execution,
    queries, file writes and deletes, deletions, the application's secrets."""
    routes_k = web.routes()
    for node in ast.walk(route.func):
        if not isinstance(node, ast.Call):
            continue
        qual = ctx.qualname(node.func)
        if qual in routes_k.dangerous_calls:
            return f"it calls {qual}()"
        name = _plain_name(node.func)
        if isinstance(node.func, ast.Attribute) and name in routes_k.dangerous_methods:
            return f"it calls .{name}()"
        words = set(web.words_of(name))
        if words & routes_k.deleting_words:
            return f"it deletes ({name}())"
        if words & routes_k.running_words and words & routes_k.running_objects:
            return f"it runs {name}()"
        if qual == "open" and writing_mode(node, 1):
            return "it writes files"
        if isinstance(node.func, ast.Attribute) and name in routes_k.dump_methods and _secret_holder(node.func.value):
            return f"it returns {ast.unparse(node.func.value)}.{name}()"
    return None


def _public(route: Route) -> bool:
    """Routes public by design: the login flow, health checks."""
    return any(w in web.routes().public_words for w in web.words_of(route.path))


@check(AUTH009, AUTH010, nodes=(ast.Module,))
def routes_without_auth(ctx, node: ast.Module) -> None:
    facts = web_facts(ctx)
    if not facts.routes:
        return
    others_authed = any(r.auth for r in facts.routes)
    for route in facts.routes:
        with ctx.at(route.func, route.scope[:-1]):
            _route_without_auth(ctx, route, facts, others_authed)


def _route_without_auth(ctx, route: Route, facts: WebFacts, others_authed: bool) -> None:
    _query_credentials(ctx, route, facts)
    if route.auth is not None or _public(route):
        return
    where = route.path or route.func.name
    reached = _reaches(ctx, route)
    if others_authed:
        # the other routes of this module are authenticated: an omission
        why = reached or _named(route)
        if why is None:
            return
        evidence = ("variant:inconsistent",) if reached else ()
        ctx.report(
            AUTH009, route.decorator, f"route {where} has no authentication ({why}) while other routes here require it",
            evidence=evidence,
        )
    # No route here is authenticated: authentication may live elsewhere (a gateway,
    # the app a router is included into, another module's middleware); the injection
    # a handler allows is the taint rules' finding.


def _is_credential(name: str) -> bool:
    auth_k = web.auth()
    if name.lower() in auth_k.protocol_tokens:
        return False  # a webhook handshake parameter the protocol requires
    if name.lower() in auth_k.credential_names:
        return True
    words = web.words_of(name)
    return bool(words) and words[-1] in ("token", "apikey", "password", "secret", "jwt")


def _query_credentials(ctx, route: Route, facts: WebFacts) -> None:
    """FastAPI parameters named like credentials that are query parameters, on routes
    that they authenticate (on a route with an auth dependency they are filters)."""
    if route.framework != "fastapi" and not (route.framework == "" and facts.uses_fastapi):
        return
    if route.auth is not None and not route.by_hand:
        return
    auth_k = web.auth()
    args = route.func.args
    positional = [*args.posonlyargs, *args.args]
    defaults: dict[str, ast.expr | None] = {a.arg: None for a in (*positional, *args.kwonlyargs)}
    for a, d in zip(positional[len(positional) - len(args.defaults):], args.defaults, strict=True):
        defaults[a.arg] = d
    for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        defaults[a.arg] = d
    for a in (*positional, *args.kwonlyargs):
        if not _is_credential(a.arg) or "{" + a.arg + "}" in route.path:
            continue
        if _alias(defaults[a.arg]) in auth_k.protocol_tokens or _signed_capability(route.func, {a.arg}):
            continue
        marker = _marker(ctx, defaults[a.arg]) or _marker(ctx, a.annotation)
        if marker in auth_k.query_markers or (marker is None and _is_plain_str(a.annotation)):
            ctx.report(AUTH010, a, f"credential {a.arg!r} is a query parameter of route {route.path or route.func.name}")


def _alias(node: ast.AST | None) -> str:
    """``Query(alias="hub.verify_token")``: the name the client sends."""
    if isinstance(node, ast.Call):
        for kw in node.keywords:
            if kw.arg == "alias" and isinstance(kw.value, ast.Constant):
                return str(kw.value.value).lower()
    return ""


def _signed_capability(func: ast.AST, names: set[str]) -> bool:
    """The handler verifies the token as a signed, resource-bound capability (a presigned
    download link): it passes it to ``verify_download_token(...)``, ``signer.unsign(...)``,
    ``verify_signature(...)``. A short-lived link, not a credential the client chose
    to put in the URL."""
    auth_k = web.auth()
    derived = set(names)
    for sub in ast.walk(func):
        if isinstance(sub, ast.Assign) and any(isinstance(n, ast.Name) and n.id in derived for n in ast.walk(sub.value)):
            derived.update(n.id for t in sub.targets for n in ast.walk(t) if isinstance(n, ast.Name))
    for sub in ast.walk(func):
        if not isinstance(sub, ast.Call):
            continue
        words = set(web.words_of(_plain_name(sub.func)))
        if not (words & auth_k.verifying_words and words & auth_k.signed_token_words) and not (
            words & {"unsign", "loads"} and isinstance(sub.func, ast.Attribute) and "max_age" in {k.arg for k in sub.keywords}
        ):
            continue
        values = [*sub.args, *(k.value for k in sub.keywords)]
        if any(isinstance(n, ast.Name) and n.id in derived for v in values for n in ast.walk(v)):
            return True
    return False


def _marker(ctx, node: ast.AST | None) -> str | None:
    """Query/Header/Depends... given as the default or inside Annotated[...]."""
    if node is None:
        return None
    if isinstance(node, ast.Subscript) and _plain_name(node.value) == "Annotated":
        elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        for e in elts[1:]:
            found = _marker(ctx, e)
            if found:
                return found
        return None
    if isinstance(node, ast.Call):
        qual = ctx.qualname(node.func) or ""
        auth_k = web.auth()
        if qual in auth_k.query_markers or qual in auth_k.other_markers:
            return qual
        name = _plain_name(node.func)
        for marker in (*auth_k.query_markers, *auth_k.other_markers):
            if _last(marker) == name:
                return marker
    return None


def _is_plain_str(node: ast.AST | None) -> bool:
    if node is None:
        return True
    text = ast.unparse(node).replace(" ", "")
    return text in ("str", "Optional[str]", "str|None", "None|str", "typing.Optional[str]")


_QUERY_ATTRS = frozenset({"args", "query_params", "GET", "query"})


def _is_query_object(ctx, node: ast.AST) -> bool:
    """``request.args``, ``request.query_params``, ``request.GET``, ``request.query``,
    ``request.rel_url.query``."""
    if not isinstance(node, ast.Attribute):
        return False
    accessors = web.auth().query_accessors
    if node.attr not in _QUERY_ATTRS:
        return False
    base = node.value
    if isinstance(base, ast.Attribute) and base.attr == "rel_url":
        base = base.value
    qual = ctx.qualname(node) or ""
    if qual in ("flask.request.args", "quart.request.args"):
        return True
    return node.attr in accessors and _plain_name(base) in ("request", "req")


@check(AUTH010, nodes=(ast.Subscript,))
def query_subscript(ctx, node: ast.Subscript) -> None:
    value = node.value
    if not isinstance(value, ast.Attribute) or value.attr not in _QUERY_ATTRS or not isinstance(node.ctx, ast.Load):
        return
    key = string_value(node.slice)
    if key and _is_credential(key) and _is_query_object(ctx, node.value) and not _read_and_signed(ctx, node):
        ctx.report(AUTH010, node, f"credential {key!r} read from the query string")


@check(AUTH010, nodes=(ast.Call,))
def query_get(ctx, node: ast.Call) -> None:
    func = node.func
    if not isinstance(func, ast.Attribute) or func.attr not in ("get", "getlist", "getone") or not node.args:
        return
    if not isinstance(func.value, ast.Attribute) or func.value.attr not in _QUERY_ATTRS:
        return
    key = string_value(node.args[0])
    if key and _is_credential(key) and _is_query_object(ctx, func.value) and not _read_and_signed(ctx, node):
        ctx.report(AUTH010, node, f"credential {key!r} read from the query string")


def _read_and_signed(ctx, node: ast.AST) -> bool:
    """``token = request.args["token"]`` verified in the same function as a signed link."""
    stmt = ctx.stmt
    if not (isinstance(stmt, ast.Assign) and stmt.value is node):
        return False
    names = {n.id for t in stmt.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    fn = gates.facts(ctx).enclosing(stmt)
    return fn is not None and not isinstance(fn, ast.ClassDef) and _signed_capability(fn, names)
