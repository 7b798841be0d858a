"""Guards and sanitizers recognised in the code: checks that exit unless a value passes
(``if not re.fullmatch(...): raise``), allowlists, containment and host checks, opt-in
flags, and what each rules out."""

from __future__ import annotations

import ast
import re

from redline.knowledge.taint import CATEGORIES
from redline.python.flow.constants import FUNCS, const_str, single_compare
from redline.python.flow.graph import MITIGATED, UNKNOWN, Taint, cleaned

ESCAPED = frozenset({"xss", "header-injection"})


TEMPLATE = frozenset({"template-injection"})


FIXED_HOST = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#@{}\s]+[/?#]")


def fixed_host(node: ast.AST) -> bool:
    """A URL built from text that starts with a literal scheme://host/ (an f-string or a
    concatenation): whatever follows cannot change the host (no "@" in the literal part,
    so no user-info trick either)."""
    while isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        node = node.left  # "https://host/" + x, "https://host/%s" % x
    if isinstance(node, ast.JoinedStr):
        node = node.values[0] if node.values else None
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and bool(FIXED_HOST.match(node.value))


VALIDATORS = frozenset(
    {
        "match", "fullmatch", "startswith", "endswith", "is_relative_to", "isidentifier",
        "isalnum", "isalpha", "isdigit", "isdecimal", "isnumeric", "isascii",
    }
)


PATH_CATEGORIES = frozenset({"path-traversal", "path-traversal-write", "path-probe"})


ALL_CATEGORIES = frozenset(CATEGORIES)


URL_CATEGORIES = frozenset({"open-redirect", "ssrf"})
NOT_URL_CATEGORIES = ALL_CATEGORIES - URL_CATEGORIES


QUOTE_CATEGORIES = frozenset({"xpath-injection", "sql-injection", "cypher-injection"})


# Characters whose presence makes a check reject the value, and what that rules out.
REJECTED_MARKERS = (
    ("..", PATH_CATEGORIES),
    ("'", QUOTE_CATEGORIES),
    ('"', QUOTE_CATEGORIES),
    ("<", frozenset({"xss"})),
    ("(", frozenset({"ldap-injection"})),
    ("*", frozenset({"ldap-injection"})),
)


TESTS = (ast.Compare, ast.Call, ast.BoolOp, ast.UnaryOp)


def remember_flag(flags: dict[str, ast.expr], name: str, value: ast.expr) -> None:
    """``ok = url.host in ALLOWED``: ``name`` holds that test until it is rebound."""
    if isinstance(value, TESTS):
        flags[name] = value
    else:
        flags.pop(name, None)


def _expand(test: ast.expr, flags: dict[str, ast.expr]) -> ast.expr:
    """The test a flag stands for: ``not ok`` is ``not (url.host in ALLOWED)``."""
    if isinstance(test, ast.Name) and test.id in flags:
        return flags[test.id]
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and isinstance(test.operand, ast.Name):
        found = flags.get(test.operand.id)
        if found is not None:
            return ast.UnaryOp(op=ast.Not(), operand=found)
    if isinstance(test, ast.BoolOp) and any(isinstance(v, (ast.Name, ast.UnaryOp)) for v in test.values):
        return ast.BoolOp(op=test.op, values=[_expand(v, flags) for v in test.values])
    return test


def dash_rejected(node: ast.If) -> list[str]:
    """``if name.startswith("-"): raise``: afterwards ``name`` is no command-line option."""
    if node.orelse or not node.body or not isinstance(node.body[-1], (ast.Raise, ast.Return, ast.Continue)):
        return []
    tests = node.test.values if isinstance(node.test, ast.BoolOp) and isinstance(node.test.op, ast.Or) else [node.test]
    found = []
    for test in tests:
        if (
            isinstance(test, ast.Call)
            and isinstance(test.func, ast.Attribute)
            and test.func.attr == "startswith"
            and isinstance(test.func.value, ast.Name)
            and test.args
            and const_str(test.args[0]) == "-"
        ):
            found.append(test.func.value.id)
    return found


