"""``redline server`` end to end: pytest-lsp's client drives the real language server."""

from __future__ import annotations

import asyncio
import re
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


@pytest.fixture(scope="module", autouse=True)
def _own_cache(tmp_path_factory):
    """The server (and the scans here) keep their result cache in the test's directory."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
        yield


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
    lsp_client.registrations = []

    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams) -> None:
        lsp_client.registrations.extend(params.registrations)

    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=workspace.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="proj")],
        )
    )
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[sys.executable, "-m", "redline", "server"]),
)
async def plain_client(lsp_client: LanguageClient, workspace: Path):
    """A client declaring no capabilities (no resolving of code actions, no watching)."""
    await lsp_client.initialize_session(
        types.InitializeParams(capabilities=types.ClientCapabilities(), root_uri=workspace.as_uri())
    )
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio
async def test_fixes_come_with_their_edit_for_a_client_that_cannot_resolve(
    plain_client: LanguageClient, workspace: Path
) -> None:
    client = plain_client
    uri = (workspace / "app" / "config.py").as_uri()
    text = "import yaml\n\n\ndef read(data):\n    return yaml.load(data)\n"
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)
        )
    )
    (found,) = await _until(lambda: _codes(client, uri, "SER002"))
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=found.range,
            context=types.CodeActionContext(diagnostics=[found]),
        )
    )
    titles = [a.title for a in actions]
    assert titles[0].startswith("Fix SER002: ") and titles[-1].startswith("Suppress SER002")
    assert _apply(text, actions[0].edit.changes[uri]) == text.replace("yaml.load(", "yaml.safe_load(")
    everything = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=found.range,
            context=types.CodeActionContext(diagnostics=[], only=[types.CodeActionKind.SourceFixAll]),
        )
    )
    assert [a.kind for a in everything] == ["source.fixAll.redline"] and everything[0].edit is not None


@pytest.fixture(scope="module")
def misconfigured(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("lsp-bad") / "proj"
    root.mkdir()
    (root / "app.py").write_text("import os\n")
    (root / "pyproject.toml").write_text('[tool.redline]\nfail_on = "sometimes"\n')
    return root


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[sys.executable, "-m", "redline", "server"]),
)
async def misconfigured_client(lsp_client: LanguageClient, misconfigured: Path):
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("neovim"),
            root_uri=misconfigured.as_uri(),
        )
    )
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio
async def test_a_bad_configuration_is_said_once(misconfigured_client: LanguageClient, misconfigured: Path) -> None:
    """The workspace's settings are wrong: the editor is told in one line, once, however
    often the buffer changes."""
    client = misconfigured_client
    uri = (misconfigured / "app.py").as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text="import os\n")
        )
    )
    for version in range(2, 5):
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=f"import os\nx = {version}\n")],
            )
        )
    (message,) = await _until(lambda: client.messages)
    await asyncio.sleep(1.0)  # the changes' scans are done: still one message
    assert len(client.messages) == 1 and message.type == types.MessageType.Error
    assert message.message.startswith("redline: ") and "fail_on" in message.message and "\n" not in message.message


async def _until(check, timeout: float = 120.0):
    """Wait until ``check()`` gives something true (the server publishes when it likes)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not (found := check()):
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("the server never published what the test waits for")
        await asyncio.sleep(0.02)
    return found


def _codes(client: LanguageClient, uri: str, code: str) -> list[types.Diagnostic]:
    return [d for d in client.diagnostics.get(uri, ()) if d.code == code]


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
    await _until(lambda: uri in client.diagnostics)
    assert _codes(client, uri, "INJ002") == []
    edited = ROUTES.replace('return str(len(request.args["q"]))', 'return str(tools.execute(request.args["q"]))')
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=edited)],
        )
    )
    tools_uri = (workspace / "app" / "tools.py").as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=tools_uri, language_id="python", version=1, text=TOOLS)
        )
    )
    (taint,) = await _until(lambda: _codes(client, tools_uri, "INJ002"))
    assert [t for t in client.progress_reports if str(t).startswith("redline-index")]  # the first scan's progress
    assert _codes(client, uri, "INJ002") == []  # the sink is in the other module: reported there
    assert taint.range.start.line == 4 and taint.severity == types.DiagnosticSeverity.Error
    assert taint.related_information and taint.related_information[0].location.uri == uri
    assert "INJ001" not in {d.code for d in client.diagnostics[tools_uri]}  # [tool.redline] ignore
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=tools_uri), position=types.Position(line=4, character=12))
    )
    assert hover is not None and "INJ002" in hover.contents.value
    assert all(part in hover.contents.value for part in ("What it finds", "Why it matters", "Use instead"))
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


