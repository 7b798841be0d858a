"""Interprocedural taint analysis: the parent half.

Joins the per-module flow graphs (redline.python.flow) into one graph: an
argument of a call into the project flows to the callee's parameter, the callee's
return value flows back to the call's result, ``self`` fields connect the methods
of a class, and an unresolved call passes its arguments' taint to its result.
Sources (read in code, or parameters of tools and routes, found through the
class hierarchy) are searched breadth-first to sinks; each sink reached by an
unsanitized path becomes one finding carrying that path, step by step.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from redline.knowledge.taint import CATEGORIES, TaintKnowledge
from redline.model import Finding, Location, TaintStep
from redline.python.flow import MITIGATED, UNKNOWN, VERDICT_CATEGORIES, unpack_edges, unpack_steps
from redline.severity import DEFAULT_THREAT_MODELS, THREAT_MODELS, decide, dropped
from redline.text.secret_values import is_test_path

KIND_LABELS = {
    "api-parameter": "a caller of the public API",
    "remote": "the HTTP request",
    "model-output": "model output",
    "tool-argument": "an agent tool argument",
    "cli": "the command line",
    "file": "file contents",
    "network": "the network",
}
MAX_STATES = 2_000_000
MAX_DUCK_CALLEES = 4  # project methods a call on an untyped object may reach by name


class Graph:
    def __init__(self) -> None:
        # node -> [(target, steps, sanitized categories, call/return marker)]; steps: 0 for
        # none, else a number that ``steps_of`` turns into the (path, line, text) steps
        self.adjacency: dict[str, list[tuple[str, tuple, frozenset[str], tuple | None]]] = {}
        self.sources: dict[str, tuple[str, dict]] = {}  # id -> (path, info)
        self.sinks: dict[str, tuple[str, dict]] = {}
        self.functions: dict[str, tuple[str, dict]] = {}
        # Every project function by name, for resolving calls: ``functions`` itself, or
        # for a part of the project (redline.python.partial) a lookup over all of it.
        self.known = self.functions
        self.callees: dict[str, list[str]] = {}  # call site -> the project functions it calls
        self.capped = False  # a search stopped at MAX_STATES
        self.sites: dict[str, tuple[str, dict]] = {}
        self.site_keys: dict[str, list[str]] = {}  # call site -> argument keys that carry taint
        self.safe: set[tuple] = set()  # (path, line, cell, col, category) proven safe in a module
        self.called: set[str] = set()  # project functions called from the project
        self.name_only: set[str] = set()  # call sites linked to callees by method name alone
        self.tools: dict[str, tuple[str, list]] = {}  # function registered as a tool -> (path, [kind, line, wrapper])
        # chk: node -> where the edges into it are: (adjacency list, position)
        self.into_checks: dict[str, list[tuple[list, int]]] = {}
        self._step_bases: list[int] = []  # the first step number of each module's texts
        self._step_texts: list[Steps] = []
        self._reverse: dict[str, set[str]] | None = None
        self._useful: tuple[dict, set[str]] | None = None

    def add(
        self,
        frm: str,
        to: str,
        steps: int = 0,
        clean: frozenset[str] = frozenset(),
        marker: tuple | None = None,
    ) -> None:
        """``marker`` is ("call", site) for argument -> parameter edges and ("ret", site)
        for return -> call result edges; the search matches them like brackets."""
        self.adjacency.setdefault(frm, []).append((to, steps, clean, marker))
        self._reverse = self._useful = None

    def add_steps(self, steps: Steps) -> int:
        """Registers a module's step texts; returns the number its step 1 gets, less one."""
        base = self._step_bases[-1] + len(self._step_texts[-1]) if self._step_texts else 0
        self._step_bases.append(base)
        self._step_texts.append(steps)
        return base

    def steps_of(self, number: int) -> list[tuple[str, int, str]]:
        i = bisect_right(self._step_bases, number - 1) - 1
        return self._step_texts[i].get(number - self._step_bases[i])

    def step_place(self, number: int) -> tuple[str, int]:
        """The module and the position in its step lists of a step number."""
        i = bisect_right(self._step_bases, number - 1) - 1
        return self._step_texts[i].path, number - self._step_bases[i]

    def reverse(self) -> dict[str, set[str]]:
        """target -> the nodes with an edge to it (built once the graph stops growing)."""
        if self._reverse is None:
            reverse: dict[str, set[str]] = {}
            for frm, edges in self.adjacency.items():
                for edge in edges:
                    reverse.setdefault(edge[0], set()).add(frm)
            self._reverse = reverse
        return self._reverse


_CLEAN: frozenset[str] = frozenset()


class Steps:
    """One module's step texts, compressed JSON until the first time a reported path goes
    through one of them."""

    __slots__ = ("path", "packed", "count", "_parsed")

    def __init__(self, path: str, packed: str, count: int) -> None:
        self.path, self.packed, self.count, self._parsed = path, packed, count, None

    def __len__(self) -> int:
        return self.count

    def get(self, at: int) -> list[tuple[str, int, str]]:
        if self._parsed is None:
            self._parsed = unpack_steps(self.packed)
        return [(self.path, line, text) for line, text in self._parsed[at - 1]]


