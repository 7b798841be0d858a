"""Per-module flow graphs: the worker half of the taint analysis.

Each function (and the module body) is interpreted once, statement by statement,
tracking which *origins* each variable may carry: a source read in this module,
a parameter of the function, a ``self`` field, or the result of a call into the
project. Whenever tainted data reaches a *target* (a sink argument, the return
value, a field store, an argument of a project call) an edge origin -> target is
recorded with the steps in between. The result is plain JSON-able data, cached
with the file; redline.python.taint joins the graphs of all modules and searches
them from sources to sinks.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from redline.engine import PATH_TYPES, statement_span
from redline.knowledge.taint import CATEGORIES, SUPERSEDES, TaintKnowledge
from redline.knowledge.web import routes as web_routes
from redline.python.names import BUILTIN_NAMES
from redline.rules.common import writing_mode

MAX_STEPS = 12
# The origin of data the code does not show: a global or closure variable, the result
# of a library call, a file read. Never a source; it only decides whether a sink is
# provably fed by constants or sanitized values (then its pattern finding is dropped).
UNKNOWN = "?"
_UNKNOWN: dict = {UNKNOWN: ((), frozenset())}
# Categories whose pattern rules (EXEC001, INJ001, SER001...) a verdict can settle.
VERDICT_CATEGORIES = frozenset(c for c, rule in CATEGORIES.items() if rule in SUPERSEDES)
# Builtins whose result is not computed from their arguments alone.
_IMPURE_BUILTINS = frozenset(
    {"open", "input", "getattr", "vars", "globals", "locals", "__import__", "eval", "exec", "compile"}
)
Trace = tuple[tuple[tuple[int, str], ...], frozenset[str]]  # steps, sanitized categories
Taint = dict[str, Trace]

_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)
# Returned values that Flask does not send as an HTML body.
_NOT_HTML = (ast.Dict, ast.List, ast.Tuple, ast.Call, ast.Constant)
_ESCAPED = frozenset({"xss", "header-injection"})
# (method, module imports ldap3, module imports ldap) -> position of the filter argument
_LDAP_FILTER_ARG = {
    ("search", True, False): 1,
    ("search", True, True): 1,
    ("search_s", False, True): 2,
    ("search_s", True, True): 2,
    ("search_st", False, True): 2,
    ("search_ext_s", False, True): 2,
    ("search", False, True): 2,
}
_SHELLS = frozenset({"sh", "bash", "zsh", "dash", "/bin/sh", "/bin/bash", "cmd", "cmd.exe", "powershell", "pwsh"})
_SUBPROCESS_CALLS = frozenset(
    f"subprocess.{n}" for n in ("run", "call", "check_call", "check_output", "Popen")
)
_PROMPT_TEMPLATES = frozenset({"PromptTemplate", "FewShotPromptTemplate", "from_template"})
_TEMPLATE = frozenset({"template-injection"})
_GRAPH_SESSIONS = frozenset({"session", "neo4j_session", "graph_session", "tx", "transaction"})
# Programs whose arguments turn into options or commands when they start with "-" or
# name a helper protocol (git ext::, ssh -oProxyCommand, tar --to-command...).
_OPTION_PROGRAMS = frozenset(
    {"git", "ssh", "scp", "rsync", "curl", "wget", "tar", "zip", "unzip", "find", "xargs", "hg", "svn", "sendmail", "psql", "mysql"}
)
_YAML_LOADS = frozenset({"yaml.load", "yaml.load_all"})
_UNSAFE_YAML_LOADERS = frozenset(
    f"yaml.{p}{n}" for p in ("", "loader.", "cyaml.") for n in ("Loader", "UnsafeLoader", "FullLoader", "CLoader", "CUnsafeLoader", "CFullLoader")
)
_DBAPI_EXECUTE = frozenset({"execute", "executemany", "executescript"})
_MUTATORS = frozenset({"append", "extend", "insert", "add", "update", "setdefault", "appendleft", "write", "writelines"})
# Methods whose result is built from their arguments as well as from the object.
BUILDERS = frozenset(
    {
        "format", "format_map", "join", "replace", "append", "extend", "insert", "add",
        "update", "copy", "encode", "decode", "strip", "lstrip", "rstrip", "split", "rsplit",
        "lower", "upper", "__add__", "__mod__", "substitute", "safe_substitute", "render",
    }
)
_CLEAN_EXPRS = (ast.Compare, ast.Constant, ast.Lambda)
_NO = object()
MITIGATED = frozenset({"~mitigated"})  # a trace marker: validated by a denylist-style check
_LEN = "#len"  # consts key suffix: the length of a list whose items are followed
_PREFIXED = "#prefixed"  # consts key suffix: the value starts with text fixed in the code
_PATH_JOINS = frozenset({"os.path.join", "posixpath.join", "ntpath.join"})
_PATH_WRAPPERS = frozenset({"pathlib.Path", "str", "os.path.abspath", "os.path.normpath", "os.fspath", "pathlib.PurePath"})
_CALLS = "#calls"  # consts key suffix: the functions a name may hold (from a dispatch table)
_COMMON = "#common"  # consts key suffix: the names a commonpath() result was computed from
_COMMONPATH = frozenset({"os.path.commonpath", "posixpath.commonpath"})
_JOINED = "#joined"  # env key suffix: the taint appended to a path held by the name


@dataclass
class FlowGraph:
    sources: dict[str, dict] = field(default_factory=dict)  # id -> {kind, line, desc}
    sinks: dict[str, dict] = field(default_factory=dict)  # id -> {category, line, col, ...}
    edges: list[list] = field(default_factory=list)  # [from, to, steps, clean]
    sites: dict[str, dict] = field(default_factory=dict)  # call id -> {callee, line, method}
    functions: dict[str, dict] = field(default_factory=dict)  # qual -> {params, cls, line}
    # Sink calls whose data is provably constant or sanitized here: "line:col:category".
    safe: dict[str, bool] = field(default_factory=dict)
    # Functions registered as tools by a call (FunctionTool(self.read)): qual -> [kind, line, wrapper]
    tools: dict[str, list] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "sources": self.sources,
            "sinks": self.sinks,
            "edges": self.edges,
            "sites": self.sites,
            "functions": self.functions,
            "safe": self.safe_sites(),
            "tools": self.tools,
        }

    def safe_sites(self) -> list[list]:
        """[line, col, category] of sink calls proven safe in this module alone (a sink
        with data of any origin is registered and decided by the whole-project search)."""
        registered = {(s["line"], s["col"]) for s in self.sinks.values()}
        out = []
        for key, ok in self.safe.items():
            line, col, category = key.split(":", 2)
            if ok and (int(line), int(col)) not in registered:
                out.append([int(line), int(col), category])
        return sorted(out)


def _union(*taints: Taint) -> Taint:
    out: Taint = {}
    for t in taints:
        for origin, trace in t.items():
            if origin not in out or len(trace[0]) < len(out[origin][0]):
                out[origin] = trace
    return out


def _step(t: Taint, line: int, text: str) -> Taint:
    if not t:
        return t
    out = {}
    for origin, (steps, clean) in t.items():
        if origin == UNKNOWN or (steps and steps[-1][0] == line):
            out[origin] = (steps, clean)
        elif len(steps) >= MAX_STEPS:
            out[origin] = (steps[:2] + steps[-(MAX_STEPS - 3) :] + ((line, text),), clean)
        else:
            out[origin] = (steps + ((line, text),), clean)
    return out


_FIXED_HOST = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#@{}\s]+[/?#]")


def _fixed_host(node: ast.AST) -> bool:
    """A URL built from text that starts with a literal scheme://host/ (an f-string or a
    concatenation): whatever follows cannot change the host (no "@" in the literal part,
    so no user-info trick either)."""
    while isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        node = node.left  # "https://host/" + x, "https://host/%s" % x
    if isinstance(node, ast.JoinedStr):
        node = node.values[0] if node.values else None
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and bool(_FIXED_HOST.match(node.value))


def _clean(t: Taint, categories: frozenset[str]) -> Taint:
    return {o: (s, c | categories) for o, (s, c) in t.items()}


class FlowBuilder:
    def __init__(self, ctx, kb: TaintKnowledge, module: str, project_roots: frozenset[str]) -> None:
        self.ctx = ctx
        self.kb = kb
        self.module = module
        self.path = ctx.path
        self.roots = project_roots
        self.graph = FlowGraph()
        self._edge_keys: set[tuple[str, str]] = set()
        self.func: str = ""
        self.cls: str | None = None
        self._loop_depth = 0
        self.html_view = False
        self.consts: dict[str, int | str] = {}  # names bound to literals in this function
        self.shell_lists: set[str] = set()  # list variables whose first item is a shell
        self.bases: tuple[str, ...] = ()  # resolved direct bases of the current class
        self.known_names: frozenset[str] = frozenset()  # functions, classes, literal globals
        self.opt_in: str | None = None  # the opt-in flag checked by the current class or function
        self.opt_in_possible = False
        self.path_helper = False  # a function named for paths, or returning a Path
        self.func_node: ast.AST | None = None  # the function being read (the module at top level)
        self.fixed_path = False  # a Flask view whose route rules have no <variables>
        self.tables: dict[str, tuple[str, ...]] = {}  # module dicts of functions -> their qualnames
        self.enums: frozenset[str] = frozenset()  # enumeration classes of the module
        self.dead = False  # reading code under a condition fixed to false
        self.mappings: frozenset[str] = frozenset()  # module-level dicts of constants, never changed
        self.return_sizes: set[int] = set()  # tuple sizes the current function returns (-1: other)

    # -- entry points --------------------------------------------------------------------
    def build(self, tree: ast.Module) -> FlowGraph:
        self.known_names = _known_names(tree)
        self.mappings = _constant_mappings(tree, self.known_names)
        self.enums = self._enum_classes(tree)
        self.tables = _dispatch_tables(tree, self.module)
        lowered = self.ctx.source.lower()
        self.opt_in_possible = any(m in lowered for m in _OPT_IN_MARKERS)
        self._function(tree, (), None, "<module>")
        return self.graph

    def _enum_classes(self, tree: ast.Module) -> frozenset[str]:
        """Classes of this module derived from an enumeration base (Enum, IntEnum...)."""
        found: set[str] = set()
        if "Enum" not in self.ctx.source and "Flag" not in self.ctx.source:
            return frozenset()  # no enumeration base named anywhere (the walk is costly)
        classes = [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
        changed = True
        while changed:
            changed = False
            for cls in classes:
                if cls.name in found:
                    continue
                for base in cls.bases:
                    qual = self.ctx.qualname(base)
                    if qual in self.kb.scalar_bases or (isinstance(base, ast.Name) and base.id in found):
                        found.add(cls.name)
                        changed = True
                        break
        return frozenset(found)

    def _function(self, node: ast.AST, scope: tuple[str, ...], cls: str | None, name: str) -> None:
        qual = ".".join((self.module, *scope, name)) if name != "<module>" else f"{self.module}.<module>"
        saved = (
            self.func, self.cls, self.ctx.scope, self.html_view, self.consts, self.shell_lists, self.opt_in,
            self.path_helper, self.func_node, self.fixed_path,
        )
        self.func, self.cls, self.html_view, self.consts, self.shell_lists = qual, cls, False, {}, set()
        self.func_node, self.fixed_path = node, False
        self.path_helper = isinstance(node, _FUNCS) and (
            "path" in name.lower() or (node.returns is not None and self.ctx.qualname(node.returns) in PATH_TYPES)
        )
        if isinstance(node, _FUNCS) and self.opt_in_possible:
            self.opt_in = _opt_in_flag(node) or self.opt_in
        inner_scope = (*scope, name) if name != "<module>" else ()
        self.ctx.scope = inner_scope
        env: dict[str, Taint] = {}
        body: list[ast.stmt]
        if isinstance(node, _FUNCS):
            params = _param_names(node.args)
            decorators = [self._decorator_name(d) for d in node.decorator_list]
            self.graph.functions[qual] = {
                "params": params,
                "cls": f"{self.module}.{'.'.join(scope)}" if cls else None,
                "line": node.lineno,
                "decorators": [d for d in decorators if d],
            }
            kind = next((k for d in decorators if d and (k := self.kb.decorator_source(d))), None)
            # A Flask view's returned string is the HTML body of the response.
            self.html_view = any(d and d.startswith("flask.") for d in decorators) or (
                "flask" in self._imported_roots and any(_decorator_attr(d) == "route" for d in node.decorator_list)
            )
            # Routed only by literal rules ("/reports/daily"): request.path is one of them.
            route_methods = web_routes().methods
            routes = [d for d in node.decorator_list if _decorator_attr(d) in route_methods]
            self.fixed_path = self.html_view and bool(routes) and all(_literal_rule(d) for d in routes)
            validates = _validated_params(node, params)
            if validates:
                self.graph.functions[qual]["validates"] = validates
            # Annotations convert and validate parameters (FastAPI, tool schemas); Flask
            # passes its route variables as text whatever the annotation says.
            typed = {} if self.html_view else self._typed_params(node.args)
            if typed:
                self.graph.functions[qual]["typed"] = {
                    p: "*" if cats >= _ALL_CATEGORIES else sorted(cats) for p, cats in typed.items()
                }
            for p in params:
                origin = f"param:{qual}:{p}"
                clean: frozenset[str] = frozenset()
                if kind is not None and p not in ("self", "cls"):
                    # the framework converts the request's text to the annotated type first
                    clean = typed.get(p, frozenset())
                    if clean >= _ALL_CATEGORIES:  # an int, a UUID, a Literal: no text at all
                        env[p.lstrip("*")] = {}
                        continue
                    origin = self._source(node, kind, f"parameter {p!r} of {name}()", key=f":{p}")
                env[p.lstrip("*")] = {origin: ((), clean)}
            body = node.body
        else:
            body = node.body  # the module
        outer_sizes, self.return_sizes = self.return_sizes, set()
        self._block(body, env, scope=inner_scope)
        sizes = self.return_sizes
        if isinstance(node, _FUNCS) and len(sizes) == 1 and -1 not in sizes:
            self.graph.functions[qual]["tuple"] = next(iter(sizes))  # sql, params = build()
        self.return_sizes = outer_sizes
        (
            self.func, self.cls, self.ctx.scope, self.html_view, self.consts, self.shell_lists, self.opt_in,
            self.path_helper, self.func_node, self.fixed_path,
        ) = saved

    @property
    def _imported_roots(self) -> set[str]:
        roots = self.__dict__.get("_roots_cache")
        if roots is None:
            roots = self.__dict__["_roots_cache"] = {
                v.split(".", 1)[0] for v in self.ctx.imports.aliases.values()
            }
        return roots

    def _runs_shell(self, argv: ast.AST) -> bool:
        """["sh", "-c", cmd], or a list that had a shell appended: its command is shell code."""
        if isinstance(argv, (ast.List, ast.Tuple)):
            first = argv.elts[0] if argv.elts else None
            return isinstance(first, ast.Constant) and first.value in _SHELLS
        return isinstance(argv, ast.Name) and argv.id in self.shell_lists

    def _fold_condition(self, node: ast.AST) -> bool | None:
        """The value of a condition built only from literals and names bound to literals
        (``if False:``, ``if 0:``, ``if TYPE_CHECKING:``: code that never runs)."""
        consts = self.consts
        for sub in ast.walk(node):
            if isinstance(sub, (ast.Name, ast.Attribute)) and self.ctx.qualname(sub) in _NEVER_AT_RUNTIME:
                consts = {**consts, _dotted_text(sub): 0}
        try:
            return bool(_fold(node, consts, 0))
        except _NotConstant:
            return None

    def _fold_match(self, node) -> ast.AST | None:
        """The case that runs when the subject is a constant and the patterns are
        literals (or a final wildcard); None when that cannot be decided."""
        try:
            subject = _fold(node.subject, self.consts, 0)
        except _NotConstant:
            return None
        for case in node.cases:
            if case.guard is not None:
                return None
            verdict = _literal_match(case.pattern, subject)
            if verdict is None:
                return None
            if verdict:
                return case
        return None

    def _typed_params(self, args: ast.arguments) -> dict[str, frozenset[str]]:
        """Parameters whose annotation (or constraining default) rules out categories:
        ``n: int``, ``kind: Literal["a", "b"]``, ``id: UUID | None``,
        ``name: str = Query(pattern="^[a-z]+$")``."""
        out: dict[str, frozenset[str]] = {}
        positional = [*args.posonlyargs, *args.args]
        defaults: dict[str, ast.AST] = dict(zip((a.arg for a in positional[len(positional) - len(args.defaults) :]), args.defaults, strict=True))
        defaults.update((a.arg, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None)
        for a in (*positional, *args.kwonlyargs):
            clean = self._annotation_clean(a.annotation, 0) if a.annotation is not None else frozenset()
            default = defaults.get(a.arg)
            if isinstance(default, ast.Call):
                clean |= self._constraint_clean(default)
            if clean:
                out[a.arg] = clean
        return out

    def _annotation_clean(self, node: ast.AST, depth: int) -> frozenset[str]:
        """The categories a value of this annotation cannot carry (all: no text at all)."""
        kb = self.kb
        if depth > 8:
            return frozenset()
        if isinstance(node, ast.Constant):
            return _ALL_CATEGORIES if node.value is None or node.value is Ellipsis else frozenset()
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):  # int | None
            return self._annotation_clean(node.left, depth + 1) & self._annotation_clean(node.right, depth + 1)
        if isinstance(node, ast.Call):
            qual = self.ctx.qualname(node.func)
            if qual in kb.scalar_types:  # conint(ge=1)
                return _ALL_CATEGORIES
            return self._constraint_clean(node)
        if isinstance(node, ast.Subscript):
            base = self.ctx.qualname(node.value)
            if base in kb.scalar_types:  # Literal["a", "b"]
                return _ALL_CATEGORIES
            if base not in kb.type_wrappers:
                return frozenset()
            items = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
            if base.endswith("Annotated"):  # Annotated[str, StringConstraints(pattern=...)]
                clean = self._annotation_clean(items[0], depth + 1)
                for meta in items[1:]:
                    if isinstance(meta, ast.Call):
                        clean |= self._constraint_clean(meta)
                return clean
            clean = _ALL_CATEGORIES
            for item in items:
                clean &= self._annotation_clean(item, depth + 1)
            return clean
        if isinstance(node, (ast.Name, ast.Attribute)):
            qual = self.ctx.qualname(node)
            if qual in kb.scalar_types or (isinstance(node, ast.Name) and node.id in self.enums):
                return _ALL_CATEGORIES
        return frozenset()

    def _constraint_clean(self, call: ast.Call) -> frozenset[str]:
        """constr(pattern=...), Query(regex=...): what the pattern rules out."""
        if self.ctx.qualname(call.func) not in self.kb.constraints:
            return frozenset()
        for kw in call.keywords:
            if kw.arg in ("pattern", "regex") and isinstance(kw.value, ast.Constant):
                return _regex_guards(kw.value.value, "search") or frozenset()
        return frozenset()

    def _decorator_name(self, node: ast.AST) -> str | None:
        target = node.func if isinstance(node, ast.Call) else node
        return self.ctx.qualname(target)

    # -- statements ----------------------------------------------------------------------
    def _block(self, body: list[ast.stmt], env: dict[str, Taint], scope: tuple[str, ...]) -> None:
        for stmt in body:
            self._stmt(stmt, env, scope)

    def _stmt(self, node: ast.stmt, env: dict[str, Taint], scope: tuple[str, ...]) -> None:
        self.ctx.stmt = node
        if isinstance(node, _FUNCS):
            self._function(node, scope, self.cls if scope and self._in_class(scope) else None, node.name)
            self.ctx.scope = scope
            env[node.name] = {}  # a function holds no data
        elif isinstance(node, ast.ClassDef):
            saved, saved_bases, saved_opt_in = self.cls, self.bases, self.opt_in
            self.cls = node.name
            if self.opt_in_possible:
                self.opt_in = _opt_in_flag(node) or self.opt_in
            self.bases = tuple(b for b in (self.ctx.qualname(base) for base in node.bases) if b)
            inner = (*scope, node.name)
            for stmt in node.body:
                if isinstance(stmt, _FUNCS):
                    self._function(stmt, inner, node.name, stmt.name)
                    self.ctx.scope = scope
                elif isinstance(stmt, ast.ClassDef):
                    self._stmt(stmt, {}, inner)
            self.cls, self.bases, self.opt_in = saved, saved_bases, saved_opt_in
        elif isinstance(node, ast.Assign):
            value = self.expr(node.value, env)
            for target in node.targets:
                self._assign(target, value, env, node.lineno, node.value)
        elif isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self._assign(node.target, self.expr(node.value, env), env, node.lineno, node.value)
        elif isinstance(node, ast.AugAssign):
            value = self.expr(node.value, env)
            current = self.expr(node.target, env) if isinstance(node.target, ast.Name) else {}
            self._assign(node.target, _union(current, value), env, node.lineno, None)
        elif isinstance(node, ast.Return):
            value_node = node.value
            if isinstance(value_node, ast.Tuple) and not any(isinstance(e, ast.Starred) for e in value_node.elts):
                self.return_sizes.add(len(value_node.elts))
            else:
                self.return_sizes.add(-1)
            if node.value is not None:
                value = self.expr(node.value, env)
                self._flow(value, f"ret:{self.func}", node.lineno, "returned")
                if isinstance(node.value, ast.Tuple) and self.func in self.graph.functions:
                    # return SQL, params: each item flows back on its own (sql, params = f())
                    for i, element in enumerate(node.value.elts):
                        self._flow(self.expr(element, env), f"ret:{self.func}#{i}", node.lineno, "returned")
                joined = self._joined_part(node.value, env) if self.path_helper else {}
                if joined:
                    # a helper that hands back root / name unchecked: every caller opens it
                    self._sink(node.value, "path-traversal", "return", joined, "a file path returned by a path helper (no containment check)")
                body = _response_body(node.value)  # (body, status, headers): the body is the page
                if self.html_view and not isinstance(body, _NOT_HTML):
                    if body is not node.value:
                        value = self.expr(body, env)
                    self._sink(node.value, "xss", "return", value, "the HTML response of a Flask view")
        elif isinstance(node, ast.Expr):
            sites = len(self.graph.sites)
            value = self.expr(node.value, env)
            call = node.value.value if isinstance(node.value, ast.Await) else node.value
            if isinstance(call, ast.Call) and len(self.graph.sites) > sites and not self.dead:
                self._checked_arguments(call, env)
            if isinstance(node.value, (ast.Yield, ast.YieldFrom)):
                self._flow(value, f"ret:{self.func}", node.lineno, "yielded")
            for name in _validated_names(node.value):
                # validate_code(code): a check that raises, by name only. It lowers what
                # follows to LOW (a denylist is a mitigation, not a sanitizer).
                if env.get(name):
                    env[name] = _clean(env[name], MITIGATED)
        elif isinstance(node, (ast.If, ast.While)):
            self.expr(node.test, env)
            decided = self._fold_condition(node.test) if isinstance(node, ast.If) else None
            if decided is not None:  # a condition fixed in the code: only one branch runs
                self._dead(node.orelse if decided else node.body, env, scope)
                self._block(node.body if decided else node.orelse, env, scope)
                return
            # if theme not in THEMES: theme = "auto" -> afterwards, checked or replaced
            fallback = _guarded_names(node, fallback=True) if isinstance(node, ast.If) else []
            self._branches(
                env, [node.body, node.orelse], scope, loop=isinstance(node, ast.While), prepare={1: fallback}
            )
            if isinstance(node, ast.If):
                self._format_rejected(node, env)
                for name in self._contained_names(node):
                    env[name] = _clean(env.get(name, {}), _PATH_CATEGORIES)
                    if name + _JOINED in env:
                        env[name + _JOINED] = _clean(env[name + _JOINED], _PATH_CATEGORIES)
                for name, categories in _guarded_names(node):
                    # validated: execution only goes on when the check passed
                    checked = env.get(name, {})
                    env[name] = _clean(checked, categories) if categories is not None else {}
                    if name + _JOINED in env:
                        joined = env[name + _JOINED]
                        env[name + _JOINED] = _clean(joined, categories) if categories is not None else {}
                    if categories is _URL_CATEGORIES and checked:
                        _vouch(env, checked, categories)  # url = urlparse(target): target too
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            iterable = self.expr(node.iter, env)
            self._assign(node.target, iterable, env, node.lineno, None)
            self._branches(env, [node.body, node.orelse], scope, loop=True)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                value = self.expr(item.context_expr, env)
                if item.optional_vars is not None:
                    self._assign(item.optional_vars, value, env, node.lineno, None)
            self._block(node.body, env, scope)
        elif isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            self._branches(
                env,
                [node.body + node.orelse, *(h.body for h in node.handlers)],
                scope,
            )
            self._block(node.finalbody, env, scope)
        elif type(node).__name__ == "Match":
            subject = self.expr(node.subject, env)
            chosen = self._fold_match(node)
            if chosen is not None:  # match on a value fixed in the code: one case runs
                self._block(chosen.body, env, scope)
                return
            for case in node.cases:
                for sub in ast.walk(case.pattern):
                    name = getattr(sub, "name", None)
                    if isinstance(name, str):
                        env[name] = subject
            self._branches(env, [c.body for c in node.cases] + [[]], scope)
        else:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.expr):
                    self.expr(child, env)

    def _checked_arguments(self, call: ast.Call, env) -> None:
        """``check_name(name)`` as a statement, a call into the project: if the callee
        raises unless its parameter passes a check, ``name`` is checked from here on.
        The callee is known only when the graphs are joined, so ``name`` now flows
        through a node that the linker marks with what the callee's checks rule out."""
        site = f"call:{self.path}:{call.lineno}:{call.col_offset}:{call.end_lineno}:{call.end_col_offset}"
        info = self.graph.sites.get(site)
        if info is None:
            return
        keys = [(str(i), a.id) for i, a in enumerate(call.args) if isinstance(a, ast.Name)]
        keys += [(k.arg, k.value.id) for k in call.keywords if k.arg and isinstance(k.value, ast.Name)]
        checked = []
        for key, name in keys:
            taint = env.get(name)
            if not taint:
                continue
            node = f"chk:{site}:{key}"
            self._flow(taint, node, call.lineno, f"checked by {info['callee'].removeprefix('*.')}()")
            env[name] = {node: ((), frozenset())}
            checked.append(key)
        if checked:
            info["checked"] = checked

    def _dead(self, body: list[ast.stmt], env, scope) -> None:
        """Code that never runs: its sink calls are proven safe (their pattern findings
        go) and it records no flow."""
        if not body or self.dead:
            return
        self.dead = True
        saved = self.consts
        try:
            self._block(body, dict(env), scope)
        finally:
            self.dead, self.consts = False, saved

    def _argument_injection(self, node: ast.Call, qual: str, argv: ast.List | ast.Tuple, env) -> None:
        """["git", "clone", url]: an untrusted item of a program that takes options
        anywhere can be an option (--upload-pack=...), unless "--" comes before it."""
        program = argv.elts[0] if argv.elts else None
        if not (isinstance(program, ast.Constant) and isinstance(program.value, str)):
            return
        name = program.value.rpartition("/")[2]
        if name not in _OPTION_PROGRAMS:
            return
        for item in argv.elts[1:]:
            if isinstance(item, ast.Constant):
                if item.value == "--":
                    return
                continue
            if isinstance(item, ast.Starred):
                item = item.value
            if self._fixed_start(item, env):
                continue  # os.path.join(root, name), f"https://{host}": cannot start with "-"
            taint = self.expr(item, env)
            if taint:
                self._sink(item, "command-injection", qual, taint, f"an argument of {name} (option injection)")

    def _fixed_start(self, node: ast.AST, env) -> bool:
        """Whether a value begins with text fixed in the code (not an option dash)."""
        if isinstance(node, ast.Name):
            return node.id + _PREFIXED in self.consts
        if isinstance(node, ast.JoinedStr):
            first = node.values[0] if node.values else None
            return isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value[:1] not in ("", "-")
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = node.left
            return (isinstance(left, ast.Constant) and isinstance(left.value, str) and left.value[:1] not in ("", "-")) or self._fixed_start(left, env)
        if isinstance(node, ast.Call) and node.args and self.ctx.qualname(node.func) in _PATH_JOINS:
            first = node.args[0]  # a directory from configuration or the code
            return set(self.expr(first, env)) <= {UNKNOWN} or self._fixed_start(first, env)
        return False

    def _prompt_template(self, node: ast.Call, qual: str, args, kwargs) -> None:
        """PromptTemplate(**config) / (template=t, template_format=fmt): jinja2 templates
        run code when rendered, so a template from data is injection unless the format
        is fixed in the code to f-string or mustache."""
        fmt = next((k.value for k in node.keywords if k.arg == "template_format"), None)
        if isinstance(fmt, ast.Constant) and fmt.value in ("f-string", "mustache"):
            return
        if "**" in kwargs:  # the format comes with the data
            tainted = kwargs["**"]
        elif fmt is not None:
            tainted = _union(kwargs.get("template", {}), args[0] if args else {})
        else:
            return  # the default format is f-string
        if tainted:
            self._sink(node, "template-injection", qual, tainted, f"{qual.rpartition('.')[2]}() with a template format from data")

    def _format_rejected(self, node: ast.If, env) -> None:
        """``if template_format == "jinja2": raise``: data the format was read from can no
        longer carry a jinja2 template."""
        body, test = node.body, node.test
        if node.orelse or not body or not isinstance(body[-1], ast.Raise) or not isinstance(test, ast.Compare):
            return
        literals = [c for c in (test.left, *test.comparators) if isinstance(c, (ast.Constant, ast.Tuple, ast.List, ast.Set))]
        values = {e.value for c in literals for e in ([c] if isinstance(c, ast.Constant) else c.elts) if isinstance(e, ast.Constant)}
        if "jinja2" not in values:
            return
        checked = _union(*(self.expr(c, env) for c in (test.left, *test.comparators) if c not in literals))
        _vouch(env, checked, _TEMPLATE)

    def _contained_names(self, node: ast.If) -> list[str]:
        """``if os.path.commonpath([root, full]) != root: raise``: full stays inside root."""
        body = node.body
        test = node.test
        if node.orelse or not body or not isinstance(body[-1], (ast.Raise, ast.Return)):
            return []
        if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.NotEq)):
            return []
        for side in (test.left, test.comparators[0]):
            if isinstance(side, ast.Name) and side.id + _COMMON in self.consts:
                return list(self.consts[side.id + _COMMON])
            if isinstance(side, ast.Call) and self.ctx.qualname(side.func) in _COMMONPATH and side.args:
                items = side.args[0]
                if isinstance(items, (ast.List, ast.Tuple)):
                    return [e.id for e in items.elts if isinstance(e, ast.Name)]
        return []

    def _joined_part(self, node: ast.AST, env) -> Taint:
        """The taint of what was appended to a path (root / name, os.path.join(root,
        name), root.joinpath(name)) in the value returned, through Path(...)/str(...)."""
        if isinstance(node, ast.Name):
            return env.get(node.id + _JOINED, {})
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            return self.expr(node.right, env)
        if isinstance(node, ast.Call):
            qual = self.ctx.qualname(node.func) or ""
            if qual in _PATH_JOINS or (isinstance(node.func, ast.Attribute) and node.func.attr == "joinpath"):
                return _union(*(self.expr(a, env) for a in node.args[1 if qual in _PATH_JOINS else 0 :]))
            if len(node.args) == 1 and qual in _PATH_WRAPPERS:
                return self._joined_part(node.args[0], env)
        return {}

    def _list_method(self, node: ast.Call, name: str, args: list[Taint], env) -> tuple[bool, Taint]:
        """append/pop/insert on a list whose items are known one by one."""
        n = self.consts[name + _LEN]
        method = node.func.attr
        index = None
        if node.args and isinstance(node.args[0], ast.Constant) and type(node.args[0].value) is int:
            index = node.args[0].value
        if node.keywords:
            pass
        elif method == "append" and len(args) == 1:
            env[f"{name}[{n}]"] = args[0]
            env[name] = _union(env.get(name, {}), _step(args[0], node.lineno, f"stored in {name}"))
            self.consts[name + _LEN] = n + 1
            return True, {}
        elif method == "pop" and (not node.args or index is not None) and n:
            i = (n - 1 if index is None else index) % n if (index is None or -n <= index < n) else None
            if i is not None:
                taken = env.pop(f"{name}[{i}]", {})
                for j in range(i + 1, n):
                    env[f"{name}[{j - 1}]"] = env.pop(f"{name}[{j}]", {})
                self.consts[name + _LEN] = n - 1
                return True, taken
        elif method == "insert" and len(args) == 2 and index is not None and 0 <= index <= n:
            for j in range(n - 1, index - 1, -1):
                env[f"{name}[{j + 1}]"] = env.pop(f"{name}[{j}]", {})
            env[f"{name}[{index}]"] = args[1]
            env[name] = _union(env.get(name, {}), _step(args[1], node.lineno, f"stored in {name}"))
            self.consts[name + _LEN] = n + 1
            return True, {}
        self._forget_list(name, env)
        return False, {}

    def _forget_list(self, name: str, env) -> None:
        self.consts.pop(name + _LEN, None)
        _forget_items(env, name)

    def _in_class(self, scope: tuple[str, ...]) -> bool:
        return self.cls is not None and scope and scope[-1] == self.cls

    def _branches(self, env, bodies, scope, loop: bool = False, prepare: dict | None = None) -> None:
        """``prepare``: body index -> [(name, categories)] the name is checked for when
        that body starts (the path on which a check passed)."""
        # A loop body runs twice so that values carried around the loop are seen;
        # nested loops run once past depth 2, keeping the cost linear.
        passes = 2 if loop and self._loop_depth < 2 else 1
        self._loop_depth += loop
        results = []
        before = self.consts
        agreed: dict | None = None
        lengths = {k for k in before if k.endswith(_LEN)}
        for i, body in enumerate(bodies):
            branch = dict(env)
            for name, categories in (prepare or {}).get(i, ()):
                if name in branch:
                    branch[name] = _clean(branch[name], categories) if categories is not None else {}
            self.consts = dict(before)
            for _ in range(passes):
                self._block(body, branch, scope)
            results.append(branch)
            # a name is a known literal after the branches only if it is in every branch
            lengths.update(k for k in self.consts if k.endswith(_LEN))
            agreed = self.consts if agreed is None else {k: v for k, v in agreed.items() if self.consts.get(k, _NO) == v}
        self.consts = agreed if agreed is not None else before
        if loop:  # the body may not run at all
            self.consts = {k: v for k, v in self.consts.items() if before.get(k, _NO) == v}
        self._loop_depth -= loop
        merged: dict[str, Taint] = {}
        for branch in results:
            for name, t in branch.items():
                merged[name] = _union(merged.get(name, {}), t)
        env.clear()
        env.update(merged)
        for key in lengths - set(self.consts):  # branches disagree on a list's length
            _forget_items(env, key[: -len(_LEN)])

    def _assign(self, target, value: Taint, env, line: int, value_node) -> None:
        if isinstance(target, ast.Name):
            name = target.id
            prefix = name + "["
            for stale in [k for k in env if k.startswith(prefix)]:
                del env[stale]
            env[name] = _step(value, line, f"assigned to {name}")
            self.consts.pop(name, None)
            self.consts.pop(name + _LEN, None)
            self.consts.pop(name + _PREFIXED, None)
            env.pop(name + _JOINED, None)
            self.consts.pop(name + _COMMON, None)
            self.consts.pop(name + _CALLS, None)
            table = _table_read(value_node)
            if table in self.tables:  # loader = LOADERS[kind]: one of the table's functions
                self.consts[name + _CALLS] = self.tables[table]
            if value_node is not None:
                joined = self._joined_part(value_node, env) if self.path_helper else {}
                if joined:
                    env[name + _JOINED] = joined
                if (
                    isinstance(value_node, ast.Call)
                    and self.ctx.qualname(value_node.func) in _COMMONPATH
                    and value_node.args
                    and isinstance(value_node.args[0], (ast.List, ast.Tuple))
                ):  # common = os.path.commonpath([root, full]): a containment check follows
                    self.consts[name + _COMMON] = tuple(e.id for e in value_node.args[0].elts if isinstance(e, ast.Name))
            if value_node is not None and self._fixed_start(value_node, env):
                self.consts[name + _PREFIXED] = True
            if isinstance(value_node, ast.List) and not any(isinstance(e, ast.Starred) for e in value_node.elts):
                # a list built here: its items are followed one by one (append, pop, [i])
                self.consts[name + _LEN] = len(value_node.elts)
                for i, element in enumerate(value_node.elts):
                    env[f"{name}[{i}]"] = self.expr(element, env)
            if isinstance(value_node, ast.Constant) and isinstance(value_node.value, (int, str)):
                self.consts[name] = value_node.value
            elif isinstance(value_node, (ast.BinOp, ast.Subscript)) and not value:
                try:  # num = 7 * 6; guess = "ABC"[1]
                    folded = _fold(value_node, self.consts, 0)
                except _NotConstant:
                    pass
                else:
                    if isinstance(folded, (int, str)) and not isinstance(folded, bool):
                        self.consts[name] = folded
            elif isinstance(value_node, ast.Dict):
                for k, v in zip(value_node.keys, value_node.values, strict=True):
                    key = _item_key(name, k) if k is not None else None
                    if key is not None:
                        env[key] = self.expr(v, env)
        elif isinstance(target, (ast.Tuple, ast.List)):
            elements = value_node.elts if isinstance(value_node, (ast.Tuple, ast.List)) else None
            call = value_node.value if isinstance(value_node, ast.Await) else value_node
            site = None
            if isinstance(call, ast.Call) and not any(isinstance(e, ast.Starred) for e in target.elts):
                site = f"call:{self.path}:{call.lineno}:{call.col_offset}:{call.end_lineno}:{call.end_col_offset}"
                if site in value and site in self.graph.sites:
                    # sql, params = build(): each name gets its item of what build() returns
                    self.graph.sites[site]["unpack"] = len(target.elts)
                else:
                    site = None
            for i, element in enumerate(target.elts):
                part = value
                if elements is not None and len(elements) == len(target.elts):
                    part = self.expr(elements[i], env)
                elif site is not None:
                    part = {**{o: t for o, t in value.items() if o != site}, f"{site}#{i}": value[site]}
                self._assign(element, part, env, line, None)
        elif isinstance(target, ast.Starred):
            self._assign(target.value, value, env, line, None)
        elif isinstance(target, ast.Attribute):
            base = target.value
            if isinstance(base, ast.Name) and base.id == "self" and self.cls is not None:
                self._flow(value, self._field(target.attr), line, f"stored in self.{target.attr}")
                env[f"self.{target.attr}"] = _step(value, line, f"stored in self.{target.attr}")
            elif isinstance(base, ast.Name) and value:
                env[base.id] = _union(env.get(base.id, {}), _step(value, line, f"stored in {base.id}"))
        elif isinstance(target, ast.Subscript):
            base = target.value
            qual = self.ctx.qualname(base)
            specs = self.kb.sinks.get(f"{qual}.__setitem__", ()) if qual is not None else ()
            if specs:
                # obj[key] = value is obj.__setitem__(key, value): a sink when listed so
                # (session["user"] = ..., response.headers["X"] = ...).
                key_taint = self.expr(target.slice, env) if any(0 in spec.args for spec in specs) else {}
                for spec in specs:
                    tainted = _union(value if 1 in spec.args else {}, key_taint if 0 in spec.args else {})
                    if tainted:
                        self._sink(target, spec.category, qual, tainted, f"{qual}[...]")
            if isinstance(base, ast.Name):
                key = _item_key(base.id, target.slice)
                if key is not None:  # m["a"] = x: remembered per key, strong update
                    env[key] = _step(value, line, f"stored in {key}")
                if value:
                    env[base.id] = _union(env.get(base.id, {}), _step(value, line, f"stored in {base.id}[...]"))

    def _field(self, attr: str) -> str:
        scope = self.func.rsplit(".", 1)[0]  # module.Class
        return f"field:{scope}:{attr}"

    # -- graph building --------------------------------------------------------------------
    def _source(self, node: ast.AST, kind: str, desc: str, key: str = "") -> str:
        line, col = getattr(node, "lineno", 0), getattr(node, "col_offset", 0)
        origin = f"src:{self.path}:{line}:{col}{key}"
        self.graph.sources.setdefault(origin, {"kind": kind, "line": line, "desc": desc})
        return origin

    def _flow(self, taint: Taint, target: str, line: int, text: str) -> None:
        if self.dead:
            return
        for origin, (steps, clean) in taint.items():
            key = (origin, target)
            if key in self._edge_keys:
                continue
            self._edge_keys.add(key)
            if origin == UNKNOWN:
                self.graph.edges.append([origin, target, [], sorted(clean)])
                continue
            path = list(steps)
            if not path or path[-1][0] != line:
                path.append((line, text))
            self.graph.edges.append([origin, target, [list(s) for s in path], sorted(clean)])

    def _sink(self, node: ast.AST, category: str, callee: str, taint: Taint, what: str) -> None:
        line = node.lineno
        if self.dead:
            taint = {}
        if category in VERDICT_CATEGORIES:
            key = f"{line}:{node.col_offset}:{category}"
            safe = all(category in clean for _, clean in taint.values())
            self.graph.safe[key] = self.graph.safe.get(key, True) and safe
        if not taint:
            return
        stmt = self.ctx.stmt
        sink_id = f"sink:{self.path}:{line}:{node.col_offset}:{category}"
        if sink_id not in self.graph.sinks:
            start, end = statement_span(stmt) if stmt is not None else (line, line)
            self.graph.sinks[sink_id] = {
                "category": category,
                "rule": CATEGORIES[category],
                "line": line,
                "col": node.col_offset,
                "end_line": node.end_lineno or line,
                "end_col": node.end_col_offset,
                "callee": callee,
                "what": what,
                "scope": ".".join(self.ctx.scope) or "<module>",
                "stmt": [start, end],
            }
            if self.opt_in:
                self.graph.sinks[sink_id]["mitigation"] = f"the caller must opt in with {self.opt_in}"
        self._flow(taint, sink_id, line, f"reaches {what}")

    # -- expressions -----------------------------------------------------------------------
    def expr(self, node: ast.AST | None, env: dict[str, Taint]) -> Taint:
        if node is None or isinstance(node, _CLEAN_EXPRS):
            return {}
        if isinstance(node, ast.Name):
            found = env.get(node.id)
            if found is not None:
                return found
            qual = self.ctx.imports.aliases.get(node.id)
            if qual is not None:
                kind = self.kb.attribute_source(qual) or self.kb.object_source(qual)
                if kind is not None:
                    return {self._source(node, kind, qual): ((), frozenset())}
                return _UNKNOWN
            if node.id in self.known_names or node.id in BUILTIN_NAMES or node.id in self.mappings:
                return {}
            return _UNKNOWN  # a global or closure variable: whatever it holds
        if isinstance(node, ast.Attribute):
            return self._attribute(node, env)
        if isinstance(node, ast.Call):
            return self._call(node, env)
        if isinstance(node, ast.Subscript):
            self.expr(node.slice, env)
            if isinstance(node.value, ast.Name):
                key = _item_key(node.value.id, node.slice)
                if key is not None and key in env:
                    return env[key]
            return self.expr(node.value, env)
        if isinstance(node, ast.Dict):
            return self._dict(node, env)
        if isinstance(node, ast.NamedExpr):
            value = self.expr(node.value, env)
            self._assign(node.target, value, env, node.lineno, None)
            return value
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            inner = dict(env)
            for gen in node.generators:
                self._assign(gen.target, self.expr(gen.iter, inner), inner, node.lineno, None)
                for cond in gen.ifs:
                    self.expr(cond, inner)
            if isinstance(node, ast.DictComp):
                return _union(self.expr(node.key, inner), self.expr(node.value, inner))
            return self.expr(node.elt, inner)
        if isinstance(node, ast.IfExp):
            self.expr(node.test, env)
            decided = self._fold_condition(node.test)
            if decided is not None:  # "x" if 7 * 18 + num > 200 else param
                return self.expr(node.body if decided else node.orelse, env)
            return _union(self.expr(node.body, env), self.expr(node.orelse, env))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            self.expr(node.operand, env)
            return {}
        parts = [self.expr(child, env) for child in ast.iter_child_nodes(node) if isinstance(child, ast.expr)]
        if parts and isinstance(node, (ast.JoinedStr, ast.BinOp)) and (
            _fixed_host(node) or self._chosen_base(node, env)
        ):
            # f"https://api.example.com/v1/{item}", f"{self.base_url}/items/{item}": the
            # data is a path or a query on a host the code chose, not where the request goes
            return _clean(_union(*parts), _URL_CATEGORIES)
        return _union(*parts) if parts else {}

    def _chosen_base(self, node: ast.AST, env) -> bool:
        """``f"{self.base_url}/items/{item}"``, ``base + "/items/" + item``: a first part
        no source reaches (configuration, a constant), then literal text that starts a
        path or a query: the request goes where the code's own base says."""
        if isinstance(node, ast.JoinedStr):
            values = node.values
            head = values[0].value if values and isinstance(values[0], ast.FormattedValue) else None
            rest = values[1] if len(values) > 1 else None
        else:
            operands = []
            while isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
                operands.append(node.right)
                node = node.left
            operands.append(node)
            operands.reverse()
            head, rest = (operands[0], operands[1]) if len(operands) > 1 else (None, None)
            if isinstance(head, ast.Constant):
                return False  # a literal head is _fixed_host's to judge
        # path or query text after the base ("/items/", "exposed/" after a base ending in
        # "/"); never "://" or ":port" or "user@", which would leave the host open
        if head is None or not (
            isinstance(rest, ast.Constant)
            and isinstance(rest.value, str)
            and rest.value.strip()
            and not any(c in rest.value for c in ":@")
        ):
            return False
        # configuration: a constant or a field set elsewhere (self.base_url), not a
        # parameter or a source of this function. Only names and attributes: reading them
        # again registers nothing (a call would be a second call site).
        if not isinstance(head, (ast.Name, ast.Attribute)):
            return False
        return all(o == UNKNOWN or o.startswith("field:") for o in self.expr(head, env))

    def _attribute(self, node: ast.Attribute, env) -> Taint:
        base = node.value
        if isinstance(base, ast.Name) and base.id == "self" and self.cls is not None:
            for parent in self.bases:  # self.path in a BaseHTTPRequestHandler subclass
                kind = self.kb.attribute_source(f"{parent}.{node.attr}")
                if kind is not None:
                    return {self._source(node, kind, f"{parent}.{node.attr}"): ((), frozenset())}
            local = env.get(f"self.{node.attr}", {})
            return _union(local, {self._field(node.attr): ((), frozenset())})
        qual = self.ctx.qualname(node)
        if qual is not None:
            if self.fixed_path and qual in _ROUTED_PATHS:
                return {}  # the view runs only for its literal rule: the path is that constant
            kind = self.kb.attribute_source(qual)
            if kind is not None:
                return {self._source(node, kind, qual): ((), frozenset())}
            if self.kb.object_source(qual.rpartition(".")[0]) is not None:
                # an attribute of a request object or module that is not among its listed
                # sources: sys.executable, request.scope["root_path"], request.app.state
                # are the process's and the server's own values, not the caller's data
                self.expr(base, env)
                return _UNKNOWN
        return self.expr(base, env)

    def _dict(self, node: ast.Dict, env) -> Taint:
        values = {}
        role = None
        for key, value in zip(node.keys, node.values, strict=True):
            t = self.expr(value, env)
            if key is None:
                values["**"] = t
                continue
            self.expr(key, env)
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                values[key.value] = t
                if key.value == "role" and isinstance(value, ast.Constant):
                    role = value.value
        if role == "system" and values.get("content"):
            self._sink(node, "prompt-injection", "dict", values["content"], "a system message")
        return _union(*values.values()) if values else {}

    def _call(self, node: ast.Call, env) -> Taint:
        func = node.func
        receiver: Taint = {}
        if isinstance(func, ast.Attribute):
            receiver = self.expr(func.value, env)
            if receiver is _UNKNOWN and self.ctx.qualname(func.value) is not None:
                receiver = {}  # base64.b64decode(x), helpers.utils.escape(x): a module is no data
        qual = self.ctx.qualname(func)
        if qual is not None and qual in self.kb.tool_wrappers:
            self._register_tool(node, qual)
        if self.fixed_path and qual is not None and qual.rpartition(".")[0] in _ROUTED_PATHS:
            return {}  # request.path.split("/") in a view with a literal rule: constant text
        args = [
            self.expr(_response_body(a) if i == 0 and qual in _RESPONSE_MAKERS else a, env)
            for i, a in enumerate(a.value if isinstance(a, ast.Starred) else a for a in node.args)
        ]
        kwargs = {kw.arg or "**": self.expr(kw.value, env) for kw in node.keywords}
        if isinstance(func, ast.Name) and func.id + _CALLS in self.consts:
            return self._site(node, "any:" + "|".join(self.consts[func.id + _CALLS]), False, {}, args, kwargs)
        method_call = False
        if (
            qual is None
            and isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in ("self", "cls")
            and self.cls is not None
        ):
            qual = f"{self.func.rsplit('.', 1)[0]}.{func.attr}"
            method_call = True
        everything = _union(receiver, *args, *kwargs.values())
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "get"
            and isinstance(func.value, ast.Name)
            and func.value.id in self.mappings
            and func.value.id not in env
        ):
            # MODES.get(name, "default"): one of the mapping's constants, or the default
            return _union(*args[1:2], kwargs.get("default", {}))
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and node.args:
            holder = func.value.id
            if func.attr == "get":
                # conf.get("section", "option") after conf.set("section", "option", v)
                key = _path_key(holder, node.args) if len(node.args) > 1 else None
                if key is not None and key in env:
                    return env[key]
                key = _item_key(holder, node.args[0])
                if key is not None and key in env:
                    return _union(env[key], *args[1:2])
                if key is not None and holder in env and (qual is None or qual.split(".", 1)[0] in self.roots):
                    # config.get("format", "f-string") on a value of the project: a mapping read
                    return _union(receiver, *args[1:2])
            elif func.attr == "set" and len(node.args) > 1 and not node.keywords:
                key = _path_key(holder, node.args[:-1])
                if key is not None:  # a keyed store: remembered per key, strong update
                    env[key] = _step(args[-1], node.lineno, f"stored in {holder}")
                    if args[-1]:
                        env[holder] = _union(env.get(holder, {}), env[key])
        if (
            isinstance(func, ast.Attribute)
            and func.attr in ("append", "insert")
            and isinstance(func.value, ast.Name)
            and any(isinstance(a, ast.Constant) and a.value in _SHELLS for a in node.args)
        ):
            self.shell_lists.add(func.value.id)  # argv.append("sh"): the list runs a shell
        for a in node.args:  # a list handed to a call may be changed there
            if isinstance(a, ast.Name) and a.id + _LEN in self.consts:
                self._forget_list(a.id, env)
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id + _LEN in self.consts:
            handled, result = self._list_method(node, func.value.id, args, env)
            if handled:
                return result
        if isinstance(func, ast.Attribute) and func.attr in _MUTATORS and (args or kwargs):
            added = _union(*args, *kwargs.values())
            if added:  # items.append(x): the container now holds x
                self._assign(func.value, _union(receiver, added), env, node.lineno, None)
        if isinstance(func, ast.Attribute) and func.attr in _DBAPI_EXECUTE and args and not self.kb.sinks.get(qual or ""):
            # DB-API: any cursor's execute() runs its first argument as SQL, whoever made
            # the connection (cur = get_connection().cursor(); cur.execute(sql)).
            receiver_name = (qual or "").rpartition(".")[0]
            head = func.value.id if isinstance(func.value, ast.Name) else ""
            if receiver_name.endswith(".cursor") or head in ("cursor", "cur"):
                self._sink(node, "sql-injection", qual or func.attr, args[0], f"{func.attr}()")
        if (
            isinstance(func, ast.Attribute)
            and func.attr in ("run", "execute_query")
            and args
            and not self.kb.sinks.get(qual or "")
            and (
                (qual or "").rpartition(".")[0].endswith((".session", ".begin_transaction"))
                or (isinstance(func.value, ast.Name) and func.value.id in _GRAPH_SESSIONS)
            )
        ):
            # Neo4j: a session made elsewhere runs its first argument as Cypher
            # (with driver.session() as session: session.run(query)).
            self._sink(node, "cypher-injection", qual or func.attr, args[0], f"{func.attr}() of a graph session")
        if isinstance(func, ast.Attribute) and not self.kb.sinks.get(qual or ""):
            # LDAP searches on a connection made elsewhere: ldap3's search(base, filter),
            # python-ldap's search_s(base, scope, filter).
            position = _LDAP_FILTER_ARG.get((func.attr, "ldap3" in self._imported_roots, "ldap" in self._imported_roots))
            if position is not None and len(args) > position:
                self._sink(node, "ldap-injection", qual or func.attr, args[position], f"{func.attr}()")
        if isinstance(func, ast.Attribute) and func.attr == "replace" and len(node.args) >= 2:
            removed, inserted = _const_str(node.args[0]), _const_str(node.args[1])
            if removed in ("'", '"') and inserted is not None and removed not in inserted:
                # s.replace("'", "&apos;"): the value can no longer close a quoted literal
                return _clean(everything, _QUOTE_CATEGORIES)
        if qual is None:
            # A method of some value we cannot type. Its result carries the value's taint;
            # arguments count only for methods that build their result from them
            # (str.format, "".join, replace...): a getter's key does not taint what it reads.
            if isinstance(func, ast.Attribute) and (
                func.attr in BUILDERS or isinstance(func.value, (ast.Constant, ast.JoinedStr))
            ):
                return everything
            if isinstance(func, ast.Attribute) and not func.attr.startswith("__") and _carries(args, kwargs):
                # Perhaps a project method (thing.do(x) on an object made elsewhere):
                # resolved by name when the graphs are joined.
                return _union(receiver, self._site(node, f"*.{func.attr}", True, receiver, args, kwargs))
            return receiver
        kb = self.kb
        if qual.startswith(("langchain", "langchain_core")) and qual.rpartition(".")[2] in _PROMPT_TEMPLATES:
            self._prompt_template(node, qual, args, kwargs)
        if qual in _YAML_LOADS and node.args:
            loader = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "Loader"), None)
            if loader is not None and self.ctx.qualname(loader) in _UNSAFE_YAML_LOADERS:
                self._sink(node, "deserialization", qual, args[0], f"{qual}() with an object-constructing Loader")
        if qual in _SUBPROCESS_CALLS and node.args and isinstance(node.args[0], (ast.List, ast.Tuple)):
            self._argument_injection(node, qual, node.args[0], env)
        if qual in _SUBPROCESS_CALLS and node.args and self._runs_shell(node.args[0]):
            self._sink(node, "command-injection", qual, args[0], f"{qual}() through a shell (-c)")
        specs = kb.sinks.get(qual)
        if specs:
            for spec in specs:
                self._check_sink(node, qual, spec, receiver, args, kwargs)
        if method_call:  # self.send_header(...) inherited from a library base class
            for parent in self.bases:
                inherited = f"{parent}.{func.attr}"
                for spec in kb.sinks.get(inherited, ()):
                    self._check_sink(node, inherited, spec, receiver, args, kwargs)
        cats = kb.sanitizers.get(qual)
        if cats is None:  # quote_identifier(name), self._quote_ident(table)
            cats = kb.sanitizer_names.get(qual.rpartition(".")[2].lstrip("_").lower())
        if cats is not None:
            return _clean(everything, cats) if cats else {}
        if qual in kb.receiver_only or self._chained_on_statement(qual):
            # sql.SQL(template).format(value): the values are quoted as literals
            return _step(receiver, node.lineno, f"through {qual}()")
        if "escape" in qual.rpartition(".")[2].lower():  # escape_html(), escape_for_html()...
            return _clean(everything, _ESCAPED)
        if qual in kb.non_propagating:
            return {}
        selected = kb.selected_args.get(qual)
        if selected is not None:  # urllib.request.Request(url, data=body): the URL only
            positions, names = selected
            chosen = [args[i] for i in positions if i < len(args)] + [kwargs[n] for n in names if n in kwargs]
            return _step(_union(*chosen), node.lineno, f"through {qual}()") if chosen else {}
        if qual in kb.pure:  # base64.b64decode(x): only what x holds
            return _step(everything, node.lineno, f"through {qual}()")
        kind = kb.source_calls.get(qual)
        if kind is not None:
            origin = {self._source(node, kind, f"{qual}()"): ((), frozenset())}
            if kind == "file":  # yaml.safe_load(request.body), ZipFile(upload).namelist(): the
                # document (argument) or archive (receiver) carries its own origin as well
                carried = _union(receiver, args[0]) if args else receiver
                if carried:
                    return _union(origin, _step(carried, node.lineno, f"read by {qual}()"))
            return origin
        top = qual.split(".", 1)[0]
        if qual in BUILTIN_NAMES and qual not in _IMPURE_BUILTINS:
            return _step(everything, node.lineno, f"through {qual}()")
        if not method_call and (top not in self.roots or qual in BUILTIN_NAMES):
            # a library call: its result carries its arguments, and data of its own
            return _step(_union(everything, _UNKNOWN), node.lineno, f"through {qual}()")
        head = func
        while isinstance(head, ast.Attribute):
            head = head.value
        on_object = method_call or (
            isinstance(func, ast.Attribute)
            and isinstance(head, ast.Name)
            and (head.id == "self" or self.ctx.variable_type(head.id) is not None)
        )
        return self._site(node, qual, on_object, receiver if isinstance(func, ast.Attribute) else {}, args, kwargs)

    def _chained_on_statement(self, qual: str) -> bool:
        """``update(table).where(...).values(data)``: a method chained on a statement
        builder binds its arguments as parameters."""
        statements = self.kb.statements
        if not statements:
            return False
        owner = qual.rpartition(".")[0]
        while owner:
            if owner in statements:
                return True
            owner = owner.rpartition(".")[0]
        return False

    def _site(self, node: ast.Call, qual: str, on_object: bool, receiver, args, kwargs) -> Taint:
        """A call into the project, resolved when the graphs are joined.
        Nested calls can start at the same place (Job(x).start()): the end tells them apart."""
        site = f"call:{self.path}:{node.lineno}:{node.col_offset}:{node.end_lineno}:{node.end_col_offset}"
        self.graph.sites[site] = {"callee": qual, "line": node.lineno, "method": on_object}
        shown = qual.removeprefix("*.")
        if receiver:
            self._flow(receiver, f"arg:{site}:self", node.lineno, f"receiver of {shown}()")
        for i, t in enumerate(args):
            self._flow(t, f"arg:{site}:{i}", node.lineno, f"passed to {shown}()")
        for name, t in kwargs.items():
            self._flow(t, f"arg:{site}:{name}", node.lineno, f"passed to {shown}({name}=)")
        return {site: (((node.lineno, f"returned by {shown}()"),), frozenset())}

    def _register_tool(self, node: ast.Call, wrapper: str) -> None:
        """``FunctionTool(self.read_file)``, ``StructuredTool.from_function(func=search)``:
        the function given is offered to a model, which chooses its arguments."""
        target = node.args[0] if node.args else next(
            (kw.value for kw in node.keywords if kw.arg in _TOOL_FUNCTION_KEYWORDS), None
        )
        qual = None
        if (
            isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id == "self"
            and self.cls is not None
        ):
            qual = f"{self.func.rsplit('.', 1)[0]}.{target.attr}"
        elif isinstance(target, ast.Name):
            qual = f"{self.module}.{target.id}" if target.id in self.known_names else self.ctx.qualname(target)
        if qual is not None:
            self.graph.tools.setdefault(qual, [self.kb.tool_wrappers[wrapper], node.lineno, wrapper])

    def _function_text(self) -> str:
        return _source_of(self.ctx, self.func_node)

    def _check_sink(self, node: ast.Call, qual: str, spec, receiver, args, kwargs) -> None:
        if spec.enabled_by is not None and not spec.enabled_by.search(self._function_text()):
            return  # a parser safe by default, and this function never turns the feature on
        if spec.requires_kwarg is not None:
            kw = next((k for k in node.keywords if k.arg == spec.requires_kwarg), None)
            if kw is None or (isinstance(kw.value, ast.Constant) and kw.value.value in (False, None, 0)):
                return
        for name, literal in spec.unless_kwarg:
            kw = next((k for k in node.keywords if k.arg == name), None)
            if kw is not None and isinstance(kw.value, ast.Constant) and kw.value.value == literal:
                return
        tainted: Taint = {}
        for i in spec.args:
            if i < len(args):
                tainted = _union(tainted, args[i])
        for name in spec.kwargs:
            if name in kwargs:
                tainted = _union(tainted, kwargs[name])
        if spec.receiver:
            tainted = _union(tainted, receiver)
        category = spec.category
        if spec.write_mode is not None and writing_mode(node, spec.write_mode):
            category = "path-traversal-write"  # open(path, "wb"): a write, not a read
        self._sink(node, category, qual, tainted, f"{qual}()")


