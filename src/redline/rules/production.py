"""Production engineering: resource limits, error handling and shared state.

The second half of a review: not exploitable on their own, these are the flaws that
take an agent service down (unbounded memory, loops that never end, hung workers) or
hide the attack that does (errors swallowed, internals shown to clients).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from redline.knowledge import web
from redline.rules.catalog import rule
from redline.rules.common import has_star_kwargs, is_const, is_literal, keyword, last_name
from redline.rules.registry import check
from redline.rules.routes import in_handler, web_facts

OPS001 = rule("OPS001")
OPS002 = rule("OPS002")
OPS003 = rule("OPS003")
OPS004 = rule("OPS004")
OPS005 = rule("OPS005")
OPS006 = rule("OPS006")
OPS007 = rule("OPS007")


# ---------------------------------------------------------------------------
# Helpers


def _chain(node: ast.AST) -> list[str]:
    """``self.client.chat.completions.create`` -> its attribute and name parts."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return parts


def _words(name: str) -> set[str]:
    return set(web.words_of(name))


def _calls(nodes: list[ast.stmt]) -> list[ast.Call]:
    return [n for stmt in nodes for n in ast.walk(stmt) if isinstance(n, ast.Call)]


# ---------------------------------------------------------------------------
# OPS001: unbounded memoization decorators


@check(OPS001, nodes=(ast.FunctionDef, ast.AsyncFunctionDef))
def unbounded_memo(ctx, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
    if not node.decorator_list:
        return
    prod = web.production()
    params = [a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)]
    is_method = bool(params) and params[0] in ("self", "cls")
    if len(params) - is_method <= 0 and node.args.vararg is None and node.args.kwarg is None:
        return  # one entry at most
    for dec in node.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        qual = ctx.qualname(target)
        if qual in prod.unbounded_decorators:
            unbounded = True
        elif qual in prod.bounded_decorators and isinstance(dec, ast.Call):
            size = dec.args[0] if dec.args else (kw.value if (kw := keyword(dec, "maxsize")) else None)
            unbounded = size is not None and is_const(size, None)
        else:
            continue
        if not unbounded:
            continue
        if is_method and params[0] == "self":
            ctx.report(
                OPS001,
                dec,
                f"{qual} without a size limit on method {node.name}(): unbounded, and every self stays alive",
                evidence=("variant:method-cache",),
                stmt=node,
            )
        else:
            message = f"{qual} without a size limit on {node.name}() grows with every distinct argument"
            ctx.report(OPS001, dec, message, stmt=node)


# ---------------------------------------------------------------------------
# Module facts: containers, their growth and eviction, thread workers


@dataclass
class _Container:
    name: str
    node: ast.stmt
    grows_in: list[tuple[str, ast.AST]] = field(default_factory=list)  # (function, node)
    evicted: bool = False


@dataclass
class _Facts:
    containers: dict[str, _Container] = field(default_factory=dict)
    workers: set[str] = field(default_factory=set)
    functions: list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, tuple[str, ...]]] = field(default_factory=list)


_EMPTY_BUILDERS = frozenset({"dict", "list", "set", "collections.defaultdict", "collections.OrderedDict", "collections.Counter"})


def _imports(ctx, *prefixes: str) -> bool:
    """Whether the module imports anything from one of these top-level packages."""
    tops = ctx.fact(_imported_tops)
    return any(p in tops for p in prefixes)


def _imported_tops(ctx) -> frozenset[str]:
    return frozenset(v.partition(".")[0] for v in ctx.imports.aliases.values())


def _empty_container(ctx, value: ast.AST | None) -> bool:
    if isinstance(value, (ast.Dict, ast.List, ast.Set)):
        return not (value.keys if isinstance(value, ast.Dict) else value.elts) or isinstance(value, ast.Dict)
    if isinstance(value, ast.Call):
        return ctx.qualname(value.func) in _EMPTY_BUILDERS
    return False


