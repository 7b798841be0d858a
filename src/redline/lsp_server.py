"""``redline server``: a language server (LSP over stdio) for editors.

Diagnostics for Python, workflow YAML/JSON and Jinja files when a document is opened,
changed and saved (one scan at a time; changes made during a scan are scanned next),
computed from the unsaved buffers with the
rest of the workspace (redline.api.scan with ``documents``: the project-wide facts, taint
across modules and route authentication, come through the result cache, and an edit costs
only what it reaches); a finding's taint steps as related information; hover on a finding
with the rule's what / why / use instead; code actions: the mechanical fixes of
``--fix`` (one diagnostic's, or the file's all at once as ``source.fixAll.redline``) and
an inline suppression with a reason to write. Settings come from the workspace's ``[tool.redline]``.
Built on pygls (``pip install 'redline[server]'``).
"""

from __future__ import annotations

import ast
import asyncio
import dataclasses
import difflib
import functools
import itertools
import json
import os
import re
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

from redline import api, fix
from redline.discovery import ANALYSED_KINDS, PYTHON_KINDS, classify, watch_patterns
from redline.model import Finding, Severity

SOURCE = "redline"
FIX_ALL = "source.fixAll.redline"


def _utf16(text: str) -> int:
    """The length of ``text`` in UTF-16 code units (LSP's default position encoding)."""
    return len(text.encode("utf-16-le")) // 2


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")


def _lines(text: str) -> list[str]:
    """The lines as LSP counts them (ended by \\n, \\r\\n or \\r only), with their ends."""
    return [line for line in _LINE.findall(text) if line]


def text_edits(before: str, after: str):
    """The edits turning ``before`` into ``after``, whole lines at a time."""
    from lsprotocol import types

    old, new = _lines(before), _lines(after)

    def position(index: int):
        if index < len(old) or not old or old[-1].endswith(("\n", "\r")):
            return types.Position(line=index, character=0)
        return types.Position(line=len(old) - 1, character=_utf16(old[-1]))  # the end of a last line without newline

    return [
        types.TextEdit(range=types.Range(start=position(i1), end=position(i2)), new_text="".join(new[j1:j2]))
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
        if tag != "equal"
    ]


def _path(uri: str) -> Path | None:
    """The file a ``file:`` URI names (Windows drives and UNC shares too), else None."""
    from pygls.uris import to_fs_path

    if urlparse(uri).scheme != "file":
        return None
    found = to_fs_path(uri)
    return Path(found) if found else None


def _severity(severity: Severity):
    from lsprotocol import types

    if severity >= Severity.HIGH:
        return types.DiagnosticSeverity.Error
    if severity is Severity.MEDIUM:
        return types.DiagnosticSeverity.Warning
    return types.DiagnosticSeverity.Information


def _line(lines: list[str], line: int) -> str:
    return lines[line].rstrip("\r\n") if line < len(lines) else ""


def _character(lines: list[str], line: int, column: int | None, in_bytes: bool) -> int:
    """A column of ``line`` as LSP counts it (UTF-16 units), from UTF-8 bytes (Python's
    parser) or characters (the text scanners); None is the end of the line."""
    text = _line(lines, line)
    if column is not None:
        text = text.encode("utf-8")[: max(0, column)].decode("utf-8", "ignore") if in_bytes else text[: max(0, column)]
    return _utf16(text)


def diagnostic(finding: Finding, root: Path, lines: list[str], *, byte_columns: bool = True):
    """A finding as an LSP diagnostic (0-based positions in ``lines``, the text it was
    found in), its taint steps as related information. ``byte_columns``: the finding's
    columns count UTF-8 bytes (Python's parser), else characters (the text scanners)."""
    from lsprotocol import types

    loc = finding.location
    line = max(0, loc.line - 1)
    end_line = max(line, (loc.end_line or loc.line) - 1)
    start = types.Position(line=line, character=_character(lines, line, loc.column or 0, byte_columns))
    end = types.Position(line=end_line, character=_character(lines, end_line, loc.end_column, byte_columns))
    related = [
        types.DiagnosticRelatedInformation(
            location=types.Location(
                uri=(root / step.location.path).as_uri(),
                range=types.Range(
                    start=types.Position(line=max(0, step.location.line - 1), character=0),
                    end=types.Position(line=max(0, step.location.line - 1), character=10_000),
                ),
            ),
            message=step.description,
        )
        for step in finding.taint_path
    ]
    return types.Diagnostic(
        range=types.Range(start=start, end=end),
        message=f"{finding.title}: {finding.message}",
        severity=_severity(finding.severity),
        code=finding.rule_id,
        source=SOURCE,
        related_information=related or None,
        data={"rule": finding.rule_id, "line": loc.line},
    )


