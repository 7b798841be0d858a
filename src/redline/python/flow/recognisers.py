"""Library behaviour that the taint data (``knowledge/taint/*.toml``) cannot say as a
plain source, sink or propagator: shells and option injection in argument lists,
prompt templates whose format comes with the data, path joins and containment."""

from __future__ import annotations

import ast

from redline.python.flow.constants import single_compare
from redline.python.flow.frame import COMMON, JOINED
from redline.python.flow.graph import Taint, union
from redline.python.flow.guards import TEMPLATE, vouch

# Returned values that Flask does not send as an HTML body.
NOT_HTML = (ast.Dict, ast.List, ast.Tuple, ast.Call, ast.Constant)



SHELLS = frozenset({"sh", "bash", "zsh", "dash", "/bin/sh", "/bin/bash", "cmd", "cmd.exe", "powershell", "pwsh"})


SUBPROCESS_CALLS = frozenset(
    f"subprocess.{n}" for n in ("run", "call", "check_call", "check_output", "Popen")
)


PROMPT_TEMPLATES = frozenset({"PromptTemplate", "FewShotPromptTemplate", "from_template"})



# Programs whose arguments turn into options or commands when they start with "-" or
# name a helper protocol (git ext::, ssh -oProxyCommand, tar --to-command...).
OPTION_PROGRAMS = frozenset(
    {"git", "ssh", "scp", "rsync", "curl", "wget", "tar", "zip", "unzip", "find", "xargs", "hg", "svn", "sendmail", "psql", "mysql"}
)
# GitPython's command objects: repo.git.diff(a, b) runs `git diff a b`, each positional
# argument one item of git's command line.
GIT_COMMANDS = ("git.Repo.git.", "git.cmd.Git.", "git.Git.")
GIT_NOT_COMMANDS = frozenset({"execute", "clear_cache", "set_persistent_git_options", "update_environment", "custom_environment"})


def git_command(qual: str | None) -> bool:
    """``git.Repo.git.diff``: a git command run through GitPython."""
    if not qual or not qual.startswith(GIT_COMMANDS):
        return False
    owner, _, command = qual.rpartition(".")
    return owner + "." in GIT_COMMANDS and command not in GIT_NOT_COMMANDS and not command.startswith("_")





PATH_JOINS = frozenset({"os.path.join", "posixpath.join", "ntpath.join"})


PATH_WRAPPERS = frozenset({"pathlib.Path", "str", "os.path.abspath", "os.path.normpath", "os.fspath", "pathlib.PurePath"})


COMMONPATH = frozenset({"os.path.commonpath", "posixpath.commonpath"})


# Response factories taking Flask's view-return forms: a (body, status, headers) tuple.
RESPONSE_MAKERS = frozenset({"flask.make_response", "quart.make_response"})


def response_body(node: ast.AST) -> ast.AST:
    """The body of a Flask response tuple (the value itself when it is no tuple): the
    status and headers around it are not part of the page."""
    if isinstance(node, ast.Tuple) and node.elts and not any(isinstance(e, ast.Starred) for e in node.elts):
        return node.elts[0]
    return node


ROUTED_PATHS = frozenset({"flask.request.path", "quart.request.path"})


