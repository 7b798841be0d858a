"""The taint analysis again for the part of the project an edit reaches.

When a module's flows change (its shape, redline.python.flow.graph.shape), only the
sinks that data can reach through the change can get another result, and a sink's
result (the first path of the breadth-first search to it, whether the proof of safety
reaches it) depends only on the nodes that lead to it: the first state at a node is
always reached from a node that leads there too (taint._bfs). So, from what the last
analysis left per module (``state``): the call graph by position, and which nodes led
to a sink at all,

1. the nodes the changed modules hold or held, and those their calls and returns led
   to before, are followed forwards through nodes that led to a sink (a path through a
   change ends in nodes that lead to its sink without the change) to the *affected*
   sinks;
2. the nodes leading to those are followed backwards (calls and returns unmatched, a
   superset) to the modules they are in;
3. those modules' graphs alone are built and linked, with every other module's
   functions known by name (taint.Known), and searched for the affected sinks; the
   other sinks keep the last result, placed anew (taint.replay).

Only while no module's definitions changed (graph.definitions: a call elsewhere then
resolves as before) and no search was cut at taint.MAX_STATES; otherwise None, and the
whole project is searched again.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from redline.knowledge.taint import TaintKnowledge
from redline.python import taint
from redline.python.flow import UNKNOWN, VERDICT_CATEGORIES, unpack_edges
from redline.python.flow.graph import _LOCATION_KEYS

GLOBAL = ""  # the row of the project-wide part of the state: functions and tools
WORDS = "//words"  # the row of which modules' calls are written with which names
_SPLIT = re.compile(r"[.|:*]+")


def state(graph: taint.Graph, graphs: list[tuple[str, dict]]) -> dict[str, dict]:
    """What ``rerun`` needs of a whole-project analysis, as rows by module: each
    module's resolved calls ([position among its call sites, [callee...]]), the calls
    into its functions (function -> [[module, position]...]), the positions among its
    node names of those that lead to a sink, its definitions digest; and under
    ``GLOBAL`` every function (taint.function_table) and every tool registration."""
    useful = taint._leading_to(graph, graph.sinks)
    owner = {qual: rel for qual, (rel, _) in graph.functions.items()}
    rows: dict[str, dict] = {}
    for rel, flows in graphs:
        rows[rel] = {
            "calls": [],
            "callers": {},
            "useful": [i for i, name in enumerate(flows["names"]) if name in useful],
            "defs": flows.get("defs"),
        }
    for rel, flows in graphs:
        calls = rows[rel]["calls"]
        for i, site in enumerate(flows["sites"]):
            callees = graph.callees.get(site)
            if callees:
                calls.append([i, callees])
                for callee in callees:
                    rows[owner[callee]]["callers"].setdefault(callee, []).append([rel, i])
    rows[GLOBAL] = {
        "functions": taint.function_table(graphs),
        "tools": [[rel, qual, info] for rel, flows in graphs for qual, info in flows.get("tools", {}).items()],
        "capped": graph.capped,
    }
    words: dict[str, list[int]] = {}
    for i, (_, flows) in enumerate(graphs):
        for word in _callee_words(flows):
            words.setdefault(word, []).append(i)
    rows[WORDS] = {"words": words}
    return rows


def _callee_words(flows: dict) -> set[str]:
    """The names a module's calls are written with, split at dots: a call may resolve
    otherwise when a definition of one of these names changes."""
    words: set[str] = set()
    for callee in {info["callee"] for info in flows["sites"].values()}:
        words.update(_SPLIT.split(callee))
    words.discard("")
    return words


def _changed_names(old: tuple[dict, dict], new: tuple[dict, dict]) -> tuple[set[str], set[str]] | None:
    """The short names whose meaning changed between a module's old and new (flow
    graph, summary): functions added, removed or with other details, classes, imports
    and module-level instances added, removed or rebound; and the classes whose bases
    changed (came, went, or other ones). None when the module's own name or the tools
    it registers changed."""
    (old_flows, old_summary), (new_flows, new_summary) = old, new
    if (old_summary.get("module"), old_summary.get("is_package")) != (new_summary.get("module"), new_summary.get("is_package")):
        return None
    names: set[str] = set()
    hierarchy: set[str] = set()

    before, after = old_flows["functions"], new_flows["functions"]
    for qual in before.keys() | after.keys():
        if qual not in before or qual not in after or _placeless(before[qual]) != _placeless(after[qual]):
            owner, _, short = qual.rpartition(".")
            names.add(short)
            if short == "__init__":  # Cls() calls it
                names.add(owner.rpartition(".")[2])
    old_defs = {d[0]: d for d in old_summary.get("definitions", ())}
    new_defs = {d[0]: d for d in new_summary.get("definitions", ())}
    for qual in old_defs.keys() | new_defs.keys():
        a, b = old_defs.get(qual), new_defs.get(qual)
        short = qual.rpartition(".")[2]
        if a is None or b is None or a[1] != b[1]:
            names.add(short)
            if any(d is not None and d[1] == "class" and d[4] for d in (a, b)):
                hierarchy.add(short)
        else:
            if list(a[4]) != list(b[4]):
                names.add(short)
                hierarchy.add(short)
            names.update(set(a[5]) ^ set(b[5]))  # the names a class body binds
    for key in ("imports", "variables"):
        a, b = old_summary.get(key, {}), new_summary.get(key, {})
        names.update(name for name in a.keys() | b.keys() if a.get(name) != b.get(name))
    old_tools, new_tools = old_flows.get("tools", {}), new_flows.get("tools", {})
    if {q: [i[0], i[2]] for q, i in old_tools.items()} != {q: [i[0], i[2]] for q, i in new_tools.items()}:
        return None
    return names, hierarchy


def _canonical(flows: dict) -> dict[str, str]:
    """A module's call sites, sinks and sources named without positions: by what they
    call, reach or read and their order among those alike (an edit elsewhere in the
    module leaves them their names)."""
    names: dict[str, str] = {}
    counts: dict[str, int] = {}
    for table, key in (
        (flows["sites"], lambda info: f"call:{info['callee']}"),
        (flows["sinks"], lambda info: f"sink:{info['category']}:{info.get('what')}:{info.get('scope')}"),
        (flows["sources"], lambda info: f"src:{info['kind']}:{info.get('desc')}"),
    ):
        for ident, info in table.items():
            base = key(info)
            k = counts.get(base, 0)
            counts[base] = k + 1
            names[ident] = f"{base}@{k}"
    return names


def _renamer(names: dict[str, str]) -> Callable[[str], str]:
    def canon(name: str) -> str:
        found = names.get(name)
        if found is not None:
            return found
        if name.startswith(("arg:", "chk:")):
            site, _, key = name[4:].rpartition(":")
            if site in names:
                return f"{name[:4]}{names[site]}:{key}"
        base, mark, item = name.rpartition("#")
        if mark and base in names:
            return f"{names[base]}#{item}"
        return name

    return canon


def _out_lists(flows: dict, canon: Callable[[str], str]) -> dict[str, list]:
    names = [canon(n) for n in flows["names"]]
    cleans = flows["cleans"]
    edges = unpack_edges(flows["edges"])
    out: dict[str, list] = {}
    for i in range(0, len(edges), 4):
        out.setdefault(names[edges[i]], []).append((names[edges[i + 1]], tuple(sorted(cleans[edges[i + 3]] or ())), bool(edges[i + 2])))
    return out


def _in_order(before: Iterable[str], after: Iterable[str]) -> bool:
    """Whether the names both lists hold come in the same order in each."""
    after = list(after)
    common = set(before) & set(after)
    return [n for n in before if n in common] == [n for n in after if n in common]


def _edited(old: dict, new: dict) -> tuple[list[str], Callable, Callable, Callable] | None:
    """The nodes of a module's new graph around what an edit changed: both ends of every
    edge added, removed or put in another order, and the sources whose details changed
    (canonical names: ``_canonical``); with the canonical name of an old and of a new
    name, and the new graph's name of a canonical one (None if it has none). None when the order of the module's sources,
    call sites or functions changed (the search's order would differ anywhere)."""
    old_names, new_names = _canonical(old), _canonical(new)
    old_canon, new_canon = _renamer(old_names), _renamer(new_names)
    if not (
        _in_order([old_names[s] for s in old["sources"]], [new_names[s] for s in new["sources"]])
        and _in_order([old_names[s] for s in old["sites"]], [new_names[s] for s in new["sites"]])
        and _in_order(old["functions"], new["functions"])
    ):
        return None
    before, after = _out_lists(old, old_canon), _out_lists(new, new_canon)
    touched: set[str] = set()
    for node in before.keys() | after.keys():
        a, b = before.get(node, []), after.get(node, [])
        if a != b:
            touched.add(node)
            touched.update(edge[0] for edge in a)
            touched.update(edge[0] for edge in b)
    for table in ("sources", "sites"):  # a source of another kind, a call checking otherwise
        was = {old_names[ident]: _placeless(info) for ident, info in old[table].items()}
        for ident, info in new[table].items():
            if was.get(new_names[ident]) != _placeless(info):
                touched.add(new_names[ident])
    back = {new_canon(n): n for n in new["names"]}
    back.update({c: n for n, c in new_names.items()})
    return [back[c] for c in touched if c in back], old_canon, new_canon, back.get


def _owners(table: list) -> dict[str, str]:
    """Function -> its module, from a function table (the first definition counts)."""
    owner: dict[str, str] = {}
    for rel, quals, _ in table:
        for qual in quals:
            owner.setdefault(qual, rel)
    return owner


def _redefinitions(redefined, changed, before_of, index, kb, project, top) -> tuple[set[str], set[str]] | None:
    """For modules whose definitions changed: the names whose calls anywhere may
    resolve otherwise, and the functions whose details changed; None when the change
    reaches further than calls written with those names (a class elsewhere derives
    from one whose bases changed; a known source or a tool is named with one)."""
    names: set[str] = set()
    hierarchy: set[str] = set()
    details: set[str] = set()
    for rel in redefined:
        old = before_of(rel)
        summary = index.by_path.get(rel)
        if old is None or old[0] is None or old[1] is None or summary is None:
            return None
        found = _changed_names(old, (changed[rel], summary.to_dict()))
        if found is None:
            return None
        names |= found[0]
        hierarchy |= found[1]
        before, after = old[0]["functions"], changed[rel]["functions"]
        for qual in before.keys() & after.keys():
            if _placeless(before[qual]) != _placeless(after[qual]):
                details.add(qual)
    if hierarchy and _derived_elsewhere(hierarchy, set(redefined), index):
        return None
    names = _aliases(names, index)
    for name in kb.source_calls:
        if name.split(".", 1)[0] in index.roots and names.intersection(_SPLIT.split(name)):
            return None
    for _, qual, _ in top["tools"]:
        if names.intersection(_SPLIT.split(qual)):
            return None
    return names, details


def _placeless(info: dict) -> dict:
    return {k: v for k, v in info.items() if k not in _LOCATION_KEYS}


def _derived_elsewhere(classes: set[str], modules: set[str], index) -> bool:
    """Whether a class outside ``modules`` names one of ``classes`` as a base."""
    for path, summary in index.by_path.items():
        if path in modules:
            continue
        for d in summary.definitions:
            if d.kind == "class" and any(base.rpartition(".")[2] in classes for base in d.bases):
                return True
    return False


def _aliases(names: set[str], index) -> set[str]:
    """``names`` and, to a fixed point, the names that import one of them, bind an
    instance of one, or are classes deriving from one (``from .impl import run as go``:
    a call of ``go`` may change)."""
    out = set(names)
    summaries = list(index.by_path.values())
    while True:
        more = set()
        for summary in summaries:
            for alias, target in summary.imports.items():
                if alias not in out and target.rpartition(".")[2] in out:
                    more.add(alias)
            for name, cls in summary.variables.items():
                if name not in out and cls.rpartition(".")[2] in out:
                    more.add(name)
            for d in summary.definitions:  # Sub() may run a base's __init__
                if d.kind == "class" and d.bases and any(base.rpartition(".")[2] in out for base in d.bases):
                    short = d.qualname.rpartition(".")[2]
                    if short not in out:
                        more.add(short)
        if not more:
            return out
        out |= more


class _Project:
    """Modules' graphs and state rows read on demand, with the changed modules' own."""

    def __init__(self, changed: dict[str, dict], flows_of, row_of) -> None:
        self.changed = changed
        self._flows_of, self._row_of = flows_of, row_of
        self._flows: dict[str, dict] = dict(changed)
        self._rows: dict[str, dict] = {}
        self._local: dict[str, tuple] = {}

    def flows(self, rel: str) -> dict:
        found = self._flows.get(rel)
        if found is None:
            found = self._flows_of(rel)
            if found is None:
                raise LookupError(rel)
            self._flows[rel] = found
        return found

    def row(self, rel: str) -> dict:
        found = self._rows.get(rel)
        if found is None:
            found = self._row_of(rel)
            if not isinstance(found, dict):
                raise LookupError(rel)
            self._rows[rel] = found
        return found

    def local(self, rel: str) -> tuple[dict, dict, list[str], dict[str, list[str]], set[str], dict[str, int]]:
        """A module's edges forwards and backwards by node name, its call sites in
        order, the nodes of each call site (arguments, items), its sinks, the position
        of each call site."""
        found = self._local.get(rel)
        if found is None:
            flows = self.flows(rel)
            names = flows["names"]
            edges = unpack_edges(flows["edges"])
            forward: dict[str, list[str]] = {}
            backward: dict[str, list[str]] = {}
            for i in range(0, len(edges), 4):
                frm, to = names[edges[i]], names[edges[i + 1]]
                forward.setdefault(frm, []).append(to)
                backward.setdefault(to, []).append(frm)
            sites = list(flows["sites"])
            positions = {site: i for i, site in enumerate(sites)}
            parts: dict[str, list[str]] = {}
            for name in names:
                if name.startswith(("arg:", "chk:")):
                    site = name[4:].rpartition(":")[0]
                else:
                    site = name.rpartition("#")[0]
                if site in positions:
                    parts.setdefault(site, []).append(name)
            found = self._local[rel] = (forward, backward, sites, parts, set(flows["sinks"]), positions)
        return found


def rerun(
    previous: dict,
    modules: list[str],
    moved: dict[str, dict],
    flows_of: Callable[[str], dict | None],
    row_of: Callable[[str], dict | None],
    before_of: Callable[[str], tuple[dict | None, dict | None]],
    index,
    kb: TaintKnowledge,
    rules: dict,
    threat_models: frozenset[str],
) -> tuple[taint.TaintResult, dict[str, dict]] | None:
    """The result after ``moved`` (module -> its new flow graph, for the modules changed
    since ``previous``, the stored result over ``modules``), and the state rows that
    changed; None when only a whole-project analysis can tell. A module whose shape
    stayed the same changed only in positions: its part of the last result is placed
    anew (taint.replay)."""
    try:
        return _rerun(previous, modules, moved, flows_of, row_of, before_of, index, kb, rules, threat_models)
    except (LookupError, TypeError, ValueError, AttributeError, IndexError):
        return None


def _rerun(previous, modules, moved, flows_of, row_of, before_of, index, kb, rules, threat_models):
    shapes = previous["shapes"]
    changed = {rel: flows for rel, flows in moved.items() if flows.get("shape") != shapes.get(rel)}
    project = _Project(moved, flows_of, row_of)
    top = project.row(GLOBAL)
    if top.get("capped") or top.get("token") != previous.get("links"):
        return None
    order = {rel: i for i, rel in enumerate(modules)}
    table = top["functions"]
    old_owner = _owners(table)
    redefined = [rel for rel, flows in changed.items() if flows.get("defs") is None or flows["defs"] != project.row(rel)["defs"]]
    relink: set[str] = set()  # modules whose calls may resolve otherwise
    details: set[str] = set()  # functions whose details (parameters...) changed: their calls bind otherwise
    if redefined:
        found = _redefinitions(redefined, changed, before_of, index, kb, project, top)
        if found is None:
            return None
        names, details = found
        relink = {modules[i] for name in names for i in project.row(WORDS)["words"].get(name, ())} - set(changed)
        table = [
            [rel, list(changed[rel]["functions"]), [1 if info.get("cls") else 0 for info in changed[rel]["functions"].values()]]
            if rel in changed else entry
            for entry in table
            for rel in (entry[0],)
        ]
    known = taint.Known(table, project.flows)
    for rel, flows in changed.items():
        if any(known.owner.get(qual) != rel for qual in flows["functions"]):
            return None  # defined in another module too
    tools = [entry for entry in top["tools"] if entry[0] not in changed]
    tools += [[rel, qual, info] for rel, flows in changed.items() for qual, info in flows.get("tools", {}).items()]
    tools.sort(key=lambda entry: order[entry[0]])

    # The changed modules' calls, and those of the modules whose calls may resolve
    # otherwise, linked anew.
    relinked = set(changed) | relink
    alone = taint.build((rel, project.flows(rel)) for rel in sorted(relinked, key=order.__getitem__))
    alone.known = known
    taint.link(alone, index, kb, threat_models)
    new_calls: dict[str, list] = {}  # module -> [[position, callees]]
    added: dict[str, list] = {}  # callee -> [[module, position]] of the relinked modules' calls
    for rel in relinked:
        calls = new_calls[rel] = []
        for i, site in enumerate(project.flows(rel)["sites"]):
            callees = alone.callees.get(site)
            if callees:
                calls.append([i, callees])
                for callee in callees:
                    added.setdefault(callee, []).append([rel, i])

    def callers(qual: str) -> list:
        kept = [c for c in project.row(known.owner[qual])["callers"].get(qual, ()) if c[0] not in relinked]
        return kept + added.get(qual, [])

    def calls_of(rel: str) -> dict[int, list[str]]:
        return dict(map(tuple, new_calls[rel] if rel in relinked else project.row(rel)["calls"]))

    calls_memo: dict[str, dict[int, list[str]]] = {}

    def callees_at(rel: str, site: str) -> list[str]:
        table = calls_memo.get(rel)
        if table is None:
            table = calls_memo[rel] = calls_of(rel)
        return table.get(project.local(rel)[5].get(site, -1), [])

    def params(qual: str) -> list[str]:
        return [f"param:{qual}:{p}" for p in known[qual][1]["params"]] if qual in known else []

    def site_nodes(rel: str, i: int) -> list[tuple[str, str]]:
        _, _, sites, parts, _, _ = project.local(rel)
        site = sites[i]
        return [(n, rel) for n in (site, *parts.get(site, ()))]

    # 1. Seeds: what the changed modules hold, where their old calls and returns led,
    # the calls that resolve or bind otherwise, the functions called now and not before
    # or the other way round.
    seeds: list[tuple[str, str]] = []
    old_callees: set[str] = set()
    still_useful: dict[str, set[str]] = {}  # changed module -> its nodes known to lead to a sink
    for rel, flows in changed.items():
        old = project.row(rel)
        before_flows = before_of(rel)[0]
        edit = _edited(before_flows, flows) if before_flows is not None else None
        if edit is None:  # every node, and wherever the old calls and returns led
            seeds.extend((name, rel) for name in flows["names"] if name != UNKNOWN)
            for _, callees in old["calls"]:
                old_callees.update(callees)
                for callee in callees:
                    seeds.extend((p, known.owner.get(callee, "")) for p in params(callee))
            for sites in old["callers"].values():
                for caller, i in sites:
                    if caller not in changed:
                        seeds.extend(site_nodes(caller, i))
            still_useful[rel] = set()
            continue
        nodes, old_canon, new_canon, new_name = edit
        positions = project.local(rel)[5]
        for name in nodes:
            if name in positions:  # a call: with its arguments, items and checks
                seeds.extend(site_nodes(rel, positions[name]))
            elif name != UNKNOWN:
                seeds.append((name, rel))
        old_sites, new_sites = list(before_flows["sites"]), list(flows["sites"])
        was = {old_canon(old_sites[i]): callees for i, callees in old["calls"]}
        now = {new_canon(new_sites[i]): callees for i, callees in new_calls[rel]}
        for site in was.keys() | now.keys():  # calls that resolve or bind otherwise
            a, b = was.get(site, []), now.get(site, [])
            old_callees.update(a)
            if a != b or details.intersection(a) or details.intersection(b):
                name = new_name(site)
                if name is not None:
                    seeds.extend(site_nodes(rel, new_sites.index(name)))
                for callee in {*a, *b}:
                    seeds.extend((p, known.owner.get(callee, "")) for p in params(callee))
        for qual, sites in old["callers"].items():  # returns of functions that went
            if qual not in flows["functions"]:
                for caller, i in sites:
                    if caller not in changed:
                        seeds.extend(site_nodes(caller, i))
        old_names = before_flows["names"]
        still_useful[rel] = {
            name for i in old["useful"] if (name := new_name(old_canon(old_names[i]))) is not None
        }
    for rel in relink:
        before = dict(map(tuple, project.row(rel)["calls"]))
        now = dict(map(tuple, new_calls[rel]))
        for i in before.keys() | now.keys():
            was, is_ = before.get(i, []), now.get(i, [])
            old_callees.update(was)
            if was != is_ or details.intersection(was) or details.intersection(is_):
                seeds.extend(site_nodes(rel, i))
                for callee in {*was, *is_}:
                    seeds.extend((p, known.owner[callee]) for p in params(callee))
    for qual in details:
        for caller, i in callers(qual) if qual in known else ():
            seeds.extend(site_nodes(caller, i))
    for callee in old_callees | set(added):
        if callee not in known:
            continue
        before = project.row(old_owner[callee])["callers"].get(callee, ()) if callee in old_owner else ()
        if bool(before) != bool(callers(callee)):  # called from the project or not
            seeds.extend((p, known.owner[callee]) for p in params(callee))
    for rel, qual, _ in tools:
        if rel in changed:
            target = taint.Resolver(alone, index, kb.library_ancestors).function(qual)
            if target is not None:
                seeds.extend((p, known.owner[target]) for p in params(target))
    seeds = [seed for seed in seeds if seed[1]]

    # 2. Forwards through nodes that led to a sink, to the affected sinks.
    useful_memo: dict[str, set[str]] = {}

    def led_to_sink(rel: str, name: str) -> bool:
        if rel in changed:
            return True
        found = useful_memo.get(rel)
        if found is None:
            names = project.flows(rel)["names"]
            found = useful_memo[rel] = {names[i] for i in project.row(rel)["useful"]}
        return name in found

    affected: set[tuple[str, str]] = {(sid, rel) for rel, flows in changed.items() for sid in flows["sinks"]}
    for (rel, i), origin, steps, *_ in previous["trace"]["paths"]:
        # a path through a changed module names its steps there by position
        if rel not in changed and (origin[1] in changed or any(m in changed for m, _ in steps)):
            affected.add((list(project.flows(rel)["sinks"])[i], rel))
    seen = set(seeds)
    todo = list(seen)
    while todo:
        node, rel = todo.pop()
        forward, _, _, parts, sinks, _ = project.local(rel)
        if node in sinks:
            affected.add((node, rel))
            continue
        for nxt in _forward(node, rel, forward, parts, callees_at, callers, params, known, project):
            if nxt not in seen and led_to_sink(nxt[1], nxt[0]):
                seen.add(nxt)
                todo.append(nxt)

    # 3. Backwards from the affected sinks: the modules to build.
    back = set(affected)
    todo = list(back)
    while todo:
        node, rel = todo.pop()
        _, backward, sites, parts, _, _ = project.local(rel)
        for before in _backward(node, rel, backward, sites, parts, callees_at, callers, known, project):
            if before not in back:
                back.add(before)
                todo.append(before)
    region = sorted({rel for _, rel in back}, key=order.__getitem__)
    for rel in region:  # a function defined twice: which one counts is the whole project's choice
        if any(known.owner[qual] != rel for qual in project.flows(rel)["functions"]):
            return None

    graph = taint.build((rel, project.flows(rel)) for rel in region)
    graph.known = known
    graph.tools = {}
    for rel, qual, info in tools:
        graph.tools.setdefault(qual, (rel, info))
    graph.called.update(qual for qual in graph.functions if callers(qual))
    taint.link(graph, index, kb, threat_models)
    wanted = {sid: graph.sinks[sid] for sid, _ in affected if sid in graph.sinks}
    decided = [sid for sid in wanted if wanted[sid][1]["category"] in VERDICT_CATEGORIES]
    reached = taint.unknown_reach(graph, decided) if decided else set()
    paths: dict[str, list] = {}
    for tier in taint._source_tiers(graph, threat_models):
        for sink_id, found in taint.search(graph, tier, wanted).items():
            paths.setdefault(sink_id, found)
    if graph.capped:
        return None
    fresh = taint._trace(graph, paths, reached)

    # The last result for the other sinks, this one's for the affected.
    trace = previous["trace"]
    places = _sink_places(project, affected)
    kept = [entry for entry in trace["paths"] if tuple(entry[0]) not in places and entry[0][0] not in changed]
    sink_ids: dict[str, list[str]] = {}

    def sink_id(entry: list) -> str:  # the order of a whole-project analysis
        rel, i = entry[0]
        if rel not in sink_ids:
            sink_ids[rel] = list(project.flows(rel)["sinks"])
        return sink_ids[rel][i]

    merged = sorted(kept + fresh["paths"], key=sink_id)
    reached_by: dict[str, set[int]] = {rel: set(found) for rel, found in trace["reached"].items() if rel not in changed}
    for rel, i in places:
        reached_by.get(rel, set()).discard(i)
    for rel, found in fresh["reached"].items():
        reached_by.setdefault(rel, set()).update(found)
    new_trace = {"paths": merged, "reached": {rel: sorted(found) for rel, found in reached_by.items() if found}}
    redo = {rel for rel, _ in places} | set(changed)
    safe = {key for key in map(tuple, previous["safe"]) if key[0] not in redo}
    mitigated = {tuple(key): why for key, why in previous["mitigated"] if key[0] not in redo}
    for rel in redo:
        flows = project.flows(rel)
        hit = reached_by.get(rel, set())
        safe_here, mitigated_here = taint._verdicts(
            ((rel, sink, i in hit) for i, sink in enumerate(flows["sinks"].values())), taint._module_safe(rel, flows)
        )
        safe |= safe_here
        mitigated.update(mitigated_here)
    result = taint.replay(new_trace, safe, mitigated, moved, project.flows, rules)
    if result is None:
        return None
    rows = _new_rows(project, modules, changed, relinked, new_calls, added, back, top, table, tools, known, old_owner, still_useful)
    return result, rows


def _forward(node, rel, forward, parts, callees_at, callers, params, known, project) -> Iterable[tuple[str, str]]:
    """Where data at ``node`` (of module ``rel``) may flow next, calls and returns
    unmatched: the module's edges, an argument into the callees' parameters and the
    call's result, a call's result into its items, a return into every caller."""
    for to in forward.get(node, ()):
        yield to, rel
    if node.startswith("arg:"):
        site = node[4:].rpartition(":")[0]
        yield site, rel
        for callee in callees_at(rel, site):
            yield from ((p, known.owner[callee]) for p in params(callee))
    elif node.startswith("call:"):
        for part in parts.get(node, ()):
            if not part.startswith(("arg:", "chk:")):
                yield part, rel
    elif node.startswith("ret:"):
        qual, mark, item = node[4:].partition("#")
        for caller, i in callers(qual):
            sites = project.local(caller)[2]
            site = sites[i]
            if mark:
                yield f"{site}#{item}", caller
            else:
                yield site, caller


def _backward(node, rel, backward, sites, parts, callees_at, callers, known, project) -> Iterable[tuple[str, str]]:
    """Where data at ``node`` may come from: the reverse of ``_forward``."""
    for frm in backward.get(node, ()):
        yield frm, rel
    if node.startswith("param:"):
        qual = node[6:].rpartition(":")[0]
        for caller, i in callers(qual):
            _, _, caller_sites, caller_parts, _, _ = project.local(caller)
            site = caller_sites[i]
            yield from ((part, caller) for part in caller_parts.get(site, ()) if part.startswith("arg:"))
        return
    site, mark, item = node.partition("#")
    if site.startswith("call:"):
        if mark:
            yield site, rel
        else:
            yield from ((part, rel) for part in parts.get(site, ()) if part.startswith("arg:"))
        for callee in callees_at(rel, site):
            yield (f"ret:{callee}#{item}" if mark else f"ret:{callee}"), known.owner[callee]


def _sink_places(project: _Project, affected: set[tuple[str, str]]) -> set[tuple[str, int]]:
    """The affected sinks ((sink, module) each) as (module, position among its sinks)."""
    out = set()
    by_module: dict[str, set[str]] = {}
    for sid, rel in affected:
        by_module.setdefault(rel, set()).add(sid)
    for rel, sids in by_module.items():
        for i, sid in enumerate(project.flows(rel)["sinks"]):
            if sid in sids:
                out.add((rel, i))
    return out


def _new_rows(project, modules, changed, relinked, new_calls, added, back, top, table, tools, known, old_owner, still_useful):
    """The state rows this analysis changed: the relinked modules' calls, the callers of
    what they called before and now, the nodes now known to lead to a sink, the changed
    modules' definitions; the function table, the tools and the names of calls when
    they changed."""
    rows: dict[str, dict] = {}

    def row(rel: str) -> dict:
        found = rows.get(rel)
        if found is None:
            old = project.row(rel)
            found = rows[rel] = {**old, "callers": dict(old["callers"]), "useful": list(old["useful"])}
        return found

    touched = {c for rel in relinked for _, cs in project.row(rel)["calls"] for c in cs} | set(added)
    for callee in touched:
        if callee not in known:  # a function that went
            owner = old_owner.get(callee)
            if owner is not None:
                row(owner)["callers"].pop(callee, None)
            continue
        target = row(known.owner[callee])
        before = [c for c in target["callers"].get(callee, ()) if c[0] not in relinked]
        now = before + added.get(callee, [])
        if now:
            target["callers"][callee] = now
        else:
            target["callers"].pop(callee, None)
    for rel in relinked:
        row(rel)["calls"] = new_calls[rel]
    for rel in changed:
        target = row(rel)
        kept = still_useful[rel]
        target["useful"] = [i for i, name in enumerate(project.flows(rel)["names"]) if name in kept]
        target["defs"] = project.flows(rel).get("defs")
        target["callers"] = {q: c for q, c in target["callers"].items() if known.owner.get(q) == rel}
    by_module: dict[str, set[str]] = {}
    for node, rel in back:
        by_module.setdefault(rel, set()).add(node)
    for rel, nodes in by_module.items():
        names = project.flows(rel)["names"]
        target = row(rel)
        target["useful"] = sorted(set(target["useful"]) | {i for i, name in enumerate(names) if name in nodes})
    if table is not top["functions"] or any(entry[0] in changed for entry in (*tools, *top["tools"])):
        rows[GLOBAL] = {**top, "functions": table, "tools": tools}
    words = project.row(WORDS)["words"]
    new = [
        (word, i)
        for rel in changed
        for i in (modules.index(rel),)
        for word in _callee_words(project.flows(rel))
        if i not in words.get(word, ())
    ]
    if new:  # (a name no longer written stays: a superset only costs a relink)
        words = {word: list(found) for word, found in words.items()}
        for word, i in new:
            words.setdefault(word, []).append(i)
        rows[WORDS] = {"words": words}
    return rows
