"""Call resolution: what a call's result carries, which library models apply to it,
and the call sites into the project that the whole-program search links."""

from __future__ import annotations

import ast

from redline.python.flow.constants import const_str, forget_items, item_key, path_key, source_of
from redline.python.flow.frame import CALLS, LEN
from redline.python.flow.graph import (
    UNKNOWN_TAINT,
    Taint,
    add_step,
    carries,
    cleaned,
    union,
)
from redline.python.flow.guards import QUOTE_CATEGORIES
from redline.python.flow.recognisers import (
    PROMPT_TEMPLATES,
    RESPONSE_MAKERS,
    ROUTED_PATHS,
    SHELLS,
    SUBPROCESS_CALLS,
    git_command,
    response_body,
)
from redline.python.names import BUILTIN_NAMES
from redline.rules.common import writing_mode

# Builtins whose result is not computed from their arguments alone.
IMPURE_BUILTINS = frozenset(
    {"open", "input", "getattr", "vars", "globals", "locals", "__import__", "eval", "exec", "compile"}
)


TOOL_FUNCTION_KEYWORDS = ("func", "fn", "function", "coroutine", "tool")


class CallResolver:
    """The call half of ``FlowBuilder``."""

    def _checked_arguments(self, call: ast.Call, env) -> None:
        """``check_name(name)`` as a statement, a call into the project: if the callee
        raises unless its parameter passes a check, ``name`` is checked from here on.
        The callee is known only when the graphs are joined, so ``name`` now flows
        through a node that the linker marks with what the callee's checks rule out."""
        site = self._site_id(call)
        info = self.graph.sites.get(site)
        if info is None:
            return
        keys = [(str(i), a.id) for i, a in enumerate(call.args) if isinstance(a, ast.Name)]
        keys += [(k.arg, k.value.id) for k in call.keywords if k.arg and isinstance(k.value, ast.Name)]
        checked = []
        for key, name in keys:
            taint = env.get(name)
            if not taint:
                continue
            node = f"chk:{site}:{key}"
            self._flow(taint, node, call.lineno, f"checked by {info['callee'].removeprefix('*.')}()")
            env[name] = {node: ((), frozenset())}
            checked.append(key)
        if checked:
            info["checked"] = checked

    def _list_method(self, node: ast.Call, name: str, args: list[Taint], env) -> tuple[bool, Taint]:
        """append/pop/insert on a list whose items are known one by one."""
        n = self.frame.consts[name + LEN]
        method = node.func.attr
        index = None
        if node.args and isinstance(node.args[0], ast.Constant) and type(node.args[0].value) is int:
            index = node.args[0].value
        if node.keywords:
            pass
        elif method == "append" and len(args) == 1:
            env[f"{name}[{n}]"] = args[0]
            env[name] = union(env.get(name, {}), add_step(args[0], node.lineno, f"stored in {name}"))
            self.frame.consts[name + LEN] = n + 1
            return True, {}
        elif method == "pop" and (not node.args or index is not None) and n:
            i = (n - 1 if index is None else index) % n if (index is None or -n <= index < n) else None
            if i is not None:
                taken = env.pop(f"{name}[{i}]", {})
                for j in range(i + 1, n):
                    env[f"{name}[{j - 1}]"] = env.pop(f"{name}[{j}]", {})
                self.frame.consts[name + LEN] = n - 1
                return True, taken
        elif method == "insert" and len(args) == 2 and index is not None and 0 <= index <= n:
            for j in range(n - 1, index - 1, -1):
                env[f"{name}[{j + 1}]"] = env.pop(f"{name}[{j}]", {})
            env[f"{name}[{index}]"] = args[1]
            env[name] = union(env.get(name, {}), add_step(args[1], node.lineno, f"stored in {name}"))
            self.frame.consts[name + LEN] = n + 1
            return True, {}
        self._forget_list(name, env)
        return False, {}

    def _forget_list(self, name: str, env) -> None:
        self.frame.consts.pop(name + LEN, None)
        forget_items(env, name)

    def _call(self, node: ast.Call, env) -> Taint:
        func = node.func
        receiver: Taint = {}
        if isinstance(func, ast.Attribute):
            receiver = self.expr(func.value, env)
            if receiver is UNKNOWN_TAINT and self.ctx.qualname(func.value) is not None:
                receiver = {}  # base64.b64decode(x), helpers.utils.escape(x): a module is no data
        qual = self.ctx.qualname(func)
        if qual is not None and qual in self.kb.tool_wrappers:
            self._register_tool(node, qual)
        if self.frame.fixed_path and qual is not None and qual.rpartition(".")[0] in ROUTED_PATHS:
            return {}  # request.path.split("/") in a view with a literal rule: constant text
        args = [
            self.expr(response_body(a) if i == 0 and qual in RESPONSE_MAKERS else a, env)
            for i, a in enumerate(a.value if isinstance(a, ast.Starred) else a for a in node.args)
        ]
        kwargs = {kw.arg or "**": self.expr(kw.value, env) for kw in node.keywords}
        if isinstance(func, ast.Name) and func.id + CALLS in self.frame.consts:
            return self._site(node, "any:" + "|".join(self.frame.consts[func.id + CALLS]), False, {}, args, kwargs)
        method_call = False
        if (
            qual is None
            and isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in ("self", "cls")
            and self.frame.cls is not None
        ):
            qual = f"{self.frame.func.rsplit('.', 1)[0]}.{func.attr}"
            method_call = True
        elif qual is None and isinstance(func, ast.Name) and func.id == "cls" and self.frame.cls is not None:
            qual = self.frame.func.rsplit(".", 1)[0]  # cls(**data) in a classmethod: the class itself
        everything = union(receiver, *args, *kwargs.values())
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "get"
            and isinstance(func.value, ast.Name)
            and func.value.id in self.mappings
            and func.value.id not in env
        ):
            # MODES.get(name, "default"): one of the mapping's constants, or the default
            return union(*args[1:2], kwargs.get("default", {}))
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and node.args:
            kept = self._keyed_access(node, func, qual, receiver, args, env)
            if kept is not None:
                return kept
        handled, result = self._containers(node, func, receiver, args, kwargs, env)
        if handled:
            return result
        if isinstance(func, ast.Attribute) and func.attr in self.kb.method_sinks and not self.kb.sinks.get(qual or ""):
            self._method_sink(node, func, qual, args)
        if isinstance(func, ast.Attribute) and func.attr == "replace" and len(node.args) >= 2:
            removed, inserted = const_str(node.args[0]), const_str(node.args[1])
            if removed in ("'", '"') and inserted is not None and removed not in inserted:
                # s.replace("'", "&apos;"): the value can no longer close a quoted literal
                return cleaned(everything, QUOTE_CATEGORIES)
        if qual is None:
            # A method of some value we cannot type. Its result carries the value's taint;
            # arguments count only for methods that build their result from them
            # (str.format, "".join, replace...): a getter's key does not taint what it reads.
            if isinstance(func, ast.Attribute) and (
                func.attr in self.kb.builders or isinstance(func.value, (ast.Constant, ast.JoinedStr))
            ):
                return everything
            if isinstance(func, ast.Attribute) and not func.attr.startswith("__") and carries(args, kwargs):
                # Perhaps a project method (thing.do(x) on an object made elsewhere):
                # resolved by name when the graphs are joined.
                return union(receiver, self._site(node, f"*.{func.attr}", True, receiver, args, kwargs))
            return receiver
        self._library_sinks(node, func, qual, method_call, receiver, args, kwargs, env)
        return self._result(node, func, qual, method_call, receiver, everything, args, kwargs)

    def _result(self, node: ast.Call, func, qual: str, method_call: bool, receiver, everything, args, kwargs) -> Taint:
        """What a call the code names returns: sanitized, propagated, a source, a library
        result, or a project call site."""
        kb = self.kb
        cats = kb.sanitizers.get(qual)
        if cats is None:  # quote_identifier(name), self._quote_ident(table)
            cats = kb.sanitizer_names.get(qual.rpartition(".")[2].lstrip("_").lower())
        if cats is not None:
            return cleaned(everything, cats) if cats else {}
        if qual in kb.receiver_only or self._chained_on_statement(qual):
            # sql.SQL(template).format(value): the values are quoted as literals
            return add_step(receiver, node.lineno, f"through {qual}()")
        cats = self._sanitizer_by_name_part(qual)
        if cats:  # escape_html(), escape_for_html()...
            return cleaned(everything, cats)
        if qual in kb.non_propagating:
            return {}
        chosen = kb.contents.get(qual)
        if chosen is not None:  # open(path): the file's own text, chosen by whoever chose the path
            return union(UNKNOWN_TAINT, cleaned(add_step(everything, node.lineno, f"read by {qual}()"), chosen))
        selected = kb.selected_args.get(qual)
        if selected is not None:  # urllib.request.Request(url, data=body): the URL only
            positions, names = selected
            chosen = [args[i] for i in positions if i < len(args)] + [kwargs[n] for n in names if n in kwargs]
            return add_step(union(*chosen), node.lineno, f"through {qual}()") if chosen else {}
        if qual in kb.pure:  # base64.b64decode(x): only what x holds
            return add_step(everything, node.lineno, f"through {qual}()")
        kind = kb.source_calls.get(qual)
        if kind is not None:
            origin = {self._source(node, kind, f"{qual}()"): ((), frozenset())}
            if kind == "file":  # yaml.safe_load(request.body), ZipFile(upload).namelist(): the
                # document (argument) or archive (receiver) carries its own origin as well
                carried = union(receiver, args[0]) if args else receiver
                if carried:
                    return union(origin, add_step(carried, node.lineno, f"read by {qual}()"))
            return origin
        top = qual.split(".", 1)[0]
        if qual in BUILTIN_NAMES and qual not in IMPURE_BUILTINS:
            return add_step(everything, node.lineno, f"through {qual}()")
        if not method_call and (top not in self.roots or qual in BUILTIN_NAMES):
            # a library call: its result carries its arguments, and data of its own
            return add_step(union(everything, UNKNOWN_TAINT), node.lineno, f"through {qual}()")
        head = func
        while isinstance(head, ast.Attribute):
            head = head.value
        on_object = method_call or (
            isinstance(func, ast.Attribute)
            and isinstance(head, ast.Name)
            and (head.id == "self" or self.ctx.variable_type(head.id) is not None)
        )
        return self._site(node, qual, on_object, receiver if isinstance(func, ast.Attribute) else {}, args, kwargs)

    def _containers(self, node: ast.Call, func, receiver, args, kwargs, env) -> tuple[bool, Taint]:
        """Lists followed item by item (append/pop/insert), containers that store what
        they are given (items.append(x)), argument lists that run a shell: (handled, the
        result when handled)."""
        if (
            isinstance(func, ast.Attribute)
            and func.attr in ("append", "insert")
            and isinstance(func.value, ast.Name)
            and any(isinstance(a, ast.Constant) and a.value in SHELLS for a in node.args)
        ):
            self.frame.shell_lists.add(func.value.id)  # argv.append("sh"): the list runs a shell
        for a in node.args:  # a list handed to a call may be changed there
            if isinstance(a, ast.Name) and a.id + LEN in self.frame.consts:
                self._forget_list(a.id, env)
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id + LEN in self.frame.consts:
            handled, result = self._list_method(node, func.value.id, args, env)
            if handled:
                return True, result
        if isinstance(func, ast.Attribute) and func.attr in self.kb.mutators and (args or kwargs):
            added = union(*args, *kwargs.values())
            if added:  # items.append(x): the container now holds x
                self._assign(func.value, union(receiver, added), env, node.lineno, None)
        return False, {}

    def _keyed_access(self, node: ast.Call, func: ast.Attribute, qual: str | None, receiver, args, env) -> Taint | None:
        """``conf.get("a", "b")`` after ``conf.set("a", "b", v)``, ``m.get("k")`` after
        ``m["k"] = v``: values remembered per constant key (None: not such an access)."""
        holder = func.value.id
        if func.attr == "get":
            # conf.get("section", "option") after conf.set("section", "option", v)
            key = path_key(holder, node.args) if len(node.args) > 1 else None
            if key is not None and key in env:
                return env[key]
            key = item_key(holder, node.args[0])
            if key is not None and key in env:
                return union(env[key], *args[1:2])
            if key is not None and holder in env and (qual is None or qual.split(".", 1)[0] in self.roots):
                # config.get("format", "f-string") on a value of the project: a mapping read
                return union(receiver, *args[1:2])
        elif func.attr == "set" and len(node.args) > 1 and not node.keywords:
            key = path_key(holder, node.args[:-1])
            if key is not None:  # a keyed store: remembered per key, strong update
                env[key] = add_step(args[-1], node.lineno, f"stored in {holder}")
                if args[-1]:
                    env[holder] = union(env.get(holder, {}), env[key])
        return None

    def _library_sinks(self, node: ast.Call, func, qual: str, method_call: bool, receiver, args, kwargs, env) -> None:
        """The sinks a call the code names reaches: the knowledge's, those of a library base
        class (self.send_header(...)), prompt templates and subprocess argument lists."""
        kb = self.kb
        if qual.startswith("langchain") and qual.rpartition(".")[2] in PROMPT_TEMPLATES:
            self._prompt_template(node, qual, args, kwargs)
        if qual in SUBPROCESS_CALLS and node.args and isinstance(node.args[0], (ast.List, ast.Tuple)):
            self._argument_injection(node, qual, node.args[0], env)
        if node.args and git_command(qual):
            self._git_arguments(node, qual, env)
        if qual in SUBPROCESS_CALLS and node.args and self._runs_shell(node.args[0]):
            self._sink(node, "command-injection", qual, args[0], f"{qual}() through a shell (-c)")
        specs = kb.sinks.get(qual)
        if specs:
            for spec in specs:
                self._check_sink(node, qual, spec, receiver, args, kwargs)
        if method_call:  # self.send_header(...) inherited from a library base class
            json_answers = not kb.json_handlers.isdisjoint(self.bases)
            for parent in self.bases:
                inherited = f"{parent}.{func.attr}"
                for spec in kb.sinks.get(inherited, ()):
                    if not (json_answers and spec.category == "xss"):  # a JSON API writes no page
                        self._check_sink(node, inherited, spec, receiver, args, kwargs)

    def _method_sink(self, node: ast.Call, func: ast.Attribute, qual: str | None, args: list[Taint]) -> None:
        """A method known by name to run an argument (``cur.execute(sql)``), on a receiver
        named or made as the knowledge says; the first entry that applies decides."""
        method = func.attr
        receiver_name = (qual or "").rpartition(".")[0]
        head = func.value.id if isinstance(func.value, ast.Name) else ""
        for spec in self.kb.method_sinks[method]:
            if spec.imports and not spec.imports & self._imported_roots:
                continue
            if (spec.receivers or spec.receiver_calls) and not (
                head in spec.receivers or any(receiver_name.endswith("." + c) for c in spec.receiver_calls)
            ):
                continue
            if len(args) > spec.position:
                self._sink(node, spec.category, qual or method, args[spec.position], spec.what.format(method=method))
            return

    def _sanitizer_by_name_part(self, qual: str) -> frozenset[str]:
        name = qual.rpartition(".")[2].lower()
        found: frozenset[str] = frozenset()
        for part, cats in self.kb.sanitizer_name_parts.items():
            if part in name:
                found |= cats
        return found

    def _chained_on_statement(self, qual: str) -> bool:
        """``update(table).where(...).values(data)``: a method chained on a statement
        builder binds its arguments as parameters."""
        statements = self.kb.statements
        if not statements:
            return False
        owner = qual.rpartition(".")[0]
        while owner:
            if owner in statements:
                return True
            owner = owner.rpartition(".")[0]
        return False

    def _site_id(self, node: ast.Call) -> str:
        """A call site's node id. Nested calls can start at the same place
        (Job(x).start()): the end tells them apart."""
        return f"call:{self.path}:{node.lineno}:{node.col_offset}:{node.end_lineno}:{node.end_col_offset}"

    def _site(self, node: ast.Call, qual: str, on_object: bool, receiver, args, kwargs) -> Taint:
        """A call into the project, resolved when the graphs are joined."""
        site = self._site_id(node)
        self.graph.sites[site] = {"callee": qual, "line": node.lineno, "method": on_object}
        shown = qual.removeprefix("*.")
        if receiver:
            self._flow(receiver, f"arg:{site}:self", node.lineno, f"receiver of {shown}()")
        for i, t in enumerate(args):
            self._flow(t, f"arg:{site}:{i}", node.lineno, f"passed to {shown}()")
        for name, t in kwargs.items():
            self._flow(t, f"arg:{site}:{name}", node.lineno, f"passed to {shown}({name}=)")
        return {site: (((node.lineno, f"returned by {shown}()"),), frozenset())}

    def _register_tool(self, node: ast.Call, wrapper: str) -> None:
        """``FunctionTool(self.read_file)``, ``StructuredTool.from_function(func=search)``:
        the function given is offered to a model, which chooses its arguments."""
        target = node.args[0] if node.args else next(
            (kw.value for kw in node.keywords if kw.arg in TOOL_FUNCTION_KEYWORDS), None
        )
        qual = None
        if (
            isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id == "self"
            and self.frame.cls is not None
        ):
            qual = f"{self.frame.func.rsplit('.', 1)[0]}.{target.attr}"
        elif isinstance(target, ast.Name):
            qual = f"{self.module}.{target.id}" if target.id in self.known_names else self.ctx.qualname(target)
        if qual is not None:
            self.graph.tools.setdefault(qual, [self.kb.tool_wrappers[wrapper], node.lineno, wrapper])

    def _function_text(self) -> str:
        return source_of(self.ctx, self.frame.node)

    def _check_sink(self, node: ast.Call, qual: str, spec, receiver, args, kwargs) -> None:
        if spec.only_with is not None:
            position, keyword, names = spec.only_with
            given = node.args[position] if position is not None and position < len(node.args) else None
            if given is None and keyword is not None:
                given = next((k.value for k in node.keywords if k.arg == keyword), None)
            if given is None or self.ctx.qualname(given) not in names:
                return  # yaml.load(text, Loader=SafeLoader): not the dangerous option
        if spec.enabled_by is not None and not spec.enabled_by.search(self._function_text()):
            return  # a parser safe by default, and this function never turns the feature on
        if spec.requires_kwarg is not None:
            kw = next((k for k in node.keywords if k.arg == spec.requires_kwarg), None)
            if kw is None or (isinstance(kw.value, ast.Constant) and kw.value.value in (False, None, 0)):
                return
        for name, literal in spec.unless_kwarg:
            kw = next((k for k in node.keywords if k.arg == name), None)
            if kw is not None and isinstance(kw.value, ast.Constant) and kw.value.value == literal:
                return
        tainted: Taint = {}
        for i in spec.args:
            if i < len(args):
                tainted = union(tainted, args[i])
        for name in spec.kwargs:
            if name in kwargs:
                tainted = union(tainted, kwargs[name])
        if spec.receiver:
            tainted = union(tainted, receiver)
        category = spec.category
        if spec.write_mode is not None and writing_mode(node, spec.write_mode):
            category = "path-traversal-write"  # open(path, "wb"): a write, not a read
        self._sink(node, category, qual, tainted, f"{qual}()")
