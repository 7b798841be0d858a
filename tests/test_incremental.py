"""A re-scan through the result cache, after random edits, reports exactly what a cold
scan of the same tree reports: every finding with its location, severity, message,
evidence and taint path, the skipped files and the suppression counts."""

from __future__ import annotations

import ast
import os
import random
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from redline.config import Config
from redline.model import ScanResult
from redline.scan import ScanOptions, run_scan

from conftest import REPO, pinned_packages


def _view(result: ScanResult) -> tuple:
    findings = sorted(
        (
            f.rule_id, f.location.path, f.location.line, f.location.column, f.location.cell,
            f.severity.name, f.confidence.name, f.message, f.snippet, f.scope, f.fingerprint,
            f.evidence, f.reasons, tuple((s.location.path, s.location.line, s.description) for s in f.taint_path),
        )
        for f in result.findings
    )
    skipped = sorted((s.path, s.reason) for s in result.skipped)
    foreign = sorted((s.path, s.line, s.tool, s.hides) for s in result.foreign_suppressions)
    return findings, skipped, foreign, result.suppressed_count


def _python_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if p.is_file())


def _module(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    while parts and not (root.joinpath(*parts[:1]) / "__init__.py").is_file() and len(parts) > 1:
        parts = parts[1:]  # a source folder above the package
    return ".".join(p for p in parts if p != "__init__")


def _edit(rng: random.Random, root: Path, originals: dict[Path, bytes], n: int) -> str:
    """One random edit of the tree (keeping the original bytes of what it changes)."""
    files = _python_files(root)
    path = rng.choice(files)
    originals.setdefault(path, path.read_bytes())
    text = path.read_text(encoding="utf-8", errors="replace")
    lines = text.splitlines(keepends=True)
    kind = rng.choice(["shift", "shift", "flow", "body", "body", "unreturn", "remove", "break", "restore", "touch"])
    if kind == "shift":  # every later line moves
        at = rng.randrange(len(lines) + 1)
        lines.insert(at, f"# edit {n}\n")
        path.write_text("".join(lines), encoding="utf-8")
    elif kind == "flow":  # a new sink, and a caller in another module that feeds it a request
        path.write_text(text + f"\n\ndef edit_{n}(value):\n    import os\n    os.system(value)\n", encoding="utf-8")
        caller = rng.choice(files)
        originals.setdefault(caller, caller.read_bytes())
        caller.write_text(
            caller.read_text(encoding="utf-8", errors="replace")
            + f"\n\ndef call_edit_{n}():\n    from flask import request\n    from {_module(root, path)} import edit_{n}\n"
            f"    edit_{n}(request.args['q'])\n",
            encoding="utf-8",
        )
    elif kind in ("body", "unreturn"):  # a function's flows change, its definition does not
        try:
            tree = ast.parse(text)
        except SyntaxError:
            return f"{kind}: unparsable"
        functions = [
            f for f in ast.walk(tree)
            if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef) and f.body[0].lineno > f.lineno
        ]
        if kind == "body":
            chosen = [(f, p.arg) for f in functions for p in f.args.args if p.arg not in ("self", "cls")]
            if not chosen:
                return "body: nothing"
            f, param = rng.choice(chosen)
            first = f.body[0]
            indent = " " * first.col_offset
            lines.insert(first.lineno - 1, f"{indent}eval({param})\n")
        else:
            returns = [
                r for f in functions for r in ast.walk(f)
                if isinstance(r, ast.Return) and r.value is not None and r.lineno == r.end_lineno
            ]
            if not returns:
                return "unreturn: nothing"
            r = rng.choice(returns)
            line = lines[r.lineno - 1]
            lines[r.lineno - 1] = line[: r.col_offset] + "return None" + line[r.end_col_offset :]
        path.write_text("".join(lines), encoding="utf-8")
    elif kind == "remove":  # a function goes: its callers' calls resolve no more
        try:
            tree = ast.parse(text)
        except SyntaxError:
            return "remove: unparsable"
        defs = [d for d in tree.body if isinstance(d, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)]
        if not defs:
            return "remove: nothing"
        d = rng.choice(defs)
        start = min([d.lineno, *(x.lineno for x in d.decorator_list)])
        del lines[start - 1 : d.end_lineno]
        path.write_text("".join(lines), encoding="utf-8")
    elif kind == "break":
        path.write_text(text + "\ndef broken(:\n", encoding="utf-8")
    elif kind == "restore":
        path.write_bytes(originals[path])
    else:  # the same content under a new time: found again through its hash
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    return f"{kind}: {path.relative_to(root)}"


