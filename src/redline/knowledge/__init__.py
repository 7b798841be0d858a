"""Knowledge kept as data files in this package, loaded once and validated on load."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import NamedTuple

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10
    import tomli as tomllib


class KnowledgeError(ValueError):
    """A bundled data file is malformed (a bug in redline, reported clearly)."""


def load_toml(name: str) -> dict:
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise KnowledgeError(f"knowledge/{name}: {exc}") from None


class Provider(NamedTuple):
    name: str
    pattern: re.Pattern[str]
    severity: str
    anchors: tuple[str, ...]  # literal substrings every match contains


@dataclass(frozen=True)
class SecretKnowledge:
    terminal: frozenset[str]
    key_qualifiers: frozenset[str]
    not_secret_modifiers: frozenset[str]
    short_ok: frozenset[str]
    min_length: int
    min_length_token: int
    placeholders: frozenset[str]
    placeholder_re: re.Pattern[str]
    providers: tuple[Provider, ...]
    any_anchor: re.Pattern[str]  # a cheap first test: literals only
    scheme_prefixed: frozenset[str]
    token_qualifiers: frozenset[str]
    min_entropy_password: float
    min_entropy_token: float
    leaks: dict[str, frozenset[str]]
    placeholder_words: frozenset[str]
    absence_words: frozenset[str]
    public_values: re.Pattern[str]
    public_name_words: frozenset[str]
    public_hosts: tuple[str, ...]
    hashes: dict[str, frozenset[str]]


def string_list(value: object, where: str) -> list[str]:
    """A knowledge value that must be a list of non-empty strings; ``where`` names it
    (``"workflows.toml: fields.shell"``) in the error a broken data file raises."""
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise KnowledgeError(f"knowledge/{where} must be a list of non-empty strings")
    return value


def string_table(value: object, where: str) -> dict[str, str]:
    """A knowledge value that must be a table of strings."""
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise KnowledgeError(f"knowledge/{where} must be a table of strings")
    return dict(value)


def _strings(data: dict, key: str, where: str) -> frozenset[str]:
    return frozenset(v.lower() for v in string_list(data.get(key), f"secrets.toml: {where}.{key}"))


def _exact(data: dict, key: str) -> frozenset[str]:
    value = data.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise KnowledgeError(f"knowledge/secrets.toml: leaks.{key} must be a list of strings")
    return frozenset(value)


@cache
def secrets() -> SecretKnowledge:
    data = load_toml("secrets.toml")
    try:
        names, values, providers = data["names"], data["values"], data["providers"]
        placeholder_re = re.compile(
            "|".join(f"(?:{p})" for p in values["placeholder_patterns"]), re.IGNORECASE
        )
        compiled = tuple(
            Provider(p["name"], re.compile(p["pattern"]), p.get("severity", "CRITICAL").upper(), tuple(p["anchors"]))
            for p in providers
        )
        leaks, public, hashes = data["leaks"], data["public"], data["hashes"]
        bad = [p.name for p in compiled if p.severity not in ("CRITICAL", "HIGH", "MEDIUM", "LOW")]
        bad += [p.name for p in compiled if not p.anchors or not all(isinstance(a, str) and a for a in p.anchors)]
        if bad:
            raise KnowledgeError(f"knowledge/secrets.toml: bad severity or anchors for {bad}")
        return SecretKnowledge(
            terminal=_strings(names, "terminal", "names"),
            key_qualifiers=_strings(names, "key_qualifiers", "names"),
            not_secret_modifiers=_strings(names, "not_secret_modifiers", "names"),
            short_ok=_strings(names, "short_ok", "names"),
            min_length=int(values["min_length"]),
            min_length_token=int(values["min_length_token"]),
            placeholders=_strings(values, "placeholders", "values"),
            placeholder_re=placeholder_re,
            providers=compiled,
            any_anchor=re.compile("|".join(re.escape(a) for p in compiled for a in p.anchors)),
            scheme_prefixed=_strings(names, "scheme_prefixed", "names"),
            token_qualifiers=_strings(names, "token_qualifiers", "names"),
            min_entropy_password=float(values["min_entropy_password"]),
            min_entropy_token=float(values["min_entropy_token"]),
            leaks={key: _exact(leaks, key) for key in leaks},
            placeholder_words=_strings(values, "placeholder_words", "values"),
            absence_words=_strings(values, "absence_words", "values"),
            public_values=re.compile("|".join(f"(?:{p})" for p in string_list(public["values"], "secrets.toml: public.values"))),
            public_name_words=_strings(public, "name_words", "public"),
            public_hosts=tuple(_strings(public, "hosts", "public")),
            hashes={key: _strings(hashes, key, "hashes") for key in hashes},
        )
    except (KeyError, TypeError, re.error) as exc:
        raise KnowledgeError(f"knowledge/secrets.toml: invalid ({exc!r})") from None
