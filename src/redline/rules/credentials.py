"""Checklist area 1: credentials in source code."""

from __future__ import annotations

import ast
import re

from redline.knowledge import secrets
from redline.model import Area, Confidence, Severity
from redline.rules.common import argument, string_value
from redline.rules.registry import check, define

CRED001 = define(
    "CRED001",
    "hardcoded-credential",
    "Hardcoded credential",
    area=Area.CREDENTIALS,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=798,
    what="""
A literal string given to something named like a credential: an assignment,
class field, keyword argument, parameter default, dictionary key, comparison, or
the fallback of an environment look-up (`os.getenv("API_KEY", "sk-...")`).
Placeholders (`changeme`, `<your-key>`, `${VAR}`, `{{ var }}`), empty strings,
environment-variable names and names such as `max_tokens` or `NextToken` are not
reported. A value shaped like a provider key (OpenAI, Anthropic, AWS, GitHub,
...) is CRITICAL.
""",
    why="""
A secret in source code is in every clone, fork, wheel, container image and log of
the repository, and it cannot be rotated without a release. Leaked LLM keys are
abused within hours; database passwords in code are shared by every environment.
""",
    example="""
    client = OpenAI(api_key="sk-proj-Zx81FakeKeyForDocs0000000000000000")
""",
    use_instead="""
    import os

    client = OpenAI(api_key=os.environ["OPENAI_API_KEY"])
""",
    recommendation=(
        "Move secrets to environment variables or a secrets manager "
        "(Field(default_factory=partial(get_env_var, 'API_KEY'))), use SecretStr for "
        "secret fields, and rotate any credential that was ever committed."
    ),
    references=("https://cwe.mitre.org/data/definitions/798.html",),
)

_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_IDENTIFIER_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")


def name_words(name: str) -> list[str]:
    return [w.lower() for w in _WORDS.findall(name)]


def credential_kind(name: str) -> str | None:
    """The credential word that a name ends with (``password``, ``token``...), or None."""
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
    return last


def is_placeholder(value: str, name: str) -> bool:
    k = secrets()
    lowered = value.lower()
    return lowered in k.placeholders or lowered == name.lower() or bool(k.placeholder_re.search(value))


def secret_value(value: str, name: str, kind: str) -> bool:
    """Whether a literal looks like a real secret rather than a placeholder or a label."""
    k = secrets()
    stripped = value.strip()
    minimum = k.min_length if kind in k.short_ok else k.min_length_token
    if len(stripped) < minimum or any(c.isspace() for c in stripped):
        return False
    if is_placeholder(stripped, name):
        return False
    if _ENV_NAME.match(stripped) or _IDENTIFIER_PATH.match(stripped):
        return False  # the name of an environment variable or a settings attribute
    if stripped.startswith(("/", "./", "~/", "http://", "https://")) or "://" in stripped:
        return False  # paths and URLs (URLs with credentials are a separate rule)
    return True


def provider_of(value: str) -> str | None:
    for label, pattern in secrets().providers:
        if pattern.search(value):
            return label
    return None


def _report(ctx, node: ast.AST, name: str, value_node: ast.AST | None, where: str) -> None:
    value = string_value(value_node)
    if value is None:
        return
    kind = credential_kind(name)
    provider = provider_of(value)
    if provider is not None and is_placeholder(value, name):
        provider = None
    if provider is None and (kind is None or not secret_value(value, name, kind)):
        return
    if provider:
        ctx.report(
            CRED001,
            value_node or node,
            f"{provider} hardcoded in {where} {name!r}",
            severity=Severity.CRITICAL,
            confidence=Confidence.HIGH,
            secret=value,
        )
    else:
        ctx.report(CRED001, value_node or node, f"literal credential in {where} {name!r}", secret=value)


def _target_name(target: ast.AST) -> str | None:
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute):
        return target.attr
    if isinstance(target, ast.Subscript):
        return string_value(target.slice)
    return None


@check(CRED001, nodes=(ast.Assign,))
def assignment(ctx, node: ast.Assign) -> None:
    for target in node.targets:
        name = _target_name(target)
        if name:
            _report(ctx, node, name, node.value, "assignment to")


@check(CRED001, nodes=(ast.AnnAssign,))
def annotated_assignment(ctx, node: ast.AnnAssign) -> None:
    name = _target_name(node.target)
    if name and node.value is not None:
        _report(ctx, node, name, node.value, "assignment to")


@check(CRED001, nodes=(ast.Call,))
def keyword_argument(ctx, node: ast.Call) -> None:
    for kw in node.keywords:
        if kw.arg and isinstance(kw.value, ast.Constant):
            _report(ctx, kw, kw.arg, kw.value, "keyword argument")


@check(CRED001, nodes=(ast.arguments,))
def parameter_default(ctx, node: ast.arguments) -> None:
    positional = [*node.posonlyargs, *node.args]
    for arg, default in zip(positional[len(positional) - len(node.defaults) :], node.defaults, strict=True):
        _report(ctx, default, arg.arg, default, "default of parameter")
    for arg, default in zip(node.kwonlyargs, node.kw_defaults, strict=True):
        if default is not None:
            _report(ctx, default, arg.arg, default, "default of parameter")


@check(CRED001, nodes=(ast.Dict,))
def dict_entry(ctx, node: ast.Dict) -> None:
    for key, value in zip(node.keys, node.values, strict=True):
        name = string_value(key)
        if name:
            _report(ctx, value, name, value, "dictionary key")


@check(CRED001, nodes=(ast.Compare,))
def comparison(ctx, node: ast.Compare) -> None:
    if len(node.ops) != 1 or not isinstance(node.ops[0], (ast.Eq, ast.NotEq)):
        return
    name = _target_name(node.left)
    if name:
        _report(ctx, node, name, node.comparators[0], "comparison with")


@check(CRED001, calls=("os.getenv", "os.environ.get", "os.environ.setdefault"))
def environment_fallback(ctx, node: ast.Call) -> None:
    name = string_value(argument(node, 0, "key"))
    if name:
        _report(ctx, node, name, argument(node, 1, "default"), "fallback for environment variable")
