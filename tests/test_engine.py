"""The walk's context: what a check may ask of it about the module and the visited node."""

from __future__ import annotations

import ast
import textwrap

from redline.engine import Dispatch, FileContext, RuleSettings, walk
from redline.python.names import ImportMap

CODE = textwrap.dedent(
    """
    import os

    class Store:
        @property
        def path(self):
            return os.getcwd()

        @path.setter
        def path(self, value):
            os.chdir(value)

    def outer():
        helper = lambda: os.getcwd()
        class Inner:
            x = os.getcwd()
        return helper
    """
)


def _context():
    tree = ast.parse(CODE)
    ctx = FileContext("m.py", CODE, ImportMap.build(tree, "m", False), RuleSettings(frozenset()))
    return tree, ctx


def test_each_node_sees_the_function_it_is_in(monkeypatch):
    tree, ctx = _context()
    seen = []

    def record(c, node):
        seen.append((node.lineno, getattr(c.function, "name", None), getattr(c.function, "lineno", None)))

    dispatch = Dispatch(frozenset())
    dispatch.by_call = {"os.getcwd": [record], "os.chdir": [record]}
    dispatch.wants_calls = True
    walk(tree, ctx, dispatch)
    # the setter is its own function (same name, same scope as the getter); a lambda
    # is inside the function it is written in; a class body is not in a function
    assert seen == [(7, "path", 6), (11, "path", 10), (14, "outer", 13), (16, None, None)]


def test_a_fact_is_computed_once_at_module_level():
    tree, ctx = _context()
    calls = []

    def compute(c):
        calls.append((c.scope, c.function))
        return len(c.tree.body)

    walk(tree, ctx, Dispatch(frozenset()))
    ctx.scope, ctx.function = ("outer",), tree.body[2]
    assert ctx.fact(compute) == 3 and ctx.fact(compute) == 3
    assert calls == [((), None)]  # computed once, as if at module level
    assert ctx.scope == ("outer",) and ctx.function is tree.body[2]  # the visit's state restored


def test_a_function_fact_is_kept_per_function():
    tree, ctx = _context()
    names = []

    def compute(fn):
        names.append(fn.lineno)
        return fn.name

    getter, setter = tree.body[1].body
    for fn in (getter, setter, getter, None):
        ctx.function = fn
        assert ctx.function_fact(compute) == (fn.name if fn else None)
    assert names == [getter.lineno, setter.lineno]