class LibraryRecognisers:
    """The library-model half of ``FlowBuilder``."""

    def _runs_shell(self, argv: ast.AST) -> bool:
        """["sh", "-c", cmd], or a list that had a shell appended: its command is shell code."""
        if isinstance(argv, (ast.List, ast.Tuple)):
            first = argv.elts[0] if argv.elts else None
            return isinstance(first, ast.Constant) and first.value in SHELLS
        return isinstance(argv, ast.Name) and argv.id in self.frame.shell_lists

    def _argument_injection(self, node: ast.Call, qual: str, argv: ast.List | ast.Tuple, env) -> None:
        """["git", "clone", url]: an untrusted item of a program that takes options
        anywhere can be an option (--upload-pack=...), unless "--" comes before it."""
        program = argv.elts[0] if argv.elts else None
        if not (isinstance(program, ast.Constant) and isinstance(program.value, str)):
            return
        name = program.value.rpartition("/")[2]
        if name not in OPTION_PROGRAMS:
            return
        self._option_items(qual, name, argv.elts[1:], env)

    def _git_arguments(self, node: ast.Call, qual: str, env) -> None:
        """``repo.git.diff("--stat", target)``: GitPython puts each positional argument on
        git's command line, where one that starts with "-" is an option (--output=FILE)."""
        self._option_items(qual, f"git {qual.rpartition('.')[2]}", node.args, env)

    def _option_items(self, qual: str, name: str, items: list[ast.expr], env) -> None:
        for item in items:
            if isinstance(item, ast.Constant):
                if item.value == "--":
                    return
                continue
            if isinstance(item, ast.Starred):
                item = item.value
            if isinstance(item, ast.Name) and item.id in self.frame.no_dash:
                continue  # checked not to start with "-"
            if self._fixed_start(item, env):
                continue  # os.path.join(root, name), f"https://{host}": cannot start with "-"
            taint = self.expr(item, env)
            if taint:
                self._sink(item, "command-injection", qual, taint, f"an argument of {name} (option injection)")

    def _prompt_template(self, node: ast.Call, qual: str, args, kwargs) -> None:
        """PromptTemplate(**config) / (template=t, template_format=fmt): jinja2 templates
        run code when rendered, so a template from data is injection unless the format
        is fixed in the code to f-string or mustache."""
        fmt = next((k.value for k in node.keywords if k.arg == "template_format"), None)
        if isinstance(fmt, ast.Constant) and fmt.value in ("f-string", "mustache"):
            return
        if "**" in kwargs:  # the format comes with the data
            tainted = kwargs["**"]
        elif fmt is not None:
            tainted = union(kwargs.get("template", {}), args[0] if args else {})
        else:
            return  # the default format is f-string
        if tainted:
            self._sink(node, "template-injection", qual, tainted, f"{qual.rpartition('.')[2]}() with a template format from data")

    def _format_rejected(self, node: ast.If, env) -> None:
        """``if template_format == "jinja2": raise``: data the format was read from can no
        longer carry a jinja2 template."""
        body, test = node.body, node.test
        if node.orelse or not body or not isinstance(body[-1], ast.Raise) or not isinstance(test, ast.Compare):
            return
        literals = [c for c in (test.left, *test.comparators) if isinstance(c, (ast.Constant, ast.Tuple, ast.List, ast.Set))]
        values = {e.value for c in literals for e in ([c] if isinstance(c, ast.Constant) else c.elts) if isinstance(e, ast.Constant)}
        if "jinja2" not in values:
            return
        checked = union(*(self.expr(c, env) for c in (test.left, *test.comparators) if c not in literals))
        vouch(env, checked, TEMPLATE)

    def _contained_names(self, node: ast.If) -> list[str]:
        """``if os.path.commonpath([root, full]) != root: raise``: full stays inside root."""
        body = node.body
        test = node.test
        if node.orelse or not body or not isinstance(body[-1], (ast.Raise, ast.Return)):
            return []
        pair = single_compare(test, ast.NotEq)
        for side in pair or ():
            if isinstance(side, ast.Name) and side.id + COMMON in self.frame.consts:
                return list(self.frame.consts[side.id + COMMON])
            if isinstance(side, ast.Call) and self.ctx.qualname(side.func) in COMMONPATH and side.args:
                items = side.args[0]
                if isinstance(items, (ast.List, ast.Tuple)):
                    return [e.id for e in items.elts if isinstance(e, ast.Name)]
        return []

    def _joined_part(self, node: ast.AST, env) -> Taint:
        """The taint of what was appended to a path (root / name, os.path.join(root,
        name), root.joinpath(name)) in the value returned, through Path(...)/str(...)."""
        if isinstance(node, ast.Name):
            return env.get(node.id + JOINED, {})
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            return self.expr(node.right, env)
        if isinstance(node, ast.Call):
            qual = self.ctx.qualname(node.func) or ""
            if qual in PATH_JOINS or (isinstance(node.func, ast.Attribute) and node.func.attr == "joinpath"):
                return union(*(self.expr(a, env) for a in node.args[1 if qual in PATH_JOINS else 0 :]))
            if len(node.args) == 1 and qual in PATH_WRAPPERS:
                return self._joined_part(node.args[0], env)
        return {}
