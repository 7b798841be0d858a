"""``redline server`` end to end: pytest-lsp's client drives the real language server."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

pytest.importorskip("pygls")
pytest_lsp = pytest.importorskip("pytest_lsp")
from lsprotocol import types  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities  # noqa: E402

ROUTES = '''\
from flask import Flask, request

from app import tools

app = Flask(__name__)


@app.route("/run")
def run():
    return str(len(request.args["q"]))
'''
TOOLS = '''\
import os


def execute(command):
    return os.system("echo " + command)
'''


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("lsp") / "proj"
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "routes.py").write_text(ROUTES)
    (root / "app" / "tools.py").write_text(TOOLS)
    (root / "pyproject.toml").write_text('[tool.redline]\nignore = ["INJ001"]\n')
    return root


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[sys.executable, "-m", "redline", "server"]),
)
async def client(lsp_client: LanguageClient, workspace: Path):
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=workspace.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="proj")],
        )
    )
    yield
    await lsp_client.shutdown_session()


async def _published(client: LanguageClient) -> None:
    await asyncio.wait_for(client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), 120)


async def _diagnostics(client: LanguageClient, uri: str) -> list[types.Diagnostic]:
    await _published(client)
    while uri not in client.diagnostics:
        await _published(client)
    return list(client.diagnostics[uri])


@pytest.mark.asyncio
async def test_diagnostics_follow_the_unsaved_buffer(client: LanguageClient, workspace: Path) -> None:
    """Opening the route shows nothing; typing a call that takes the request into the
    other module's os.system shows the taint finding, with its steps as related
    information and the workspace's settings applied (INJ001 ignored); a hover explains
    it; a code action suppresses it with a reason to write. The file on disk is not
    touched."""
    routes = workspace / "app" / "routes.py"
    uri = routes.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=ROUTES)
        )
    )
    assert [d for d in await _diagnostics(client, uri) if d.code == "INJ002"] == []
    client.diagnostics.pop(uri, None)
    edited = ROUTES.replace('return str(len(request.args["q"]))', 'return str(tools.execute(request.args["q"]))')
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=edited)],
        )
    )
    found = await _diagnostics(client, uri)
    assert found == []  # the sink is in the other module: reported there
    tools_uri = (workspace / "app" / "tools.py").as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=tools_uri, language_id="python", version=1, text=TOOLS)
        )
    )
    while not [d for d in client.diagnostics.get(tools_uri, ()) if d.code == "INJ002"]:
        await _published(client)
    (taint,) = [d for d in client.diagnostics[tools_uri] if d.code == "INJ002"]
    assert taint.range.start.line == 4 and taint.severity == types.DiagnosticSeverity.Error
    assert taint.related_information and taint.related_information[0].location.uri == uri
    assert "INJ001" not in {d.code for d in client.diagnostics[tools_uri]}  # [tool.redline] ignore
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=tools_uri), position=types.Position(line=4, character=12))
    )
    assert hover is not None and "INJ002" in hover.contents.value and "Why it matters" in hover.contents.value
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=tools_uri),
            range=taint.range,
            context=types.CodeActionContext(diagnostics=[taint]),
        )
    )
    (edit,) = actions[0].edit.changes[tools_uri]
    assert edit.new_text == "  # redline: ignore[INJ002] <why this is safe>" and edit.range.start.line == 4
    assert routes.read_text() == ROUTES
