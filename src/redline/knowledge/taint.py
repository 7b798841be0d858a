"""Taint knowledge: sources, sinks, sanitizers and propagators, one TOML file per
library in ``knowledge/taint/`` (format: docs/knowledge-format.md), validated on load."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from redline.knowledge import KnowledgeError, tomllib

SOURCE_KINDS = frozenset({"remote", "model-output", "tool-argument", "cli", "file", "network", "environment"})

# category -> rule id; the rule's metadata gives the severity.
CATEGORIES: dict[str, str] = {
    "code-execution": "EXEC002",
    "module-import": "EXEC002",
    "command-injection": "INJ002",
    "deserialization": "SER003",
    "sql-injection": "INJ003",
    "cypher-injection": "INJ004",
    "template-injection": "INJ005",
    "ssrf": "NET002",
    "xxe": "INJ006",
    "ldap-injection": "INJ007",
    "xpath-injection": "INJ008",
    "jsonpath-injection": "INJ012",
    "open-redirect": "NET003",
    "header-injection": "INJ009",
    "xss": "INJ010",
    "path-traversal": "FS001",
    "path-traversal-write": "FS001",
    "path-probe": "FS001",
    "prompt-injection": "LLM001",
    "trust-boundary": "AUTH002",
}

# A proven taint path replaces the pattern finding on the same line.
SUPERSEDES: dict[str, tuple[str, ...]] = {
    "EXEC002": ("EXEC001", "SER004", "WF004"),
    "INJ002": ("INJ001",),
    "SER003": ("SER001", "SER002"),
    "INJ005": ("INJ011",),
}
# Review-level pattern findings (lower severity than the taint rule): any taint finding
# replaces them, even one with weaker evidence.
REVIEW_PATTERNS = frozenset({"INJ011"})
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_SECTION_KEYS = {
    "sources": {"kind", "attributes", "calls", "decorators", "decorator_names", "methods", "params", "wrappers"},
    "sinks": {
        "category", "calls", "args", "kwargs", "requires_kwarg", "unless_kwarg", "receiver", "enabled_by", "write_mode",
        "only_with",
    },
    "sanitizers": {"calls", "names", "name_parts", "categories"},
    "propagators": {"calls", "propagate", "args", "kwargs", "categories"},
    "typed": {"types", "bases", "wrappers", "constraints"},
    "methods": {"names", "flow", "category", "args", "receivers", "receiver_calls", "imports", "what"},
    "classes": {"names", "bases", "answers"},
}
# What a method recognised by its name alone does, on a value whose type the code
# does not show: builds its result from its arguments too (str.join), stores its
# arguments in the receiver (list.append), or runs an argument (cursor.execute).
METHOD_FLOWS = frozenset({"arguments-to-result", "arguments-to-receiver", "sink"})


@dataclass(frozen=True)
class SinkSpec:
    category: str
    args: tuple[int, ...]
    kwargs: tuple[str, ...]
    requires_kwarg: str | None = None
    unless_kwarg: tuple[tuple[str, object], ...] = ()
    receiver: bool = False
    # The call is a sink only when this argument (position, keyword) names one of these
    # (yaml.load(data, Loader=yaml.Loader)); a call without the argument is not a sink.
    only_with: tuple[int | None, str | None, frozenset[str]] | None = None
    # The sink counts only in a module whose source matches one of these: a parser that is
    # safe by default is a sink once the code turns a dangerous feature on.
    enabled_by: re.Pattern[str] | None = None
    # Position of a file mode argument (also `mode=`): a writing mode makes a
    # path-traversal sink a path-traversal-write one (open(path, "w")).
    write_mode: int | None = None


@dataclass(frozen=True)
class MethodSink:
    """A method that runs one of its arguments, recognised by name on a receiver made
    elsewhere (``cur.execute(sql)`` on a cursor whose connection the code does not show)."""

    category: str
    position: int
    receivers: frozenset[str]  # variable names of the receiver (cursor, cur)
    receiver_calls: tuple[str, ...]  # or made by a call of this name (conn.cursor())
    imports: frozenset[str]  # the module must import one of these (empty: any)
    what: str  # how the sink is described; {method} is the method's name


@dataclass
class TaintKnowledge:
    source_attributes: dict[str, str] = field(default_factory=dict)
    source_calls: dict[str, str] = field(default_factory=dict)
    source_decorators: dict[str, str] = field(default_factory=dict)
    source_decorator_names: dict[str, str] = field(default_factory=dict)  # last name part
    source_methods: dict[str, str] = field(default_factory=dict)  # "pkg.Base.method" -> kind
    source_params: dict[str, dict[str, str]] = field(default_factory=dict)
    # calls that register the function they are given as a tool (FunctionTool(self.read)):
    # its parameters are sources of that kind
    tool_wrappers: dict[str, str] = field(default_factory=dict)
    sinks: dict[str, list[SinkSpec]] = field(default_factory=dict)
    sanitizers: dict[str, frozenset[str]] = field(default_factory=dict)  # empty set: all
    non_propagating: set[str] = field(default_factory=set)
    pure: set[str] = field(default_factory=set)  # results computed from the arguments alone
    # results that are a document the arguments chose (open(path): the file's contents):
    # call -> the categories the choice does not carry (text shown or sent is the file's
    # own, not the caller's; what runs or is parsed as a program is still the caller's pick)
    contents: dict[str, frozenset[str]] = field(default_factory=dict)
    receiver_only: set[str] = field(default_factory=set)  # results built from the receiver alone
    # results that carry only these arguments (a request object: its URL, not its body)
    selected_args: dict[str, tuple[tuple[int, ...], tuple[str, ...]]] = field(default_factory=dict)
    # Statement builders: methods chained on their result bind their arguments as
    # parameters (update(t).where(...).values(data)): the result carries the receiver only.
    statements: set[str] = field(default_factory=set)
    sanitizer_names: dict[str, frozenset[str]] = field(default_factory=dict)  # last name part
    # Parameter annotations: values of these types carry no injectable text
    # (int, UUID, Literal[...]), subclasses of these bases neither (Enum), these wrap
    # the type that matters (Optional[int], Annotated[int, Query()]), and these calls
    # constrain a string with a regular expression (constr(pattern=...)).
    scalar_types: set[str] = field(default_factory=set)
    scalar_bases: set[str] = field(default_factory=set)
    type_wrappers: set[str] = field(default_factory=set)
    constraints: set[str] = field(default_factory=set)
    libraries: list[str] = field(default_factory=list)
    # Methods recognised by name on values of unknown type (knowledge "methods" entries).
    builders: frozenset[str] = frozenset()  # result built from the receiver and the arguments
    mutators: frozenset[str] = frozenset()  # the receiver stores the arguments
    method_sinks: dict[str, list[MethodSink]] = field(default_factory=dict)  # first match wins
    # Sanitizers by a part of the callee's last name (escape_html, html_escape...).
    sanitizer_name_parts: dict[str, frozenset[str]] = field(default_factory=dict)
    # Library classes -> the library classes they derive from (a type hierarchy, as
    # CodeQL's type models): a project class deriving from JupyterHandler has the
    # sources and sinks declared on tornado's RequestHandler.
    library_bases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Handler classes whose responses are JSON (the base sets the content type): what a
    # subclass writes is no HTML page.
    json_handlers: set[str] = field(default_factory=set)

    def library_ancestors(self, cls: str) -> list[str]:
        """The library classes ``cls`` derives from, nearest first (not ``cls`` itself)."""
        out: list[str] = []
        todo = list(self.library_bases.get(cls, ()))
        while todo:
            base = todo.pop(0)
            if base not in out and base != cls:
                out.append(base)
                todo.extend(self.library_bases.get(base, ()))
        return out

    def decorator_source(self, name: str) -> str | None:
        kind = self.source_decorators.get(name)
        if kind is None:
            kind = self.source_decorator_names.get(name.rpartition(".")[2])
        return kind

    def object_source(self, name: str) -> str | None:
        """The kind when ``name`` is an object some of whose attributes are sources
        (``flask.request`` passed whole to a helper carries its query parameters)."""
        objects = self.__dict__.get("_objects")
        if objects is None:
            objects = self.__dict__["_objects"] = {}
            for attr, kind in self.source_attributes.items():
                objects.setdefault(attr.rpartition(".")[0], kind)
        return objects.get(name)

    def attribute_source(self, name: str) -> str | None:
        """The source kind when ``name`` is a source attribute or lies below one."""
        probe = name
        while True:
            kind = self.source_attributes.get(probe)
            if kind is not None:
                return kind
            cut = probe.rfind(".")
            if cut < 0:
                return None
            probe = probe[:cut]


def _names(entry: dict, key: str, where: str) -> list[str]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise KnowledgeError(f"{where}: {key!r} must be a list of names")
    for v in value:
        base = v.split(":", 1)[0] if key == "params" else v
        if not _NAME.match(base):
            raise KnowledgeError(f"{where}: {v!r} is not a dotted name")
    return value


def _load_file(name: str, text: str, kb: TaintKnowledge) -> None:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise KnowledgeError(f"knowledge/taint/{name}: {exc}") from None
    unknown = set(data) - {"library", "description", *_SECTION_KEYS}
    if unknown or not isinstance(data.get("library"), str):
        raise KnowledgeError(f"knowledge/taint/{name}: needs 'library'; unknown keys {sorted(unknown)}")
    kb.libraries.append(data["library"])
    for section, allowed in _SECTION_KEYS.items():
        entries = data.get(section, [])
        if not isinstance(entries, list):
            raise KnowledgeError(f"knowledge/taint/{name}: [[{section}]] must be an array of tables")
        for i, entry in enumerate(entries):
            where = f"knowledge/taint/{name}: {section}[{i}]"
            if not isinstance(entry, dict):
                raise KnowledgeError(f"{where}: must be a table")
            extra = set(entry) - allowed
            if extra:
                raise KnowledgeError(f"{where}: unknown key(s) {sorted(extra)}")
            _add(section, entry, where, kb)


def _add(section: str, entry: dict, where: str, kb: TaintKnowledge) -> None:
    calls = _names(entry, "calls", where)
    if section == "sources":
        kind = entry.get("kind")
        if kind not in SOURCE_KINDS:
            raise KnowledgeError(f"{where}: kind must be one of {sorted(SOURCE_KINDS)}")
        for n in _names(entry, "attributes", where):
            kb.source_attributes[n] = kind
        for n in calls:
            kb.source_calls[n] = kind
        for n in _names(entry, "decorators", where):
            kb.source_decorators[n] = kind
        for n in _names(entry, "decorator_names", where):
            kb.source_decorator_names[n] = kind
        for n in _names(entry, "methods", where):
            kb.source_methods[n] = kind
        for n in _names(entry, "wrappers", where):
            kb.tool_wrappers[n] = kind
        for n in _names(entry, "params", where):
            method, _, param = n.partition(":")
            if not param:
                raise KnowledgeError(f"{where}: params entries are 'pkg.Class.method:param'")
            kb.source_params.setdefault(method, {})[param] = kind
    elif section == "sinks":
        category = entry.get("category")
        if category not in CATEGORIES:
            raise KnowledgeError(f"{where}: unknown category {category!r}")
        args = entry.get("args", [])
        kwargs = entry.get("kwargs", [])
        if not isinstance(args, list) or not all(isinstance(a, int) and a >= 0 for a in args):
            raise KnowledgeError(f"{where}: args must be a list of argument positions")
        if not isinstance(kwargs, list) or not all(isinstance(a, str) for a in kwargs):
            raise KnowledgeError(f"{where}: kwargs must be a list of keyword names")
        unless = entry.get("unless_kwarg", {})
        if not isinstance(unless, dict):
            raise KnowledgeError(f"{where}: unless_kwarg must be a table")
        requires = entry.get("requires_kwarg")
        if requires is not None and not isinstance(requires, str):
            raise KnowledgeError(f"{where}: requires_kwarg must be a keyword name")
        receiver = entry.get("receiver", False)
        if not isinstance(receiver, bool):
            raise KnowledgeError(f"{where}: receiver must be true or false")
        if not args and not kwargs and not receiver:
            raise KnowledgeError(f"{where}: a sink needs args, kwargs or receiver")
        enabled_by = entry.get("enabled_by")
        if enabled_by is not None:
            if not isinstance(enabled_by, list) or not all(isinstance(p, str) and p for p in enabled_by):
                raise KnowledgeError(f"{where}: enabled_by must be a list of regular expressions")
            try:
                enabled_by = re.compile("|".join(f"(?:{p})" for p in enabled_by))
            except re.error as exc:
                raise KnowledgeError(f"{where}: enabled_by: {exc}") from None
        write_mode = entry.get("write_mode")
        if write_mode is not None and (not isinstance(write_mode, int) or write_mode < 0 or category != "path-traversal"):
            raise KnowledgeError(f"{where}: write_mode must be an argument position of a path-traversal sink")
        spec = SinkSpec(
            category, tuple(args), tuple(kwargs), requires, tuple(unless.items()), receiver,
            _only_with(entry.get("only_with"), where), enabled_by, write_mode,
        )
        for n in calls:
            kb.sinks.setdefault(n, []).append(spec)
    elif section == "methods":
        _add_methods(entry, where, kb)
        return
    elif section == "classes":
        bases = tuple(_names(entry, "bases", where))
        if not bases:
            raise KnowledgeError(f"{where}: a class entry needs its bases")
        answers = entry.get("answers")
        if answers not in (None, "json"):
            raise KnowledgeError(f"{where}: answers must be \"json\" when given")
        for n in _names(entry, "names", where):
            kb.library_bases[n] = (*kb.library_bases.get(n, ()), *(b for b in bases if b not in kb.library_bases.get(n, ())))
            if answers == "json":
                kb.json_handlers.add(n)
        return
    elif section == "typed":
        kb.scalar_types.update(_names(entry, "types", where))
        kb.scalar_bases.update(_names(entry, "bases", where))
        kb.type_wrappers.update(_names(entry, "wrappers", where))
        kb.constraints.update(_names(entry, "constraints", where))
        return
    elif section == "sanitizers":
        cats = entry.get("categories", [])
        if not isinstance(cats, list) or any(c not in CATEGORIES for c in cats):
            raise KnowledgeError(f"{where}: categories must name known categories")
        for n in calls:
            kb.sanitizers[n] = kb.sanitizers.get(n, frozenset()) | frozenset(cats) if cats else frozenset()
        for n in _names(entry, "names", where):
            kb.sanitizer_names[n] = kb.sanitizer_names.get(n, frozenset()) | frozenset(cats) if cats else frozenset()
        for n in _names(entry, "name_parts", where):
            if not cats:
                raise KnowledgeError(f"{where}: name_parts sanitizers must name their categories")
            kb.sanitizer_name_parts[n.lower()] = kb.sanitizer_name_parts.get(n.lower(), frozenset()) | frozenset(cats)
        if not calls and (entry.get("names") or entry.get("name_parts")):
            return
    else:  # propagators
        mode = entry.get("propagate", True)
        if mode is False:
            kb.non_propagating.update(calls)
        elif mode == "arguments":
            kb.pure.update(calls)
        elif mode == "receiver":
            kb.receiver_only.update(calls)
        elif mode == "statement":
            kb.statements.update(calls)
        elif mode == "contents":
            kept = entry.get("categories", [])
            if not isinstance(kept, list) or any(c not in CATEGORIES for c in kept):
                raise KnowledgeError(f"{where}: categories must name known categories")
            for c in calls:
                kb.contents[c] = frozenset(CATEGORIES) - frozenset(kept)
        elif mode == "selected":
            positions = entry.get("args", [])
            names = entry.get("kwargs", [])
            if not all(isinstance(i, int) and not isinstance(i, bool) for i in positions) or not all(
                isinstance(n, str) for n in names
            ):
                raise KnowledgeError(f"{where}: args must be integers and kwargs strings")
            for c in calls:
                kb.selected_args[c] = (tuple(positions), tuple(names))
        else:
            raise KnowledgeError(
                f'{where}: propagate must be false, "arguments", "receiver", "statement", "selected" or "contents"'
            )
    if not calls and section in ("sanitizers", "propagators"):
        raise KnowledgeError(f"{where}: needs calls")


def _only_with(value, where: str) -> tuple[int | None, str | None, frozenset[str]] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - {"position", "keyword", "names"}:
        raise KnowledgeError(f"{where}: only_with is a table of position, keyword and names")
    position, keyword = value.get("position"), value.get("keyword")
    if position is not None and (not isinstance(position, int) or isinstance(position, bool) or position < 0):
        raise KnowledgeError(f"{where}: only_with.position must be an argument position")
    if keyword is not None and not isinstance(keyword, str):
        raise KnowledgeError(f"{where}: only_with.keyword must be a keyword name")
    names = _names(value, "names", where)
    if not names or (position is None and keyword is None):
        raise KnowledgeError(f"{where}: only_with needs names and a position or a keyword")
    return position, keyword, frozenset(names)


def _add_methods(entry: dict, where: str, kb: TaintKnowledge) -> None:
    names = entry.get("names")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n.isidentifier() for n in names):
        raise KnowledgeError(f"{where}: names must be a list of method names")
    flow = entry.get("flow")
    if flow not in METHOD_FLOWS:
        raise KnowledgeError(f"{where}: flow must be one of {sorted(METHOD_FLOWS)}")
    if flow == "arguments-to-result":
        kb.builders = kb.builders | frozenset(names)
        return
    if flow == "arguments-to-receiver":
        kb.mutators = kb.mutators | frozenset(names)
        return
    category = entry.get("category")
    if category not in CATEGORIES:
        raise KnowledgeError(f"{where}: unknown category {category!r}")
    args = entry.get("args", [0])
    if not isinstance(args, list) or len(args) != 1 or not isinstance(args[0], int) or args[0] < 0:
        raise KnowledgeError(f"{where}: args must name one argument position")
    what = entry.get("what", "{method}()")
    if not isinstance(what, str):
        raise KnowledgeError(f"{where}: what must be a string")
    spec = MethodSink(
        category,
        args[0],
        frozenset(_names(entry, "receivers", where)),
        tuple(_names(entry, "receiver_calls", where)),
        frozenset(_names(entry, "imports", where)),
        what,
    )
    for n in names:
        kb.method_sinks.setdefault(n, []).append(spec)


@cache
def load_all() -> TaintKnowledge:
    kb = TaintKnowledge()
    folder = resources.files(__package__).joinpath("taint")
    if not folder.is_dir():
        return kb
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".toml"):
            _load_file(item.name, item.read_text(encoding="utf-8"), kb)
    return kb
