"""The Python API (redline.api): what the command line and editor integrations use."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from redline import api
from redline.config import Config
from redline.scan import ScanOptions, run_scan

from cache_store import rows

ROUTE = '''\
from flask import Flask, request

app = Flask(__name__)


@app.route("/run")
def run():
    return str(len(request.args["q"]))
'''


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "routes.py").write_text(ROUTE)
    (root / "app" / "tools.py").write_text("import os\n\n\ndef run(command):\n    os.system(command)\n")
    return root


def _keys(findings) -> set[tuple]:
    return {(f.rule_id, f.location.path, f.location.line, f.severity.name) for f in findings}


def test_scan_gives_what_the_scanner_gives(tmp_path: Path) -> None:
    root = _project(tmp_path)
    result = api.scan([root], use_cache=False, jobs=1)
    direct = run_scan([root], Config(), ScanOptions(use_cache=False, jobs=1))
    assert _keys(result.findings) == _keys(direct.findings)
    assert ("INJ001", "app/tools.py", 5) in {k[:3] for k in _keys(result.findings)}
    report = json.loads(api.render(result, "json"))
    assert len(report["findings"]) == len(result.findings)
    assert api.render(result, "sarif").lstrip().startswith("{")
    with pytest.raises(api.Error, match="unknown format"):
        api.render(result, "pdf")


def test_an_unsaved_document_is_scanned_with_the_project_and_never_cached(tmp_path: Path) -> None:
    """The buffer's text replaces the file's bytes, its flows join the project's (the
    request reaches a sink in another module), and the file's cached result stays the
    one on disk."""
    root = _project(tmp_path)
    cache = tmp_path / "cache"
    before = api.scan([root], cache_dir=cache, jobs=1)
    routes = root / "app" / "routes.py"
    buffer = ROUTE.replace(
        'return str(len(request.args["q"]))', 'from app.tools import run as tool\n    return str(tool(request.args["q"]))'
    )
    stored = rows(cache)["app/routes.py"]["digest"]
    edited = api.scan([root], cache_dir=cache, jobs=1, documents={routes: buffer})
    assert rows(cache)["app/routes.py"]["digest"] == stored  # the file's own result kept
    flows = [f for f in edited.findings if f.rule_id == "INJ002" and f.taint_path]
    assert flows and flows[0].taint_path[0].location.path == "app/routes.py"  # from the buffer's request
    assert not [f for f in before.findings if f.rule_id == "INJ002" and f.taint_path]
    # the same document on a cold scan: the same result
    cold = api.scan([root], use_cache=False, jobs=1, documents={str(routes): buffer})
    assert _keys(cold.findings) == _keys(edited.findings)
    # the disk's content again, through the same cache: as before the buffer
    again = api.scan([root], cache_dir=cache, jobs=1)
    assert _keys(again.findings) == _keys(before.findings)
    assert routes.read_text() == ROUTE


def test_edit_after_edit_of_an_unsaved_document_is_searched_in_part(tmp_path: Path, monkeypatch) -> None:
    """An editor sends edit after edit: each scan compares the buffer with the last one
    (kept beside the file's result), so none needs a whole-project taint analysis, and
    each equals a cold scan of that text."""
    from redline import scan as scan_mod

    root = _project(tmp_path)
    cache = tmp_path / "cache"
    routes = root / "app" / "routes.py"
    api.scan([root], cache_dir=cache, jobs=1)
    whole = []
    real = scan_mod.taint.findings
    monkeypatch.setattr(scan_mod.taint, "findings", lambda *a, **k: whole.append(1) or real(*a, **k))
    call = 'from app.tools import run as tool\n    return str(tool(request.args["q"]))'
    versions = [
        ROUTE.replace('return str(len(request.args["q"]))', call),
        ROUTE.replace('return str(len(request.args["q"]))', 'return str(eval(request.args["q"]))'),
        ROUTE.replace('return str(len(request.args["q"]))', call.replace("tool(", "len(")),
        ROUTE.replace('return str(len(request.args["q"]))', call),
    ]
    for text in versions:
        edited = api.scan([root], cache_dir=cache, jobs=1, documents={routes: text})
        monkeypatch.setattr(scan_mod.taint, "findings", real)
        cold = api.scan([root], use_cache=False, jobs=1, documents={routes: text})
        monkeypatch.setattr(scan_mod.taint, "findings", lambda *a, **k: whole.append(1) or real(*a, **k))
        assert _keys(edited.findings) == _keys(cold.findings)
    assert whole == []
    assert ("INJ002", "app/tools.py", 5) in {k[:3] for k in _keys(edited.findings)}
    # buffers that did not change since the last scan are not analysed again
    analysed = []
    real_analyse = scan_mod.analyse_bytes
    monkeypatch.setattr(scan_mod, "analyse_bytes", lambda task, *a: analysed.append(task.rel) or real_analyse(task, *a))
    again = api.scan([root], cache_dir=cache, jobs=1, documents={routes: versions[-1]})
    assert analysed == [] and _keys(again.findings) == _keys(edited.findings)
    assert routes.read_text() == ROUTE


@pytest.mark.parametrize("damage", ["garbage", "graph", "other-content", "other-module"])
def test_a_damaged_buffer_row_is_analysed_again(tmp_path: Path, damage: str) -> None:
    import sqlite3

    from cache_store import database

    root = _project(tmp_path)
    cache = tmp_path / "cache"
    routes = root / "app" / "routes.py"
    text = ROUTE.replace('return str(len(request.args["q"]))', 'return str(eval(request.args["q"]))')
    api.scan([root], cache_dir=cache, jobs=1, documents={routes: text})
    with sqlite3.connect(database(cache)) as db:
        statement = {
            "garbage": "UPDATE buffers SET result = x'00', flows = x'00'",
            "graph": "UPDATE buffers SET flows = x'00'",
            "other-content": "UPDATE buffers SET digest = 'x'",
            "other-module": "UPDATE buffers SET id = 'python:elsewhere:0'",
        }[damage]
        assert db.execute(statement).rowcount == 1
    again = api.scan([root], cache_dir=cache, jobs=1, documents={routes: text})
    cold = api.scan([root], use_cache=False, jobs=1, documents={routes: text})
    assert _keys(again.findings) == _keys(cold.findings)
    assert ("EXEC002", "app/routes.py", 8) in {k[:3] for k in _keys(again.findings)}


def test_a_buffer_reused_while_another_scan_saves(tmp_path: Path, monkeypatch) -> None:
    """Another process (the command line, a second editor) may save the same cache
    between the buffer's reuse and the taint analysis: the buffer's graph was read with
    it, so the result is still the buffer's."""
    import sqlite3

    from redline import cache as cache_mod

    from cache_store import database

    root = _project(tmp_path)
    cache = tmp_path / "cache"
    routes = root / "app" / "routes.py"
    text = ROUTE.replace('return str(len(request.args["q"]))', 'from app.tools import run\n    return str(run(request.args["q"]))')
    api.scan([root], cache_dir=cache, jobs=1, documents={routes: text})
    real = cache_mod.ResultCache.buffer

    def buffer_then_emptied(self, task, data_digest):
        found = real(self, task, data_digest)
        with sqlite3.connect(database(cache)) as db:
            db.execute("DELETE FROM buffers")
        return found

    monkeypatch.setattr(cache_mod.ResultCache, "buffer", buffer_then_emptied)
    tools = root / "app" / "tools.py"
    tools.write_text(tools.read_text() + "\n\ndef other(value):\n    return value\n")  # the taint result is due again
    again = api.scan([root], cache_dir=cache, jobs=1, documents={routes: text})
    cold = api.scan([root], use_cache=False, jobs=1, documents={routes: text})
    assert _keys(again.findings) == _keys(cold.findings)
    assert ("INJ002", "app/tools.py", 5) in {k[:3] for k in _keys(again.findings)}


def test_a_document_named_through_a_linked_directory(tmp_path: Path) -> None:
    """A workspace opened through a symbolic link (macOS /tmp, a linked home): the
    buffer named through the link is the file the walk lists through the real path."""
    real = _project(tmp_path)
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    text = ROUTE.replace('return str(len(request.args["q"]))', 'return str(eval(request.args["q"]))')
    for root in (link, real):
        for named in (link, real):
            result = api.scan([root], use_cache=False, jobs=1, documents={named / "app" / "routes.py": text})
            assert [f.rule_id for f in api.findings_in(result, named / "app" / "routes.py")] == ["EXEC002"]


def test_a_new_file_not_yet_on_disk(tmp_path: Path) -> None:
    """A document the disk does not hold is scanned as if written there (the same findings
    as a cold scan with the file written), unless the walk would ignore it; the scan
    writes nothing."""
    root = _project(tmp_path)
    (root / ".gitignore").write_text("generated/\n")
    text = ROUTE.replace('str(len(request.args["q"]))', 'str(tools.run(request.args["q"]))').replace(
        "from flask", "from app import tools\nfrom flask"
    )
    new, ignored = root / "app" / "routes2.py", root / "generated" / "routes3.py"
    unsaved = api.scan([root], cache_dir=tmp_path / "cache", jobs=1, documents={new: text, ignored: text})
    assert not new.exists() and not ignored.exists()
    new.write_text(text)
    assert _keys(unsaved.findings) == _keys(api.scan([root], use_cache=False, jobs=1).findings)
    assert ("INJ002", "app/tools.py", 5) in {k[:3] for k in _keys(unsaved.findings)}


def test_findings_in_one_file(tmp_path: Path) -> None:
    root = _project(tmp_path)
    result = api.scan([root], use_cache=False, jobs=1)
    tools = root / "app" / "tools.py"
    mine = api.findings_in(result, tools)
    assert mine and {f.location.path for f in mine} == {"app/tools.py"}
    assert api.findings_in(result, root / "app" / "__init__.py") == []


def test_selection_and_threat_models(tmp_path: Path) -> None:
    root = _project(tmp_path)
    only = api.scan([root], use_cache=False, jobs=1, select=["INJ"])
    assert only.findings and {f.rule_id[:3] for f in only.findings} == {"INJ"}
    none = api.scan([root], use_cache=False, jobs=1, select=["INJ"], ignore=["INJ001"])
    assert "INJ001" not in {f.rule_id for f in none.findings}
    with pytest.raises(api.Error, match="'NOPE' is not a rule id"):
        api.scan([root], select=["NOPE"])
    with pytest.raises(api.Error, match="threat_models"):
        api.scan([root], threat_models=["the-moon"])
    wider = api.configured(Config(), threat_models=["library"])
    assert "library" in wider.threat_models


def test_bad_input_is_one_error(tmp_path: Path) -> None:
    with pytest.raises(api.Error, match="no such file or directory"):
        api.scan([tmp_path / "missing"])
    with pytest.raises(api.Error, match="jobs"):
        api.scan([tmp_path], jobs=0)
    (tmp_path / "pyproject.toml").write_text("[tool.redline]\nfail_on = 'sometimes'\n")
    with pytest.raises(api.Error) as caught:
        api.load_config(tmp_path)
    assert "\n" not in str(caught.value)


def test_configuration_from_the_project(tmp_path: Path) -> None:
    root = _project(tmp_path)
    assert "INJ001" in {f.rule_id for f in api.scan([root], use_cache=False, jobs=1).findings}
    (root / "pyproject.toml").write_text('[tool.redline]\nignore = ["INJ001"]\n')
    assert "INJ001" in api.load_config(root).ignore
    result = api.scan([root], use_cache=False, jobs=1)  # the project's settings by default
    assert "INJ001" not in {f.rule_id for f in result.findings}


def test_rules_and_their_documentation() -> None:
    ids = [r.id for r in api.rules()]
    assert ids == sorted(ids) and "EXEC001" in ids
    assert api.rule("EXEC001").id == "EXEC001"
    text = api.explain("EXEC001")
    for heading in ("## What it finds", "## Why it matters", "## Use instead", "## Recommendation"):
        assert heading in text
    with pytest.raises(api.Error, match="unknown rule"):
        api.explain("NOPE999")


def test_a_scan_off_the_main_thread_starts_its_workers_without_forking(tmp_path: Path, monkeypatch) -> None:
    """A server scans from a thread beside its event loop: its worker processes must not
    be forked from there (a fork copies locks other threads hold). The pool's start
    method is then forkserver (or spawn), and the result is the single-process one."""
    import concurrent.futures
    import multiprocessing

    from redline import scan as scan_mod

    root = _project(tmp_path)
    for i in range(40):
        (root / "app" / f"m{i}.py").write_text(f"import os\n\n\ndef run{i}(command):\n    os.system(command)\n")
    methods = []
    real = scan_mod._process_context

    def recorded():
        context = real()
        methods.append(context.get_start_method() if context else multiprocessing.get_start_method())
        return context

    monkeypatch.setattr(scan_mod, "_process_context", recorded)
    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        pooled = thread.submit(api.scan, [root], use_cache=False, jobs=2).result(timeout=300)
    assert methods and methods[0] in ("forkserver", "spawn")
    assert _keys(pooled.findings) == _keys(api.scan([root], use_cache=False, jobs=1).findings)
    assert len(pooled.findings) >= 41
