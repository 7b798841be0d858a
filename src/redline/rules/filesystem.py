"""Checklist area 7: file system."""

from __future__ import annotations

import ast
import stat
import weakref

from redline.knowledge.filesystem import filesystem
from redline.model import Area, Confidence, Severity
from redline.rules.common import argument, is_const, is_false, keyword, string_value
from redline.rules.registry import check, define

FS001 = define(
    "FS001",
    "path-traversal",
    "File path built from untrusted input (path traversal)",
    area=Area.FILESYSTEM,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=22,
    basis="data",
    # writing, deleting or extracting to a chosen path; an existence or metadata oracle
    impacts={"path-traversal-write": Severity.HIGH, "path-probe": Severity.LOW},
    what="""
A proven flow from an untrusted source into a file system path: `open`, `pathlib`,
`os`/`shutil` operations, `send_file`, archive extraction. Reading is MEDIUM;
writing, deleting or extracting is HIGH, and CRITICAL when the path comes from a
request to an HTTP route without authentication.
""",
    why="""
`../` sequences and absolute paths escape the intended directory: configuration and
key files are read, and written files can replace code or cron jobs. Agent file
tools given a model-chosen path are the usual carrier.
""",
    example="""
    from flask import Flask, request

    app = Flask(__name__)

    @app.route("/report")
    def report():
        with open("/srv/reports/" + request.args["name"]) as fh:
            return fh.read()
""",
    use_instead="""
    import os
    from flask import Flask, request

    app = Flask(__name__)

    @app.route("/report")
    def report():
        with open(os.path.join("/srv/reports", os.path.basename(request.args["name"]))) as fh:
            return fh.read()
""",
    recommendation=(
        "Resolve the path and check it stays under the intended base directory "
        "(Path(base, name).resolve().is_relative_to(base)), or map user choices to server-side names."
    ),
    references=("https://cwe.mitre.org/data/definitions/22.html",),
)

FS002 = define(
    "FS002",
    "archive-extraction-without-checks",
    "Archive extracted without checking its members (zip slip / tar slip)",
    area=Area.FILESYSTEM,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=22,
    # the danger is the archive's origin: without a proven flow (FS001 reports an
    # attacker-supplied archive at HIGH) an unfiltered extraction is a review item
    basis="data",
    impacts={"unpack": Severity.MEDIUM},
    what="""
`tarfile` `extractall`/`extract` without `filter="data"` or `filter="tar"` (or with
`filter="fully_trusted"`), and `shutil.unpack_archive` without a filter, in a function
that does not look at the members (`getmembers()` with a containment check, a
`members=` selection). `zipfile.extractall` is not reported: zipfile drops `..` and
absolute member names itself.
""",
    why="""
A tar member named `../../home/app/.ssh/authorized_keys`, an absolute path or a
symlink followed by a file written through it lands outside the target directory.
Uploaded datasets, downloaded model archives and plugin bundles are all archives an
attacker can shape. Before Python 3.14, tarfile applies no filter by default.
""",
    example="""
    import tarfile

    def unpack(upload_path, target):
        with tarfile.open(upload_path) as tar:
            tar.extractall(target)
""",
    use_instead="""
    import tarfile

    def unpack(upload_path, target):
        with tarfile.open(upload_path) as tar:
            tar.extractall(target, filter="data")
""",
    recommendation=(
        "Extract tar archives with filter=\"data\" (Python 3.12+, backported to 3.8.17+); "
        "otherwise check that every member's resolved path stays inside the target and "
        "reject links, devices and oversized members before extracting."
    ),
    references=(
        "https://docs.python.org/3/library/tarfile.html#extraction-filters",
        "https://cwe.mitre.org/data/definitions/22.html",
    ),
)

