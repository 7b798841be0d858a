"""Agent-framework knowledge for the LLM, tool and vector-store rules: prompt fields,
tool-call shapes, code-execution tools, tool base classes, vector-store methods and
memory classes, read from ``knowledge/agents.toml`` once and validated on load."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from redline.knowledge import KnowledgeError, load_toml, string_list
from redline.model import Severity

_FILE = "agents.toml"
_SECTIONS = {"prompts", "dispatch", "code_tools", "code_flags", "tool_bases", "vector", "memory", "files"}


@dataclass(frozen=True)
class CodeTool:
    severity: Severity
    where: str  # "anywhere" | "agent-tools"
    what: str


@dataclass(frozen=True)
class CodeFlag:
    severity: Severity
    keyword: str
    what: str


@dataclass(frozen=True)
class ToolBase:
    schema: frozenset[str]  # class fields that hold the input schema
    methods: frozenset[str]  # methods that receive the input
    framework: str


@dataclass(frozen=True)
class PromptKnowledge:
    names: frozenset[str]
    keywords: frozenset[str]
    tool_keywords: frozenset[str]
    tool_factories: frozenset[str]
    tool_modules: tuple[str, ...]
    call_keywords: dict[str, frozenset[str]]
    message_calls: frozenset[str]
    tool_decorators: frozenset[str]
    tool_fields: frozenset[str]
    internal_suffixes: tuple[str, ...]
    database_schemes: tuple[str, ...]
    admin_paths: tuple[str, ...]
    credential_words: tuple[str, ...]


@dataclass(frozen=True)
class DispatchKnowledge:
    call_lists: tuple[str, ...]
    name_paths: tuple[tuple[str, ...], ...]
    argument_paths: tuple[tuple[str, ...], ...]
    run_methods: frozenset[str]
    validators: tuple[str, ...]
    inert_calls: frozenset[str]
    handoff_verbs: frozenset[str]


@dataclass(frozen=True)
class VectorKnowledge:
    tenant_names: frozenset[str]
    search_methods: frozenset[str]
    retriever_methods: frozenset[str]
    retriever_names: frozenset[str]
    vector_keywords: frozenset[str]
    write_methods: frozenset[str]
    scope_keywords: frozenset[str]
    pii_keys: frozenset[str]
    metadata_names: frozenset[str]
    filter_attributes: frozenset[str]
    input_names: frozenset[str]


@dataclass(frozen=True)
class MemoryKnowledge:
    append_methods: frozenset[str]
    bound_methods: frozenset[str]
    words: tuple[str, ...]
    classes: dict[str, frozenset[str]]  # class -> keywords that bound it (empty: none exists)


@dataclass(frozen=True)
class FilesKnowledge:
    keyword: str
    calls: frozenset[str]
    controls: frozenset[str]


@dataclass(frozen=True)
class AgentKnowledge:
    prompts: PromptKnowledge
    dispatch: DispatchKnowledge
    code_tools: dict[str, CodeTool]
    code_flags: dict[str, CodeFlag]
    tool_bases: dict[str, ToolBase]
    vector: VectorKnowledge
    memory: MemoryKnowledge
    files: FilesKnowledge


def _strings(table: dict, key: str, where: str) -> list[str]:
    return string_list(table.get(key), f"{_FILE}: {where}.{key}")


def _table(data: dict, key: str, where: str) -> dict:
    value = data.get(key)
    if not isinstance(value, dict):
        raise KnowledgeError(f"knowledge/{_FILE}: {where}.{key} must be a table")
    return value


def _severity(entry: dict, where: str) -> Severity:
    try:
        return Severity.parse(str(entry.get("severity", "")))
    except ValueError as exc:
        raise KnowledgeError(f"knowledge/{_FILE}: {where}: {exc}") from None


def _name_map(table: dict, where: str) -> dict[str, frozenset[str]]:
    return {name: frozenset(_strings(table, name, where)) for name in table}


def parse(data: dict) -> AgentKnowledge:
    unknown = set(data) - _SECTIONS
    if unknown:
        raise KnowledgeError(f"knowledge/{_FILE}: unknown sections {sorted(unknown)}")
    p = _table(data, "prompts", "")
    tools = _table(p, "tools", "prompts")
    sensitive = _table(p, "sensitive", "prompts")
    prompts = PromptKnowledge(
        names=frozenset(n.lower() for n in _strings(p, "names", "prompts")),
        keywords=frozenset(_strings(p, "keywords", "prompts")),
        tool_keywords=frozenset(_strings(p, "tool_keywords", "prompts")),
        tool_factories=frozenset(_strings(p, "tool_factories", "prompts")),
        tool_modules=tuple(_strings(p, "tool_modules", "prompts")),
        call_keywords=_name_map(_table(p, "call_keywords", "prompts"), "prompts.call_keywords"),
        message_calls=frozenset(_strings(_table(p, "message_calls", "prompts"), "calls", "prompts.message_calls")),
        tool_decorators=frozenset(_strings(tools, "tool_decorators", "prompts.tools")),
        tool_fields=frozenset(_strings(tools, "tool_fields", "prompts.tools")),
        internal_suffixes=tuple(_strings(sensitive, "internal_suffixes", "prompts.sensitive")),
        database_schemes=tuple(_strings(sensitive, "database_schemes", "prompts.sensitive")),
        admin_paths=tuple(_strings(sensitive, "admin_paths", "prompts.sensitive")),
        credential_words=tuple(_strings(sensitive, "credential_words", "prompts.sensitive")),
    )
    d = _table(data, "dispatch", "")
    dispatch = DispatchKnowledge(
        call_lists=tuple(_strings(d, "call_lists", "dispatch")),
        name_paths=tuple(tuple(x.split(".")) for x in _strings(d, "name_paths", "dispatch")),
        argument_paths=tuple(tuple(x.split(".")) for x in _strings(d, "argument_paths", "dispatch")),
        run_methods=frozenset(_strings(d, "run_methods", "dispatch")),
        validators=tuple(_strings(d, "validators", "dispatch")),
        inert_calls=frozenset(_strings(d, "inert_calls", "dispatch")),
        handoff_verbs=frozenset(_strings(d, "handoff_verbs", "dispatch")),
    )
    code_tools: dict[str, CodeTool] = {}
    for i, entry in enumerate(data.get("code_tools", [])):
        where = f"code_tools[{i}]"
        if entry.get("where") not in ("anywhere", "agent-tools") or not isinstance(entry.get("what"), str):
            raise KnowledgeError(f"knowledge/{_FILE}: {where}: needs where = anywhere|agent-tools and what")
        spec = CodeTool(_severity(entry, where), entry["where"], entry["what"])
        for call in _strings(entry, "calls", where):
            code_tools[call] = spec
    code_flags: dict[str, CodeFlag] = {}
    for i, entry in enumerate(data.get("code_flags", [])):
        where = f"code_flags[{i}]"
        if not isinstance(entry.get("keyword"), str) or not isinstance(entry.get("what"), str):
            raise KnowledgeError(f"knowledge/{_FILE}: {where}: needs keyword and what")
        flag = CodeFlag(_severity(entry, where), entry["keyword"], entry["what"])
        for call in _strings(entry, "calls", where):
            code_flags[call] = flag
    tool_bases: dict[str, ToolBase] = {}
    for i, entry in enumerate(data.get("tool_bases", [])):
        where = f"tool_bases[{i}]"
        base = ToolBase(
            frozenset(_strings(entry, "schema", where)),
            frozenset(_strings(entry, "methods", where)),
            str(entry.get("framework", "")),
        )
        for name in _strings(entry, "bases", where):
            tool_bases[name] = base
    v = _table(data, "vector", "")
    vector = VectorKnowledge(
        **{
            key: frozenset(_strings(v, key, "vector"))
            for key in (
                "tenant_names", "search_methods", "retriever_methods", "retriever_names", "vector_keywords", "write_methods", "scope_keywords",
                "pii_keys", "metadata_names", "filter_attributes", "input_names",
            )
        }
    )
    m = _table(data, "memory", "")
    memory = MemoryKnowledge(
        append_methods=frozenset(_strings(m, "append_methods", "memory")),
        bound_methods=frozenset(_strings(m, "bound_methods", "memory")),
        words=tuple(_strings(m, "words", "memory")),
        classes={k: frozenset(w) for k, w in _table(m, "classes", "memory").items()},
    )
    f = _table(data, "files", "")
    if not isinstance(f.get("keyword"), str):
        raise KnowledgeError(f"knowledge/{_FILE}: files.keyword must be a string")
    files = FilesKnowledge(
        keyword=f["keyword"],
        calls=frozenset(_strings(f, "calls", "files")),
        controls=frozenset(_strings(f, "controls", "files")),
    )
    return AgentKnowledge(prompts, dispatch, code_tools, code_flags, tool_bases, vector, memory, files)


@cache
def agents() -> AgentKnowledge:
    return parse(load_toml(_FILE))
