"""The tree-sitter fallback parser (redline.python.fallback).

Oracle: wherever the host interpreter can parse the code, ``fallback.parse`` must
give exactly what ``ast.parse`` gives, positions and contexts included. Newer
syntax the host cannot parse must still come back as sensible host nodes.
"""

from __future__ import annotations

import ast
import os
import sys
import sysconfig
import textwrap
import time
import warnings
from pathlib import Path

import pytest

from redline.python import fallback

HOST = sys.version_info[:2]


def dump(tree: ast.AST) -> str:
    return ast.dump(tree, include_attributes=True)


def host_parse(source: str) -> ast.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escape sequences in old stdlib files
        return ast.parse(source)


def assert_same(source: str) -> None:
    expected = dump(host_parse(source))
    got = dump(fallback.parse(source))
    if got != expected:  # show the first difference, not two 100 kB strings
        exp_lines = ast.dump(host_parse(source), include_attributes=True, indent=1).splitlines()
        got_lines = ast.dump(fallback.parse(source), include_attributes=True, indent=1).splitlines()
        for index, (a, b) in enumerate(zip(exp_lines, got_lines, strict=False)):
            if a != b:
                context = "\n".join(exp_lines[max(0, index - 12) : index])
                pytest.fail(
                    f"first difference at dump line {index}:\n{context}\n"
                    f"- ast.parse: {a}\n+ fallback:  {b}"
                )
        pytest.fail("dumps differ in length")


def _host_can_parse(source: str) -> bool:
    try:
        host_parse(source)
    except SyntaxError:
        return False
    return True


def walk_calls(tree: ast.AST) -> dict[str, ast.Call]:
    return {
        node.func.id: node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }


# --------------------------------------------------------------------------- oracle: stdlib

_STDLIB = Path(sysconfig.get_paths()["stdlib"])
# Files with many f-strings, match statements, decorators, async code, odd
# literals; taken when this interpreter has them (some distributions strip tests).
_NAMED = [
    "ast.py", "typing.py", "dataclasses.py", "enum.py", "argparse.py", "inspect.py",
    "datetime.py", "_pydatetime.py", "_pydecimal.py", "fractions.py", "string.py",
    "asyncio/tasks.py", "asyncio/base_events.py", "json/decoder.py", "re/_parser.py",
    "sre_parse.py", "tokenize.py", "pprint.py", "traceback.py", "threading.py",
    "test/test_patma.py", "test/test_fstring.py", "test/test_grammar.py",
    "test/test_type_params.py", "test/test_type_aliases.py", "test/test_pep646_syntax.py",
    "test/test_unpack_ex.py", "test/test_coroutines.py", "test/test_exception_group.py",
    "test/test_except_star.py", "test/test_positional_only_arg.py", "test/test_syntax.py",
    "lib2to3/tests/data/py3_test_grammar.py", "test/test_typing.py",
]  # fmt: skip
_SAMPLE_STRIDE = 61  # every 61st of the sorted stdlib files: a few dozen more
_MAX_BYTES = 400_000


def _stdlib_files() -> list[str]:
    every = sorted(
        str(path.relative_to(_STDLIB)).replace(os.sep, "/")
        for path in _STDLIB.rglob("*.py")
        if "site-packages" not in path.parts and "dist-packages" not in path.parts
    )
    chosen = [name for name in _NAMED if (_STDLIB / name).is_file()]
    chosen += [name for name in every[::_SAMPLE_STRIDE] if name not in chosen]
    return chosen


# Known, narrow gaps in tree-sitter-python's grammar (see the module docstring of
# redline.python.fallback). These stdlib files contain the constructs.
_KNOWN_GAPS = {
    "test/test_compile.py": "tree-sitter-python ends a block at a dedent inside brackets",
    "test/test_future_stmt/badsyntax_future8.py": "no rule for `from __future__ import *`",
    "test/badsyntax_future8.py": "no rule for `from __future__ import *`",
}


