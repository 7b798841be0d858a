"""What the partial analysis keeps of the last one, by module (rows of the cache's
``links`` table): written whole after a whole-project analysis (``state``), the rows
an edit changed after a partial one (``updated_rows``)."""

from __future__ import annotations

from redline.python import taint
from redline.python.partial.edits import SPLIT

GLOBAL = ""  # the row of the project-wide part: functions, tools, whether a search was cut
WORDS = "//words"  # the row of which modules' calls are written with which names


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
        for word in callee_words(flows):
            words.setdefault(word, []).append(i)
    rows[WORDS] = {"words": words}
    return rows


def callee_words(flows: dict) -> set[str]:
    """The names a module's calls are written with, split at dots: a call may resolve
    otherwise when a definition of one of these names changes."""
    words: set[str] = set()
    for callee in {info["callee"] for info in flows["sites"].values()}:
        words.update(SPLIT.split(callee))
    words.discard("")
    return words


def owners(table: list) -> dict[str, str]:
    """Function -> its module, from a function table (the first definition counts)."""
    owner: dict[str, str] = {}
    for rel, quals, _ in table:
        for qual in quals:
            owner.setdefault(qual, rel)
    return owner


def updated_rows(project, modules, changed, relinked, new_calls, added, back, top, table, tools, known, old_owner, still_useful):
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
        for word in callee_words(project.flows(rel))
        if i not in words.get(word, ())
    ]
    if new:  # (a name no longer written stays: a superset only costs a relink)
        words = {word: list(found) for word, found in words.items()}
        for word, i in new:
            words.setdefault(word, []).append(i)
        rows[WORDS] = {"words": words}
    return rows
