"""``redline mcp``: redline's scanner as Model Context Protocol tools, over stdio.

For coding agents: scan a path, explain a rule, list the rules, audit the dependencies,
and preview the mechanical fixes as a diff. Read-only: no tool writes a file (the fix
tool returns the diff it would apply). Every path must lie inside one of the roots given
with ``--root`` (default: the directory the server starts in); one outside, or a link
leading outside, is refused with a tool error. Answers are the JSON report's model
(redline.report.json_report), secrets masked as in every report, and bounded: at most
``max_findings`` findings (default 100, at most 1,000), diffs cut at 200,000 characters.
Built on the ``mcp`` SDK (``pip install 'redline[mcp]'``), through redline.api.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from redline import api

MAX_FINDINGS = 1000
DEFAULT_FINDINGS = 100
MAX_DIFF = 200_000

INSTRUCTIONS = (
    "redline reviews Python code that builds AI agents, LLM pipelines and workflow engines for "
    "security flaws (code execution, injection, SSTI, secrets, unsafe deserialization, LLM "
    "output trust, tool sandboxes, dependencies). Use `scan` on a file or directory of the "
    "project, `explain_rule` for what a finding means and how to fix it, and `fix_diff` to "
    "preview the mechanical fixes. Nothing is written."
)


class Roots:
    """The directories the tools may read, and the check that a path lies inside one."""

    def __init__(self, roots: list[Path]) -> None:
        self.roots = [Path(os.path.realpath(r)) for r in roots]

    def check(self, path: str) -> Path:
        from mcp.server.mcpserver.exceptions import ToolError

        if not path or "\0" in path:
            raise ToolError("give a path to a file or directory inside the allowed roots")
        given = Path(path)
        if not given.is_absolute():
            given = self.roots[0] / given
        real = Path(os.path.realpath(given))
        if not any(real == root or root in real.parents for root in self.roots):
            allowed = ", ".join(str(r) for r in self.roots)
            raise ToolError(f"{path}: outside the allowed roots ({allowed}); start the server with --root to allow it")
        if not real.exists():
            raise ToolError(f"{path}: no such file or directory")
        return real


def _report(result, max_findings: int) -> dict:
    """The JSON report's document, its findings cut at ``max_findings``."""
    document = json.loads(api.render(result, "json"))
    findings = document.get("findings", [])
    limit = max(0, min(max_findings, MAX_FINDINGS))
    if len(findings) > limit:
        document["findings"] = findings[:limit]
        document["truncated"] = {"shown": limit, "total": len(findings)}
    return document


def build(roots: list[Path], cache_dir: Path | None = None):
    """The MCP server with redline's tools, confined to ``roots``."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError

    allowed = Roots(roots)
    server = MCPServer("redline", instructions=INSTRUCTIONS, version=_version())

    def scanned(path: str, **kwargs):
        real = allowed.check(path)
        try:
            return real, api.scan([real], cache_dir=cache_dir, **kwargs)
        except api.Error as exc:
            raise ToolError(str(exc)) from None

    @server.tool()
    def scan(
        path: str,
        select: list[str] | None = None,
        ignore: list[str] | None = None,
        threat_models: list[str] | None = None,
        max_findings: int = DEFAULT_FINDINGS,
    ) -> dict:
        """Scan a file or directory for security findings. ``select``/``ignore``: rule ids,
        prefixes or areas (EXEC001, INJ, llm-security); ``threat_models``: more attackers
        than the project's settings (library, model-output, tool-argument, cli, file,
        network). Returns the JSON report: summary, verdict, findings (severity, rule,
        file:line, message, why, how to fix, taint path), most severe first."""
        _, result = scanned(
            path, select=select or (), ignore=ignore or (), threat_models=threat_models or ()
        )
        return _report(result, max_findings)

    @server.tool()
    def audit_dependencies(path: str, max_findings: int = DEFAULT_FINDINGS) -> dict:
        """Audit a project's dependency declarations (requirements, pyproject, lock files):
        known advisories from the local advisory data, unpinned or risky sources."""
        _, result = scanned(path, select=("DEP",))
        return _report(result, max_findings)

    @server.tool()
    def explain_rule(rule_id: str) -> str:
        """A rule's documentation: what it finds, why it matters, an example, what to use
        instead, and references."""
        try:
            return api.explain(rule_id)
        except api.Error as exc:
            raise ToolError(str(exc)) from None

    @server.tool()
    def list_rules(area: str | None = None) -> list[dict]:
        """Every rule (id, name, title, area, severity, CWE), optionally of one area (its
        slug or number: injection, 3)."""
        from redline.model import Area

        try:
            wanted = Area.parse(area) if area else None
        except ValueError as exc:
            raise ToolError(str(exc)) from None
        return [
            {"id": r.id, "name": r.name, "title": r.title, "area": r.area.slug, "severity": r.severity.name, "cwe": r.cwe_id}
            for r in api.rules()
            if wanted is None or r.area is wanted
        ]

    @server.tool()
    def fix_diff(path: str) -> str:
        """The mechanical fixes redline would apply to a file or directory (``redline
        scan --fix``), as a unified diff. Writes nothing."""
        from redline import fix

        real, result = scanned(path)
        diff = fix.unified_diff(fix.plan(result, [real], api.load_config(real if real.is_dir() else real.parent)))
        if len(diff) > MAX_DIFF:
            diff = diff[:MAX_DIFF] + f"\n... cut at {MAX_DIFF} characters\n"
        return diff or "no mechanical fix applies"

    return server


def _version() -> str:
    import redline

    return redline.__version__


def serve(roots: list[Path], cache_dir: Path | None = None) -> None:
    build(roots, cache_dir).run("stdio")
