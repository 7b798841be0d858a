"""Checklist area 9: network security."""

from __future__ import annotations

import ast

from redline.knowledge import web
from redline.rules.catalog import rule
from redline.rules.common import has_star_kwargs, is_const, keyword, last_name, string_value
from redline.rules.registry import check
from redline.text.urls import remote_plain_http, url_name

NET001 = rule("NET001")

_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")
_REQUESTS = tuple(f"requests.{v}" for v in _VERBS) + tuple(
    f"{cls}.{v}"
    for cls in ("requests.Session", "requests.session", "requests.sessions.Session")
    for v in _VERBS
)
_HTTPX = tuple(f"httpx.{v}" for v in (*_VERBS, "stream")) + tuple(
    f"{cls}.{v}" for cls in ("httpx.Client", "httpx.AsyncClient") for v in (*_VERBS, "stream")
) + ("httpx.Client", "httpx.AsyncClient")


@check(NET001, calls=_REQUESTS + ("urllib.request.urlopen",))
def missing_timeout(ctx, node: ast.Call) -> None:
    name = ctx.qualname(node.func)
    timeout = keyword(node, "timeout")
    if timeout is None:
        if has_star_kwargs(node):
            return
        if name == "urllib.request.urlopen" and len(node.args) >= 3:
            return  # urlopen(url, data, timeout)
        ctx.report(NET001, node, f"{name}() has no timeout and can hang forever")
    elif is_const(timeout.value, None):
        ctx.report(NET001, node, f"{name}(timeout=None) can hang forever")


@check(NET001, calls=_HTTPX)
def httpx_timeout_none(ctx, node: ast.Call) -> None:
    timeout = keyword(node, "timeout")
    if timeout is not None and is_const(timeout.value, None):
        name = ctx.qualname(node.func)
        ctx.report(NET001, node, f"{name}(timeout=None) removes httpx's default timeout")

NET002 = rule("NET002")
NET003 = rule("NET003")


# ---------------------------------------------------------------------------
# NET001, continued: sockets, mail and other clients that wait forever by default


_TIMEOUT_CALLS = web.section("timeouts").map("calls")


@check(NET001, calls=tuple(_TIMEOUT_CALLS))
def blocking_client(ctx, node: ast.Call) -> None:
    if keyword(node, "timeout") is not None or has_star_kwargs(node):
        return
    name = ctx.qualname(node.func) or ""
    position = _TIMEOUT_CALLS.get(name, -1)
    if position >= 0 and len(node.args) > position:
        if is_const(node.args[position], None):
            ctx.report(NET001, node, f"{name}(..., None) waits forever")
        return
    if not node.args and keyword(node, "host") is None and keyword(node, "address") is None:
        return  # nothing is connected here (connect() is called later)
    ctx.report(NET001, node, f"{name}() has no timeout and blocks forever on a silent peer")


@check(NET001, calls=tuple(web.section("timeouts").aiohttp_sessions) + ("aiohttp.ClientTimeout",))
def aiohttp_timeout(ctx, node: ast.Call) -> None:
    name = ctx.qualname(node.func) or ""
    if name == "aiohttp.ClientTimeout":
        limits = [kw for kw in node.keywords if kw.arg in ("total", "sock_read", "sock_connect", "connect")]
        if node.args or has_star_kwargs(node):
            return
        if limits and all(is_const(kw.value, None) for kw in limits):
            ctx.report(NET001, node, "aiohttp.ClientTimeout with every limit None never times out")
        return
    timeout = keyword(node, "timeout")
    if timeout is not None and is_const(timeout.value, None):
        ctx.report(NET001, node, f"{name}(timeout=None) never times out")


# ---------------------------------------------------------------------------
# NET004: plain HTTP

NET004 = rule("NET004")


def _http_literal(node: ast.AST | None) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value[:7].lower() == "http://"
    )


def _plain_http(node: ast.AST | None) -> tuple[str, str] | None:
    value = string_value(node)
    if value is None or value[:7].lower() != "http://":
        return None
    host = remote_plain_http(value)
    return (value, host) if host else None


def _report_url(ctx, node: ast.AST, what: str, found: tuple[str, str]) -> None:
    ctx.report(
        NET004,
        node,
        f"{what} is a plain http:// URL to {found[1]}: traffic travels unencrypted",
    )  # mocked endpoints in tests: the engine's test-code evidence lowers it


@check(NET004, nodes=(ast.Assign, ast.AnnAssign))
def url_assignment(ctx, node: ast.Assign | ast.AnnAssign) -> None:
    value = node.value
    if value is None:
        return
    if isinstance(value, ast.Call) and last_name(value.func) == "Field":
        value = value.args[0] if value.args else (kw.value if (kw := keyword(value, "default")) else None)
    found = _plain_http(value)
    if found is None:
        return
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    for target in targets:
        name = target.id if isinstance(target, ast.Name) else getattr(target, "attr", "")
        if name and url_name(name):
            _report_url(ctx, value, name, found)
            return