def _module_safe(path: str, flows: dict) -> Iterable[tuple]:
    """(path, line, cell, col, category) of the sink calls a module proved safe alone."""
    for entry in flows.get("safe", ()):
        line, cell, col, category = entry if len(entry) == 4 else (entry[0], None, *entry[1:])
        yield (path, line, cell, col, category)


def build(graphs: Iterable[tuple[str, dict]]) -> Graph:
    g = Graph()
    for path, flows in graphs:
        for sid, info in flows["sources"].items():
            g.sources[sid] = (path, info)
        for sid, info in flows["sinks"].items():
            g.sinks[sid] = (path, info)
        for qual, info in flows["functions"].items():
            g.functions.setdefault(qual, (path, info))
        for site, info in flows["sites"].items():
            g.sites[site] = (path, info)
        for qual, info in flows.get("tools", {}).items():
            g.tools.setdefault(qual, (path, info))
        g.safe.update(_module_safe(path, flows))
        adjacency = g.adjacency
        names = flows["names"]
        cleans = [frozenset(c) if c else _CLEAN for c in flows["cleans"]]
        base = g.add_steps(Steps(path, flows["steps"], flows["step_count"]))
        edges = unpack_edges(flows["edges"])
        checks = {i for i, name in enumerate(names) if name.startswith("chk:")}
        for i in range(0, len(edges), 4):
            target = edges[i + 1]
            at = edges[i + 2]
            out = adjacency.setdefault(names[edges[i]], [])
            out.append((names[target], base + at if at else 0, cleans[edges[i + 3]], None))
            if target in checks:
                g.into_checks.setdefault(names[target], []).append((out, len(out) - 1))
        for name in names:  # argument nodes are only ever targets of this module's edges
            if name.startswith("arg:"):
                site, _, key = name[4:].rpartition(":")
                keys = g.site_keys.setdefault(site, [])
                if key not in keys:
                    keys.append(key)
    return g


def methods_by_name(functions: Iterable[tuple[str, bool]]) -> dict[str, list[str]]:
    """The project's methods (qualified name, whether a method) by their short name."""
    by_name: dict[str, list[str]] = {}
    for qual, method in functions:
        if method:
            by_name.setdefault(qual.rpartition(".")[2], []).append(qual)
    return by_name


class Known:
    """Every project function when only some modules' graphs are built: the module of
    each (``owner``), their methods by short name, and a function's details read from
    its module's graph on first use (``flows_of``)."""

    def __init__(self, table: list, flows_of: Callable[[str], dict]) -> None:
        self.owner: dict[str, str] = {}
        methods: list[tuple[str, bool]] = []
        for rel, quals, flags in table:
            for qual, flag in zip(quals, flags, strict=True):
                if qual not in self.owner:
                    self.owner[qual] = rel
                    methods.append((qual, bool(flag)))
        self.by_name = methods_by_name(methods)
        self._flows_of = flows_of

    def __contains__(self, qual: object) -> bool:
        return qual in self.owner

    def __getitem__(self, qual: str) -> tuple[str, dict]:
        rel = self.owner[qual]
        return rel, self._flows_of(rel)["functions"][qual]


def function_table(graphs: Iterable[tuple[str, dict]]) -> list:
    """[module, [function...], [1 when a method...]] for each module, in order: what
    ``Known`` is made of."""
    return [
        [rel, list(flows["functions"]), [1 if info.get("cls") else 0 for info in flows["functions"].values()]]
        for rel, flows in graphs
    ]


class Resolver:
    """Callee names to project functions, through re-exports and class hierarchies."""

    def __init__(self, graph: Graph, index, library_bases: Callable[[str], list[str]] = lambda cls: []) -> None:
        self.functions = graph.known
        self.index = index
        self.library_bases = library_bases
        self._memo: dict[str, str | None] = {}
        self._ancestors: dict[str, list[str]] = {}

    def function(self, name: str) -> str | None:
        if name not in self._memo:
            self._memo[name] = None  # recursion guard
            self._memo[name] = self._function(name, 0)
        return self._memo[name]

    def _function(self, name: str, depth: int) -> str | None:
        if name in self.functions:
            return name
        if depth > 8:
            return None
        found = self.index.definition(name) if self.index is not None else None
        if found is not None:
            module, d = found
            full = f"{module.module}.{d.qualname}"
            if full in self.functions:
                return full
            if d.kind == "class":
                return self.method(full, "__init__", depth + 1)
            return None
        owner, _, attr = name.rpartition(".")
        if owner:
            found = self.index.definition(owner) if self.index is not None else None
            if found is not None and found[1].kind == "class":
                return self.method(f"{found[0].module}.{found[1].qualname}", attr, depth + 1)
        return None

    def is_function(self, name: str) -> bool:
        """Whether ``name`` is a project function (not a class): what it returns is
        typed by nothing redline knows."""
        found = self.index.definition(name) if self.index is not None and name else None
        return found is not None and found[1].kind != "class"

    def method(self, cls: str, attr: str, depth: int = 0) -> str | None:
        candidate = f"{cls}.{attr}"
        if candidate in self.functions:
            return candidate
        if depth > 8:
            return None
        for base in self.bases(cls):
            found = self.method(base, attr, depth + 1)
            if found:
                return found
        return None

    def bases(self, cls: str) -> tuple[str, ...]:
        found = self.index.definition(cls) if self.index is not None else None
        if found is None or found[1].kind != "class":
            return ()
        return found[1].bases

    def ancestors(self, cls: str) -> list[str]:
        """Every base class, nearest first, under the names they are written and defined
        with (asked once per class however many of its methods call a library's)."""
        found = self._ancestors.get(cls)
        if found is None:
            found = self._ancestors[cls] = self._walk_ancestors(cls)
        return found

    def _walk_ancestors(self, cls: str) -> list[str]:
        out: list[str] = []
        todo = list(self.bases(cls))
        while todo and len(out) < 64:
            base = todo.pop(0)
            if base in out:
                continue
            out.append(base)
            found = self.index.definition(base) if self.index is not None else None
            if found is not None and found[1].kind == "class":
                full = f"{found[0].module}.{found[1].qualname}"
                if full != base:
                    out.append(full)
                todo.extend(found[1].bases)
            else:  # a library class: its bases as the knowledge's type hierarchy says
                todo.extend(self.library_bases(base))
        return out


