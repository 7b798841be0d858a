"""Workflow definitions, CI workflows and Jinja templates read as text.

Nothing here loads YAML: the scanner follows the document's structure line by line
(indentation, ``key:`` pairs, ``- `` list items, ``|``/``>`` block scalars, inline
``[...]`` lists), so a YAML bomb, a huge or a malformed file costs one pass over its
lines and raises nothing. JSON is read with ``json.loads`` (data only) and the line
of each value found by its text.

WF001: a template variable in a field that a shell runs. WF002: a node type that is
a dotted Python path (the document chooses code to import).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache

from redline.knowledge.workflows import workflows as knowledge
from redline.model import Finding, Rule
from redline.rules.catalog import rules
from redline.text.findings import line_finding, unsuppressed

WF001, WF002 = rules("WF001", "WF002")
KINDS = frozenset({"yaml", "json", "jinja"})
_MAX_BYTES = 4_000_000
_MAX_LINE = 4_000  # template matching on longer lines is skipped (minified data)
_KEY = re.compile(r"""^(?:"(?P<dq>[^"]{1,100})"|'(?P<sq>[^']{1,100})'|(?P<plain>[A-Za-z_$][\w.\-$]{0,100}))\s*:(?:\s+|$)""")
_DOTTED = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+$")
_FLOW_ITEM = re.compile(r""""((?:[^"\\]|\\.)*)"|'((?:[^']|'')*)'|([^,\[\]]+)""")
_JINJA_STATEMENT = re.compile(r"^\s*\{%.*%\}\s*$")
_SHELL_TEMPLATE = (".sh", ".bash", ".zsh", ".ps1", ".bat", ".cmd")
_YAML_TEMPLATE = (".yaml", ".yml")
_UNKNOWN = "a template variable"


@cache
def _syntaxes() -> tuple[tuple[re.Pattern[str], bool], ...]:
    """(pattern, known roots only) for workflow files; GitHub Actions reads only the first."""
    k = knowledge()
    return (
        (re.compile(k.expression_syntax), False),
        (re.compile(k.double_brace_syntax), False),
        (re.compile(k.dollar_brace_syntax), True),
        (re.compile(k.square_brackets_syntax), False),
    )


@cache
def _containers() -> re.Pattern[str]:
    names = "|".join(re.escape(c) for c in sorted(knowledge().containers))
    return re.compile(rf"""^["']?(?:{names})["']?\s*:|"(?:{names})"\s*:""", re.MULTILINE | re.IGNORECASE)


@dataclass
class _Frame:
    indent: int
    key: str
    has_value: bool
    state: dict = field(default_factory=dict)


@dataclass
class _Hit:
    line: int
    col: int
    evidence: tuple[str, ...]  # redline.severity tags: the origin of the pasted value
    message: str


def scan_workflows(rel: str, text: str, kind: str, enabled: frozenset[str]) -> list[Finding]:
    """WF001/WF002 findings of one YAML, JSON or Jinja file."""
    if kind not in KINDS or not ({WF001.id, WF002.id} & enabled) or len(text) > _MAX_BYTES:
        return []
    if "{{" not in text and "${" not in text and "$[[" not in text and not _containers().search(text):
        return []  # no variable to paste and no node list to name code in
    lines = text.splitlines()
    github = _is_github_workflow(rel, text)
    lower = rel.lower()
    if kind == "jinja":
        inner = re.sub(r"\.(j2|jinja2?)$", "", lower)
        if inner.endswith(_SHELL_TEMPLATE):
            hits = list(_shell_template(lines))
        elif inner.endswith(_YAML_TEMPLATE):
            hits = list(_yaml_hits(lines, github=False, code=False))
        elif inner.rsplit("/", 1)[-1].startswith("dockerfile"):
            hits = list(_dockerfile_template(lines))
        else:
            hits = []
    elif kind == "json":
        hits = list(_json_hits(text, lines))
    else:
        hits = list(_yaml_hits(lines, github=github, code=not github))
    findings = []
    seen: set[tuple[str, int]] = set()
    for rule, hit in hits:
        if rule.id not in enabled or (rule.id, hit.line) in seen:
            continue
        seen.add((rule.id, hit.line))
        findings.append(line_finding(rule, rel, hit.line, hit.col, hit.message, lines[hit.line - 1], hit.evidence))
    return unsuppressed(findings, lines)