# Response factories taking Flask's view-return forms: a (body, status, headers) tuple.
_RESPONSE_MAKERS = frozenset({"flask.make_response", "quart.make_response"})


def _response_body(node: ast.AST) -> ast.AST:
    """The body of a Flask response tuple (the value itself when it is no tuple): the
    status and headers around it are not part of the page."""
    if isinstance(node, ast.Tuple) and node.elts and not any(isinstance(e, ast.Starred) for e in node.elts):
        return node.elts[0]
    return node


def _const_str(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _source_of(ctx, node: ast.AST | None) -> str:
    """The source lines of a function (the whole module at top level)."""
    if not isinstance(node, _FUNCS):
        return ctx.source
    return "\n".join(ctx.lines[node.lineno - 1 : node.end_lineno])


_VALIDATORS = frozenset(
    {
        "match", "fullmatch", "startswith", "endswith", "is_relative_to", "isidentifier",
        "isalnum", "isalpha", "isdigit", "isdecimal", "isnumeric", "isascii",
    }
)


_PATH_CATEGORIES = frozenset({"path-traversal", "path-traversal-write", "path-probe"})
_ALL_CATEGORIES = frozenset(CATEGORIES)
_URL_CATEGORIES = frozenset({"open-redirect", "ssrf"})
_QUOTE_CATEGORIES = frozenset({"xpath-injection", "sql-injection", "cypher-injection"})
# Characters whose presence makes a check reject the value, and what that rules out.
_REJECTED_MARKERS = (
    ("..", _PATH_CATEGORIES),
    ("'", _QUOTE_CATEGORIES),
    ('"', _QUOTE_CATEGORIES),
    ("<", frozenset({"xss"})),
    ("(", frozenset({"ldap-injection"})),
    ("*", frozenset({"ldap-injection"})),
)


def _guarded_names(node: ast.If, fallback: bool = False) -> list[tuple[str, frozenset[str] | None]]:
    """Names validated by ``if not check(x): raise/return`` (or ``if x not in ALLOWED``).

    After such a statement the rest of the function only runs with a value that passed
    the check: an allowlist membership, a regular-expression match, a prefix test.
    With ``fallback``, the statements are those that replace the value instead
    (``if theme not in THEMES: theme = "auto"``): the names the body assigns to last."""
    body = node.body
    if node.orelse or not body:
        return []
    if fallback:
        last = body[-1]
        if not (isinstance(last, ast.Assign) and len(last.targets) == 1 and isinstance(last.targets[0], ast.Name)):
            return []
        replaced = last.targets[0].id
    elif not isinstance(body[-1], (ast.Raise, ast.Return, ast.Continue)):
        return []
    test = node.test
    truth: set[str] | None = None
    # if name and (...): raise -> an empty name is harmless, any other passed the checks
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        rest = [v for v in test.values if not _truthiness(v)]
        if len(rest) != 1:
            return []
        truth = {v.id if isinstance(v, ast.Name) else v.left.id for v in test.values if _truthiness(v)}
        test = rest[0]
    tests = test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or) else [test]
    names: list[tuple[str, frozenset[str] | None]] = []
    rejected: dict[str, set[str]] = {}
    for test in tests:  # if not a(x) or not b(x): raise -> both held afterwards
        names += _failed_check(test)
        # if ".." in path: raise -> the path cannot climb out of its directory;
        # if "'" in value: raise -> the value cannot close a quoted literal.
        if (
            isinstance(test, ast.Compare)
            and len(test.ops) == 1
            and isinstance(test.ops[0], ast.In)
            and isinstance(test.left, ast.Constant)
            and isinstance(test.left.value, str)
            and isinstance(test.comparators[0], ast.Name)
        ):
            name = test.comparators[0].id
            rejected.setdefault(name, set()).update(m for m in ("/", "\\") if m in test.left.value)
            categories = frozenset().union(
                *(cats for marker, cats in _REJECTED_MARKERS if marker in test.left.value)
            )
            if categories:
                names.append((name, categories))
        # if name.startswith("."): raise; if os.path.isabs(name): raise
        if isinstance(test, ast.Call):
            func = test.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr == "startswith"
                and isinstance(func.value, ast.Name)
                and test.args
                and isinstance(test.args[0], ast.Constant)
                and test.args[0].value in (".", "..", "/")
            ):
                rejected.setdefault(func.value.id, set()).add("lead" + test.args[0].value)
            elif (
                isinstance(func, ast.Attribute)
                and func.attr == "isabs"
                and len(test.args) == 1
                and isinstance(test.args[0], ast.Name)
            ):
                rejected.setdefault(test.args[0].id, set()).add("/")
        # if url.netloc not in ALLOWED: return -> the URL's host is allowlisted
        if (
            isinstance(test, ast.Compare)
            and len(test.ops) == 1
            and isinstance(test.ops[0], ast.NotIn)
            and isinstance(test.left, ast.Attribute)
            and test.left.attr in ("netloc", "hostname", "host")
            and isinstance(test.left.value, ast.Name)
        ):
            names.append((test.left.value.id, _URL_CATEGORIES))
    for name, markers in rejected.items():
        # no separator and no leading dot: a single name inside the directory
        if "/" in markers and ("lead." in markers or "lead.." in markers):
            names.append((name, _PATH_CATEGORIES))
    if truth is not None:
        names = [(n, c) for n, c in names if n in truth]
    if fallback:
        return [(n, c) for n, c in names if n == replaced]
    return names


