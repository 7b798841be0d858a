"""Checklist area 9: network security."""

from __future__ import annotations

import ast

from redline.model import Area, Confidence, Severity
from redline.rules.common import has_star_kwargs, is_const, keyword
from redline.rules.registry import check, define

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
requests or httpx (httpx's own default is 5 seconds, so only `None` removes it).
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
    severity=Severity.HIGH,
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
