"""One AST walk per module, dispatching each node to the checks interested in it.

The dispatch tables are built once per scan from the enabled rules: a node type or
a call name that no enabled check wants costs a dictionary miss and nothing more.
Calls are resolved to fully-qualified names once, then dispatched by that name.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from redline.model import Finding, Location, Rule, mask_secret
from redline.python.names import ImportMap, dotted, fold_builtins
from redline.python.parsing import source_lines
from redline.rules.registry import CHECKS, load_all
from redline.severity import decide
from redline.text.secret_values import is_test_path, message_secrets

_SCOPE_TYPES = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef})
# Path classes: a path joined to one of them (base / "name") is one too.
PATH_TYPES = frozenset(
    {"pathlib.Path", "pathlib.PurePath", "pathlib.PurePosixPath", "pathlib.PosixPath", "pathlib.WindowsPath", "os.PathLike"}
)
CheckFn = Callable[["FileContext", ast.AST], None]
T = TypeVar("T")


@dataclass(frozen=True)
class RuleSettings:
    enabled: frozenset[str]


class Dispatch:
    """Lookup tables from node type and call name to the enabled check functions."""

    def __init__(self, enabled: frozenset[str]) -> None:
        load_all()
        self.by_type: dict[type, list[CheckFn]] = defaultdict(list)
        self.by_call: dict[str, list[CheckFn]] = defaultdict(list)
        for chk in CHECKS:
            if not any(r.id in enabled for r in chk.rules):
                continue
            for t in chk.node_types:
                self.by_type[t].append(chk.fn)
            for name in chk.calls:
                self.by_call[name].append(chk.fn)
        self.wants_calls = bool(self.by_call)
        self.by_type = dict(self.by_type)
        self.by_call = dict(self.by_call)


class FileContext:
    """What a check sees of the module being analysed, and where it reports."""

    def __init__(
        self,
        path: str,
        source: str,
        imports: ImportMap,
        settings: RuleSettings,
        *,
        sandboxed: bool = False,
        cell_of_line: Callable[[int], tuple[int | None, int]] | None = None,
    ) -> None:
        self.path = path
        self.source = source
        self.lines = source_lines(source)
        self.imports = imports
        self.settings = settings
        self.sandboxed = sandboxed
        self.findings: list[Finding] = []
        self.secrets: set[str] = set()  # values reported as secrets: masked in every output
        self.tree: ast.Module = ast.Module(body=[], type_ignores=[])  # set by walk()
        self.scope: tuple[str, ...] = ()
        self.stmt: ast.stmt | None = None
        # the innermost function the visited node is in (None at module and class level)
        self.function: ast.FunctionDef | ast.AsyncFunctionDef | None = None
        self._facts: dict[Callable[[FileContext], object], object] = {}
        self._module_prefix = imports.module + "."  # names of this module's own classes
        # Per-scope variable -> qualified name of the class it was constructed from.
        self._types: dict[tuple[str, ...], dict[str, str]] = defaultdict(dict)
        self._cell_of_line = cell_of_line
        self.test_code = is_test_path(path)

    # -- module facts -----------------------------------------------------------------
    def fact(self, compute: Callable[[FileContext], T]) -> T:
        """What ``compute(ctx)`` finds in this module, computed on first use and kept
        for the rest of the file: the one place checks keep what they learn of a module
        (its routes, gates, functions), so no check keeps state of its own. It is computed
        at module level whenever it is first asked for, so it reads the same either way."""
        try:
            return self._facts[compute]  # type: ignore[return-value]
        except KeyError:
            pass
        saved = self.scope, self.stmt, self.function
        self.scope, self.stmt, self.function = (), None, None
        try:
            value = self._facts[compute] = compute(self)
        finally:
            self.scope, self.stmt, self.function = saved
        return value

    def function_fact(self, compute: Callable[[ast.FunctionDef | ast.AsyncFunctionDef], T]) -> T | None:
        """What ``compute(fn)`` finds in the function the visited node is in, computed
        once per function; None at module and class level."""
        fn = self.function
        if fn is None:
            return None
        key = (compute, fn)
        try:
            return self._facts[key]  # type: ignore[index,return-value]
        except KeyError:
            value = self._facts[key] = compute(fn)  # type: ignore[index]
            return value

    @contextmanager
    def at(self, stmt: ast.stmt, scope: tuple[str, ...]) -> Iterator[None]:
        """Look at ``stmt`` in ``scope`` for a while: a module-level pass that judges the
        statements of each function resolves names and reports as if it were visiting them."""
        saved = self.scope, self.stmt
        self.scope, self.stmt = scope, stmt
        try:
            yield
        finally:
            self.scope, self.stmt = saved

    # -- name resolution -------------------------------------------------------------
    def qualname(self, node: ast.AST) -> str | None:
        """Fully-qualified name of a callee or attribute chain, or None if unknown."""
        if isinstance(node, ast.Call):
            return self.qualname(node.func)
        parts = dotted(node)
        if parts is None:
            if not isinstance(node, ast.Attribute):
                return None
            # f().a.b: the name of what the chain starts from, then its attributes, in
            # one pass (a name per link made a chain of n links cost n^2 here).
            attrs = []
            while isinstance(node, ast.Attribute):
                attrs.append(node.attr)
                node = node.value
            base = self.qualname(node)
            return ".".join([base, *reversed(attrs)]) if base else None
        if parts[0] == "self" and len(parts) > 1:
            # self.client.run -> the type assigned to self.client in this class
            head = self.variable_type(f"self.{parts[1]}")
            if head is not None:
                return self._member(head, parts[2:])
        head = self.variable_type(parts[0])
        if head is None:
            head = self.imports.resolve_name(parts[0])
        if head is None:
            return None
        return fold_builtins(self._member(head, parts[1:]))

    def _member(self, head: str, rest: list[str]) -> str:
        """``head.rest``; a member that a class of this module inherits from a library
        base is that base's: ``app = App()`` with ``class App(FastAPI)`` defining no
        ``get`` makes ``app.get`` ``fastapi.FastAPI.get``."""
        if not rest:
            return head
        if head.startswith(self._module_prefix):  # a class of this module, perhaps
            classes = self.fact(local_classes)
            owner, seen = head, set()
            while owner in classes and owner not in seen:
                seen.add(owner)
                members, bases = classes[owner]
                if rest[0] in members or not bases:
                    break
                local = next((b for b in bases if b in classes), None)
                if local is None:
                    return ".".join([bases[0], *rest])  # inherited from a library base
                owner = local
        return ".".join([head, *rest])

    def module_variables(self) -> dict[str, str]:
        return dict(self._types.get((), {}))

    def variable_type(self, name: str) -> str | None:
        scope = self.scope
        while True:
            found = self._types.get(scope, {}).get(name)
            if found is not None or not scope:
                return found
            scope = scope[:-1]

    def bind_annotations(self, node: ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """Declared types: ``database: SQLDatabase = Field(...)`` in a class body types
        ``self.database``; ``def f(client: LLMClient)`` types ``client`` inside f."""
        inner = (*self.scope, node.name)
        if isinstance(node, ast.ClassDef):
            for stmt in node.body:
                if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                    qual = self._annotation(stmt.annotation)
                    if qual is not None:
                        self._types[inner].setdefault(f"self.{stmt.target.id}", qual)
            return
        args = node.args
        for a in (*args.posonlyargs, *args.args, *args.kwonlyargs):
            if a.annotation is not None and a.arg not in ("self", "cls"):
                qual = self._annotation(a.annotation)
                if qual is not None:
                    self._types[inner][a.arg] = qual

    def _annotation(self, node: ast.AST) -> str | None:
        """The class an annotation names (Optional[X] and X | None are X); None for
        builtins, generics and strings."""
        if isinstance(node, ast.Subscript) and dotted(node.value) in (["Optional"], ["typing", "Optional"]):
            node = node.slice
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            if isinstance(node.right, ast.Constant) and node.right.value is None:
                node = node.left
            elif isinstance(node.left, ast.Constant) and node.left.value is None:
                node = node.right
        if not isinstance(node, (ast.Name, ast.Attribute)):
            return None
        qual = self.qualname(node)
        if qual is None or "." not in qual:
            return None  # builtins (str, dict) type nothing useful
        return qual

    def bind_type(self, target: ast.AST, value: ast.AST) -> None:
        """Remember ``x = requests.Session()`` so that ``x.get`` is ``requests.Session.get``,
        and ``self.x = Client()`` (for the whole class) so that ``self.x.run`` resolves."""
        if isinstance(target, ast.Name):
            key, types = target.id, self._types[self.scope]
        elif (
            isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id == "self"
            and len(self.scope) >= 2
        ):
            key, types = f"self.{target.attr}", self._types[self.scope[:-1]]
        else:
            return
        if isinstance(value, ast.BoolOp):  # client or Client()
            value = value.values[-1]
        if isinstance(value, ast.Await):
            value = value.value
        if isinstance(value, ast.Call):
            qual = self.qualname(value.func)
            if qual is not None:
                types[key] = qual
                return
        if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Div):
            # base / "name": a path joined to a pathlib.Path is a pathlib.Path
            left = value.left
            left_type = self.variable_type(left.id) if isinstance(left, ast.Name) else (
                self.qualname(left.func) if isinstance(left, ast.Call) else None
            )
            if left_type in PATH_TYPES:
                types[key] = "pathlib.Path"
                return
        types.pop(key, None)

    # -- reporting ---------------------------------------------------------------------
    def report(
        self,
        rule: Rule,
        node: ast.AST,
        message: str,
        *,
        evidence: tuple[str, ...] = (),
        secret: str | None = None,
        stmt: ast.stmt | None = None,
        scope: tuple[str, ...] | None = None,
    ) -> None:
        """Report a finding of ``rule`` at ``node``. Its severity and confidence come from
        the rule and the ``evidence`` (redline.severity.decide): a check never chooses them.
        ``stmt`` and ``scope`` name the statement and scope of ``node`` when a check reports
        a node elsewhere than the one being visited (a module pass, a class's methods)."""
        if rule.id not in self.settings.enabled:
            return
        line = getattr(node, "lineno", 1)
        col = getattr(node, "col_offset", 0)
        snippet = self.lines[line - 1].strip() if 0 < line <= len(self.lines) else ""
        if secret:
            self.secrets.add(secret)
            masked = mask_secret(secret)
            snippet = snippet.replace(secret, masked)
            if message_secrets({secret}):  # see message_secrets: "default" stays a word
                message = message.replace(secret, masked)
        if self.test_code:
            evidence = (*evidence, "test-code")
        sev, conf, reasons = decide(rule, evidence)
        stmt = stmt or self.stmt
        start, end = (line, getattr(node, "end_lineno", line) or line)
        if stmt is not None:
            span = statement_span(stmt)
            if span[0] <= line <= span[1]:  # else the check reports a node of a later statement
                start, end = span
        cell = None
        shown_line = line
        if self._cell_of_line is not None:
            cell, shown_line = self._cell_of_line(line)
        self.findings.append(
            Finding(
                rule_id=rule.id,
                title=rule.title,
                area=rule.area,
                severity=sev,
                confidence=conf,
                location=Location(
                    path=self.path,
                    line=shown_line,
                    column=col,
                    end_line=(getattr(node, "end_lineno", None) or line) - line + shown_line,
                    end_column=getattr(node, "end_col_offset", None),
                    cell=cell,
                ),
                message=message,
                snippet=snippet,
                cwe=rule.cwe,
                recommendation=rule.recommendation,
                scope=".".join(self.scope if scope is None else scope) or "<module>",
                stmt_start=start,
                stmt_end=end,
                evidence=tuple(evidence),
                reasons=reasons,
            )
        )


def local_classes(ctx: FileContext) -> dict[str, tuple[frozenset[str], tuple[str, ...]]]:
    """The module's top-level classes: qualified name -> (names its body defines, the
    qualified names of its bases, resolved through the imports only)."""
    module = ctx.imports.module
    found: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {}
    for stmt in ctx.tree.body:
        if not isinstance(stmt, ast.ClassDef):
            continue
        members: set[str] = set()
        for item in stmt.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                members.add(item.name)
            elif isinstance(item, ast.Assign):
                members.update(t.id for t in item.targets if isinstance(t, ast.Name))
            elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                members.add(item.target.id)
        bases = []
        for base in stmt.bases:
            parts = dotted(base)
            head = ctx.imports.resolve_name(parts[0]) if parts else None
            if head is not None:
                bases.append(".".join([head, *parts[1:]]))
        found[f"{module}.{stmt.name}"] = (frozenset(members), tuple(bases))
    return found


def statement_span(stmt: ast.stmt) -> tuple[int, int]:
    """Lines of a statement's own text: for a compound statement, only its header."""
    start = stmt.lineno
    body = getattr(stmt, "body", None)
    if isinstance(body, list) and body and isinstance(body[0], ast.AST):
        return start, max(start, body[0].lineno - 1)
    decorators = getattr(stmt, "decorator_list", None)
    if decorators:
        start = min(d.lineno for d in decorators)
    return start, stmt.end_lineno or start


_SKIP_FIELDS = frozenset({"ctx", "op", "ops", "type_comment"})
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _child_fields(cls: type) -> tuple[str, ...]:
    fields = _CHILD_FIELDS.get(cls)
    if fields is None:
        fields = _CHILD_FIELDS[cls] = tuple(f for f in cls._fields if f not in _SKIP_FIELDS)
    return fields


def walk(tree: ast.Module, ctx: FileContext, dispatch: Dispatch) -> None:
    """Visit every node once, in source order, without recursion.

    Operator and expression-context singletons (``Load``, ``Add``...) carry no
    information for the rules and are not visited.
    """
    by_type = dispatch.by_type
    by_call = dispatch.by_call
    wants_calls = dispatch.wants_calls
    AST = ast.AST
    ctx.tree = tree
    stack: list[tuple[ast.AST, tuple[str, ...], ast.stmt | None, ast.AST | None]] = [(tree, (), None, None)]
    pop, push = stack.pop, stack.append
    while stack:
        node, scope, stmt, function = pop()
        cls = type(node)
        ctx.scope = scope
        ctx.function = function
        if isinstance(node, ast.stmt):
            stmt = node
            if cls is ast.Assign and len(node.targets) == 1:
                ctx.stmt = stmt
                ctx.bind_type(node.targets[0], node.value)
            if cls is ast.ClassDef or cls is ast.FunctionDef or cls is ast.AsyncFunctionDef:
                ctx.bind_annotations(node)
        elif cls is ast.withitem and node.optional_vars is not None:
            ctx.bind_type(node.optional_vars, node.context_expr)
        ctx.stmt = stmt
        fns = by_type.get(cls)
        if fns:
            for fn in fns:
                fn(ctx, node)
        if wants_calls and cls is ast.Call:
            name = ctx.qualname(node.func)
            if name is not None:
                for fn in by_call.get(name, ()):
                    fn(ctx, node)
        if cls in _SCOPE_TYPES:
            child_scope = scope + (node.name,)
            function = None if cls is ast.ClassDef else node
        else:
            child_scope = scope
        for field in reversed(_child_fields(cls)):
            value = getattr(node, field, None)
            if value is None:
                continue
            if type(value) is list:
                for item in reversed(value):
                    if isinstance(item, AST):
                        push((item, child_scope, stmt, function))
            elif isinstance(value, AST):
                push((value, child_scope, stmt, function))