def _validated_params(node: ast.AST, params: list[str]) -> dict[str, object]:
    """Parameters a function raises for unless they pass a check, before it can return:
    {param: "*" (any category) or [categories]}. A call of it as a statement checks
    the caller's argument."""
    out: dict[str, object] = {}
    if not any(isinstance(stmt, ast.If) and stmt.body and isinstance(stmt.body[-1], ast.Raise) for stmt in node.body):
        return out  # no check that raises: nothing to look for
    names = {p.lstrip("*") for p in params}
    for stmt in node.body:
        if isinstance(stmt, ast.If) and stmt.body and isinstance(stmt.body[-1], ast.Raise):
            for name, categories in _guarded_names(stmt):
                if name in names:
                    if categories is None:
                        out[name] = "*"
                    elif out.get(name) != "*":
                        out[name] = sorted(set(out.get(name, ())) | categories)
        for sub in _shallow_walk(stmt):
            if isinstance(sub, (ast.Return, ast.Yield, ast.YieldFrom)) or (
                isinstance(sub, (ast.Name)) and isinstance(sub.ctx, ast.Store) and sub.id in names
            ):
                return out  # a return may come first; a parameter may be rebound
    return out


def _shallow_walk(node: ast.AST):
    """ast.walk without descending into nested functions, classes and lambdas."""
    todo = [node]
    while todo:
        cur = todo.pop()
        yield cur
        for child in ast.iter_child_nodes(cur):
            if not isinstance(child, (*_FUNCS, ast.ClassDef, ast.Lambda)):
                todo.append(child)