@pytest.mark.asyncio
async def test_an_unsaved_new_file_and_a_half_typed_buffer(client: LanguageClient, workspace: Path) -> None:
    """A file the editor holds but the disk does not yet is analysed; while its buffer
    does not parse its last diagnostics stay; the next text that parses moves them."""
    path = workspace / "app" / "loader.py"
    uri = path.as_uri()
    text = "import yaml\n\n\ndef run(data):\n    return yaml.load(data)\n"
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)
        )
    )
    (found,) = await _until(lambda: _codes(client, uri, "SER002"))
    assert found.range.start.line == 4
    for version, changed in ((2, text.replace("load(data)", "load(data")), (3, "import os\n" + text)):
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=changed)],
            )
        )
    (moved,) = await _until(lambda: [d for d in _codes(client, uri, "SER002") if d.range.start.line == 5])
    assert not path.exists()
    # the mechanical fix of --fix, for this diagnostic and for the whole file
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=moved.range,
            context=types.CodeActionContext(diagnostics=[moved]),
        )
    )
    fixes = [a for a in actions if a.title.startswith("Fix SER002")]
    assert len(fixes) == 1 and fixes[0].is_preferred and fixes[0].kind == types.CodeActionKind.QuickFix
    assert fixes[0].edit is None  # computed only when chosen (this client resolves actions)
    chosen = await client.code_action_resolve_async(fixes[0])
    expected = "import os\n" + text.replace("yaml.load(", "yaml.safe_load(")
    assert _apply("import os\n" + text, chosen.edit.changes[uri]) == expected and "safe_load" in chosen.title
    (everything,) = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=moved.range,
            context=types.CodeActionContext(diagnostics=[], only=[types.CodeActionKind.SourceFixAll]),
        )
    )
    assert everything.kind == "source.fixAll.redline"
    everything = await client.code_action_resolve_async(everything)
    assert _apply("import os\n" + text, everything.edit.changes[uri]) == expected


def _apply(text: str, edits: list[types.TextEdit]) -> str:
    """``edits`` applied to ``text`` (ASCII: positions are characters)."""
    lines = re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", text)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(p: types.Position) -> int:
        return starts[min(p.line, len(lines))] + p.character

    for e in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        text = text[: offset(e.range.start)] + e.new_text + text[offset(e.range.end) :]
    return text


@pytest.mark.asyncio
async def test_files_changed_on_disk_refresh_the_diagnostics(client: LanguageClient, workspace: Path) -> None:
    """The server asks the client to watch the files a scan reads; when one changes on
    disk, the open buffers are scanned again with it (a request reaching the buffer's
    os.system through a module written after the buffer opened)."""
    (watch,) = await _until(lambda: [r for r in client.registrations if r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES])
    assert any("py" in w["globPattern"] for w in watch.register_options["watchers"])
    uri = (workspace / "app" / "sinks.py").as_uri()
    text = "import os\n\nfrom app import helpers\n\n\ndef go():\n    os.system(helpers.value())\n"
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)
        )
    )
    await _until(lambda: uri in client.diagnostics)
    assert _codes(client, uri, "INJ002") == []
    helpers = workspace / "app" / "helpers.py"
    helpers.write_text('from flask import request\n\n\ndef value():\n    return request.args["q"]\n')
    try:
        client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[types.FileEvent(uri=helpers.as_uri(), type=types.FileChangeType.Created)]
            )
        )
        (taint,) = await _until(lambda: _codes(client, uri, "INJ002"))
        assert taint.range.start.line == 6
    finally:
        helpers.unlink()