@pytest.mark.parametrize("name", _stdlib_files())
def test_stdlib_file_matches_ast_parse(name: str) -> None:
    path = _STDLIB / name
    if path.stat().st_size > _MAX_BYTES:
        pytest.skip("large file")
    try:
        source = path.read_text(encoding="utf-8")
        host_parse(source)
    except (SyntaxError, UnicodeDecodeError, ValueError):
        pytest.skip("the host cannot parse this file")
    if name in _KNOWN_GAPS:
        pytest.xfail(_KNOWN_GAPS[name])
    assert_same(source)


def test_stdlib_sample_is_a_few_dozen_files() -> None:
    assert len(_stdlib_files()) >= 30


# --------------------------------------------------------------------------- oracle: snippets

# Every construct the host (3.10 and later) can parse; compared whole. (TSQ stands
# for three single quotes, which cannot appear inside this raw string literal.)
CONSTRUCTS = r'''
"""Module docstring."""
from __future__ import annotations

import os, sys as system
import a.b.c as d
from . import x
from .. import y as z
from ...pkg.mod import (p, q as r,)
from mod import *

x = 1; y = 2;
a = b = c = 3
a, b = b, a
[a, *b] = c
(a, b), *c = d
x.y = z[0] = w[1:2] = v[::3] = u[1:2:3, ...] = 0
x: int
y: list[int] = []
(z): int = 1
self.attr: str = "s"
x += 1; x -= 1; x *= 2; x /= 2; x //= 2; x %= 2; x **= 2; x @= m
x >>= 1; x <<= 1; x &= 1; x ^= 1; x |= 1
del a, b[0], c.d
del (a, b), [c]
assert x, "msg"
assert y
global g1, g2
pass

nums = [0, 1_000, 0x_FF, 0o17, 0b1010, 1e10, 1.5e-3, .5, 5., 1j, 2.5J, 1_0.0_1, 0XAB, 00, 1E5]
big = 123456789012345678901234567890
strs = ['a', "b", TSQcTSQ, """d""", r'\d', R"\n", b'bytes', Rb'\x00', BR"raw", u'uni', U"U"]
esc = "\n\t\\\'\"\a\b\f\v\r\0\x41\101\u00e9\U0001F600\N{BULLET}\q"
besc = b"\n\x00\777\u1234\q"
raw_end = r'\\' + r"\\\\" + rb'\\'
cat = "a" 'b' """c""" r'\d'
bcat = b"a" b'b' rb'\c'
ucat = u"a" "b"
ml = """line1
line2 \
continued"""
unicode_cols = "héllo wörld"; ñame = "ü"; after = ñame
f1 = f"plain"
f2 = f"{x}"
f3 = f"a{x!r}b{y!s:>10}c{z!a:{w}.{p}}d"
f4 = f"{x=}" f"{y = !s}" f"{z=:>5}"
f5 = F"{{literal}} {x:>{width}}" rf"\d{x}\n" fR'{y}\t'
f6 = f'{x["k"]}' f"{d['a']}" "plain" f"""{
    x
    +
    y
}"""
f7 = f"{'nested' + f'{inner!r}'}"
f8 = f"{a, b}" f"{a, b=}" f"{(lambda: 1)()}" f"{x if y else z}"
f9 = u"x" f"{y}" "z"
f10 = f"{x:}" f"{x!r:}" f"" "" f"{x}" ""
f11 = (f"{a}"
       f"{b:{c}}"
       "d")
f12 = f"{x:=10}" f"{3.14:.2f}" f"{x:{'>'}10}"
f13 = f"\N{BULLET} {x}\N{EM DASH}" f"{x}\
y"
f14 = f"é{ñame}ü{x!r:>{w}}ß"

def f(a, b=1, *args, c, d=2, **kwargs) -> int:
    return a

def g(a, /, b, *, c): ...
def h(a: int = 1, /, b: str = "s", *args: int, c: float, **kw: dict) -> None: pass
def k(*, a=1, b): pass
def empty(): pass
async def co(x):
    await x
    y = await x ** 2
    async for i in y:
        pass
    else:
        pass
    async with a as b, c:
        pass
    return [i async for i in aiter() if await i]

@decorator
@decorator.attr(arg)
@(lambda f: f)
class C(Base, metaclass=Meta, **extra):
    """Class docstring."""
    attr = 1
    def method(self): return self

class D: pass
class E(): pass

lam = lambda: 0
lam2 = lambda x, y=1, *a, z, w=2, **k: x + y
lam3 = lambda x, /, y: x
lam4 = lambda *, k: k
lam5 = lambda *a, **k: (a, k)

if a:
    pass
elif b:
    pass
elif c:
    x = 1
else:
    y = 2

if x: pass
else: pass

for i in range(10):
    if i: continue
    break
else:
    pass

for a, b in pairs: pass
for (a, b), c in nested: pass
for x, in singles: pass
for [a, b] in lists: pass
for i in 1, 2, 3: pass
for i in *a, *b: pass

while True:
    break
else:
    pass

try:
    pass
except ValueError:
    pass
except (TypeError, KeyError) as e:
    raise
except Exception as exc:
    raise RuntimeError("x") from exc
except:
    pass
else:
    pass
finally:
    pass

try:
    pass
finally:
    pass

with open(f) as fh, open(g) as (a, b), lock:
    pass
with (
    open(f) as fh,
    open(g) as gh,
):
    pass
with (a, b):
    pass
with (a, b) as c:
    pass
with (a as b):
    pass

def gen():
    with (yield):
        pass
    yield
    yield 1
    yield 1, 2
    x = yield
    y = yield from z
    return (yield)

def nl():
    nonlocal_var = 1
    def inner():
        nonlocal nonlocal_var
        nonlocal_var = 2

def semicolons():
    if x:
        a = 1;
    b = 2; c = 3;

comp = [x for x in y]
comp2 = [x for x in y if x if not x for z in x]
scomp = {x for x in y}
dcomp = {k: v for k, v in items}
gexp = (x for x in y)
call_gen = sum(x for x in y)
call_gen2 = sum((x for x in y), start)
nested_comp = [[x for x in row] for row in matrix]
walrus = [y := f(x), y ** 2]
if (n := len(a)) > 10: pass
while chunk := read(): pass

ops = a + b - c * d / e // f % g ** h @ i
bits = a | b ^ c & d << e >> f
bits2 = a & b ^ c | d
bits3 = a ^ b & c
pw = -a ** -b
pw2 = a ** b ** c
un = -a + +b - ~c
nt = not a
cmp = a < b <= c > d >= e == f != g is h is not i in j not in k
bo = a and b and c or d or e and f
bo2 = (a and b) and c
bo3 = a or (b or c)
bo4 = not a and not b
cond = a if b else c if d else e
cond2 = (a if b else c) if d else e
par = (a)
par2 = ((a + b))
callp = (f)(x)
attrp = (a).b
tup = ()
tup1 = (1,)
tup2 = 1,
tup3 = 1, 2,
lst = [1, 2, *rest]
st = {1, 2, *rest}
dct = {'a': 1, **other, 'b': 2}
empty_d = {}
sub = a[1]
sub2 = a[1:2, 3]
sub3 = a[:, ::2]
sub4 = a[1,]
sub5 = a[()]
sub6 = a[:]
sub7 = a[x:y:z]
calls = f(a, *b, c=1, **d)
calls2 = f(*a, *b, **c, **d)
calls3 = f(a)(b)(c)
calls4 = obj.method().other[0].attr
starred = *a, *b
star_call = *f(), *g.h(), *a[0]
ellipsis = ...
consts = True, False, None
print >>sys.stderr, "x"

match command.split():
    case [action]:
        pass
    case [action, obj]:
        pass
    case Point(x=0, y=0):
        pass
    case Point(1, 2, z=3):
        pass
    case [Point(x=0, y=0), *rest]:
        pass
    case {"x": x, "y": y, **rest}:
        pass
    case {1: a, -2: b, "s" "t": c, None: d, Color.RED: e}:
        pass
    case 1 | 2 | 3:
        pass
    case (1 | 2) | 3:
        pass
    case -1 | 1.5 | -2.5 | 1 + 2j | -1 - 2j | 3j:
        pass
    case "a" | b"b" | None | True | False:
        pass
    case Color.RED | mod.sub.VALUE:
        pass
    case [a, b, *_]:
        pass
    case (a, b, *others):
        pass
    case (a,):
        pass
    case (a):
        pass
    case ():
        pass
    case []:
        pass
    case a, b:
        pass
    case a, *b,:
        pass
    case [x] as y:
        pass
    case (x | y) as z if z > 0:
        pass
    case str() | bytes():
        pass
    case {}:
        pass
    case _:
        pass

match x, y:
    case _: pass

match x,:
    case _: pass

match = 1
case = 2
type = 3
match.attr
print(match, case, type)
type(self).x = 1
type(self)[0] = 2
type (a, b).c = 3
_ = lambda: (yield)
raise
'''.replace("TSQ", "'" * 3)

