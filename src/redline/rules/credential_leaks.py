"""Checklist area 1, leaks: credentials written to logs, output, exceptions and traces
(CRED002), objects serialized with their secrets (CRED003), and secret fields of
pydantic models typed ``str`` instead of ``SecretStr`` (CRED004).

The analysis is intra-procedural: within one function, a value is a secret when it
is named like one (``api_key``, ``self.password``, ``data["client_secret"]``), read
from a credential-named environment variable, or computed from such a value without
a masking call; serializations (``to_dict()``, ``model_dump()``) of objects holding
secrets count as well. Loop variables and a bare ``token`` (in AI code usually a
piece of model output) do not.
"""

from __future__ import annotations

import ast

from redline.knowledge import secrets
from redline.python.names import dotted
from redline.rules.catalog import rule
from redline.rules.common import own_nodes, string_value
from redline.rules.credentials import report
from redline.rules.registry import check
from redline.text.secret_values import credential_kind, name_words, secret_value

CRED002 = rule("CRED002")
CRED003 = rule("CRED003")
CRED004 = rule("CRED004")

_PYDANTIC_BASE_SUFFIXES = ("BaseModel", "BaseSettings")
_READERS = frozenset({"str", "repr", "format", "strip", "lstrip", "rstrip", "encode", "decode", "get_secret_value", "upper", "lower"})
_GET_ENV = ("os.getenv", "os.environ.get", "os.environ.__getitem__")
_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _leak_words() -> dict[str, frozenset[str]]:
    return secrets().leaks


# -- what is a secret -----------------------------------------------------------------


def _secret_name(name: str) -> bool:
    """A name that holds a secret value. A bare ``credential`` (and the other
    ``object_words``) is in AI code an identity object or the name of one: printed, it
    shows no secret. Names known to hold a file path do not hold the secret either."""
    kind = credential_kind(name, strict=True)
    if kind is None or name.lower() in _leak_words()["path_names"]:
        return False
    return not (kind in _leak_words()["object_words"] and name_words(name)[-1] == kind)


def _not_secret_value(node: ast.AST | None) -> bool:
    """A value that is no secret whatever the name it is bound to: a string literal that
    is not secret-shaped (an environment variable's or a header's name), or a path."""
    literal = string_value(node)
    if literal is not None:
        return not secret_value(literal, "password", "password")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        return _not_secret_value(node.left) or _path_call(node.left)
    return _path_call(node)


def _path_call(node: ast.AST | None) -> bool:
    """``Path(...)``, ``os.path.join(...)``, ``Path.home() / ...``, ``p.expanduser()``."""
    if not isinstance(node, ast.Call):
        return False
    parts = dotted(node.func) or []
    if not parts and isinstance(node.func, ast.Attribute):
        parts = [node.func.attr]
    return bool(parts) and (parts[-1] in _leak_words()["path_calls"] or "path" in parts[:-1])


def _literal_labels(body) -> set[str]:
    """Credential-named names bound only to values that are no secret (a literal that is
    not secret-shaped, a path)."""
    labels: set[str] = set()
    others: set[str] = set()
    for node in body:
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Name) and _secret_name(t.id):
                    label = not isinstance(node, ast.AugAssign) and _not_secret_value(node.value)
                    (labels if label else others).add(t.id)
    return labels - others


