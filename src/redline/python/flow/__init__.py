"""Per-module flow graphs: the worker half of the taint analysis.

Each function (and the module body) is interpreted once, statement by statement,
tracking which *origins* each variable may carry: a source read in this module,
a parameter of the function, a ``self`` field, or the result of a call into the
project. Whenever tainted data reaches a *target* (a sink argument, the return
value, a field store, an argument of a project call) an edge origin -> target is
recorded with the steps in between. The result is plain JSON-able data, cached
with the file; redline.python.taint joins the graphs of all modules and searches
them from sources to sinks.

- ``builder``: the interpreter core (statements, expressions, a ``Frame`` per function);
- ``calls``: call resolution and the project call sites;
- ``guards``: checks and sanitizers written in the code;
- ``recognisers``: library behaviour beyond plain sources, sinks and propagators;
- ``constants``: constant folding and module facts; ``graph``: taint values, the graph.
"""

from redline.python.flow.builder import FlowBuilder
from redline.python.flow.graph import (
    MITIGATED,
    UNKNOWN,
    VERDICT_CATEGORIES,
    FlowGraph,
    unpack_edges,
    unpack_steps,
)

__all__ = ["MITIGATED", "UNKNOWN", "VERDICT_CATEGORIES", "FlowBuilder", "FlowGraph", "unpack_edges", "unpack_steps"]