# Snippets with a structure of their own (line endings, continuation lines, ...).
SMALL = {
    "crlf": "x = 1\r\nif x:\r\n    y = f'{a}\\\r\nb'\r\n",
    "cr": "x = 1\ry = 2\r",
    "tabs": "if x:\n\ty = 'é'; z = f'é{ñ}'\n",
    "form_feed": "\x0cx = 1\n\x0c\ny = 2\n",
    "continuation": "x = 1 \\\n  + 2\nassert x, \\\n  'm'\nif a and \\\n \\\n b: pass\n",
    "comments": "x = (  # c\n  1,  # d\n  2)  # e\n# end\n",
    "empty": "",
    "only_comment": "# nothing\n",
    "blank_lines": "\n\n\n",
    "no_trailing_newline": "x = 1",
    "docstring_only": '"""doc"""',
    "nested_functions": "def a():\n    def b():\n        def c():\n            return 1\n",
    "decorated_async": "@d\nasync def f():\n    pass\n",
    "trailing_semicolon_block": "for x in y:\n    pass;\nwhile x: a; b;\n",
    "long_binop": "x = " + " + ".join(f"a{i}" for i in range(300)) + "\n",
    "long_boolop": "x = " + " or ".join(f"a{i}" for i in range(300)) + "\n",
    "long_elif": "if a: pass\n" + "".join(f"elif b{i}: pass\n" for i in range(150)),
    "method_chain": "x = a" + "".join(f".m{i}()" for i in range(200)) + "\n",
    "nesting_100": "x = " + "(" * 100 + "1" + ")" * 100 + "\n",
    "nesting_lists": "x = " + "[" * 90 + "]" * 90 + "\n",
    "star_subscript_311": "x = a[*b]\ny: tuple[int, *Ts]\ndef f(*args: *Ts): pass\n",
    "except_star_311": "try:\n    pass\nexcept* (A, B) as e:\n    pass\n",
    "deep_blocks": "".join(" " * i + "if x:\n" for i in range(90)) + " " * 90 + "pass\n",
}


