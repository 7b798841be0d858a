"""Checklist area 4: unsafe deserialization."""

from __future__ import annotations

import ast

from redline.rules import gates
from redline.rules.catalog import rule
from redline.rules.common import argument, is_const, keyword, own_nodes
from redline.rules.registry import check

SER001 = rule("SER001")
SER002 = rule("SER002")

_PICKLE_LIKE = (
    "pickle.load",
    "pickle.loads",
    "pickle.Unpickler",
    "_pickle.load",
    "_pickle.loads",
    "cPickle.load",
    "cPickle.loads",
    "dill.load",
    "dill.loads",
    "cloudpickle.load",
    "cloudpickle.loads",
    "marshal.load",
    "marshal.loads",
    "shelve.open",
    "jsonpickle.decode",
    "jsonpickle.loads",
    "jsonpickle.unpickler.decode",
    "joblib.load",
    "pandas.read_pickle",
    "sklearn.externals.joblib.load",
)


_UNPICKLERS = frozenset(
    {"pickle.Unpickler", "_pickle.Unpickler", "dill.Unpickler", "cloudpickle.Unpickler", "pickle._Unpickler"}
)


def _report_load(ctx, node: ast.AST, message: str) -> None:
    data = (*node.args, *(kw.value for kw in node.keywords)) if isinstance(node, ast.Call) else ()
    tag = gates.gate(ctx, node, data)
    if tag is not None:
        ctx.report(SER001, node, f"{message}; it runs only when an opt-in flag or setting allows it", evidence=(tag,))
    else:
        ctx.report(SER001, node, message, evidence=("unknown-data",))


@check(SER001, calls=_PICKLE_LIKE)
def pickle_like(ctx, node: ast.Call) -> None:
    name = ctx.qualname(node.func)
    _report_load(ctx, node, f"{name}() can execute code embedded in the data it loads")


@check(SER001, calls=("torch.load",))
def torch_load(ctx, node: ast.Call) -> None:
    weights_only = keyword(node, "weights_only")
    if weights_only is not None and is_const(weights_only.value, True):
        return
    _report_load(ctx, node, "torch.load() without weights_only=True unpickles arbitrary objects")


@check(SER001, calls=("numpy.load",))
def numpy_load(ctx, node: ast.Call) -> None:
    allow = keyword(node, "allow_pickle")
    if allow is not None and is_const(allow.value, True):
        _report_load(ctx, node, "numpy.load(allow_pickle=True) unpickles arbitrary objects")


# -- subclasses of pickle.Unpickler -------------------------------------------------------


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _restricting(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """``find_class(self, module, name)`` that refuses names outside an allowlist: it
    raises (or returns something else than the parent's lookup) unless ``module``/``name``
    pass a membership test, a prefix check or an equality with a constant."""
    params = {a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)} - {"self", "cls"}
    checked = False
    refuses = False
    for sub in own_nodes(fn):
        if isinstance(sub, ast.Raise):
            refuses = True
        elif isinstance(sub, ast.Compare) and any(isinstance(op, (ast.In, ast.NotIn, ast.Eq, ast.NotEq)) for op in sub.ops):
            if _names(sub.left) & params or any(_names(c) & params for c in sub.comparators):
                checked = True
        elif (
            isinstance(sub, ast.Call)
            and isinstance(sub.func, ast.Attribute)
            and sub.func.attr in ("startswith", "endswith", "fullmatch", "match")
            and (_names(sub.func.value) | {n for a in sub.args for n in _names(a)}) & params
        ):
            checked = True
    last = fn.body[-1] if fn.body else None
    if isinstance(last, ast.Return) and not (
        isinstance(last.value, ast.Call) and isinstance(last.value.func, ast.Attribute) and last.value.func.attr == "find_class"
    ):
        refuses = True  # falls through to something other than the real lookup
    return checked and refuses


@check(SER001, nodes=(ast.ClassDef,))
def unpickler_subclass(ctx, node: ast.ClassDef) -> None:
    """A subclass of pickle.Unpickler loads what pickle.Unpickler loads unless its
    find_class checks names against an allowlist (a restricted unpickler, not reported)."""
    if not any(ctx.qualname(b) in _UNPICKLERS for b in node.bases):
        return
    find_class = next((s for s in node.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == "find_class"), None)
    if find_class is not None and _restricting(find_class):
        return
    _report_load(
        ctx,
        node,
        f"{node.name} subclasses pickle.Unpickler without a find_class that checks names against an allowlist",
    )


_SAFE_LOADERS = frozenset(
    {
        "yaml.SafeLoader",
        "yaml.CSafeLoader",
        "yaml.BaseLoader",
        "yaml.CBaseLoader",
        "yaml.loader.SafeLoader",
        "yaml.loader.BaseLoader",
        "yaml.cyaml.CSafeLoader",
    }
)


@check(SER002, calls=("yaml.load", "yaml.load_all"))
def yaml_load(ctx, node: ast.Call) -> None:
    loader = argument(node, 1, "Loader")
    name = ctx.qualname(node.func)
    if loader is None:
        if any(kw.arg is None for kw in node.keywords):
            return  # Loader may come through **kwargs
        ctx.report(SER002, node, f"{name}() without a Loader uses an unsafe default in PyYAML < 6")
        return
    loader_name = ctx.qualname(loader)
    if loader_name is None or loader_name in _SAFE_LOADERS:
        return  # unknown names may be SafeLoader subclasses: stay precise
    if loader_name.startswith("yaml.") or loader_name in ("Loader", "UnsafeLoader", "FullLoader"):
        ctx.report(SER002, node, f"{name}() with {loader_name} can construct Python objects")


@check(
    SER002,
    calls=("yaml.unsafe_load", "yaml.unsafe_load_all", "yaml.full_load", "yaml.full_load_all"),
)
def yaml_unsafe(ctx, node: ast.Call) -> None:
    name = ctx.qualname(node.func)
    ctx.report(SER002, node, f"{name}() can construct arbitrary Python objects")

SER003 = rule("SER003")