def _truthiness(node: ast.AST) -> bool:
    """``name`` or ``name is not None`` as a condition: true for any non-empty value."""
    if isinstance(node, ast.Name):
        return True
    return (
        isinstance(node, ast.Compare)
        and len(node.ops) == 1
        and isinstance(node.ops[0], ast.IsNot)
        and isinstance(node.left, ast.Name)
        and isinstance(node.comparators[0], ast.Constant)
        and node.comparators[0].value is None
    )


def _failed_check(test: ast.AST) -> list[tuple[str, frozenset[str] | None]]:
    """(name, categories it is now safe for; None: all) for a failed check that exits."""
    names: list[tuple[str, frozenset[str] | None]] = []
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and isinstance(test.operand, ast.Call):
        call = test.operand
        func = call.func
        method = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if method in _VALIDATORS:
            candidates = list(call.args)
            if isinstance(func, ast.Attribute) and method not in ("match", "fullmatch"):
                candidates.append(func.value)
            categories = None
            if method in ("match", "fullmatch") and call.args and isinstance(call.args[0], ast.Constant):
                categories = _regex_guards(call.args[0].value, method)
                candidates = candidates[1:]
            for c in candidates:
                if isinstance(c, ast.Call) and isinstance(c.func, ast.Name) and c.func.id in ("str", "fspath") and len(c.args) == 1:
                    c = c.args[0]  # str(path).startswith(...)
                if isinstance(c, ast.Name):
                    names.append((c.id, categories))
        elif method.lower().lstrip("_").startswith(_GUARD_PREFIXES):
            # if not _validate_module(name, allowed): raise -> a check named as one, whose
            # body this module does not show: a mitigation (LOW), as for validate(name)
            names.extend((a.id, MITIGATED) for a in call.args if isinstance(a, ast.Name))
        return names
    elif (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.NotIn)
        and isinstance(test.left, ast.Name)
        and isinstance(test.comparators[0], (ast.Name, ast.Attribute, ast.Set, ast.List, ast.Tuple))
    ):
        names = [(test.left.id, None)]
    return names


