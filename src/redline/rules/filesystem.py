"""Checklist area 7: file system."""

from __future__ import annotations

import ast
import stat

from redline.knowledge.filesystem import filesystem
from redline.rules.catalog import rule
from redline.rules.common import argument, is_const, is_false, keyword, string_value
from redline.rules.registry import check

FS001 = rule("FS001")
FS002 = rule("FS002")
FS003 = rule("FS003")
FS004 = rule("FS004")
FS005 = rule("FS005")
FS006 = rule("FS006")
FS007 = rule("FS007")
FS008 = rule("FS008")


_K = filesystem()


# -- the function a call sits in -------------------------------------------------------------


class _Function:
    """A function the walk entered; what a check asks of its body is computed on demand."""

    __slots__ = ("node", "_identifiers")

    def __init__(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.node = node
        self._identifiers: frozenset[str] | None = None

    @property
    def identifiers(self) -> frozenset[str]:
        """Lower-case names, attributes and short string constants used in the body."""
        if self._identifiers is None:
            self._identifiers = _identifiers(self.node)
        return self._identifiers


_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def _body(func: ast.AST) -> list[ast.AST]:
    """The nodes of a function body, nested definitions excluded."""
    out: list[ast.AST] = []
    stack: list[ast.AST] = list(reversed(getattr(func, "body", [])))
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(reversed([c for c in ast.iter_child_nodes(node) if not isinstance(c, _NESTED)]))
    return out


def _enclosing(ctx) -> _Function | None:
    """The function the current node is in."""
    return ctx.function_fact(_Function)


def _identifiers(func: ast.AST) -> frozenset[str]:
    out = set()
    for node in _body(func):
        if isinstance(node, ast.Name):
            out.add(node.id.lower())
        elif isinstance(node, ast.Attribute):
            out.add(node.attr.lower())
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) < 40:
            out.add(node.value.lower())
    return frozenset(out)


_ALL_FS = (FS002, FS003, FS004, FS005, FS006, FS007, FS008)


@check(FS007, nodes=(ast.FunctionDef, ast.AsyncFunctionDef))
def tmp_defaults(ctx, func: ast.FunctionDef) -> None:
    _tmp_defaults(ctx, func)


def _tokens(name: str) -> set[str]:
    lower = name.lower()
    return {lower, *filter(None, lower.split("_"))}


# -- FS002: archives ---------------------------------------------------------------------------


@check(FS002, calls=_K.tar | _K.unpack)
def archive_extraction(ctx, node: ast.Call) -> None:
    name = ctx.qualname(node.func) or ""
    filt = keyword(node, "filter")
    if filt is not None:
        value = string_value(filt.value)
        if value is None and not is_const(filt.value, None):
            return  # a callable or a variable: a filter was chosen
        if value in _K.safe_filters:
            return
    if keyword(node, "members") is not None:
        return
    function = _enclosing(ctx)
    if function is not None and function.identifiers & _K.member_checks:
        return
    short = name.rsplit(".", 1)[-1]
    if name in _K.unpack:
        ctx.report(
            FS002,
            node,
            "shutil.unpack_archive() without filter=\"data\": tar members can escape the target directory",
            evidence=("variant:unpack",),
        )
    else:
        how = "filter='fully_trusted'" if filt is not None else "no filter= and no member check"
        ctx.report(FS002, node, f"tarfile {short}() with {how}: members can write outside the target (tar slip)")


# -- FS003: uploads ----------------------------------------------------------------------------


def _validated(ctx, function: _Function | None) -> bool:
    if function is None:
        return False
    ids = function.identifiers
    if ids & _K.validation:
        return True
    return any("allowed" in i or "valid" in i for i in ids)


@check(FS003, calls=_K.upload_read)
def upload_read_whole(ctx, node: ast.Call) -> None:
    if node.args or keyword(node, "size") is not None:
        return  # read(n): bounded
    if _validated(ctx, _enclosing(ctx)):
        return
    ctx.report(FS003, node, "uploaded file read whole with no size limit and no type check")


