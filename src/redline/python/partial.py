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

from collections.abc import Callable, Iterable

from redline.knowledge.taint import TaintKnowledge
from redline.python import taint
from redline.python.flow import UNKNOWN, VERDICT_CATEGORIES, unpack_edges

GLOBAL = ""  # the row of the project-wide part of the state: functions and tools


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
    return rows


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
                if name.startswith("arg:"):
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
        return _rerun(previous, modules, moved, flows_of, row_of, index, kb, rules, threat_models)
    except (LookupError, TypeError, ValueError, AttributeError, IndexError):
        return None


def _rerun(previous, modules, moved, flows_of, row_of, index, kb, rules, threat_models):
    shapes = previous["shapes"]
    changed = {rel: flows for rel, flows in moved.items() if flows.get("shape") != shapes.get(rel)}
    project = _Project(moved, flows_of, row_of)
    top = project.row(GLOBAL)
    if top.get("capped") or top.get("token") != previous.get("links"):
        return None
    for rel, flows in changed.items():
        if flows.get("defs") is None or flows["defs"] != project.row(rel)["defs"]:
            return None
    known = taint.Known(top["functions"], project.flows)
    order = {rel: i for i, rel in enumerate(modules)}
    tools = [entry for entry in top["tools"] if entry[0] not in changed]
    tools += [[rel, qual, info] for rel, flows in changed.items() for qual, info in flows.get("tools", {}).items()]
    tools.sort(key=lambda entry: order[entry[0]])

    # The changed modules' calls, linked anew.
    alone = taint.build(sorted(changed.items(), key=lambda item: order[item[0]]))
    alone.known = known
    taint.link(alone, index, kb, threat_models)
    new_calls: dict[str, list] = {}  # module -> [[position, callees]]
    added: dict[str, list] = {}  # callee -> [[module, position]] of the changed modules' calls
    for rel, flows in changed.items():
        calls = new_calls[rel] = []
        for i, site in enumerate(flows["sites"]):
            callees = alone.callees.get(site)
            if callees:
                calls.append([i, callees])
                for callee in callees:
                    added.setdefault(callee, []).append([rel, i])

    def callers(qual: str) -> list:
        kept = [c for c in project.row(known.owner[qual])["callers"].get(qual, ()) if c[0] not in changed]
        return kept + added.get(qual, [])

    def calls_of(rel: str) -> dict[int, list[str]]:
        return dict(map(tuple, new_calls[rel] if rel in changed else project.row(rel)["calls"]))

    calls_memo: dict[str, dict[int, list[str]]] = {}

    def callees_at(rel: str, site: str) -> list[str]:
        table = calls_memo.get(rel)
        if table is None:
            table = calls_memo[rel] = calls_of(rel)
        return table.get(project.local(rel)[5].get(site, -1), [])

    def params(qual: str) -> list[str]:
        return [f"param:{qual}:{p}" for p in known[qual][1]["params"]]

    # 1. Seeds: what the changed modules hold, and where their old calls and returns led.
    seeds: list[tuple[str, str]] = []
    for rel, flows in changed.items():
        seeds.extend((name, rel) for name in flows["names"] if name != UNKNOWN)
        old = project.row(rel)
        for _, callees in old["calls"]:
            for callee in callees:
                seeds.extend((p, known.owner[callee]) for p in params(callee))
        for sites in old["callers"].values():
            for caller, i in sites:
                if caller not in changed:
                    _, _, caller_sites, parts, _, _ = project.local(caller)
                    site = caller_sites[i]
                    seeds.extend((n, caller) for n in (site, *parts.get(site, ())))
        for callee in {c for _, cs in old["calls"] for c in cs} | set(added):
            before = project.row(known.owner[callee])["callers"].get(callee, ())
            if bool(before) != bool(callers(callee)):  # called from the project or not
                seeds.extend((p, known.owner[callee]) for p in params(callee))
    for rel, qual, _ in tools:
        if rel in changed:
            target = taint.Resolver(alone, index, kb.library_ancestors).function(qual)
            if target is not None:
                seeds.extend((p, known.owner[target]) for p in params(target))

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
    return result, _new_rows(project, changed, new_calls, added, back, top, tools, known.owner)


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
            if not part.startswith("arg:"):
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


def _new_rows(project, changed, new_calls, added, back, top, tools, known_owner) -> dict[str, dict]:
    """The state rows this analysis changed: the changed modules' calls, the callers of
    what they called before and now, the nodes now known to lead to a sink."""
    rows: dict[str, dict] = {}

    def row(rel: str) -> dict:
        found = rows.get(rel)
        if found is None:
            old = project.row(rel)
            found = rows[rel] = {**old, "callers": dict(old["callers"]), "useful": list(old["useful"])}
        return found

    touched = {c for rel in changed for _, cs in project.row(rel)["calls"] for c in cs} | set(added)
    for callee in touched:
        target = row(known_owner[callee])
        before = [c for c in target["callers"].get(callee, ()) if c[0] not in changed]
        now = sorted(before + added.get(callee, []), key=lambda c: (c[0], c[1]))
        if now:
            target["callers"][callee] = now
        else:
            target["callers"].pop(callee, None)
    for rel in changed:
        target = row(rel)
        target["calls"] = new_calls[rel]
        target["useful"] = []
        target["defs"] = project.flows(rel).get("defs")
    by_module: dict[str, set[str]] = {}
    for node, rel in back:
        by_module.setdefault(rel, set()).add(node)
    for rel, nodes in by_module.items():
        names = project.flows(rel)["names"]
        target = row(rel)
        target["useful"] = sorted(set(target["useful"]) | {i for i, name in enumerate(names) if name in nodes})
    if any(entry[0] in changed for entry in tools) or any(entry[0] in changed for entry in top["tools"]):
        rows[GLOBAL] = {**top, "tools": tools}
    return rows