# Values an attacker needs for each category; a regular expression that rejects every
# probe of a category makes a value safe for it ("^[a-z0-9_.\-/]+$" still lets "../" in).
_PROBES = {
    "path-traversal": ("../etc/passwd", "..\\windows", "/etc/passwd"),
    "sql-injection": ("x' OR '1'='1", 'x" OR 1=1 --'),
    "xpath-injection": ("x' or '1'='1",),
    "jsonpath-injection": ("$..*", "$.items[?(@.owner != 'me')]"),
    "cypher-injection": ("x'}) MATCH (n) DETACH DELETE n //",),
    "command-injection": ("x; id", "$(id)", "`id`", "a|b", "-oProxyCommand=id"),
    "code-execution": ("__import__('os').system('id')",),
    "module-import": ("os", "subprocess"),
    "template-injection": ("{{7*7}}", "${7*7}"),
    "xss": ("<script>", '" onmouseover="x'),
    "ldap-injection": ("*)(uid=*",),
    "header-injection": ("a\r\nSet-Cookie: x=1",),
    "ssrf": ("http://169.254.169.254/", "file:///etc/passwd"),
    "open-redirect": ("https://evil.example/", "//evil.example"),
}
_PROBES["path-traversal-write"] = _PROBES["path-probe"] = _PROBES["path-traversal"]