def test_constructs_match_ast_parse() -> None:
    assert_same(CONSTRUCTS)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_small_snippets_match_ast_parse(name: str) -> None:
    if not _host_can_parse(SMALL[name]):
        pytest.skip("newer syntax than the host's")
    assert_same(SMALL[name])


def _one_line_statements() -> list[str]:
    return [
        line
        for line in CONSTRUCTS.splitlines()
        if line and not line[0].isspace() and _host_can_parse(line)
    ]


@pytest.mark.parametrize("statement", _one_line_statements())
def test_each_one_line_statement_matches(statement: str) -> None:
    """Line by line, so that a mismatch in CONSTRUCTS is easy to locate."""
    assert_same(statement)


def test_bytes_input_with_coding_cookie() -> None:
    source = "# -*- coding: latin-1 -*-\nx = 'caf\xe9'\n".encode("latin-1")
    assert dump(fallback.parse(source)) == dump(ast.parse(source))


@pytest.mark.parametrize("name", sorted(SMALL))
def test_trees_compile_where_the_hosts_do(name: str) -> None:
    try:
        compile(host_parse(SMALL[name]), "<host>", "exec")
    except SyntaxError:
        pytest.skip("the host's own tree does not compile")
    compile(fallback.parse(SMALL[name]), "<fallback>", "exec")