@check(NET004, nodes=(ast.FunctionDef, ast.AsyncFunctionDef))
def url_parameter_default(ctx, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    pairs = list(zip(positional[len(positional) - len(args.defaults):], args.defaults, strict=True))
    pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None]
    for arg, default in pairs:
        found = _plain_http(default)
        if found and url_name(arg.arg):
            _report_url(ctx, default, f"the default of {arg.arg}", found)


@check(NET004, nodes=(ast.Call,))
def url_argument(ctx, node: ast.Call) -> None:
    if not node.args and not node.keywords:
        return
    urls = web.urls()
    for kw in node.keywords:
        if not kw.arg or not _http_literal(kw.value):
            continue
        if kw.arg in urls.url_keywords or url_name(kw.arg):
            found = _plain_http(kw.value)
            if found:
                _report_url(ctx, kw.value, kw.arg, found)
                return
    if node.args and (_http_literal(node.args[0]) or len(node.args) > 1 and _http_literal(node.args[1])):
        name = ctx.qualname(node.func) or ""
        if name in urls.clients:
            found = _plain_http(node.args[0])
            if found:
                _report_url(ctx, node.args[0], f"the URL given to {name}()", found)
        elif name in ("os.getenv", "os.environ.get") and len(node.args) > 1:
            key = string_value(node.args[0]) or ""
            found = _plain_http(node.args[1])
            if found and url_name(key):
                _report_url(ctx, node.args[1], f"the fallback of {key}", found)


@check(NET004, nodes=(ast.Dict,))
def url_dict_value(ctx, node: ast.Dict) -> None:
    for key, value in zip(node.keys, node.values, strict=True):
        if not _http_literal(value):
            continue
        name = string_value(key)
        if name and url_name(name):
            found = _plain_http(value)
            if found:
                _report_url(ctx, value, name, found)


# ---------------------------------------------------------------------------
# NET005: development servers exposed

NET005 = rule("NET005")


def _true(call: ast.Call, name: str) -> bool:
    kw = keyword(call, name)
    return kw is not None and is_const(kw.value, True)


def _all_interfaces(call: ast.Call) -> bool:
    host = keyword(call, "host")
    value = string_value(host.value) if host is not None else None
    if value is None and call.args and len(call.args) >= 1:
        value = string_value(call.args[0]) if isinstance(call.args[0], ast.Constant) else None
    return value in web.section("servers").any_hosts and value is not None


_SERVERS = web.section("servers")


@check(NET005, nodes=(ast.Call,))
def debug_server(ctx, node: ast.Call) -> None:
    func = node.func
    if not isinstance(func, ast.Attribute) and not isinstance(func, ast.Name):
        return
    attr = last_name(func)
    if attr == "run" and _true(node, "debug"):
        name = ctx.qualname(func) or ""
        if name not in _SERVERS.debug_runs and not (
            isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "app"
        ):
            return
        if _all_interfaces(node):
            ctx.report(
                NET005,
                node,
                "debug server on 0.0.0.0: the interactive debugger is open to the network",
                evidence=("variant:all-interfaces",),
            )
        else:
            ctx.report(NET005, node, "app.run(debug=True) enables the interactive debugger")
        return
    if attr in ("run", "Config") and _true(node, "reload"):
        name = ctx.qualname(func) or ""
        if name in _SERVERS.launchers and _all_interfaces(node):
            ctx.report(NET005, node, f"{name}(reload=True) development server bound to every interface")
        return
    if attr in ("FastAPI", "Starlette") and _true(node, "debug"):
        name = ctx.qualname(func) or ""
        if name.startswith(("fastapi.", "starlette.")):
            ctx.report(NET005, node, f"{name}(debug=True) returns tracebacks to clients")


# ---------------------------------------------------------------------------
# NET006: CORS

NET006 = rule("NET006")


def _wildcard(node: ast.AST | None) -> bool:
    if node is None:
        return False
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return any(string_value(e) == "*" for e in node.elts)
    return string_value(node) in ("*", ".*", "^.*$", ".+")


_CORS = web.section("cors")


_CREDENTIAL_SWITCHES = frozenset({"supports_credentials", "allow_credentials"})


@check(NET006, nodes=(ast.Call,))
def cors_credentials(ctx, node: ast.Call) -> None:
    if not any(kw.arg in _CREDENTIAL_SWITCHES for kw in node.keywords):
        return
    name = ctx.qualname(node.func) or ""
    if name in _CORS.flask:
        if not _true(node, "supports_credentials"):
            return
        origins = keyword(node, "origins")
        resources = keyword(node, "resources")
        if (origins is None and resources is None) or (origins is not None and _wildcard(origins.value)):
            ctx.report(NET006, node, f"{name}(supports_credentials=True) with any origin")
        return
    middleware = None
    if last_name(node.func) in ("add_middleware", "Middleware") and node.args:
        middleware = ctx.qualname(node.args[0])
    elif name in _CORS.middleware:
        middleware = name
    if middleware not in _CORS.middleware or not _true(node, "allow_credentials"):
        return
    origins = keyword(node, "allow_origins")
    regex = keyword(node, "allow_origin_regex")
    if (origins is not None and _wildcard(origins.value)) or (regex is not None and _wildcard(regex.value)):
        ctx.report(NET006, node, "CORSMiddleware allows every origin together with credentials")