def _regex_guards(pattern, method: str) -> frozenset[str] | None:
    """The categories a regular-expression check rules out (None: cannot tell, trust it)."""
    if not isinstance(pattern, str) or len(pattern) > 500:
        return None
    try:
        compiled = re.compile(pattern)
    except (re.error, RecursionError, OverflowError):
        return None
    test = {"fullmatch": compiled.fullmatch, "search": compiled.search}.get(method, compiled.match)
    return frozenset(
        category for category, probes in _PROBES.items() if not any(test(p) for p in probes)
    )


def _vouch(env: dict, checked: Taint, categories: frozenset[str]) -> None:
    """A check of one value vouches for every value made only of the same data
    (url = urlparse(target); fmt = config.get("template_format"))."""
    origins = set(checked) - {UNKNOWN}
    if not origins:
        return
    for name, t in list(env.items()):
        own = set(t) - {UNKNOWN}
        if own and own <= origins:
            env[name] = _clean(t, categories)


def _forget_items(env: dict, name: str) -> None:
    prefix = name + "["
    for key in [k for k in env if k.startswith(prefix) and k[len(prefix) : -1].lstrip("-").isdigit()]:
        del env[key]


_VALIDATOR_PREFIXES = ("validate", "check", "verify", "ensure", "sanitize", "assert_")
_TOOL_FUNCTION_KEYWORDS = ("func", "fn", "function", "coroutine", "tool")
# Boolean checks that guard an exit: `if not is_allowed(x): raise`.
_GUARD_PREFIXES = (*_VALIDATOR_PREFIXES, "is_valid", "is_allowed", "is_safe", "is_permitted", "allowed", "valid_")


