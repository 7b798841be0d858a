"""The mechanical fixes, as one libcst transformer (comments and formatting survive).

Fixes for rules redline reports (``SER002``, ``AUTH001``, ``NET001``) are applied
only to the calls the scan reported, matched by line and column, so names are
resolved by the engine (``import yaml as y``, ``s = requests.Session()``) and a
suppressed or baselined finding is left alone. Two hardening fixes have no rule
of their own and find their calls here, through libcst's qualified names:
``tarfile`` extraction without a ``filter``, and ``subprocess`` with
``shell=True`` and a constant command that needs no shell.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import PositionProvider, QualifiedNameProvider

DEFAULT_TIMEOUT = "30"

_YAML_SAFE = {
    "load": "safe_load",
    "load_all": "safe_load_all",
    "unsafe_load": "safe_load",
    "unsafe_load_all": "safe_load_all",
    "full_load": "safe_load",
    "full_load_all": "safe_load_all",
}
_YAML_CALLS = frozenset(f"yaml.{name}" for name in _YAML_SAFE)
# Callee names of the HTTP calls NET001 reports (requests, httpx, urllib).
_HTTP_CALLS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "request", "stream", "urlopen",
     "Client", "AsyncClient"}
)
_TLS_OFF = frozenset({"verify", "verify_certs", "verify_ssl", "ssl"})
_TARFILE_OPENERS = frozenset({"tarfile.open", "tarfile.TarFile", "tarfile.TarFile.open", "tarfile.TarFile.gzopen",
                              "tarfile.TarFile.bz2open", "tarfile.TarFile.xzopen", "tarfile.TarFile.taropen"})
_SUBPROCESS = frozenset(
    f"subprocess.{n}" for n in ("run", "call", "check_call", "check_output", "Popen")
)
# Characters a POSIX shell gives meaning to: a command with any of them is left alone.
_SHELL_SPECIAL = frozenset("|&;<>()$`\\\"'*?[]#~{}!=%\n\r\t")
_SHELL_BUILTINS = frozenset(
    {
        "alias", "bg", "break", "builtin", "cd", "command", "continue", "declare", "dirs",
        "disown", "eval", "exec", "exit", "export", "fc", "fg", "getopts", "hash", "history",
        "jobs", "let", "local", "logout", "popd", "pushd", "read", "readonly", "return", "set",
        "shift", "shopt", "source", "suspend", "times", "trap", "type", "typeset", "ulimit",
        "umask", "unalias", "unset", "wait", ".",
    }
)


@dataclass(frozen=True)
class Applied:
    rule_id: str | None  # None for hardening fixes with no rule of their own
    line: int
    description: str


def _is_false(node: cst.BaseExpression) -> bool:
    return (isinstance(node, cst.Name) and node.value == "False") or (
        isinstance(node, cst.Integer) and node.value == "0"
    )


def _is_name(node: cst.BaseExpression, value: str) -> bool:
    return isinstance(node, cst.Name) and node.value == value


def _callee_name(func: cst.BaseExpression) -> str | None:
    if isinstance(func, cst.Attribute):
        return func.attr.value
    if isinstance(func, cst.Name):
        return func.value
    return None


def _kw(call: cst.Call, name: str) -> cst.Arg | None:
    return next((a for a in call.args if a.keyword is not None and a.keyword.value == name), None)


def _has_star_kwargs(call: cst.Call) -> bool:
    return any(a.star == "**" for a in call.args)


def remove_args(call: cst.Call, drop: Callable[[int, cst.Arg], bool]) -> cst.Call:
    """``call`` without the arguments ``drop`` selects; the comma style is kept."""
    args = list(call.args)
    keep = [a for i, a in enumerate(args) if not drop(i, a)]
    if len(keep) == len(args):
        return call
    if keep and keep[-1] is not args[-1]:
        removed, last = args[-1], keep[-1]
        closing = removed.comma.whitespace_after if isinstance(removed.comma, cst.Comma) else removed.whitespace_after_arg
        if (
            isinstance(last.comma, cst.Comma)
            and isinstance(last.comma.whitespace_after, cst.ParenthesizedWhitespace)
            and isinstance(closing, cst.ParenthesizedWhitespace)
        ):
            # One argument per line: the new last line keeps its comment and trailing
            # comma, and the closing parenthesis keeps its indentation.
            ws = last.comma.whitespace_after.with_changes(indent=closing.indent, last_line=closing.last_line)
            keep[-1] = last.with_changes(comma=last.comma.with_changes(whitespace_after=ws))
        else:
            keep[-1] = last.with_changes(comma=removed.comma, whitespace_after_arg=removed.whitespace_after_arg)
    return call.with_changes(args=keep)


def add_keyword(call: cst.Call, name: str, value: cst.BaseExpression) -> cst.Call:
    """``call`` with ``name=value`` appended, laid out like the arguments before it."""
    new = cst.Arg(
        keyword=cst.Name(name),
        value=value,
        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
    )
    args = list(call.args)
    if not args:
        return call.with_changes(args=[new])
    last = args[-1]
    if isinstance(last.comma, cst.Comma):  # a trailing comma
        after = last.comma.whitespace_after
        between = (
            args[-2].comma.whitespace_after
            if len(args) >= 2 and isinstance(args[-2].comma, cst.Comma)
            else call.whitespace_before_args
        )
        if isinstance(after, cst.ParenthesizedWhitespace) and isinstance(between, cst.ParenthesizedWhitespace):
            # One argument per line: the old last line keeps its comment, the new
            # argument gets a line of its own before the closing parenthesis.
            old_comma = last.comma.with_changes(
                whitespace_after=after.with_changes(
                    empty_lines=(), indent=between.indent, last_line=between.last_line
                )
            )
            new_comma = cst.Comma(
                whitespace_after=cst.ParenthesizedWhitespace(
                    first_line=cst.TrailingWhitespace(),
                    empty_lines=after.empty_lines,
                    indent=after.indent,
                    last_line=after.last_line,
                )
            )
        else:
            old_comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            new_comma = last.comma
        args[-1] = last.with_changes(comma=old_comma)
        args.append(new.with_changes(comma=new_comma))
    else:
        args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        args.append(new)
    return call.with_changes(args=args)


def _shell_free_argv(node: cst.BaseExpression) -> list[str] | None:
    """The argument list a constant command means, when no shell is needed to run it."""
    if not isinstance(node, cst.SimpleString) or "b" in node.prefix.lower():
        return None
    value = node.evaluated_value
    if not isinstance(value, str) or not value.strip() or any(c in _SHELL_SPECIAL for c in value):
        return None
    argv = shlex.split(value)
    if not argv or argv[0] in _SHELL_BUILTINS:
        return None
    return argv


class _TarNames(cst.CSTVisitor):
    """Names bound only ever to an opened tar archive in this module."""

    METADATA_DEPENDENCIES = (QualifiedNameProvider,)

    def __init__(self) -> None:
        self.tar: set[str] = set()
        self.other: set[str] = set()

    def _opens_tar(self, value: cst.BaseExpression | None) -> bool:
        if not isinstance(value, cst.Call):
            return False
        names = self.get_metadata(QualifiedNameProvider, value.func, set())
        return any(q.name in _TARFILE_OPENERS for q in names)

    def _bind(self, target: cst.BaseExpression, value: cst.BaseExpression | None) -> None:
        if isinstance(target, cst.Name):
            (self.tar if self._opens_tar(value) else self.other).add(target.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        for t in node.targets:
            self._bind(t.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._bind(node.target, node.value)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._bind(node.asname.name, node.item)

    def visit_For(self, node: cst.For) -> None:
        self._bind(node.target, None)

    def visit_Param(self, node: cst.Param) -> None:
        self.other.add(node.name.value)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._bind(node.target, node.value)

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self.tar - self.other)


class Fixer(cst.CSTTransformer):
    """Applies every fix it can to one module; ``applied`` lists what it did.

    ``targets`` maps a rule id to the (line, byte column) of the calls reported for it.
    """

    METADATA_DEPENDENCIES = (PositionProvider, QualifiedNameProvider)

    def __init__(
        self, targets: dict[str, set[tuple[int, int]]], lines: list[str], tar_names: frozenset[str], hardening: bool = True
    ) -> None:
        super().__init__()
        self.hardening = hardening
        self.targets = {rule: set(where) for rule, where in targets.items()}
        self.lines = lines
        self.tar_names = tar_names
        self.applied: list[Applied] = []

    def _where(self, node: cst.CSTNode) -> tuple[int, int]:
        pos = self.get_metadata(PositionProvider, node).start
        text = self.lines[pos.line - 1] if 0 < pos.line <= len(self.lines) else ""
        return pos.line, len(text[: pos.column].encode("utf-8"))

    def _qualnames(self, node: cst.CSTNode) -> set[str]:
        return {q.name for q in self.get_metadata(QualifiedNameProvider, node, set())}

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        where = self._where(original.func)
        line = where[0]
        call = updated
        # A chained call (`requests.get(u).json()`) starts where its inner call does:
        # each fix checks the callee, and a target is used up by the first call it fits.
        for rule_id in ("SER002", "SER003"):
            if where in self.targets.get(rule_id, ()) and self._qualnames(original.func) & _YAML_CALLS:
                call = self._yaml(call, line, rule_id)
                self.targets[rule_id].discard(where)
        if where in self.targets.get("AUTH001", ()):
            fixed = self._tls(call, line)
            if fixed is not call:
                self.targets["AUTH001"].discard(where)
            call = fixed
        if where in self.targets.get("NET001", ()) and _callee_name(original.func) in _HTTP_CALLS:
            call = self._timeout(call, line)
            self.targets["NET001"].discard(where)
        if not self.hardening:
            return call
        if isinstance(call.func, cst.Attribute) and call.func.attr.value in ("extractall", "extract"):
            call = self._tar(original, call, line)
        if _kw(call, "shell") is not None:
            call = self._shell(original, call, line)
        return call

    def _yaml(self, call: cst.Call, line: int, rule_id: str) -> cst.Call:
        func = call.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in _YAML_SAFE:
            return call  # `from yaml import load`: renaming needs an import change, left to a person
        if any(a.star for a in call.args):
            return call
        safe = _YAML_SAFE[func.attr.value]
        call = remove_args(call, lambda i, a: (a.keyword is None and i == 1) or (a.keyword is not None and a.keyword.value == "Loader"))
        call = call.with_changes(func=func.with_changes(attr=func.attr.with_changes(value=safe)))
        self.applied.append(Applied(rule_id, line, f"yaml.{func.attr.value}() -> yaml.{safe}()"))
        return call

    def _tls(self, call: cst.Call, line: int) -> cst.Call:
        off = [a.keyword.value for a in call.args if a.keyword is not None and a.keyword.value in _TLS_OFF and _is_false(a.value)]
        if not off:
            return call
        call = remove_args(call, lambda i, a: a.keyword is not None and a.keyword.value in off and _is_false(a.value))
        self.applied.append(Applied("AUTH001", line, f"removed {off[0]}=False (certificates are verified)"))
        return call

    def _timeout(self, call: cst.Call, line: int) -> cst.Call:
        if _has_star_kwargs(call):
            return call
        existing = _kw(call, "timeout")
        if existing is not None:
            if not _is_name(existing.value, "None"):
                return call
            new_args = [a.with_changes(value=cst.Integer(DEFAULT_TIMEOUT)) if a is existing else a for a in call.args]
            self.applied.append(Applied("NET001", line, f"timeout=None -> timeout={DEFAULT_TIMEOUT}"))
            return call.with_changes(args=new_args)
        positional = [a for a in call.args if a.keyword is None]
        if isinstance(call.func, cst.Attribute | cst.Name):
            name = call.func.attr.value if isinstance(call.func, cst.Attribute) else call.func.value
            if name == "urlopen" and len(positional) >= 3:
                return call
        self.applied.append(Applied("NET001", line, f"added timeout={DEFAULT_TIMEOUT}"))
        return add_keyword(call, "timeout", cst.Integer(DEFAULT_TIMEOUT))

    def _tar(self, original: cst.Call, call: cst.Call, line: int) -> cst.Call:
        if _kw(call, "filter") is not None or _has_star_kwargs(call) or any(a.star == "*" for a in call.args):
            return call
        receiver = original.func.value if isinstance(original.func, cst.Attribute) else None
        method = original.func.attr.value if isinstance(original.func, cst.Attribute) else ""
        tar = False
        if isinstance(receiver, cst.Name):
            tar = receiver.value in self.tar_names
        elif isinstance(receiver, cst.Call):
            tar = bool(self._qualnames(receiver.func) & _TARFILE_OPENERS)
        if not tar:
            return call
        # extract(member, path="", set_attrs=True, *, numeric_owner=False, filter=None)
        self.applied.append(Applied(None, line, f"tarfile {method}() with filter=\"data\""))
        return add_keyword(call, "filter", cst.SimpleString('"data"'))

    def _shell(self, original: cst.Call, call: cst.Call, line: int) -> cst.Call:
        shell = _kw(call, "shell")
        if shell is None or not _is_name(shell.value, "True") or _kw(call, "executable") is not None:
            return call
        if not (self._qualnames(original.func) & _SUBPROCESS) or _has_star_kwargs(call):
            return call
        positional = [a for a in call.args if a.keyword is None]
        command = positional[0] if positional else _kw(call, "args")
        if command is None or command.star:
            return call
        argv = _shell_free_argv(command.value)
        if argv is None:
            return call
        quote = '"' if command.value.quote.endswith('"') else "'"  # type: ignore[union-attr]
        elements = [
            cst.Element(
                cst.SimpleString(f"{quote}{word}{quote}"),
                comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")) if i < len(argv) - 1 else cst.MaybeSentinel.DEFAULT,
            )
            for i, word in enumerate(argv)
        ]
        new_value = cst.List(elements)
        args = [a.with_changes(value=new_value) if a is command else a for a in call.args]
        call = call.with_changes(args=args)
        call = remove_args(call, lambda i, a: a.keyword is not None and a.keyword.value == "shell")
        self.applied.append(Applied(None, line, "constant shell command -> argument list without a shell"))
        return call


def fix_module(
    source: str, targets: dict[str, set[tuple[int, int]]], *, hardening: bool = True
) -> tuple[str, list[Applied]]:
    """``source`` with every applicable fix made (the hardening fixes too unless
    ``hardening`` is False), and the fixes; raises libcst's ParserSyntaxError for code
    libcst cannot parse."""
    module = cst.parse_module(source)
    wrapper = cst.MetadataWrapper(module)
    tar = _TarNames()
    if hardening:  # only the tarfile hardening asks which names are archives
        wrapper.visit(tar)
    fixer = Fixer(targets, source.split("\n"), tar.names, hardening)
    new = wrapper.visit(fixer)
    applied = sorted(fixer.applied, key=lambda a: a.line)
    return new.code, applied