def _parses(path: Path, text: str) -> bool:
    """False for Python that does not parse (a statement half typed); other kinds are
    read leniently by the scan itself."""
    if classify(path.name) != "python":
        return True
    try:
        ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


CELL_URI = "redline-cell-uri"  # where a notebook built from its cells keeps each one's URI


def _code_cells(text: str) -> list[tuple[str, str]]:
    """(URI, source) of the code cells of a notebook the server built (remember_notebook)."""
    try:
        cells = json.loads(text).get("cells", [])
    except (ValueError, AttributeError):
        return []
    return [
        (c["metadata"][CELL_URI], c["source"])
        for c in cells
        if isinstance(c, dict) and c.get("cell_type") == "code" and CELL_URI in c.get("metadata", {})
    ]


def _outside_cells(finding: Finding) -> Finding:
    """A notebook's finding for an editor showing the notebook's JSON (no notebook
    support): on its first line, naming the cell and the line there."""
    loc = finding.location
    if loc.cell is None:
        return finding
    return dataclasses.replace(
        finding,
        location=dataclasses.replace(loc, line=1, column=0, end_line=1, end_column=None, cell=None),
        message=f"cell {loc.cell}, line {loc.line}: {finding.message}",
    )


class Workspace:
    """The workspace's folders, its open buffers and the last findings by file."""

    def __init__(self) -> None:
        self.roots: list[Path] = []
        self.buffers: dict[Path, tuple[str, int | None]] = {}  # path -> (text, version)
        self.findings: dict[Path, list[Finding]] = {}
        self.scanned: dict[Path, str] = {}  # path -> the text its findings were computed on
        self.indexed: set[Path] = set()  # folders whose results the cache holds
        self.cells: dict[Path, list[str]] = {}  # an open notebook -> its code cells' URIs
        self.lock = threading.Lock()
        self.progress: Progress | None = None  # shown while a folder is indexed

    def root_of(self, path: Path) -> Path | None:
        """The innermost folder holding ``path``."""
        holding = [r for r in self.roots if r in path.parents]
        return max(holding, key=lambda r: len(r.parts)) if holding else None

    def scan(self) -> dict[Path, tuple[list[Finding], int | None]]:
        """Findings of every open buffer's file, the buffers read as they are, with the
        version each was computed on; a folder not yet indexed is scanned whole first
        (filling the result cache). A buffer that does not parse is left out."""
        with self.lock:
            buffers = dict(self.buffers)
            roots = list(self.roots)
        found: dict[Path, tuple[list[Finding], int | None]] = {}
        by_root: dict[Path, dict[Path, str]] = {}
        for path, (text, version) in buffers.items():
            root = self.root_of(path)
            if root is None or classify(path.name) not in ANALYSED_KINDS:
                found[path] = ([], version)
            else:
                by_root.setdefault(root, {})[path] = text
        # A buffer that does not parse (a statement half typed) is read as it last parsed
        # (else as on disk), and its last findings stay.
        typing = {p for inside in by_root.values() for p, t in inside.items() if self.scanned.get(p) != t and not _parses(p, t)}
        for root in roots:
            inside = by_root.get(root, {})
            if root in self.indexed and all(p in typing for p in inside):
                continue  # indexed, and no buffer there to read anew
            documents = {p: self.scanned[p] if p in typing else t for p, t in inside.items() if p not in typing or p in self.scanned}
            indexing = self.progress if root not in self.indexed else None
            progress = functools.partial(indexing.report, root) if indexing else None
            try:
                result = api.scan([root], documents=documents, progress=progress)
            finally:
                if indexing:
                    indexing.end(root)
            self.indexed.add(root)
            broken = {s.path for s in result.parse_failures}
            for path in inside:
                if path not in typing and api.reported_path(result, path) not in broken:
                    found[path] = (api.findings_in(result, path), buffers[path][1])
        with self.lock:  # a buffer closed during the scan is forgotten, not brought back
            found = {p: f for p, f in found.items() if p in self.buffers}
            for path, (findings, _) in found.items():
                self.findings[path] = findings
                self.scanned[path] = buffers[path][0]
        return found