def link(graph: Graph, index, kb: TaintKnowledge, threat_models: frozenset[str] | None = None) -> None:
    """Add the cross-module edges: calls, returns, and class-hierarchy sources (those
    of the public API only when ``threat_models``, if given, includes theirs)."""
    resolver = Resolver(graph, index, kb.library_ancestors)
    # Knowledge names the public spelling (langchain.chains.LLMChain.predict); when the
    # library itself is scanned, calls resolve to where it is defined.
    source_functions: dict[str, str] = {}
    for name, kind in kb.source_calls.items():
        if index is not None and name.split(".", 1)[0] in index.roots:
            target = resolver.function(name)
            if target is not None:
                source_functions[target] = kind
    called = graph.called
    known = graph.known
    by_name = known.by_name if isinstance(known, Known) else methods_by_name(
        (qual, bool(info.get("cls"))) for qual, (_, info) in known.items()
    )
    for site, (path, info) in graph.sites.items():
        name = info["callee"]
        if info.get("method") and resolver.function(name) is None and resolver.is_function(name.rpartition(".")[0]):
            name = "*." + name.rpartition(".")[2]  # thing = make_thing(); thing.do(x)
        if name.startswith("any:"):  # one of a dispatch table's functions
            callees = [c for c in (resolver.function(n) for n in name[4:].split("|")) if c is not None]
            if not callees:
                graph.add(UNKNOWN, site)
        elif name.startswith("*."):
            # a method of an object of unknown type: every project method of that name,
            # when there are few (thing.doSomething(x) with Thing1/Thing2 in the project)
            candidates = by_name.get(name[2:], [])
            callees = candidates if 0 < len(candidates) <= MAX_DUCK_CALLEES else []
            if not callees:
                graph.add(UNKNOWN, site)
            else:
                graph.name_only.add(site)
        else:
            callee = resolver.function(name)
            callees = [callee] if callee is not None else []
            if callee is None and info.get("method"):
                _inherited_source(graph, resolver, kb, site, path, info, name)
            if callee is None or (callee.endswith(".__init__") and not name.endswith(".__init__")):
                # an unknown function's result, or a new object: data the code does not show
                graph.add(UNKNOWN, site)
        unpack = info.get("unpack")
        if unpack:
            # a, b = f(): item by item when every callee returns tuples of that length
            itemwise = bool(callees) and all(known[c][1].get("tuple") == unpack for c in callees)
            for i in range(unpack):
                if itemwise:
                    for c in callees:
                        graph.add(f"ret:{c}#{i}", f"{site}#{i}", marker=("ret", site))
                else:
                    graph.add(site, f"{site}#{i}")
        prefix = f"arg:{site}:"
        keys = graph.site_keys.get(site, ())
        if not callees:
            # Not a project function: arguments flow to the result, except into an
            # object's method that merely reads with them (cache.get(key)).
            method = info.get("method") and name.rpartition(".")[2] not in kb.builders
            for key in keys:
                if not method or key == "self":
                    graph.add(prefix + key, site)
            continue
        graph.callees[site] = callees
        for callee in callees:
            called.add(callee)
            kind = source_functions.get(callee)
            if kind is not None:
                sid = f"src:{site}"
                graph.sources[sid] = (path, {"kind": kind, "line": info["line"], "desc": f"{name}()"})
                graph.add(sid, site)
            _bind_arguments(graph, site, callee, keys)
        if info.get("checked") and len(callees) == 1 and site not in graph.name_only:
            _mark_checked(graph, site, callees[0], info["checked"])
    api = threat_models is None or THREAT_MODELS.get("api-parameter", "remote") in threat_models
    _entry_sources(graph, resolver, kb, api)


def _inherited_source(graph: Graph, resolver: Resolver, kb: TaintKnowledge, site: str, path: str, info: dict, name: str) -> None:
    """``self.get_argument("next")`` in a handler whose class derives, through project
    classes in any module, from a library class whose method is a source."""
    cls, _, method = name.rpartition(".")
    if not cls or not kb.source_calls:
        return
    for ancestor in resolver.ancestors(cls):
        kind = kb.source_calls.get(f"{ancestor}.{method}")
        if kind is not None:
            sid = f"src:{site}"
            graph.sources[sid] = (path, {"kind": kind, "line": info["line"], "desc": f"{ancestor}.{method}()"})
            graph.add(sid, site)
            return


