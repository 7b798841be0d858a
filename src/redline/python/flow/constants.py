"""What a module's text fixes without running it: constant folding, literal module
globals, constant mappings and dispatch tables, and small AST helpers."""

from __future__ import annotations

import ast

FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)


def single_compare(node: ast.AST, *ops: type) -> tuple[ast.expr, ast.expr] | None:
    """(left, right) of a comparison with one operator of these types (``a not in b``)."""
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ops):
        return node.left, node.comparators[0]
    return None


def const_str(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def source_of(ctx, node: ast.AST | None) -> str:
    """The source lines of a function (the whole module at top level)."""
    if not isinstance(node, FUNCS):
        return ctx.source
    return "\n".join(ctx.lines[node.lineno - 1 : node.end_lineno])


def forget_items(env: dict, name: str) -> None:
    prefix = name + "["
    for key in [k for k in env if k.startswith(prefix) and k[len(prefix) : -1].lstrip("-").isdigit()]:
        del env[key]


def path_key(name: str, keys: list[ast.expr]) -> str | None:
    """``name[('a', 'b')]`` for constant keys: conf.set("a", "b", v) / conf.get("a", "b")."""
    parts = []
    for k in keys:
        if not isinstance(k, ast.Constant) or not isinstance(k.value, (str, int)) or isinstance(k.value, bool):
            return None
        parts.append(k.value)
    return f"{name}[{tuple(parts)!r}]"


def item_key(name: str, key: ast.AST) -> str | None:
    if isinstance(key, ast.Constant) and isinstance(key.value, (str, int)) and not isinstance(key.value, bool):
        return f"{name}[{key.value!r}]"
    return None


# Flags that are true only for type checkers, never when the code runs.
NEVER_AT_RUNTIME = frozenset({"typing.TYPE_CHECKING", "typing_extensions.TYPE_CHECKING"})


def dotted_text(node: ast.AST) -> str:
    """``a.b.c`` as written (a consts key for an attribute chain)."""
    if isinstance(node, ast.Attribute):
        return f"{dotted_text(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else "?"


class NotConstant(Exception):
    pass


ARITHMETIC = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Mod: lambda a, b: a % b,
    ast.FloorDiv: lambda a, b: a // b,
}


COMPARISONS = {
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}


def fold(node: ast.AST, consts: dict, depth: int):
    """Evaluate small integer/string expressions without executing anything."""
    if depth > 20:
        raise NotConstant
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, str)):
        return node.value
    if isinstance(node, ast.Name) and node.id in consts:
        return consts[node.id]
    if isinstance(node, ast.Attribute) and dotted_text(node) in consts:
        return consts[dotted_text(node)]
    if isinstance(node, ast.BinOp) and type(node.op) in ARITHMETIC:
        left, right = fold(node.left, consts, depth + 1), fold(node.right, consts, depth + 1)
        if not (isinstance(left, int) and isinstance(right, int)) or abs(left) > 1 << 64 or abs(right) > 1 << 64:
            raise NotConstant
        if isinstance(node.op, (ast.Mod, ast.FloorDiv)) and right == 0:
            raise NotConstant
        return ARITHMETIC[type(node.op)](left, right)
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in COMPARISONS:
        left, right = fold(node.left, consts, depth + 1), fold(node.comparators[0], consts, depth + 1)
        if type(left) is not type(right) and not isinstance(node.ops[0], (ast.Eq, ast.NotEq)):
            raise NotConstant
        if isinstance(node.ops[0], (ast.In, ast.NotIn)) and not isinstance(right, str):
            raise NotConstant
        return COMPARISONS[type(node.ops[0])](left, right)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return not fold(node.operand, consts, depth + 1)
    if isinstance(node, ast.Subscript):  # "ABC"[1]
        value, index = fold(node.value, consts, depth + 1), fold(node.slice, consts, depth + 1)
        if not isinstance(value, str) or type(index) is not int or not -len(value) <= index < len(value):
            raise NotConstant
        return value[index]
    if isinstance(node, ast.BoolOp):  # short-circuits: False and x, True or x
        decisive = isinstance(node.op, ast.Or)
        unknown = False
        for v in node.values:
            try:
                if bool(fold(v, consts, depth + 1)) is decisive:
                    return decisive
            except NotConstant:
                unknown = True
        if unknown:
            raise NotConstant
        return not decisive
    raise NotConstant