def _validated_names(call: ast.AST) -> list[str]:
    """Names passed to a statement-level validation call (its result unused)."""
    if not isinstance(call, ast.Call):
        return []
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if not name.lower().lstrip("_").startswith(_VALIDATOR_PREFIXES):
        return []
    return [a.id for a in call.args if isinstance(a, ast.Name)]


_OPT_IN_MARKERS = ("allow_dangerous", "dangerously", "allow_unsafe", "trust_remote_code")


def _opt_in_flag(node: ast.AST) -> str | None:
    """``if not allow_dangerous_code: raise ...`` in a class or function: what follows
    only runs when the caller accepted the risk explicitly."""
    for sub in ast.walk(node):
        if not isinstance(sub, ast.If) or not any(isinstance(b, ast.Raise) for b in sub.body):
            continue
        for part in ast.walk(sub.test):
            name = part.attr if isinstance(part, ast.Attribute) else getattr(part, "id", None)
            if isinstance(name, str) and any(m in name.lower() for m in _OPT_IN_MARKERS):
                return name
    return None


def _carries(args: list[Taint], kwargs: dict[str, Taint]) -> bool:
    """Whether an argument holds data of a known origin (more than unknown data)."""
    return any(len(t) > 1 or (t and UNKNOWN not in t) for t in (*args, *kwargs.values()))