# --------------------------------------------------------------------------- newer syntax

PEP701 = '''\
songs = ["a", "b"]
msg = f"Playlist: {", ".join(songs)}"
nested = f"{f"{f"{inner(x)}"}"}"
quoted = f"{'\\n'.join(lines)}"
multi = f"""{
    outer(a)  # a comment inside the replacement field
    + other
}"""
path = f"{"\\\\".join(parts)}"
'''

PEP695 = """\
type Alias = list[int]
type Generic[T] = dict[str, T]
type Bounded[T: int, *Ts, **P] = tuple[T, *Ts]

def first[T](xs: list[T]) -> T:
    return xs[0]

class Box[T: (int, str)](Base):
    def get[S](self, s: S) -> T | S: ...
"""

PEP696 = """\
type Default[T = int] = list[T]
def f[T = int, *Ts = *tuple[int, ...], **P = [int, str]](): pass
class C[T: (int, str) = int, U = dict[str, int]]: pass
"""

TSTRINGS = """\
name = "x"
greeting = t"Hello {name!r:>10} and {obj.attr}"
raw = rt"\\d{name}"
"""

EXCEPT_NO_PARENS = """\
try:
    pass
except ValueError, TypeError:
    handle()
"""


@pytest.mark.parametrize(
    "source",
    [PEP701, PEP695, PEP696, TSTRINGS, EXCEPT_NO_PARENS],
    ids=["pep701", "pep695", "pep696", "tstrings", "except_no_parens"],
)
def test_newer_syntax_matches_host_where_host_parses(source: str) -> None:
    tree = fallback.parse(source)
    compile(tree, "<fallback>", "exec")  # a valid tree for this host's compiler
    if _host_can_parse(source):
        assert_same(source)


def test_pep701_fstrings() -> None:
    tree = fallback.parse(PEP701)
    joins = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "join"
    ]
    assert [(j.lineno, j.col_offset) for j in joins] == [(2, 19), (4, 12), (9, 10)]
    assert [j.func.value.value for j in joins] == [", ", "\n", "\\"]  # type: ignore[attr-defined]
    calls = walk_calls(tree)
    inner = calls["inner"]
    assert (inner.lineno, inner.col_offset, inner.end_col_offset) == (3, 18, 26)
    outer = calls["outer"]
    assert (outer.lineno, outer.col_offset, outer.end_lineno) == (6, 4, 6)
    nested = tree.body[2].value  # type: ignore[attr-defined]
    assert isinstance(nested, ast.JoinedStr)
    level2 = nested.values[0].value  # type: ignore[attr-defined]
    assert isinstance(level2, ast.JoinedStr)


