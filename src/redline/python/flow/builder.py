"""The interpreter core: each function (and the module body) is read once, statement
by statement and expression by expression, in a per-function ``Frame``."""

from __future__ import annotations

import ast

from redline.engine import PATH_TYPES, local_classes, statement_span
from redline.knowledge.taint import CATEGORIES, TaintKnowledge
from redline.knowledge.web import routes as web_routes
from redline.python.flow.calls import CallResolver
from redline.python.flow.constants import (
    FUNCS,
    NEVER_AT_RUNTIME,
    NotConstant,
    constant_mappings,
    decorator_attr,
    dispatch_tables,
    dotted_text,
    fold,
    forget_items,
    item_key,
    known_names,
    literal_match,
    literal_rule,
    param_names,
    table_read,
)
from redline.python.flow.frame import CALLS, COMMON, JOINED, LEN, NO, PREFIXED, Frame
from redline.python.flow.graph import (
    MITIGATED,
    UNKNOWN,
    UNKNOWN_TAINT,
    VERDICT_CATEGORIES,
    FlowGraph,
    Taint,
    add_step,
    cleaned,
    union,
)
from redline.python.flow.guards import (
    ALL_CATEGORIES,
    OPT_IN_MARKERS,
    PATH_CATEGORIES,
    URL_CATEGORIES,
    dash_rejected,
    fixed_host,
    guarded_names,
    opt_in_flag,
    regex_guards,
    remember_flag,
    validated_names,
    validated_params,
    vouch,
)
from redline.python.flow.recognisers import (
    COMMONPATH,
    NOT_HTML,
    PATH_JOINS,
    ROUTED_PATHS,
    LibraryRecognisers,
    response_body,
)
from redline.python.names import BUILTIN_NAMES
from redline.rules.routes import web_facts

_CLEAN_EXPRS = (ast.Compare, ast.Constant, ast.Lambda)


def _fixed_text(text: object) -> bool:
    """Literal text a command-line item starts with that leaves no option to choose: no
    dash, or a whole option up to its "=" (f"--unified={n}": the value of --unified)."""
    if not isinstance(text, str) or not text:
        return False
    return not text.startswith("-") or ("=" in text and text.index("=") > 1)


