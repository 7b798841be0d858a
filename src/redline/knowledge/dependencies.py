"""Dependency-audit knowledge from ``dependencies.toml``: critical packages,
code-execution phrases and the advisory data sources."""

from __future__ import annotations

import re
from functools import cache

from packaging.utils import canonicalize_name

from redline.knowledge import KnowledgeError, load_toml

_FILE = "dependencies.toml"


@cache
def _data() -> dict:
    data = load_toml(_FILE)
    critical = data.get("critical")
    phrases = data.get("code-execution", {}).get("phrases")
    sources = data.get("sources")
    if not isinstance(critical, dict) or not all(isinstance(v, str) for v in critical.values()):
        raise KnowledgeError(f"knowledge/{_FILE}: [critical] must map names to reasons")
    if not isinstance(phrases, list) or not all(isinstance(p, str) for p in phrases):
        raise KnowledgeError(f"knowledge/{_FILE}: code-execution.phrases must be a list of strings")
    if not isinstance(sources, dict) or not {"pypi-all-zip", "osv-api"} <= set(sources):
        raise KnowledgeError(f"knowledge/{_FILE}: [sources] needs pypi-all-zip and osv-api")
    return data


def critical() -> dict[str, str]:
    """Canonical package name -> why it is critical."""
    return {canonicalize_name(k): v for k, v in _data()["critical"].items()}


@cache
def _code_execution() -> re.Pattern[str]:
    phrases = _data()["code-execution"]["phrases"]
    return re.compile(r"\b(?:" + "|".join(re.escape(p) for p in phrases) + r")\b", re.IGNORECASE)


def is_code_execution(text: str) -> bool:
    return _code_execution().search(text) is not None


def source(name: str) -> str:
    return _data()["sources"][name]


@cache
def environments() -> tuple[tuple[str, ...], str, tuple[dict[str, str], ...]]:
    """(Python versions, the default requires-python, marker environments other than
    the Python version): where markers are evaluated."""
    table = _data().get("environments")
    ok = isinstance(table, dict)
    pythons = table.get("pythons") if ok else None
    default = table.get("default-requires-python") if ok else None
    platforms = table.get("platforms") if ok else None
    impls = table.get("implementations") if ok else None
    tables = (platforms, impls)
    if (
        not isinstance(pythons, list)
        or not all(isinstance(p, str) for p in pythons)
        or not isinstance(default, str)
        or not all(isinstance(t, list) and t and all(isinstance(e, dict) for e in t) for t in tables)
    ):
        raise KnowledgeError(f"knowledge/{_FILE}: [environments] needs pythons, default-requires-python, platforms, implementations")
    envs = tuple({**p, **i} for p in platforms for i in impls)  # type: ignore[union-attr]
    return tuple(pythons), default, envs