def definition_hits(text: str, kind: str) -> list[tuple[Rule, int, int, tuple[str, ...], str]]:
    """Hits of a definition held in a Python string literal: (rule, line, col, evidence, message)."""
    if len(text) > _MAX_BYTES:
        return []
    lines = text.splitlines()
    hits = _json_hits(text, lines) if kind == "json" else _yaml_hits(lines, github=False, code=True)
    return [(rule, h.line, h.col, h.evidence, h.message) for rule, h in hits]


def _is_code_path(value: str) -> bool:
    """``app.nodes.ToolNode`` or ``pkg.module.function``: a dotted path, a class or two dots."""
    if not _DOTTED.match(value) or value.startswith(knowledge().framework_namespaces):
        return False
    return value.rsplit(".", 1)[1][:1].isupper() or value.count(".") >= 2


def _is_github_workflow(rel: str, text: str) -> bool:
    path = rel.replace("\\", "/").lower()
    if "/.github/workflows/" in f"/{path}" or path.endswith("action.yml") or path.endswith("action.yaml"):
        return True
    return bool(re.search(r"^jobs:\s*$", text, re.MULTILINE) and re.search(r"^['\"]?on['\"]?:", text, re.MULTILINE))


# -- variables ---------------------------------------------------------------------------


def _variables(value: str, github: bool) -> Iterator[tuple[int, str, bool]]:
    """(column, expression, known roots only) of each template variable in a value."""
    if len(value) > _MAX_LINE or ("{" not in value and "$[[" not in value):
        return
    for pattern, known_only in _syntaxes()[:1] if github else _syntaxes():
        for m in pattern.finditer(value):
            yield m.start(), m.group(1), known_only


def _classify(expr: str, github: bool) -> tuple[str, str] | None:
    """Where a variable in a shell field comes from: (WF001 variant, words); None when it
    is fixed or quoted. The variants' impacts are WF001's (rules/workflows.py)."""
    k = knowledge()
    parts = [p.strip().lower() for p in expr.split("|")]
    head = parts[0].lstrip("( !")
    if any(p.split("(")[0].strip() in k.quoting_filters for p in parts[1:]):
        return None
    if github:
        event = "github.event" in head or head.startswith("github.head_ref")
        if event and any(u in head for u in k.github_untrusted):
            return "outside-contributor", "event data an outside contributor writes"
        if head.startswith(("inputs.", "github.event.inputs.")):
            return "dispatch-input", "a workflow input (whoever may dispatch or call the workflow)"
        if head.startswith(k.fixed) or head.startswith("github.") or head.split()[0].endswith(k.github_results):
            return None
        if head.startswith(k.github_derived):
            return "step-output", "a step or job output"
        return "variable", "a workflow variable"
    if _rooted(head, k.fixed):
        return None
    if _rooted(head, k.untrusted):
        return "workflow-input", "workflow input"
    if _rooted(head, k.upstream):
        return "node-output", "upstream node output"
    return "unknown", _UNKNOWN


_WORD = re.compile(r"[a-z_][a-z0-9_]*")