def dispatch_tables(tree: ast.Module, module: str) -> dict[str, tuple[str, ...]]:
    """Module-level dicts whose values are all functions of the module:
    ``LOADERS = {"prompt": _load_prompt, ...}``."""
    defined = {n.name for n in tree.body if isinstance(n, FUNCS)}
    tables = {}
    for stmt in tree.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and isinstance(stmt.value, ast.Dict) and stmt.value.values:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            values = stmt.value.values
            if all(isinstance(v, ast.Name) and v.id in defined for v in values):
                for t in targets:
                    if isinstance(t, ast.Name):
                        tables[t.id] = tuple(sorted({f"{module}.{v.id}" for v in values}))
    return tables


def table_read(node: ast.AST | None) -> str | None:
    """TABLE[key] or TABLE.get(key): the table's name."""
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        return node.value.id
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and isinstance(node.func.value, ast.Name)
    ):
        return node.func.value.id
    return None


def known_names(tree: ast.Module) -> frozenset[str]:
    """Names that hold no data: functions and classes defined anywhere in the module, and
    module-level variables only ever bound to literals."""
    names: set[str] = set()
    literal: dict[str, bool] = {}
    for stmt in tree.body:  # nested definitions bind their names as the body runs
        if isinstance(stmt, (*FUNCS, ast.ClassDef)):
            names.add(stmt.name)
    for stmt in tree.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            literal_value = stmt.value is not None and is_literal(stmt.value)
            for t in targets:
                if isinstance(t, ast.Name):
                    literal[t.id] = literal.get(t.id, True) and literal_value
        elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
            literal[stmt.target.id] = False
    return frozenset(names | {n for n, ok in literal.items() if ok})


def constant_mappings(tree: ast.Module, known: frozenset[str], mutators: frozenset[str]) -> frozenset[str]:
    """Module-level dicts bound once to constant keys and values (literals, functions,
    classes, constants and attributes of them) and never changed: ``MAP[key]`` and
    ``MAP.get(key, default)`` are one of those values (an unknown key raises)."""
    candidates: dict[str, int] = {}
    for stmt in tree.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and isinstance(stmt.value, ast.Dict):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            value = stmt.value
            constant = all(isinstance(k, ast.Constant) for k in value.keys) and all(
                is_literal(v) or static_name(v, known) for v in value.values
            )
            for t in targets:
                if isinstance(t, ast.Name):
                    candidates[t.id] = candidates.get(t.id, 0) + (1 if constant else 2)
    names = {n for n, count in candidates.items() if count == 1}
    if not names:
        return frozenset()
    for node in ast.walk(tree):  # stores elsewhere: MAP[k] = v, MAP.update(...), global MAP
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, (ast.Store, ast.Del)):
            if isinstance(node.value, ast.Name):
                names.discard(node.value.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.attr in mutators | {"pop", "clear", "popitem"}:
            names.discard(node.value.id)
        elif isinstance(node, ast.Global):
            names.difference_update(node.names)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id in names and node.col_offset:
            names.discard(node.id)  # rebound inside a function, a class or a block
    return frozenset(names)


def static_name(node: ast.AST, known: frozenset[str]) -> bool:
    """A function, class or literal constant of the module, or an attribute of one."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name) and node.id in known


def is_literal(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return all(is_literal(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is not None and is_literal(k) for k in node.keys) and all(is_literal(v) for v in node.values)
    if isinstance(node, ast.BinOp):
        return is_literal(node.left) and is_literal(node.right)
    return False


def literal_match(pattern: ast.AST, subject) -> bool | None:
    kind = type(pattern).__name__
    if kind == "MatchValue" and isinstance(pattern.value, ast.Constant):
        return pattern.value.value == subject
    if kind == "MatchOr":
        results = [literal_match(p, subject) for p in pattern.patterns]
        return None if None in results else any(results)
    if kind == "MatchAs" and pattern.pattern is None and pattern.name is None:
        return True  # case _:
    return None


def literal_rule(decorator: ast.AST) -> bool:
    """``@app.route("/a/b")``: a rule given as a literal without <converters>."""
    if not isinstance(decorator, ast.Call) or not decorator.args:
        return False
    rule = decorator.args[0]
    return isinstance(rule, ast.Constant) and isinstance(rule.value, str) and "<" not in rule.value


def decorator_attr(node: ast.AST) -> str | None:
    target = node.func if isinstance(node, ast.Call) else node
    return target.attr if isinstance(target, ast.Attribute) else None


def param_names(args: ast.arguments) -> list[str]:
    names = [a.arg for a in (*args.posonlyargs, *args.args)]
    if args.vararg:
        names.append("*" + args.vararg.arg)
    names += [a.arg for a in args.kwonlyargs]
    if args.kwarg:
        names.append("**" + args.kwarg.arg)
    return names
