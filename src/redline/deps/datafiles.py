"""Reading untrusted data files safely: size limits, YAML without aliases or tags.

Advisory records and manifests come from outside; none of them may make the
scan allocate without bound, execute anything, or end it. Every failure is a
:class:`DataError` whose text is one line.
"""

from __future__ import annotations

import json
import re
import sys

import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MAX_RECORD_BYTES = 4_000_000  # one advisory record
MAX_MANIFEST_BYTES = 20_000_000  # one lock file (large monorepo locks are a few MB)


class DataError(ValueError):
    """A data file that cannot be used; the message is one line."""


class _NoAliasLoader(yaml.SafeLoader):
    """The safe loader, refusing anchors and aliases (the "billion laughs" expansion)."""

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(None, None, "YAML aliases are not accepted", mark)
        return super().compose_node(parent, index)


_FAST = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Anything that could be an anchor or an alias sends the text to the checking loader.
_MAYBE_ALIAS = re.compile(r"(?:^|[\s\[{,])[&*][^\s\[\]{},]")


def load_yaml(text: str) -> object:
    try:
        if _MAYBE_ALIAS.search(text):
            return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass
        return yaml.load(text, Loader=_FAST)  # noqa: S506 - CSafeLoader/SafeLoader
    except yaml.YAMLError as exc:
        raise DataError(f"invalid YAML: {_one_line(exc)}") from None
    except RecursionError:
        raise DataError("invalid YAML: nested too deeply") from None


def load_json(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise DataError(f"invalid JSON: {_one_line(exc)}") from None
    except RecursionError:
        raise DataError("invalid JSON: nested too deeply") from None


def load_toml(text: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"invalid TOML: {_one_line(exc)}") from None
    except RecursionError:
        raise DataError("invalid TOML: nested too deeply") from None


def decode(data: bytes, limit: int) -> str:
    if len(data) > limit:
        raise DataError(f"larger than {limit:,} bytes")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError("not UTF-8 text") from None


def read_text(path, limit: int = MAX_MANIFEST_BYTES) -> str:
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror or exc}") from None
    return decode(data, limit)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]