@pytest.mark.asyncio
async def test_a_notebook_s_diagnostics_are_on_its_cells(client: LanguageClient, workspace: Path) -> None:
    """A notebook synchronised cell by cell: its code cells are scanned as the notebook
    and each finding is published on its cell, placed in the cell's lines; hover works
    there too."""
    notebook = workspace / "explore.ipynb"
    cells = [
        (types.NotebookCellKind.Markup, "# Exploring\n"),
        (types.NotebookCellKind.Code, "import yaml\nconfig = yaml.load(open('y').read())\n"),
        (types.NotebookCellKind.Code, "data = open('x').read()\nvalue = yaml.load(data)\n"),
    ]
    uris = [f"vscode-notebook-cell:{notebook}#cell{i}" for i in range(len(cells))]
    client.notebook_document_did_open(
        types.DidOpenNotebookDocumentParams(
            notebook_document=types.NotebookDocument(
                uri=notebook.as_uri(),
                notebook_type="jupyter-notebook",
                version=1,
                cells=[types.NotebookCell(kind=kind, document=uri) for (kind, _), uri in zip(cells, uris, strict=True)],
            ),
            cell_text_documents=[
                types.TextDocumentItem(uri=uri, language_id="python" if kind == 2 else "markdown", version=1, text=text)
                for (kind, text), uri in zip(cells, uris, strict=True)
            ],
        )
    )
    (found,) = await _until(lambda: _codes(client, uris[2], "SER002"))
    assert found.range.start.line == 1 and found.range.start.character == len("value = ")
    (first,) = await _until(lambda: _codes(client, uris[1], "SER002"))
    assert first.range.start.line == 1 and uris[0] not in client.diagnostics
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uris[2]), position=types.Position(line=1, character=10))
    )
    assert hover is not None and "SER002" in hover.contents.value
    markdown = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uris[0]), position=types.Position(line=1, character=0))
    )
    assert markdown is None  # the markdown cell has no findings (the first code cell's are on its line 2)
    # the same notebook shown as JSON too, then closed: the notebook stays what is scanned
    raw = types.TextDocumentItem(uri=notebook.as_uri(), language_id="json", version=1, text='{"cells": [1]}')
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=raw))
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=notebook.as_uri()))
    )
    # the cell deleted: its diagnostics go with it
    client.notebook_document_did_change(
        types.DidChangeNotebookDocumentParams(
            notebook_document=types.VersionedNotebookDocumentIdentifier(uri=notebook.as_uri(), version=2),
            change=types.NotebookDocumentChangeEvent(
                cells=types.NotebookDocumentCellChanges(
                    structure=types.NotebookDocumentCellChangeStructure(
                        array=types.NotebookCellArrayChange(start=2, delete_count=1, cells=[]),
                        did_close=[types.TextDocumentIdentifier(uri=uris[2])],
                    )
                )
            ),
        )
    )
    await _until(lambda: len(client.diagnostics.get(uris[2], [None])) == 0)
    assert not notebook.exists()


@pytest.mark.asyncio
async def test_a_notebook_opened_as_json(client: LanguageClient, workspace: Path) -> None:
    """An editor without notebook support shows the notebook's JSON: its findings are on
    the first line, naming their cell and line."""
    import json

    uri = (workspace / "raw.ipynb").as_uri()
    cells = [{"cell_type": "code", "source": ["import yaml\n", "value = yaml.load(open('x').read())\n"],
              "metadata": {}, "outputs": [], "execution_count": None}]
    text = json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="json", version=1, text=text)
        )
    )
    (found,) = await _until(lambda: _codes(client, uri, "SER002"))
    assert found.range.start.line == 0 and "cell 1, line 2: " in found.message
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=0, character=0))
    )
    assert hover is not None and "SER002" in hover.contents.value


def test_a_buffer_that_does_not_parse_is_not_scanned(tmp_path: Path) -> None:
    """The workspace's scan gives each buffer's version with its findings, and leaves out
    (keeps the last findings of) a buffer that does not parse."""
    from redline.lsp_server import Workspace

    (tmp_path / "app.py").write_text("")
    space = Workspace()
    space.roots = [tmp_path]
    good = "import yaml\n\n\ndef run(data):\n    return yaml.load(data)\n"
    space.buffers[tmp_path / "app.py"] = (good, 7)
    found = space.scan()
    assert [(f.rule_id, f.location.line) for f in found[tmp_path / "app.py"][0]] == [("SER002", 5)]
    assert found[tmp_path / "app.py"][1] == 7
    space.buffers[tmp_path / "app.py"] = (good.replace("(data)", "(data"), 8)
    assert space.scan() == {}
    assert [f.rule_id for f in space.findings[tmp_path / "app.py"]] == ["SER002"]
    # another buffer is still scanned, with this one read as it last parsed
    space.buffers[tmp_path / "other.py"] = ("import pickle\n\n\ndef load(b):\n    return pickle.loads(b)\n", 1)
    found = space.scan()
    assert list(found) == [tmp_path / "other.py"] and [f.rule_id for f in found[tmp_path / "other.py"][0]] == ["SER001"]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("a\nb\nc\n", "a\nB\nc\n"),
        ("a\nb", "a\nb\nc"),  # the last line has no newline
        ("a\nb", "a"),
        ("", "x = 1\n"),
        ("x = yaml.load(s)\ny = 2\n", "import os\nx = yaml.safe_load(s)\ny = 2\n"),
        ("a\r\nb\r\n", "a\r\nc\r\n"),
        ("s = 'x\u2028y'\nb\n", "s = 'x\u2028y'\nc\n"),  # not a line end for LSP
    ],
)
def test_text_edits_turn_one_text_into_the_other(before: str, after: str) -> None:
    from redline.lsp_server import text_edits

    assert _apply(before, text_edits(before, after)) == after