def _filled(stmt: ast.stmt) -> bool:
    value = getattr(stmt, "value", None)
    if isinstance(value, ast.Dict):
        return bool(value.keys)
    return isinstance(value, (ast.List, ast.Set)) and bool(value.elts)


def _module_facts(ctx) -> _Facts:
    module = ctx.tree
    facts = _Facts()
    for stmt in module.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            target, value = stmt.target, stmt.value
        else:
            continue
        if isinstance(target, ast.Name) and _empty_container(ctx, value):
            facts.containers[target.id] = _Container(target.id, stmt)
    for cls in module.body:
        if not isinstance(cls, ast.ClassDef):
            continue
        for stmt in cls.body:  # shared class attributes; annotated ones are model fields unless ClassVar
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                target, value = stmt.targets[0], stmt.value
            elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None and "ClassVar" in ast.unparse(stmt.annotation):
                target, value = stmt.target, stmt.value
            else:
                continue
            if isinstance(target, ast.Name) and _empty_container(ctx, value):
                key = f"{cls.name}.{target.id}"
                facts.containers[key] = _Container(key, stmt)
    wants_workers = _imports(ctx, "threading", "concurrent", "multiprocessing") or (
        _imports(ctx, "asyncio") and any("to_thread" in line or "run_in_executor" in line for line in ctx.lines)
    )
    if not wants_workers:
        # Without threads only caches matter: containers that start empty.
        facts.containers = {
            k: c for k, c in facts.containers.items() if not _filled(c.node)
        }
    if not facts.containers and not wants_workers:
        return facts
    prod = web.production()

    outermost: list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, str]] = []

    def visit(body: list[ast.stmt], scope: tuple[str, ...], in_function: bool) -> None:
        for stmt in body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                facts.functions.append((stmt, scope))
                if not in_function:
                    outermost.append((stmt, scope[-1] if scope else ""))
                visit(stmt.body, (*scope, stmt.name), True)
            elif isinstance(stmt, ast.ClassDef):
                visit(stmt.body, (*scope, stmt.name), in_function)

    visit(module.body, (), False)
    for func, owner in outermost:  # each walk covers the functions nested in it
        for node in ast.walk(func):
            if isinstance(node, ast.Call):
                _note_call(ctx, node, func.name, facts, prod, owner)
            elif isinstance(node, ast.Subscript):
                box = facts.containers.get(_ref(node.value, owner))
                if box is not None and isinstance(node.ctx, ast.Store) and not is_literal(node.slice):
                    box.grows_in.append((func.name, node))
                elif box is not None and isinstance(node.ctx, ast.Del):
                    box.evicted = True
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                box = facts.containers.get(_ref(node, owner))
                if box is not None:
                    box.evicted = True  # self.cache = {}: replaced (per instance, or reset)
            elif isinstance(node, ast.Global):
                for name in node.names:
                    if name in facts.containers:
                        facts.containers[name].evicted = True  # rebound (reset) somewhere
    return facts