def suppression(kind: str | None, lines: list[str], line: int, rule_id: str):
    """The edit adding an inline suppression of ``rule_id`` to 0-based ``line``, in the
    file's own comment syntax: at the end of the line, or alone above it where a comment
    must start its line (Dockerfiles, INI and .env files); None for JSON, which has no
    comments."""
    from lsprotocol import types

    reason = f"redline: ignore[{rule_id}] <why this is safe>"
    text = _line(lines, line)
    if kind in (None, "json", "notebook"):
        return None
    if kind in ("dockerfile", "ini", "env"):  # a trailing comment would join the value there
        at = types.Position(line=line, character=0)
        new_text = f"{text[: len(text) - len(text.lstrip())]}# {reason}\n"
    else:
        at = types.Position(line=line, character=_utf16(text))
        new_text = "  " + {"jinja": f"{{# {reason} #}}", "markdown": f"<!-- {reason} -->"}.get(kind, f"# {reason}")
    return types.TextEdit(range=types.Range(start=at, end=at), new_text=new_text)


def _fixed(text: str, targets: fix.Targets, *, hardening: bool):
    """fix.fixed, remembered for the last few texts: an editor asks for the same actions
    again and again while the cursor moves."""
    frozen = tuple(sorted((rule, tuple(sorted(where))) for rule, where in targets.items()))
    return _fixed_frozen(text, frozen, hardening)


@functools.lru_cache(maxsize=16)
def _fixed_frozen(text: str, targets: tuple, hardening: bool):
    return fix.fixed(text, {rule: set(where) for rule, where in targets}, hardening=hardening)


class Progress:
    """Work-done progress for a folder's first scan: called from the scanning thread,
    sent from the protocol's loop; reports only when the percentage moves, and nothing
    before the client accepted the token."""

    def __init__(self, server, loop: asyncio.AbstractEventLoop) -> None:
        self.server, self.loop = server, loop
        self.runs = itertools.count()
        self.shown: dict[Path, tuple[str, int | None]] = {}  # folder -> (token, percentage sent; None: not begun)

    def report(self, root: Path, done: int, total: int) -> None:
        self.loop.call_soon_threadsafe(self._report, root, done, total)

    def end(self, root: Path) -> None:
        self.loop.call_soon_threadsafe(self._end, root)

    def _report(self, root: Path, done: int, total: int) -> None:
        from lsprotocol import types

        if root not in self.shown:
            token = f"redline-index-{next(self.runs)}"
            self.shown[root] = (token, None)
            begin = types.WorkDoneProgressBegin(title=f"redline: indexing {root.name}", percentage=0)
            self.server.work_done_progress.create(token, callback=lambda *_: self._begun(root, token, begin))
            return
        token, sent = self.shown[root]
        percent = done * 100 // max(total, 1)
        if sent is not None and percent > sent:
            self.shown[root] = (token, percent)
            self.server.work_done_progress.report(
                token, types.WorkDoneProgressReport(message=f"{done}/{total} files", percentage=percent)
            )

    def _begun(self, root: Path, token: str, begin) -> None:
        if self.shown.get(root) == (token, None):
            self.shown[root] = (token, 0)
            self.server.work_done_progress.begin(token, begin)

    def _end(self, root: Path) -> None:
        from lsprotocol import types

        token, sent = self.shown.pop(root, ("", None))
        if sent is not None:
            self.server.work_done_progress.end(token, types.WorkDoneProgressEnd(message="indexed"))