def test_positions_are_utf16_units(tmp_path: Path) -> None:
    """Python's parser counts columns in UTF-8 bytes; LSP in UTF-16 code units."""
    from redline.lsp_server import Workspace, _lines, diagnostic

    line = 'data = "é😀"; value = yaml.load(data)'
    text = f"import yaml\n{line}\n"
    space = Workspace()
    space.roots = [tmp_path]
    space.buffers[tmp_path / "app.py"] = (text, 1)
    ((finding,), _) = space.scan()[tmp_path / "app.py"]
    d = diagnostic(finding, tmp_path, _lines(text))
    prefix = line[: line.index("yaml.load")]
    assert d.range.start.character == len(prefix.encode("utf-16-le")) // 2 == len(prefix) + 1
    assert d.range.end.character == d.range.start.character + len("yaml.load(data)")


KEY = "AKIA" + "Q3EGRT7PZX4WLM2N"  # an AWS access key id's shape


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("a.py", f'KEY = "{KEY}"\n'),
        ("b.yaml", f"aws:\n  key: {KEY}\n"),
        ("Dockerfile", f"FROM python:3.12\nENV AWS_ACCESS_KEY_ID={KEY}\n"),
        ("c.j2", f"<p>{{{{ '{KEY}' }}}}</p>\n"),
        (".env", f"AWS_ACCESS_KEY_ID={KEY}\n"),
        ("d.toml", f'[aws]\nkey = "{KEY}"\n'),
        ("g.ini", f"[aws]\nkey = {KEY}\n"),
        ("e.md", f"# Notes\n\nkey: {KEY}\n"),
        ("f.json", f'{{"key": "{KEY}"}}\n'),
    ],
)
def test_the_suppression_action_suppresses_in_each_file_s_syntax(tmp_path: Path, name: str, text: str) -> None:
    """The code action's comment, applied, silences the finding when scanned again; JSON,
    which has no comments, gets no such action."""
    from redline.discovery import classify
    from redline.lsp_server import _lines, suppression

    path = tmp_path / name
    path.write_text(text)
    (found,) = api_findings(tmp_path, name)
    edit = suppression(classify(name), _lines(text), found.location.line - 1, found.rule_id)
    if classify(name) == "json":
        assert edit is None
        return
    path.write_text(_apply(text, [edit]))
    assert api_findings(tmp_path, name) == [], path.read_text()


def api_findings(root: Path, name: str):
    from redline import api

    return [f for f in api.scan([root], use_cache=False, jobs=1).findings if f.location.path == name]


def test_a_quick_fix_changes_only_its_finding() -> None:
    """One diagnostic's fix leaves the file's other fixes (the hardening ones, which have
    no diagnostic) to the fix-all action."""
    from redline import fix

    text = 'import subprocess\nimport yaml\n\nsubprocess.run("ls -l", shell=True)\nvalue = yaml.load(open("x"))\n'
    targets = {"SER002": {(5, 8)}}
    only, applied = fix.fixed(text, targets, hardening=False)
    assert [a.rule_id for a in applied] == ["SER002"] and 'shell=True' in only and "yaml.safe_load(" in only
    everything, applied = fix.fixed(text, targets)
    assert len(applied) == 2 and "shell=True" not in everything


def test_text_file_columns_are_characters(tmp_path: Path) -> None:
    """The text scanners count columns in characters (Python's parser in bytes)."""
    from redline.lsp_server import Workspace, _lines, diagnostic

    line = f"описание 😀: {KEY}\n"
    space = Workspace()
    space.roots = [tmp_path]
    space.buffers[tmp_path / "c.yaml"] = (line, 1)
    (finding,) = space.scan()[tmp_path / "c.yaml"][0]
    d = diagnostic(finding, tmp_path, _lines(line), byte_columns=False)
    prefix = line[: line.index(KEY)]
    assert d.range.start.character == len(prefix.encode("utf-16-le")) // 2