def test_pep695_generics_and_type_aliases() -> None:
    tree = fallback.parse(PEP695)
    alias, generic, bounded, first, box = tree.body
    if hasattr(ast, "TypeAlias"):
        assert isinstance(alias, ast.TypeAlias)
        assert [p.name for p in bounded.type_params] == ["T", "Ts", "P"]  # type: ignore[attr-defined]
        assert [type(p).__name__ for p in bounded.type_params] == [  # type: ignore[attr-defined]
            "TypeVar",
            "TypeVarTuple",
            "ParamSpec",
        ]
        assert [p.name for p in first.type_params] == ["T"]  # type: ignore[attr-defined]
        name, value = alias.name, alias.value
    else:
        assert isinstance(alias, ast.Assign)
        assert "type_params" not in ast.FunctionDef._fields
        (name,) = alias.targets
        value = alias.value
    assert isinstance(name, ast.Name) and name.id == "Alias" and isinstance(name.ctx, ast.Store)
    assert (name.lineno, name.col_offset, name.end_col_offset) == (1, 5, 10)
    assert isinstance(value, ast.Subscript) and value.value.id == "list"  # type: ignore[attr-defined]
    assert isinstance(first, ast.FunctionDef) and first.name == "first"
    assert first.args.args[0].annotation is not None
    assert isinstance(first.returns, ast.Name) and first.returns.id == "T"
    assert isinstance(box, ast.ClassDef) and [b.id for b in box.bases] == ["Base"]  # type: ignore[attr-defined]
    method = box.body[0]
    assert isinstance(method, ast.FunctionDef) and method.name == "get"
    assert isinstance(method.returns, ast.BinOp) and isinstance(method.returns.op, ast.BitOr)
    assert (box.lineno, box.end_lineno, method.lineno) == (8, 9, 9)


def test_pep696_defaults() -> None:
    tree = fallback.parse(PEP696)
    _alias, func, cls = tree.body
    assert isinstance(func, ast.FunctionDef) and func.name == "f"
    assert isinstance(cls, ast.ClassDef) and cls.name == "C"
    if HOST >= (3, 13):
        tv, tvt, ps = func.type_params  # type: ignore[attr-defined]
        assert tv.default_value.id == "int"
        assert isinstance(tvt.default_value, ast.Starred)
        assert isinstance(ps.default_value, ast.List)
        bounded = cls.type_params[0]  # type: ignore[attr-defined]
        assert isinstance(bounded.bound, ast.Tuple) and bounded.default_value.id == "int"


def test_tstrings() -> None:
    tree = fallback.parse(TSTRINGS)
    greeting = tree.body[1].value  # type: ignore[attr-defined]
    expected = "TemplateStr" if hasattr(ast, "TemplateStr") else "JoinedStr"
    assert type(greeting).__name__ == expected
    fields = [v for v in greeting.values if not isinstance(v, ast.Constant)]
    assert [ast.dump(f.value) for f in fields] == [
        ast.dump(ast.Name("name", ast.Load())),
        ast.dump(ast.Attribute(ast.Name("obj", ast.Load()), "attr", ast.Load())),
    ]
    assert fields[0].conversion == ord("r")
    assert fields[0].value.lineno == 2 and fields[0].value.col_offset == 20
    raw = tree.body[2].value  # type: ignore[attr-defined]
    assert raw.values[0].value == "\\d"


def test_except_without_parentheses() -> None:
    tree = fallback.parse(EXCEPT_NO_PARENS)
    handler = tree.body[0].handlers[0]  # type: ignore[attr-defined]
    assert isinstance(handler.type, ast.Tuple)
    assert [e.id for e in handler.type.elts] == ["ValueError", "TypeError"]
    assert (handler.type.col_offset, handler.type.end_col_offset) == (7, 28)
    assert "handle" in walk_calls(tree)


def test_except_star_on_any_host() -> None:
    tree = fallback.parse("try:\n    pass\nexcept* OSError as e:\n    pass\n")
    expected = ast.TryStar if hasattr(ast, "TryStar") else ast.Try
    assert type(tree.body[0]) is expected
    assert tree.body[0].handlers[0].name == "e"  # type: ignore[attr-defined]


