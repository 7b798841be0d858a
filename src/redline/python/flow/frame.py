"""The state of the function being read: one ``Frame`` per function, replaced when a
nested function starts and given back when it ends.

Keys of ``Frame.consts`` and of the taint environment carry suffixes for facts kept
about a name besides its value."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

LEN = "#len"  # consts key suffix: the length of a list whose items are followed
PREFIXED = "#prefixed"  # consts key suffix: the value starts with text fixed in the code
CALLS = "#calls"  # consts key suffix: the functions a name may hold (from a dispatch table)
COMMON = "#common"  # consts key suffix: the names a commonpath() result was computed from
JOINED = "#joined"  # env key suffix: the taint appended to a path held by the name
NO = object()  # a missing value, where None is a value


@dataclass
class Frame:
    func: str = ""  # qualified name of the function ("module.<module>" at top level)
    cls: str | None = None  # the class the function is a method of
    node: ast.AST | None = None  # the function being read (the module at top level)
    html_view: bool = False  # a Flask view: its returned string is an HTML page
    fixed_path: bool = False  # a Flask view whose route rules have no <variables>
    path_helper: bool = False  # a function named for paths, or returning a Path
    opt_in: str | None = None  # the opt-in flag checked by the current class or function
    route: str | None = None  # a request handler: "open" (no authentication) or "authenticated"
    consts: dict[str, object] = field(default_factory=dict)  # names bound to literals
    shell_lists: set[str] = field(default_factory=set)  # list variables whose first item is a shell
    return_sizes: set[int] = field(default_factory=set)  # tuple sizes returned (-1: other)
    # names bound to a test (ok = url.host in ALLOWED): `if not ok: raise` is that test
    flags: dict[str, ast.expr] = field(default_factory=dict)
    # names that cannot start with "-" (if name.startswith("-"): raise): no option
    no_dash: set[str] = field(default_factory=set)
