"""Plain ``http://`` URLs to remote hosts, in Python strings and in configuration files.

:func:`remote_plain_http` decides whether one URL is worth reporting (a real host,
not loopback, a ``.local`` development name, a docker-compose service name, a
placeholder or an identifier such as an XML namespace or a JSON schema id).
:func:`scan_urls` reads YAML, JSON, TOML, ``.env`` and INI files line by line and
reports such URLs given as the value of a key that names a URL or endpoint;
comment lines are skipped.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from redline.knowledge import web
from redline.model import Finding
from redline.python.parsing import source_lines
from redline.rules.catalog import rule
from redline.text.findings import line_finding, unsuppressed

_URL = re.compile(r"""http://[^\s"'<>`\\)\]},]+""", re.IGNORECASE)
_KEY = re.compile(r"""^\s*(?:-\s+)?(?:export\s+)?["']?(?P<key>[A-Za-z_$@][A-Za-z0-9_.\-$@ ]{0,80}?)["']?\s*[:=]""")
_JSON_KEY = re.compile(r'"(?P<key>[^"\\]{1,80})"\s*:\s*"(?P<value>http://[^"\\]*)"', re.IGNORECASE)
_CONFIG_KINDS = frozenset({"yaml", "json", "toml", "env", "ini"})
_COMMENT = ("#", ";", "//")

NET004 = rule("NET004")


def remote_plain_http(url: str) -> str | None:
    """The host of a plain-HTTP URL to a remote machine; None when it is local,
    a placeholder, or an identifier that is never fetched."""
    if url[:7].lower() != "http://":
        return None
    knowledge = web.urls()
    lower = url.lower()
    if any(lower.startswith(p) for p in knowledge.identifier_prefixes):
        return None
    if any(c in url for c in "{}$%<>*"):
        return None  # a template: the host is filled in elsewhere
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return None
    if not host or host in knowledge.local_hosts or "." not in host and ":" not in host:
        return None  # localhost, or a single-label name (a compose service, a container)
    if any(host.endswith(s) for s in knowledge.local_suffixes):
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if address.is_loopback or address.is_unspecified or address.is_link_local:
        return None
    return host


def url_name(name: str) -> bool:
    """Whether a key or variable name says its value is a URL to connect to."""
    words = set(web.words_of(name))
    knowledge = web.urls()
    if words & knowledge.doc_words:
        return False
    return bool(words & knowledge.url_names) or name.lower() in knowledge.url_names


def scan_urls(rel: str, text: str, kind: str, enabled: frozenset[str]) -> list[Finding]:
    """NET004 findings of one configuration file."""

    if NET004.id not in enabled or kind not in _CONFIG_KINDS or "http://" not in text.lower():
        return []
    found: list[Finding] = []
    lines = source_lines(text)  # numbered as editors number them (not at U+2028, form feeds)
    for number, line in enumerate(lines, start=1):
        if "http://" not in line.lower() or line.lstrip().startswith(_COMMENT):
            continue
        for key, url, col in _pairs(line, kind):
            host = remote_plain_http(url)
            if host is None or not url_name(key):
                continue
            message = f"{key} is a plain http:// URL to {host}: traffic and credentials travel unencrypted"
            found.append(line_finding(NET004, rel, number, col, message, line))
    return unsuppressed(found, lines)


def _pairs(line: str, kind: str) -> list[tuple[str, str, int]]:
    if kind == "json" or '"' in line and kind == "yaml":
        pairs = [(m["key"], m["value"], m.start("value")) for m in _JSON_KEY.finditer(line)]
        if pairs or kind == "json":
            return pairs
    m = _KEY.match(line)
    if m is None:
        return []
    url = _URL.search(line, m.end())
    if url is None or line[m.end() : url.start()].strip(" \t\"'") != "":
        return []  # the URL is not the value itself (text that mentions one)
    return [(m["key"].strip(), url.group(0), url.start())]