def _request_file_expr(ctx, node: ast.AST) -> bool:
    """``request.files["f"]``, ``request.files.get("f")``, ``request.files.getlist("f")[0]``."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute) and sub.attr == "files" and ctx.qualname(sub) in _K.request_files:
            return True
    return False


@check(FS003, nodes=(ast.Call,))
def upload_save(ctx, node: ast.Call) -> None:
    func = node.func
    if not (isinstance(func, ast.Attribute) and func.attr == "save"):
        return
    receiver = func.value
    qual = ctx.qualname(func)
    function = _enclosing(ctx)
    if qual not in _K.upload_save and not _request_file_expr(ctx, receiver):
        if not (isinstance(receiver, ast.Name) and function is not None and "files" in function.identifiers):
            return
        if not _bound_from_request_files(ctx, function, receiver.id):
            return
    if _validated(ctx, function) or "max_content_length" in "\n".join(ctx.lines).lower():
        return
    ctx.report(FS003, node, "uploaded file saved with no type check and no size limit")


def _bound_from_request_files(ctx, function: _Function, name: str) -> bool:
    for node in _body(function.node):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            if _request_file_expr(ctx, node.value):
                return True
        elif isinstance(node, (ast.For, ast.comprehension)):
            target = node.target
            if isinstance(target, ast.Name) and target.id == name and _request_file_expr(ctx, node.iter):
                return True
    return False


# -- FS004, FS005, FS008: temporary files ------------------------------------------------------


@check(FS004, calls=_K.mktemp)
def mktemp_call(ctx, node: ast.Call) -> None:
    ctx.report(FS004, node, f"{ctx.qualname(node.func)}() returns a name another process can take first")


@check(FS005, FS008, calls=_K.persistent | _K.mktemp)
def kept_temp_file(ctx, node: ast.Call) -> None:
    name = ctx.qualname(node.func) or ""
    if name.endswith("NamedTemporaryFile"):
        delete = keyword(node, "delete")
        if delete is None or not is_false(delete.value):
            return
    function = _enclosing(ctx)
    if function is None:
        return
    body = _body(function.node)
    bound = _bound_names(node, body)
    if _owned_by_object(node, body) or _removed(ctx, body, bound):
        return
    what = _sensitive(node, body, bound)
    if what:
        kept = "its name is handed to the caller" if _escapes(body, bound) else "nothing removes it"
        ctx.report(FS008, node, f"{what} is written to a temporary file that outlives the function ({kept})")
        return
    if name in _K.mktemp or _escapes(body, bound) or _own_directory(node):
        return
    ctx.report(FS005, node, f"{name.rsplit('.', 1)[-1]}() file is never removed and its name is not returned")


def _bound_names(call: ast.Call, body: list[ast.AST]) -> set[str]:
    names: set[str] = set()
    for node in body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            if any(sub is call for sub in ast.walk(node.value)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        elif isinstance(node, ast.withitem) and node.context_expr is call and node.optional_vars is not None:
            names |= {n.id for n in ast.walk(node.optional_vars) if isinstance(n, ast.Name)}
    # names derived from them: path = tmp.name, with os.fdopen(fd) as fh
    for node in body:
        if isinstance(node, ast.Assign) and _derived(node.value, names):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.withitem) and node.optional_vars is not None and _mentions(node.context_expr, names):
            names |= {n.id for n in ast.walk(node.optional_vars) if isinstance(n, ast.Name)}
    return names


def _is_name_of(node: ast.AST, names: set[str]) -> bool:
    """``tmp`` or ``tmp.name``."""
    if isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name) and node.id in names


def _derived(value: ast.AST, names: set[str]) -> bool:
    """The same file under another name: ``tmp.name``, ``to_bytes(path)``, ``cast(IO, f)``,
    not the result of a call that merely used it (``store.insert([CSV(tmp.name)])``)."""
    if _is_name_of(value, names):
        return True
    if isinstance(value, ast.Call):
        return any(_is_name_of(a, names) for a in (*value.args, *(k.value for k in value.keywords)))
    return False


def _own_directory(call: ast.Call) -> bool:
    """``dir=`` names the application's own directory (a work or cache directory it
    manages, or the destination of an atomic write), not the shared temp directory."""
    where = keyword(call, "dir")
    return where is not None and not is_const(where.value, None) and _shared_literal(where.value) is None


def _owned_by_object(call: ast.Call, body: list[ast.AST]) -> bool:
    """``self.file = NamedTemporaryFile(delete=False)``: the object cleans up later."""
    return any(
        isinstance(node, ast.Assign)
        and any(isinstance(t, (ast.Attribute, ast.Subscript)) for t in node.targets)
        and any(sub is call for sub in ast.walk(node.value))
        for node in body
    )


def _mentions(node: ast.AST, names: set[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node))


def _removed(ctx, body: list[ast.AST], bound: set[str]) -> bool:
    for node in body:
        if isinstance(node, ast.Attribute) and ctx.qualname(node) in _K.removers:
            return True  # execute(os.remove, (path,)), callbacks given the remover
        if not isinstance(node, ast.Call):
            continue
        qual = ctx.qualname(node.func) or ""
        short = (node.func.attr if isinstance(node.func, ast.Attribute) else qual).lower()
        if qual not in _K.removers and not any(word in short for word in _K.removers):
            continue
        if not bound or _mentions(node, bound):
            return True
    return False


def _escapes(body: list[ast.AST], bound: set[str]) -> bool:
    """The name goes back to the caller or into an object that outlives the call."""
    for node in body:
        if isinstance(node, ast.Return) and node.value is not None:
            if not bound or _returns_name(node.value, bound):
                return True
        elif isinstance(node, (ast.Yield, ast.YieldFrom)) and node.value is not None:
            if not bound or _mentions(node.value, bound):
                return True  # a generator hands the file to its caller
        elif (
            isinstance(node, ast.Assign)
            and bound
            and _mentions(node.value, bound)
            and any(isinstance(t, (ast.Attribute, ast.Subscript)) for t in node.targets)
        ):
            return True
    return False


_PATH_WRAPPERS = frozenset({"str", "Path", "fspath", "PurePath", "abspath", "realpath"})


def _returns_name(value: ast.AST, names: set[str]) -> bool:
    """The returned value is the name itself (``tmp.name``, ``(fd, path)``, ``Path(path)``),
    not the result of a call that used it."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name) and node.id in names:
            return True
        if isinstance(node, ast.Call):
            func = node.func
            short = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if short not in _PATH_WRAPPERS:
                continue
            stack.extend(node.args)
            continue
        stack.extend(ast.iter_child_nodes(node))
    return False


