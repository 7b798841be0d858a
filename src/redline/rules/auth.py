"""Checklist area 5: authentication and TLS."""

from __future__ import annotations

import ast

from redline.model import Area, Confidence, Severity
from redline.rules.common import is_false
from redline.rules.registry import check, define

AUTH001 = define(
    "AUTH001",
    "tls-verification-disabled",
    "TLS certificate verification disabled",
    area=Area.AUTH,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    cwe=295,
    what="""
Turning off certificate or host-name checks: `verify=False` (requests, httpx and
clients built on them), `verify_certs=False` (Elasticsearch, OpenSearch),
`ssl=False`/`verify_ssl=False` (aiohttp), `ssl.CERT_NONE`,
`ssl._create_unverified_context`, and `check_hostname = False`.
""",
    why="""
Without verification anyone on the network path can impersonate the server:
API keys sent to an LLM provider, database passwords and retrieved documents can
be read and altered in transit. Code that disables checks "for development"
reaches production more often than not.
""",
    example="""
    import requests

    def fetch(url):
        return requests.get(url, verify=False, timeout=10)
""",
    use_instead="""
    import requests

    def fetch(url):
        return requests.get(url, verify="/etc/ssl/internal-ca.pem", timeout=10)
""",
    recommendation=(
        "Keep TLS verification on; for private CAs pass the CA bundle (verify=/path/ca.pem, "
        "ca_certs=..., ssl.create_default_context(cafile=...)) instead of disabling checks."
    ),
    references=(
        "https://requests.readthedocs.io/en/latest/user/advanced/#ssl-cert-verification",
        "https://cwe.mitre.org/data/definitions/295.html",
    ),
)

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
        ctx.report(AUTH001, node, f"{kw.arg}=False disables certificate verification in {shown}")


@check(AUTH001, nodes=(ast.Attribute,))
def ssl_constants(ctx, node: ast.Attribute) -> None:
    if node.attr not in ("CERT_NONE", "_create_unverified_context"):
        return
    name = ctx.qualname(node)
    if name == "ssl.CERT_NONE":
        ctx.report(AUTH001, node, "ssl.CERT_NONE accepts any certificate")
    elif name == "ssl._create_unverified_context":
        ctx.report(AUTH001, node, "ssl._create_unverified_context() skips certificate checks")


@check(AUTH001, nodes=(ast.Assign,))
def verification_attributes(ctx, node: ast.Assign) -> None:
    if not is_false(node.value):
        return
    for target in node.targets:
        if isinstance(target, ast.Attribute) and target.attr in ("verify", "check_hostname"):
            ctx.report(AUTH001, node, f"setting .{target.attr} = False disables TLS checks")

AUTH002 = define(
    "AUTH002",
    "trust-boundary-violation",
    "Untrusted data stored in the server-side session",
    area=Area.AUTH,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=501,
    what="A proven flow from an untrusted source into session state that later code trusts.",
    why="Values in the session are treated as verified by the rest of the application.",
    example="""
    from flask import Flask, request, session

    app = Flask(__name__)

    @app.route("/login")
    def login():
        session["user"] = request.args["user"]
        return "ok"
""",
    use_instead="""
    from flask import Flask, request, session

    app = Flask(__name__)

    @app.route("/login")
    def login():
        session["user"] = "guest"
        return "ok"
""",
    recommendation="Store in the session only values the server has verified (after authentication).",
    references=("https://cwe.mitre.org/data/definitions/501.html",),
)