def _mark_checked(graph: Graph, site: str, callee: str, keys: list[str]) -> None:
    """``check(name)`` as a statement: the callee raises unless its parameter passes a
    check, so the caller's data flowing on through ``chk:site:key`` is checked."""
    validates = graph.known[callee][1].get("validates")
    if not validates:
        return
    params = graph.known[callee][1]["params"]
    plain = [p for p in params if not p.startswith("*")]
    offset = 1 if plain and plain[0] in ("self", "cls") else 0
    for key in keys:
        param = plain[int(key) + offset] if key.isdigit() and int(key) + offset < len(plain) else key
        checked = validates.get(param)
        if checked is None:
            continue
        categories = frozenset(CATEGORIES) if checked == "*" else frozenset(checked)
        for out, i in graph.into_checks.get(f"chk:{site}:{key}", ()):
            to, steps, clean, marker = out[i]
            out[i] = (to, steps, clean | categories, marker)


def _bind_arguments(graph: Graph, site: str, callee: str, keys) -> None:
    """Arguments of a call site to the callee's parameters, its return to the site."""
    prefix = f"arg:{site}:"
    params = graph.known[callee][1]["params"]
    offset = 1 if params and params[0] in ("self", "cls") else 0
    star_args = next((p for p in params if p.startswith("*") and not p.startswith("**")), None)
    star_kwargs = next((p for p in params if p.startswith("**")), None)
    plain = [p for p in params if not p.startswith("*")]
    for key in keys:
        param = None
        if key == "self":
            param = params[0] if offset else None
        elif key.isdigit():
            i = int(key) + offset
            param = plain[i] if i < len(plain) else star_args
        elif key == "**":
            param = star_kwargs
        elif key in params:
            param = key
        else:
            param = star_kwargs
        if param is not None:
            graph.add(prefix + key, f"param:{callee}:{param}", marker=("call", site))
    graph.add(f"ret:{callee}", site, marker=("ret", site))


def _entry_sources(graph: Graph, resolver: Resolver, kb: TaintKnowledge, api: bool = True) -> None:
    """Sources that are parameters: overrides of known source methods, functions
    registered as tools by a call, and the public functions of a library that nothing
    in the project calls."""
    # Parameters of methods that override a known source method (tools, node inputs).
    for qual, (_, info) in graph.functions.items():
        cls = info.get("cls")
        if not cls:
            continue
        method = qual.rsplit(".", 1)[1]
        for ancestor in resolver.ancestors(cls):
            kind = kb.source_methods.get(f"{ancestor}.{method}")
            named = kb.source_params.get(f"{ancestor}.{method}", {})
            if kind is None and not named:
                continue
            _parameter_sources(
                graph, qual, "0", lambda bare, named=named, kind=kind: named.get(bare) or kind,
                f"{ancestor}.{method} override",
            )
            break
    # Functions a call registered as tools (FunctionTool(self.read_file)): the model
    # chooses their arguments.
    for name, (reg_path, (kind, line, wrapper)) in graph.tools.items():
        qual = resolver.function(name)
        if qual in graph.functions:  # (a function of a module not built: redline.python.partial)
            short = wrapper.rsplit(".", 1)[-1]
            where = f"{qual.rsplit('.', 1)[-1]}(), registered with {short}() at {reg_path}:{line}"
            _parameter_sources(graph, qual, "tool", lambda bare, kind=kind: kind, where, reg_path)
    # Entry points of a library: public functions nothing in the project calls take
    # their arguments from whoever uses the library (the `library` threat model). Left
    # out when that model is off: no finding comes from them, and the proof of safety
    # (unknown_reach) starts from these parameters anyway, with less sanitized data.
    if not api:
        return
    for qual in graph.functions:
        if qual not in graph.called and _public(qual):
            _parameter_sources(graph, qual, "api", lambda bare: "api-parameter", f"{qual.rsplit('.', 1)[-1]}()")


def _parameter_sources(graph: Graph, qual: str, key: str, kind_of, where: str, registered: str | None = None) -> None:
    """A source for each parameter of ``qual`` (not self/cls, not one typed to carry no
    text) whose kind ``kind_of(name)`` gives, flowing into that parameter; ``registered``:
    the module whose line ``where`` names."""
    path, info = graph.functions[qual]
    typed = info.get("typed", {})
    for p in info["params"]:
        bare = p.lstrip("*")
        kind = kind_of(bare)
        if kind is None or bare in ("self", "cls") or typed.get(p) == "*":
            continue
        sid = f"src:{path}:{info['line']}:{key}:{bare}"
        source = {"kind": kind, "line": info["line"], "desc": f"parameter {bare!r} of {where}", "function": qual}
        if registered is not None:
            source["registered"] = registered
        graph.sources[sid] = (path, source)
        graph.add(sid, f"param:{qual}:{p}", 0, frozenset(typed.get(p, ())))


def _public(qual: str) -> bool:
    """Public API: no private module, class or function on the way (dunders are public)."""
    for part in qual.split("."):
        if part.startswith("_") and not (part.startswith("__") and part.endswith("__")):
            return False
        if part in ("<module>", "tests", "test", "conftest") or part.startswith("test_"):
            return False
    return True