def _is_sensitive_name(name: str) -> bool:
    return bool(_tokens(name) & _K.sensitive)


def _sensitive(call: ast.Call, body: list[ast.AST], bound: set[str]) -> str | None:
    """What sensitive data goes into the file (for the message), or None."""
    for kw in call.keywords:
        text = string_value(kw.value) if kw.arg in ("prefix", "suffix") else None
        if text and any(_is_sensitive_name(p) for p in text.replace("-", "_").replace(".", "_").split("_")):
            return f"data of a file named {text!r}"
    for node in body:
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr in ("write", "writelines") and _mentions(node.func.value, bound):
            data = node.args
        elif node.func.attr in ("dump", "write") and any(_mentions(a, bound) for a in node.args[1:]):
            data = node.args[:1]
        else:
            continue
        for arg in data:
            for sub in ast.walk(arg):
                if isinstance(sub, ast.Name) and _is_sensitive_name(sub.id):
                    return repr(sub.id)
                if isinstance(sub, ast.Attribute) and _is_sensitive_name(sub.attr):
                    return repr(sub.attr)
    return None


# -- FS006: permissions ------------------------------------------------------------------------


def _mode_value(ctx, node: ast.AST | None) -> int | None:
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.BitOr, ast.Add, ast.BitAnd)):
        left, right = _mode_value(ctx, node.left), _mode_value(ctx, node.right)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.BitAnd):
            return left & right
        return left | right if isinstance(node.op, ast.BitOr) else left + right
    if isinstance(node, (ast.Name, ast.Attribute)):
        qual = ctx.qualname(node) or ""
        if qual.startswith("stat.S_"):
            value = getattr(stat, qual[5:], None)
            return value if isinstance(value, int) else None
    return None


