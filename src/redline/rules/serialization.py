"""Checklist area 4: unsafe deserialization."""

from __future__ import annotations

import ast

from redline.model import Area, Confidence, Severity
from redline.rules import gates
from redline.rules.common import argument, is_const, keyword, own_nodes
from redline.rules.registry import check, define

SER001 = define(
    "SER001",
    "unsafe-deserialization",
    "Deserialization that can execute code (pickle family)",
    area=Area.SERIALIZATION,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=502,
    what="""
Loading data with `pickle`, `cPickle`, `dill`, `cloudpickle`, `marshal`, `shelve`,
`jsonpickle.decode`, `joblib.load`, `pandas.read_pickle`, `numpy.load` with
`allow_pickle=True`, `torch.load` without `weights_only=True`, or a subclass of
`pickle.Unpickler` whose `find_class` does not check names against an allowlist.
Where the bytes come from is not shown here (a proven flow from an attacker is
SER003): a review item, LOW when the load runs only under an opt-in flag or a
setting that is off by default (`if not allow_pickle: raise ...`).
""",
    why="""
These formats rebuild arbitrary objects, and rebuilding an object can call any
function: a pickle is a program. Whoever can write the bytes (a cache entry, a
Redis key, a downloaded model, a message from another service) runs code in your
process. Agent memory and vector-store caches are frequent carriers.
""",
    example="""
    import pickle

    def restore(blob):
        return pickle.loads(blob)
""",
    use_instead="""
    import json

    def restore(blob):
        return json.loads(blob)
""",
    recommendation=(
        "Deserialize untrusted data only with data-only formats (JSON, msgpack, "
        "safetensors, torch.load(weights_only=True)); if pickle is unavoidable, sign the "
        "bytes (HMAC) and verify before loading."
    ),
    references=(
        "https://docs.python.org/3/library/pickle.html",
        "https://cwe.mitre.org/data/definitions/502.html",
    ),
    basis="data",
)

SER002 = define(
    "SER002",
    "unsafe-yaml-load",
    "YAML loaded with a loader that constructs Python objects",
    area=Area.SERIALIZATION,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    cwe=502,
    what="""
`yaml.load`/`yaml.load_all` without a safe loader (`SafeLoader`, `CSafeLoader`,
`BaseLoader`), and `yaml.unsafe_load`, `yaml.full_load` and their `_all` forms.
""",
    why="""
PyYAML's full and unsafe loaders honour tags such as `!!python/object/apply`,
which call arbitrary functions while the document is parsed. Workflow definitions,
agent configurations and prompt files are YAML that users and other systems can
write.
""",
    example="""
    import yaml

    def load_workflow(text):
        return yaml.load(text, Loader=yaml.Loader)
""",
    use_instead="""
    import yaml

    def load_workflow(text):
        return yaml.safe_load(text)
""",
    recommendation="Load YAML with yaml.safe_load (or Loader=yaml.SafeLoader/CSafeLoader).",
    references=("https://pyyaml.org/wiki/PyYAMLDocumentation",),
)

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


@check(SER001, nodes=(ast.Module,))
def module_tree(ctx, node: ast.Module) -> None:
    gates.remember(ctx, node)


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
    saved = ctx.stmt
    ctx.stmt = node
    try:
        _report_load(
            ctx,
            node,
            f"{node.name} subclasses pickle.Unpickler without a find_class that checks names against an allowlist",
        )
    finally:
        ctx.stmt = saved


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

SER003 = define(
    "SER003",
    "tainted-deserialization",
    "Untrusted bytes deserialized with a code-executing format",
    area=Area.SERIALIZATION,
    severity=Severity.CRITICAL,
    confidence=Confidence.HIGH,
    cwe=502,
    what="""
A proven flow from an untrusted source into `pickle`, `marshal`, `dill`, `shelve`,
`jsonpickle`, `yaml.load` with an unsafe loader, or another deserializer that
constructs arbitrary objects.
""",
    why="""
Deserializing attacker-supplied bytes with these formats runs attacker-chosen code
while the data is read; no validation afterwards can help.
""",
    example="""
    import pickle
    from flask import Flask, request

    app = Flask(__name__)

    @app.route("/restore", methods=["POST"])
    def restore():
        return str(pickle.loads(request.get_data()))
""",
    use_instead="""
    import json
    from flask import Flask, request

    app = Flask(__name__)

    @app.route("/restore", methods=["POST"])
    def restore():
        return str(json.loads(request.get_data()))
""",
    recommendation="Accept only data formats (JSON, msgpack, protobuf) from untrusted sources.",
    references=("https://cwe.mitre.org/data/definitions/502.html",),
)
