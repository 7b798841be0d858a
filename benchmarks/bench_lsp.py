#!/usr/bin/env python3
"""Time from an edit to its diagnostics in ``redline server`` on a real workspace.

Not a test: pytest never collects it. Run it with the interpreter that has redline
installed with its server extra (``pip install -e '.[server]'``)::

    python benchmarks/bench_lsp.py [--tree DIR] [--edits N] [--keystroke-ms MS]

Default workspace: langchain-community 0.3.27 (1,246 Python files), downloaded with pip
into ``benchmarks/.work/corpus`` like bench_incremental.py's (skipped without a network).
The script starts the server over stdio with pygls's client, opens the median-size file
with a public function, waits for its first diagnostics (the workspace indexed: a cold
scan filling a fresh result cache), then N times (default 10):

- one change: the buffer gains a statement ``eval(<the function's first parameter>)``
  in one change (a paste); timed from sending it to that version's diagnostics with the
  new finding;
- typing: the same kind of statement typed a character at a time (``--keystroke-ms``
  apart, default 80 ms, a fast typist), every intermediate text sent as a change; timed
  from the last keystroke to the final version's diagnostics with the finding.

The buffer is restored between edits. Medians and the worst, in milliseconds.
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


async def run(tree: Path, edits: int, keystroke_s: float) -> dict:
    from lsprotocol import types
    from pygls.lsp.client import LanguageClient

    files = bi.py_files(tree)
    plan = bi.choose_edit(tree, files)
    original = plan.path.read_text(encoding="utf-8")
    uri = plan.path.as_uri()
    client = LanguageClient("bench", "1")
    arrived = asyncio.Condition()
    latest: dict = {}  # uri -> (version, diagnostics)

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    async def published(params: types.PublishDiagnosticsParams) -> None:
        async with arrived:
            latest[params.uri] = (params.version, list(params.diagnostics))
            arrived.notify_all()

    async def diagnostics_of(version: int) -> list:
        async with arrived:
            await asyncio.wait_for(arrived.wait_for(lambda: (latest.get(uri) or (0,))[0] == version), 600)
            return latest[uri][1]

    version = 1

    def change(text: str) -> None:
        nonlocal version
        version += 1
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )

    lines = original.split("\n")

    def edited(statement: str) -> str:
        return "\n".join([*lines[: plan.line - 1], plan.indent + statement, *lines[plan.line - 1 :]])

    def flagged(found: list) -> bool:
        return any(d.range.start.line == plan.line - 1 and d.code == "EXEC001" for d in found)

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
        started = time.perf_counter()  # the server indexes the workspace once initialized
        client.initialized(types.InitializedParams())
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text=original)
            )
        )
        await diagnostics_of(1)
        indexed = time.perf_counter() - started
        value = plan.param or "input()"
        single, typed = [], []
        for n in range(1, edits + 1):
            # one change (a paste, or a save's re-scan): the time to its diagnostics
            sent = time.perf_counter()
            change(edited(f"eval({value}); _bench = {n}"))
            if not flagged(await diagnostics_of(version)):
                raise SystemExit(f"edit {n}: no diagnostic on the edited line")
            single.append(time.perf_counter() - sent)
            change(original)
            await diagnostics_of(version)
            # typing the statement one keystroke at a time: the last keystroke to its diagnostics
            statement = f"eval({value}); _typed = {n}"
            for i in range(1, len(statement) + 1):
                change(edited(statement[:i]))
                if i < len(statement):
                    await asyncio.sleep(keystroke_s)
            sent = time.perf_counter()
            if not flagged(await diagnostics_of(version)):
                raise SystemExit(f"typed edit {n}: no diagnostic on the edited line")
            typed.append(time.perf_counter() - sent)
            change(original)
            await diagnostics_of(version)
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()

    def ms(times: list[float]) -> list[int]:
        return [round(t * 1000) for t in times]

    return {
        "file": plan.rel,
        "indexed_s": round(indexed, 2),
        "single_ms": ms(single),
        "typed_ms": ms(typed),
        "keystroke_ms": round(keystroke_s * 1000),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tree", type=Path, help="the workspace (default: langchain-community 0.3.27)")
    parser.add_argument("--edits", type=int, default=10)
    parser.add_argument("--keystroke-ms", type=int, default=80, help="the pause between typed characters")
    args = parser.parse_args(argv)
    tree = args.tree
    if tree is None:
        fetched = bi.fetch_tree("lc")
        if fetched is None:
            print("skipped: no network")
            return 0
        tree = fetched[0]
    found = asyncio.run(run(tree.resolve(), args.edits, args.keystroke_ms / 1000))
    single, typed = found["single_ms"], found["typed_ms"]
    print(
        "| workspace | files | first diagnostics (indexing) s | one change -> diagnostics, median ms | worst ms "
        f"| typed ({found['keystroke_ms']} ms a key), last key -> diagnostics, median ms | worst ms |"
    )
    print("|:--|--:|--:|--:|--:|--:|--:|")
    print(
        f"| {tree.name} (`{found['file']}`) | {len(bi.py_files(tree)):,} | {found['indexed_s']} "
        f"| {statistics.median(single):.0f} | {max(single)} | {statistics.median(typed):.0f} | {max(typed)} |"
    )
    print(f"one change (ms): {single}")
    print(f"typed (ms): {typed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