@cache
def _prefixes(roots: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(r for r in roots if "." in r or not (r[-1].isalnum()))


def _rooted(head: str, roots: tuple[str, ...]) -> bool:
    """``inputs.`` and ``github.sha`` match by prefix; a bare word (``query``) only as the
    whole first name (``query_limit`` is not ``query``)."""
    if head.startswith(_prefixes(roots)):
        return True
    m = _WORD.match(head)
    return m is not None and m.group(0) in roots


def _shell_hit(line: int, col: int, value: str, where: str, github: bool) -> _Hit | None:

    impacts = WF001.impacts
    worst: tuple[str, str, str] | None = None
    for offset, expr, known_only in _variables(value, github):
        verdict = _classify(expr, github)
        if verdict is None or (known_only and verdict[1] == _UNKNOWN):
            continue
        if worst is None or impacts[verdict[0]] > impacts[worst[0]]:
            worst = (verdict[0], verdict[1], expr.strip())
            col_found = col + offset
    if worst is None:
        return None
    variant, origin, expr = worst
    message = f"{{{{ {expr[:80]} }}}} ({origin}) is pasted into {where}, which a shell runs"
    return _Hit(line, col_found, (f"variant:{variant}",), message)


# -- YAML, line by line --------------------------------------------------------------------


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _strip_comment(value: str) -> str:
    """Drop a trailing `` # comment`` outside quotes."""
    quote = None
    for i, ch in enumerate(value):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"" and (i == 0 or value[i - 1] in " [,:"):
            quote = ch
        elif ch == "#" and (i == 0 or value[i - 1] in " \t"):
            return value[:i].rstrip()
    return value


def _flow_items(value: str) -> list[str]:
    inner = value.strip()[1:]
    if inner.endswith("]"):
        inner = inner[:-1]
    return [_unquote(m.group(0)) for m in _FLOW_ITEM.finditer(inner) if m.group(0).strip()]


def _yaml_hits(lines: list[str], *, github: bool, code: bool) -> Iterator[tuple[Rule, _Hit]]:
    k = knowledge()
    stack: list[_Frame] = [_Frame(-1, "", False)]
    block: tuple[int, str] | None = None  # (indent of the owner key, key) while in a block scalar
    code_paths: list[tuple[int, int, str]] = []
    for number, raw in enumerate(lines, start=1):
        if block is not None:
            if not raw.strip():
                continue
            indent = len(raw) - len(raw.lstrip(" "))
            if indent > block[0]:
                if block[1] in k.shell_fields:
                    hit = _shell_hit(number, indent, raw.strip(), f"the {block[1]!r} script", github)
                    if hit:
                        yield WF001, hit
                continue
            block = None
        stripped = raw.strip()
        if not stripped or stripped.startswith("#") or _JINJA_STATEMENT.match(raw) or stripped.startswith("{#"):
            continue
        if stripped in ("---", "...") or raw.startswith("%"):
            stack[1:] = []
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        content = raw[indent:]
        item = False
        while content.startswith("- ") or content == "-":
            if not item:
                while len(stack) > 1 and stack[-1].indent > indent:
                    stack.pop()
                if len(stack) > 1 and stack[-1].indent == indent and stack[-1].has_value:
                    stack.pop()
                owner = stack[-1]
                owner.state.pop("mapping", None)
            item = True
            rest = content[1:].lstrip(" ")
            indent += len(content) - len(rest)
            content = rest
        m = _KEY.match(content)
        if m:
            key = (m["dq"] or m["sq"] or m["plain"]).lower()
            value = content[m.end() :]
            value = (_strip_comment(value) if "#" in value else value).strip()
            while len(stack) > 1 and stack[-1].indent >= indent:
                stack.pop()
            parent = stack[-1]
            frame = _Frame(indent, key, bool(value))
            stack.append(frame)
            col = indent + m.end()
            if value[:1] in ("|", ">"):
                block = (indent, key)
                continue
            if not value:
                continue
            yield from _value_hits(number, col, key, value, parent, github)
            if code and key in k.code_loading and len(stack) > 2 and stack[1].key in k.containers:
                dotted = _unquote(value)
                if _is_code_path(dotted):
                    code_paths.append((number, col, dotted))
            continue
        value = (_strip_comment(content) if "#" in content else content).strip()
        if not value:
            continue
        owner = stack[-1]
        if item:
            yield from _list_item_hits(number, indent, owner, _unquote(value), stack, github)
        elif owner.key in k.shell_fields:  # a plain scalar continued on the next line
            hit = _shell_hit(number, indent, value, f"the {owner.key!r} field", github)
            if hit:
                yield WF001, hit
    if code_paths:
        number, col, dotted = code_paths[0]
        more = f" ({len(code_paths)} nodes in this file)" if len(code_paths) > 1 else ""
        message = f"node type {dotted!r} is a Python path the engine imports: the document chooses the code{more}"
        yield WF002, _Hit(number, col, (), message)


def _value_hits(number: int, col: int, key: str, value: str, parent: _Frame, github: bool) -> Iterator[tuple[Rule, _Hit]]:
    k = knowledge()
    if value.startswith("["):
        items = _flow_items(value)
        state: dict = {}
        for item in items:
            if _script_item(key, item, state, parent):
                hit = _shell_hit(number, col, item, f"the {key!r} argument list after a shell's -c", github)
                if hit:
                    yield WF001, hit
        return
    if key in k.shell_fields or (key in k.args_fields and parent.state.get("mapping") == "script-args"):
        hit = _shell_hit(number, col, _unquote(value), f"the {key!r} field", github)
        if hit:
            yield WF001, hit


def _script_item(key: str, item: str, state: dict, parent: _Frame) -> bool:
    """Follow ``[sh, -c, script]``: True for items after a shell's script flag."""
    k = knowledge()
    word = item.strip().lower()
    if state.get("script") or (key in k.args_fields and parent.state.get("mapping") == "script-args"):
        return True
    if word in k.shells or word.rsplit("/", 1)[-1] in k.shells:
        state["shell"] = True
    elif state.get("shell") and word in k.script_flags:
        state["script"] = True
        if key in k.shell_fields:
            parent.state["mapping"] = "script-args"  # a sibling args: [...] is the script
    return False


def _list_item_hits(number: int, col: int, owner: _Frame, value: str, stack: list[_Frame], github: bool) -> Iterator[tuple[Rule, _Hit]]:
    k = knowledge()
    key = owner.key
    if key not in k.shell_fields and key not in k.args_fields:
        return
    parent = stack[-2] if len(stack) > 1 else owner
    if _script_item(key, value, owner.state, parent):
        hit = _shell_hit(number, col, value, f"the {key!r} argument list after a shell's -c", github)
        if hit:
            yield WF001, hit
    elif key in k.shell_fields and key not in ("command", "entrypoint", "args"):
        hit = _shell_hit(number, col, value, f"the {key!r} list", github)  # run/script lists: each line runs
        if hit:
            yield WF001, hit


# -- JSON ------------------------------------------------------------------------------------


def _json_hits(text: str, lines: list[str]) -> Iterator[tuple[Rule, _Hit]]:
    if "{{" not in text and "${" not in text and '"type"' not in text and '"class' not in text:
        return
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return
    k = knowledge()
    code_paths: list[tuple[str, str]] = []
    stack: list[tuple[object, str, bool, dict]] = [(data, "", False, {})]
    cursor = _Cursor(lines)
    budget = 200_000
    while stack and budget:
        budget -= 1
        value, key, in_container, parent_state = stack.pop()
        if isinstance(value, dict):
            state: dict = {}
            for child_key, child in reversed(list(value.items())):
                inside = in_container or str(child_key).lower() in k.containers
                stack.append((child, str(child_key).lower(), inside, state))
        elif isinstance(value, list):
            if key in k.shell_fields or key in k.args_fields:
                list_state: dict = {}
                parent = _Frame(0, "", False, parent_state)
                for item in value:
                    if isinstance(item, str) and _script_item(key, item, list_state, parent):
                        yield from _json_shell(cursor, key, item, "argument list after a shell's -c")
            else:
                for child in reversed(value):
                    stack.append((child, key, in_container, parent_state))
        elif isinstance(value, str):
            if key in k.shell_fields or (key in k.args_fields and parent_state.get("mapping") == "script-args"):
                yield from _json_shell(cursor, key, value, "field")
            elif in_container and key in k.code_loading and _is_code_path(value):
                code_paths.append((key, value))
    if code_paths:
        key, dotted = code_paths[0]
        number, col = cursor.find(json.dumps(dotted)) or (1, 0)
        more = f" ({len(code_paths)} nodes in this file)" if len(code_paths) > 1 else ""
        yield WF002, _Hit(number, col, (), f"node type {dotted!r} is a Python path the engine imports: the document chooses the code{more}")


class _Cursor:
    """Finds the line of a JSON string value, searching forward from the last one found."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.at = 0

    def find(self, needle: str) -> tuple[int, int] | None:
        needle = needle[:60]
        for start in (self.at, 0):
            for i in range(start, len(self.lines)):
                col = self.lines[i].find(needle)
                if col >= 0:
                    self.at = i
                    return i + 1, col
        return None


def _json_shell(cursor: _Cursor, key: str, value: str, where: str) -> Iterator[tuple[Rule, _Hit]]:
    hit = _shell_hit(0, 0, value, f"the {key!r} {where}", False)
    if hit is None:
        return
    found = cursor.find(json.dumps(value)[1:-1])
    if found is None:
        return
    hit.line, hit.col = found
    yield WF001, hit


# -- Jinja templates of scripts and Dockerfiles ------------------------------------------------


def _shell_template(lines: list[str]) -> Iterator[tuple[Rule, _Hit]]:
    for number, raw in enumerate(lines, start=1):
        code = raw.split("{#", 1)[0]
        if code.lstrip().startswith("#") and not code.lstrip().startswith("#!"):
            continue
        hit = _shell_hit(number, 0, code, "a shell script template", False)
        if hit:
            yield WF001, hit


def _dockerfile_template(lines: list[str]) -> Iterator[tuple[Rule, _Hit]]:
    in_run = False
    for number, raw in enumerate(lines, start=1):
        code = raw.split("{#", 1)[0]
        stripped = code.strip()
        if re.match(r"(?i)^(run|cmd|entrypoint)\s", stripped):
            in_run = True
        if in_run:
            hit = _shell_hit(number, 0, code, "a Dockerfile RUN/CMD instruction", False)
            if hit:
                yield WF001, hit
        in_run = in_run and stripped.endswith("\\")