def test_type_statement_soft_keyword_and_misread_calls() -> None:
    source = "type = 1\ntype(self).x = 2\nx = type(y)\n"
    assert_same(source)


# --------------------------------------------------------------------------- errors

INVALID = {
    "unclosed paren": ("x = 1\ny = (1, 2\n", 2),
    "missing colon": ("x = 1\nif x\n    pass\n", 2),
    "double equals": ("x = = 1\n", 1),
    "python2 print": ("import os\n\nprint 'hello'\n", 3),
    "python2 exec": ('exec "code"\n', 1),
    "diamond": ("a <> b\n", 1),
    "long suffix": ("x = 1L\n", 1),
    "old octal": ("x = 0777\n", 1),
    "dangling operator": ("x = 1 +\n", 1),
    "bad target": ("f() = 1\n", 1),
    "bad del": ("del f()\n", 1),
    "aug tuple": ("a, b += 1\n", 1),
    "annotated tuple": ("(a, b): int = 1\n", 1),
    "missing block": ("def f():\nreturn 1\n", 1),
    "lone try": ("try:\n    pass\nx = 1\n", 1),
    "unexpected indent": ("x = 1\n    y = 2\n", 2),
    "bad dedent": ("if x:\n    a = 1\n  b = 2\n", 3),
    "bad prefix": ('x = ur"x"\n', 1),
    "bytes non-ascii": ('x = b"\u00e9"\n', 1),
    "bad conversion": ('x = f"{x!z}"\n', 1),
    "truncated escape": ('x = "\\x1"\n', 1),
    "trailing underscore": ("x = 1_\n", 1),
    "mixed bytes": ("x = b'a' 'b'\n", 1),
    "empty field": ('x = f"{}"\n', 1),
    "unterminated string": ('x = 1\ny = "abc\n', 2),
    "stray else": ("else: pass\n", 1),
    "async name": ("async = 1\n", 1),
    "kwarg unpack order": ("f(**a, *b)\n", 1),
    "bare star": ("def f(*, **k): pass\n", 1),
    "bad complex pattern": ("match x:\n    case 1 + 1:\n        pass\n", 2),
    "null byte": ("x = 1\0\n", 1),
    "statement split over lines": ("x =\ny = 2\n", 2),
    "operator ends the line": ("x = 1 +\n    2\n", 2),
    "header split over lines": ("if x ==\n 1:\n    pass\n", 2),
    "comment before backslash": ("x = 1 + # c \\\n 2\n", 2),
    "two statements, one line": ("x = 1\ny = f()z = 2\n", 2),
    "walrus statement": ("x := 1\n", 1),
    "starred operand": ("x = a * *b\n", 1),
    "bare yield element": ("def f():\n    x = [yield 1, 2]\n", 2),
    "newline in one-line f-string": ('x = f"{y}\n"\n', 1),
    "starred del": ("del a, *b\n", 1),
    "trailing backslash": ("x = 1\\", 1),
}


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_code_raises_syntax_error(name: str) -> None:
    source, line = INVALID[name]
    with pytest.raises((SyntaxError, ValueError)):
        host_parse(source)  # the oracle agrees it is invalid (3.10: ValueError for NUL)
    with pytest.raises(SyntaxError) as info:
        fallback.parse(source, "bad.py")
    assert info.value.filename == "bad.py"
    assert info.value.lineno == line
    assert isinstance(info.value.offset, int) and info.value.offset >= 1


def test_syntax_error_points_at_the_innermost_error() -> None:
    source = "def ok():\n    return 1\n\ndef broken(:\n    pass\n\nx = 1\n"
    with pytest.raises(SyntaxError) as info:
        fallback.parse(source)
    assert info.value.lineno == 4
    assert info.value.text == "def broken(:"