MAX_CONTEXT = 4
# Paths that enter or leave project functions more often than this are review items
# (evidence "deep-path"): on judged real code, every such path was spurious (data of an
# object tainted by one field reaching unrelated code), and proven flows are short.
MAX_TRUSTED_HOPS = 8


def search(graph: Graph, sources: Iterable[str] | None = None, wanted: dict | None = None) -> dict[str, list]:
    """Breadth-first from every source (or those given); the first (shortest) unsanitized
    path to each sink (of ``wanted``, default all), as [source id, steps, validated, path
    evidence, the step numbers].

    Calls and returns are matched (context sensitivity up to MAX_CONTEXT nested calls):
    data passed into a function at one call site comes back out only at that call
    site, so one caller's tainted argument does not taint every caller's result. Data
    that entered a function from its own sources, or through a ``self`` field, returns
    to every caller.
    """
    starts = graph.sources if sources is None else sources
    reached, prev = _bfs(graph, [(sid, ()) for sid in starts], wanted=wanted)
    paths = {}
    for sink, state in reached.items():
        steps: list = []
        numbers: list[int] = []
        cur = state
        by_name = whole_object = False
        hops = 0
        while prev[cur] is not None:
            before, edge_steps = prev[cur]
            if edge_steps:
                steps[:0] = graph.steps_of(edge_steps)
                numbers.insert(0, edge_steps)
            by_name = by_name or _name_only_edge(graph, before[0], cur[0])
            crossed = _crosses_call(before[0], cur[0])
            hops += crossed
            whole_object = whole_object or (crossed and before[0].endswith(":self") and cur[0].endswith(":self"))
            cur = before
        evidence = (
            (["name-only"] if by_name else [])
            + (["deep-path"] if hops > MAX_TRUSTED_HOPS else [])
            + (["object-taint"] if whole_object else [])
        )
        paths[sink] = [cur[0], steps, bool(MITIGATED & state[1]), evidence, numbers]
    return paths


def _crosses_call(frm: str, to: str) -> bool:
    """Whether frm -> to enters a project function or returns from one."""
    return (frm.startswith("arg:") and to.startswith("param:")) or frm.startswith("ret:")


def _name_only_edge(graph: Graph, frm: str, to: str) -> bool:
    """Whether frm -> to binds an argument or a return across a call linked by name only."""
    if not graph.name_only:
        return False
    if frm.startswith("arg:") and to.startswith("param:"):
        return frm[4:].rpartition(":")[0] in graph.name_only
    if frm.startswith("ret:"):
        return to in graph.name_only
    return False


_OUTSIDE = ("<outside>",)  # the call stack of a parameter whose callers are not all known


def _leading_to(graph: Graph, targets: Iterable[str]) -> set[str]:
    """Nodes with a path to one of ``targets``, calls and returns unmatched: a superset
    of what the matched search can reach them from, so pruning the rest loses nothing."""
    reverse = graph.reverse()
    seen = set(targets)
    todo = list(seen)
    while todo:
        for frm in reverse.get(todo.pop(), ()):
            if frm not in seen:
                seen.add(frm)
                todo.append(frm)
    return seen


def _bfs(
    graph: Graph, starts: list[tuple[str, tuple]], wanted: dict[str, tuple[str, dict]] | None = None
) -> tuple[dict[str, tuple], dict[tuple, tuple | None]]:
    """States (node, sanitized categories, call stack) reachable from ``starts``; the
    first state that reaches each sink of ``wanted`` (default all) unsanitized, and how
    every state was reached. Nodes that lead to none of them are never visited: the
    first state at a node comes from a node that leads there too, so the paths found
    to a sink are those a search towards it alone would find."""
    sinks = graph.sinks
    wanted = sinks if wanted is None else wanted
    useful = _useful(graph, wanted)
    starts = [(node, stack) for node, stack in starts if node in useful]
    # The search stops once every sink reachable at all (calls and returns unmatched)
    # is reached: what is left to explore could only find longer paths to them.
    remaining = len(_reachable_sinks(graph, {node for node, _ in starts}, useful, wanted))
    prev: dict[tuple, tuple | None] = {}
    queue: deque[tuple] = deque()
    empty: frozenset[str] = frozenset()
    for node, stack in starts:
        state = (node, empty, stack)
        if state not in prev:
            prev[state] = None
            queue.append(state)
    reached: dict[str, tuple] = {}
    mitigated: dict[str, tuple] = {}  # reached only through a validation check so far
    adjacency = graph.adjacency
    while queue and len(prev) < MAX_STATES and len(reached) < remaining:
        state = queue.popleft()
        node, clean, stack = state
        if node in sinks:
            if node in wanted and sinks[node][1]["category"] not in clean and node not in reached:
                if MITIGATED & clean:
                    mitigated.setdefault(node, state)
                else:
                    reached[node] = state
            continue
        for to, steps, edge_clean, marker in adjacency.get(node, ()):
            if to not in useful:
                continue
            if marker is not None:
                new_stack = _through(stack, marker)
                if new_stack is None:
                    continue
            else:
                new_stack = () if to.startswith("field:") else stack  # a field is shared by every caller
            nxt = (to, clean | edge_clean if edge_clean else clean, new_stack)
            if nxt not in prev:
                prev[nxt] = (state, steps)
                queue.append(nxt)
    graph.capped = graph.capped or len(prev) >= MAX_STATES
    for node, state in mitigated.items():
        reached.setdefault(node, state)
    return reached, prev