def _check_random_edits(root: Path, cache: Path, steps: int, seed: int) -> None:
    rng = random.Random(seed)
    originals: dict[Path, bytes] = {}
    config = Config(fail_on=None)
    assert _view(run_scan([root], config, ScanOptions(cache_dir=cache))) == _view(
        run_scan([root], config, ScanOptions(use_cache=False))
    )
    for n in range(steps):
        done = [_edit(rng, root, originals, n) for _ in range(rng.choice([1, 1, 2]))]
        cached = run_scan([root], config, ScanOptions(cache_dir=cache))
        cold = run_scan([root], config, ScanOptions(use_cache=False))
        assert _view(cached) == _view(cold), f"after edit {n}: {done}"


def test_random_edits_of_the_example_project(tmp_path: Path) -> None:
    root = tmp_path / "insecure-agent"
    shutil.copytree(REPO / "examples" / "insecure-agent", root)
    _check_random_edits(root, tmp_path / "cache", steps=12, seed=17)


def test_random_edits_of_a_real_package(tmp_path: Path, tmp_path_factory) -> None:
    """lightrag-hku 1.5.7: 173 files, 30 taint findings, many across modules."""
    src = pinned_packages(tmp_path_factory, "lightrag-hku==1.5.7")
    root = tmp_path / "tree"
    shutil.copytree(src / "lightrag", root / "lightrag")
    _check_random_edits(root, tmp_path / "cache", steps=4, seed=5)


ROUTES = '''\
from flask import Flask, request

from app import helpers

app = Flask(__name__)


@app.route("/run")
def run():
    command = request.args["cmd"]
    return helpers.execute(command)


@app.route("/calc")
def calc():
    return str(helpers.compute(request.args["expr"]))


class Handler(helpers.Base):
    pass
'''

HELPERS = '''\
import os


def execute(command):
    """Runs a command."""
    return os.system("echo " + command)


def compute(expression):
    return eval(expression)


def constant():
    return eval("1 + 1")


class Base:
    pass
'''


def _app(tmp_path: Path, files: dict[str, str]) -> tuple[Path, Callable[[], ScanResult], Callable[[], ScanResult]]:
    """A package ``app`` of ``files`` and HELPERS: the helpers' path, a scan through the
    cache, a cold scan."""
    root = tmp_path / "tree"
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    for name, text in files.items():
        (root / "app" / name).write_text(text)
    helpers = root / "app" / "helpers.py"
    helpers.write_text(HELPERS)
    cache, config = tmp_path / "cache", Config(fail_on=None)

    def cached() -> ScanResult:
        return run_scan([root], config, ScanOptions(cache_dir=cache, jobs=1))

    def cold() -> ScanResult:
        return run_scan([root], config, ScanOptions(use_cache=False, jobs=1))

    return helpers, cached, cold


def test_an_edit_that_keeps_the_flows_reuses_the_project_result(tmp_path: Path, monkeypatch) -> None:
    """A module whose flows keep their shape (lines moved, a constant added) gets the
    last project result placed anew, without the whole-project search; an edit that
    changes a flow and adds a function searches the part it reaches; an edit of a class
    hierarchy searches the whole project. Each equals a cold scan."""
    import redline.python.taint as taint_mod

    helpers, cached, cold = _app(tmp_path, {"routes.py": ROUTES})

    first = cached()
    assert {(f.rule_id, f.location.line) for f in first.findings if f.taint_path} == {("INJ002", 6), ("EXEC002", 10)}
    searches = []
    real = taint_mod.findings
    monkeypatch.setattr(taint_mod, "findings", lambda *a, **k: searches.append(1) or real(*a, **k))
    helpers.write_text("# a comment that moves every line\n\n" + HELPERS.replace(
        '    """Runs a command."""\n', '    """Runs a command."""\n    retries = 3\n'))
    moved = cached()
    assert searches == []  # placed anew
    assert _view(moved) == _view(cold())
    assert {(f.rule_id, f.location.line) for f in moved.findings if f.taint_path} == {("INJ002", 9), ("EXEC002", 13)}
    assert [s.location.line for f in moved.findings if f.rule_id == "INJ002" for s in f.taint_path][-1] == 9
    # a flow goes, and a function comes: the calls written with its name are linked
    # again, and the part of the project they reach searched
    helpers.write_text(HELPERS.replace('os.system("echo " + command)', 'os.system("echo")') + "\n\ndef added(x):\n    return x\n")
    searches.clear()
    changed = cached()
    assert searches == []
    assert _view(changed) == _view(cold())
    assert "INJ002" not in {f.rule_id for f in changed.findings}
    # a class another module derives from gets a base: the whole project again
    helpers.write_text(HELPERS.replace("class Base:", "class Base(dict):"))
    searches.clear()
    rebased = cached()
    assert len(searches) == 1
    assert _view(rebased) == _view(cold())