@pytest.mark.parametrize(
    "source",
    [
        "x = " + "(" * 5000 + "1" + ")" * 5000,
        "x = " + "[" * 5000 + "]" * 5000,
        "x = " + "{" * 5000 + "}" * 5000,
        "x = " + "(" * 5000,
        "x = " + "-" * 5000 + "1",
        "x = " + "not " * 5000 + "y",
        "x = " + "lambda: " * 5000 + "1",
        "x = " + "a if b else " * 5000 + "c",
        "x = " + 'f"{' * 300 + "1" + '}"' * 300,
        "".join(" " * i + "if x:\n" for i in range(1000)) + " " * 1000 + "pass\n",
    ],
    ids=[
        "parens",
        "brackets",
        "braces",
        "unclosed",
        "unary",
        "not",
        "lambda",
        "ifexp",
        "fstrings",
        "blocks",
    ],
)
def test_deep_nesting_never_crashes(source: str) -> None:
    try:
        tree = fallback.parse(source)
    except SyntaxError as exc:
        assert exc.lineno is not None
    else:
        assert isinstance(tree, ast.Module)


@pytest.mark.parametrize(
    "source",
    [
        "x = " + " + ".join(["a"] * 5000),
        "x = " + " and ".join(["a"] * 5000),
        "x = " + " < ".join(["a"] * 5000),
        "x = " + " ** ".join(["a"] * 3000),
        "x = a" + ".b" * 5000,
        "x = f" + "()" * 5000,
        "x = a" + "[0]" * 5000,
        "if a: pass\n" + "elif b: pass\n" * 5000,
        "x = " + " ".join(['"a"'] * 5000),
    ],
    ids=[
        "binop",
        "boolop",
        "compare",
        "power",
        "attributes",
        "calls",
        "subscripts",
        "elif",
        "strings",
    ],
)
def test_long_flat_chains_convert(source: str) -> None:
    assert isinstance(fallback.parse(source), ast.Module)


def test_oversized_input_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fallback, "MAX_SOURCE_BYTES", 100)
    with pytest.raises(SyntaxError):
        fallback.parse("x = 1\n" * 100)


def test_five_thousand_lines_well_under_a_second() -> None:
    block = textwrap.dedent(
        '''\
        class Model{i}(Base):
            """Doc {i}."""
            def method(self, a: int, *args, key: str = "k", **kw) -> dict[str, int]:
                result = {{k: v for k, v in kw.items() if v is not None}}
                for item in args:
                    if item and not self.skip(item):
                        result[f"{{key}}-{{item!r:>4}}"] = item ** 2 + a
                try:
                    value = await_later(lambda x: x + 1, [1, 2, 3])[0]
                except (KeyError, ValueError) as exc:
                    raise RuntimeError("bad") from exc
                return result
        '''
    )
    source = "".join(block.format(i=i) for i in range(420))
    assert source.count("\n") >= 5000
    start = time.perf_counter()
    tree = fallback.parse(source)
    elapsed = time.perf_counter() - start
    assert dump(tree) == dump(ast.parse(source))
    assert elapsed < 2.0, f"{elapsed:.2f}s for {source.count(chr(10))} lines"


# --------------------------------------------------------------------------- known gaps


@pytest.mark.xfail(
    raises=SyntaxError,
    strict=True,
    reason="tree-sitter-python ends the block at a dedent inside brackets",
)
def test_known_gap_dedent_inside_brackets() -> None:
    assert_same("def f():\n    (bar.\nbaz)\n")


@pytest.mark.xfail(
    raises=SyntaxError,
    strict=True,
    reason="tree-sitter-python has no rule for `from __future__ import *`",
)
def test_known_gap_future_star_import() -> None:
    assert_same("from __future__ import *\n")


@pytest.mark.xfail(
    HOST == (3, 12),
    strict=True,
    reason="3.12 alone adds an empty Constant before `{{` in a format spec",
)
def test_known_gap_312_format_spec_escaped_brace() -> None:
    assert_same('f"{x:{{}}}"\n')
