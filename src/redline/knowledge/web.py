"""Web, HTTP-client and production-engineering knowledge from ``web.toml``, loaded once."""

from __future__ import annotations

from functools import cache
from typing import Any

from redline.knowledge import KnowledgeError, load_toml

_FILE = "web.toml"


class Table:
    """One ``[section]`` of web.toml: ``table.words`` is a frozenset of its list ``words``,
    ``table.map("calls")`` a dict of its inline table ``calls``."""

    def __init__(self, section: str, data: dict[str, Any]) -> None:
        self._section = section
        self._data = data
        for key, value in data.items():
            if isinstance(value, list) and not (value and all(isinstance(v, list) for v in value)):
                if not all(isinstance(v, str) for v in value):
                    raise KnowledgeError(f"knowledge/{_FILE}: {section}.{key} must be a list of strings")
                setattr(self, key, frozenset(value))

    def __getattr__(self, name: str) -> frozenset[str]:
        raise KnowledgeError(f"knowledge/{_FILE}: {self._section}.{name} is missing")

    def map(self, name: str) -> dict[str, int]:
        value = self._data.get(name)
        if not isinstance(value, dict) or not all(isinstance(v, int) for v in value.values()):
            raise KnowledgeError(f"knowledge/{_FILE}: {self._section}.{name} must map names to integers")
        return dict(value)

    def groups(self, name: str) -> tuple[tuple[str, frozenset[str]], ...]:
        """A list of ``[title, member, member...]`` lists, in order."""
        value = self._data.get(name)
        if not isinstance(value, list) or not all(
            isinstance(g, list) and len(g) >= 2 and all(isinstance(v, str) for v in g) for g in value
        ):
            raise KnowledgeError(f"knowledge/{_FILE}: {self._section}.{name} must be a list of [title, ids...] lists")
        return tuple((g[0], frozenset(g[1:])) for g in value)


@cache
def section(name: str) -> Table:
    data = load_toml(_FILE)
    value = data.get(name)
    if not isinstance(value, dict):
        raise KnowledgeError(f"knowledge/{_FILE}: [{name}] is missing")
    return Table(name, value)


def routes() -> Table:
    return section("routes")


def auth() -> Table:
    return section("auth")


def production() -> Table:
    return section("production")


def urls() -> Table:
    return section("urls")


def production_groups() -> tuple[tuple[str, frozenset[str]], ...]:
    """Themes of the report's production-engineering section, in order."""
    return section("report").groups("production_groups")


def words_of(name: str) -> list[str]:
    """``getCurrentUser`` / ``get_current_user`` / ``/admin/config`` -> lower-case words."""
    out: list[str] = []
    word = ""
    for ch in name:
        if ch.isalnum():
            if ch.isupper() and word and not word[-1].isupper():
                out.append(word.lower())
                word = ""
            word += ch
        else:
            if word:
                out.append(word.lower())
            word = ""
    if word:
        out.append(word.lower())
    return out