OTHER = '''\
from flask import Flask, request

app = Flask(__name__)


@app.route("/other")
def other():
    return eval(request.args["x"])
'''


def test_an_edit_of_a_functions_flows_searches_only_what_it_reaches(tmp_path: Path, monkeypatch) -> None:
    """A flow added inside a function (its definition unchanged) is searched for from
    the modules its data can reach and those leading there, not the whole project: the
    new sink is found through the caller in another module, the rest is kept, and the
    result equals a cold scan; so does the next edit, which takes the flow away."""
    import redline.python.taint as taint_mod

    helpers, cached, cold = _app(tmp_path, {"routes.py": ROUTES, "other.py": OTHER})

    first = cached()
    assert ("EXEC002", "app/other.py") in {(f.rule_id, f.location.path) for f in first.findings if f.taint_path}
    searches, built = [], []
    real_findings, real_build = taint_mod.findings, taint_mod.build
    monkeypatch.setattr(taint_mod, "findings", lambda *a, **k: searches.append(1) or real_findings(*a, **k))

    def build(graphs):
        graphs = list(graphs)
        built.append({rel for rel, _ in graphs})
        return real_build(graphs)

    monkeypatch.setattr(taint_mod, "build", build)
    helpers.write_text(HELPERS.replace("    return eval(expression)", "    os.system(expression)\n    return eval(expression)"))
    edited = cached()
    assert searches == []  # not the whole project
    assert "app/other.py" not in set().union(*built)
    assert {"app/routes.py", "app/helpers.py"} <= set().union(*built)
    assert _view(edited) == _view(cold())
    found = {(f.rule_id, f.location.path, f.location.line) for f in edited.findings if f.taint_path}
    assert {("INJ002", "app/helpers.py", 10), ("EXEC002", "app/helpers.py", 11)} <= found
    assert ("EXEC002", "app/other.py", 8) in found  # kept from the last result
    built.clear()
    searches.clear()
    helpers.write_text(HELPERS)
    again = cached()
    assert searches == []
    assert _view(again) == _view(cold())
    assert ("INJ002", "app/helpers.py", 10) not in {(f.rule_id, f.location.path, f.location.line) for f in again.findings}


@pytest.mark.parametrize(
    "damage",
    [
        "UPDATE links SET value = x'00ff'",  # not a document
        "UPDATE links SET value = ?",  # a document of another shape
        "DELETE FROM links WHERE rel = ''",  # the project-wide row gone
        "DELETE FROM links WHERE rel = 'app/routes.py'",  # a module's row gone
        "UPDATE links SET rel = rel || 'x' WHERE rel = '//words'",  # the names of calls gone
    ],
)
def test_a_damaged_project_state_costs_only_a_whole_project_search(tmp_path: Path, damage: str) -> None:
    """What the partial analysis reads of the last one, damaged or missing, makes the
    scan search the whole project: the result still equals a cold scan."""
    from redline import cache as cache_mod

    from cache_store import execute

    helpers, cached, cold = _app(tmp_path, {"routes.py": ROUTES})
    cached()
    execute(tmp_path / "cache", damage, (cache_mod.pack([1, 2, 3]),) if "?" in damage else ())
    helpers.write_text(HELPERS.replace("    return eval(expression)", "    os.system(expression)\n    return eval(expression)") + "\n\ndef added(x):\n    return x\n")
    edited = cached()
    assert _view(edited) == _view(cold())
    assert ("INJ002", "app/helpers.py", 10) in {(f.rule_id, f.location.path, f.location.line) for f in edited.findings}
