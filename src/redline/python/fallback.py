"""Fallback Python parser: tree-sitter CST converted to the host's stdlib ``ast``.

redline normally parses with the host interpreter's :func:`ast.parse`. Code written
for a newer Python (PEP 701 f-strings, PEP 695 generics and ``type`` aliases,
PEP 696 defaults, PEP 750 t-strings, PEP 758 ``except A, B:``) cannot be parsed
that way, so :func:`parse` parses it with tree-sitter-python and rebuilds the tree
the host's ``ast.parse`` would have produced: same node classes, same ``ctx``, same
``lineno``/``col_offset``/``end_lineno``/``end_col_offset`` (1-based lines, UTF-8
byte columns). Where the host can parse the code, the result is identical to
``ast.parse``; where the host lacks a node for newer syntax, the closest host node
is used:

* ``type X = Y`` becomes ``ast.TypeAlias`` when the host has it, else
  ``Assign(targets=[Name('X', Store())], value=Y)``;
* type parameters are kept when the host's nodes have ``type_params``, else
  dropped (PEP 696 defaults likewise need ``default_value``);
* t-strings become ``ast.TemplateStr`` when the host has it, else ``JoinedStr``;
* ``except A, B:`` becomes ``ExceptHandler(type=Tuple([A, B]))``;
* ``except*`` becomes ``ast.Try`` on hosts without ``ast.TryStar``.

Invalid code raises :class:`SyntaxError` at the first error tree-sitter reports;
a partial tree is never returned. Nesting too deep for the converter raises
``SyntaxError("too deeply nested")``. tree-sitter-python is more lenient than
CPython in places (it joins a statement with the next line when a newline cannot
end it, accepts two statements on one line without ``;``, ...); the common cases
are checked here, rarer ones may still give a tree for invalid code.

Where tree-sitter-python's grammar falls short, the converter works around it:
``^``/``&`` precedence and ``await x ** y`` are re-associated, ``*f()`` is read as
``*(f())``, ``type(x).attr = v`` (misread as a type alias) is re-parsed, and PEP 696
defaults (no rule; ERROR recovery) are re-read from the tokens of the ``[...]``.

Known gaps, all rare:

* a continuation line inside brackets indented less than its block, as in
  ``def f():\n    (a.\nb)``, makes tree-sitter's scanner dedent: SyntaxError;
* ``from __future__ import *`` (which only the compiler rejects): SyntaxError;
* on a 3.12 host only, a format spec holding ``{{`` lacks the empty leading
  Constant 3.12 adds there;
* ``ast.TemplateStr``/``ast.Interpolation`` (3.14 hosts) follow the 3.14
  documentation but have not been checked against a 3.14 interpreter.
"""

from __future__ import annotations

import ast
import re
import sys
import threading
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import tree_sitter
import tree_sitter_python

__all__ = ["MAX_SOURCE_BYTES", "parse"]

#: Inputs larger than this (UTF-8 bytes) are refused with a SyntaxError.
MAX_SOURCE_BYTES = 16 * 1024 * 1024

_HOST = sys.version_info[:2]
# Python 3.12 (PEP 701) gives every f-string part its own position; before that,
# every literal and FormattedValue carries the position of the whole string.
_PRECISE_FSTRING_POSITIONS = _HOST >= (3, 12)
# Node classes some supported hosts lack (None there).
_NEWER: dict[str, Any] = {
    name: getattr(ast, name, None)
    for name in ("TryStar", "TypeAlias", "TypeVar", "TypeVarTuple", "ParamSpec", "TemplateStr",
                 "Interpolation")
}  # fmt: skip
_HAS_TYPE_PARAMS = "type_params" in ast.FunctionDef._fields
_HAS_TYPE_ALIAS = _NEWER["TypeAlias"] is not None
_HAS_TYPE_PARAM_DEFAULTS = _HAS_TYPE_PARAMS and "default_value" in _NEWER["TypeVar"]._fields
_HAS_TRY_STAR = _NEWER["TryStar"] is not None
_HAS_TEMPLATE_STR = _NEWER["TemplateStr"] is not None

_EXTRAS = frozenset({"comment", "line_continuation"})
_COMPOUND = frozenset({
    "if_statement", "for_statement", "while_statement", "try_statement", "with_statement",
    "function_definition", "class_definition", "decorated_definition", "match_statement",
})  # fmt: skip
_CLAUSES = frozenset({"elif_clause", "else_clause", "except_clause", "finally_clause"})
# nodes whose inside may span lines freely: bracketed constructs and strings
_BRACKETED = frozenset({
    "argument_list", "parenthesized_expression", "tuple", "list", "set", "dictionary",
    "list_comprehension", "set_comprehension", "dictionary_comprehension",
    "generator_expression", "parameters", "string", "type_parameter",
})  # fmt: skip
_OPENING = frozenset({"(", "[", "{"})
_CLOSING = frozenset({")", "]", "}"})
# keywords tree-sitter-python accepts as identifiers (Python 2 heritage)
_KEYWORDS = frozenset({"async", "await"})

Loc = tuple[int, int, int, int]  # lineno, col_offset, end_lineno, end_col_offset
Node = tree_sitter.Node

_language = tree_sitter.Language(tree_sitter_python.language())
_local = threading.local()


def _parser() -> tree_sitter.Parser:
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = tree_sitter.Parser(_language)
    return parser


def parse(source: str | bytes, filename: str = "<unknown>") -> ast.Module:
    """Parse Python ``source`` into a host-``ast`` Module, like ``ast.parse``.

    Raises SyntaxError for invalid code, for inputs over ``MAX_SOURCE_BYTES`` and
    for nesting too deep to convert.
    """
    if isinstance(source, bytes):
        import importlib.util

        source = importlib.util.decode_source(source)
    if "\0" in source:
        raise SyntaxError("source code string cannot contain null bytes", (filename, 1, 1, ""))
    if source.startswith("\ufeff"):
        source = source[1:]
    if "\r" in source:
        source = source.replace("\r\n", "\n").replace("\r", "\n")
    data = source.encode("utf-8", "surrogatepass")
    if len(data) > MAX_SOURCE_BYTES:
        raise SyntaxError(
            f"source too large for the fallback parser ({len(data)} bytes)", (filename, 1, 1, "")
        )
    last_line = data.rstrip(b"\n").rpartition(b"\n")[2]
    if data.endswith((b"\\", b"\\\n")) and b"#" not in last_line:
        # tree-sitter takes a backslash at the very end for a line continuation
        lineno = data.rstrip(b"\n").count(b"\n") + 1
        text = last_line.decode("utf-8", "replace")
        raise SyntaxError("unexpected EOF while parsing", (filename, lineno, len(text), text))
    patched: set[int] = set()
    for _ in range(_MAX_TYPE_PATCH_ROUNDS):
        tree = _parser().parse(data)
        converter = _Converter(data, tree.root_node, filename, patched)
        try:
            converter.check_errors()
            return converter.module()
        except _NotATypeAlias as exc:
            positions = _misread_type_aliases(data, tree.root_node) | {exc.start_byte}
            data = _patch_type_keywords(data, positions)
            patched |= positions
        except RecursionError:
            raise SyntaxError("too deeply nested", (filename, 1, 1, "")) from None
    raise SyntaxError("too many misread 'type' statements", (filename, 1, 1, ""))


# tree-sitter-python reads ``type(x).attr = value`` as a ``type`` alias statement
# (with ``(x).attr`` as the alias name). Such statements are re-parsed with the
# ``type`` keyword swapped for a placeholder identifier of the same length, and
# the Name nodes at the swapped positions are named ``type`` again.
_TYPE_PLACEHOLDER = b"typ_"
_MAX_TYPE_PATCH_ROUNDS = 32
_TYPE_STATEMENT_RE = re.compile(rb"(?m)^[ \t]*(type)[ \t]*[(\[.]")


class _NotATypeAlias(Exception):
    def __init__(self, start_byte: int) -> None:
        super().__init__(start_byte)
        self.start_byte = start_byte


def _misread_type_aliases(data: bytes, root: Node) -> set[int]:
    """Start bytes of other ``type(...)...`` statements misread as type aliases."""
    found = set()
    for match in _TYPE_STATEMENT_RE.finditer(data):
        start = match.start(1)
        node = root.descendant_for_byte_range(start, start + 4)
        if node is not None and node.type == "type":
            parent = node.parent
            if parent is not None and parent.type == "type_alias_statement":
                found.add(start)
    return found


def _patch_type_keywords(data: bytes, positions: set[int]) -> bytes:
    buf = bytearray(data)
    for start in positions:
        buf[start : start + 4] = _TYPE_PLACEHOLDER
    return bytes(buf)


# --------------------------------------------------------------------------- helpers


def _loc(node: Node) -> Loc:
    s = node.start_point
    e = node.end_point
    return (s[0] + 1, s[1], e[0] + 1, e[1])


def _aloc(node: ast.AST) -> Loc:
    return (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]


def _join(first: Loc, last: Loc) -> Loc:
    return (first[0], first[1], last[2], last[3])


def _at(node_type: type, loc: Loc, /, **fields: Any) -> Any:
    return node_type(
        **fields, lineno=loc[0], col_offset=loc[1], end_lineno=loc[2], end_col_offset=loc[3]
    )


def _set_loc(node: ast.AST, loc: Loc) -> None:
    node.lineno, node.col_offset, node.end_lineno, node.end_col_offset = loc  # type: ignore[attr-defined]


def _kids(node: Node) -> list[Node]:
    """Named children, without comments and line continuations."""
    return [c for c in node.named_children if c.type not in _EXTRAS]


def _tokens(node: Node) -> list[Node]:
    """All children, without comments and line continuations."""
    return [c for c in node.children if c.type not in _EXTRAS]


def _set_ctx(node: ast.expr, ctx: ast.expr_context) -> None:
    """Give an assignment/deletion target (and its sub-targets) ``ctx``."""
    if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)):
        node.ctx = ctx
    elif isinstance(node, ast.Starred):
        node.ctx = ctx
        _set_ctx(node.value, ctx)
    elif isinstance(node, (ast.Tuple, ast.List)):
        node.ctx = ctx
        for elt in node.elts:
            _set_ctx(elt, ctx)


