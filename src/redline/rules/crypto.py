"""Checklist area 5: weak hashing and cookie flags (authentication and session security)."""

from __future__ import annotations

import ast

from redline.knowledge import secrets
from redline.rules.catalog import rule
from redline.rules.common import argument, is_const, keyword, string_value
from redline.rules.registry import check
from redline.text.secret_values import credential_kind, name_words

AUTH003 = rule("AUTH003")
AUTH004 = rule("AUTH004")

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


def _words(name: str | None) -> list[str]:
    return [w for w in name_words(name or "") if w not in _hash_words("generic_words")] if name else []


def _hash_words(key: str) -> frozenset[str]:
    return secrets().hashes[key]


def _purpose_of(names: list[str]) -> str | None:
    """"security", "name" or None (unclear) from the names at one level around a digest."""
    found = None
    for name in names:
        words = name_words(name)
        meaningful = _words(name)
        if set(words) & _hash_words("security_words") or any(
            credential_kind("_".join(words[: i + 1])) for i in range(len(words))
        ):
            return "security"
        if set(meaningful) & _hash_words("identifier_words") or (
            meaningful and set(words) & _hash_words("hash_words")
        ):
            found = "name"  # content_hash, cache_key, doc_id
    return found


def _ancestors(stmt: ast.AST | None, node: ast.AST) -> list[ast.AST]:
    """The nodes from ``node``'s parent up to ``stmt`` (nearest first)."""
    if stmt is None:
        return []
    parents: dict[int, ast.AST] = {}
    stack = [stmt]
    while stack:
        current = stack.pop()
        for child in ast.iter_child_nodes(current):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                continue
            parents[id(child)] = current
            if child is node:
                stack.clear()
                break
            stack.append(child)
    chain, current = [], parents.get(id(node))
    while current is not None:
        chain.append(current)
        current = parents.get(id(current))
    return chain


def _target_names(target: ast.AST) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Attribute):
        return [target.attr]
    if isinstance(target, ast.Subscript):
        key = string_value(target.slice)
        return [key] if key else _target_names(target.value)
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for t in target.elts for n in _target_names(t)]
    return []


def _hashed_names(node: ast.Call) -> list[str]:
    """The credential names a digest is computed over: ``md5(password.encode())``."""
    names = []
    for arg in [*node.args, *(kw.value for kw in node.keywords)]:
        for sub in ast.walk(arg):
            if isinstance(sub, ast.Name):
                names.append(sub.id)
            elif isinstance(sub, ast.Attribute):
                names.append(sub.attr)
    return [n for n in names if credential_kind(n, strict=True)]


def _shaped_as_name(ctx, chain: list[ast.AST]) -> bool:
    """A digest cut short, made a UUID, reduced modulo a count, or built into a longer
    string: a name, not a protection."""
    for parent in chain:
        if isinstance(parent, ast.Subscript) and isinstance(parent.slice, ast.Slice):
            return True
        if isinstance(parent, ast.Call) and (ctx.qualname(parent.func) or "").startswith("uuid."):
            return True
        if isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Mod) and not string_value(parent.left):
            return True
        if isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Add) and (
            string_value(parent.left) or string_value(parent.right)
        ):
            return True
        if isinstance(parent, ast.JoinedStr) and any(
            isinstance(v, ast.Constant) and str(v.value).strip() for v in parent.values
        ):
            return True
    return False


def _levels(ctx, node: ast.Call, chain: list[ast.AST]) -> list[list[str]]:
    """The names around a digest, nearest first: the keyword, dict key or target it is
    stored in, then the function it is returned from."""
    near: list[str] = []
    for parent, child in zip(chain, [node, *chain[:-1]], strict=True):
        if isinstance(parent, ast.keyword) and parent.arg:
            near.append(parent.arg)
            break
        if isinstance(parent, ast.Dict):
            for key, value in zip(parent.keys, parent.values, strict=True):
                if value is child and string_value(key):
                    near.append(string_value(key))
            break
        if isinstance(parent, ast.Assign):
            near.extend(n for t in parent.targets for n in _target_names(t))
        elif isinstance(parent, (ast.AnnAssign, ast.AugAssign)):
            near.extend(_target_names(parent.target))
    function = [ctx.scope[-1]] if ctx.scope else []
    return [near, function]


def hash_purpose(ctx, node: ast.Call) -> str | None:
    """"security", "name" (not reported) or None (unclear) for a weak digest."""
    if _hashed_names(node):
        return "security"
    chain = _ancestors(ctx.stmt, node)
    near, function = _levels(ctx, node, chain)
    purpose = _purpose_of(near)
    if purpose is None and _shaped_as_name(ctx, chain):
        purpose = "name"
    return purpose or _purpose_of(function)


def _report_weak(ctx, node: ast.Call, message: str) -> None:
    if _not_for_security(node):
        return
    purpose = hash_purpose(ctx, node)
    if purpose == "name":
        return
    if purpose is None:
        ctx.report(AUTH003, node, f"{message}; what it protects is not clear", evidence=("variant:purpose-unclear",))
    else:
        ctx.report(AUTH003, node, f"{message}, used for a security purpose")


@check(AUTH003, calls=_WEAK_CALLS)
def weak_hash(ctx, node: ast.Call) -> None:
    _report_weak(ctx, node, f"{ctx.qualname(node.func)}() is a broken hash algorithm")


@check(AUTH003, calls=("hashlib.new",))
def weak_hash_by_name(ctx, node: ast.Call) -> None:
    algorithm = string_value(argument(node, 0, "name"))
    if algorithm and algorithm.lower().replace("-", "") in _WEAK:
        _report_weak(ctx, node, f"hashlib.new({algorithm!r}) is a broken hash algorithm")


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

AUTH005 = rule("AUTH005")

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
            AUTH005, node, f"{name}() is predictable and its value is used as {targets[0]}",
            evidence=("variant:security-name",),
        )
    else:
        ctx.report(AUTH005, node, f"{name}() is predictable; use secrets for security values")
