"""Sandbox, dynamic-loading and danger-flag knowledge (``knowledge/sandbox.toml``),
validated and loaded once."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from redline.knowledge import KnowledgeError, load_toml, string_list, string_table

_FILE = "sandbox.toml"


@dataclass(frozen=True)
class SandboxKnowledge:
    compilers: frozenset[str]
    builtin_mappings: frozenset[str]
    plain_getattr: frozenset[str]
    write_guards: frozenset[str]
    getattr_guards: frozenset[str]
    escape_builtins: dict[str, str]  # name -> what it gives the sandboxed code
    host_modules: dict[str, str]  # top-level module -> what it gives
    allow_words: frozenset[str]
    module_words: frozenset[str]
    runner_words: frozenset[str]
    limit_markers: tuple[str, ...]
    importers: frozenset[str]
    resolvers: frozenset[str]
    registries: frozenset[str]
    type_checks: frozenset[str]
    type_words: frozenset[str]
    interpolation: frozenset[str]
    resolve_keyword: dict[str, str]
    parsers: frozenset[str]
    danger_flags: dict[str, str]
    flag_words: frozenset[str]
    settings_roots: frozenset[str]
    settings_suffixes: tuple[str, ...]
    env_getters: dict[str, int]


def _list(data: dict, section: str, key: str) -> list[str]:
    return string_list(data.get(section, {}).get(key), f"{_FILE}: {section}.{key}")


def _table(data: dict, section: str, key: str) -> dict[str, str]:
    return string_table(data.get(section, {}).get(key), f"{_FILE}: {section}.{key}")


def _positions(data: dict, section: str, key: str) -> dict[str, int]:
    value = data.get(section, {}).get(key)
    if not isinstance(value, dict) or not all(isinstance(v, int) for v in value.values()):
        raise KnowledgeError(f"knowledge/{_FILE}: {section}.{key} must map names to integers")
    return dict(value)


@cache
def sandbox() -> SandboxKnowledge:
    data = load_toml(_FILE)
    return SandboxKnowledge(
        compilers=frozenset(_list(data, "restricted_python", "compilers")),
        builtin_mappings=frozenset(_list(data, "restricted_python", "builtin_mappings")),
        plain_getattr=frozenset(_list(data, "restricted_python", "plain_getattr")),
        write_guards=frozenset(_list(data, "restricted_python", "write_guards")),
        getattr_guards=frozenset(_list(data, "restricted_python", "getattr_guards")),
        escape_builtins=_table(data, "builtins", "escape"),
        host_modules=_table(data, "modules", "host_access"),
        allow_words=frozenset(_list(data, "modules", "allow_words")),
        module_words=frozenset(_list(data, "modules", "module_words")),
        runner_words=frozenset(_list(data, "modules", "runner_words")),
        limit_markers=tuple(_list(data, "limits", "markers")),
        importers=frozenset(_list(data, "dynamic_loading", "importers")),
        resolvers=frozenset(_list(data, "dynamic_loading", "resolvers")),
        registries=frozenset(_list(data, "dynamic_loading", "registries")),
        type_checks=frozenset(_list(data, "dynamic_loading", "checks")),
        type_words=frozenset(_list(data, "dynamic_loading", "type_words")),
        interpolation=frozenset(_list(data, "interpolation", "resolving")),
        resolve_keyword=_table(data, "interpolation", "resolve_keyword"),
        parsers=frozenset(_list(data, "interpolation", "parsers")),
        danger_flags=_table(data, "danger_flags", "names"),
        flag_words=frozenset(_list(data, "opt_in", "flag_words")),
        settings_roots=frozenset(_list(data, "opt_in", "settings_roots")),
        settings_suffixes=tuple(_list(data, "opt_in", "settings_suffixes")),
        env_getters=_positions(data, "opt_in", "env_getters"),
    )
