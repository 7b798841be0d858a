"""The partial taint analysis itself (see redline.python.partial)."""

from __future__ import annotations

from collections.abc import Callable

from redline.cache import LINKS_TOKEN
from redline.knowledge.taint import TaintKnowledge
from redline.python import taint
from redline.python.flow import UNKNOWN, VERDICT_CATEGORIES
from redline.python.partial.edits import edited, redefinitions
from redline.python.partial.state import GLOBAL, WORDS, owners, updated_rows
from redline.python.partial.walk import Project, backward, forward, sink_places


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
    changed; None when only a whole-project analysis can tell. ``flows_of``: a module's
    current graph; ``row_of``: its state row; ``before_of``: its graph and summary as
    the last analysis saw them. A module whose shape stayed the same changed only in
    positions: its part of the last result is placed anew (taint.replay)."""
    try:
        return _Rerun(previous, modules, moved, flows_of, row_of, before_of, index, kb, threat_models).run(rules)
    except (LookupError, TypeError, ValueError, AttributeError, IndexError):
        return None


class _Rerun:
    def __init__(self, previous, modules, moved, flows_of, row_of, before_of, index, kb, threat_models) -> None:
        self.previous, self.modules, self.moved = previous, modules, moved
        shapes = previous["shapes"]
        self.changed = {rel: flows for rel, flows in moved.items() if flows.get("shape") != shapes.get(rel)}
        self.project = Project(moved, flows_of, row_of)
        self.before_of, self.index, self.kb, self.threat_models = before_of, index, kb, threat_models
        self.order = {rel: i for i, rel in enumerate(modules)}
        self._calls: dict[str, dict[int, list[str]]] = {}
        self._useful: dict[str, set[str]] = {}

    def run(self, rules: dict) -> tuple[taint.TaintResult, dict[str, dict]] | None:
        project = self.project
        self.top = project.row(GLOBAL)
        token = project.row(LINKS_TOKEN).get("token")
        if self.top.get("capped") or token is None or token != self.previous.get("links"):
            return None
        if not self._definitions():
            return None
        self._link()
        affected = self._affected(self._seeds())
        back = set(affected)  # every node leading to an affected sink, with its module
        todo = list(back)
        while todo:
            node, rel = todo.pop()
            for before in backward(node, rel, project, self):
                if before not in back:
                    back.add(before)
                    todo.append(before)
        fresh = self._search(sorted({rel for _, rel in back}, key=self.order.__getitem__), affected)
        if fresh is None:
            return None
        result = self._merged(fresh, affected, rules)
        if result is None:
            return None
        rows = updated_rows(
            project, self.modules, self.changed, self.relinked, self.new_calls, self.added, back,
            self.top, self.table, self.tools, self.known, self.old_owner, self.still_useful,
        )
        return result, rows

    # -- the project's functions and calls now -----------------------------------------------
    def _definitions(self) -> bool:
        """The functions now, the modules whose calls may resolve otherwise (``relink``),
        the functions whose details changed, the tool registrations now; False when
        a change reaches further than calls."""
        project, changed = self.project, self.changed
        self.table = self.top["functions"]
        self.old_owner = owners(self.table)
        self.relink: set[str] = set()
        self.details: set[str] = set()  # functions whose parameters... changed: their calls bind otherwise
        redefined = [
            rel for rel, flows in changed.items() if flows.get("defs") is None or flows["defs"] != project.row(rel)["defs"]
        ]
        if redefined:
            found = redefinitions(redefined, changed, self.before_of, self.index, self.kb, self.top["tools"])
            if found is None:
                return False
            names, self.details = found
            words = project.row(WORDS)["words"]
            self.relink = {self.modules[i] for name in names for i in words.get(name, ())} - set(changed)
            self.table = [
                taint.function_table([(entry[0], changed[entry[0]])])[0] if entry[0] in changed else entry
                for entry in self.table
            ]
        self.known = taint.Known(self.table, project.flows)
        for rel, flows in changed.items():
            if any(self.known.owner.get(qual) != rel for qual in flows["functions"]):
                return False  # defined in another module too: which one counts is the whole project's choice
        tools = [entry for entry in self.top["tools"] if entry[0] not in changed]
        tools += [[rel, qual, info] for rel, flows in changed.items() for qual, info in flows.get("tools", {}).items()]
        self.tools = sorted(tools, key=lambda entry: self.order[entry[0]])
        return True

    def _link(self) -> None:
        """The calls of the changed modules and of those to relink, linked anew."""
        project = self.project
        self.relinked = set(self.changed) | self.relink
        self.alone = taint.build((rel, project.flows(rel)) for rel in sorted(self.relinked, key=self.order.__getitem__))
        self.alone.known = self.known
        taint.link(self.alone, self.index, self.kb, self.threat_models)
        self.new_calls: dict[str, list] = {}  # module -> [[position, callees]]
        self.added: dict[str, list] = {}  # callee -> [[module, position]] of those calls
        for rel in self.relinked:
            calls = self.new_calls[rel] = []
            for i, site in enumerate(project.flows(rel)["sites"]):
                callees = self.alone.callees.get(site)
                if callees:
                    calls.append([i, callees])
                    for callee in callees:
                        self.added.setdefault(callee, []).append([rel, i])

    def owner(self, qual: str) -> str:
        return self.known.owner[qual]

    def callers(self, qual: str) -> list:
        """The calls into a function now, as [module, position among its call sites]."""
        kept = self.project.row(self.known.owner[qual])["callers"].get(qual, ())
        return [c for c in kept if c[0] not in self.relinked] + self.added.get(qual, [])

    def callees_at(self, rel: str, site: str) -> list[str]:
        """The functions a call site calls now."""
        calls = self._calls.get(rel)
        if calls is None:
            rows = self.new_calls[rel] if rel in self.relinked else self.project.row(rel)["calls"]
            calls = self._calls[rel] = dict(map(tuple, rows))
        return calls.get(self.project.local(rel)[5].get(site, -1), [])

    def params(self, qual: str) -> list[str]:
        return [f"param:{qual}:{p}" for p in self.known[qual][1]["params"]] if qual in self.known else []

    def _site_nodes(self, rel: str, i: int) -> list[tuple[str, str]]:
        """A call site with its arguments, items and checks."""
        _, _, sites, parts, _, _ = self.project.local(rel)
        site = sites[i]
        return [(n, rel) for n in (site, *parts.get(site, ()))]

    def _params_of(self, callees) -> list[tuple[str, str]]:
        return [(p, self.known.owner[c]) for c in callees if c in self.known for p in self.params(c)]

    # -- 1. what changed ---------------------------------------------------------------------
    def _seeds(self) -> list[tuple[str, str]]:
        """The nodes (with their modules) the forward walk starts from."""
        project, changed, known = self.project, self.changed, self.known
        seeds: list[tuple[str, str]] = []
        self.old_callees: set[str] = set()
        self.still_useful: dict[str, set[str]] = {}  # changed module -> its nodes known to lead to a sink
        for rel, flows in changed.items():
            before = self.before_of(rel)[0]
            edit = edited(before, flows) if before is not None else None
            if edit is None:
                seeds += self._everything(rel, flows)
            else:
                seeds += self._around(rel, flows, before, edit)
        for rel in self.relink:
            was = dict(map(tuple, project.row(rel)["calls"]))
            now = dict(map(tuple, self.new_calls[rel]))
            for i in was.keys() | now.keys():
                a, b = was.get(i, []), now.get(i, [])
                self.old_callees.update(a)
                if a != b or self.details.intersection(a) or self.details.intersection(b):
                    seeds += self._site_nodes(rel, i) + self._params_of({*a, *b})
        for qual in self.details:
            for caller, i in self.callers(qual) if qual in known else ():
                seeds += self._site_nodes(caller, i)
        for callee in self.old_callees | set(self.added):
            if callee in known:
                rel = self.old_owner.get(callee)
                before = project.row(rel)["callers"].get(callee, ()) if rel is not None else ()
                if bool(before) != bool(self.callers(callee)):  # called from the project or not
                    seeds += self._params_of([callee])
        resolver = taint.Resolver(self.alone, self.index, self.kb.library_ancestors)
        for rel, qual, _ in self.tools:
            if rel in changed:
                seeds += self._params_of([target] if (target := resolver.function(qual)) is not None else [])
        return seeds

    def _everything(self, rel: str, flows: dict) -> list[tuple[str, str]]:
        """A changed module whose graphs cannot be compared: every node, and wherever its
        old calls and returns led."""
        old = self.project.row(rel)
        seeds = [(name, rel) for name in flows["names"] if name != UNKNOWN]
        for _, callees in old["calls"]:
            self.old_callees.update(callees)
            seeds += self._params_of(callees)
        for sites in old["callers"].values():
            for caller, i in sites:
                if caller not in self.changed:
                    seeds += self._site_nodes(caller, i)
        self.still_useful[rel] = set()
        return seeds

    def _around(self, rel: str, flows: dict, before: dict, edit: tuple) -> list[tuple[str, str]]:
        """A changed module compared with what it was: the nodes around the edges that
        changed, the calls that resolve or bind otherwise, the returns of functions
        that went."""
        old = self.project.row(rel)
        nodes, old_canon, new_canon, new_name = edit
        positions = self.project.local(rel)[5]
        seeds: list[tuple[str, str]] = []
        for name in nodes:
            if name in positions:
                seeds += self._site_nodes(rel, positions[name])
            elif name != UNKNOWN:
                seeds.append((name, rel))
        old_sites, new_sites = list(before["sites"]), list(flows["sites"])
        was = {old_canon(old_sites[i]): callees for i, callees in old["calls"]}
        now = {new_canon(new_sites[i]): callees for i, callees in self.new_calls[rel]}
        for site in was.keys() | now.keys():
            a, b = was.get(site, []), now.get(site, [])
            self.old_callees.update(a)
            if a != b or self.details.intersection(a) or self.details.intersection(b):
                name = new_name(site)
                if name is not None:
                    seeds += self._site_nodes(rel, positions[name])
                seeds += self._params_of({*a, *b})
        for qual, sites in old["callers"].items():
            if qual not in flows["functions"]:
                for caller, i in sites:
                    if caller not in self.changed:
                        seeds += self._site_nodes(caller, i)
        old_names = before["names"]
        self.still_useful[rel] = {
            name for i in old["useful"] if (name := new_name(old_canon(old_names[i]))) is not None
        }
        return seeds

    # -- 2. forwards -------------------------------------------------------------------------
    def _led_to_sink(self, rel: str, name: str) -> bool:
        if rel in self.changed:
            return True
        found = self._useful.get(rel)
        if found is None:
            names = self.project.flows(rel)["names"]
            found = self._useful[rel] = {names[i] for i in self.project.row(rel)["useful"]}
        return name in found

    def _affected(self, seeds: list[tuple[str, str]]) -> set[tuple[str, str]]:
        """The sinks (with their modules) whose result may change."""
        project, changed = self.project, self.changed
        affected = {(sid, rel) for rel, flows in changed.items() for sid in flows["sinks"]}
        for (rel, i), origin, steps, *_ in self.previous["trace"]["paths"]:
            # a path through a changed module names its steps there by position
            if rel not in changed and (origin[1] in changed or any(m in changed for m, _ in steps)):
                affected.add((list(project.flows(rel)["sinks"])[i], rel))
        seen = set(seeds)
        todo = list(seen)
        while todo:
            node, rel = todo.pop()
            if node in project.local(rel)[4]:
                affected.add((node, rel))
                continue
            for nxt in forward(node, rel, project, self):
                if nxt not in seen and self._led_to_sink(nxt[1], nxt[0]):
                    seen.add(nxt)
                    todo.append(nxt)
        return affected

    # -- 3. the search -----------------------------------------------------------------------
    def _search(self, region: list[str], affected: set[tuple[str, str]]) -> dict | None:
        """The trace (taint._trace) of the affected sinks, searched in the graph of the
        modules leading to them."""
        project, known = self.project, self.known
        for rel in region:
            if any(known.owner[qual] != rel for qual in project.flows(rel)["functions"]):
                return None  # defined twice
        graph = taint.build((rel, project.flows(rel)) for rel in region)
        graph.known = known
        graph.tools = {}
        for rel, qual, info in self.tools:
            graph.tools.setdefault(qual, (rel, info))
        graph.called.update(qual for qual in graph.functions if self.callers(qual))
        taint.link(graph, self.index, self.kb, self.threat_models)
        wanted = {sid: graph.sinks[sid] for sid, _ in affected if sid in graph.sinks}
        decided = [sid for sid in wanted if wanted[sid][1]["category"] in VERDICT_CATEGORIES]
        reached = taint.unknown_reach(graph, decided) if decided else set()
        paths: dict[str, list] = {}
        for tier in taint._source_tiers(graph, self.threat_models):
            for sink_id, found in taint.search(graph, tier, wanted).items():
                paths.setdefault(sink_id, found)
        return None if graph.capped else taint._trace(graph, paths, reached)

    # -- 4. the result -----------------------------------------------------------------------
    def _merged(self, fresh: dict, affected: set[tuple[str, str]], rules: dict) -> taint.TaintResult | None:
        """The last result for the other sinks, this one for the affected, placed."""
        project, changed, previous = self.project, self.changed, self.previous
        trace = previous["trace"]
        places = sink_places(project, affected)
        kept = [entry for entry in trace["paths"] if tuple(entry[0]) not in places and entry[0][0] not in changed]
        sink_ids: dict[str, list[str]] = {}

        def sink_id(entry: list) -> str:  # the order of a whole-project analysis
            rel, i = entry[0]
            if rel not in sink_ids:
                sink_ids[rel] = list(project.flows(rel)["sinks"])
            return sink_ids[rel][i]

        reached: dict[str, set[int]] = {rel: set(found) for rel, found in trace["reached"].items() if rel not in changed}
        for rel, i in places:
            reached.get(rel, set()).discard(i)
        for rel, found in fresh["reached"].items():
            reached.setdefault(rel, set()).update(found)
        redo = {rel for rel, _ in places} | set(changed)
        safe = {key for key in map(tuple, previous["safe"]) if key[0] not in redo}
        mitigated = {tuple(key): why for key, why in previous["mitigated"] if key[0] not in redo}
        for rel in redo:
            flows = project.flows(rel)
            hit = reached.get(rel, set())
            safe_here, mitigated_here = taint._verdicts(
                ((rel, sink, i in hit) for i, sink in enumerate(flows["sinks"].values())), taint._module_safe(rel, flows)
            )
            safe |= safe_here
            mitigated.update(mitigated_here)
        merged = {
            "paths": sorted(kept + fresh["paths"], key=sink_id),
            "reached": {rel: sorted(found) for rel, found in reached.items() if found},
        }
        return taint.replay(merged, safe, mitigated, self.moved, project.flows, rules)