def _through(stack: tuple, marker: tuple) -> tuple | None:
    """The call stack after an edge into a call (pushed, the innermost MAX_CONTEXT kept)
    or out of one (popped); None when it returns to another caller than the one the data
    came from. An empty stack returns to every caller."""
    kind, site = marker
    if kind == "call":
        return (stack + (site,))[-MAX_CONTEXT:]
    if not stack:
        return stack
    return stack[:-1] if stack[-1] == site else None


def _useful(graph: Graph, sinks: dict) -> set[str]:
    """The nodes that lead to ``sinks``, remembered for the last set of sinks asked
    about (each tier of sources searches towards the same ones)."""
    if graph._useful is None or graph._useful[0] is not sinks:
        graph._useful = (sinks, _leading_to(graph, sinks))
    return graph._useful[1]


def _reachable_sinks(graph: Graph, starts: set[str], useful: set[str], sinks) -> set[str]:
    """The sinks a path of useful nodes leads to from ``starts``, calls and returns
    unmatched (a superset of those the matched search reaches)."""
    seen = set(starts)
    todo = list(seen)
    adjacency = graph.adjacency
    found = set()
    while todo:
        node = todo.pop()
        if node in sinks:
            found.add(node)
            continue
        for edge in adjacency.get(node, ()):
            to = edge[0]
            if to not in seen and to in useful:
                seen.add(to)
                todo.append(to)
    return found


def unknown_reach(graph: Graph, wanted: Iterable[str] | None = None) -> set[str]:
    """Sinks of the verdict categories that data of any origin may reach unsanitized:
    sources, data the code does not show (library results, globals), ``self`` fields,
    and parameters of functions that code outside the project may call (public or
    never called here). A registered sink not in this set is fed only by constants or
    sanitized values. Calls and returns are matched as in ``search``; where the bounds
    cut a context, data returns to every caller (the safe side). ``wanted``: the sinks
    asked about (default every one of those categories)."""
    starts: list[tuple[str, tuple]] = [(UNKNOWN, ()), *((sid, ()) for sid in graph.sources)]
    for qual, (_, info) in graph.functions.items():
        if qual not in graph.called or _public(qual):
            # what an outside caller passes returns to that caller, not to the project's
            starts.extend((f"param:{qual}:{p}", _OUTSIDE) for p in info["params"])
    starts.extend((node, ()) for node in graph.adjacency if node.startswith("field:"))
    decided = {sid: sink for sid, sink in graph.sinks.items() if sink[1]["category"] in VERDICT_CATEGORIES}
    asked = decided if wanted is None else {sid: decided[sid] for sid in wanted if sid in decided}
    return _reach(graph, starts, decided, asked)


def _reach(
    graph: Graph, starts: list[tuple[str, tuple]], sinks: dict[str, tuple[str, dict]], wanted: dict | None = None
) -> set[str]:
    """The sinks that states reachable from ``starts`` (as in ``_bfs``) reach unsanitized,
    paths not kept. A state at a node already reached with nothing sanitized and an
    empty call stack is not explored: that state reaches everything it could (fewer
    categories sanitized; an empty stack returns to every caller where any other only
    returns to its own), so the data starting with an empty stack go first. Only the
    sinks of ``wanted`` (default all) are recorded; every sink stops the data."""
    wanted = sinks if wanted is None else wanted
    useful = _useful(graph, wanted)
    remaining = len(_reachable_sinks(graph, {node for node, _ in starts if node in useful}, useful, wanted))
    empty: frozenset[str] = frozenset()
    free: set[str] = set()  # nodes reached with nothing sanitized and no call stack
    seen: set[tuple] = set()
    reached: set[str] = set()
    adjacency = graph.adjacency
    for wave in ([s for s in starts if not s[1]], [s for s in starts if s[1]]):
        queue: deque[tuple] = deque()
        for node, stack in wave:
            state = (node, empty, stack)
            if node in useful and state not in seen and node not in free:
                seen.add(state)
                queue.append(state)
                if not stack:
                    free.add(node)
        while queue and len(seen) < MAX_STATES and len(reached) < remaining:
            node, clean, stack = queue.popleft()
            if node in sinks:
                if node in wanted and sinks[node][1]["category"] not in clean:
                    reached.add(node)
                continue
            for to, _, edge_clean, marker in adjacency.get(node, ()):
                if to in free or to not in useful:
                    continue
                if marker is not None:
                    new_stack = _through(stack, marker)
                    if new_stack is None:
                        continue
                else:
                    new_stack = () if to.startswith("field:") else stack
                new_clean = clean | edge_clean if edge_clean else clean
                nxt = (to, new_clean, new_stack)
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
                    if not new_clean and not new_stack:
                        free.add(to)
    graph.capped = graph.capped or len(seen) >= MAX_STATES
    return reached