class FlowBuilder(CallResolver, LibraryRecognisers):
    def __init__(self, ctx, kb: TaintKnowledge, module: str, project_roots: frozenset[str]) -> None:
        self.ctx = ctx
        self.kb = kb
        self.module = module
        self.path = ctx.path
        self.roots = project_roots
        self.graph = FlowGraph()
        self._edge_keys: set[tuple[str, str]] = set()
        self.frame = Frame()  # the function being read
        self.routes: dict[tuple[str, ...], str] = {}
        self._loop_depth = 0
        self.bases: tuple[str, ...] = ()  # resolved direct bases of the current class
        self.known_names: frozenset[str] = frozenset()  # functions, classes, literal globals
        self.opt_in_possible = False
        self.tables: dict[str, tuple[str, ...]] = {}  # module dicts of functions -> their qualnames
        self.enums: frozenset[str] = frozenset()  # enumeration classes of the module
        self.dead = False  # reading code under a condition fixed to false
        self.mappings: frozenset[str] = frozenset()  # module-level dicts of constants, never changed

    # -- entry points --------------------------------------------------------------------
    def build(self, tree: ast.Module) -> FlowGraph:
        self.known_names = known_names(tree)
        self.mappings = constant_mappings(tree, self.known_names, self.kb.mutators)
        self.enums = self._enum_classes(tree)
        self.tables = dispatch_tables(tree, self.module)
        # request handlers of this module, by the scope of their body: whether they
        # authenticate (a source read there says so; an open route raises the impact)
        self.routes = {r.scope: "open" if r.auth is None else "authenticated" for r in web_facts(self.ctx).routes}
        lowered = self.ctx.source.lower()
        self.opt_in_possible = any(m in lowered for m in OPT_IN_MARKERS)
        self._function(tree, (), None, "<module>")
        return self.graph

    def _ancestors(self, direct: tuple[str, ...]) -> tuple[str, ...]:
        """A class's bases, nearest first: through this module's classes and the
        knowledge's library type hierarchy (``self.write`` in a subclass of a subclass of
        tornado's RequestHandler is RequestHandler.write)."""
        classes = self.ctx.fact(local_classes)
        out: list[str] = []
        todo = list(direct)
        while todo and len(out) < 32:
            base = todo.pop(0)
            if base in out:
                continue
            out.append(base)
            local = classes.get(base)
            todo.extend(local[1] if local is not None else self.kb.library_ancestors(base))
        return tuple(out)

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
        outer, saved_scope = self.frame, self.ctx.scope
        opt_in = outer.opt_in
        if isinstance(node, FUNCS) and self.opt_in_possible:
            opt_in = opt_in_flag(node) or opt_in
        self.frame = Frame(
            func=qual,
            cls=cls,
            node=node,
            opt_in=opt_in,
            route=self.routes.get((*scope, name)) if isinstance(node, FUNCS) else None,
            path_helper=isinstance(node, FUNCS) and (
                "path" in name.lower() or (node.returns is not None and self.ctx.qualname(node.returns) in PATH_TYPES)
            ),
        )
        inner_scope = (*scope, name) if name != "<module>" else ()
        self.ctx.scope = inner_scope
        env: dict[str, Taint] = {}
        body: list[ast.stmt]
        if isinstance(node, FUNCS):
            params = param_names(node.args)
            decorators = [self._decorator_name(d) for d in node.decorator_list]
            self.graph.functions[qual] = {
                "params": params,
                "cls": f"{self.module}.{'.'.join(scope)}" if cls else None,
                "line": node.lineno,
            }
            kind = next((k for d in decorators if d and (k := self.kb.decorator_source(d))), None)
            # A Flask view's returned string is the HTML body of the response.
            self.frame.html_view = any(d and d.startswith("flask.") for d in decorators) or (
                "flask" in self._imported_roots and any(decorator_attr(d) == "route" for d in node.decorator_list)
            )
            # Routed only by literal rules ("/reports/daily"): request.path is one of them.
            route_methods = web_routes().methods
            routes = [d for d in node.decorator_list if decorator_attr(d) in route_methods]
            self.frame.fixed_path = self.frame.html_view and bool(routes) and all(literal_rule(d) for d in routes)
            validates = validated_params(node, params)
            if validates:
                self.graph.functions[qual]["validates"] = validates
            # Annotations convert and validate parameters (FastAPI, tool schemas); Flask
            # passes its route variables as text whatever the annotation says.
            typed = {} if self.frame.html_view else self._typed_params(node.args)
            if typed:
                self.graph.functions[qual]["typed"] = {
                    p: "*" if cats >= ALL_CATEGORIES else sorted(cats) for p, cats in typed.items()
                }
            for p in params:
                origin = f"param:{qual}:{p}"
                clean: frozenset[str] = frozenset()
                if kind is not None and p not in ("self", "cls"):
                    # the framework converts the request's text to the annotated type first
                    clean = typed.get(p, frozenset())
                    if clean >= ALL_CATEGORIES:  # an int, a UUID, a Literal: no text at all
                        env[p.lstrip("*")] = {}
                        continue
                    origin = self._source(node, kind, f"parameter {p!r} of {name}()", key=f":{p}")
                env[p.lstrip("*")] = {origin: ((), clean)}
            body = node.body
        else:
            body = node.body  # the module
        self._block(body, env, scope=inner_scope)
        sizes = self.frame.return_sizes
        if isinstance(node, FUNCS) and len(sizes) == 1 and -1 not in sizes:
            self.graph.functions[qual]["tuple"] = next(iter(sizes))  # sql, params = build()
        self.frame, self.ctx.scope = outer, saved_scope

    @property
    def _imported_roots(self) -> set[str]:
        roots = self.__dict__.get("_roots_cache")
        if roots is None:
            roots = self.__dict__["_roots_cache"] = {
                v.split(".", 1)[0] for v in self.ctx.imports.aliases.values()
            }
        return roots

    def _fold_condition(self, node: ast.AST) -> bool | None:
        """The value of a condition built only from literals and names bound to literals
        (``if False:``, ``if 0:``, ``if TYPE_CHECKING:``: code that never runs)."""
        consts = self.frame.consts
        for sub in ast.walk(node):
            if isinstance(sub, (ast.Name, ast.Attribute)) and self.ctx.qualname(sub) in NEVER_AT_RUNTIME:
                consts = {**consts, dotted_text(sub): 0}
        try:
            return bool(fold(node, consts, 0))
        except NotConstant:
            return None

    def _fold_match(self, node) -> ast.AST | None:
        """The case that runs when the subject is a constant and the patterns are
        literals (or a final wildcard); None when that cannot be decided."""
        try:
            subject = fold(node.subject, self.frame.consts, 0)
        except NotConstant:
            return None
        for case in node.cases:
            if case.guard is not None:
                return None
            verdict = literal_match(case.pattern, subject)
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
            return ALL_CATEGORIES if node.value is None or node.value is Ellipsis else frozenset()
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):  # int | None
            return self._annotation_clean(node.left, depth + 1) & self._annotation_clean(node.right, depth + 1)
        if isinstance(node, ast.Call):
            qual = self.ctx.qualname(node.func)
            if qual in kb.scalar_types:  # conint(ge=1)
                return ALL_CATEGORIES
            return self._constraint_clean(node)
        if isinstance(node, ast.Subscript):
            base = self.ctx.qualname(node.value)
            if base in kb.scalar_types:  # Literal["a", "b"]
                return ALL_CATEGORIES
            if base not in kb.type_wrappers:
                return frozenset()
            items = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
            if base.endswith("Annotated"):  # Annotated[str, StringConstraints(pattern=...)]
                clean = self._annotation_clean(items[0], depth + 1)
                for meta in items[1:]:
                    if isinstance(meta, ast.Call):
                        clean |= self._constraint_clean(meta)
                return clean
            clean = ALL_CATEGORIES
            for item in items:
                clean &= self._annotation_clean(item, depth + 1)
            return clean
        if isinstance(node, (ast.Name, ast.Attribute)):
            qual = self.ctx.qualname(node)
            if qual in kb.scalar_types or (isinstance(node, ast.Name) and node.id in self.enums):
                return ALL_CATEGORIES
        return frozenset()

    def _constraint_clean(self, call: ast.Call) -> frozenset[str]:
        """constr(pattern=...), Query(regex=...): what the pattern rules out."""
        if self.ctx.qualname(call.func) not in self.kb.constraints:
            return frozenset()
        for kw in call.keywords:
            if kw.arg in ("pattern", "regex") and isinstance(kw.value, ast.Constant):
                return regex_guards(kw.value.value, "search") or frozenset()
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
        if isinstance(node, FUNCS):
            self._function(node, scope, self.frame.cls if scope and self._in_class(scope) else None, node.name)
            self.ctx.scope = scope
            env[node.name] = {}  # a function holds no data
        elif isinstance(node, ast.ClassDef):
            saved, saved_bases, saved_opt_in = self.frame.cls, self.bases, self.frame.opt_in
            self.frame.cls = node.name
            if self.opt_in_possible:
                self.frame.opt_in = opt_in_flag(node) or self.frame.opt_in
            self.bases = self._ancestors(tuple(b for b in (self.ctx.qualname(base) for base in node.bases) if b))
            inner = (*scope, node.name)
            for stmt in node.body:
                if isinstance(stmt, FUNCS):
                    self._function(stmt, inner, node.name, stmt.name)
                    self.ctx.scope = scope
                elif isinstance(stmt, ast.ClassDef):
                    self._stmt(stmt, {}, inner)
            self.frame.cls, self.bases, self.frame.opt_in = saved, saved_bases, saved_opt_in
        elif isinstance(node, ast.Assign):
            value = self.expr(node.value, env)
            for target in node.targets:
                self._assign(target, value, env, node.lineno, node.value)
                if isinstance(target, ast.Name):
                    remember_flag(self.frame.flags, target.id, node.value)
                    self.frame.no_dash.discard(target.id)
        elif isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self._assign(node.target, self.expr(node.value, env), env, node.lineno, node.value)
        elif isinstance(node, ast.AugAssign):
            value = self.expr(node.value, env)
            current = self.expr(node.target, env) if isinstance(node.target, ast.Name) else {}
            self._assign(node.target, union(current, value), env, node.lineno, None)
        elif isinstance(node, ast.Return):
            value_node = node.value
            if isinstance(value_node, ast.Tuple) and not any(isinstance(e, ast.Starred) for e in value_node.elts):
                self.frame.return_sizes.add(len(value_node.elts))
            else:
                self.frame.return_sizes.add(-1)
            if node.value is not None:
                value = self.expr(node.value, env)
                self._flow(value, f"ret:{self.frame.func}", node.lineno, "returned")
                if isinstance(node.value, ast.Tuple) and self.frame.func in self.graph.functions:
                    # return SQL, params: each item flows back on its own (sql, params = f())
                    for i, element in enumerate(node.value.elts):
                        self._flow(self.expr(element, env), f"ret:{self.frame.func}#{i}", node.lineno, "returned")
                joined = self._joined_part(node.value, env) if self.frame.path_helper else {}
                if joined:
                    # a helper that hands back root / name unchecked: every caller opens it
                    self._sink(node.value, "path-traversal", "return", joined, "a file path returned by a path helper (no containment check)")
                body = response_body(node.value)  # (body, status, headers): the body is the page
                if self.frame.html_view and not isinstance(body, NOT_HTML):
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
                self._flow(value, f"ret:{self.frame.func}", node.lineno, "yielded")
            for name in validated_names(node.value):
                # validate_code(code): a check that raises, by name only. It lowers what
                # follows to LOW (a denylist is a mitigation, not a sanitizer).
                if env.get(name):
                    env[name] = cleaned(env[name], MITIGATED)
        elif isinstance(node, (ast.If, ast.While)):
            self.expr(node.test, env)
            decided = self._fold_condition(node.test) if isinstance(node, ast.If) else None
            if decided is not None:  # a condition fixed in the code: only one branch runs
                self._dead(node.orelse if decided else node.body, env, scope)
                self._block(node.body if decided else node.orelse, env, scope)
                return
            # if theme not in THEMES: theme = "auto" -> afterwards, checked or replaced
            fallback = guarded_names(node, fallback=True, flags=self.frame.flags) if isinstance(node, ast.If) else []
            self._branches(
                env, [node.body, node.orelse], scope, loop=isinstance(node, ast.While), prepare={1: fallback}
            )
            if isinstance(node, ast.If):
                self._format_rejected(node, env)
                for name in self._contained_names(node):
                    env[name] = cleaned(env.get(name, {}), PATH_CATEGORIES)
                    if name + JOINED in env:
                        env[name + JOINED] = cleaned(env[name + JOINED], PATH_CATEGORIES)
                self.frame.no_dash.update(dash_rejected(node))
                for name, categories in guarded_names(node, flags=self.frame.flags):
                    # validated: execution only goes on when the check passed
                    checked = env.get(name, {})
                    env[name] = cleaned(checked, categories) if categories is not None else {}
                    if name + JOINED in env:
                        joined = env[name + JOINED]
                        env[name + JOINED] = cleaned(joined, categories) if categories is not None else {}
                    if categories is URL_CATEGORIES and checked:
                        vouch(env, checked, categories)  # url = urlparse(target): target too
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

    def _dead(self, body: list[ast.stmt], env, scope) -> None:
        """Code that never runs: its sink calls are proven safe (their pattern findings
        go) and it records no flow."""
        if not body or self.dead:
            return
        self.dead = True
        saved = self.frame.consts
        try:
            self._block(body, dict(env), scope)
        finally:
            self.dead, self.frame.consts = False, saved

    def _fixed_start(self, node: ast.AST, env) -> bool:
        """Whether a value begins with text fixed in the code (not an option dash)."""
        if isinstance(node, ast.Name):
            return node.id + PREFIXED in self.frame.consts
        if isinstance(node, ast.JoinedStr):
            first = node.values[0] if node.values else None
            return isinstance(first, ast.Constant) and _fixed_text(first.value)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = node.left
            return (isinstance(left, ast.Constant) and _fixed_text(left.value)) or self._fixed_start(left, env)
        if isinstance(node, ast.Call) and node.args and self.ctx.qualname(node.func) in PATH_JOINS:
            first = node.args[0]  # a directory from configuration or the code
            return set(self.expr(first, env)) <= {UNKNOWN} or self._fixed_start(first, env)
        return False

    def _in_class(self, scope: tuple[str, ...]) -> bool:
        return self.frame.cls is not None and scope and scope[-1] == self.frame.cls

    def _branches(self, env, bodies, scope, loop: bool = False, prepare: dict | None = None) -> None:
        """``prepare``: body index -> [(name, categories)] the name is checked for when
        that body starts (the path on which a check passed)."""
        # A loop body runs twice so that values carried around the loop are seen;
        # nested loops run once past depth 2, keeping the cost linear.
        passes = 2 if loop and self._loop_depth < 2 else 1
        self._loop_depth += loop
        results = []
        before = self.frame.consts
        agreed: dict | None = None
        lengths = {k for k in before if k.endswith(LEN)}
        for i, body in enumerate(bodies):
            branch = dict(env)
            for name, categories in (prepare or {}).get(i, ()):
                if name in branch:
                    branch[name] = cleaned(branch[name], categories) if categories is not None else {}
            self.frame.consts = dict(before)
            for _ in range(passes):
                self._block(body, branch, scope)
            results.append(branch)
            # a name is a known literal after the branches only if it is in every branch
            lengths.update(k for k in self.frame.consts if k.endswith(LEN))
            agreed = self.frame.consts if agreed is None else {k: v for k, v in agreed.items() if self.frame.consts.get(k, NO) == v}
        self.frame.consts = agreed if agreed is not None else before
        if loop:  # the body may not run at all
            self.frame.consts = {k: v for k, v in self.frame.consts.items() if before.get(k, NO) == v}
        self._loop_depth -= loop
        merged: dict[str, Taint] = {}
        for branch in results:
            for name, t in branch.items():
                merged[name] = union(merged.get(name, {}), t)
        env.clear()
        env.update(merged)
        for key in lengths - set(self.frame.consts):  # branches disagree on a list's length
            forget_items(env, key[: -len(LEN)])

    def _assign(self, target, value: Taint, env, line: int, value_node) -> None:
        if isinstance(target, ast.Name):
            name = target.id
            prefix = name + "["
            for stale in [k for k in env if k.startswith(prefix)]:
                del env[stale]
            env[name] = add_step(value, line, f"assigned to {name}")
            self.frame.consts.pop(name, None)
            self.frame.consts.pop(name + LEN, None)
            self.frame.consts.pop(name + PREFIXED, None)
            env.pop(name + JOINED, None)
            self.frame.consts.pop(name + COMMON, None)
            self.frame.consts.pop(name + CALLS, None)
            table = table_read(value_node)
            if table in self.tables:  # loader = LOADERS[kind]: one of the table's functions
                self.frame.consts[name + CALLS] = self.tables[table]
            if value_node is not None:
                joined = self._joined_part(value_node, env) if self.frame.path_helper else {}
                if joined:
                    env[name + JOINED] = joined
                if (
                    isinstance(value_node, ast.Call)
                    and self.ctx.qualname(value_node.func) in COMMONPATH
                    and value_node.args
                    and isinstance(value_node.args[0], (ast.List, ast.Tuple))
                ):  # common = os.path.commonpath([root, full]): a containment check follows
                    self.frame.consts[name + COMMON] = tuple(e.id for e in value_node.args[0].elts if isinstance(e, ast.Name))
            if value_node is not None and self._fixed_start(value_node, env):
                self.frame.consts[name + PREFIXED] = True
            if isinstance(value_node, ast.List) and not any(isinstance(e, ast.Starred) for e in value_node.elts):
                # a list built here: its items are followed one by one (append, pop, [i])
                self.frame.consts[name + LEN] = len(value_node.elts)
                for i, element in enumerate(value_node.elts):
                    env[f"{name}[{i}]"] = self.expr(element, env)
            if isinstance(value_node, ast.Constant) and isinstance(value_node.value, (int, str)):
                self.frame.consts[name] = value_node.value
            elif isinstance(value_node, (ast.BinOp, ast.Subscript)) and not value:
                try:  # num = 7 * 6; guess = "ABC"[1]
                    folded = fold(value_node, self.frame.consts, 0)
                except NotConstant:
                    pass
                else:
                    if isinstance(folded, (int, str)) and not isinstance(folded, bool):
                        self.frame.consts[name] = folded
            elif isinstance(value_node, ast.Dict):
                for k, v in zip(value_node.keys, value_node.values, strict=True):
                    key = item_key(name, k) if k is not None else None
                    if key is not None:
                        env[key] = self.expr(v, env)
        elif isinstance(target, (ast.Tuple, ast.List)):
            elements = value_node.elts if isinstance(value_node, (ast.Tuple, ast.List)) else None
            call = value_node.value if isinstance(value_node, ast.Await) else value_node
            site = None
            if isinstance(call, ast.Call) and not any(isinstance(e, ast.Starred) for e in target.elts):
                site = self._site_id(call)
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
            if isinstance(base, ast.Name) and base.id == "self" and self.frame.cls is not None:
                self._flow(value, self._field(target.attr), line, f"stored in self.{target.attr}")
                env[f"self.{target.attr}"] = add_step(value, line, f"stored in self.{target.attr}")
            elif isinstance(base, ast.Name) and value:
                env[base.id] = union(env.get(base.id, {}), add_step(value, line, f"stored in {base.id}"))
        elif isinstance(target, ast.Subscript):
            base = target.value
            qual = self.ctx.qualname(base)
            specs = self.kb.sinks.get(f"{qual}.__setitem__", ()) if qual is not None else ()
            if specs:
                # obj[key] = value is obj.__setitem__(key, value): a sink when listed so
                # (session["user"] = ..., response.headers["X"] = ...).
                key_taint = self.expr(target.slice, env) if any(0 in spec.args for spec in specs) else {}
                for spec in specs:
                    tainted = union(value if 1 in spec.args else {}, key_taint if 0 in spec.args else {})
                    if tainted:
                        self._sink(target, spec.category, qual, tainted, f"{qual}[...]")
            if isinstance(base, ast.Name):
                key = item_key(base.id, target.slice)
                if key is not None:  # m["a"] = x: remembered per key, strong update
                    env[key] = add_step(value, line, f"stored in {key}")
                if value:
                    env[base.id] = union(env.get(base.id, {}), add_step(value, line, f"stored in {base.id}[...]"))

    def _field(self, attr: str) -> str:
        scope = self.frame.func.rsplit(".", 1)[0]  # module.Class
        return f"field:{scope}:{attr}"

    # -- graph building --------------------------------------------------------------------
    def _source(self, node: ast.AST, kind: str, desc: str, key: str = "") -> str:
        line, col = getattr(node, "lineno", 0), getattr(node, "col_offset", 0)
        origin = f"src:{self.path}:{line}:{col}{key}"
        info = self.graph.sources.setdefault(origin, {"kind": kind, "line": line, "desc": desc})
        if self.frame.route is not None and kind == "remote":
            info["route"] = self.frame.route
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
            if self.frame.opt_in:
                self.graph.sinks[sink_id]["mitigation"] = f"the caller must opt in with {self.frame.opt_in}"
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
                return UNKNOWN_TAINT
            if node.id in self.known_names or node.id in BUILTIN_NAMES or node.id in self.mappings:
                return {}
            return UNKNOWN_TAINT  # a global or closure variable: whatever it holds
        if isinstance(node, ast.Attribute):
            return self._attribute(node, env)
        if isinstance(node, ast.Call):
            return self._call(node, env)
        if isinstance(node, ast.Subscript):
            self.expr(node.slice, env)
            if isinstance(node.value, ast.Name):
                key = item_key(node.value.id, node.slice)
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
                return union(self.expr(node.key, inner), self.expr(node.value, inner))
            return self.expr(node.elt, inner)
        if isinstance(node, ast.IfExp):
            self.expr(node.test, env)
            decided = self._fold_condition(node.test)
            if decided is not None:  # "x" if 7 * 18 + num > 200 else param
                return self.expr(node.body if decided else node.orelse, env)
            return union(self.expr(node.body, env), self.expr(node.orelse, env))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            self.expr(node.operand, env)
            return {}
        parts = [self.expr(child, env) for child in ast.iter_child_nodes(node) if isinstance(child, ast.expr)]
        if parts and isinstance(node, (ast.JoinedStr, ast.BinOp)) and (
            fixed_host(node) or self._chosen_base(node, env)
        ):
            # f"https://api.example.com/v1/{item}", f"{self.base_url}/items/{item}": the
            # data is a path or a query on a host the code chose, not where the request goes
            return cleaned(union(*parts), URL_CATEGORIES)
        return union(*parts) if parts else {}

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
                return False  # a literal head is fixed_host's to judge
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
        if isinstance(base, ast.Name) and base.id == "self" and self.frame.cls is not None:
            for parent in self.bases:  # self.path in a BaseHTTPRequestHandler subclass
                kind = self.kb.attribute_source(f"{parent}.{node.attr}")
                if kind is not None:
                    return {self._source(node, kind, f"{parent}.{node.attr}"): ((), frozenset())}
            local = env.get(f"self.{node.attr}", {})
            return union(local, {self._field(node.attr): ((), frozenset())})
        qual = self.ctx.qualname(node)
        if qual is not None:
            if self.frame.fixed_path and qual in ROUTED_PATHS:
                return {}  # the view runs only for its literal rule: the path is that constant
            kind = self.kb.attribute_source(qual)
            if kind is not None:
                return {self._source(node, kind, qual): ((), frozenset())}
            if self.kb.object_source(qual.rpartition(".")[0]) is not None:
                # an attribute of a request object or module that is not among its listed
                # sources: sys.executable, request.scope["root_path"], request.app.state
                # are the process's and the server's own values, not the caller's data
                self.expr(base, env)
                return UNKNOWN_TAINT
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
        return union(*values.values()) if values else {}