FS003 = define(
    "FS003",
    "unrestricted-file-upload",
    "Uploaded file saved or read without type or size validation",
    area=Area.FILESYSTEM,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=434,
    what="""
A Flask/Werkzeug upload (`request.files[...]`) saved with `.save()`, or a FastAPI /
Starlette `UploadFile` read whole with `.read()`, in a function that checks neither
its type (extension, content type, magic bytes) nor its size.
""",
    why="""
Unchecked uploads fill the disk or the memory of the worker (one request with a
multi-gigabyte body), and files of unexpected types are later served, parsed or
executed: HTML with scripts, archives, pickles, polyglot documents given to parsers
with known flaws.
""",
    example="""
    from fastapi import UploadFile

    async def save_upload(upload: UploadFile, dest: str) -> None:
        with open(dest, "wb") as fh:
            fh.write(await upload.read())
""",
    use_instead="""
    from fastapi import HTTPException, UploadFile

    ALLOWED_TYPES = {"application/pdf", "text/plain"}
    MAX_BYTES = 10 * 1024 * 1024

    async def save_upload(upload: UploadFile, dest: str) -> None:
        if upload.content_type not in ALLOWED_TYPES or (upload.size or 0) > MAX_BYTES:
            raise HTTPException(status_code=415)
        with open(dest, "wb") as fh:
            fh.write(await upload.read(MAX_BYTES))
""",
    recommendation=(
        "Check the extension and content type against an allowlist (and the magic bytes for "
        "files you parse), cap the size (MAX_CONTENT_LENGTH, UploadFile.size, read in bounded "
        "chunks), and store uploads under server-chosen names outside the web root."
    ),
    references=(
        "https://owasp.org/www-community/vulnerabilities/Unrestricted_File_Upload",
        "https://cwe.mitre.org/data/definitions/434.html",
    ),
)

FS004 = define(
    "FS004",
    "insecure-temp-file-name",
    "Temporary file name chosen with tempfile.mktemp",
    area=Area.FILESYSTEM,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=377,
    what="`tempfile.mktemp()` (and the old `os.tmpnam`/`os.tempnam`): a name, not a file.",
    why="""
Between choosing the name and opening it, another local user or process can create
that path (or a symlink with that name pointing at a file you can write), and your
code then writes into their file or through their link.
""",
    example="""
    import tempfile

    def scratch_path():
        return tempfile.mktemp(suffix=".json")
""",
    use_instead="""
    import tempfile

    def scratch_file():
        return tempfile.NamedTemporaryFile("w", suffix=".json")
""",
    recommendation=(
        "Create the file atomically with tempfile.NamedTemporaryFile, mkstemp or "
        "TemporaryDirectory, and pass the open file or its name along."
    ),
    references=(
        "https://docs.python.org/3/library/tempfile.html#tempfile.mktemp",
        "https://cwe.mitre.org/data/definitions/377.html",
    ),
)

FS005 = define(
    "FS005",
    "temp-file-not-removed",
    "Temporary file kept (delete=False / mkstemp) and never removed",
    area=Area.FILESYSTEM,
    severity=Severity.LOW,
    confidence=Confidence.MEDIUM,
    cwe=459,
    what="""
`NamedTemporaryFile(delete=False)` or `mkstemp()` in a function that neither removes
the file (`os.remove`, `os.unlink`, `Path.unlink`, `shutil.rmtree`) nor hands its name
to a caller or to an object that outlives the call.
""",
    why="""
Each call leaves a file behind in a shared directory: the disk fills slowly, and
whatever was written (documents, model inputs, intermediate results) stays readable
long after it was needed.
""",
    example="""
    import tempfile

    def convert(data: bytes) -> str:
        tmp = tempfile.NamedTemporaryFile(suffix=".pdf", delete=False)
        tmp.write(data)
        tmp.close()
        return run_converter(tmp.name)
""",
    use_instead="""
    import os
    import tempfile

    def convert(data: bytes) -> str:
        tmp = tempfile.NamedTemporaryFile(suffix=".pdf", delete=False)
        try:
            tmp.write(data)
            tmp.close()
            return run_converter(tmp.name)
        finally:
            os.remove(tmp.name)
""",
    recommendation=(
        "Remove the file in a finally block (or use TemporaryDirectory / delete=True), "
        "or return its name so that the caller owns the clean-up."
    ),
    references=("https://cwe.mitre.org/data/definitions/459.html",),
)