def _verdicts(sinks: Iterable[tuple[str, dict, bool]], proven: Iterable[tuple]) -> tuple[set[tuple], dict[tuple, str]]:
    """From (path, sink, whether unknown_reach reaches it): the sink calls proven to
    receive only constants or sanitized data, as (path, line, cell, col, category) (their
    pattern findings, EXEC001 on an eval..., are dropped), starting from those a module
    proved alone; and the calls behind an opt-in flag, with why (their findings are LOW)."""
    safe, unsafe, mitigated = set(proven), set(), {}
    for path, sink, reached in sinks:
        if sink["category"] in VERDICT_CATEGORIES:
            key = _sink_key(path, sink)
            (unsafe if reached else safe).add(key)
            if sink.get("mitigation"):
                mitigated[key] = sink["mitigation"]
    return safe - unsafe, mitigated


@dataclass
class TaintResult:
    findings: list[Finding] = field(default_factory=list)
    suppressed: int = 0  # taint findings silenced inline
    safe: set[tuple] = field(default_factory=set)  # sink calls proven safe (see _verdicts)
    mitigated: dict[tuple, str] = field(default_factory=dict)  # sink call -> why it is LOW
    hidden: list[Finding] = field(default_factory=list)  # the findings suppressed inline
    # The result with every sink, source and step placed by module and position instead
    # of by line (see ``replay``): JSON data, kept with the cached result.
    trace: dict = field(default_factory=dict)
    graph: Graph | None = None  # the project's graph, when the whole project was analysed


def findings(
    graphs: list[tuple[str, dict]],
    index,
    kb: TaintKnowledge,
    rules: dict,
    threat_models: frozenset[str] = DEFAULT_THREAT_MODELS,
) -> TaintResult:
    """Taint findings for the whole project from the sources of the active threat models,
    how many were suppressed inline, the sink calls proven safe and those behind an
    opt-in flag (proofs of safety consider every source, active or not)."""
    graph = build(graphs)
    link(graph, index, kb, threat_models)
    decided = any(sink["category"] in VERDICT_CATEGORIES for _, sink in graph.sinks.values())
    reached = unknown_reach(graph) if decided else set()
    result = TaintResult()
    result.safe, result.mitigated = _verdicts(
        ((path, sink, sid in reached) for sid, (path, sink) in graph.sinks.items()), graph.safe
    )
    paths: dict[str, list] = {}
    for tier in _source_tiers(graph, threat_models):
        for sink_id, found in search(graph, tier).items():
            paths.setdefault(sink_id, found)
    entries = []
    for sink_id, (source_id, steps, validated, path_evidence, _) in sorted(paths.items()):
        path, sink = graph.sinks[sink_id]
        src_path, source = graph.sources[source_id]
        entries.append((path, sink, src_path, source, steps, validated, path_evidence))
    _report(result, entries, rules)
    result.trace = _trace(graph, paths, reached)
    result.graph = graph
    return result


def _report(result: TaintResult, entries: list[tuple], rules: dict) -> None:
    """The findings of the paths found: (sink path, sink, source path, source, steps,
    validated, path evidence) each; a path to a sink suppressed inline is counted and
    kept apart for the suppression review."""
    for path, sink, src_path, source, steps, validated, path_evidence in entries:
        if dropped((f"flow:{source['kind']}",), sink["category"]):
            continue
        rule = rules.get(sink["rule"])
        if sink.get("suppressed"):
            result.suppressed += 1
            if rule is not None:  # kept for the suppression review: what the comment hides
                found = _finding(rule, path, sink, src_path, source, steps, sink.get("mitigation"), validated, path_evidence)
                result.hidden.append(found)
            continue
        if rule is None:
            continue
        result.findings.append(
            _finding(rule, path, sink, src_path, source, steps, sink.get("mitigation"), validated, path_evidence)
        )


def _trace(graph: Graph, paths: dict[str, list], reached: set[str]) -> dict:
    """The result by position: each path's sink as [module, position among its sinks],
    its source (a module's own as ["module", module, position]; one the project analysis
    made at a call site as ["site", module, position among its call sites, source]; a
    parameter of a function as ["param", module, function, source]), its steps as
    [module, position among its step lists], validated, evidence; and which sinks the
    proof of safety found reachable, by module."""
    sink_place = _places((sid, path) for sid, (path, _) in graph.sinks.items())
    module_sources = _places((sid, path) for sid, (path, _) in graph.sources.items())
    wanted_sites = {source_id[4:] for source_id, *_ in paths.values() if source_id[4:] in graph.sites}
    site_place = _places((site, path) for site, (path, _) in graph.sites.items() if site in wanted_sites) if wanted_sites else {}
    out = []
    for sink_id, (source_id, _, validated, evidence, numbers) in sorted(paths.items()):
        src_path, source = graph.sources[source_id]
        site = source_id[4:]
        if site in site_place:
            origin = ["site", src_path, site_place[site][1], source]
        elif "function" in source:
            origin = ["param", src_path, source["function"], source]
        else:
            origin = ["module", src_path, module_sources[source_id][1]]
        out.append([list(sink_place[sink_id]), origin, [list(graph.step_place(n)) for n in numbers], validated, evidence])
    by_module: dict[str, list[int]] = {}
    for sid in reached:
        path, i = sink_place[sid]
        by_module.setdefault(path, []).append(i)
    return {"paths": out, "reached": {path: sorted(found) for path, found in by_module.items()}}


