"""The modules of a project read on demand, and the unmatched walks over their graphs
that find what an edit reaches (``forward``) and what leads there (``backward``)."""

from __future__ import annotations

from collections.abc import Iterable

from redline.python.flow import unpack_edges


class Project:
    """Modules' graphs and state rows read on demand, with the changed modules' own."""

    def __init__(self, changed: dict[str, dict], flows_of, row_of) -> None:
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


def forward(node: str, rel: str, project: Project, links) -> Iterable[tuple[str, str]]:
    """Where data at ``node`` (of module ``rel``) may flow next, calls and returns
    unmatched: the module's edges, an argument into the callees' parameters and the
    call's result, a call's result into its items, a return into every caller.
    ``links``: the project's calls now (``callees_at``, ``callers``, ``params``, ``owner``)."""
    edges, _, _, parts, _, _ = project.local(rel)
    for to in edges.get(node, ()):
        yield to, rel
    if node.startswith("arg:"):
        site = node[4:].rpartition(":")[0]
        yield site, rel
        for callee in links.callees_at(rel, site):
            yield from ((p, links.owner(callee)) for p in links.params(callee))
    elif node.startswith("call:"):
        for part in parts.get(node, ()):
            if not part.startswith(("arg:", "chk:")):
                yield part, rel
    elif node.startswith("ret:"):
        qual, mark, item = node[4:].partition("#")
        for caller, i in links.callers(qual):
            site = project.local(caller)[2][i]
            yield (f"{site}#{item}" if mark else site), caller


def backward(node: str, rel: str, project: Project, links) -> Iterable[tuple[str, str]]:
    """Where data at ``node`` may come from: the reverse of ``forward``."""
    _, edges, _, parts, _, _ = project.local(rel)
    for frm in edges.get(node, ()):
        yield frm, rel
    if node.startswith("param:"):
        qual = node[6:].rpartition(":")[0]
        for caller, i in links.callers(qual):
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
        for callee in links.callees_at(rel, site):
            yield (f"ret:{callee}#{item}" if mark else f"ret:{callee}"), links.owner(callee)


def sink_places(project: Project, affected: set[tuple[str, str]]) -> set[tuple[str, int]]:
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
