#!/usr/bin/env python3
"""Time from an edit to its diagnostics in ``redline server`` on a real workspace.

Not a test: pytest never collects it. Run it with the interpreter that has redline
installed with its server extra (``pip install -e '.[server]'``)::

    python benchmarks/bench_lsp.py [--tree DIR] [--edits N]

Default workspace: langchain-community 0.3.27 (1,246 Python files), downloaded with pip
into ``benchmarks/.work/corpus`` like bench_incremental.py's (skipped without a network).
The script starts the server over stdio with pygls's client, opens the median-size file
with a public function, waits for its first diagnostics (the workspace indexed: a cold
scan filling a fresh result cache), then N times (default 10) changes the buffer, adding
a statement ``eval(<the function's first parameter>)`` with a new constant each time, and
measures the time from sending the change to receiving that file's diagnostics with the
new finding. The server waits ``DEBOUNCE_S`` for typing to pause; the table gives the
time with and without that wait. Medians and the worst, in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_incremental as bi  # noqa: E402


async def run(tree: Path, edits: int) -> dict:
    from lsprotocol import types
    from pygls.lsp.client import LanguageClient

    from redline.lsp_server import DEBOUNCE_S

    files = bi.py_files(tree)
    plan = bi.choose_edit(tree, files)
    original = plan.path.read_text(encoding="utf-8")
    uri = plan.path.as_uri()
    client = LanguageClient("bench", "1")
    arrived: dict[str, asyncio.Event] = {}
    latest: dict[str, list] = {}

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def published(params: types.PublishDiagnosticsParams) -> None:
        latest[params.uri] = list(params.diagnostics)
        arrived.setdefault(params.uri, asyncio.Event()).set()

    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "XDG_CACHE_HOME": cache}  # a fresh result cache
        await client.start_io(sys.executable, "-m", "redline", "server", env=env)
        await client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(),
                root_uri=tree.as_uri(),
                workspace_folders=[types.WorkspaceFolder(uri=tree.as_uri(), name=tree.name)],
            )
        )
        client.initialized(types.InitializedParams())
        event = arrived.setdefault(uri, asyncio.Event())
        started = time.perf_counter()
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=original)
            )
        )
        await asyncio.wait_for(event.wait(), 600)
        indexed = time.perf_counter() - started
        times = []
        lines = original.split("\n")
        for n in range(1, edits + 1):
            value = plan.param or "input()"
            edited = "\n".join([*lines[: plan.line - 1], f"{plan.indent}eval({value}); _bench = {n}", *lines[plan.line - 1 :]])
            event.clear()
            sent = time.perf_counter()
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=n + 1),
                    content_changes=[types.TextDocumentContentChangeWholeDocument(text=edited)],
                )
            )
            await asyncio.wait_for(event.wait(), 120)
            times.append(time.perf_counter() - sent)
            if not any(d.range.start.line == plan.line - 1 for d in latest[uri]):
                raise SystemExit(f"edit {n}: no diagnostic on the edited line")
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()
    ms = [t * 1000 for t in times]
    return {
        "file": plan.rel,
        "indexed_s": round(indexed, 2),
        "median_ms": round(statistics.median(ms)),
        "worst_ms": round(max(ms)),
        "debounce_ms": round(DEBOUNCE_S * 1000),
        "median_after_debounce_ms": round(statistics.median(ms) - DEBOUNCE_S * 1000),
        "times_ms": [round(t) for t in ms],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tree", type=Path, help="the workspace (default: langchain-community 0.3.27)")
    parser.add_argument("--edits", type=int, default=10)
    args = parser.parse_args(argv)
    tree = args.tree
    if tree is None:
        fetched = bi.fetch_tree("lc")
        if fetched is None:
            print("skipped: no network")
            return 0
        tree = fetched[0]
    found = asyncio.run(run(tree.resolve(), args.edits))
    print("| workspace | files | first diagnostics (indexing) s | edit -> diagnostics, median ms | worst ms | of which the typing pause ms | median after it ms |")
    print("|:--|--:|--:|--:|--:|--:|--:|")
    print(
        f"| {tree.name} (`{found['file']}`) | {len(bi.py_files(tree)):,} | {found['indexed_s']} | {found['median_ms']} "
        f"| {found['worst_ms']} | {found['debounce_ms']} | {found['median_after_debounce_ms']} |"
    )
    print(f"times (ms): {found['times_ms']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
