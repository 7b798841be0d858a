"""Secrets in files that are not Python: YAML, JSON, TOML, .env, INI, shell scripts,
Dockerfiles, Jinja templates and Markdown code blocks.

One pass over the lines: provider-shaped keys anywhere, passwords inside URIs, and
``key: value`` / ``KEY=value`` / ``"key": "value"`` / ``--password value`` pairs whose
key names a credential and whose value is not a placeholder. Every value is masked
before it is put into a finding.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from redline.knowledge import secrets
from redline.model import Finding, Rule
from redline.python.parsing import source_lines
from redline.rules.catalog import rules
from redline.text.findings import line_finding, unsuppressed
from redline.text.secret_values import (
    credential_kind,
    provider_evidence,
    provider_hits,
    public_key,
    redact,
    secret_value,
    uri_evidence,
    uri_passwords,
)

CRED001, AUTH006 = rules("CRED001", "AUTH006")

_KEY_VALUE = re.compile(
    r"""^\s*(?:-\s+)?(?:export\s+|set\s+|\$env:)?["']?(?P<key>[A-Za-z_][A-Za-z0-9_.\-]{0,100})["']?"""
    r"""\s*(?:=|:(?=\s|$|["']))\s*(?P<value>.*)$"""
)
_DOCKER_ENV = re.compile(r"^\s*(?:ENV|ARG)\s+(?P<rest>.+)$", re.IGNORECASE)
_JSON_PAIR = re.compile(r'"(?P<key>[A-Za-z_][A-Za-z0-9_.\- ]{0,100})"\s*:\s*"(?P<value>(?:[^"\\\n]|\\.){1,500})"')
_FLAG = re.compile(r"(?:^|\s)--(?P<key>[a-z][a-z0-9-]{1,60})(?:=|\s+)(?P<value>'[^']*'|\"[^\"]*\"|[^\s'\"]+)")
_FENCE = re.compile(r"^\s*(```|~~~)")
# An unquoted value that is code, not a literal: a call, a subscript or an attribute
# look-up (`AzureCliCredential()`, `os.environ["KEY"]`, `settings.api_key`), as written
# in a code block of a README or a templated configuration.
_EXPRESSION = re.compile(r"^(await\s+)?[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\s*[(\[]")
_LINE_KINDS = frozenset({"yaml", "toml", "env", "ini", "jinja", "shell", "dockerfile", "markdown"})
_FLAG_KINDS = frozenset({"shell", "dockerfile", "markdown"})


def scan_text(rel: str, text: str, kind: str, enabled: frozenset[str]) -> list[Finding]:
    """The CRED001/AUTH006 findings of one text file, secrets masked, suppressions applied."""
    found: list[Finding] = []
    seen: set[tuple[int, int]] = set()
    lines = source_lines(text)  # numbered as editors number them (not at U+2028, form feeds)

    def add(rule: Rule, number: int, col: int, evidence: tuple[str, ...], message: str, secret: str) -> None:
        if rule.id not in enabled or (number, col) in seen:
            return
        seen.add((number, col))
        snippet = redact(lines[number - 1].strip(), {secret})
        found.append(line_finding(rule, rel, number, col, message, snippet, evidence=evidence))

    in_fence = False
    anchor = secrets().any_anchor
    for number, line in enumerate(lines, start=1):
        if kind == "markdown" and _FENCE.match(line):
            in_fence = not in_fence
            continue
        # the next line too: a key block's material starts on the line after its header
        following = lines[number] if number < len(lines) and anchor.search(line) else ""
        for hit in provider_hits(f"{line}\n{following}" if following else line):
            if hit.start < len(line):
                shown = hit.text[: len(line) - hit.start]  # the part on this line
                add(CRED001, number, hit.start, provider_evidence(hit), f"{hit.label} in a {kind} file", shown)
        code = kind != "markdown" or in_fence
        if not code:
            continue
        for uri in uri_passwords(line):
            add(AUTH006, number, uri.start, uri_evidence(uri), f"password embedded in a {uri.scheme}:// URI", uri.password)
        for key, value, col in _pairs(line, kind):
            cred = credential_kind(key)
            if cred is not None and secret_value(value, key, cred):
                public = ("public-key",) if public_key(value, key) else ()
                add(CRED001, number, col, public, f"literal credential for key {key!r}", value)
    return unsuppressed(found, lines)


def _pairs(line: str, kind: str) -> Iterator[tuple[str, str, int]]:
    """(key, value, column of the value) pairs written on one line."""
    if kind == "json" or '"' in line and ":" in line and kind in ("yaml", "markdown", "jinja"):
        for m in _JSON_PAIR.finditer(line):
            yield m["key"], m["value"], m.start("value")
        if kind == "json":
            return
    if kind in _FLAG_KINDS and "--" in line:
        for m in _FLAG.finditer(line):
            yield m["key"], _unquote(m["value"]), m.start("value")
    if kind == "dockerfile":
        m = _DOCKER_ENV.match(line)
        if m:
            rest, base = m["rest"], m.start("rest")
            pairs = re.finditer(r"(?P<key>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>\"[^\"]*\"|'[^']*'|\S+)", rest)
            listed = list(pairs)
            if listed:
                for p in listed:
                    yield p["key"], _unquote(p["value"]), base + p.start("value")
            else:  # ENV KEY value
                key, _, value = rest.partition(" ")
                yield key, _unquote(value.strip()), base + len(key) + 1
            return
    if kind in _LINE_KINDS:
        m = _KEY_VALUE.match(line)
        if m:
            value = _clean(m["value"], kind)
            if value:
                yield m["key"], value, m.start("value")


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _clean(raw: str, kind: str) -> str | None:
    """The scalar value of ``key: value``; None for block, anchor, tag and flow values."""
    raw = raw.strip()
    if not raw:
        return None
    if raw[0] in "'\"":
        end = raw.find(raw[0], 1)
        return raw[1:end] if end > 0 else None
    if raw[0] in "|>&*![{(" or raw.startswith("\\") or _EXPRESSION.match(raw):
        return None
    for marker in (" #", "\t#", " ;") if kind in ("yaml", "env", "ini", "shell", "toml") else (" #",):
        cut = raw.find(marker)
        if cut >= 0:
            raw = raw[:cut]
    return raw.strip().rstrip(",;")
