"""``redline mcp`` end to end: the SDK's client starts the real server over stdio."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

mcp = pytest.importorskip("mcp")

TOOLS = '''\
import os
import pickle


def run(command):
    os.system(command)


def load(blob):
    return pickle.loads(blob)
'''
KEY = "AKIA" + "Q3EGRT7PZX4WLM2N"  # an AWS access key id's shape
SETTINGS = f'AWS_ACCESS_KEY_ID = "{KEY}"\n'
FIXABLE = 'import yaml\n\n\ndef read(text):\n    return yaml.load(text)\n'


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "tools.py").write_text(TOOLS)
    (root / "app" / "settings.py").write_text(SETTINGS)
    (root / "app" / "config.py").write_text(FIXABLE)
    (tmp_path / "outside.py").write_text("eval(input())\n")
    return root


def _session(root: Path | None, tmp_path: Path, calls, client_roots: list[Path] | None = None):
    """Runs ``calls(client)`` against a server started in ``tmp_path`` with ``--root
    root`` (none when None), the client listing ``client_roots`` (no roots capability
    when None); its answers."""

    async def list_roots(context):
        return mcp.types.ListRootsResult(roots=[mcp.types.Root(uri=r.as_uri()) for r in client_roots])

    async def main():
        roots = ["--root", str(root)] if root is not None else []
        params = mcp.StdioServerParameters(
            command=sys.executable,
            args=["-m", "redline", "mcp", *roots, "--cache-dir", str(tmp_path / "cache")],
            cwd=str(tmp_path),
        )
        # Roots were deprecated by the 2026-07-28 protocol (no requests from the server
        # there): a client that lists them speaks an earlier version, as most still do.
        extra = {"list_roots_callback": list_roots, "mode": "legacy"} if client_roots is not None else {}
        async with mcp.Client(params, read_timeout_seconds=120, **extra) as client:
            return await calls(client)

    return asyncio.run(main())


def _text(result) -> str:
    return "".join(part.text for part in result.content if hasattr(part, "text"))


def test_the_tools_answer_with_the_report_model(tmp_path: Path) -> None:
    root = _project(tmp_path)

    async def calls(client):
        listed = await client.list_tools()
        scan = await client.call_tool("scan", {"path": str(root)})
        only = await client.call_tool("scan", {"path": "app/tools.py", "select": ["SER"], "max_findings": 1})
        explain = await client.call_tool("explain_rule", {"rule_id": "SER001"})
        rules = await client.call_tool("list_rules", {"area": "serialization"})
        return listed, scan, only, explain, rules

    listed, scan, only, explain, rules = _session(root, tmp_path, calls)
    assert {t.name for t in listed.tools} >= {"scan", "audit_dependencies", "explain_rule", "list_rules", "fix_diff"}
    assert not scan.is_error
    report = json.loads(_text(scan))
    found = {(f["rule_id"], f["location"]["path"]) for f in report["findings"]}
    assert {("INJ001", "app/tools.py"), ("SER001", "app/tools.py")} <= found
    assert KEY not in _text(scan) and KEY[:4] + "*" in _text(scan)  # masked as in every report
    assert report["summary"]["verdict"] and report["summary"]["total"] == len(report["findings"])
    one = json.loads(_text(only))
    assert [f["rule_id"] for f in one["findings"]] == ["SER001"]  # a relative path is the first root's
    assert "## Why it matters" in _text(explain)
    listed_rules = [json.loads(part.text) for part in rules.content]  # one content part per rule
    assert listed_rules and {r["id"][:3] for r in listed_rules} == {"SER"}


def test_paths_outside_the_roots_are_refused(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "link").symlink_to(tmp_path / "outside.py")

    async def calls(client):
        return [
            await client.call_tool("scan", {"path": str(tmp_path / "outside.py")}),
            await client.call_tool("scan", {"path": "../outside.py"}),
            await client.call_tool("scan", {"path": str(root / "link")}),
            await client.call_tool("fix_diff", {"path": str(tmp_path)}),
            await client.call_tool("scan", {"path": str(root / "missing.py")}),
            await client.call_tool("explain_rule", {"rule_id": "NOPE999"}),
            await client.call_tool("scan", {"path": str(root), "select": ["NOPE"]}),
        ]

    answers = _session(root, tmp_path, calls)
    assert all(a.is_error for a in answers)
    for a in answers[:4]:
        assert "outside the allowed roots" in _text(a)
    assert "no such file" in _text(answers[4])
    assert "unknown rule" in _text(answers[5])
    assert "not a rule id" in _text(answers[6])


@pytest.mark.parametrize(
    ("given", "listed", "outside_allowed"),
    [
        (None, "root", False),  # no --root: the client's roots confine
        ("root", "tmp", False),  # --root given: the command line wins over the client
        (None, None, True),  # neither: the directory the server started in (tmp_path)
        (None, "none", False),  # the client lists no local directory: nothing is allowed
    ],
)
def test_the_roots_a_client_lists(tmp_path: Path, given, listed, outside_allowed) -> None:
    root = _project(tmp_path)
    named = {"root": root, "tmp": tmp_path}
    client_roots = {None: None, "none": []}.get(listed, [named.get(listed)])

    async def calls(client):
        return [
            await client.call_tool("scan", {"path": str(root / "app" / "tools.py")}),
            await client.call_tool("scan", {"path": str(tmp_path / "outside.py")}),
        ]

    inside, outside = _session(named.get(given), tmp_path, calls, client_roots=client_roots)
    assert outside.is_error is not outside_allowed
    if listed == "none":
        assert inside.is_error and "lists no local directory" in _text(inside)
        return
    assert not inside.is_error
    if not outside_allowed:
        assert "outside the allowed roots" in _text(outside)


def test_fixes_are_a_diff_and_nothing_is_written(tmp_path: Path) -> None:
    root = _project(tmp_path)
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}

    async def calls(client):
        return await client.call_tool("fix_diff", {"path": str(root)}), await client.call_tool(
            "audit_dependencies", {"path": str(root)}
        )

    diff, audit = _session(root, tmp_path, calls)
    assert not diff.is_error and not audit.is_error
    text = _text(diff)
    assert "--- " in text and "yaml.safe_load" in text
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before
    assert all(f["rule_id"].startswith("DEP") for f in json.loads(_text(audit))["findings"])


def test_the_server_needs_a_real_root(tmp_path: Path) -> None:
    import subprocess

    done = subprocess.run(
        [sys.executable, "-m", "redline", "mcp", "--root", str(tmp_path / "missing")],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2
    assert "not a directory" in done.stderr and "Traceback" not in done.stderr