def build():
    """The language server."""
    from lsprotocol import types
    from pygls.lsp.server import LanguageServer

    import redline

    server = LanguageServer(
        "redline",
        redline.__version__,
        text_document_sync_kind=types.TextDocumentSyncKind.Full,
        notebook_document_sync=types.NotebookDocumentSyncOptions(
            notebook_selector=[
                types.NotebookDocumentFilterWithCells(
                    notebook="jupyter-notebook", cells=[types.NotebookCellLanguage(language="python")]
                )
            ],
            save=True,
        ),
    )
    space = Workspace()
    scans = ThreadPoolExecutor(max_workers=1)  # one scan at a time, off the protocol's loop
    tasks: set[asyncio.Task] = set()  # kept from the garbage collector while they run

    state = {"running": False, "again": False, "error": "", "shutdown": False}

    async def scan_and_publish() -> None:
        """Scan the buffers and publish, again while they changed during a scan: one scan
        at a time, the latest buffers next (no fixed pause: an edit's diagnostics come
        within two scans' time)."""
        try:
            while True:
                state["again"] = False
                try:
                    found = await asyncio.get_running_loop().run_in_executor(scans, space.scan)
                    state["error"] = ""
                except Exception as exc:  # noqa: BLE001 - shown (once, not at every keystroke), and the server goes on
                    message = str(exc) if isinstance(exc, api.Error) else f"internal error: {type(exc).__name__}: {exc}"
                    if message != state["error"]:
                        server.window_show_message(
                            types.ShowMessageParams(type=types.MessageType.Error, message=f"redline: {message}")
                        )
                    state["error"], found = message, {}
                for path, (findings, version) in found.items():
                    try:
                        publish(path, findings, version)
                    except Exception as exc:  # noqa: BLE001 - one file's diagnostics lost, not the server
                        server.window_log_message(
                            types.LogMessageParams(type=types.MessageType.Error, message=f"redline: {path}: {exc!r}")
                        )
                if not state["again"]:
                    return
        finally:
            state["running"] = False

    def publish(path: Path, findings: list[Finding], version: int | None) -> None:
        """A file's diagnostics; a notebook's on its code cells, each in its own lines.
        Nothing for a document closed since its scan."""
        root = space.root_of(path)
        if path not in space.buffers:
            return
        if root is None:  # outside every folder (one removed): nothing to say
            findings = []
        byte_columns = classify(path.name) in PYTHON_KINDS
        if path not in space.cells:
            lines = _lines(space.scanned.get(path, ""))
            diagnostics = [diagnostic(_outside_cells(f), root, lines, byte_columns=byte_columns) for f in findings]
            server.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=path.as_uri(), version=version, diagnostics=diagnostics)
            )
            return
        current = set(space.cells[path])
        for number, (uri, source) in enumerate(_code_cells(space.scanned.get(path, "")), start=1):
            if uri not in current:
                continue  # deleted since the scan: cleared when it went
            # a finding of no cell (the notebook as a whole) shows on the first
            mine = [f for f in findings if (f.location.cell or 1) == number]
            server.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=[diagnostic(f, root, _lines(source)) for f in mine])
            )

    def schedule() -> None:
        """A scan of the buffers now, or after the one running."""
        if state["running"]:
            state["again"] = True
        else:
            state["running"] = True
            tasks.add(task := asyncio.ensure_future(scan_and_publish()))
            task.add_done_callback(tasks.discard)

    def remember(uri: str) -> None:
        path = _path(uri)
        if path is not None and path not in space.cells:  # a notebook open as one is read cell by cell
            with space.lock:
                document = server.workspace.get_text_document(uri)
                space.buffers[path] = (document.source, document.version)

    def remember_notebook(uri: str) -> None:
        """A notebook's code cells as the .ipynb the scan reads, and their URIs."""
        path = _path(uri)
        notebook = server.workspace.get_notebook_document(notebook_uri=uri)
        if path is None or notebook is None:
            return
        cells, uris = [], []
        for cell in notebook.cells:
            source = server.workspace.get_text_document(cell.document).source
            if cell.kind == types.NotebookCellKind.Code:
                cells.append(
                    {"cell_type": "code", "source": source, "metadata": {CELL_URI: cell.document}, "outputs": [],
                     "execution_count": None}
                )
                uris.append(cell.document)
            else:
                cells.append({"cell_type": "markdown", "source": source, "metadata": {}})
        text = json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
        with space.lock:
            space.buffers[path] = (text, notebook.version)
            dropped = set(space.cells.get(path, ())) - set(uris)
            space.cells[path] = uris
        for cell in dropped:  # a cell deleted, or made markdown: its diagnostics go
            server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=cell, diagnostics=[]))

    def set_folders(ls) -> None:
        folders = [_path(f.uri) for f in ls.workspace.folders.values()]
        if not folders and ls.workspace.root_uri:
            folders = [_path(ls.workspace.root_uri)]
        with space.lock:
            space.roots = [f for f in folders if f is not None]

    @server.feature(types.INITIALIZED)
    def initialized(ls, params) -> None:
        set_folders(ls)
        capabilities = ls.client_capabilities
        if capabilities.window and capabilities.window.work_done_progress:
            space.progress = Progress(server, asyncio.get_running_loop())
        watched = capabilities.workspace and capabilities.workspace.did_change_watched_files
        if watched and watched.dynamic_registration:
            ls.client_register_capability(
                types.RegistrationParams(
                    registrations=[
                        types.Registration(
                            id="redline-watched-files",
                            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                            register_options=types.DidChangeWatchedFilesRegistrationOptions(
                                watchers=[types.FileSystemWatcher(glob_pattern=g) for g in watch_patterns()]
                            ),
                        )
                    ]
                )
            )
        schedule()  # index the folders before the first file opens

    @server.feature(types.SHUTDOWN)
    def shutdown(ls, params) -> None:
        state["shutdown"] = True

    @server.feature(types.EXIT)
    def exit_now(ls, params) -> None:
        """Exit at once: a scan still running (a large folder's first index) is
        abandoned, not awaited (its worker processes end with their pipes)."""
        import multiprocessing

        for child in multiprocessing.active_children():  # a pool's workers: they would wait for work
            child.kill()
        try:
            sys.stdout.flush()
        except OSError:
            pass
        os._exit(0 if state["shutdown"] else 1)

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def folders_changed(ls, params) -> None:
        set_folders(ls)
        schedule()

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def files_changed(ls, params: types.DidChangeWatchedFilesParams) -> None:
        """Files changed on disk (a checkout, a formatter, another editor): the open
        buffers' diagnostics are computed again, with the rest read anew."""
        schedule()

    def rescan(ls, params) -> None:
        remember(params.text_document.uri)
        schedule()

    for feature in (types.TEXT_DOCUMENT_DID_OPEN, types.TEXT_DOCUMENT_DID_CHANGE, types.TEXT_DOCUMENT_DID_SAVE):
        server.feature(feature)(rescan)

    def rescan_notebook(ls, params) -> None:
        remember_notebook(params.notebook_document.uri)
        schedule()

    for feature in (types.NOTEBOOK_DOCUMENT_DID_OPEN, types.NOTEBOOK_DOCUMENT_DID_CHANGE, types.NOTEBOOK_DOCUMENT_DID_SAVE):
        server.feature(feature)(rescan_notebook)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CLOSE)
    def notebook_closed(ls, params: types.DidCloseNotebookDocumentParams) -> None:
        path = _path(params.notebook_document.uri)
        with space.lock:
            uris = space.cells.pop(path, [])
            forget(path)
        for cell in [*uris, *(c.uri for c in params.cell_text_documents)]:
            ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=cell, diagnostics=[]))

    def forget(path: Path | None) -> None:
        space.buffers.pop(path, None)
        space.findings.pop(path, None)
        space.scanned.pop(path, None)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls, params: types.DidCloseTextDocumentParams) -> None:
        path = _path(params.text_document.uri)
        if path in space.cells:
            return  # the notebook itself is still open
        with space.lock:
            forget(path)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[]))

    def located(ls, uri: str) -> tuple[Path | None, int | None]:
        """The file a document is, and for a notebook's cell, its number among the code cells."""
        notebook = ls.workspace.get_notebook_document(cell_uri=uri)
        if notebook is None:
            return _path(uri), None
        path = _path(notebook.uri)
        uris = space.cells.get(path, [])
        return path, (uris.index(uri) + 1 if uri in uris else 0)  # 0: a markdown cell

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls, params: types.HoverParams) -> types.Hover | None:
        path, cell = located(ls, params.text_document.uri)
        line = params.position.line + 1
        findings = space.findings.get(path, [])
        if cell is None:  # a notebook shown as its JSON: its findings are on the first line
            findings = [_outside_cells(f) for f in findings]
        wanted = 1 if cell is None else cell  # (a finding of no cell shows on the first)
        here = [
            f
            for f in findings
            if f.location.line <= line <= (f.location.end_line or f.location.line) and (f.location.cell or 1) == wanted
        ]
        if not here:
            return None
        parts = []
        for f in here:
            doc = api.rule(f.rule_id).doc
            parts.append(
                f"**{f.rule_id} {f.title}** ({f.severity.name})\n\n{f.message}\n\n"
                f"**What it finds.** {doc.what}\n\n**Why it matters.** {doc.why}\n\n"
                f"**Use instead:**\n```python\n{doc.use_instead.rstrip()}\n```"
            )
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n\n---\n\n".join(parts)))

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL], resolve_provider=True),
    )
    async def code_action(ls, params: types.CodeActionParams) -> list[types.CodeAction]:
        """Editors ask at every cursor move: the fixes are listed from the last scan's
        findings and their edits computed (libcst, seconds on a large file) only when one
        is chosen (codeAction/resolve), or off the protocol's loop for a client that
        cannot resolve."""
        uri = params.text_document.uri
        document = ls.workspace.get_text_document(uri)
        ours = [d for d in params.context.diagnostics if d.source == SOURCE and d.code]
        only = params.context.only
        actions = []
        if only is None or types.CodeActionKind.QuickFix in only:
            actions += fix_actions(uri, document.source, ours)
            path, cell = located(ls, uri)  # a notebook's cell is Python
            kind = "python" if cell is not None else classify(path.name) if path is not None else None
            suppressions = [a for d in ours if (a := suppress_action(uri, _lines(document.source), d, kind))]
        else:
            suppressions = []
        if only is None or any(FIX_ALL.startswith(kind) for kind in only):
            actions += fix_all_action(uri, document.source)
        support = ls.client_capabilities.text_document and ls.client_capabilities.text_document.code_action
        if not (support and support.resolve_support and "edit" in support.resolve_support.properties):
            loop = asyncio.get_running_loop()
            resolved = [await loop.run_in_executor(None, resolve, a) for a in actions]
            actions = [a for a in resolved if a.edit is not None]
        return actions + suppressions

    @server.feature(types.CODE_ACTION_RESOLVE)
    async def code_action_resolve(ls, action: types.CodeAction) -> types.CodeAction:
        return await asyncio.get_running_loop().run_in_executor(None, resolve, action)

    def fixable(path: Path | None, text: str) -> list[Finding] | None:
        """The findings a fix may use: the last scan's, when it read this very text."""
        if path is None or classify(path.name) != "python" or space.scanned.get(path) != text:
            return None
        return [f for f in space.findings.get(path, []) if f.rule_id in fix.FIXABLE_RULES]

    def fix_actions(uri: str, text: str, diagnostics) -> list[types.CodeAction]:
        """A quick fix for each diagnostic ``--fix`` knows how to mend (its edit resolved later)."""
        findings = fixable(_path(uri), text) or []
        return [
            types.CodeAction(
                title=f"Fix {d.code} (redline's mechanical fix)",
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[d],
                is_preferred=True,
                data={"uri": uri, "rule": d.code, "line": d.range.start.line},
            )
            for d in diagnostics
            if any(f.rule_id == d.code and f.location.line - 1 == d.range.start.line for f in findings)
        ]

    def fix_all_action(uri: str, text: str) -> list[types.CodeAction]:
        """Every mechanical fix of the file at once, what ``--fix`` would write (resolved later)."""
        findings = fixable(_path(uri), text)
        if findings is None or not (findings or fix.may_harden(text)):
            return []
        return [types.CodeAction(title="Apply redline's mechanical fixes", kind=FIX_ALL, data={"uri": uri})]

    def resolve(action: types.CodeAction) -> types.CodeAction:
        """The action with its edit, when the fix still applies to the buffer as it is."""
        data = action.data or {}
        uri = data.get("uri", "")
        text = server.workspace.get_text_document(uri).source
        findings = fixable(_path(uri), text)
        if findings is None or ("rule" in data and not findings):
            return action  # the buffer changed since its scan, or nothing is left to fix
        if "rule" in data:
            mine = [f for f in findings if f.rule_id == data["rule"] and f.location.line - 1 == data["line"]]
            done = _fixed(text, fix.file_targets(mine), hardening=False)
        else:
            done = _fixed(text, fix.file_targets(findings), hardening=True)
        if done is not None and done[1] and done[0] != text:
            action.edit = types.WorkspaceEdit(changes={uri: text_edits(text, done[0])})
            if "rule" in data:
                action.title = f"Fix {data['rule']}: {done[1][0].description}"
        return action

    def suppress_action(uri: str, lines: list[str], d: types.Diagnostic, kind: str | None) -> types.CodeAction | None:
        edit = suppression(kind, lines, d.range.start.line, str(d.code))
        if edit is None:
            return None
        return types.CodeAction(
            title=f"Suppress {d.code} on this line (write the reason)",
            kind=types.CodeActionKind.QuickFix,
            diagnostics=[d],
            edit=types.WorkspaceEdit(changes={uri: [edit]}),
        )

    return server


def serve() -> None:
    build().start_io()