class _Secrets:
    """Secret-holding names of one function, and the judge of expressions in it."""

    def __init__(self, ctx, fn: ast.AST | None) -> None:
        self.ctx = ctx
        self.names: dict[str, str] = {}  # name -> "value" | "serialized"
        self.loop_vars: set[str] = set()
        self.fn = fn
        self.labels: set[str] = set(ctx.fact(_module_labels))
        if fn is None:
            return
        args = fn.args
        for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
            if _secret_name(a.arg) and not _path_annotation(a.annotation):
                self.names[a.arg] = "value"
        body = list(_own_statements(fn))
        self.labels |= _literal_labels(body)
        for node in body:
            if isinstance(node, (ast.For, ast.AsyncFor)):
                self.loop_vars |= {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
        for _ in range(2):  # b = a; c = b
            for node in body:
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    kind = self.kind(node.value)
                    if kind:
                        self.names[node.targets[0].id] = kind

    def kind(self, node: ast.AST | None) -> str | None:
        """"value" for a secret, "serialized" for a dump of a secret holder, else None."""
        if node is None:
            return None
        if isinstance(node, ast.Name):
            if node.id in self.loop_vars:
                return None
            if node.id in self.names:
                return self.names[node.id]
            return None if node.id in self.labels else _named_kind(node.id)
        if isinstance(node, ast.Attribute):
            return _named_kind(node.attr)
        if isinstance(node, ast.Subscript):
            if isinstance(node.slice, ast.Slice):
                return None  # key[:4]
            key = string_value(node.slice)
            if key and (_secret_name(key) or key.lower() == "authorization"):
                return "value"
            return None
        if isinstance(node, ast.JoinedStr):
            return _first(self.kind(v.value) for v in node.values if isinstance(v, ast.FormattedValue))
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
            return _first([self.kind(node.left), *map(self.kind, _elements(node.right))])
        if isinstance(node, ast.IfExp):
            return _first([self.kind(node.body), self.kind(node.orelse)])
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            return _first(self.kind(v) for v in node.values)
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                name = string_value(key) or ""
                if name.lower() == "authorization" and not isinstance(value, ast.Constant):
                    return "value"
                if _secret_name(name) and not isinstance(value, ast.Constant):
                    return "value"
                inner = self.kind(value)
                if inner:
                    return inner
            return None
        if isinstance(node, ast.Call):
            return self._call_kind(node)
        return None

    def _call_kind(self, node: ast.Call) -> str | None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        words = set(name_words(name))
        if words & _leak_words()["sanitizer_words"]:
            return None
        qual = self.ctx.qualname(func) or ""
        if qual in _GET_ENV or name.endswith(("get_env_var", "getenv")):
            env = string_value(node.args[0]) if node.args else None
            return "value" if env and _secret_name(env) else None
        if isinstance(func, ast.Attribute) and name == "get" and node.args:
            key = string_value(node.args[0])
            return "value" if key and _secret_name(key) else None
        if name in _leak_words()["serialize_methods"] and isinstance(func, ast.Attribute):
            told = {kw.arg for kw in node.keywords} & {"include_secure_params", "exclude", "include"}
            if _include_secure(node) or (not told and self._holder(func.value)):
                return "serialized"
            return None
        if name in ("dumps", "dump") and node.args:  # json.dumps(settings.to_dict())
            return self.kind(node.args[0])
        if name == "format" and isinstance(func, ast.Attribute):
            return _first([*map(self.kind, node.args), *(self.kind(k.value) for k in node.keywords)])
        if name in _READERS:
            if isinstance(func, ast.Attribute):
                return self.kind(func.value)
            return self.kind(node.args[0]) if node.args else None
        return None

    def _holder(self, node: ast.AST) -> bool:
        """An object that holds credentials: a connection, settings or credentials object."""
        parts = dotted(node) or []
        if not parts:
            return False
        words = set(name_words(parts[-1]))
        return bool(words & _leak_words()["holder_words"])


def _path_annotation(annotation: ast.AST | None) -> bool:
    """``Path``, ``os.PathLike``, ``str | Path``: a parameter holding a file's path."""
    if annotation is None:
        return False
    return any(
        (isinstance(n, ast.Name) and n.id.endswith("Path")) or (isinstance(n, ast.Attribute) and n.attr.endswith("Path"))
        for n in ast.walk(annotation)
    ) or (isinstance(annotation, ast.Constant) and isinstance(annotation.value, str) and "Path" in annotation.value)


def _named_kind(name: str) -> str | None:
    """"value" for a credential name, "holder" for a credentials object."""
    if _secret_name(name):
        return "value"
    words = name_words(name)
    return "holder" if words and words[-1] in _leak_words()["logged_holders"] else None


def _first(kinds) -> str | None:
    found = [k for k in kinds if k]
    for strongest in ("serialized", "value"):
        if strongest in found:
            return strongest
    return found[0] if found else None


def _elements(node: ast.AST) -> list[ast.AST]:
    return list(node.elts) if isinstance(node, ast.Tuple) else [node]


def _include_secure(call: ast.Call) -> bool:
    return any(
        kw.arg == "include_secure_params" and isinstance(kw.value, ast.Constant) and kw.value.value is True
        for kw in call.keywords
    )


def _own_statements(fn: ast.AST):
    """The statements of a function body at any depth, nested functions and classes
    left out (assignments and loops are statements: expressions need no visit)."""
    stack = list(fn.body)
    while stack:
        node = stack.pop()
        yield node
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            for child in getattr(node, field, ()):
                if not isinstance(child, (*_FUNCS, ast.ClassDef)):
                    stack.append(child)


def _secrets_here(ctx) -> _Secrets:
    """The judge of the current scope, built on first use: most functions hold no
    log, print or raise sink, and reading a body for secret names is the costly part."""
    judges = ctx.fact(_judges)
    fn = ctx.function
    found = judges.get(fn)
    if found is None:
        found = judges[fn] = _Secrets(ctx, fn)
    return found


def _judges(ctx) -> dict[ast.AST | None, _Secrets]:
    """Per file: the judge of each function (None: module and class level)."""
    return {}


def _module_labels(ctx) -> frozenset[str]:
    """``ENV_API_TOKEN = "API_TOKEN"``: a name a message may show, not a secret."""
    return frozenset(_literal_labels(ctx.tree.body))


# -- sinks -----------------------------------------------------------------------------


def _sink(ctx, call: ast.Call) -> str | None:
    """What a call writes to when it is a log, output or trace sink, else None."""
    func = call.func
    leaks = _leak_words()
    qual = ctx.qualname(func) or ""
    if qual in leaks["print_calls"] or (isinstance(func, ast.Name) and func.id == "print" and qual in ("", "print")):
        return qual or "print"
    if not isinstance(func, ast.Attribute):
        return None
    parts = dotted(func.value) or []
    receiver = parts[-1] if parts else ""
    is_logger = (
        qual.startswith(("logging.", "loguru.", "structlog."))
        or receiver in leaks["logger_names"]
        or receiver.lower().endswith("logger")
    )
    if func.attr in leaks["log_methods"] and is_logger:
        return "the log"
    if func.attr in leaks["trace_methods"] and ("span" in receiver.lower() or "trace" in receiver.lower()):
        return "a tracing span"
    return None


@check(CRED002, CRED003, nodes=(ast.Call,))
def logged_secret(ctx, node: ast.Call) -> None:
    where = _sink(ctx, node)
    if where is None:
        return
    judge = _secrets_here(ctx)
    for arg in [*node.args, *(kw.value for kw in node.keywords if kw.arg not in ("exc_info", "stack_info"))]:
        kind = judge.kind(arg)
        if kind:
            _report_leak(ctx, node, kind, where, arg)
            return


@check(CRED002, CRED003, nodes=(ast.Raise,))
def raised_secret(ctx, node: ast.Raise) -> None:
    exc = node.exc
    if not isinstance(exc, ast.Call):
        return
    judge = _secrets_here(ctx)
    for arg in exc.args:
        kind = judge.kind(arg)
        if kind:
            _report_leak(ctx, node, kind, "an exception message", arg)
            return


def _report_leak(ctx, node: ast.AST, kind: str, where: str, arg: ast.AST) -> None:
    shown = _describe(arg)
    if kind == "serialized":
        report(ctx, CRED003, node, f"serialized object with credentials ({shown}) written to {where}")
    elif kind == "holder":
        report(ctx, CRED002, node, f"credentials object {shown} written to {where}: its printed form "
               "can include the secrets it holds", evidence=("variant:holder",))
    else:
        report(ctx, CRED002, node, f"credential {shown} written to {where}")


def _describe(node: ast.AST) -> str:
    try:
        text = ast.unparse(node)
    except (ValueError, RecursionError):  # pragma: no cover - unparse of a parsed tree
        return "a value"
    return text if len(text) <= 60 else text[:57] + "..."


# -- serializer implementations (CRED003) -----------------------------------------------


@check(CRED003, nodes=(ast.ClassDef,))
def serializer_definitions(ctx, node: ast.ClassDef) -> None:
    if "include_secure_params" not in ctx.source and not any(
        isinstance(m, _FUNCS) and m.name in _leak_words()["serializer_defs"] for m in node.body
    ):
        return  # no flag to ignore, no serializer to leak through
    holds = _holds_secrets(node)
    for method in node.body:
        if isinstance(method, _FUNCS):
            found = _serializer_leak(method, holds)
            if found is not None:
                at, stmt, message = found
                report(ctx, CRED003, at, message, stmt=stmt, scope=(*ctx.scope, node.name, method.name))


def _holds_secrets(cls: ast.ClassDef) -> bool:
    """A connection class, or one with a credential or a connection/settings field."""
    if "connection" in cls.name.lower():
        return True
    holders = _leak_words()["holder_words"]
    for stmt in cls.body:
        target = stmt.target if isinstance(stmt, ast.AnnAssign) else None
        if isinstance(target, ast.Name) and (
            credential_kind(target.id, strict=True) or set(name_words(target.id)) & holders
        ):
            return True
    return False


def _serializer_leak(fn: ast.FunctionDef, holds: bool) -> tuple[ast.AST, ast.stmt, str] | None:
    """Where a method serializes credentials: (node, its statement, message). Ignoring
    the include_secure_params flag matters only in a class that holds secrets."""
    params = {a.arg: d for a, d in _params_with_defaults(fn.args)}
    if "include_secure_params" in params:
        default = params["include_secure_params"]
        if isinstance(default, ast.Constant) and default.value is True:
            return default, fn, f"{fn.name}() includes secure params unless told not to"
        if holds and not _uses_name(fn, "include_secure_params"):
            return fn, fn, f"{fn.name}() takes include_secure_params and ignores it"
    popped = _popped_flag(fn) if holds and "include_secure_params" not in params else None
    if popped is not None:
        return popped[0], popped[1], f"{fn.name}() pops include_secure_params and ignores it"
    if fn.name not in _leak_words()["serializer_defs"] or _mentions(fn, "include_secure_params"):
        return None
    for sub, stmt in _own_with_stmt(fn):
        shown = _self_secret(sub)
        if shown is not None:
            return shown, stmt, f"{fn.name}() returns {_describe(shown)} unmasked"
    return None


def _own_with_stmt(fn: ast.AST):
    """(node, innermost enclosing statement) for the nodes of a function body, in
    source order, nested functions and classes left out."""
    out = []
    stack = [(s, s) for s in reversed(fn.body)]
    while stack:
        node, stmt = stack.pop()
        out.append((node, stmt))
        children = [c for c in ast.iter_child_nodes(node) if not isinstance(c, (*_FUNCS, ast.ClassDef, ast.Lambda))]
        for child in reversed(children):
            stack.append((child, child if isinstance(child, ast.stmt) else stmt))
    return out


def _params_with_defaults(args: ast.arguments):
    positional = [*args.posonlyargs, *args.args]
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    yield from zip(positional, defaults, strict=True)
    yield from zip(args.kwonlyargs, args.kw_defaults, strict=True)


def _uses_name(fn: ast.AST, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load) for n in own_nodes(fn))