@check(FS006, calls=set(_K.chmod) | set(_K.create) | set(_K.umask))
def permissions(ctx, node: ast.Call) -> None:
    name = ctx.qualname(node.func) or ""
    spec = _K.chmod.get(name) or _K.create.get(name) or _K.umask.get(name)
    if spec is None:
        return
    mode = _mode_value(ctx, argument(node, spec.position, spec.keyword))
    if mode is None:
        return
    if name in _K.umask:
        if not mode & stat.S_IWOTH and not _reads_umask(ctx, node):
            message = f"umask {oct(mode)} lets every file created later be writable by all users"
            ctx.report(FS006, node, message, evidence=("variant:umask",))
        return
    if not mode & stat.S_IWOTH:
        return
    if name == "os.open" and mode == 0o666:
        return  # the default mode of every new file (open() uses it too); the umask applies
    if name in _K.chmod:
        ctx.report(FS006, node, f"{name}() with mode {oct(mode)} makes the path writable by every user")
    else:
        message = f"{name}() asks for mode {oct(mode)} (other-write); only the umask narrows it"
        ctx.report(FS006, node, message, evidence=("variant:requested-mode",))


def _reads_umask(ctx, node: ast.Call) -> bool:
    """``old = os.umask(0); os.umask(old)``: the usual way to read the current mask."""
    stmt = ctx.stmt
    if not (isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is node):
        return False
    function = _enclosing(ctx)
    body = _body(function.node) if function is not None else []
    calls = [n for n in body if isinstance(n, ast.Call) and ctx.qualname(n.func) in _K.umask]
    return len(calls) >= 2


# -- FS007: hardcoded shared temporary paths ----------------------------------------------------


def _shared_literal(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.JoinedStr) and node.values:
        node = node.values[0]
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        node = node.left
    text = string_value(node)
    if text is None:
        return None
    for prefix in _K.shared_dirs:
        if text == prefix or text.startswith(prefix + "/"):
            return text
    return None


def _reported_tmp_lines(ctx) -> set[int]:
    return set()


def _report_tmp(ctx, node: ast.AST, text: str, where: str) -> None:
    seen = ctx.fact(_reported_tmp_lines)
    if node.lineno in seen:
        return
    seen.add(node.lineno)
    ctx.report(FS007, node, f"{text!r} {where} is in a directory every user can write")


@check(FS007, nodes=(ast.Assign, ast.AnnAssign))
def tmp_assignment(ctx, node: ast.Assign) -> None:
    text = _shared_literal(node.value)
    if text is None:
        return
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    for t in targets:
        name = t.id if isinstance(t, ast.Name) else t.attr if isinstance(t, ast.Attribute) else None
        if name and _tokens(name) & _K.path_words:
            _report_tmp(ctx, node.value, text, f"assigned to {name}")
            return


@check(FS007, nodes=(ast.keyword,))
def tmp_keyword(ctx, node: ast.keyword) -> None:
    if node.arg is None or not _tokens(node.arg) & _K.path_words:
        return
    text = _shared_literal(node.value)
    if text is not None:
        _report_tmp(ctx, node.value, text, f"given as {node.arg}=")


@check(FS007, calls=_K.path_calls)
def tmp_path_call(ctx, node: ast.Call) -> None:
    if not node.args or _listed(ctx, node):
        return
    text = _shared_literal(node.args[0])
    if text is not None:
        _report_tmp(ctx, node.args[0], text, f"passed to {ctx.qualname(node.func)}()")


def _listed(ctx, node: ast.Call) -> bool:
    """``DENIED = [Path("/etc"), Path("/tmp")]``: an entry of a list of paths (allow or
    deny lists), not a place where data is kept."""
    value = getattr(ctx.stmt, "value", None)
    if isinstance(value, (ast.List, ast.Tuple, ast.Set)):
        return any(e is node for e in value.elts)
    return False


def _tmp_defaults(ctx, func: ast.FunctionDef) -> None:
    if FS007.id not in ctx.settings.enabled:
        return
    args = func.args
    positional = [*args.posonlyargs, *args.args]
    pairs = list(zip(positional[len(positional) - len(args.defaults):], args.defaults, strict=False))
    pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=False) if d is not None]
    for arg, default in pairs:
        text = _shared_literal(default)
        if text is not None and _tokens(arg.arg) & _K.path_words:
            _report_tmp(ctx, default, text, f"as the default of {arg.arg}")
