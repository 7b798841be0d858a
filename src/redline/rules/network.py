"""Checklist area 9: network security."""

from __future__ import annotations

import ast

from redline.knowledge import web
from redline.model import Area, Confidence, Severity
from redline.rules.common import has_star_kwargs, is_const, keyword, last_name, string_value
from redline.rules.registry import check, define
from redline.text.urls import remote_plain_http, url_name

NET001 = define(
    "NET001",
    "request-without-timeout",
    "Outbound HTTP request without a timeout",
    area=Area.NETWORK,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=400,
    what="""
requests calls (module functions and `Session` methods) without `timeout=`,
`urllib.request.urlopen` without a timeout, and any `timeout=None` given to
requests or httpx (httpx's own default is 5 seconds, so only `None` removes it);
`socket.create_connection`, `smtplib.SMTP`, `ftplib.FTP`, `http.client` connections
and other stdlib clients connecting without a timeout; aiohttp sessions with
`timeout=None` or a `ClientTimeout` whose limits are all `None` (aiohttp's own
default, 5 minutes in total, is kept when no timeout is given).
""",
    why="""
requests waits forever by default. One slow or malicious endpoint (an LLM
provider having an outage, a URL chosen by a model) holds a worker until the
pool is exhausted, and the whole agent service stops answering.
""",
    example="""
    import requests

    def call_tool(url, payload):
        return requests.post(url, json=payload)
""",
    use_instead="""
    import requests

    def call_tool(url, payload):
        return requests.post(url, json=payload, timeout=(3.05, 30))
""",
    recommendation=(
        "Give every outbound request an explicit timeout (connect and read), e.g. "
        "requests.get(url, timeout=(3, 30)) or httpx.Client(timeout=httpx.Timeout(30, connect=3))."
    ),
    references=("https://requests.readthedocs.io/en/latest/user/advanced/#timeouts",),
)

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

NET002 = define(
    "NET002",
    "server-side-request-forgery",
    "Outbound request to a URL chosen by untrusted input (SSRF)",
    area=Area.NETWORK,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    cwe=918,
    what="""
A proven flow from an untrusted source (a request parameter, a URL chosen by the
model, a tool argument) into the URL of an HTTP client call: requests, httpx,
urllib, aiohttp, urllib3.
""",
    why="""
The server fetches whatever the attacker names: cloud metadata endpoints that hand
out credentials, internal admin services, or files through `file://`. Web-browsing
tools of agents are SSRF by design unless the destination is checked.
""",
    example="""
    import requests
    from flask import Flask, request

    app = Flask(__name__)

    @app.route("/preview")
    def preview():
        return requests.get(request.args["url"], timeout=10).text
""",
    use_instead="""
    import requests
    from flask import Flask, request

    app = Flask(__name__)
    PAGES = {"docs": "https://docs.example.com/", "blog": "https://blog.example.com/"}

    @app.route("/preview")
    def preview():
        return requests.get(PAGES["docs"], timeout=10).text
""",
    recommendation=(
        "Allow only known destinations: compare the parsed host against an allowlist, "
        "resolve it and reject private, loopback and link-local addresses, and disable redirects "
        "to other hosts."
    ),
    references=("https://cwe.mitre.org/data/definitions/918.html",),
)

NET003 = define(
    "NET003",
    "open-redirect",
    "Redirect to a location chosen by untrusted input",
    area=Area.NETWORK,
    # phishing and token theft through a trusted domain, not code or data access: the
    # impact CVSS scores give open redirects (4.7-6.1), below injection's
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=601,
    what="A proven flow from an untrusted source into the target of an HTTP redirect.",
    why="""
An attacker builds links on your domain that send users to a phishing page, and
OAuth-style flows can leak tokens to the attacker's site.
""",
    example="""
    from flask import Flask, redirect, request

    app = Flask(__name__)

    @app.route("/go")
    def go():
        return redirect(request.args["next"])
""",
    use_instead="""
    from flask import Flask, redirect, request, url_for

    app = Flask(__name__)

    @app.route("/go")
    def go():
        return redirect(url_for("home"))
""",
    recommendation="Redirect only to relative paths or to an allowlist of hosts.",
    references=("https://cwe.mitre.org/data/definitions/601.html",),
)


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

