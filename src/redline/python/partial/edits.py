"""What an edit of a module changed, as the partial analysis needs it: the nodes around
the edges it changed (``edited``), and the names whose calls anywhere may resolve or
bind otherwise when its definitions changed (``redefinitions``)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable

from redline.python.flow import unpack_edges
from redline.python.flow.graph import _LOCATION_KEYS, renamer

SPLIT = re.compile(r"[.|:*]+")  # a callee's name into the names it is written with


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


def _changed_targets(node: str, before: list, after: list) -> set[str]:
    """Where an edit of a node's edges (each (target, sanitized, with steps), in order)
    matters: the targets of edges added or removed, when the others kept their order
    (the search meets them in the same order, Graph.add); else the node and every
    target."""
    common = Counter(before) & Counter(after)

    def kept(edges: list) -> tuple[list, list]:
        left = Counter(common)
        same, other = [], []
        for edge in edges:
            if left[edge] > 0:
                left[edge] -= 1
                same.append(edge)
            else:
                other.append(edge[0])
        return same, other

    same_before, gone = kept(before)
    same_after, new = kept(after)
    if same_before == same_after:
        return {*gone, *new}
    return {node, *(edge[0] for edge in before), *(edge[0] for edge in after)}


def edited(old: dict, new: dict) -> tuple[list[str], Callable, Callable, Callable] | None:
    """The nodes of a module's new graph around what an edit changed: where the edges
    of a node changed (``_changed_targets``), and the sources and calls whose details
    changed (canonical names: ``_canonical``); with the canonical name of an old and of
    a new name, and the new graph's name of a canonical one (None if it has none). None
    when the order of the module's sources, call sites or functions changed (the
    search's order would differ anywhere)."""
    old_names, new_names = _canonical(old), _canonical(new)
    old_canon, new_canon = renamer(old_names), renamer(new_names)
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
            touched.update(_changed_targets(node, a, b))
    for table in ("sources", "sites"):  # a source of another kind, a call checking otherwise
        was = {old_names[ident]: _placeless(info) for ident, info in old[table].items()}
        for ident, info in new[table].items():
            if was.get(new_names[ident]) != _placeless(info):
                touched.add(new_names[ident])
    back = {new_canon(n): n for n in new["names"]}
    back.update({c: n for n, c in new_names.items()})
    return [back[c] for c in touched if c in back], old_canon, new_canon, back.get


def redefinitions(redefined, changed, before_of, index, kb, tools: list) -> tuple[set[str], set[str]] | None:
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
        if name.split(".", 1)[0] in index.roots and names.intersection(SPLIT.split(name)):
            return None
    for _, qual, _ in tools:
        if names.intersection(SPLIT.split(qual)):
            return None
    return names, details


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