def _mentions(fn: ast.AST, name: str) -> bool:
    return any(
        (isinstance(n, ast.Name) and n.id == name) or string_value(n) == name or (isinstance(n, ast.keyword) and n.arg == name)
        for n in own_nodes(fn)
    )


def _popped_flag(fn: ast.AST) -> tuple[ast.AST, ast.stmt] | None:
    """``kwargs.pop("include_secure_params", ...)`` whose result is never used."""
    for node, _ in _own_with_stmt(fn):
        value, target = None, None
        if isinstance(node, ast.Expr):
            value = node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value, target = node.value, node.targets[0].id
        if (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Attribute)
            and value.func.attr == "pop"
            and value.args
            and string_value(value.args[0]) == "include_secure_params"
            and (target is None or target == "_" or not _uses_name(fn, target))
        ):
            return value, node
    return None


def _self_secret(node: ast.AST) -> ast.AST | None:
    """``self.api_key`` (or its unwrapped value) used as a value of a dict, a return or
    an f-string part inside a serializer."""
    values: list[ast.AST] = []
    if isinstance(node, ast.Dict):
        values = list(node.values)
    elif isinstance(node, (ast.Return, ast.FormattedValue)) and node.value is not None:
        values = [node.value]
    for v in values:
        if isinstance(v, ast.Call) and isinstance(v.func, ast.Attribute) and v.func.attr in ("get_secret_value", "__str__"):
            v = v.func.value
        parts = dotted(v) or []
        if len(parts) == 2 and parts[0] == "self" and credential_kind(parts[1], strict=True):
            return v
    return None