def _path_key(name: str, keys: list[ast.expr]) -> str | None:
    """``name[('a', 'b')]`` for constant keys: conf.set("a", "b", v) / conf.get("a", "b")."""
    parts = []
    for k in keys:
        if not isinstance(k, ast.Constant) or not isinstance(k.value, (str, int)) or isinstance(k.value, bool):
            return None
        parts.append(k.value)
    return f"{name}[{tuple(parts)!r}]"


def _item_key(name: str, key: ast.AST) -> str | None:
    if isinstance(key, ast.Constant) and isinstance(key.value, (str, int)) and not isinstance(key.value, bool):
        return f"{name}[{key.value!r}]"
    return None


# Flags that are true only for type checkers, never when the code runs.
_NEVER_AT_RUNTIME = frozenset({"typing.TYPE_CHECKING", "typing_extensions.TYPE_CHECKING"})


def _dotted_text(node: ast.AST) -> str:
    """``a.b.c`` as written (a consts key for an attribute chain)."""
    if isinstance(node, ast.Attribute):
        return f"{_dotted_text(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else "?"


class _NotConstant(Exception):
    pass


_ARITHMETIC = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Mod: lambda a, b: a % b,
    ast.FloorDiv: lambda a, b: a // b,
}
_COMPARISONS = {
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}


def _fold(node: ast.AST, consts: dict, depth: int):
    """Evaluate small integer/string expressions without executing anything."""
    if depth > 20:
        raise _NotConstant
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, str)):
        return node.value
    if isinstance(node, ast.Name) and node.id in consts:
        return consts[node.id]
    if isinstance(node, ast.Attribute) and _dotted_text(node) in consts:
        return consts[_dotted_text(node)]
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
        left, right = _fold(node.left, consts, depth + 1), _fold(node.right, consts, depth + 1)
        if not (isinstance(left, int) and isinstance(right, int)) or abs(left) > 1 << 64 or abs(right) > 1 << 64:
            raise _NotConstant
        if isinstance(node.op, (ast.Mod, ast.FloorDiv)) and right == 0:
            raise _NotConstant
        return _ARITHMETIC[type(node.op)](left, right)
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARISONS:
        left, right = _fold(node.left, consts, depth + 1), _fold(node.comparators[0], consts, depth + 1)
        if type(left) is not type(right) and not isinstance(node.ops[0], (ast.Eq, ast.NotEq)):
            raise _NotConstant
        if isinstance(node.ops[0], (ast.In, ast.NotIn)) and not isinstance(right, str):
            raise _NotConstant
        return _COMPARISONS[type(node.ops[0])](left, right)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return not _fold(node.operand, consts, depth + 1)
    if isinstance(node, ast.Subscript):  # "ABC"[1]
        value, index = _fold(node.value, consts, depth + 1), _fold(node.slice, consts, depth + 1)
        if not isinstance(value, str) or type(index) is not int or not -len(value) <= index < len(value):
            raise _NotConstant
        return value[index]
    if isinstance(node, ast.BoolOp):  # short-circuits: False and x, True or x
        decisive = isinstance(node.op, ast.Or)
        unknown = False
        for v in node.values:
            try:
                if bool(_fold(v, consts, depth + 1)) is decisive:
                    return decisive
            except _NotConstant:
                unknown = True
        if unknown:
            raise _NotConstant
        return not decisive
    raise _NotConstant


def _dispatch_tables(tree: ast.Module, module: str) -> dict[str, tuple[str, ...]]:
    """Module-level dicts whose values are all functions of the module:
    ``LOADERS = {"prompt": _load_prompt, ...}``."""
    defined = {n.name for n in tree.body if isinstance(n, _FUNCS)}
    tables = {}
    for stmt in tree.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and isinstance(stmt.value, ast.Dict) and stmt.value.values:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            values = stmt.value.values
            if all(isinstance(v, ast.Name) and v.id in defined for v in values):
                for t in targets:
                    if isinstance(t, ast.Name):
                        tables[t.id] = tuple(sorted({f"{module}.{v.id}" for v in values}))
    return tables


def _table_read(node: ast.AST | None) -> str | None:
    """TABLE[key] or TABLE.get(key): the table's name."""
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        return node.value.id
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and isinstance(node.func.value, ast.Name)
    ):
        return node.func.value.id
    return None


def _known_names(tree: ast.Module) -> frozenset[str]:
    """Names that hold no data: functions and classes defined anywhere in the module, and
    module-level variables only ever bound to literals."""
    names: set[str] = set()
    literal: dict[str, bool] = {}
    for stmt in tree.body:  # nested definitions bind their names as the body runs
        if isinstance(stmt, (*_FUNCS, ast.ClassDef)):
            names.add(stmt.name)
    for stmt in tree.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            is_literal = stmt.value is not None and _is_literal(stmt.value)
            for t in targets:
                if isinstance(t, ast.Name):
                    literal[t.id] = literal.get(t.id, True) and is_literal
        elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
            literal[stmt.target.id] = False
    return frozenset(names | {n for n, ok in literal.items() if ok})


def _constant_mappings(tree: ast.Module, known: frozenset[str]) -> frozenset[str]:
    """Module-level dicts bound once to constant keys and values (literals, functions,
    classes, constants and attributes of them) and never changed: ``MAP[key]`` and
    ``MAP.get(key, default)`` are one of those values (an unknown key raises)."""
    candidates: dict[str, int] = {}
    for stmt in tree.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and isinstance(stmt.value, ast.Dict):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            value = stmt.value
            constant = all(isinstance(k, ast.Constant) for k in value.keys) and all(
                _is_literal(v) or _static_name(v, known) for v in value.values
            )
            for t in targets:
                if isinstance(t, ast.Name):
                    candidates[t.id] = candidates.get(t.id, 0) + (1 if constant else 2)
    names = {n for n, count in candidates.items() if count == 1}
    if not names:
        return frozenset()
    for node in ast.walk(tree):  # stores elsewhere: MAP[k] = v, MAP.update(...), global MAP
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, (ast.Store, ast.Del)):
            if isinstance(node.value, ast.Name):
                names.discard(node.value.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.attr in _MUTATORS | {"pop", "clear", "popitem"}:
            names.discard(node.value.id)
        elif isinstance(node, ast.Global):
            names.difference_update(node.names)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id in names and node.col_offset:
            names.discard(node.id)  # rebound inside a function, a class or a block
    return frozenset(names)


def _static_name(node: ast.AST, known: frozenset[str]) -> bool:
    """A function, class or literal constant of the module, or an attribute of one."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name) and node.id in known


def _is_literal(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return all(_is_literal(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is not None and _is_literal(k) for k in node.keys) and all(_is_literal(v) for v in node.values)
    if isinstance(node, ast.BinOp):
        return _is_literal(node.left) and _is_literal(node.right)
    return False


def _literal_match(pattern: ast.AST, subject) -> bool | None:
    kind = type(pattern).__name__
    if kind == "MatchValue" and isinstance(pattern.value, ast.Constant):
        return pattern.value.value == subject
    if kind == "MatchOr":
        results = [_literal_match(p, subject) for p in pattern.patterns]
        return None if None in results else any(results)
    if kind == "MatchAs" and pattern.pattern is None and pattern.name is None:
        return True  # case _:
    return None


_ROUTED_PATHS = frozenset({"flask.request.path", "quart.request.path"})


def _literal_rule(decorator: ast.AST) -> bool:
    """``@app.route("/a/b")``: a rule given as a literal without <converters>."""
    if not isinstance(decorator, ast.Call) or not decorator.args:
        return False
    rule = decorator.args[0]
    return isinstance(rule, ast.Constant) and isinstance(rule.value, str) and "<" not in rule.value


def _decorator_attr(node: ast.AST) -> str | None:
    target = node.func if isinstance(node, ast.Call) else node
    return target.attr if isinstance(target, ast.Attribute) else None


def _param_names(args: ast.arguments) -> list[str]:
    names = [a.arg for a in (*args.posonlyargs, *args.args)]
    if args.vararg:
        names.append("*" + args.vararg.arg)
    names += [a.arg for a in args.kwonlyargs]
    if args.kwarg:
        names.append("**" + args.kwarg.arg)
    return names