def guarded_names(
    node: ast.If, fallback: bool = False, flags: dict[str, ast.expr] | None = None
) -> list[tuple[str, frozenset[str] | None]]:
    """Names validated by ``if not check(x): raise/return`` (or ``if x not in ALLOWED``).

    After such a statement the rest of the function only runs with a value that passed
    the check: an allowlist membership, a regular-expression match, a prefix test.
    With ``fallback``, the statements are those that replace the value instead
    (``if theme not in THEMES: theme = "auto"``): the names the body assigns to last.
    ``flags``: names bound to a test earlier in the function."""
    body = node.body
    if node.orelse or not body:
        return []
    if fallback:
        last = body[-1]
        if not (isinstance(last, ast.Assign) and len(last.targets) == 1 and isinstance(last.targets[0], ast.Name)):
            return []
        replaced = last.targets[0].id
    elif not isinstance(body[-1], (ast.Raise, ast.Return, ast.Continue)):
        return []
    test = _expand(node.test, flags) if flags else node.test
    truth: set[str] | None = None
    # if name and (...): raise -> an empty name is harmless, any other passed the checks
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        rest = [v for v in test.values if not truthiness(v)]
        if len(rest) != 1:
            return []
        truth = {v.id if isinstance(v, ast.Name) else v.left.id for v in test.values if truthiness(v)}
        test = rest[0]
    tests = test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or) else [test]
    names: list[tuple[str, frozenset[str] | None]] = []
    rejected: dict[str, set[str]] = {}
    for test in tests:  # if not a(x) or not b(x): raise -> both held afterwards
        names += failed_check(test)
        # if ".." in path: raise -> the path cannot climb out of its directory;
        # if "'" in value: raise -> the value cannot close a quoted literal.
        pair = single_compare(test, ast.In)
        if pair and isinstance(pair[1], ast.Name) and (text := const_str(pair[0])) is not None:
            name = pair[1].id
            rejected.setdefault(name, set()).update(m for m in ("/", "\\") if m in text)
            categories = frozenset().union(*(cats for marker, cats in REJECTED_MARKERS if marker in text))
            if categories:
                names.append((name, categories))
        # if name.startswith("."): raise; if os.path.isabs(name): raise
        if isinstance(test, ast.Call):
            func = test.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr == "startswith"
                and isinstance(func.value, ast.Name)
                and test.args
                and isinstance(test.args[0], ast.Constant)
                and test.args[0].value in (".", "..", "/")
            ):
                rejected.setdefault(func.value.id, set()).add("lead" + test.args[0].value)
            elif (
                isinstance(func, ast.Attribute)
                and func.attr == "isabs"
                and len(test.args) == 1
                and isinstance(test.args[0], ast.Name)
            ):
                rejected.setdefault(test.args[0].id, set()).add("/")
        # if url.netloc not in ALLOWED: return -> the URL's host is allowlisted
        pair = single_compare(test, ast.NotIn)
        if (
            pair
            and isinstance(pair[0], ast.Attribute)
            and pair[0].attr in ("netloc", "hostname", "host")
            and isinstance(pair[0].value, ast.Name)
        ):
            names.append((pair[0].value.id, URL_CATEGORIES))
    for name, markers in rejected.items():
        # no separator and no leading dot: a single name inside the directory
        if "/" in markers and ("lead." in markers or "lead.." in markers):
            names.append((name, PATH_CATEGORIES))
    if truth is not None:
        names = [(n, c) for n, c in names if n in truth]
    if fallback:
        return [(n, c) for n, c in names if n == replaced]
    return names


def validated_params(node: ast.AST, params: list[str]) -> dict[str, object]:
    """Parameters a function raises for unless they pass a check, before it can return:
    {param: "*" (any category) or [categories]}. A call of it as a statement checks
    the caller's argument."""
    out: dict[str, object] = {}
    if not any(isinstance(stmt, ast.If) and stmt.body and isinstance(stmt.body[-1], ast.Raise) for stmt in node.body):
        return out  # no check that raises: nothing to look for
    names = {p.lstrip("*") for p in params}
    for stmt in node.body:
        if isinstance(stmt, ast.If) and stmt.body and isinstance(stmt.body[-1], ast.Raise):
            for name, categories in guarded_names(stmt):
                if name in names:
                    if categories is None:
                        out[name] = "*"
                    elif out.get(name) != "*":
                        out[name] = sorted(set(out.get(name, ())) | categories)
        for sub in shallow_walk(stmt):
            if isinstance(sub, (ast.Return, ast.Yield, ast.YieldFrom)) or (
                isinstance(sub, (ast.Name)) and isinstance(sub.ctx, ast.Store) and sub.id in names
            ):
                return out  # a return may come first; a parameter may be rebound
    return out


