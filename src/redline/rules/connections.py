"""Checklist area 5, connection checks: credentials inside connection URIs, static AWS
keys instead of the default credential chain, and secrets in URL query strings."""

from __future__ import annotations

import ast
import re
import string

from redline.rules.catalog import rule
from redline.rules.common import argument, string_value
from redline.rules.credentials import report
from redline.rules.registry import check
from redline.text.secret_values import (
    credential_kind,
    provider_of,
    real_uri_password,
    secret_value,
    uri_evidence,
    uri_passwords,
)

AUTH006 = rule("AUTH006")
AUTH007 = rule("AUTH007")
AUTH008 = rule("AUTH008")

_NEO4J = ("bolt", "neo4j", "bolt+s", "bolt+ssc", "neo4j+s", "neo4j+ssc")
_SLOT = "\x00"  # stands for an interpolated value when an f-string is read as text
_URI_SLOTS = re.compile(
    r"\b(?P<scheme>[A-Za-z][A-Za-z0-9+.-]{1,30})://(?P<user>[^\s:/@'\"]{0,100}):(?P<password>[^\s@/'\"]{1,200})@"
)
_QUERY_KEY = re.compile(r"[?&](?P<key>[A-Za-z_][A-Za-z0-9_.-]{0,60})=$")
_QUERY_LITERAL = re.compile(r"[?&](?P<key>[A-Za-z_][A-Za-z0-9_.-]{0,60})=(?P<value>[^&#\s'\"]+)")
# Query parameter names that carry credentials even without a credential word.
_QUERY_NAMES = frozenset({"key", "apikey", "api_key", "api-key", "access_token", "token", "auth", "sig"})
_HTTP_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request", "stream"})
_AWS_KEYWORDS = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")
_AWS_CALLS = ("boto3.", "botocore.", "aioboto3.", "aiobotocore.")


def _neo4j_advice(scheme: str) -> str:
    return "; pass auth=(user, password) to GraphDatabase.driver instead" if scheme in _NEO4J else ""


# A password interpolated from a variable: what it holds is not shown, the URI that
# carries it is a review item.
_INTERPOLATED = ("unknown-data",)


def _is_docstring(ctx, node: ast.AST) -> bool:
    stmt = ctx.stmt
    return isinstance(stmt, ast.Expr) and stmt.value is node


@check(AUTH006, nodes=(ast.Constant,))
def uri_literal(ctx, node: ast.Constant) -> None:
    if not isinstance(node.value, str) or "://" not in node.value or _is_docstring(ctx, node):
        return
    for uri in uri_passwords(node.value):
        message = f"password written into a {uri.scheme}:// URI{_neo4j_advice(uri.scheme)}"
        report(ctx, AUTH006, node, message, evidence=uri_evidence(uri), secret=uri.password)
        return


@check(AUTH006, nodes=(ast.JoinedStr,))
def uri_fstring(ctx, node: ast.JoinedStr) -> None:
    text = "".join(
        v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else _SLOT for v in node.values
    )
    if "://" not in text or "@" not in text:
        return
    for m in _URI_SLOTS.finditer(text):
        password, scheme = m["password"], m["scheme"].lower()
        if _SLOT in password:
            message = f"password interpolated into a {scheme}:// URI{_neo4j_advice(scheme)}"
            report(ctx, AUTH006, node, message, evidence=_INTERPOLATED)
        elif text[m.end() : m.end() + 1] in (_SLOT, "") and real_uri_password(password, m["user"]):
            # host interpolated: the literal piece alone was not a whole URI
            report(ctx, AUTH006, node, f"password written into a {scheme}:// URI", secret=password)
        return


_PERCENT_FIELD = re.compile(r"%(?:\((?P<name>[^)]{1,60})\))?[-#0 +]*\d*(?:\.\d+)?[sdrfi]")


@check(AUTH006, nodes=(ast.Call,))
def uri_format(ctx, node: ast.Call) -> None:
    """``"postgresql://{user}:{password}@{host}".format(...)``: the template reads like a
    placeholder, the arguments decide whether a literal password is in the code."""
    func = node.func
    if not (isinstance(func, ast.Attribute) and func.attr == "format"):
        return
    template = string_value(func.value)
    if not template or "://" not in template or "@" not in template:
        return
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError:
        return
    text, slots, auto = "", [], 0
    for literal, field, _, _ in fields:
        text += literal
        if field is None:
            continue
        key = field.split(".")[0].split("[")[0]
        if key == "":
            key, auto = str(auto), auto + 1
        text += _SLOT
        slots.append(argument(node, int(key), "") if key.isdigit() else _keyword_value(node, key))
    _templated_uri(ctx, node, text, slots)


@check(AUTH006, nodes=(ast.BinOp,))
def uri_percent(ctx, node: ast.BinOp) -> None:
    """``"postgresql://%s:%s@%s/db" % (user, password, host)``."""
    template = string_value(node.left)
    if not isinstance(node.op, ast.Mod) or not template or "://" not in template or "@" not in template:
        return
    right = node.right
    positional = list(right.elts) if isinstance(right, ast.Tuple) else [right]
    text, slots, last, index = "", [], 0, 0
    for m in _PERCENT_FIELD.finditer(template):
        text += template[last : m.start()] + _SLOT
        last = m.end()
        if m["name"] is not None:
            slots.append(_dict_value(right, m["name"]))
        else:
            slots.append(positional[index] if index < len(positional) else None)
            index += 1
    _templated_uri(ctx, node, text + template[last:], slots)


