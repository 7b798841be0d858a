"""Taint values and the per-module flow graph they are recorded in.

A ``Taint`` maps each *origin* a value may carry (a source, a parameter, a field, the
result of a project call) to its trace: the steps it went through and the categories
it was sanitized for."""

from __future__ import annotations

import base64
import hashlib
import json
import sys
import zlib
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field

from redline.knowledge.taint import CATEGORIES, SUPERSEDES

MAX_STEPS = 12


# The origin of data the code does not show: a global or closure variable, the result
# of a library call, a file read. Never a source; it only decides whether a sink is
# provably fed by constants or sanitized values (then its pattern finding is dropped).
UNKNOWN = "?"


UNKNOWN_TAINT: dict = {UNKNOWN: ((), frozenset())}


# Categories whose pattern rules (EXEC001, INJ001, SER001...) a verdict can settle.
VERDICT_CATEGORIES = frozenset(c for c, rule in CATEGORIES.items() if rule in SUPERSEDES)


Trace = tuple[tuple[tuple[int, str], ...], frozenset[str]]  # steps, sanitized categories


Taint = dict[str, Trace]


MITIGATED = frozenset({"~mitigated"})  # a trace marker: validated by a denylist-style check


@dataclass
class FlowGraph:
    sources: dict[str, dict] = field(default_factory=dict)  # id -> {kind, line, desc}
    sinks: dict[str, dict] = field(default_factory=dict)  # id -> {category, line, col, ...}
    edges: list[list] = field(default_factory=list)  # [from, to, steps, clean]
    sites: dict[str, dict] = field(default_factory=dict)  # call id -> {callee, line, method}
    functions: dict[str, dict] = field(default_factory=dict)  # qual -> {params, cls, line}
    # Sink calls whose data is provably constant or sanitized here: "line:col:category".
    safe: dict[str, bool] = field(default_factory=dict)
    # Functions registered as tools by a call (FunctionTool(self.read)): qual -> [kind, line, wrapper]
    tools: dict[str, list] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "sources": self.sources,
            "sinks": self.sinks,
            **self.compact_edges(),
            "sites": self.sites,
            "functions": self.functions,
            "safe": self.safe_sites(),
            "tools": self.tools,
        }

    def compact_edges(self) -> dict:
        """The edges as the cache and the project analysis read them: node names once in
        ``names``; ``edges`` four integers per edge (from, to, steps, sanitized), indexes
        into ``names``, into ``steps`` counted from 1 (0: no steps) and into ``cleans``,
        packed (``pack_edges``); ``steps`` the step lists, compressed (``pack_steps``)
        and unpacked only for the few paths that are reported."""
        names: dict[str, int] = {}
        cleans: dict[tuple, int] = {(): 0}
        steps: list[list] = []
        flat: list[int] = []
        for frm, to, path, clean in self.edges:
            if path:
                steps.append(path)
            flat += (
                names.setdefault(frm, len(names)),
                names.setdefault(to, len(names)),
                len(steps) if path else 0,
                cleans.setdefault(tuple(clean), len(cleans)),
            )
        return {
            "names": list(names),
            "edges": pack_edges(flat),
            "cleans": [list(c) for c in cleans],
            "steps": pack_steps(steps),
            "step_count": len(steps),
        }

    def safe_sites(self) -> list[list]:
        """[line, col, category] of sink calls proven safe in this module alone (a sink
        with data of any origin is registered and decided by the whole-project search)."""
        registered = {(s["line"], s["col"]) for s in self.sinks.values()}
        out = []
        for key, ok in self.safe.items():
            line, col, category = key.split(":", 2)
            if ok and (int(line), int(col)) not in registered:
                out.append([int(line), int(col), category])
        return sorted(out)


_WORD = next(code for code in "IL" if array(code).itemsize == 4)  # 32 bits wherever "I" is not


def pack_edges(flat: list[int]) -> str:
    """Integers as base64 of unsigned 32-bit little-endian words: a million edges of a
    large tree take 16 MB in the parent instead of 150 as a list of int objects."""
    words = array(_WORD, flat)
    if sys.byteorder == "big":
        words.byteswap()
    return base64.b64encode(words.tobytes()).decode("ascii")


def pack_steps(steps: list[list]) -> str:
    """Step texts, about a third of a graph, read for a handful of reported paths: kept
    compressed (base64 of zlib'd JSON) in the parent, a fifth of their size."""
    return base64.b64encode(zlib.compress(json.dumps(steps, separators=(",", ":")).encode("utf-8"), 1)).decode("ascii")


def unpack_steps(text: str) -> list[list]:
    try:
        return json.loads(zlib.decompress(base64.b64decode(text, validate=True)))
    except zlib.error as exc:
        raise ValueError(f"damaged step texts: {exc}") from None


