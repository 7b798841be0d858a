"""Knowledge of workflow definitions (``workflows.toml``): the fields a shell runs,
template syntaxes, which variable roots are untrusted, and the Python calls that render
templates, run shells and evaluate expressions."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from redline.knowledge import KnowledgeError, load_toml, string_list


@dataclass(frozen=True)
class WorkflowKnowledge:
    shell_fields: frozenset[str]
    args_fields: frozenset[str]
    shells: frozenset[str]
    script_flags: frozenset[str]
    code_loading: frozenset[str]
    containers: frozenset[str]
    framework_namespaces: tuple[str, ...]
    expressions: frozenset[str]
    expression_syntax: str
    double_brace_syntax: str
    dollar_brace_syntax: str
    square_brackets_syntax: str
    quoting_filters: frozenset[str]
    untrusted: tuple[str, ...]
    upstream: tuple[str, ...]
    fixed: tuple[str, ...]
    github_untrusted: tuple[str, ...]
    github_derived: tuple[str, ...]
    github_results: tuple[str, ...]
    render: frozenset[str]
    render_methods: frozenset[str]
    shell_kwarg: frozenset[str]
    shell_always: frozenset[str]
    exec_argv: frozenset[str]
    safe_evaluators: frozenset[str]
    code_runners: frozenset[str]


@cache
def workflows() -> WorkflowKnowledge:
    data = load_toml("workflows.toml")

    def strings(table: str, key: str) -> tuple[str, ...]:
        return tuple(string_list(data.get(table, {}).get(key), f"workflows.toml: {table}.{key}"))

    def text(table: str, key: str) -> str:
        value = data.get(table, {}).get(key)
        if not isinstance(value, str):
            raise KnowledgeError(f"knowledge/workflows.toml: {table}.{key} must be a string")
        return value

    def lower(table: str, key: str) -> frozenset[str]:
        return frozenset(v.lower() for v in strings(table, key))

    return WorkflowKnowledge(
        shell_fields=lower("fields", "shell"),
        args_fields=lower("fields", "args"),
        shells=lower("fields", "shells"),
        script_flags=lower("fields", "script_flags"),
        code_loading=lower("fields", "code_loading"),
        containers=lower("fields", "containers"),
        framework_namespaces=strings("fields", "framework_namespaces"),
        expressions=lower("fields", "expressions"),
        expression_syntax=text("templates", "expression"),
        double_brace_syntax=text("templates", "double_brace"),
        dollar_brace_syntax=text("templates", "dollar_brace"),
        square_brackets_syntax=text("templates", "square_brackets"),
        quoting_filters=lower("templates", "shell_quoting_filters"),
        untrusted=strings("roots", "untrusted"),
        upstream=strings("roots", "upstream"),
        fixed=strings("roots", "fixed"),
        github_untrusted=strings("github", "untrusted"),
        github_derived=strings("github", "derived"),
        github_results=strings("github", "results"),
        render=frozenset(strings("python", "render")),
        render_methods=frozenset(strings("python", "render_methods")),
        shell_kwarg=frozenset(strings("python", "shell_kwarg")),
        shell_always=frozenset(strings("python", "shell_always")),
        exec_argv=frozenset(strings("python", "exec_argv")),
        safe_evaluators=frozenset(strings("python", "safe_evaluators")),
        code_runners=frozenset(strings("python", "code_runners")),
    )