_BINOPS: dict[str, type] = {
    "+": ast.Add, "-": ast.Sub, "*": ast.Mult, "@": ast.MatMult, "/": ast.Div,
    "%": ast.Mod, "//": ast.FloorDiv, "**": ast.Pow, "|": ast.BitOr, "&": ast.BitAnd,
    "^": ast.BitXor, "<<": ast.LShift, ">>": ast.RShift,
}  # fmt: skip
# Python's binding strength of the binary operators (tree-sitter-python gets
# ``^`` versus ``&`` wrong, so chains are re-associated with this table).
_BINOP_PREC = {
    "|": 1, "^": 2, "&": 3, "<<": 4, ">>": 4, "+": 5, "-": 5,
    "*": 6, "@": 6, "/": 6, "%": 6, "//": 6, "**": 8,
}  # fmt: skip
_AUGOPS = {op + "=": cls for op, cls in _BINOPS.items()}
_CMPOPS: dict[str, type] = {
    "<": ast.Lt, "<=": ast.LtE, "==": ast.Eq, "!=": ast.NotEq, ">=": ast.GtE,
    ">": ast.Gt, "in": ast.In, "not in": ast.NotIn, "is": ast.Is, "is not": ast.IsNot,
}  # fmt: skip
_UNARYOPS: dict[str, type] = {"+": ast.UAdd, "-": ast.USub, "~": ast.Invert}
# the child holding the value a call / attribute / subscript applies to
_POSTFIX_BASE = {"call": "function", "attribute": "object", "subscript": "value"}

_SIMPLE_ESCAPES = {
    "\n": "", "\\": "\\", "'": "'", '"': '"', "a": "\a", "b": "\b",
    "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
}  # fmt: skip
_ESCAPE_RE = re.compile(
    r"\\(\n|[0-7]{1,3}|x[0-9a-fA-F]{0,2}|u[0-9a-fA-F]{0,4}|U[0-9a-fA-F]{0,8}|N\{[^}\n]*\}|.)",
    re.S,
)
_STRING_PREFIXES = frozenset({"", "r", "u", "b", "br", "rb", "f", "fr", "rf", "t", "tr", "rt"})


class _StringPart:
    """One literal of an (implicitly concatenated) string expression."""

    __slots__ = (
        "node",
        "prefix",
        "raw",
        "is_bytes",
        "is_f",
        "is_t",
        "content_start",
        "content_end",
        "content_end_point",
        "triple",
    )

    def __init__(self, node: Node, prefix: str, quote: str) -> None:
        self.node = node
        self.prefix = prefix
        low = prefix.lower()
        self.raw = "r" in low
        self.is_bytes = "b" in low
        self.is_f = "f" in low
        self.is_t = "t" in low
        self.content_start = node.children[0].end_byte
        # tree-sitter's string_end token may include content (``r'\\'``), so the
        # content ends where the closing quote does, not where string_end starts
        self.content_end = node.end_byte - len(quote)
        end = node.end_point
        self.content_end_point = (end[0], end[1] - len(quote))
        self.triple = len(quote) == 3


class _Literal:
    """A run of literal text inside an f-string, before folding."""

    __slots__ = ("value", "loc", "kind")

    def __init__(self, value: str, loc: Loc, kind: str | None = None) -> None:
        self.value = value
        self.loc = loc
        self.kind = kind


def _legacy_fstring_locs(values: list[ast.expr], loc: Loc, kind: str | None) -> None:
    """Before 3.12, every part of an f-string (format specs included) carries the
    position of the whole string expression, and the kind of its first literal."""
    for value in values:
        _set_loc(value, loc)
        if isinstance(value, ast.Constant):
            value.kind = kind
        elif isinstance(value, ast.FormattedValue) and isinstance(value.format_spec, ast.JoinedStr):
            spec = value.format_spec
            _legacy_fstring_locs(spec.values, loc, kind)
            # ...except a format spec's trailing literal, which has the spec's
            # own position (that of the string token holding it)
            if spec.values and isinstance(spec.values[-1], ast.Constant):
                _set_loc(spec.values[-1], _aloc(spec))


def _top_level_index(tokens: list[Node], kind: str) -> int:
    """Index of the first ``kind`` token outside brackets (``len(tokens)`` if none)."""
    depth = 0
    for index, token in enumerate(tokens):
        if token.type in ("(", "[", "{"):
            depth += 1
        elif token.type in (")", "]", "}"):
            depth -= 1
        elif token.type == kind and depth == 0:
            return index
    return len(tokens)


def _innermost_error(node: Node) -> Node:
    """The innermost first ERROR or MISSING node inside the ERROR ``node``."""
    while True:
        inner = next((e for e in map(_first_error_below, node.children) if e is not None), None)
        if inner is None:
            return node
        if inner.is_missing:
            return inner
        node = inner


def _first_error_below(node: Node) -> Node | None:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.is_error or current.is_missing:
            return current
        if current.has_error:
            stack.extend(reversed(current.children))
    return None


# --------------------------------------------------------------------------- converter