def shallow_walk(node: ast.AST):
    """ast.walk without descending into nested functions, classes and lambdas."""
    todo = [node]
    while todo:
        cur = todo.pop()
        yield cur
        for child in ast.iter_child_nodes(cur):
            if not isinstance(child, (*FUNCS, ast.ClassDef, ast.Lambda)):
                todo.append(child)


def truthiness(node: ast.AST) -> bool:
    """``name`` or ``name is not None`` as a condition: true for any non-empty value."""
    if isinstance(node, ast.Name):
        return True
    pair = single_compare(node, ast.IsNot)
    return bool(pair) and isinstance(pair[0], ast.Name) and isinstance(pair[1], ast.Constant) and pair[1].value is None


def _fixed_host_prefixes(node: ast.AST | None) -> bool:
    """Literal prefixes that each fix a URL's host (``"https://api.example.com/"``)."""
    items = node.elts if isinstance(node, (ast.Tuple, ast.List)) else [node]
    return bool(items) and all(
        isinstance(i, ast.Constant) and isinstance(i.value, str) and FIXED_HOST.match(i.value) for i in items
    )


def failed_check(test: ast.AST) -> list[tuple[str, frozenset[str] | None]]:
    """(name, categories it is now safe for; None: all) for a failed check that exits."""
    names: list[tuple[str, frozenset[str] | None]] = []
    # if not any(url.host == ok.host for ok in roots): raise; if url.netloc != HOST: raise
    host = _host_compared(test.operand, (ast.Eq, ast.In)) if isinstance(test, ast.UnaryOp) and isinstance(
        test.op, ast.Not
    ) else _host_compared(test, (ast.NotEq,))
    if host is not None:
        return [(host, URL_CATEGORIES)]
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and isinstance(test.operand, ast.Call):
        call = test.operand
        func = call.func
        method = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if method in VALIDATORS:
            candidates = list(call.args)
            if isinstance(func, ast.Attribute) and method not in ("match", "fullmatch"):
                candidates.append(func.value)
            categories = None
            if method == "startswith" and not _fixed_host_prefixes(call.args[0] if call.args else None):
                # url.startswith("https://api.example.com") also passes for
                # https://api.example.com.evil.net and https://api.example.com@evil.net:
                # a prefix test is a host check only when the host is closed by "/"
                categories = NOT_URL_CATEGORIES
            if method in ("match", "fullmatch") and call.args and isinstance(call.args[0], ast.Constant):
                categories = regex_guards(call.args[0].value, method)
                candidates = candidates[1:]
            for c in candidates:
                if isinstance(c, ast.Call) and isinstance(c.func, ast.Name) and c.func.id in ("str", "fspath") and len(c.args) == 1:
                    c = c.args[0]  # str(path).startswith(...)
                if isinstance(c, ast.Name):
                    names.append((c.id, categories))
        elif method.lower().lstrip("_").startswith(GUARD_PREFIXES):
            # if not _validate_module(name, allowed): raise -> a check named as one, whose
            # body this module does not show: a mitigation (LOW), as for validate(name)
            names.extend((a.id, MITIGATED) for a in call.args if isinstance(a, ast.Name))
        return names
    elif (pair := single_compare(test, ast.NotIn)) and isinstance(pair[0], ast.Name) and isinstance(
        pair[1], (ast.Name, ast.Attribute, ast.Set, ast.List, ast.Tuple)
    ):
        names = [(pair[0].id, None)]
    return names


HOST_ATTRIBUTES = frozenset({"netloc", "hostname", "host"})