def _keyword_value(call: ast.Call, name: str) -> ast.AST | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def _dict_value(node: ast.AST, key: str) -> ast.AST | None:
    if isinstance(node, ast.Dict):
        for k, v in zip(node.keys, node.values, strict=True):
            if string_value(k) == key:
                return v
    return None


def _templated_uri(ctx, node: ast.AST, text: str, slots: list[ast.AST | None]) -> None:
    """Report a URI template whose password field is filled: with a literal (the
    password is in the code) or with a value (the URI carries it wherever it goes)."""
    for m in _URI_SLOTS.finditer(text):
        password, scheme = m["password"], m["scheme"].lower()
        if _SLOT not in password:
            continue
        at = text.count(_SLOT, 0, m.start("password") + password.index(_SLOT))
        value = string_value(slots[at]) if at < len(slots) else None
        if value is not None:
            if real_uri_password(value, m["user"]):
                report(ctx, AUTH006, node, f"literal password formatted into a {scheme}:// URI{_neo4j_advice(scheme)}",
                       secret=value)
            return
        report(ctx, AUTH006, node, f"password formatted into a {scheme}:// URI{_neo4j_advice(scheme)}",
               evidence=_INTERPOLATED)
        return


# -- AUTH007 ---------------------------------------------------------------------------

def _module_literals(ctx) -> dict[str, str]:
    """The module's ``NAME = "literal"`` bindings, for the calls below."""
    found: dict[str, str] = {}
    for stmt in ctx.tree.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            value = string_value(stmt.value)
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for t in targets:
                if isinstance(t, ast.Name) and value is not None:
                    found[t.id] = value
    return found


@check(AUTH007, nodes=(ast.Call,))
def static_aws_keys(ctx, node: ast.Call) -> None:
    keywords = [kw for kw in node.keywords if kw.arg in _AWS_KEYWORDS]
    if not keywords:
        return
    qual = ctx.qualname(node.func) or ""
    if not qual.startswith(_AWS_CALLS):
        return
    literals = ctx.fact(_module_literals)
    for kw in keywords:
        value = string_value(kw.value)
        if value is None and isinstance(kw.value, ast.Name):
            value = literals.get(kw.value.id)
        if value and (provider_of(value) or secret_value(value, kw.arg, "token")):
            report(ctx, AUTH007, node, f"static AWS credential {kw.arg} passed to {qual}", secret=value)
            return


# -- AUTH008 ---------------------------------------------------------------------------


def _query_credential(name: str) -> bool:
    return name.lower() in _QUERY_NAMES or credential_kind(name) is not None


@check(AUTH008, nodes=(ast.Call,))
def params_keyword(ctx, node: ast.Call) -> None:
    func = node.func
    if not isinstance(func, ast.Attribute) or func.attr not in _HTTP_METHODS:
        return
    for kw in node.keywords:
        if kw.arg != "params" or not isinstance(kw.value, ast.Dict):
            continue
        for key, value in zip(kw.value.keys, kw.value.values, strict=True):
            name = string_value(key)
            if name and _query_credential(name) and _carries_value(value):
                report(ctx, AUTH008, key, f"{name!r} sent as a URL query parameter")
                return


def _carries_value(value: ast.AST) -> bool:
    literal = string_value(value)
    if literal is None:
        return not isinstance(value, ast.Constant)  # None, numbers: nothing secret
    return secret_value(literal, "api_key", "token")


@check(AUTH008, nodes=(ast.JoinedStr,))
def query_fstring(ctx, node: ast.JoinedStr) -> None:
    values = node.values
    for i, part in enumerate(values[:-1]):
        if not (isinstance(part, ast.Constant) and isinstance(part.value, str)):
            continue
        m = _QUERY_KEY.search(part.value)
        if m and isinstance(values[i + 1], ast.FormattedValue) and _query_credential(m["key"]):
            report(ctx, AUTH008, node, f"{m['key']!r} built into a URL query string")
            return


@check(AUTH008, nodes=(ast.BinOp,))
def query_concatenation(ctx, node: ast.BinOp) -> None:
    if not isinstance(node.op, ast.Add) or isinstance(node.right, ast.Constant):
        return
    left = node.left
    text = string_value(left)
    if text is None and isinstance(left, ast.BinOp) and isinstance(left.op, ast.Add):
        text = string_value(left.right)
    m = _QUERY_KEY.search(text or "")
    if m and _query_credential(m["key"]):
        report(ctx, AUTH008, node, f"{m['key']!r} concatenated into a URL query string")


@check(AUTH008, nodes=(ast.Constant,))
def query_literal(ctx, node: ast.Constant) -> None:
    text = node.value
    if not isinstance(text, str) or "=" not in text or "?" not in text or _is_docstring(ctx, node):
        return
    for m in _QUERY_LITERAL.finditer(text):
        if _query_credential(m["key"]) and secret_value(m["value"], m["key"], "token"):
            report(ctx, AUTH008, node, f"{m['key']!r} written into a URL query string", secret=m["value"])
            return
