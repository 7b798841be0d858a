"""Checklist area 5: weak hashing and cookie flags (authentication and session security)."""

from __future__ import annotations

import ast

from redline.model import Area, Confidence, Severity
from redline.rules.common import argument, is_const, keyword, string_value
from redline.rules.registry import check, define

AUTH003 = define(
    "AUTH003",
    "weak-hash",
    "Broken hash algorithm (MD5, SHA-1)",
    area=Area.AUTH,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=328,
    what="""
`hashlib.md5`, `hashlib.sha1` and `hashlib.new("md5" | "sha1")`, and the MD5/SHA-1
classes of PyCryptodome and `cryptography`, unless `usedforsecurity=False` says the
digest protects nothing.
""",
    why="""
Collisions for MD5 and SHA-1 are practical: signatures, integrity checks, password
hashes and cache keys that guard access can be forged.
""",
    example="""
    import hashlib

    def fingerprint(document: bytes) -> str:
        return hashlib.md5(document).hexdigest()
""",
    use_instead="""
    import hashlib

    def fingerprint(document: bytes) -> str:
        return hashlib.sha256(document).hexdigest()
""",
    recommendation=(
        "Use SHA-256 or better (hashlib.sha256, blake2b); for passwords use a password hash "
        "(argon2, scrypt, bcrypt); mark non-security uses with usedforsecurity=False."
    ),
    references=("https://cwe.mitre.org/data/definitions/328.html",),
)

AUTH004 = define(
    "AUTH004",
    "insecure-cookie",
    "Cookie set without the Secure flag",
    area=Area.AUTH,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=614,
    what="""
`set_cookie(...)` (Flask, Werkzeug, Django, Starlette responses) without
`secure=True`, or with `httponly=False`.
""",
    why="""
A cookie without `Secure` is sent over plain HTTP, where anyone on the path reads
the session; without `HttpOnly` any injected script can steal it.
""",
    example="""
    def remember(response, token):
        response.set_cookie("session", token, httponly=True)
        return response
""",
    use_instead="""
    def remember(response, token):
        response.set_cookie("session", token, secure=True, httponly=True, samesite="Lax")
        return response
""",
    recommendation="Set cookies with secure=True, httponly=True and samesite='Lax' or 'Strict'.",
    references=("https://cwe.mitre.org/data/definitions/614.html",),
)

_WEAK = frozenset({"md5", "sha1", "md4", "md2", "sha", "ripemd160"})
_WEAK_CALLS = (
    "hashlib.md5",
    "hashlib.sha1",
    "Crypto.Hash.MD5.new",
    "Crypto.Hash.SHA1.new",
    "Cryptodome.Hash.MD5.new",
    "Cryptodome.Hash.SHA1.new",
    "cryptography.hazmat.primitives.hashes.MD5",
    "cryptography.hazmat.primitives.hashes.SHA1",
)


def _not_for_security(node: ast.Call) -> bool:
    kw = keyword(node, "usedforsecurity")
    return kw is not None and is_const(kw.value, False)


@check(AUTH003, calls=_WEAK_CALLS)
def weak_hash(ctx, node: ast.Call) -> None:
    if not _not_for_security(node):
        name = ctx.qualname(node.func)
        ctx.report(AUTH003, node, f"{name}() is a broken hash algorithm")


@check(AUTH003, calls=("hashlib.new",))
def weak_hash_by_name(ctx, node: ast.Call) -> None:
    algorithm = string_value(argument(node, 0, "name"))
    if algorithm and algorithm.lower().replace("-", "") in _WEAK and not _not_for_security(node):
        ctx.report(AUTH003, node, f"hashlib.new({algorithm!r}) is a broken hash algorithm")


@check(AUTH004, nodes=(ast.Call,))
def insecure_cookie(ctx, node: ast.Call) -> None:
    func = node.func
    if not isinstance(func, ast.Attribute) or func.attr != "set_cookie":
        return
    if any(kw.arg is None for kw in node.keywords):
        return  # flags may come through **kwargs
    secure = keyword(node, "secure")
    httponly = keyword(node, "httponly")
    if secure is None or is_const(secure.value, False):
        ctx.report(AUTH004, node, "cookie set without secure=True is sent over plain HTTP")
    elif httponly is not None and is_const(httponly.value, False):
        ctx.report(AUTH004, node, "cookie set with httponly=False is readable by scripts")

AUTH005 = define(
    "AUTH005",
    "insecure-randomness",
    "Non-cryptographic random numbers",
    area=Area.AUTH,
    severity=Severity.LOW,
    confidence=Confidence.LOW,
    cwe=330,
    what="""
Functions of the `random` module (`random()`, `randint`, `choice`, `getrandbits`,
`randbytes`...). MEDIUM when the value is stored under a security-sensitive name
(token, secret, password, key, nonce, salt, session, cookie, otp, csrf).
""",
    why="""
`random` is a Mersenne Twister: after 624 outputs an observer predicts every later
one, so tokens, reset codes and session ids made with it can be guessed.
""",
    example="""
    import random

    def reset_code():
        token = str(random.getrandbits(64))
        return token
""",
    use_instead="""
    import secrets

    def reset_code():
        token = secrets.token_urlsafe(16)
        return token
""",
    recommendation="Use the secrets module (secrets.token_urlsafe, secrets.randbelow) for anything an attacker must not guess.",
    references=("https://docs.python.org/3/library/secrets.html",),
)

_RANDOM = tuple(
    f"random.{n}"
    for n in (
        "random", "randint", "randrange", "choice", "choices", "sample", "shuffle", "uniform",
        "getrandbits", "randbytes", "normalvariate", "gauss", "triangular", "betavariate",
        "expovariate", "gammavariate", "lognormvariate", "vonmisesvariate", "paretovariate",
        "weibullvariate", "binomialvariate",
    )
)
_SECURITY_WORDS = (
    "token", "secret", "password", "passwd", "key", "nonce", "salt", "session", "cookie",
    "otp", "csrf", "auth", "remember", "reset", "verification", "api",
)


@check(AUTH005, calls=_RANDOM)
def insecure_random(ctx, node: ast.Call) -> None:
    name = ctx.qualname(node.func)
    stmt = ctx.stmt
    targets = []
    if isinstance(stmt, ast.Assign):
        targets = [ast.unparse(t) for t in stmt.targets]
    elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
        targets = [ast.unparse(stmt.target)]
    sensitive = any(w in t.lower() for t in targets for w in _SECURITY_WORDS)
    if sensitive:
        ctx.report(
            AUTH005,
            node,
            f"{name}() is predictable and its value is used as {targets[0]}",
            severity=Severity.MEDIUM,
            confidence=Confidence.MEDIUM,
        )
    else:
        ctx.report(AUTH005, node, f"{name}() is predictable; use secrets for security values")