FS006 = define(
    "FS006",
    "world-writable-permissions",
    "File or directory made writable by every user",
    area=Area.FILESYSTEM,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    cwe=732,
    # a umask opens every later file; a mode asked for at creation is narrowed by the umask
    impacts={"umask": Severity.MEDIUM, "requested-mode": Severity.LOW},
    what="""
`os.chmod`, `os.fchmod`, `os.lchmod` and `Path.chmod` with a mode that has the
other-write bit (`0o777`, `0o666`, `stat.S_IWOTH`): HIGH. `os.umask(0)` and
other masks that leave the other-write bit on: MEDIUM. `os.makedirs`, `os.mkdir`,
`Path.mkdir` and `os.open` asking for such a mode: LOW, since the umask still applies.
""",
    why="""
Any local user or compromised service on the host can then replace the file:
swap an uploaded document, a cached model, a script the agent runs, or plant a
symlink. chmod ignores the umask, so the mode is exactly what was written.
""",
    example="""
    import os

    def publish(path):
        os.chmod(path, 0o777)
""",
    use_instead="""
    import os

    def publish(path):
        os.chmod(path, 0o640)
""",
    recommendation=(
        "Grant the least access that works (0o600/0o640 for files, 0o700/0o750 for "
        "directories) and share through a group instead of other-write bits."
    ),
    references=("https://cwe.mitre.org/data/definitions/732.html",),
)

FS007 = define(
    "FS007",
    "hardcoded-shared-tmp-path",
    "Hardcoded path in a shared temporary directory",
    area=Area.FILESYSTEM,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=377,
    what="""
A string constant naming a path under `/tmp`, `/var/tmp` or `/dev/shm`, used as a
path: assigned to a name that says path/dir/file/cache, given as a default of such
a parameter or keyword, or passed to a file function (`open`, `os.makedirs`,
`Path`, `shutil`...). `tempfile.gettempdir()` and `tempfile.mkdtemp()` are fine.
Lines in tests are reported at LOW.
""",
    why="""
Every user of the host can write to these directories. Another user can create the
path first (as a file, a directory they own or a symlink to your data), read what
you store there, or plant content you later load: pickles, caches, sockets.
""",
    example="""
    CACHE_ROOT = "/tmp/agent-cache"
""",
    use_instead="""
    import os
    import tempfile

    CACHE_ROOT = os.environ.get("AGENT_CACHE") or tempfile.mkdtemp(prefix="agent-cache-")
""",
    recommendation=(
        "Create private directories with tempfile.mkdtemp()/TemporaryDirectory() (mode 0o700), "
        "or use a per-user application directory (platformdirs, XDG_CACHE_HOME) set by configuration."
    ),
    references=("https://cwe.mitre.org/data/definitions/377.html",),
)

FS008 = define(
    "FS008",
    "sensitive-data-in-temp-file",
    "Prompts, conversations or credentials written to a kept temporary file",
    area=Area.FILESYSTEM,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=459,
    what="""
A temporary file that outlives its function (`NamedTemporaryFile(delete=False)`,
`mkstemp`, `mktemp`) and is not removed there, written with data whose names say
it is a prompt, transcript, message history or credential (or whose file prefix
says so). Reported on the line that creates the file.
""",
    why="""
Temporary directories are shared and rarely cleaned while a service runs. Prompts and
transcripts carry users' personal data and sometimes secrets pasted into a chat;
left in `/tmp` they are readable by other processes, end up in backups and core dumps,
and survive any retention policy.
""",
    example="""
    import tempfile

    def save_transcript(messages):
        fh = tempfile.NamedTemporaryFile("w", prefix="transcript-", delete=False)
        with fh:
            for message in messages:
                fh.write(message["content"])
        return fh.name
""",
    use_instead="""
    import os
    import tempfile

    def export_transcript(messages, send):
        with tempfile.NamedTemporaryFile("w", prefix="transcript-") as fh:
            for message in messages:
                fh.write(message["content"])
            fh.flush()
            send(fh.name)
""",
    recommendation=(
        "Keep conversations and credentials in memory or in a store with access control and "
        "retention; if a file is needed, create it in a private directory (0o700), delete it "
        "in a finally block, and never leave it for another process to pick up."
    ),
    references=("https://cwe.mitre.org/data/definitions/459.html",),
)


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


_FUNCTIONS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_REPORTED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
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
    """The function the current node is in (registered when the walk entered it)."""
    return _FUNCTIONS.get(ctx, {}).get(ctx.scope)


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


@check(*_ALL_FS, nodes=(ast.FunctionDef, ast.AsyncFunctionDef))
def enter_function(ctx, func: ast.FunctionDef) -> None:
    functions = _FUNCTIONS.setdefault(ctx, {})
    functions[(*ctx.scope, func.name)] = _Function(func)
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


def _report_tmp(ctx, node: ast.AST, text: str, where: str) -> None:
    seen = _REPORTED.setdefault(ctx, set())
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