class _Converter:
    """Turns one tree-sitter-python tree into host ``ast`` nodes."""

    def __init__(
        self, data: bytes, root: Node, filename: str, patched: set[int] | None = None
    ) -> None:
        self.data = data
        self.root = root
        self.filename = filename
        self.patched = patched or set()
        self.ends: dict[int, Loc] = {}
        self.stmt_table: dict[str, Callable[[Node], ast.stmt]] = {
            "expression_statement": self.expression_statement,
            "return_statement": self.return_statement,
            "delete_statement": self.delete_statement,
            "raise_statement": self.raise_statement,
            "pass_statement": lambda n: _at(ast.Pass, _loc(n)),
            "break_statement": lambda n: _at(ast.Break, _loc(n)),
            "continue_statement": lambda n: _at(ast.Continue, _loc(n)),
            "global_statement": self.global_statement,
            "nonlocal_statement": self.global_statement,
            "import_statement": self.import_statement,
            "import_from_statement": self.import_from_statement,
            "future_import_statement": self.import_from_statement,
            "assert_statement": self.assert_statement,
            "type_alias_statement": self.type_alias_statement,
            "print_statement": self.print_statement,
            "exec_statement": lambda n: self.fail("Python 2 exec statement", n),
            "if_statement": self.if_statement,
            "for_statement": self.for_statement,
            "while_statement": self.while_statement,
            "try_statement": self.try_statement,
            "with_statement": self.with_statement,
            "function_definition": lambda n: self.function_definition(n, []),
            "class_definition": lambda n: self.class_definition(n, []),
            "decorated_definition": self.decorated_definition,
            "match_statement": self.match_statement,
        }
        self.expr_table: dict[str, Callable[[Node], ast.expr]] = {
            "identifier": self.name,
            "keyword_identifier": self.name,
            "integer": self.integer,
            "float": self.float_,
            "true": lambda n: _at(ast.Constant, _loc(n), value=True, kind=None),
            "false": lambda n: _at(ast.Constant, _loc(n), value=False, kind=None),
            "none": lambda n: _at(ast.Constant, _loc(n), value=None, kind=None),
            "ellipsis": lambda n: _at(ast.Constant, _loc(n), value=..., kind=None),
            "string": self.strings,
            "concatenated_string": self.strings,
            "attribute": self.postfix,
            "subscript": self.postfix,
            "call": self.postfix,
            "binary_operator": self.binary_operator,
            "unary_operator": self.unary_operator,
            "not_operator": self.not_operator,
            "boolean_operator": self.boolean_operator,
            "comparison_operator": self.comparison_operator,
            "conditional_expression": self.conditional_expression,
            "named_expression": self.named_expression,
            "lambda": self.lambda_,
            "await": self.await_,
            "yield": self.yield_,
            "parenthesized_expression": self.parenthesized_expression,
            "tuple": self.tuple_,
            "list": self.list_,
            "set": self.set_,
            "dictionary": self.dictionary,
            "list_comprehension": self.comprehension,
            "set_comprehension": self.comprehension,
            "dictionary_comprehension": self.comprehension,
            "generator_expression": self.comprehension,
            "list_splat": self.starred,
            "list_splat_pattern": self.starred,
            "parenthesized_list_splat": self.parenthesized_expression,
            "expression_list": self.bare_tuple,
            "pattern_list": self.bare_tuple,
            "tuple_pattern": self.tuple_,
            "list_pattern": self.list_,
            # annotations (tree-sitter's ``type`` sub-grammar)
            "type": self.type_,
            "generic_type": self.generic_type,
            "union_type": self.union_type,
            "member_type": self.member_type,
            "splat_type": self.splat_type,
        }
        self.pattern_table: dict[str, Callable[[Node], ast.pattern]] = {
            "case_pattern": self.case_pattern,
            "as_pattern": self.as_pattern,
            "union_pattern": self.union_pattern,
            "list_pattern": self.sequence_pattern,
            "tuple_pattern": self.sequence_pattern,
            "dict_pattern": self.dict_pattern,
            "class_pattern": self.class_pattern,
            "splat_pattern": self.splat_pattern,
        }

    # ------------------------------------------------------------------ errors

    def fail(self, msg: str, where: Node | Loc) -> NoReturn:
        if isinstance(where, tuple):
            row, col = where[0] - 1, where[1]
        else:
            row, col = where.start_point
        lines = self.data.split(b"\n")
        line = lines[row] if row < len(lines) else b""
        offset = len(line[:col].decode("utf-8", "replace")) + 1
        text = line.decode("utf-8", "replace")
        raise SyntaxError(msg, (self.filename, row + 1, offset, text))

    def check_errors(self) -> None:
        """Raise SyntaxError at the first ERROR or MISSING node.

        ERROR nodes inside the type-parameter list of a def, class or type alias
        are left to :meth:`type_params` (tree-sitter-python has no PEP 696
        defaults; that method re-reads the list itself).
        """
        if not self.root.has_error:
            return
        stack = [self.root]
        while stack:
            node = stack.pop()
            if node.is_missing:
                self.fail(f"expected '{node.type}'", node)
            if node.is_error:
                self.fail("invalid syntax", _innermost_error(node))
            if not node.has_error:
                continue
            children = node.children
            for child in reversed(children):
                if child.type == "type_parameter" and node.type in (
                    "function_definition",
                    "class_definition",
                ):
                    continue
                if (
                    child.type == "type"
                    and node.type == "type_alias_statement"
                    and node.child_by_field_name("left") == child
                    and child.named_child_count == 1
                    and child.named_children[0].type == "generic_type"
                ):
                    generic = child.named_children[0]
                    stack.extend(c for c in generic.children if c.type != "type_parameter")
                    continue
                stack.append(child)

    # ------------------------------------------------------------------ tree access

    def field(self, node: Node, name: str) -> Node:
        """The child in field ``name``, which the grammar says is always there."""
        child = node.child_by_field_name(name)
        if child is None:
            self.fail("invalid syntax", node)
        return child

    def text(self, node: Node) -> str:
        return self.data[node.start_byte : node.end_byte].decode("utf-8", "surrogatepass")

    def between(self, start: int, end: int) -> str:
        return self.data[start:end].decode("utf-8", "surrogatepass")

    def ident(self, node: Node) -> str:
        if self.patched and node.start_byte in self.patched:
            return "type"
        name = self.text(node)
        if name in _KEYWORDS:
            self.fail("invalid syntax", node)
        if not name.isascii():
            name = unicodedata.normalize("NFKC", name)
        return name

    # ------------------------------------------------------------------ module

    def module(self) -> ast.Module:
        kids = [c for c in self.root.named_children if c.type not in _EXTRAS]
        self.check_indentation(kids, 0)
        body = [self.stmt(c) for c in kids]
        return ast.Module(body=body, type_ignores=[])

    def check_indentation(self, statements: list[Node], column: int | None) -> None:
        """Statements that start a line must all start at the same column, and
        each must keep to its logical line.

        (tree-sitter-python's scanner tolerates some inconsistent indentation, and
        ignores a newline where the grammar cannot end a statement: it reads
        ``x =`` and ``y = 1`` on the next line as ``x = y = 1``.)
        """
        previous: Node | None = None
        for stmt in statements:
            if stmt.start_point[0] != stmt.end_point[0]:
                self.check_statement_lines(stmt)
            row, col = stmt.start_point
            if previous is not None and row == previous.end_point[0]:
                # on the line of the previous statement: only after a ";"
                between = self.data[previous.end_byte : stmt.start_byte]
                if between.strip() != b";" or stmt.type in _COMPOUND:
                    self.fail("invalid syntax", stmt)
            elif column is None:
                column = col
            elif col != column and not self._only_form_feeds(stmt.start_byte - col, col):
                self.fail(
                    "unexpected indent"
                    if col > column
                    else "unindent does not match any outer indentation level",
                    stmt,
                )
            previous = stmt

    def check_statement_lines(self, node: Node) -> None:
        """Check the logical lines of a statement: all of a simple one, the
        header (and decorators, and clause headers) of a compound one."""
        if node.type not in _COMPOUND and node.type not in _CLAUSES:
            self.check_logical_line([node])
            return
        header: list[Node] = []
        in_header = True
        for child in node.children:
            kind = child.type
            if kind == "decorator":
                self.check_logical_line([child])
            elif kind in _COMPOUND or kind in _CLAUSES:
                self.check_statement_lines(child)
                in_header = False
            elif kind == "block":
                in_header = False
            elif in_header:
                header.append(child)
        if header and header[0].start_point[0] != header[-1].end_point[0]:
            self.check_logical_line(header)

    def check_logical_line(self, nodes: list[Node]) -> None:
        """Outside brackets and strings, ``nodes`` must sit on one line, or on
        lines joined with backslashes."""
        row = nodes[0].start_point[0]
        previous_end = nodes[0].start_byte
        depth = 0
        stack = list(reversed(nodes))
        while stack:
            node = stack.pop()
            kind = node.type
            if kind in _EXTRAS:
                continue
            if (
                depth == 0
                and node.start_point[0] != row
                and not self._backslash_joined(previous_end, node.start_byte)
            ):
                self.fail("invalid syntax", node)
            if node.child_count and kind not in _BRACKETED:
                stack.extend(reversed(node.children))
                continue
            if kind in _OPENING:
                depth += 1
            elif kind in _CLOSING:
                depth -= 1
            row = node.end_point[0]
            previous_end = node.end_byte

    def _backslash_joined(self, start: int, end: int) -> bool:
        """Whether every line break between two tokens follows a backslash."""
        lines = self.data[start:end].split(b"\n")
        return all(line.strip(b" \t\x0c") == b"\\" for line in lines[:-1])

    def _only_form_feeds(self, line_start: int, col: int) -> bool:
        return col > 0 and set(self.data[line_start : line_start + col]) <= {0x0C}

    def stmt(self, node: Node) -> ast.stmt:
        handler = self.stmt_table.get(node.type)
        if handler is None:
            self.fail(f"unexpected {node.type.replace('_', ' ')}", node)
        return handler(node)

    def body(self, block: Node | None) -> list[ast.stmt]:
        if block is None:
            return []
        kids = [c for c in block.named_children if c.type not in _EXTRAS]
        if not kids:
            self.fail("expected an indented block", block)
        self.check_indentation(kids, None)
        out = [self.stmt(c) for c in kids]
        after = self._token_after(block, kids[-1])
        if after is not None and after.type == ";":
            # a compound statement ends at its last token, a trailing ";" included
            self.ends[id(out)] = _join(_aloc(out[-1]), _loc(after))
        return out

    def end_of(self, body: list[ast.stmt]) -> Loc:
        """Where a compound statement whose last suite is ``body`` ends."""
        return self.ends.get(id(body)) or _aloc(body[-1])

    def expr(self, node: Node) -> ast.expr:
        handler = self.expr_table.get(node.type)
        if handler is None:
            self.fail(f"invalid syntax ({node.type.replace('_', ' ')})", node)
        return handler(node)

    def target(self, node: Node, ctx: ast.expr_context) -> ast.expr:
        result = self.expr(node)
        if not isinstance(
            result, (ast.Name, ast.Attribute, ast.Subscript, ast.Starred, ast.Tuple, ast.List)
        ):
            self.fail("cannot assign to expression", node)
        if isinstance(ctx, ast.Del) and any(isinstance(n, ast.Starred) for n in ast.walk(result)):
            self.fail("cannot delete starred", node)
        _set_ctx(result, ctx)
        return result

    # ------------------------------------------------------------------ simple statements

    def expression_statement(self, node: Node) -> ast.stmt:
        kids = _kids(node)
        loc = _loc(node)
        first = kids[0]
        if len(kids) == 1:
            if first.type == "assignment":
                return self.assignment(first, loc)
            if first.type == "augmented_assignment":
                return self.augmented_assignment(first, loc)
            if first.type == "named_expression":
                self.fail("invalid syntax", first)  # ``x := 1`` needs parentheses here
            if not any(c.type == "," for c in node.children):
                return _at(ast.Expr, loc, value=self.expr(first))
        elts = [self.expr(k) for k in kids]
        return _at(ast.Expr, loc, value=_at(ast.Tuple, loc, elts=elts, ctx=ast.Load()))

    def assignment(self, node: Node, loc: Loc) -> ast.stmt:
        targets: list[ast.expr] = []
        current = node
        while True:
            left = self.field(current, "left")
            right = current.child_by_field_name("right")
            annotation = current.child_by_field_name("type")
            if annotation is not None:
                if targets:
                    self.fail("invalid syntax", annotation)
                target = self.target(left, ast.Store())
                if isinstance(target, (ast.Tuple, ast.List)):
                    self.fail("only single target (not tuple) can be annotated", left)
                if isinstance(target, ast.Starred):
                    self.fail("invalid syntax", left)
                simple = int(left.type == "identifier" or left.type == "keyword_identifier")
                value = None if right is None else self.right_hand_side(right)
                return _at(
                    ast.AnnAssign,
                    loc,
                    target=target,
                    annotation=self.expr(annotation),
                    value=value,
                    simple=simple,
                )
            targets.append(self.target(left, ast.Store()))
            if right is None:
                self.fail("invalid syntax", current)
            if right.type == "assignment":
                current = right
                continue
            return _at(
                ast.Assign,
                loc,
                targets=targets,
                value=self.right_hand_side(right),
                type_comment=None,
            )

    def right_hand_side(self, node: Node) -> ast.expr:
        if node.type in ("assignment", "augmented_assignment", "named_expression"):
            self.fail("invalid syntax", node)
        return self.expr(node)

    def augmented_assignment(self, node: Node, loc: Loc) -> ast.stmt:
        left = self.field(node, "left")
        op = self.field(node, "operator")
        right = self.field(node, "right")
        target = self.target(left, ast.Store())
        if not isinstance(target, (ast.Name, ast.Attribute, ast.Subscript)):
            self.fail("illegal expression for augmented assignment", left)
        return _at(
            ast.AugAssign,
            loc,
            target=target,
            op=_AUGOPS[op.type](),
            value=self.right_hand_side(right),
        )

    def return_statement(self, node: Node) -> ast.stmt:
        kids = _kids(node)
        return _at(ast.Return, _loc(node), value=self.expr(kids[0]) if kids else None)

    def delete_statement(self, node: Node) -> ast.stmt:
        (what,) = _kids(node)
        items = _kids(what) if what.type == "expression_list" else [what]
        return _at(ast.Delete, _loc(node), targets=[self.target(t, ast.Del()) for t in items])

    def raise_statement(self, node: Node) -> ast.stmt:
        cause_node = node.child_by_field_name("cause")
        exc = None
        for kid in _kids(node):
            if cause_node is not None and kid == cause_node:
                break
            if kid.type == "expression_list":
                self.fail("invalid syntax", kid)
            exc = self.expr(kid)
        cause = self.expr(cause_node) if cause_node is not None else None
        return _at(ast.Raise, _loc(node), exc=exc, cause=cause)

    def global_statement(self, node: Node) -> ast.stmt:
        cls = ast.Global if node.type == "global_statement" else ast.Nonlocal
        return _at(cls, _loc(node), names=[self.ident(k) for k in _kids(node)])

    def dotted(self, node: Node) -> str:
        return ".".join(self.ident(k) for k in _kids(node))

    def alias(self, node: Node) -> ast.alias:
        if node.type == "aliased_import":
            name = self.field(node, "name")
            asname = self.field(node, "alias")
            return _at(ast.alias, _loc(node), name=self.dotted(name), asname=self.ident(asname))
        return _at(ast.alias, _loc(node), name=self.dotted(node), asname=None)

    def import_statement(self, node: Node) -> ast.stmt:
        names = [self.alias(n) for n in node.children_by_field_name("name")]
        return _at(ast.Import, _loc(node), names=names)

    def import_from_statement(self, node: Node) -> ast.stmt:
        level = 0
        module: str | None
        if node.type == "future_import_statement":
            module = "__future__"
        else:
            source = self.field(node, "module_name")
            if source.type == "relative_import":
                module = None
                for kid in _kids(source):
                    if kid.type == "import_prefix":
                        level = self.text(kid).count(".")
                    else:
                        module = self.dotted(kid)
            else:
                module = self.dotted(source)
        wildcard = next((c for c in node.named_children if c.type == "wildcard_import"), None)
        if wildcard is not None:
            names = [_at(ast.alias, _loc(wildcard), name="*", asname=None)]
        else:
            names = [self.alias(n) for n in node.children_by_field_name("name")]
        return _at(ast.ImportFrom, _loc(node), module=module, names=names, level=level)

    def assert_statement(self, node: Node) -> ast.stmt:
        kids = _kids(node)
        if len(kids) > 2:
            self.fail("invalid syntax", kids[2])
        msg = self.expr(kids[1]) if len(kids) > 1 else None
        return _at(ast.Assert, _loc(node), test=self.expr(kids[0]), msg=msg)

    def print_statement(self, node: Node) -> ast.stmt:
        """``print >>f, x`` is a valid (if odd) Python 3 expression; others are not."""
        kids = _kids(node)
        if not kids or kids[0].type != "chevron":
            self.fail("Missing parentheses in call to 'print'", node)
        chevron = kids[0]
        (target,) = _kids(chevron)
        print_tok = node.children[0]
        name = _at(ast.Name, _loc(print_tok), id="print", ctx=ast.Load())
        shifted = _at(
            ast.BinOp,
            _join(_loc(print_tok), _loc(chevron)),
            left=name,
            op=ast.RShift(),
            right=self.expr(target),
        )
        elts = [shifted] + [self.expr(k) for k in kids[1:]]
        loc = _loc(node)
        if len(elts) == 1 and node.children[-1].type != ",":
            return _at(ast.Expr, loc, value=shifted)
        return _at(ast.Expr, loc, value=_at(ast.Tuple, loc, elts=elts, ctx=ast.Load()))

    # ------------------------------------------------------------------ compound statements

    def if_statement(self, node: Node) -> ast.stmt:
        orelse: list[ast.stmt] = []
        for alt in reversed(node.children_by_field_name("alternative")):
            if alt.type == "else_clause":
                orelse = self.body(alt.child_by_field_name("body"))
                continue
            body = self.body(alt.child_by_field_name("consequence"))
            end = self.end_of(orelse or body)
            test = self.expr(self.field(alt, "condition"))
            orelse = [_at(ast.If, _join(_loc(alt), end), test=test, body=body, orelse=orelse)]
        body = self.body(node.child_by_field_name("consequence"))
        end = self.end_of(orelse or body)
        test = self.expr(self.field(node, "condition"))
        return _at(ast.If, _join(_loc(node), end), test=test, body=body, orelse=orelse)

    def else_body(self, node: Node) -> list[ast.stmt]:
        alt = node.child_by_field_name("alternative")
        return self.body(alt.child_by_field_name("body")) if alt is not None else []

    def for_statement(self, node: Node) -> ast.stmt:
        is_async = node.children[0].type == "async"
        target = self.target(self.field(node, "left"), ast.Store())
        iter_ = self.expr(self.field(node, "right"))
        body = self.body(node.child_by_field_name("body"))
        orelse = self.else_body(node)
        loc = _join(_loc(node), self.end_of(orelse or body))
        cls = ast.AsyncFor if is_async else ast.For
        return _at(cls, loc, target=target, iter=iter_, body=body, orelse=orelse, type_comment=None)

    def while_statement(self, node: Node) -> ast.stmt:
        test = self.expr(self.field(node, "condition"))
        body = self.body(node.child_by_field_name("body"))
        orelse = self.else_body(node)
        loc = _join(_loc(node), self.end_of(orelse or body))
        return _at(ast.While, loc, test=test, body=body, orelse=orelse)

    def try_statement(self, node: Node) -> ast.stmt:
        body = self.body(node.child_by_field_name("body"))
        handlers: list[ast.ExceptHandler] = []
        orelse: list[ast.stmt] = []
        finalbody: list[ast.stmt] = []
        star = False
        for kid in _kids(node):
            if kid.type == "except_clause":
                handler, is_star = self.except_clause(kid)
                star = star or is_star
                handlers.append(handler)
            elif kid.type == "else_clause":
                orelse = self.body(kid.child_by_field_name("body"))
            elif kid.type == "finally_clause":
                finalbody = self.body(next(k for k in _kids(kid) if k.type == "block"))
        if finalbody or orelse or not handlers:
            end = self.end_of(finalbody or orelse or body)
        else:
            end = _aloc(handlers[-1])
        loc = _join(_loc(node), end)
        if not handlers and not finalbody:
            self.fail("expected 'except' or 'finally' block", node)
        cls = _NEWER["TryStar"] if star and _HAS_TRY_STAR else ast.Try
        return _at(cls, loc, body=body, handlers=handlers, orelse=orelse, finalbody=finalbody)

    def except_clause(self, node: Node) -> tuple[ast.ExceptHandler, bool]:
        is_star = any(c.type == "*" for c in node.children[:2])
        values = node.children_by_field_name("value")
        alias = None
        if len(values) == 1 and values[0].type == "as_pattern":
            # ``except E as e`` comes as an as_pattern expression
            (alias,) = _kids(self.field(values[0], "alias"))
            values = [_kids(values[0])[0]]
        block = next(k for k in _kids(node) if k.type == "block")
        body = self.body(block)
        type_: ast.expr | None = None
        if len(values) == 1:
            type_ = self.expr(values[0])
        elif values:
            elts = [self.expr(v) for v in values]
            loc = _join(_aloc(elts[0]), _aloc(elts[-1]))
            type_ = _at(ast.Tuple, loc, elts=elts, ctx=ast.Load())
        name = None
        if alias is not None:
            if alias.type != "identifier":
                self.fail("invalid syntax", alias)
            name = self.ident(alias)
        loc = _join(_loc(node), self.end_of(body))
        return _at(ast.ExceptHandler, loc, type=type_, name=name, body=body), is_star

    def with_statement(self, node: Node) -> ast.stmt:
        is_async = node.children[0].type == "async"
        clause = next(k for k in _kids(node) if k.type == "with_clause")
        item_nodes = _kids(clause)
        if len(item_nodes) == 1:
            value = self.field(item_nodes[0], "value")
            elements = _kids(value)
            if value.type == "tuple" and elements and all(e.type != "list_splat" for e in elements):
                # ``with (a,):`` is CPython's parenthesized form: one item ``a``
                item_nodes = elements
        items = [self.with_item(k) for k in item_nodes]
        body = self.body(node.child_by_field_name("body"))
        loc = _join(_loc(node), self.end_of(body))
        cls = ast.AsyncWith if is_async else ast.With
        return _at(cls, loc, items=items, body=body, type_comment=None)

    def with_item(self, node: Node) -> ast.withitem:
        value = self.field(node, "value") if node.type == "with_item" else node
        if value.type == "parenthesized_expression":
            inner = _kids(value)
            if len(inner) == 1 and inner[0].type == "as_pattern":
                value = inner[0]  # ``with (a as b):``
        if value.type == "as_pattern":
            kids = _kids(value)
            target_wrapper = self.field(value, "alias")
            (target,) = _kids(target_wrapper)
            return ast.withitem(
                context_expr=self.expr(kids[0]), optional_vars=self.target(target, ast.Store())
            )
        return ast.withitem(context_expr=self.expr(value), optional_vars=None)

    def decorated_definition(self, node: Node) -> ast.stmt:
        decorators = [self.expr(_kids(d)[0]) for d in _kids(node) if d.type == "decorator"]
        definition = self.field(node, "definition")
        if definition.type == "class_definition":
            return self.class_definition(definition, decorators)
        return self.function_definition(definition, decorators)

    def function_definition(self, node: Node, decorators: list[ast.expr]) -> ast.stmt:
        is_async = node.children[0].type == "async"
        name = self.field(node, "name")
        params = self.field(node, "parameters")
        returns_node = node.child_by_field_name("return_type")
        type_params = self.type_params(node.child_by_field_name("type_parameters"))
        args = self.arguments(_kids(params), annotations=True)
        returns = self.expr(returns_node) if returns_node is not None else None
        body = self.body(node.child_by_field_name("body"))
        fields: dict[str, Any] = dict(
            name=self.ident(name),
            args=args,
            body=body,
            decorator_list=decorators,
            returns=returns,
            type_comment=None,
        )
        if _HAS_TYPE_PARAMS:
            fields["type_params"] = type_params
        cls = ast.AsyncFunctionDef if is_async else ast.FunctionDef
        return _at(cls, _join(_loc(node), self.end_of(body)), **fields)

    def class_definition(self, node: Node, decorators: list[ast.expr]) -> ast.stmt:
        name = self.field(node, "name")
        type_params = self.type_params(node.child_by_field_name("type_parameters"))
        superclasses = node.child_by_field_name("superclasses")
        bases: list[ast.expr] = []
        keywords: list[ast.keyword] = []
        if superclasses is not None:
            bases, keywords = self.call_arguments(superclasses)
        body = self.body(node.child_by_field_name("body"))
        fields: dict[str, Any] = dict(
            name=self.ident(name),
            bases=bases,
            keywords=keywords,
            body=body,
            decorator_list=decorators,
        )
        if _HAS_TYPE_PARAMS:
            fields["type_params"] = type_params
        return _at(ast.ClassDef, _join(_loc(node), self.end_of(body)), **fields)

    def type_alias_statement(self, node: Node) -> ast.stmt:
        left = self.field(node, "left")
        right = self.field(node, "right")
        (inner,) = _kids(left)
        params_node = None
        if inner.type == "generic_type" and _kids(inner)[0].type == "identifier":
            name_node = _kids(inner)[0]
            params_node = next(c for c in inner.children if c.type == "type_parameter")
        elif inner.type == "identifier":
            name_node = inner
        else:
            raise _NotATypeAlias(node.start_byte)
        type_params = self.type_params(params_node)
        name = _at(ast.Name, _loc(name_node), id=self.ident(name_node), ctx=ast.Store())
        value = self.expr(right)
        if isinstance(value, (ast.Starred, ast.NamedExpr, ast.Yield, ast.YieldFrom)) and (
            _kids(right)[0].type != "parenthesized_expression"
        ):
            self.fail("invalid syntax", right)
        if _HAS_TYPE_ALIAS:
            return _at(
                _NEWER["TypeAlias"], _loc(node), name=name, type_params=type_params, value=value
            )
        return _at(ast.Assign, _loc(node), targets=[name], value=value, type_comment=None)

    # ------------------------------------------------------------------ parameters

    def arguments(self, params: Sequence[Node], annotations: bool) -> ast.arguments:
        posonly: list[ast.arg] = []
        args: list[ast.arg] = []
        defaults: list[ast.expr] = []
        kwonly: list[ast.arg] = []
        kw_defaults: list[ast.expr | None] = []
        vararg = kwarg = None
        keyword_only = False
        for param in params:
            kind = param.type
            if kind == "positional_separator":
                if keyword_only or posonly:
                    self.fail("/ must be ahead of *", param)
                posonly, args = args, []
                continue
            if kind == "keyword_separator":
                keyword_only = True
                continue
            default = None
            if kind in ("default_parameter", "typed_default_parameter"):
                value = self.field(param, "value")
                default = self.expr(value)
            star, arg = self.parameter(param, annotations)
            if star == "*":
                vararg = arg
                keyword_only = True
            elif star == "**":
                kwarg = arg
            elif keyword_only:
                kwonly.append(arg)
                kw_defaults.append(default)
            else:
                if default is None and defaults:
                    self.fail("non-default argument follows default argument", param)
                args.append(arg)
                if default is not None:
                    defaults.append(default)
        if keyword_only and vararg is None and not kwonly:
            self.fail("named arguments must follow bare *", params[-1])
        return ast.arguments(
            posonlyargs=posonly,
            args=args,
            vararg=vararg,
            kwonlyargs=kwonly,
            kw_defaults=kw_defaults,
            kwarg=kwarg,
            defaults=defaults,
        )

    def parameter(self, node: Node, annotations: bool) -> tuple[str, ast.arg]:
        """A parameter's star prefix ('', '*' or '**') and its ``arg`` node."""
        kind = node.type
        annotation_node = None
        if kind == "typed_parameter":
            annotation_node = node.child_by_field_name("type")
            inner = _kids(node)[0]
        elif kind in ("default_parameter", "typed_default_parameter"):
            annotation_node = node.child_by_field_name("type")
            inner = self.field(node, "name")
        else:
            inner = node
        if annotation_node is not None and not annotations:
            self.fail("invalid syntax", annotation_node)
        star = ""
        if inner.type in ("list_splat_pattern", "dictionary_splat_pattern"):
            star = "*" if inner.type == "list_splat_pattern" else "**"
            inner = _kids(inner)[0]
        if inner.type not in ("identifier", "keyword_identifier"):
            self.fail("invalid syntax", inner)
        annotation = None
        loc = _loc(inner)
        if annotation_node is not None:
            annotation = self.expr(annotation_node)
            loc = _join(loc, _loc(annotation_node))
        return star, _at(
            ast.arg, loc, arg=self.ident(inner), annotation=annotation, type_comment=None
        )

    # ------------------------------------------------------------------ type parameters

    def type_params(self, node: Node | None) -> list[Any]:
        """PEP 695/696 type parameters, read from the tokens of ``[...]``.

        tree-sitter-python has no rule for PEP 696 defaults and recovers from them
        with ERROR nodes in odd places, so the list is re-read from its tokens
        rather than from the (partly broken) tree shape.
        """
        if node is None:
            return []
        tokens: list[Node] = []
        self._leaf_tokens(node, tokens)
        for token in tokens:
            if token.is_missing or token.is_error:
                self.fail("invalid syntax", token)
        if len(tokens) < 2 or tokens[0].type != "[" or tokens[-1].type != "]":
            self.fail("invalid syntax", node)
        tokens = tokens[1:-1]
        groups: list[list[Node]] = []
        while tokens:
            comma = _top_level_index(tokens, ",")
            if comma == 0:
                self.fail("invalid syntax", tokens[0])
            groups.append(tokens[:comma])
            tokens = tokens[comma + 1 :]  # a trailing comma leaves no empty group
        if not groups:
            self.fail("type parameter list cannot be empty", node)
        return [self.type_param(g) for g in groups]

    def _leaf_tokens(self, node: Node, out: list[Node]) -> None:
        """The tokens under ``node``, strings kept whole."""
        stack = [node]
        while stack:
            current = stack.pop()
            if current.type in _EXTRAS:
                continue
            if current.child_count == 0 or current.type in ("string", "concatenated_string"):
                out.append(current)
            else:
                stack.extend(reversed(current.children))

    def type_param(self, tokens: list[Node]) -> Any:
        star = tokens[0].type if tokens[0].type in ("*", "**") else ""
        rest = tokens[1:] if star else tokens
        if not rest or rest[0].type != "identifier":
            self.fail("invalid syntax", rest[0] if rest else tokens[0])
        name_node, rest = rest[0], rest[1:]
        bound_tokens: list[Node] = []
        if rest and rest[0].type == ":":
            equals = _top_level_index(rest, "=")
            bound_tokens, rest = rest[1:equals], rest[equals:]
            if not bound_tokens or star:
                self.fail("invalid syntax", rest[0] if rest else name_node)
        default_tokens: list[Node] = []
        if rest:
            if rest[0].type != "=" or len(rest) < 2:
                self.fail("invalid syntax", rest[0])
            default_tokens = rest[1:]
        if (bound_tokens and bound_tokens[0].type == "*") or (
            default_tokens and default_tokens[0].type == "*" and star != "*"
        ):
            self.fail("invalid syntax", (bound_tokens or default_tokens)[0])
        if not _HAS_TYPE_PARAMS:
            return None
        bound = self.tokens_expr(bound_tokens) if bound_tokens else None
        fields: dict[str, Any] = {"name": self.ident(name_node)}
        if _HAS_TYPE_PARAM_DEFAULTS:
            fields["default_value"] = self.tokens_expr(default_tokens) if default_tokens else None
        end = (default_tokens or bound_tokens or [name_node])[-1]
        loc = _join(_loc(tokens[0]), _loc(end))
        if star == "*":
            return _at(_NEWER["TypeVarTuple"], loc, **fields)
        if star == "**":
            return _at(_NEWER["ParamSpec"], loc, **fields)
        return _at(_NEWER["TypeVar"], loc, bound=bound, **fields)

    def tokens_expr(self, tokens: list[Node]) -> ast.expr:
        """The expression spelled by ``tokens``: its node if the tree has a sound
        one, else the source range parsed again on its own."""
        if tokens[0].type == "*":  # ``*Ts = *tuple[int, ...]``
            value = self.tokens_expr(tokens[1:])
            loc = _join(_loc(tokens[0]), _aloc(value))
            return _at(ast.Starred, loc, value=value, ctx=ast.Load())
        start, end = tokens[0].start_byte, tokens[-1].end_byte
        node = self.root.named_descendant_for_byte_range(start, end)
        if (
            node is not None
            and node.start_byte == start
            and node.end_byte == end
            and node.type in self.expr_table
            and node.type not in ("yield", "named_expression", "list_splat")
            and not node.has_error
        ):
            return self.expr(node)
        return self.reparse_expression(tokens[0], tokens[-1])

    def reparse_expression(self, first: Node, last: Node) -> ast.expr:
        """Parse the source from ``first`` to ``last`` alone as an expression.

        The text is put in parentheses, with the first line padded so that columns
        stay the same; line numbers are shifted back afterwards.
        """
        row, col = first.start_point
        if col >= 1:
            prefix, row_shift = b"(" + b" " * (col - 1), row
        else:
            prefix, row_shift = b"(\n", row - 1
        text = self.data[first.start_byte : last.end_byte]
        buf = prefix + text + b")\n"
        root = _parser().parse(buf).root_node
        kids = _kids(root.named_children[0]) if root.named_child_count == 1 else []
        if root.has_error or len(kids) != 1 or kids[0].type != "parenthesized_expression":
            self.fail("invalid syntax", first)
        (inner,) = _kids(kids[0])
        if inner.type in ("yield", "named_expression", "list_splat"):
            self.fail("invalid syntax", first)  # allowed in the parentheses only
        result = _Converter(buf, root, self.filename).expr(inner)
        return ast.increment_lineno(result, row_shift)

    # ------------------------------------------------------------------ match statement

    def match_statement(self, node: Node) -> ast.stmt:
        subjects = node.children_by_field_name("subject")
        body = self.field(node, "body")
        if len(subjects) == 1 and not self._has_trailing_comma(node, subjects[-1]):
            subject = self.expr(subjects[0])
        else:
            elts = [self.expr(s) for s in subjects]
            end = self._after_trailing_comma(node, subjects[-1])
            subject = _at(ast.Tuple, _join(_loc(subjects[0]), end), elts=elts, ctx=ast.Load())
        cases = [self.case_clause(c) for c in _kids(body) if c.type == "case_clause"]
        if not cases:
            self.fail("expected an indented block", body)
        loc = _join(_loc(node), self.end_of(cases[-1].body))
        return _at(ast.Match, loc, subject=subject, cases=cases)

    @staticmethod
    def _token_after(parent: Node, last: Node) -> Node | None:
        """The first non-comment token of ``parent`` after its child ``last``.

        (Scans ``parent.children``: tree-sitter's ``next_sibling`` walks down from
        the root, which is slow in deep trees.)
        """
        end = last.end_byte
        for child in parent.children:
            if child.start_byte >= end and child.type not in _EXTRAS and child != last:
                return child
        return None

    def _has_trailing_comma(self, parent: Node, last: Node) -> bool:
        after = self._token_after(parent, last)
        return after is not None and after.type == ","

    def _after_trailing_comma(self, parent: Node, last: Node) -> Loc:
        after = self._token_after(parent, last)
        if after is not None and after.type == ",":
            return _loc(after)
        return _loc(last)

    def case_clause(self, node: Node) -> ast.match_case:
        if node.start_point[0] != node.end_point[0]:
            header = [c for c in node.children if c.end_byte <= node.children[-1].start_byte]
            if header[0].start_point[0] != header[-1].end_point[0]:
                self.check_logical_line(header)
        patterns = [k for k in _kids(node) if k.type == "case_pattern"]
        if len(patterns) == 1 and not self._has_trailing_comma(node, patterns[0]):
            pattern = self.pattern(patterns[0])
        else:
            end = self._after_trailing_comma(node, patterns[-1])
            loc = _join(_loc(patterns[0]), end)
            pattern = _at(ast.MatchSequence, loc, patterns=[self.pattern(p) for p in patterns])
        guard_node = node.child_by_field_name("guard")
        guard = self.expr(_kids(guard_node)[0]) if guard_node is not None else None
        body = self.body(node.child_by_field_name("consequence"))
        return ast.match_case(pattern=pattern, guard=guard, body=body)

    def pattern(self, node: Node) -> ast.pattern:
        handler = self.pattern_table.get(node.type)
        if handler is not None:
            return handler(node)
        return self.simple_pattern([node])

    def case_pattern(self, node: Node) -> ast.pattern:
        parts = _tokens(node)
        if len(parts) == 1:
            return self.pattern(parts[0])
        return self.simple_pattern(parts)

    def simple_pattern(self, parts: list[Node]) -> ast.pattern:
        """A pattern of one node, or of ``-`` and a number."""
        first = parts[0]
        loc = _join(_loc(first), _loc(parts[-1]))
        if len(parts) == 1:
            kind = first.type
            if kind in self.pattern_table:
                return self.pattern(first)
            if kind == "_":
                return _at(ast.MatchAs, loc, pattern=None, name=None)
            if kind == "dotted_name":
                names = _kids(first)
                if len(names) == 1:
                    return _at(ast.MatchAs, loc, pattern=None, name=self.ident(names[0]))
                return _at(ast.MatchValue, loc, value=self.dotted_expr(first))
            if kind in ("true", "false", "none"):
                value = {"true": True, "false": False, "none": None}[kind]
                return _at(ast.MatchSingleton, loc, value=value)
        return _at(ast.MatchValue, loc, value=self.pattern_value(parts))

    def pattern_value(self, parts: list[Node]) -> ast.expr:
        """The expression of a literal or value pattern (also mapping keys)."""
        first = parts[0]
        if len(parts) == 2 and first.type == "-":
            operand = self.expr(parts[1])
            loc = _join(_loc(first), _loc(parts[1]))
            return _at(ast.UnaryOp, loc, op=ast.USub(), operand=operand)
        if len(parts) != 1:
            self.fail("invalid pattern", first)
        kind = first.type
        if kind == "complex_pattern":
            tokens = _tokens(first)
            op_index = next(i for i, t in enumerate(tokens) if i > 0 and t.type in ("+", "-"))
            left = self.pattern_value(tokens[:op_index])
            right = self.expr(tokens[op_index + 1])
            real = left.operand if isinstance(left, ast.UnaryOp) else left
            if not (
                isinstance(real, ast.Constant)
                and isinstance(real.value, (int, float))
                and isinstance(right, ast.Constant)
                and isinstance(right.value, complex)
            ):
                self.fail("real number required in complex literal", first)
            op = ast.Add() if tokens[op_index].type == "+" else ast.Sub()
            return _at(ast.BinOp, _loc(first), left=left, op=op, right=right)
        if kind == "dotted_name":
            return self.dotted_expr(first)
        if kind in ("string", "concatenated_string", "integer", "float", "true", "false", "none"):
            value = self.expr(first)
            if isinstance(value, ast.JoinedStr):
                self.fail("patterns may only match literals and attribute lookups", first)
            return value
        self.fail("invalid pattern", first)

    def dotted_expr(self, node: Node) -> ast.expr:
        names = _kids(node)
        result: ast.expr = self.name(names[0])
        start = _loc(names[0])
        for name in names[1:]:
            result = _at(
                ast.Attribute,
                _join(start, _loc(name)),
                value=result,
                attr=self.ident(name),
                ctx=ast.Load(),
            )
        return result

    def as_pattern(self, node: Node) -> ast.pattern:
        kids = _kids(node)
        inner = self.pattern(kids[0])
        name = kids[-1]
        if name.type != "identifier":
            self.fail("invalid pattern target", name)
        return _at(ast.MatchAs, _loc(node), pattern=inner, name=self.ident(name))

    def union_pattern(self, node: Node) -> ast.pattern:
        # tree-sitter nests ``a | b | c``; CPython has one flat MatchOr
        tokens: list[Node] = []
        stack = [node]
        while stack:
            current = stack.pop()
            if current.type == "union_pattern":
                stack.extend(reversed(_tokens(current)))
            else:
                tokens.append(current)
        alternatives: list[ast.pattern] = []
        group: list[Node] = []
        for tok in tokens:
            if tok.type == "|":
                alternatives.append(self.simple_pattern(group))
                group = []
            else:
                group.append(tok)
        alternatives.append(self.simple_pattern(group))
        return _at(ast.MatchOr, _loc(node), patterns=alternatives)

    def sequence_pattern(self, node: Node) -> ast.pattern:
        tokens = _tokens(node)
        items = [t for t in tokens if t.type == "case_pattern"]
        if (
            node.type == "tuple_pattern"
            and len(items) == 1
            and not any(t.type == "," for t in tokens)
        ):
            return self.pattern(items[0])  # a parenthesized pattern
        return _at(ast.MatchSequence, _loc(node), patterns=[self.pattern(p) for p in items])

    def splat_pattern(self, node: Node) -> ast.pattern:
        tokens = _tokens(node)
        name = None if tokens[-1].type == "_" else self.ident(tokens[-1])
        if tokens[0].type == "**":
            self.fail("invalid pattern", node)
        return _at(ast.MatchStar, _loc(node), name=name)

    def dict_pattern(self, node: Node) -> ast.pattern:
        keys: list[ast.expr] = []
        values: list[ast.pattern] = []
        rest = None
        key_parts: list[Node] = []
        tokens = _tokens(node)[1:-1]
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            if tok.type == ",":
                pass
            elif tok.type == "splat_pattern":
                parts = _tokens(tok)
                if parts[0].type != "**" or parts[-1].type == "_":
                    self.fail("invalid pattern", tok)
                rest = self.ident(parts[-1])
            elif tok.type == ":":
                keys.append(self.pattern_value(key_parts))
                key_parts = []
                i += 1
                values.append(self.pattern(tokens[i]))
            else:
                key_parts.append(tok)
            i += 1
        return _at(ast.MatchMapping, _loc(node), keys=keys, patterns=values, rest=rest)

    def class_pattern(self, node: Node) -> ast.pattern:
        kids = _kids(node)
        cls = self.dotted_expr(kids[0])
        patterns: list[ast.pattern] = []
        kwd_attrs: list[str] = []
        kwd_patterns: list[ast.pattern] = []
        for kid in kids[1:]:
            inner = _tokens(kid)
            if len(inner) == 1 and inner[0].type == "keyword_pattern":
                parts = _tokens(inner[0])
                kwd_attrs.append(self.ident(parts[0]))
                kwd_patterns.append(self.simple_pattern(parts[2:]))
            else:
                if kwd_attrs:
                    self.fail("positional patterns follow keyword patterns", kid)
                patterns.append(self.pattern(kid))
        return _at(
            ast.MatchClass,
            _loc(node),
            cls=cls,
            patterns=patterns,
            kwd_attrs=kwd_attrs,
            kwd_patterns=kwd_patterns,
        )

    # ------------------------------------------------------------------ atoms

    def name(self, node: Node) -> ast.expr:
        return _at(ast.Name, _loc(node), id=self.ident(node), ctx=ast.Load())

    def integer(self, node: Node) -> ast.expr:
        text = self.text(node)
        value: Any
        try:
            value = complex(0, float(text[:-1])) if text[-1] in "jJ" else int(text, 0)
        except ValueError:
            self.fail("invalid decimal literal", node)
        return _at(ast.Constant, _loc(node), value=value, kind=None)

    def float_(self, node: Node) -> ast.expr:
        text = self.text(node)
        value: Any
        try:
            value = complex(0, float(text[:-1])) if text[-1] in "jJ" else float(text)
        except ValueError:
            self.fail("invalid decimal literal", node)
        return _at(ast.Constant, _loc(node), value=value, kind=None)

    def parenthesized_expression(self, node: Node) -> ast.expr:
        kids = _kids(node)
        if len(kids) != 1:
            self.fail("invalid syntax", node)
        return self.expr(kids[0])

    def elements(self, node: Node) -> list[ast.expr]:
        kids = _kids(node)
        bare = node.type in ("expression_list", "pattern_list")
        for kid in kids:
            # ``yield`` needs parentheses of its own; ``:=`` does outside brackets
            if kid.type == "yield" or (bare and kid.type == "named_expression"):
                self.fail("invalid syntax", kid)
        return [self.expr(k) for k in kids]

    def tuple_(self, node: Node) -> ast.expr:
        if node.type == "tuple_pattern":
            tokens = _tokens(node)
            kids = _kids(node)
            if len(kids) == 1 and not any(t.type == "," for t in tokens):
                return self.expr(kids[0])  # a parenthesized target
        return _at(ast.Tuple, _loc(node), elts=self.elements(node), ctx=ast.Load())

    def bare_tuple(self, node: Node) -> ast.expr:
        return _at(ast.Tuple, _loc(node), elts=self.elements(node), ctx=ast.Load())

    def list_(self, node: Node) -> ast.expr:
        return _at(ast.List, _loc(node), elts=self.elements(node), ctx=ast.Load())

    def set_(self, node: Node) -> ast.expr:
        return _at(ast.Set, _loc(node), elts=self.elements(node))

    def dictionary(self, node: Node) -> ast.expr:
        keys: list[ast.expr | None] = []
        values: list[ast.expr] = []
        for kid in _kids(node):
            if kid.type == "pair":
                keys.append(self.expr(self.field(kid, "key")))
                values.append(self.expr(self.field(kid, "value")))
            else:  # dictionary_splat
                keys.append(None)
                values.append(self.expr(_kids(kid)[0]))
        return _at(ast.Dict, _loc(node), keys=keys, values=values)

    def starred(self, node: Node) -> ast.expr:
        (inner,) = _kids(node)
        return _at(ast.Starred, _loc(node), value=self.expr(inner), ctx=ast.Load())

    def comprehension(self, node: Node) -> ast.expr:
        body = self.field(node, "body")
        generators: list[ast.comprehension] = []
        for clause in _kids(node):
            if clause.type == "for_in_clause":
                generators.append(self.for_in_clause(clause))
            elif clause.type == "if_clause":
                generators[-1].ifs.append(self.expr(_kids(clause)[0]))
        loc = _loc(node)
        if node.type == "dictionary_comprehension":
            key = self.expr(self.field(body, "key"))
            value = self.expr(self.field(body, "value"))
            return _at(ast.DictComp, loc, key=key, value=value, generators=generators)
        cls = {
            "list_comprehension": ast.ListComp,
            "set_comprehension": ast.SetComp,
            "generator_expression": ast.GeneratorExp,
        }[node.type]
        return _at(cls, loc, elt=self.expr(body), generators=generators)

    def for_in_clause(self, node: Node) -> ast.comprehension:
        is_async = int(node.children[0].type == "async")
        target = self.target(self.field(node, "left"), ast.Store())
        rights = node.children_by_field_name("right")
        if len(rights) == 1 and not self._has_trailing_comma(node, rights[0]):
            iter_ = self.expr(rights[0])
        else:
            elts = [self.expr(r) for r in rights]
            loc = _join(_loc(rights[0]), self._after_trailing_comma(node, rights[-1]))
            iter_ = _at(ast.Tuple, loc, elts=elts, ctx=ast.Load())
        return ast.comprehension(target=target, iter=iter_, ifs=[], is_async=is_async)

    # ------------------------------------------------------------------ operators

    def postfix(self, node: Node) -> ast.expr:
        """Calls, attributes and subscripts, converted along the chain iteratively."""
        chain: list[Node] = []
        base = node
        while base.type in _POSTFIX_BASE:
            chain.append(base)
            base = self.field(base, _POSTFIX_BASE[base.type])
        star = None
        if base.type == "list_splat":
            # tree-sitter reads ``*f()`` as ``(*f)()``; CPython as ``*(f())``
            star = base
            base = _kids(base)[0]
        result = self.expr(base)
        start = _loc(base)
        for link in reversed(chain):
            loc = _join(start, _loc(link))
            if link.type == "attribute":
                attr = self.ident(self.field(link, "attribute"))
                result = _at(ast.Attribute, loc, value=result, attr=attr, ctx=ast.Load())
            elif link.type == "subscript":
                result = _at(
                    ast.Subscript,
                    loc,
                    value=result,
                    slice=self.subscript_slice(link),
                    ctx=ast.Load(),
                )
            else:
                arguments = self.field(link, "arguments")
                keywords: list[ast.keyword] = []
                if arguments.type == "generator_expression":
                    args = [self.expr(arguments)]
                else:
                    args, keywords = self.call_arguments(arguments)
                result = _at(ast.Call, loc, func=result, args=args, keywords=keywords)
        if star is not None:
            result = _at(
                ast.Starred, _join(_loc(star), _aloc(result)), value=result, ctx=ast.Load()
            )
        return result

    def subscript_slice(self, node: Node) -> ast.expr:
        items = node.children_by_field_name("subscript")
        elts = [self.slice_item(i) for i in items]
        trailing = self._has_trailing_comma(node, items[-1])
        if len(items) == 1 and not trailing and not isinstance(elts[0], ast.Starred):
            return elts[0]
        loc = _join(_loc(items[0]), self._after_trailing_comma(node, items[-1]))
        return _at(ast.Tuple, loc, elts=elts, ctx=ast.Load())

    def slice_item(self, node: Node) -> ast.expr:
        if node.type != "slice":
            return self.expr(node)
        parts: list[ast.expr | None] = [None, None, None]
        index = 0
        for tok in _tokens(node):
            if tok.type == ":":
                index += 1
            else:
                parts[index] = self.expr(tok)
        return _at(ast.Slice, _loc(node), lower=parts[0], upper=parts[1], step=parts[2])

    def call_arguments(self, node: Node) -> tuple[list[ast.expr], list[ast.keyword]]:
        args: list[ast.expr] = []
        keywords: list[ast.keyword] = []
        for kid in _kids(node):
            kind = kid.type
            if kind == "keyword_argument":
                name = self.field(kid, "name")
                value = self.field(kid, "value")
                if name.type not in ("identifier", "keyword_identifier"):
                    self.fail("expression cannot contain assignment", kid)
                keywords.append(
                    _at(ast.keyword, _loc(kid), arg=self.ident(name), value=self.expr(value))
                )
            elif kind == "dictionary_splat":
                keywords.append(
                    _at(ast.keyword, _loc(kid), arg=None, value=self.expr(_kids(kid)[0]))
                )
            else:
                if kind == "list_splat" and any(k.arg is None for k in keywords):
                    self.fail("iterable argument unpacking follows keyword argument unpacking", kid)
                if kind != "list_splat" and any(k.arg is None for k in keywords):
                    self.fail("positional argument follows keyword argument unpacking", kid)
                if kind != "list_splat" and keywords:
                    self.fail("positional argument follows keyword argument", kid)
                args.append(self.expr(kid))
        return args, keywords

    def binary_operator(self, node: Node) -> ast.expr:
        """A chain of binary operators, re-associated with Python's precedence."""
        operands: list[tuple[ast.expr, Loc]] = []
        operators: list[str] = []
        star: Loc | None = None
        stack: list[Node | str] = [node]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                operators.append(item)
                continue
            if item.type == "binary_operator":
                stack.extend(self._binary_parts(item))
                continue
            if item.type == "await":
                awaited = _kids(item)[0]
                if awaited.type == "binary_operator":
                    # ``await a ** b`` is ``(await a) ** b``; tree-sitter nests it the other way
                    self._await_chain(item, awaited, operands, operators)
                    continue
            operand = self.expr(item)
            if operands and isinstance(operand, ast.Starred):
                self.fail("invalid syntax", item)
            if not operands and isinstance(operand, ast.Starred):
                # ``*a.b + c`` is ``*(a.b + c)``; tree-sitter binds the star tighter
                star = _aloc(operand)
                operand = operand.value
                operands.append((operand, _aloc(operand)))
            else:
                operands.append((operand, _loc(item)))
        result, loc = self._associate(operands, operators)
        if star is not None:
            return _at(ast.Starred, _join(star, loc), value=result, ctx=ast.Load())
        return result

    def _binary_parts(self, node: Node) -> tuple[Node, str, Node]:
        """Right operand, operator and left operand, in stack (reverse) order."""
        op = self.field(node, "operator").type
        return self.field(node, "right"), op, self.field(node, "left")

    def _await_chain(
        self,
        await_node: Node,
        chain: Node,
        operands: list[tuple[ast.expr, Loc]],
        operators: list[str],
    ) -> None:
        sub_operands: list[tuple[ast.expr, Loc]] = []
        sub_operators: list[str] = []
        stack: list[Node | str] = [chain]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                sub_operators.append(item)
            elif item.type == "binary_operator":
                stack.extend(self._binary_parts(item))
            else:
                sub_operands.append((self.expr(item), _loc(item)))
        first, first_loc = sub_operands[0]
        loc = _join(_loc(await_node), first_loc)
        sub_operands[0] = (_at(ast.Await, loc, value=first), loc)
        operands.extend(sub_operands)
        operators.extend(sub_operators)

    @staticmethod
    def _associate(
        operands: list[tuple[ast.expr, Loc]], operators: list[str]
    ) -> tuple[ast.expr, Loc]:
        """Operator-precedence parse of ``operand (operator operand)*``."""
        values = [operands[0]]
        pending: list[str] = []

        def reduce() -> None:
            op = pending.pop()
            right, right_loc = values.pop()
            left, left_loc = values.pop()
            loc = _join(left_loc, right_loc)
            values.append((_at(ast.BinOp, loc, left=left, op=_BINOPS[op](), right=right), loc))

        for operand, op in zip(operands[1:], operators, strict=True):
            prec = _BINOP_PREC[op]
            # left-associative, except the right-associative ``**``
            while pending and (
                _BINOP_PREC[pending[-1]] > prec or (_BINOP_PREC[pending[-1]] == prec and op != "**")
            ):
                reduce()
            pending.append(op)
            values.append(operand)
        while pending:
            reduce()
        return values[0]

    def operand(self, node: Node) -> ast.expr:
        """An operator's operand, which cannot be starred."""
        result = self.expr(node)
        if isinstance(result, ast.Starred):
            self.fail("invalid syntax", node)
        return result

    def unary_operator(self, node: Node) -> ast.expr:
        op = _UNARYOPS[self.field(node, "operator").type]()
        operand = self.operand(self.field(node, "argument"))
        return _at(ast.UnaryOp, _loc(node), op=op, operand=operand)

    def not_operator(self, node: Node) -> ast.expr:
        argument = self.field(node, "argument")
        return _at(ast.UnaryOp, _loc(node), op=ast.Not(), operand=self.operand(argument))

    def boolean_operator(self, node: Node) -> ast.expr:
        # ``a and b and c`` is one BoolOp; tree-sitter nests it to the left
        op = self.field(node, "operator").type
        values: list[ast.expr] = []
        stack = [node]
        while stack:
            item = stack.pop()
            if item.type == "boolean_operator" and self.field(item, "operator").type == op:
                stack.append(self.field(item, "right"))
                stack.append(self.field(item, "left"))
            else:
                values.append(self.operand(item))
        cls = ast.And if op == "and" else ast.Or
        return _at(ast.BoolOp, _loc(node), op=cls(), values=values)

    def comparison_operator(self, node: Node) -> ast.expr:
        ops: list[ast.cmpop] = []
        operands: list[ast.expr] = []
        for tok in _tokens(node):
            if tok.is_named and tok.type not in ("not in", "is not"):
                operands.append(self.operand(tok))
            else:
                if tok.type == "<>":
                    self.fail("invalid syntax", tok)
                ops.append(_CMPOPS[tok.type]())
        return _at(ast.Compare, _loc(node), left=operands[0], ops=ops, comparators=operands[1:])

    def conditional_expression(self, node: Node) -> ast.expr:
        body, test, orelse = _kids(node)
        return _at(
            ast.IfExp,
            _loc(node),
            test=self.expr(test),
            body=self.expr(body),
            orelse=self.expr(orelse),
        )

    def named_expression(self, node: Node) -> ast.expr:
        name = self.field(node, "name")
        value = self.field(node, "value")
        target = _at(ast.Name, _loc(name), id=self.ident(name), ctx=ast.Store())
        return _at(ast.NamedExpr, _loc(node), target=target, value=self.expr(value))

    def lambda_(self, node: Node) -> ast.expr:
        params = node.child_by_field_name("parameters")
        body = self.field(node, "body")
        args = self.arguments(_kids(params) if params is not None else [], annotations=False)
        return _at(ast.Lambda, _loc(node), args=args, body=self.expr(body))

    def await_(self, node: Node) -> ast.expr:
        (value,) = _kids(node)
        if value.type == "list_splat":
            self.fail("invalid syntax", value)
        if value.type == "binary_operator":
            return self.binary_operator_from_await(node)
        return _at(ast.Await, _loc(node), value=self.expr(value))

    def binary_operator_from_await(self, node: Node) -> ast.expr:
        operands: list[tuple[ast.expr, Loc]] = []
        operators: list[str] = []
        self._await_chain(node, _kids(node)[0], operands, operators)
        return self._associate(operands, operators)[0]

    def yield_(self, node: Node) -> ast.expr:
        tokens = _tokens(node)
        if len(tokens) > 1 and tokens[1].type == "from":
            return _at(ast.YieldFrom, _loc(node), value=self.expr(tokens[2]))
        value = self.expr(tokens[1]) if len(tokens) > 1 else None
        return _at(ast.Yield, _loc(node), value=value)

    # ------------------------------------------------------------------ annotations

    def type_(self, node: Node) -> ast.expr:
        kids = _kids(node)
        if len(kids) != 1:
            self.fail("invalid syntax", node)
        return self.expr(kids[0])

    def generic_type(self, node: Node) -> ast.expr:
        kids = _kids(node)
        value = self.name(kids[0])
        params = next(c for c in node.children if c.type == "type_parameter")
        items = _kids(params)
        elts = [self.expr(i) for i in items]
        trailing = self._has_trailing_comma(params, items[-1])
        if len(items) == 1 and not trailing and not isinstance(elts[0], ast.Starred):
            index = elts[0]
        else:
            loc = _join(_loc(items[0]), self._after_trailing_comma(params, items[-1]))
            index = _at(ast.Tuple, loc, elts=elts, ctx=ast.Load())
        return _at(ast.Subscript, _loc(node), value=value, slice=index, ctx=ast.Load())

    def union_type(self, node: Node) -> ast.expr:
        left, right = _kids(node)
        return _at(
            ast.BinOp, _loc(node), left=self.expr(left), op=ast.BitOr(), right=self.expr(right)
        )

    def member_type(self, node: Node) -> ast.expr:
        value, attr = _kids(node)
        return _at(
            ast.Attribute, _loc(node), value=self.expr(value), attr=self.ident(attr), ctx=ast.Load()
        )

    def splat_type(self, node: Node) -> ast.expr:
        tokens = _tokens(node)
        if tokens[0].type != "*":
            self.fail("invalid syntax", node)
        return _at(ast.Starred, _loc(node), value=self.name(tokens[1]), ctx=ast.Load())

    # ------------------------------------------------------------------ strings

    def strings(self, node: Node) -> ast.expr:
        nodes = (
            [node] if node.type == "string" else [c for c in node.children if c.type == "string"]
        )
        parts = [self.string_part(n) for n in nodes]
        loc = _loc(node)
        has_bytes = any(p.is_bytes for p in parts)
        if has_bytes and not all(p.is_bytes for p in parts):
            self.fail("cannot mix bytes and nonbytes literals", node)
        if not any(p.is_f or p.is_t for p in parts):
            value = "".join(self.plain_value(p) for p in parts)
            if has_bytes:
                return _at(ast.Constant, loc, value=value.encode("latin-1"), kind=None)
            kind = "u" if parts[0].prefix.startswith("u") else None
            return _at(ast.Constant, loc, value=value, kind=kind)
        template = any(p.is_t for p in parts) and _HAS_TEMPLATE_STR
        if template and not all(p.is_t for p in parts):
            self.fail("cannot mix t-string literals with string or bytes literals", node)
        items: list[ast.expr | _Literal] = []
        legacy_kind = "u" if parts[0].prefix.startswith("u") else None
        for part in parts:
            if part.is_f or part.is_t:
                self.fstring_items(part, items, template)
            else:
                kind = "u" if part.prefix.startswith("u") else None
                items.append(_Literal(self.plain_value(part), _loc(part.node), kind))
        values = self.fold(items)
        if not _PRECISE_FSTRING_POSITIONS:
            _legacy_fstring_locs(values, loc, legacy_kind)
        if template:
            return _at(_NEWER["TemplateStr"], loc, values=values)
        return _at(ast.JoinedStr, loc, values=values)

    def string_part(self, node: Node) -> _StringPart:
        start = node.children[0]
        opener = self.text(start)
        prefix = opener.rstrip("'\"")
        if prefix.lower() not in _STRING_PREFIXES:
            self.fail("invalid string prefix", start)
        return _StringPart(node, prefix, opener[len(prefix) :])

    def plain_value(self, part: _StringPart) -> str:
        text = self.between(part.content_start, part.content_end)
        return self.decode(text, part, part.node)

    def decode(self, text: str, part: _StringPart, where: Node) -> str:
        """The value of a literal's source text; for bytes, as a str of byte values."""
        if part.is_bytes and not text.isascii():
            self.fail("bytes can only contain ASCII literal characters", where)
        if not part.triple and "\n" in text and re.search(r"(?<!\\)(?:\\\\)*\n", text):
            # a line break not escaped with a backslash ends a one-line string
            self.fail("unterminated string literal", where)
        if part.raw or "\\" not in text:
            return text
        return self.unescape(text, part.is_bytes, where)

    def unescape(self, text: str, is_bytes: bool, where: Node) -> str:
        def replace(match: re.Match[str]) -> str:
            esc = match.group(1)
            head = esc[0]
            simple = _SIMPLE_ESCAPES.get(esc)
            if simple is not None:
                return simple
            if head in "01234567":
                code = int(esc, 8)
                return chr(code & 0xFF if is_bytes else code)
            if head == "x":
                if len(esc) != 3:
                    self.fail("truncated \\xXX escape", where)
                return chr(int(esc[1:], 16))
            if not is_bytes:
                if head == "u" or head == "U":
                    if len(esc) != (5 if head == "u" else 9):
                        self.fail(f"truncated \\{head} escape", where)
                    code = int(esc[1:], 16)
                    if code > 0x10FFFF:
                        self.fail("illegal Unicode character", where)
                    return chr(code)
                if head == "N":
                    try:
                        return unicodedata.lookup(esc[2:-1])
                    except (KeyError, IndexError):
                        self.fail("malformed \\N character escape", where)
            return "\\" + esc

        return _ESCAPE_RE.sub(replace, text)

    def fstring_items(
        self, part: _StringPart, items: list[ast.expr | _Literal], template: bool
    ) -> None:
        """Append the literal runs and replacement fields of one f/t-string."""
        start_byte = part.content_start
        start_point = part.node.children[0].end_point
        children: list[Node | None] = [*part.node.children[1:], None]
        for child in children:
            if child is not None and child.type != "interpolation":
                continue
            if child is None:
                end_byte, end_point = part.content_end, part.content_end_point
            else:
                end_byte, end_point = child.start_byte, child.start_point
            if end_byte > start_byte:
                value = self.fstring_literal(start_byte, end_byte, part, part.node)
                if value:
                    loc = (start_point[0] + 1, start_point[1], end_point[0] + 1, end_point[1])
                    items.append(_Literal(value, loc))
            if child is not None:
                self.replacement_field(child, part, items, template)
                start_byte, start_point = child.end_byte, child.end_point

    def fstring_literal(self, start: int, end: int, part: _StringPart, where: Node) -> str:
        text = self.between(start, end)
        if "{" in text or "}" in text:
            text = text.replace("{{", "{").replace("}}", "}")
        return self.decode(text, part, where)

    def replacement_field(
        self, node: Node, part: _StringPart, items: list[ast.expr | _Literal], template: bool
    ) -> None:
        expression = self.field(node, "expression")
        conversion_node = node.child_by_field_name("type_conversion")
        spec_node = node.child_by_field_name("format_specifier")
        tokens = _tokens(node)
        debug = any(t.type == "=" for t in tokens)
        if expression.type == "named_expression" and spec_node is None:
            # ``{x:=10}`` is ``x`` with the format spec ``=10``, not a walrus
            return self.walrus_format_spec(node, expression, part, items, template)
        value = self.expr(expression)
        if not _PRECISE_FSTRING_POSITIONS and expression.type in (
            "expression_list",
            "pattern_list",
        ):
            # before 3.12 the expression was parsed as "(" + text + ")", with the
            # parentheses in place of "{" and of the "=", "!", ":" or "}" after it
            after = self._token_after(node, expression) or expression
            row, col = after.start_point
            _set_loc(value, _loc(node)[:2] + (row + 1, col + 1))
        conversion = -1
        if conversion_node is not None:
            letter = self.text(conversion_node)[1:]
            if letter not in ("s", "r", "a"):
                self.fail(
                    f"f-string: invalid conversion character {letter!r}: expected 's', 'r', or 'a'",
                    conversion_node,
                )
            conversion = ord(letter)
        elif debug and spec_node is None:
            conversion = ord("r")
        spec = self.format_spec(spec_node, part, template) if spec_node is not None else None
        opening = tokens[0]
        loc = _loc(node)
        if debug:
            stop = conversion_node or spec_node or tokens[-1]
            text = self.between(opening.end_byte, stop.start_byte)
            if "#" in text:
                text = self.without_comments(node, opening.end_byte, stop.start_byte)
            debug_loc = (
                opening.end_point[0] + 1,
                opening.end_point[1],
                stop.start_point[0] + 1,
                stop.start_point[1],
            )
            items.append(_Literal(text, debug_loc))
        if template:
            source = self.between(expression.start_byte, expression.end_byte)
            items.append(
                _at(
                    _NEWER["Interpolation"],
                    loc,
                    value=value,
                    str=source,
                    conversion=conversion,
                    format_spec=spec,
                )
            )
        else:
            items.append(
                _at(ast.FormattedValue, loc, value=value, conversion=conversion, format_spec=spec)
            )

    def without_comments(self, node: Node, start: int, end: int) -> str:
        """Source text of ``node`` between two offsets, comments left out."""
        comments: list[Node] = []
        stack = [node]
        while stack:
            current = stack.pop()
            for child in current.children:
                if child.type == "comment":
                    comments.append(child)
                elif child.child_count:
                    stack.append(child)
        pieces = []
        for comment in sorted(comments, key=lambda c: c.start_byte):
            if start <= comment.start_byte < end:
                pieces.append(self.between(start, comment.start_byte))
                start = comment.end_byte
        pieces.append(self.between(start, end))
        return "".join(pieces)

    def walrus_format_spec(
        self,
        node: Node,
        expression: Node,
        part: _StringPart,
        items: list[ast.expr | _Literal],
        template: bool,
    ) -> None:
        name = self.field(expression, "name")
        colon = self._token_after(expression, name) or name
        closing = _tokens(node)[-1]
        if any(t.type != "}" for t in _tokens(node)[2:]):
            self.fail("f-string: unsupported format spec", node)
        text = self.fstring_literal(colon.start_byte + 1, closing.start_byte, part, node)
        if "{" in text or "}" in text:
            self.fail("f-string: unsupported format spec", node)
        spec_start = (colon.start_point[0] + 1, colon.start_point[1])
        spec_end = (closing.start_point[0] + 1, closing.start_point[1])
        literal_loc = (spec_start[0], spec_start[1] + 1) + spec_end
        spec_loc = spec_start + spec_end
        if not _PRECISE_FSTRING_POSITIONS:
            spec_loc = literal_loc = _loc(part.node)
        spec = _at(
            ast.JoinedStr, spec_loc, values=[_at(ast.Constant, literal_loc, value=text, kind=None)]
        )
        value = self.name(name)
        if template:
            items.append(
                _at(
                    _NEWER["Interpolation"],
                    _loc(node),
                    value=value,
                    str=self.text(name),
                    conversion=-1,
                    format_spec=spec,
                )
            )
        else:
            items.append(
                _at(ast.FormattedValue, _loc(node), value=value, conversion=-1, format_spec=spec)
            )

    def format_spec(self, node: Node, part: _StringPart, template: bool) -> ast.expr:
        items: list[ast.expr | _Literal] = []
        tokens = _tokens(node)
        previous = tokens[0]  # ':'
        children: list[Node | None] = [*tokens[1:], None]
        for child in children:
            if child is not None and child.type != "format_expression":
                continue
            end_byte = child.start_byte if child is not None else node.end_byte
            end_point = child.start_point if child is not None else node.end_point
            if end_byte > previous.end_byte:
                value = self.fstring_literal(previous.end_byte, end_byte, part, node)
                if value:
                    items.append(
                        _Literal(
                            value,
                            (
                                previous.end_point[0] + 1,
                                previous.end_point[1],
                                end_point[0] + 1,
                                end_point[1],
                            ),
                        )
                    )
            if child is not None:
                self.replacement_field(child, part, items, template)
                previous = child
        if _PRECISE_FSTRING_POSITIONS:
            loc = _loc(node)
            if len(items) <= 1:
                values = [self.literal_node(i) if isinstance(i, _Literal) else i for i in items]
            else:
                values = self.fold(items)
            if _HOST == (3, 12) and values and not isinstance(values[-1], ast.Constant):
                # 3.12 ends a spec that ends in a replacement field with an empty literal
                end = loc[2:]
                values.append(_at(ast.Constant, end + end, value="", kind=None))
        else:
            loc = _loc(part.node)
            values = self.fold(items)
        return _at(ast.JoinedStr, loc, values=values)

    @staticmethod
    def literal_node(literal: _Literal) -> ast.expr:
        return _at(ast.Constant, literal.loc, value=literal.value, kind=literal.kind)

    def fold(self, items: list[ast.expr | _Literal]) -> list[ast.expr]:
        """Merge adjacent literal runs into one Constant, dropping empty ones."""
        values: list[ast.expr] = []
        run: list[_Literal] = []

        def flush() -> None:
            if not run:
                return
            text = "".join(r.value for r in run)
            if text:
                loc = _join(run[0].loc, run[-1].loc)
                values.append(_at(ast.Constant, loc, value=text, kind=run[0].kind))
            run.clear()

        for item in items:
            if isinstance(item, _Literal):
                run.append(item)
            else:
                flush()
                values.append(item)
        flush()
        return values