def unpack_edges(text: str) -> array:
    words = array(_WORD)
    words.frombytes(base64.b64decode(text, validate=True))
    if sys.byteorder == "big":
        words.byteswap()
    return words


def union(*taints: Taint) -> Taint:
    out: Taint = {}
    for t in taints:
        for origin, trace in t.items():
            if origin not in out or len(trace[0]) < len(out[origin][0]):
                out[origin] = trace
    return out


def add_step(t: Taint, line: int, text: str) -> Taint:
    if not t:
        return t
    out = {}
    for origin, (steps, clean) in t.items():
        if origin == UNKNOWN or (steps and steps[-1][0] == line):
            out[origin] = (steps, clean)
        elif len(steps) >= MAX_STEPS:
            out[origin] = (steps[:2] + steps[-(MAX_STEPS - 3) :] + ((line, text),), clean)
        else:
            out[origin] = (steps + ((line, text),), clean)
    return out


def cleaned(t: Taint, categories: frozenset[str]) -> Taint:
    return {o: (s, c | categories) for o, (s, c) in t.items()}


def carries(args: list[Taint], kwargs: dict[str, Taint]) -> bool:
    """Whether an argument holds data of a known origin (more than unknown data)."""
    return any(len(t) > 1 or (t and UNKNOWN not in t) for t in (*args, *kwargs.values()))


# What the whole-project analysis reads of a module besides where things are: a module
# whose shape is unchanged by an edit gives the same project result, at other lines.
_LOCATION_KEYS = frozenset({"line", "col", "end_line", "end_col", "stmt", "snippet", "shown_line", "cell", "suppressed"})


def renamer(tokens: dict[str, str]) -> Callable[[str], str]:
    """Node names with the call sites, sinks and sources ``tokens`` names renamed so, and
    the nodes of a call site (its arguments, checks and items) with them."""

    def canon(name: str) -> str:
        found = tokens.get(name)
        if found is not None:
            return found
        if name.startswith(("arg:", "chk:")):
            site, _, key = name[4:].rpartition(":")
            if site in tokens:
                return f"{name[:4]}{tokens[site]}:{key}"
        base, mark, item = name.rpartition("#")
        if mark and base in tokens:
            return f"{tokens[base]}#{item}"
        return name

    return canon


def shape(flows: dict, summary: dict) -> str:
    """A digest of the module's flow graph and summary without positions: node names
    with their call sites, sources and sinks numbered in order instead of placed by
    line, edges with whether (not what) they have steps, and every other attribute."""
    tokens: dict[str, str] = {}
    for kind in ("sites", "sinks", "sources"):
        for i, ident in enumerate(flows[kind]):
            tokens[ident] = f"{kind}#{i}"
    canon = renamer(tokens)

    def placeless(table: dict) -> list:
        return [
            [canon(k), {a: v for a, v in info.items() if a not in _LOCATION_KEYS}] for k, info in table.items()
        ]

    edges = unpack_edges(flows["edges"])
    has_steps = array("B", (1 if at else 0 for at in edges[2::4]))
    doc = [
        [canon(n) for n in flows["names"]],
        flows["cleans"],
        placeless(flows["sinks"]),
        placeless(flows["sources"]),
        placeless(flows["sites"]),
        *_definitions(flows, summary, placeless),
    ]
    digest = hashlib.blake2b(digest_size=16)
    digest.update(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode("utf-8"))
    for part in (edges[0::4], edges[1::4], edges[3::4], has_steps):  # from, to, sanitized, with steps
        digest.update(len(part).to_bytes(8, "little"))
        digest.update(part.tobytes())
    return digest.hexdigest()


def _definitions(flows: dict, summary: dict, placeless) -> list:
    """What other modules' analysis reads of a module, without positions: its functions,
    the functions it registers as tools, its names (the project index's summary)."""
    return [
        placeless(flows["functions"]),
        [[qual, [kind, wrapper]] for qual, (kind, _, wrapper) in flows.get("tools", {}).items()],
        {**summary, "definitions": [[d[0], d[1], *d[4:]] for d in summary.get("definitions", ())]},
    ]


def definitions(flows: dict, summary: dict) -> str:
    """A digest of the module's definitions (``_definitions``): while it stays the same,
    a call elsewhere resolves to the same function (redline.python.partial)."""

    def placeless(table: dict) -> list:
        return [[k, {a: v for a, v in info.items() if a not in _LOCATION_KEYS}] for k, info in table.items()]

    doc = json.dumps(_definitions(flows, summary, placeless), sort_keys=True, separators=(",", ":"))
    return hashlib.blake2b(doc.encode("utf-8"), digest_size=16).hexdigest()