def _ref(node: ast.AST, owner: str) -> str:
    """The container key of ``NAME``, or of ``self.NAME`` / ``cls.NAME`` / ``Owner.NAME``
    inside the methods of class ``owner``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        base = node.value.id
        if owner and base in ("self", "cls", owner):
            return f"{owner}.{node.attr}"
        return f"{base}.{node.attr}"
    return ""


def _note_call(ctx, node: ast.Call, where: str, facts: _Facts, prod, owner: str = "") -> None:
    func = node.func
    if isinstance(func, ast.Name) and func.id == "len" and node.args:
        box = facts.containers.get(_ref(node.args[0], owner))
        if box is not None:
            box.evicted = True  # a size check
        return
    if not isinstance(func, ast.Attribute):
        return
    key = _ref(func.value, owner)
    if key in facts.containers:
        box = facts.containers[key]
        if func.attr in prod.evicting_methods:
            box.evicted = True
        elif func.attr in prod.growing_methods:
            box.grows_in.append((where, node))
        return
    # Thread workers: pool.submit(fn), pool.map(fn, ...), Thread(target=fn), to_thread(fn)
    target: ast.AST | None = None
    receiver = " ".join(_chain(func.value)).lower()
    if func.attr in prod.executor_methods and ("pool" in receiver or "executor" in receiver):
        index = 1 if func.attr == "run_in_executor" else 0
        target = node.args[index] if len(node.args) > index else None
    elif func.attr == "to_thread" and node.args:
        target = node.args[0]
    elif func.attr == "Thread":
        kw = keyword(node, "target")
        target = kw.value if kw else None
    if target is None:
        return
    if isinstance(target, ast.Lambda):
        for sub in ast.walk(target.body):
            if isinstance(sub, ast.Call):
                name = last_name(sub.func)
                if name:
                    facts.workers.add(name)
    else:
        name = last_name(target)
        if name:
            facts.workers.add(name)


@check(OPS001, OPS004, OPS005, nodes=(ast.Module,))
def module_state(ctx, node: ast.Module) -> None:
    facts = ctx.fact(_module_facts)
    handler_names = {s[-1] for s in web_facts(ctx).handler_scopes}
    prod = web.production()
    for box in facts.containers.values():
        if box.evicted or not box.grows_in:
            continue
        on_request = any(f in handler_names for f, _ in box.grows_in)
        owner, _, attr = box.name.rpartition(".")
        if not on_request and not (_words(attr) & prod.store_words):
            continue
        first = box.grows_in[0][0]
        ctx.report(
            OPS001,
            box.node,
            f"{box.name} grows in {first}() and nothing ever removes entries"
            + (" (on the request path)" if on_request else ""),
            evidence=("variant:request-path",) if on_request else (),
            stmt=box.node,
            scope=(owner,) if owner else (),
        )
    for func, scope in facts.functions:
        if func.name in facts.workers:
            _unlocked_mutations(ctx, func, scope, facts, func.body, False)


def _unlocked_mutations(ctx, func, scope, facts: _Facts, body: list[ast.stmt], locked: bool) -> None:
    prod = web.production()
    globals_ = {n for s in ast.walk(func) if isinstance(s, ast.Global) for n in s.names}
    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(stmt, (ast.With, ast.AsyncWith)):
            held = locked or any(
                _words(" ".join(_chain(i.context_expr.func if isinstance(i.context_expr, ast.Call) else i.context_expr)))
                & prod.lock_words
                for i in stmt.items
            )
            _unlocked_mutations(ctx, func, scope, facts, stmt.body, held)
            continue
        if not locked:
            shared = _shared_target(stmt, facts, globals_, prod)
            if shared is not None:
                ctx.report(
                    OPS005,
                    stmt,
                    f"{shared} is module state changed in {func.name}(), which runs on worker threads, without a lock",
                    stmt=stmt,
                    scope=scope,
                )
        for child in ("body", "orelse", "finalbody"):
            inner = getattr(stmt, child, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                _unlocked_mutations(ctx, func, scope, facts, inner, locked)
        for handler in getattr(stmt, "handlers", ()):
            _unlocked_mutations(ctx, func, scope, facts, handler.body, locked)


def _shared_target(stmt: ast.stmt, facts: _Facts, globals_: set[str], prod) -> str | None:
    targets: list[ast.AST] = []
    if isinstance(stmt, ast.AugAssign):
        targets = [stmt.target]
    elif isinstance(stmt, ast.Assign):
        targets = list(stmt.targets)
    elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        func = stmt.value.func
        if isinstance(func, ast.Attribute) and func.attr in prod.growing_methods | prod.evicting_methods:
            targets = [ast.Subscript(value=func.value, slice=ast.Constant(0), ctx=ast.Store())]
    for t in targets:
        if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and t.value.id in facts.containers:
            return t.value.id
        if isinstance(t, ast.Name) and t.id in globals_ and isinstance(stmt, ast.AugAssign):
            return t.id
    return None


# ---------------------------------------------------------------------------
# OPS002: commands without a timeout


def _generates(value: ast.AST) -> bool:
    """A rendered template or a model reply: ``Template(t).render(**ctx)``, ``llm.complete(p)``."""
    prod = web.production()
    for sub in ast.walk(value):
        if isinstance(sub, ast.Call) and (last_name(sub.func) in prod.generating_methods or _llm_call(sub)):
            return True
    return False


def _generated_names(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> frozenset[str]:
    """Names assigned generated text in a function (for the shell check below)."""
    return frozenset(
        t.id
        for sub in ast.walk(fn)
        if isinstance(sub, ast.Assign) and _generates(sub.value)
        for t in sub.targets
        if isinstance(t, ast.Name)
    )


def _generated(ctx, command: ast.AST) -> bool:
    if isinstance(command, ast.Name):
        return command.id in (ctx.function_fact(_generated_names) or ())
    return _generates(command)


@check(OPS002, calls=tuple(web.production().subprocess_runs))
def command_without_timeout(ctx, node: ast.Call) -> None:
    if keyword(node, "timeout") is not None or has_star_kwargs(node):
        return
    command = node.args[0] if node.args else (kw.value if (kw := keyword(node, "args")) else None)
    if command is None or is_literal(command):
        return
    shell = keyword(node, "shell")
    prod = web.production()
    how = None
    if shell is not None and is_const(shell.value, True) and _generated(ctx, command):
        how = "a shell"
    elif isinstance(command, (ast.List, ast.Tuple)) and command.elts:
        head = command.elts[0]
        text = head.value if isinstance(head, ast.Constant) and isinstance(head.value, str) else ast.unparse(head)
        program = text.rsplit("/", 1)[-1]
        flags = {e.value for e in command.elts[1:] if isinstance(e, ast.Constant)}
        runs_code = flags & {"-c", "-e", "--eval", "-Command"} or program in ("python", "python3")
        fixed_arguments = is_literal(ast.List(elts=command.elts[1:], ctx=ast.Load()))
        if program in prod.interpreters and not fixed_arguments and (runs_code or text == "sys.executable"):
            how = f"the {program} interpreter"
    if how is None:
        return
    name = ctx.qualname(node.func)
    ctx.report(OPS002, node, f"{name}() runs a non-literal command through {how} without a timeout")


# ---------------------------------------------------------------------------
# OPS003 / OPS004: exception handling


def _broad(handler: ast.ExceptHandler) -> bool:
    t = handler.type
    if t is None:
        return True
    names = t.elts if isinstance(t, ast.Tuple) else [t]
    return any(last_name(n) in ("Exception", "BaseException") for n in names)


def _silent(handler: ast.ExceptHandler) -> bool:
    for stmt in handler.body:
        if isinstance(stmt, (ast.Pass, ast.Continue)):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue
        return False
    return True


_FAIL_OPEN = frozenset({"auth", "authenticate", "authorize", "verify", "permission", "login", "decrypt", "sign", "validate"})


@check(OPS003, nodes=(ast.Try,))
def swallowed(ctx, node: ast.Try) -> None:
    handlers = [h for h in node.handlers if _broad(h) and _silent(h)]
    if not handlers:
        return
    prod = web.production()
    reason = None
    severe = False
    for call in _calls(node.body):
        words = _words(last_name(call.func))
        qual = ctx.qualname(call.func) or ""
        if words & prod.cleanup_words:
            continue
        hit = words & prod.security_words
        if qual.startswith(("subprocess.", "os.system")):
            hit = hit or {qual}
        if hit:
            reason = reason or last_name(call.func)
            if words & _FAIL_OPEN:
                severe, reason = True, last_name(call.func)
                break
    if reason is None:
        return
    for handler in handlers:
        kind = "except:" if handler.type is None else f"except {ast.unparse(handler.type)}:"
        ctx.report(
            OPS003,
            handler,
            f"{kind} with an empty body swallows failures of {reason}()",
            evidence=("variant:severe",) if severe else (),
        )


def _mentions_exc(node: ast.AST, name: str | None) -> str | None:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and last_name(sub.func) in ("format_exc", "format_exception", "print_exc"):
            return "traceback"
        if name and isinstance(sub, ast.Name) and sub.id == name:
            return "message"
    return None


@check(OPS004, nodes=(ast.ExceptHandler,))
def details_to_client(ctx, node: ast.ExceptHandler) -> None:
    if not _broad(node):
        return
    responses = web.production().responses
    handler = in_handler(ctx)
    for stmt in node.body:
        for sub in ast.walk(stmt):
            found = None
            if isinstance(sub, ast.Call):
                qual = ctx.qualname(sub.func) or ""
                if qual in responses or (not qual and last_name(sub.func) in ("HTTPException", "JSONResponse", "jsonify")):
                    found = _mentions_exc(sub, node.name)
            elif isinstance(sub, ast.Return) and handler and isinstance(sub.value, (ast.Dict, ast.JoinedStr, ast.Call)):
                found = _mentions_exc(sub.value, node.name)
            if found:
                ctx.report(
                    OPS004,
                    sub,
                    "a traceback is sent to the client" if found == "traceback"
                    else f"the text of exception {node.name!r} is sent to the client",
                    evidence=("variant:traceback",) if found == "traceback" else (),
                )
                return


# ---------------------------------------------------------------------------
# OPS006 / OPS007: unbounded loops


def _forever(node: ast.While) -> bool:
    return isinstance(node.test, ast.Constant) and bool(node.test.value) and not node.orelse


def _bounded(ctx, body: list[ast.stmt]) -> bool:
    prod = web.production()
    for stmt in body:
        for sub in ast.walk(stmt):
            if isinstance(sub, ast.AugAssign) and (
                isinstance(sub.value, ast.Constant) and isinstance(sub.value.value, (int, float))
                or _words(" ".join(_chain(sub.target))) & prod.bound_words
            ):
                return True  # attempts += 1, remaining -= 1
            if isinstance(sub, ast.Call):
                qual = ctx.qualname(sub.func) or ""
                if qual in prod.sleeps or last_name(sub.func) in ("sleep", "backoff", "wait"):
                    return True
            if isinstance(sub, ast.Compare):
                for side in (sub.left, *sub.comparators):
                    if any(w in prod.bound_words for w in _words(" ".join(_chain(side)))):
                        return True
    return False


def _llm_call(call: ast.Call) -> bool:
    prod = web.production()
    chain = _chain(call.func)
    if not chain:
        return False
    if _words(chain[0]) & prod.llm_words:
        return True
    receiver = set().union(*(_words(p) for p in chain[1:])) if len(chain) > 1 else set()
    return bool(_words(chain[0]) & prod.llm_weak_words and receiver & (prod.llm_receivers | prod.llm_words))


def _network_call(ctx, call: ast.Call) -> bool:
    prod = web.production()
    qual = ctx.qualname(call.func) or ""
    if qual.partition(".")[0] in prod.network_modules:
        return True
    return bool(_words(last_name(call.func)) & prod.network_words)


def _retried(try_: ast.Try) -> bool:
    """Some handler of ``try_`` lets the loop go round again (no raise, break or return)."""
    for handler in try_.handlers:
        if not any(isinstance(s, (ast.Raise, ast.Break, ast.Return)) for st in handler.body for s in ast.walk(st)):
            return True
    return False


@check(OPS006, OPS007, nodes=(ast.While,))
def unbounded_loop(ctx, node: ast.While) -> None:
    if not _forever(node) or _bounded(ctx, node.body):
        return
    if any(isinstance(s, (ast.Yield, ast.YieldFrom)) for st in node.body for s in ast.walk(st)):
        return  # a generator: the consumer decides how long it runs
    calls = _calls(node.body)
    if any(_llm_call(c) for c in calls):
        ctx.report(OPS007, node, "while True around a model call has no iteration limit")
        return
    for stmt in node.body:
        for sub in ast.walk(stmt):
            if isinstance(sub, ast.Try) and _retried(sub) and any(_network_call(ctx, c) for c in _calls(sub.body)):
                ctx.report(OPS006, node, "network call retried in while True without backoff or an attempt limit")
                return
