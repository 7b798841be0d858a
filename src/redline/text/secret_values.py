"""What a secret looks like, on plain strings: credential names, placeholder and
low-entropy values, provider key shapes, passwords inside URIs, and redaction.

Shared by the Python rules and the text-file analyser; the knowledge itself is data
in ``knowledge/secrets.toml``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from redline.knowledge import secrets
from redline.model import Severity, mask_secret

_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_ENV_NAME = re.compile(r"^_*[A-Z][A-Z0-9_]*$")
_IDENTIFIER_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")
_LABEL = re.compile(r"^[a-z]+([_.-][a-z]+)*$")  # openai_api_key, x-api-key: names, not secrets
_TEST_DIRS = frozenset({"test", "tests", "testing", "fixtures", "__fixtures__", "testdata", "test_data"})
# scheme://user:password@host -- the password part, whatever the scheme.
_URI = re.compile(
    r"\b(?P<scheme>[A-Za-z][A-Za-z0-9+.-]{1,30})://(?P<user>[^\s:/@'\"`<>]{0,100}):"
    r"(?P<password>[^\s@/'\"`<>]{1,200})@(?P<host>[^\s/'\"`?#<>:,;]{1,255})"
)
_LOOPBACK = ("localhost", "127.0.0.1", "0.0.0.0", "::1", "[::1]", "host.docker.internal")
# Passwords that documentation and tutorials put in example URIs.
_EXAMPLE_PASSWORDS = frozenset({"tiger", "pass", "pwd", "pw", "passw0rd", "p@ssw0rd", "mysecretpassword"})


def name_words(name: str) -> list[str]:
    return [w.lower() for w in _WORDS.findall(name)]


def credential_kind(name: str, *, strict: bool = False) -> str | None:
    """The credential word a name ends with (``password``, ``token``, ``apikey``...), or None.

    ``strict`` (for leaks) also requires a qualifier before a bare ``token``: in AI code
    ``token`` is more often a piece of model output than a credential.
    """
    words = name_words(name)
    if not words:
        return None
    k = secrets()
    last = words[-1]
    if last == "key":
        if len(words) < 2 or words[-2] not in k.key_qualifiers:
            return None
        last = words[-2] + "key"
    elif len(words) >= 2 and words[-2] + last in k.terminal:
        last = words[-2] + last  # api_key spelled apiKey -> "apikey"
    elif last not in k.terminal:
        return None
    if any(w in k.not_secret_modifiers for w in words[:-1]):
        return None
    if strict and last == "token" and (len(words) < 2 or words[-2] not in k.token_qualifiers):
        return None
    return last


def _mixed(value: str) -> bool:
    """Generated keys mix digits or letter cases inside a word; words do not, whether
    lowercase or capitalized ("Set-but-ignored", "X-Api-Token")."""
    return any(c.isdigit() for c in value) or bool(_CASE_CHANGE.search(value))


_CASE_CHANGE = re.compile(r"[a-z][A-Z]")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def names_credential(value: str, *, password_like: bool = False) -> bool:
    """A value that is itself the name of a credential: a header, an environment
    variable, an enum member or a class (``X-Api-Token``, ``_SSH_PASSWORD``,
    ``ApiKeyAuthProperties``): an identifier of two or more words (three for a
    password, which people do make of words), none of them a number, one of them a
    credential word."""
    if not _IDENTIFIER.match(value):
        return False
    words = name_words(value)
    if len(words) < (3 if password_like else 2) or not all(w.isalpha() for w in words):
        return False
    k = secrets()
    return any(w in k.terminal or w == "key" for w in words)


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def is_placeholder(value: str, name: str = "") -> bool:
    k = secrets()
    lowered = value.lower().strip()
    return (
        lowered in k.placeholders
        or (bool(name) and lowered == name.lower())
        or bool(k.placeholder_re.search(value.strip()))
        or _placeholder_phrase(value.strip())
    )


_PHRASE = re.compile(r"^[A-Za-z]+([-_ ][A-Za-z]+)*$")


def _placeholder_phrase(value: str) -> bool:
    """Words that say there is no secret: "Set-but-ignored", "not-needed", "Not_Used",
    "no key required" (the dummy values local servers are given)."""
    if not _PHRASE.match(value):
        return False
    words = name_words(value)
    vocabulary = secrets().placeholder_words
    return bool(words) and all(w in vocabulary for w in words) and any(w in secrets().absence_words for w in words)


def secret_value(value: str, name: str, kind: str) -> bool:
    """Whether a literal given to a credential name looks like a real secret rather
    than a placeholder, a label, a path or an environment-variable name."""
    k = secrets()
    stripped = value.strip()
    if kind in k.scheme_prefixed:  # Authorization: "Bearer <token>"
        scheme, _, rest = stripped.partition(" ")
        if not rest or scheme.lower() not in ("bearer", "token", "basic", "apikey", "key"):
            return False
        stripped, kind = rest.strip(), "token"
    password_like = kind in k.short_ok
    minimum = k.min_length if password_like else k.min_length_token
    if len(stripped) < minimum or any(c.isspace() for c in stripped):
        return False
    if is_placeholder(stripped, name):
        return False
    if _ENV_NAME.match(stripped) and ("_" in stripped or stripped.isalpha()) or _IDENTIFIER_PATH.match(stripped):
        return False  # the name of an environment variable or a settings attribute
    if stripped.startswith(("/", "./", "~/", "http://", "https://")) or "://" in stripped:
        return False  # paths and URLs (URLs with credentials are a separate rule)
    if not password_like and (_LABEL.match(stripped) or not _mixed(stripped)):
        return False  # a name or marker ("x-api-key", "#bygroup", "_sa_default"), not a key
    if names_credential(stripped, password_like=password_like):
        return False  # "X-Api-Token", "ApiKeyAuthProperties": the name of one
    if "{" in stripped and "}" in stripped:
        return False  # a format template
    threshold = k.min_entropy_password if password_like else k.min_entropy_token
    return entropy(stripped) >= threshold


@dataclass(frozen=True)
class ProviderHit:
    label: str
    severity: Severity
    start: int
    end: int
    text: str


def provider_hits(text: str) -> list[ProviderHit]:
    """Provider-shaped keys in ``text`` that are not placeholders."""
    k = secrets()
    if not k.any_anchor.search(text):
        return []
    hits: list[ProviderHit] = []
    taken: list[tuple[int, int]] = []
    for label, pattern, severity, anchors in k.providers:
        if not any(a in text for a in anchors):
            continue
        for m in pattern.finditer(text):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            if is_placeholder(m.group(0)) or _filler(m.group(0)):
                continue
            taken.append((m.start(), m.end()))
            hits.append(ProviderHit(label, Severity[severity], m.start(), m.end(), m.group(0)))
    hits.sort(key=lambda h: h.start)
    return hits


def _filler(token: str) -> bool:
    """A documentation key made of one repeated character after its prefix, or typed
    as a run ("sk-abcdef1234567890..."): six characters counting up never occur in a
    generated key."""
    body = re.sub(r"^[A-Za-z]+[-_]", "", token)
    if len(body) >= 8 and Counter(body).most_common(1)[0][1] > len(body) * 0.6:
        return True
    run = 1
    for a, b in zip(body, body[1:], strict=False):
        run = run + 1 if b.isalnum() and ord(b) == ord(a) + 1 else 1
        if run >= 6:
            return True
    return False


def public_key(value: str, *names: str) -> bool:
    """A key meant to be public: a client-side ingestion key of an analytics, telemetry
    or error-reporting service, known by its shape or by a word of the names around it
    (the credential's name, the object it is set on, the call it is given to)."""
    k = secrets()
    if k.public_values.fullmatch(value.strip()):
        return True
    return any(w in k.public_name_words for name in names if name for w in name_words(name))


def public_host(host: str) -> bool:
    """A host whose URIs carry a public ingestion key (error-reporting DSNs)."""
    host = host.lower()
    return any(host == h or host.endswith("." + h) for h in secrets().public_hosts)


def provider_of(value: str) -> ProviderHit | None:
    hits = provider_hits(value)
    return hits[0] if hits else None


@dataclass(frozen=True)
class UriPassword:
    scheme: str
    user: str
    password: str
    host: str
    start: int  # of the password in the text
    end: int

    @property
    def loopback(self) -> bool:
        return self.host.lower().startswith(_LOOPBACK)


def uri_passwords(text: str) -> list[UriPassword]:
    """Passwords written into ``scheme://user:password@host`` URIs, placeholders excluded."""
    if "://" not in text or "@" not in text:
        return []
    out = []
    for m in _URI.finditer(text):
        password = m["password"]
        if not real_uri_password(password, m["user"]):
            continue
        out.append(UriPassword(m["scheme"].lower(), m["user"], password, m["host"], m.start("password"), m.end("password")))
    return out


def real_uri_password(password: str, user: str = "") -> bool:
    lowered = password.lower()
    if lowered in _EXAMPLE_PASSWORDS or lowered == user.lower() or password.isdigit() and len(password) <= 5:
        return False  # scott:tiger, user:user, host:port@ shapes
    if any(c in password for c in "{}$*<>[]") or "%s" in password or "%(" in password:
        return False  # templates, format fields, masks
    return not is_placeholder(password, "password") and len(password) >= 3


# key = "value", key: str = "value", "key": "value", key="value" -- on one line.
_NAMED = re.compile(
    r"""(?P<key>[A-Za-z_][A-Za-z0-9_.-]{0,80})["']?\s*(?::[^=\n"']{0,40}=|[:=])\s*[rRbBuU]?"""
    r"""(?P<q>["'])(?P<value>[^"'\n]{4,300})(?P=q)"""
)


def redact(text: str, known: frozenset[str] | set[str] = frozenset()) -> str:
    """``text`` with every provider-shaped key, URI password, known secret and literal
    given to a credential name masked."""
    if not text:
        return text
    for secret in sorted(known, key=len, reverse=True):
        if secret and secret in text:
            text = text.replace(secret, mask_secret(secret))
    if "=" in text or ":" in text:
        for m in reversed(list(_NAMED.finditer(text))):
            kind = credential_kind(m["key"])
            if kind and "*" not in m["value"] and secret_value(m["value"], m["key"], kind):
                text = text[: m.start("value")] + mask_secret(m["value"]) + text[m.end("value") :]
    for hit in reversed(provider_hits(text)):
        text = text[: hit.start] + mask_secret(hit.text) + text[hit.end :]
    for uri in reversed(uri_passwords(text)):
        text = text[: uri.start] + mask_secret(uri.password) + text[uri.end :]
    return text


def message_secrets(known: frozenset[str] | set[str]) -> set[str]:
    """The known secrets to mask in a finding's message. Messages are written from names,
    never values: a weak password that is also a short lowercase word ("default",
    "admin") would otherwise mask the message's own words. Snippets mask them all."""
    return {k for k in known if not (k.isalpha() and k.islower() and len(k) < 8)}


def is_test_path(rel: str) -> bool:
    """Tests and fixtures: credentials there are reported one severity lower."""
    parts = rel.replace("\\", "/").split("/")
    name = parts[-1].lower()
    if name.startswith("test_") or name.endswith(("_test.py", "_tests.py")) or name == "conftest.py":
        return True
    return any(p.lower() in _TEST_DIRS for p in parts[:-1])


def provider_evidence(hit: ProviderHit) -> tuple[str, ...]:
    """The variant of a provider-shaped key: a live-format key, or a scoped token."""
    return ("config", "variant:live-key" if hit.severity >= Severity.CRITICAL else "variant:scoped-token")


def uri_evidence(uri: UriPassword) -> tuple[str, ...]:
    """Evidence of a literal password in a URI: a loopback host, a public DSN key."""
    if public_host(uri.host):
        return ("public-key",)
    return ("variant:loopback",) if uri.loopback else ()