NET004 = define(
    "NET004",
    "plain-http-url",
    "Plain http:// URL to a remote host",
    area=Area.NETWORK,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=319,
    what="""
An `http://` URL to a host that is not local, used as an endpoint: the default of a
`base_url`/`endpoint`/`url`/`webhook` field, parameter or variable, a URL given to an
HTTP client, or the value of such a key in YAML, JSON, TOML, `.env` and INI files.
Loopback addresses, `localhost`, `*.local` and other reserved development names,
single-label service names (`http://ollama:11434`), templates, and identifiers that
are never fetched (XML namespaces, `http://www.w3.org/...`, JSON-schema ids) are
left alone, as are URLs in comments and docstrings. LOW in test files.
""",
    why="""
Everything sent over plain HTTP can be read and changed on the way: API keys in
headers, prompts and completions, documents, workflow outputs sent to webhooks.
"Internal" networks are shared with every other workload and every compromised host.
""",
    example="""
    from pydantic_settings import BaseSettings

    class Settings(BaseSettings):
        llm_base_url: str = "http://llm-gateway.corp.example.net/v1"
""",
    use_instead="""
    from pydantic_settings import BaseSettings

    class Settings(BaseSettings):
        llm_base_url: str = "https://llm-gateway.corp.example.net/v1"
""",
    recommendation=(
        "Use https:// for every remote endpoint (LLM gateways, webhooks, vector stores), "
        "with certificate verification on; keep http:// for loopback development only."
    ),
    references=("https://cwe.mitre.org/data/definitions/319.html",),
)


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

NET005 = define(
    "NET005",
    "debug-server-exposed",
    "Development server or debug mode exposed",
    area=Area.NETWORK,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=489,
    impacts={"all-interfaces": Severity.HIGH},  # the debugger runs code for anyone who reaches it
    what="""
Flask/Quart/Sanic `app.run(debug=True)` (HIGH when also bound to `0.0.0.0`: the
Werkzeug debugger runs Python for whoever reaches it), `uvicorn.run(..., reload=True)`
on `0.0.0.0`, and `FastAPI(debug=True)` / `Starlette(debug=True)`, which send
tracebacks to clients.
""",
    why="""
Debug modes are made for one developer on a laptop: interactive consoles, automatic
code reloading, full tracebacks with local variables. Bound to every interface, they
hand all of that to the network.
""",
    example="""
    from flask import Flask

    app = Flask(__name__)

    if __name__ == "__main__":
        app.run(host="0.0.0.0", port=8000, debug=True)
""",
    use_instead="""
    import os

    from flask import Flask

    app = Flask(__name__)

    if __name__ == "__main__":
        app.run(host="127.0.0.1", port=8000, debug=os.environ.get("FLASK_DEBUG") == "1")
""",
    recommendation=(
        "Never enable debug or auto-reload in deployed code: read them from the environment "
        "with a safe default, bind development servers to 127.0.0.1, and serve production "
        "with gunicorn/uvicorn workers behind a proxy."
    ),
    references=("https://flask.palletsprojects.com/en/stable/debugging/",),
)


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

NET006 = define(
    "NET006",
    "cors-any-origin-with-credentials",
    "CORS allows any origin with credentials",
    area=Area.NETWORK,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    cwe=942,
    what="""
Starlette/FastAPI `CORSMiddleware` with `allow_origins=["*"]` (or
`allow_origin_regex=".*"`) and `allow_credentials=True`; flask-cors `CORS(...)` or
`@cross_origin(...)` with `supports_credentials=True` and no origin list (or `*`).
""",
    why="""
With credentials allowed, these middlewares echo the caller's origin back instead of
`*`, so every web site a logged-in user visits can call the API with the user's
cookies or auth headers and read the answers.
""",
    example="""
    from fastapi import FastAPI
    from fastapi.middleware.cors import CORSMiddleware

    app = FastAPI()
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=True)
""",
    use_instead="""
    from fastapi import FastAPI
    from fastapi.middleware.cors import CORSMiddleware

    app = FastAPI()
    app.add_middleware(
        CORSMiddleware, allow_origins=["https://console.example.com"], allow_credentials=True
    )
""",
    recommendation=(
        "List the exact origins that may call the API with credentials; use a wildcard only "
        "for public, unauthenticated endpoints and then without credentials."
    ),
    references=("https://developer.mozilla.org/en-US/docs/Web/HTTP/CORS#credentialed_requests_and_wildcards",),
)


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