def _host_compared(node: ast.AST, ops: tuple[type, ...]) -> str | None:
    """The name whose host a comparison tests against another value (itself or inside
    any()/all() over candidates): ``url.host == root.host``, ``url.netloc in HOSTS``."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("any", "all")
        and len(node.args) == 1
        and isinstance(node.args[0], (ast.GeneratorExp, ast.ListComp, ast.SetComp))
    ):
        node = node.args[0].elt
    if not (isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ops)):
        return None
    sides = [node.left] if isinstance(node.ops[0], ast.In) else [node.left, node.comparators[0]]
    for side in sides:
        if isinstance(side, ast.Attribute) and side.attr in HOST_ATTRIBUTES and isinstance(side.value, ast.Name):
            return side.value.id
    return None


# Values an attacker needs for each category; a regular expression that rejects every
# probe of a category makes a value safe for it ("^[a-z0-9_.\-/]+$" still lets "../" in).
PROBES = {
    "path-traversal": ("../etc/passwd", "..\\windows", "/etc/passwd"),
    "sql-injection": ("x' OR '1'='1", 'x" OR 1=1 --'),
    "xpath-injection": ("x' or '1'='1",),
    "jsonpath-injection": ("$..*", "$.items[?(@.owner != 'me')]"),
    "cypher-injection": ("x'}) MATCH (n) DETACH DELETE n //",),
    "command-injection": ("x; id", "$(id)", "`id`", "a|b", "-oProxyCommand=id"),
    "code-execution": ("__import__('os').system('id')",),
    "module-import": ("os", "subprocess"),
    "template-injection": ("{{7*7}}", "${7*7}"),
    "xss": ("<script>", '" onmouseover="x'),
    "ldap-injection": ("*)(uid=*",),
    "header-injection": ("a\r\nSet-Cookie: x=1",),
    "ssrf": ("http://169.254.169.254/", "file:///etc/passwd"),
    "open-redirect": ("https://evil.example/", "//evil.example"),
}


PROBES["path-traversal-write"] = PROBES["path-probe"] = PROBES["path-traversal"]


def regex_guards(pattern, method: str) -> frozenset[str] | None:
    """The categories a regular-expression check rules out (None: cannot tell, trust it)."""
    if not isinstance(pattern, str) or len(pattern) > 500:
        return None
    try:
        compiled = re.compile(pattern)
    except (re.error, RecursionError, OverflowError):
        return None
    test = {"fullmatch": compiled.fullmatch, "search": compiled.search}.get(method, compiled.match)
    return frozenset(
        category for category, probes in PROBES.items() if not any(test(p) for p in probes)
    )


def vouch(env: dict, checked: Taint, categories: frozenset[str]) -> None:
    """A check of one value vouches for every value made only of the same data
    (url = urlparse(target); fmt = config.get("template_format"))."""
    origins = set(checked) - {UNKNOWN}
    if not origins:
        return
    for name, t in list(env.items()):
        own = set(t) - {UNKNOWN}
        if own and own <= origins:
            env[name] = cleaned(t, categories)


VALIDATOR_PREFIXES = ("validate", "check", "verify", "ensure", "sanitize", "assert_")


# Boolean checks that guard an exit: `if not is_allowed(x): raise`.
GUARD_PREFIXES = (*VALIDATOR_PREFIXES, "is_valid", "is_allowed", "is_safe", "is_permitted", "allowed", "valid_")


def validated_names(call: ast.AST) -> list[str]:
    """Names passed to a statement-level validation call (its result unused)."""
    if not isinstance(call, ast.Call):
        return []
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if not name.lower().lstrip("_").startswith(VALIDATOR_PREFIXES):
        return []
    return [a.id for a in call.args if isinstance(a, ast.Name)]


OPT_IN_MARKERS = ("allow_dangerous", "dangerously", "allow_unsafe", "trust_remote_code")


def opt_in_flag(node: ast.AST) -> str | None:
    """``if not allow_dangerous_code: raise ...`` in a class or function: what follows
    only runs when the caller accepted the risk explicitly."""
    for sub in ast.walk(node):
        if not isinstance(sub, ast.If) or not any(isinstance(b, ast.Raise) for b in sub.body):
            continue
        for part in ast.walk(sub.test):
            name = part.attr if isinstance(part, ast.Attribute) else getattr(part, "id", None)
            if isinstance(name, str) and any(m in name.lower() for m in OPT_IN_MARKERS):
                return name
    return None