# -- SecretStr (CRED004) ---------------------------------------------------------------

def _pydantic_classes(ctx) -> set[str]:
    """Per file: the pydantic model classes seen so far (a base defined above)."""
    return set()


@check(CRED004, nodes=(ast.ClassDef,))
def secret_field_type(ctx, node: ast.ClassDef) -> None:
    known = ctx.fact(_pydantic_classes)
    if not _is_pydantic(ctx, node, known):
        return
    known.add(node.name)
    for stmt in node.body:
        if not isinstance(stmt, ast.AnnAssign) or not isinstance(stmt.target, ast.Name):
            continue
        name = stmt.target.id
        if credential_kind(name, strict=True) and _is_plain_str(stmt.annotation):
            message = f"secret field {name!r} of {node.name} is typed str"
            report(ctx, CRED004, stmt, message, stmt=stmt, scope=(*ctx.scope, node.name))


def _is_pydantic(ctx, node: ast.ClassDef, known: set[str]) -> bool:
    for base in node.bases:
        qual = ctx.qualname(base) or ""
        parts = dotted(base) or [""]
        if qual.startswith(("pydantic.", "pydantic_settings.")) or parts[-1] in known:
            return True
        if parts[-1].endswith(_PYDANTIC_BASE_SUFFIXES):
            return True
    # A model whose base is defined elsewhere: pydantic's own vocabulary in its body.
    for stmt in node.body:
        value = stmt.value if isinstance(stmt, (ast.Assign, ast.AnnAssign)) else None
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "model_config" for t in stmt.targets):
            return True
        if isinstance(value, ast.Call) and (dotted(value.func) or [""])[-1] == "Field":
            return True
    return False


def _is_plain_str(annotation: ast.AST) -> bool:
    if isinstance(annotation, ast.Name):
        return annotation.id == "str"
    if isinstance(annotation, ast.Constant):
        return annotation.value in ("str", "str | None", "Optional[str]")
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        sides = [annotation.left, annotation.right]
        return any(_is_plain_str(s) for s in sides) and all(
            _is_plain_str(s) or (isinstance(s, ast.Constant) and s.value is None) for s in sides
        )
    if isinstance(annotation, ast.Subscript) and (dotted(annotation.value) or [""])[-1] == "Optional":
        return _is_plain_str(annotation.slice)
    return False
