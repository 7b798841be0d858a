"""``redline mcp``: redline's scanner as Model Context Protocol tools, over stdio.

For coding agents: scan a path, explain a rule, list the rules, audit the dependencies,
and preview the mechanical fixes as a diff. Read-only: no tool writes a file (the fix
tool returns the diff it would apply). Every path must lie inside one of the roots given
with ``--root``; without ``--root``, the roots the client lists (its workspace folders),
else the directory the server starts in. One outside, or a link leading outside, is
refused with a tool error. Answers are the JSON report's model
(redline.report.json_report), secrets masked as in every report, and bounded: at most
``max_findings`` findings (default 100, at most 1,000), diffs cut at 200,000 characters.
Built on the ``mcp`` SDK (``pip install 'redline[mcp]'``), through redline.api.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from redline import api

try:  # tools' annotations name the SDK's Context, resolved in this module's globals
    from mcp.server.mcpserver import Context
except ImportError:  # the [mcp] extra is not installed: redline mcp says so
    Context = None

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


ROOTS_TIMEOUT_S = 10.0


async def _client_roots(ctx) -> list[Path] | None:
    """The local directories the client names as its roots; None when it declares no
    roots or the connection cannot carry the question (then the server's roots hold);
    none when it fails to answer in time or with an error (nothing is allowed)."""
    import warnings
    from urllib.parse import urlparse
    from urllib.request import url2pathname

    import anyio

    capabilities = ctx.session.client_capabilities
    if capabilities is None or capabilities.roots is None:
        return None
    from mcp.shared.exceptions import NoBackChannelError

    try:
        with warnings.catch_warnings(), anyio.fail_after(ROOTS_TIMEOUT_S):
            # The protocol deprecated roots (SEP-2577) but clients still send them.
            warnings.simplefilter("ignore")
            listed = await ctx.session.list_roots()
    except NoBackChannelError:  # a connection on which the server cannot ask: the server's roots
        return None
    except Exception:  # noqa: BLE001 - it declared roots but did not say them: nothing is allowed
        return []
    found = []
    for root in listed.roots:
        parsed = urlparse(str(root.uri))
        # (another machine's share is not this one's path)
        if parsed.scheme == "file" and parsed.netloc in ("", "localhost"):
            path = Path(url2pathname(parsed.path))  # Windows drives too
            if path.is_dir():
                found.append(path)
    return found


def build(roots: list[Path], cache_dir: Path | None = None, *, client_roots: bool = False):
    """The MCP server with redline's tools, confined to ``roots``; with ``client_roots``
    (no ``--root`` given), to the roots the client lists when it lists any."""
    import anyio
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError

    given = Roots(roots)
    server = MCPServer("redline", instructions=INSTRUCTIONS, version=_version())

    async def confined(ctx: Context, path: str) -> Path:
        listed = await _client_roots(ctx) if client_roots else None
        if listed is None:
            return given.check(path)
        if not listed:
            raise ToolError(
                "the client lists no local directory as a root (or did not answer): open a folder, "
                "or start the server with --root"
            )
        return Roots(listed).check(path)

    async def scanned(ctx: Context, path: str, **kwargs):
        real = await confined(ctx, path)
        try:
            result = await anyio.to_thread.run_sync(lambda: api.scan([real], cache_dir=cache_dir, **kwargs))
        except api.Error as exc:
            raise ToolError(str(exc)) from None
        return real, result

    @server.tool()
    async def scan(
        path: str,
        ctx: Context,
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
        _, result = await scanned(
            ctx, path, select=select or (), ignore=ignore or (), threat_models=threat_models or ()
        )
        return _report(result, max_findings)

    @server.tool()
    async def audit_dependencies(path: str, ctx: Context, max_findings: int = DEFAULT_FINDINGS) -> dict:
        """Audit a project's dependency declarations (requirements, pyproject, lock files):
        known advisories from the local advisory data, unpinned or risky sources."""
        _, result = await scanned(ctx, path, select=("DEP",))
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
    async def fix_diff(path: str, ctx: Context) -> str:
        """The mechanical fixes redline would apply to a file or directory (``redline
        scan --fix``), as a unified diff. Writes nothing."""
        from redline import fix

        real, result = await scanned(ctx, path)
        config = api.load_config(real if real.is_dir() else real.parent)
        diff = fix.unified_diff(await anyio.to_thread.run_sync(lambda: fix.plan(result, [real], config)))
        if len(diff) > MAX_DIFF:
            diff = diff[:MAX_DIFF] + f"\n... cut at {MAX_DIFF} characters\n"
        return diff or "no mechanical fix applies"

    return server


def _version() -> str:
    import redline

    return redline.__version__


def serve(roots: list[Path], cache_dir: Path | None = None, *, client_roots: bool = False) -> None:
    build(roots, cache_dir, client_roots=client_roots).run("stdio")
