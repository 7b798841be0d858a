"""The taint analysis again for the part of the project an edit reaches.

A sink's result (the first path the breadth-first search finds to it, whether the proof
of safety reaches it) depends only on the nodes that lead to it, their edges in order
and the sources among them in order: the first state at a node is always reached from
a node that leads there too (taint._bfs). So after an edit whose modules changed their
flows (their shape, redline.python.flow.graph.shape), from what the last analysis kept
per module (``state``: the call graph by position, which nodes led to a sink at all,
every function by name, which modules write calls with which names):

1. *what changed*: the edited modules' old and new graphs are compared with call sites,
   sinks and sources named without positions (``edits.edited``); both ends of each
   edge added, removed or reordered, the calls that resolve or bind otherwise, the
   returns of functions that went, and the functions called now and not before (or the
   reverse) start the walk. When definitions changed, the calls anywhere written with
   a name whose meaning changed (through imports, instances and subclasses) are
   linked again first (``edits.redefinitions``);
2. *forwards* from there through nodes that led to a sink (a path through a change
   ends in nodes that lead to its sink without it), calls and returns unmatched, to
   the *affected* sinks; with the edited modules' own, and those whose last path went
   through an edited module (its steps are named there by position);
3. *backwards* from those to every node leading to them, unmatched (a superset): the
   modules to build;
4. those modules' graphs alone are built and linked, every other module's functions
   known by name (taint.Known), and searched for the affected sinks; the other sinks
   keep the last result, placed anew (taint.replay).

None (then the whole project is searched) when a search was cut at taint.MAX_STATES,
a class another module derives from changes its bases, a known source or a tool is
named with a changed name, a module's name or tools change, a function is defined in
two modules, or what the last analysis kept is missing or damaged.
"""

from redline.python.partial.rerun import rerun
from redline.python.partial.state import state

__all__ = ["rerun", "state"]