def _places(items: Iterable[tuple[str, str]]) -> dict[str, tuple[str, int]]:
    """id -> (module, position among the module's ids), in the order given."""
    counts: dict[str, int] = {}
    out = {}
    for ident, path in items:
        i = counts.get(path, 0)
        counts[path] = i + 1
        out[ident] = (path, i)
    return out


def replay(
    trace: dict,
    safe: set[tuple],
    mitigated: dict[tuple, str],
    changed: dict[str, dict],
    flows_of: Callable[[str], dict | None],
    rules: dict,
) -> TaintResult | None:
    """The result of the last analysis, placed anew: for when every module that changed
    since (``changed``: module -> its new flow graph) kept its shape (graph.shape), so
    the project's graph is the same up to positions and the search would find the same
    paths. Sinks, sources and steps are read from the modules' current graphs
    (``flows_of``); None when one cannot be placed."""
    tables: dict[str, tuple[list, list, list, dict, Steps]] = {}

    def table(path: str):
        found = tables.get(path)
        if found is None:
            flows = changed.get(path) or flows_of(path)
            if flows is None:
                raise LookupError(path)
            found = tables[path] = (
                list(flows["sinks"].values()),
                list(flows["sources"].values()),
                list(flows["sites"].values()),
                flows["functions"],
                Steps(path, flows["steps"], flows["step_count"]),
            )
        return found

    result = TaintResult(trace=trace)
    entries = []
    try:
        for (path, at), origin, step_places, validated, evidence in trace["paths"]:
            sink = table(path)[0][at]
            kind, src_path, *rest = origin
            if kind == "module":
                source = table(src_path)[1][rest[0]]
            elif src_path not in changed:
                source = rest[-1]
            elif kind == "site":
                source = {**rest[1], "line": table(src_path)[2][rest[0]]["line"]}
            else:
                source = {**rest[1], "line": table(src_path)[3][rest[0]]["line"]}
            if source.get("registered") in changed:
                return None  # its description names a line in a changed module
            steps = [step for step_path, i in step_places for step in table(step_path)[4].get(i)]
            entries.append((path, sink, src_path, source, steps, validated, evidence))
    except (LookupError, TypeError, ValueError, KeyError):
        return None
    _report(result, entries, rules)
    result.safe = {key for key in safe if key[0] not in changed}
    result.mitigated = {key: why for key, why in mitigated.items() if key[0] not in changed}
    for path, flows in changed.items():
        reached = set(trace["reached"].get(path, ()))
        safe_here, mitigated_here = _verdicts(
            ((path, sink, i in reached) for i, sink in enumerate(flows["sinks"].values())), _module_safe(path, flows)
        )
        result.safe |= safe_here
        result.mitigated.update(mitigated_here)
    return result


def _source_tiers(graph: Graph, threat_models: frozenset[str]) -> list[list[str]]:
    """The active sources, most severe first: requests of routes without authentication,
    then the other remote sources, then those of the wider models. Each sink is reported
    from the first tier that reaches it, so a path from a library parameter or an
    authenticated route never hides one from an open route."""
    tiers: list[list[str]] = [[], [], []]
    for sid, (_, info) in graph.sources.items():
        model = THREAT_MODELS.get(info["kind"], "remote")
        if model in threat_models:
            tiers[0 if info.get("route") == "open" else 1 if model == "remote" else 2].append(sid)
    return [tier for tier in tiers if tier]


def _sink_key(path: str, sink: dict) -> tuple:
    return (path, sink.get("shown_line", sink["line"]), sink.get("cell"), sink["col"], sink["category"])


def _finding(
    rule,
    path: str,
    sink: dict,
    src_path: str,
    source: dict,
    steps: list,
    mitigation: str | None,
    validated: bool,
    path_evidence: list,
) -> Finding:
    kind = source["kind"]
    evidence = [f"flow:{kind}", f"variant:{sink['category']}"]
    label = KIND_LABELS.get(kind, kind)
    message = f"untrusted data from {label} ({source['desc']}) reaches {sink['what']}"
    if mitigation:
        evidence.append("mitigated")
        message += f"; mitigated: {mitigation}"
    elif validated:
        evidence.append("validated")
        message += "; the value passes a validation check first"
    if source.get("route") == "open":
        evidence.append("open-route")
    evidence.extend(path_evidence)
    if is_test_path(path):
        evidence.append("test-code")
    severity, confidence, reasons = decide(rule, evidence)
    trail = [TaintStep(Location(src_path, source["line"]), f"source: {source['desc']} ({label})")]
    for step_path, line, text in steps:
        trail.append(TaintStep(Location(step_path, line), text))
    loc = Location(
        path,
        sink.get("shown_line", sink["line"]),
        sink["col"],
        sink.get("end_line"),
        sink.get("end_col"),
        sink.get("cell"),
    )
    return Finding(
        rule_id=rule.id,
        title=rule.title,
        area=rule.area,
        severity=severity,
        confidence=confidence,
        location=loc,
        message=message,
        snippet=sink.get("snippet", ""),
        cwe=rule.cwe,
        recommendation=rule.recommendation,
        scope=sink.get("scope", "<module>"),
        taint_path=tuple(trail),
        stmt_start=sink["stmt"][0],
        stmt_end=sink["stmt"][1],
        evidence=tuple(evidence),
        reasons=reasons,
    )
