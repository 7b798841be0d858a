"""Hostile inputs: the scan always finishes, says what it skipped and why, keeps
reporting everything else, exits with the code the rest deserves, never prints a
traceback, never runs the code it reads and never writes into the scanned tree.

Every tree is built in ``tmp_path`` at run time. The two big inputs (a 20 MB file
and a 100,000-term expression) are generated once per test that needs them and
are cheap to reject, so the whole module runs in a few seconds.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from redline.config import Config
from redline.model import ScanResult
from redline.scan import ScanOptions, run_scan

import cache_store

# A request parameter evaluated: EXEC002 at CRITICAL (a proven flow from a remote source).
GOOD = "from flask import request\n\n\ndef handle():\n    user_input = request.args['q']\n    eval(user_input)\n"
EVIL_NAME = "\x1b[31mevil<script>.py"
NO_SYMLINKS = not hasattr(os, "symlink") or os.name == "nt"


# -- helpers ---------------------------------------------------------------------------


def scan(root: Path, *paths: Path, jobs: int = 1, config: Config | None = None) -> ScanResult:
    return run_scan(list(paths) or [root], config or Config(), ScanOptions(jobs=jobs, use_cache=False))


@dataclass
class Cli:
    code: int
    out: str
    err: str


def cli(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> Cli:
    full_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **(env or {})}
    proc = subprocess.run(
        [sys.executable, "-m", "redline", *map(str, args)],
        capture_output=True,
        cwd=cwd,
        env=full_env,
        timeout=120,
    )
    decode = lambda b: b.decode("utf-8", errors="replace")  # noqa: E731
    return Cli(proc.returncode, decode(proc.stdout), decode(proc.stderr))


def skipped(result: ScanResult) -> dict[str, tuple[str, bool]]:
    return {s.path: (s.reason, s.parse_failure) for s in result.skipped}


def findings_in(result: ScanResult, path: str) -> list:
    return [f for f in result.findings if f.location.path == path]


def assert_good_found(result: ScanResult) -> None:
    hits = [f for f in findings_in(result, "good.py") if f.rule_id in ("EXEC001", "EXEC002")]
    assert [(f.location.line, f.snippet) for f in hits] == [(6, "eval(user_input)")]


def assert_no_traceback(run: Cli) -> None:
    assert "Traceback" not in run.err, run.err
    assert "internal error" not in run.err, run.err


# -- the hostile files -----------------------------------------------------------------
#
# Each case writes its files next to good.py and says what must happen to them:
# ``skips`` maps a path to a regex its skip reason must match and whether it is a
# parse failure; ``finds`` maps a path to the (line, cell) of the EXEC001 finding it
# must produce; ``absent`` lists paths that must produce neither a finding nor a skip.


@dataclass
class Case:
    build: Callable[[Path], None]
    skips: dict[str, tuple[str, bool]]
    finds: dict[str, tuple[int, int | None]]
    absent: tuple[str, ...] = ()
    # False where a known bug elsewhere garbles the snippet (see test_form_feed_snippet).
    snippet_ok: bool = True
    # Code that the host parser rejects but the tree-sitter fallback parser may accept
    # (limits differ): a path here may be analysed instead of skipped, and then must
    # yield the finding at this (line, cell).
    or_finds: dict[str, tuple[int, int | None]] | None = None


def _write(name: str, data: str | bytes) -> Callable[[Path], None]:
    def build(root: Path) -> None:
        path = root / name
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8", newline="")

    return build


def _nested_ifs(depth: int, body: str) -> str:
    lines = ["x = input()"]
    for i in range(depth):
        lines.append(" " * i + "if x:")
    lines.append(" " * depth + body)
    return "\n".join(lines) + "\n"


def _symlink_loop(root: Path) -> None:
    os.symlink("b", root / "a")
    os.symlink("a", root / "b")


def _symlink_outside(root: Path) -> None:
    outside = root.parent / f"{root.name}-outside"
    outside.mkdir()
    (outside / "secret.py").write_text("eval(x)\n")
    os.symlink(outside / "secret.py", root / "outside_link.py")


def _broken_symlink(root: Path) -> None:
    os.symlink("does_not_exist.py", root / "broken.py")
    os.symlink("does_not_exist.png", root / "picture.png")  # not a source: not worth a line


def _huge(root: Path) -> None:
    line = b"x = 1  # " + b"a" * 90 + b"\n"
    with (root / "huge.py").open("wb") as fh:
        fh.write(b"eval(y)\n")
        fh.write(line * (20_000_000 // len(line) + 1))


def _notebook(root: Path) -> None:
    nb = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# eval(x) in prose\n"]},
            {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
             "source": ["import os\n"]},
            {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
             "source": ["!pip install requests\n", "x = input()\n", "eval(x)\n"]},
            {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
             "source": "%%bash\neval(x)\n"},
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (root / "nb.ipynb").write_text(json.dumps(nb), encoding="utf-8")


FORM_FEED = "import os\n\x0c\nx = input()\neval(x)\n"

CASES: dict[str, Case] = {
    "syntax-error": Case(
        _write("syntax.py", "def f(:\n    pass\n"),
        {"syntax.py": (r"^syntax error: line 1\b", True)},
        {},
    ),
    "nul-bytes": Case(
        _write("binary.py", b"x = 1\n\x00\x01\x02\xff eval(x)\n"),
        {"binary.py": (r"binary data \(NUL bytes\)", True)},
        {},
    ),
    "latin1-no-coding": Case(
        _write("latin.py", "s = 'caf\u00e9'\neval(s + t)\n".encode("latin-1")),
        {"latin.py": (r"^undecodable bytes .*no valid coding line", True)},
        {},
    ),
    "latin1-with-coding": Case(
        _write(
            "latin_declared.py",
            "# -*- coding: latin-1 -*-\ns = 'caf\u00e9'\neval(s + t)\n".encode("latin-1"),
        ),
        {},
        {"latin_declared.py": (3, None)},
    ),
    "nested-brackets-3000": Case(
        _write("brackets.py", "eval(y)\nx = " + "[" * 3000 + "]" * 3000 + "\n"),
        {"brackets.py": (r"too many nested parentheses|too deeply nested", True)},
        {},
        or_finds={"brackets.py": (1, None)},
    ),
    "nested-brackets-150": Case(  # deep but legal: analysed all the way down
        _write("brackets_ok.py", "x = " + "[" * 150 + "eval(y)" + "]" * 150 + "\n"),
        {},
        {"brackets_ok.py": (1, None)},
    ),
    "nested-ifs-200": Case(
        _write("ifs.py", _nested_ifs(200, "eval(x)")),
        {"ifs.py": (r"indentation|too deeply nested", True)},
        {},
        or_finds={"ifs.py": (202, None)},
    ),
    "nested-ifs-90": Case(  # deep but legal: analysed all the way down
        _write("ifs_ok.py", _nested_ifs(90, "eval(x)")),
        {},
        {"ifs_ok.py": (92, None)},
    ),
    "symlink-loop": Case(
        _symlink_loop,
        {"a": (r"^broken or looping symlink$", False), "b": (r"^broken or looping symlink$", False)},
        {},
    ),
    "symlink-outside-root": Case(
        _symlink_outside,
        {"outside_link.py": (r"^symlink points outside the scan root$", False)},
        {},
    ),
    "broken-symlink": Case(
        _broken_symlink,
        {"broken.py": (r"^broken or looping symlink$", False)},
        {},
        absent=("picture.png",),
    ),
    "evil-file-name": Case(_write(EVIL_NAME, "eval(x)\n"), {}, {EVIL_NAME: (1, None)}),
    "empty-file": Case(_write("empty.py", b""), {}, {}, absent=("empty.py",)),
    "bom-only": Case(_write("bom.py", b"\xef\xbb\xbf"), {}, {}, absent=("bom.py",)),
    "bom-and-code": Case(_write("bom_code.py", b"\xef\xbb\xbfeval(x)\n"), {}, {"bom_code.py": (1, None)}),
    "crlf": Case(
        _write("crlf.py", b"import os\r\nx = input()\r\neval(x)\r\n"), {}, {"crlf.py": (3, None)}
    ),
    "form-feed": Case(  # \f is not a line break for Python: line numbers and snippets agree
        _write("formfeed.py", FORM_FEED), {}, {"formfeed.py": (4, None)}, snippet_ok=False
    ),
    "notebook-not-json": Case(
        _write("bad.ipynb", "{not json"), {"bad.ipynb": (r"^not a valid notebook", True)}, {}
    ),
    "notebook-wrong-shape": Case(
        _write("shape.ipynb", '{"cells": 5}'), {"shape.ipynb": (r"^not a valid notebook", True)}, {}
    ),
    "notebook-source-not-text": Case(
        _write("src.ipynb", '{"cells": [{"cell_type": "code", "source": [1, 2]}]}'),
        {"src.ipynb": (r"^not a valid notebook", True)},
        {},
    ),
    "notebook-magic": Case(_notebook, {}, {"nb.ipynb": (3, 2)}),
    "pyi-stub": Case(_write("stub.pyi", "def f(x) -> None: ...\neval(x)\n"), {}, {}, absent=("stub.pyi",)),
    "shebang-script": Case(
        _write("tool", "#!/usr/bin/env python3\nx = input()\neval(x)\n"), {}, {"tool": (3, None)}
    ),
    "no-shebang-extensionless": Case(
        _write("NOTES", "eval(x)\n"), {}, {}, absent=("NOTES",)
    ),
}

SYMLINK_CASES = {"symlink-loop", "symlink-outside-root", "broken-symlink"}


def _outcome(result: ScanResult, case: Case) -> tuple[dict, dict]:
    """The skips and findings this case must show, given which parser took what."""
    got = skipped(result)
    skips, finds = dict(case.skips), dict(case.finds)
    for path, where in (case.or_finds or {}).items():
        if path not in got:
            del skips[path]
            finds[path] = where
    return skips, finds


def _check_case(result: ScanResult, case: Case) -> None:
    assert_good_found(result)
    got = skipped(result)
    skips, finds = _outcome(result, case)
    for path, (pattern, parse_failure) in skips.items():
        assert path in got, (path, got)
        reason, is_parse_failure = got[path]
        assert re.search(pattern, reason), (path, reason)
        assert is_parse_failure is parse_failure, (path, reason)
        assert not findings_in(result, path)
    for path, (line, cell) in finds.items():
        hits = [f for f in findings_in(result, path) if f.rule_id in ("EXEC001", "EXEC002")]
        assert [(f.location.line, f.location.cell) for f in hits] == [(line, cell)], (path, hits)
        if case.snippet_ok:
            assert all("eval(" in f.snippet and "\r" not in f.snippet for f in hits), hits
        assert path not in got
    for path in case.absent:
        assert path not in got and not findings_in(result, path)
    # Nothing else was skipped, and nothing else was found.
    assert set(got) == set(skips)
    assert {f.location.path for f in result.findings} == {"good.py", *finds}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_file(tmp_path: Path, name: str) -> None:
    if name in SYMLINK_CASES and NO_SYMLINKS:
        pytest.skip("POSIX symlinks")
    case = CASES[name]
    root = tmp_path / "tree"
    root.mkdir()
    (root / "good.py").write_text(GOOD)
    case.build(root)

    result = scan(root)
    _check_case(result, case)

    parse_failures = len(result.parse_failures)
    cache = ["--cache-dir", tmp_path / "cache"]
    default = cli("scan", root, *cache)
    assert_no_traceback(default)
    assert default.code == 1, default.err  # eval(user_input) is CRITICAL, the gate is HIGH
    assert "\x1b" not in default.out  # a file name cannot drive the terminal
    assert "good.py" in default.out
    never = cli("scan", root, "-q", "--fail-on", "never", *cache)
    assert_no_traceback(never)
    assert (never.code, never.out) == (0, "")
    strict = cli("scan", root, "-q", "--strict", *cache)
    assert_no_traceback(strict)
    if parse_failures:
        assert strict.code == 2
        assert strict.err.strip().splitlines() == [
            f"redline: error: {parse_failures} Python file(s) could not be parsed (--strict)"
        ]
    else:
        assert strict.code == 1 and strict.err == ""


def test_big_expression(tmp_path: Path) -> None:
    """100,000 terms: analysed (finding reported) or skipped with a clear reason."""
    root = tmp_path / "tree"
    root.mkdir()
    (root / "good.py").write_text(GOOD)
    (root / "bigexpr.py").write_text("eval(y)\nx = " + " + ".join(["1"] * 100_000) + "\n")
    result = scan(root)
    assert_good_found(result)
    got = skipped(result)
    if "bigexpr.py" in got:
        reason, parse_failure = got["bigexpr.py"]
        assert parse_failure and re.search(r"too deeply nested|too large", reason), reason
        assert not findings_in(result, "bigexpr.py")
    else:
        assert [f.location.line for f in findings_in(result, "bigexpr.py")] == [1]
    run = cli("scan", root, "-q", "--no-cache")
    assert_no_traceback(run)
    assert run.code == 1
    run = cli("scan", root, "-q", "--no-cache", "--strict")
    assert_no_traceback(run)
    assert run.code == (2 if "bigexpr.py" in got else 1)


def test_twenty_megabyte_file_is_skipped_for_the_size_limit(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "good.py").write_text(GOOD)
    _huge(root)
    result = scan(root)
    assert_good_found(result)
    reason, parse_failure = skipped(result)["huge.py"]
    assert not parse_failure
    assert "size limit" in reason and "2,000,000" in reason, reason
    assert not findings_in(result, "huge.py")
    # Raising the limit in the configuration lets it through (and its eval is found).
    big = scan(root, config=Config(max_file_size=30_000_000))
    assert "huge.py" not in skipped(big)
    assert [f.location.line for f in findings_in(big, "huge.py")] == [1]
    # Not a parse failure: --strict does not turn a size skip into an error.
    run = cli("scan", root, "-q", "--no-cache", "--strict")
    assert_no_traceback(run)
    assert run.code == 1


def _build_everything(root: Path) -> None:
    (root / "good.py").write_text(GOOD)
    for name, case in CASES.items():
        if name in SYMLINK_CASES and NO_SYMLINKS:
            continue
        case.build(root)


def test_everything_at_once(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    _build_everything(root)
    result = scan(root)
    assert_good_found(result)
    expected_skips, expected_found = set(), {"good.py"}
    for name, case in CASES.items():
        if name in SYMLINK_CASES and NO_SYMLINKS:
            continue
        skips, finds = _outcome(result, case)
        expected_skips |= set(skips)
        expected_found |= set(finds)
    assert set(skipped(result)) == expected_skips
    assert {f.location.path for f in result.findings} == expected_found

    cache = ["--cache-dir", tmp_path / "cache"]
    for args, code in (((), 1), (("--fail-on", "never"), 0), (("--strict",), 2)):
        run = cli("scan", root, *args, *cache)
        assert_no_traceback(run)
        assert run.code == code, (args, run.err)
    for fmt in ("json", "markdown", "sarif"):
        run = cli("scan", root, "--format", fmt, *cache)
        assert_no_traceback(run)
        assert run.code == 1, (fmt, run.err)
        assert "\x1b" not in run.out, fmt


def test_process_pool_gives_the_same_result(tmp_path: Path) -> None:
    """Enough files to use worker processes: skips and findings are the same."""
    root = tmp_path / "tree"
    root.mkdir()
    _build_everything(root)
    for i in range(30):
        (root / f"filler_{i:02}.py").write_text(f"def f{i}(x):\n    return x + {i}\n")
    serial = scan(root, jobs=1)
    pooled = scan(root, jobs=2)

    def summary(r: ScanResult):
        return (
            [(f.rule_id, f.location, f.snippet, f.fingerprint) for f in r.findings],
            [(s.path, s.reason, s.parse_failure) for s in r.skipped],
        )

    assert summary(serial) == summary(pooled)
    assert_good_found(pooled)


def test_form_feed_snippet(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "formfeed.py").write_text(FORM_FEED, encoding="utf-8", newline="")
    (root / "sep.py").write_text('s = "a\u2028b"\neval(s + t)\n', encoding="utf-8")
    result = scan(root)
    assert sorted((f.location.path, f.location.line, f.snippet) for f in result.findings) == [
        ("formfeed.py", 4, "eval(x)"),
        ("sep.py", 2, "eval(s + t)"),
    ]


# -- configuration errors --------------------------------------------------------------


@pytest.mark.parametrize(
    "config_text, args, message",
    [
        ("select = [\n", (), r"invalid TOML"),
        ('bogus = 1\n', (), r"unknown key 'bogus'"),
        ('fail-on = "extreme"\n', (), r"fail-on: unknown level 'extreme'"),
        ("fail-on = 3\n", (), r"'fail-on' must be a string"),
        (None, ("--fail-on", "sometimes"), r"--fail-on: unknown level 'sometimes'"),
        (None, ("--select", "NOPE999"), r"'NOPE999' is not a rule id"),
        (None, ("--ignore", "nothing-like-this"), r"is not a rule id"),
        ('select = ["NOPE999"]\n', (), r"'NOPE999' is not a rule id"),
    ],
)
def test_config_errors_exit_2_with_one_line(tmp_path, config_text, args, message) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "good.py").write_text(GOOD)
    if config_text is not None:
        (root / ".redline.toml").write_text(config_text)
    run = cli("scan", root, "--no-cache", *args)
    assert run.code == 2
    lines = run.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("redline: error:"), run.err
    assert re.search(message, lines[0]), lines[0]
    assert run.out == ""  # no report for a scan that did not run


def test_pyproject_config_errors_exit_2(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "good.py").write_text(GOOD)
    (root / "pyproject.toml").write_text('[tool.redline]\nfail-on = "high"\nexcludes = ["x"]\n')
    run = cli("scan", root, "--no-cache")
    assert run.code == 2
    assert run.err.strip().splitlines() == [run.err.strip()]
    assert "unknown key 'excludes'" in run.err


# -- the code is never run -------------------------------------------------------------

CANARY = 'from flask import request\nopen({marker!r}, "w").write("ran")\neval(request.args["q"])\n'


def _canary_tree(root: Path, markers: Path, names: list[str]) -> None:
    root.mkdir()
    markers.mkdir()
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        marker = str(markers / name.replace("/", "__"))
        if name.endswith(".pth"):
            path.write_text(f"import builtins; open({marker!r}, 'w').write('ran')\n")
        else:
            path.write_text(CANARY.format(marker=marker))


def _snapshot(root: Path) -> dict[str, tuple[int, int, int]]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            st = path.lstat()
            out[path.relative_to(root).as_posix()] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return out


EXECUTABLE_NAMES = [
    "mod.py",
    "pkg/__init__.py",
    "pkg/__main__.py",
    "setup.py",
    "conftest.py",
    "sitecustomize.py",
    "usercustomize.py",
    "evil.pth",
]
STDLIB_SHADOWS = ["json.py", "re.py", "enum.py", "argparse.py", "ast.py", "tokenize.py"]


def test_scanned_code_is_never_run_and_the_tree_is_not_written(tmp_path: Path) -> None:
    root, markers = tmp_path / "tree", tmp_path / "markers"
    _canary_tree(root, markers, EXECUTABLE_NAMES)
    before = _snapshot(root)
    cache = tmp_path / "cache"
    env = {"XDG_CACHE_HOME": str(tmp_path / "xdg")}
    for args in (("scan", "--cache-dir", cache), ("scan", ".", "--cache-dir", cache, "-f", "json"),
                 ("scan", "--no-cache", "-q", "--strict")):
        run = cli(*args, cwd=root, env=env)
        assert_no_traceback(run)
        assert run.code == 1, run.err
    assert list(markers.iterdir()) == []
    assert _snapshot(root) == before
    assert not (tmp_path / "xdg").exists()  # --cache-dir was honoured
    # And the files were read: every Python canary's eval is reported.
    result = scan(root)
    found = {f.location.path for f in result.findings if f.rule_id in ("EXEC001", "EXEC002")}
    assert found == {n for n in EXECUTABLE_NAMES if n.endswith(".py")}


def test_stdlib_named_modules_in_the_cwd_are_not_imported(tmp_path: Path) -> None:
    root, markers = tmp_path / "tree", tmp_path / "markers"
    _canary_tree(root, markers, STDLIB_SHADOWS)
    run = cli("scan", "--no-cache", "-q", cwd=root)
    assert sorted(p.name for p in markers.iterdir()) == []
    assert_no_traceback(run)
    assert run.code == 1


def test_stdlib_named_modules_are_safe_through_the_console_script(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("redline")
    if not script.exists():
        pytest.skip("no redline console script next to the interpreter")
    root, markers = tmp_path / "tree", tmp_path / "markers"
    # redline.py too: `python -m redline` run from such a tree would run that file
    # instead of redline (runpy finds it first), which no code in redline can prevent.
    _canary_tree(root, markers, [*STDLIB_SHADOWS, "redline.py"])
    proc = subprocess.run(
        [str(script), "scan", "--no-cache", "-q"], cwd=root, capture_output=True, timeout=120
    )
    assert list(markers.iterdir()) == []
    assert b"Traceback" not in proc.stderr
    assert proc.returncode == 1


# -- the result cache ------------------------------------------------------------------


def _cached_scan(root: Path, cache: Path) -> ScanResult:
    return run_scan([root], Config(), ScanOptions(jobs=1, cache_dir=cache))


def _key(r: ScanResult):
    return [
        (f.rule_id, f.location, f.message, f.snippet, f.fingerprint, f.severity) for f in r.findings
    ], [(s.path, s.reason, s.parse_failure) for s in r.skipped], r.suppressed_count


def _cache_tree(root: Path) -> None:
    root.mkdir()
    (root / "good.py").write_text(GOOD)
    (root / "other.py").write_text("import pickle\n\ndef load(b):\n    return pickle.loads(b)\n")
    (root / "syntax.py").write_text("def f(:\n")
    (root / "quiet.py").write_text("x = eval(y)  # redline: ignore[EXEC001] reviewed: constant input\n")


def test_cache_gives_identical_results_and_follows_edits(tmp_path: Path) -> None:
    root, cache = tmp_path / "tree", tmp_path / "cache"
    _cache_tree(root)
    first = _cached_scan(root, cache)
    assert sorted(cache_store.rows(cache)) == ["good.py", "other.py", "quiet.py", "syntax.py"]  # skipped ones too
    store = cache_store.database(cache)
    written = (store.stat().st_mtime_ns, store.read_bytes())
    import redline.scan

    real_worker = redline.scan._worker
    redline.scan._worker = None  # any analysis now would fail: every file must be a hit
    try:
        second = _cached_scan(root, cache)
    finally:
        redline.scan._worker = real_worker
    assert _key(second) == _key(first)
    assert (store.stat().st_mtime_ns, store.read_bytes()) == written  # all hits: nothing rewritten
    assert {f.rule_id for f in first.findings} >= {"EXEC002", "SER001"}
    assert first.suppressed_count == 1

    (root / "other.py").write_text("import json\n\ndef load(b):\n    return json.loads(b)\n")
    third = _cached_scan(root, cache)
    assert not findings_in(third, "other.py")
    assert_good_found(third)
    (root / "syntax.py").write_text("def f():\n    exec(code)\n")
    fourth = _cached_scan(root, cache)
    assert "syntax.py" not in skipped(fourth)
    assert [f.rule_id for f in findings_in(fourth, "syntax.py")] == ["EXEC001"]
    (root / "settings.yaml").write_text("debug: true\n")
    _cached_scan(root, cache)
    assert "settings.yaml" in cache_store.rows(cache)
    (root / "settings.yaml").unlink()
    _cached_scan(root, cache)
    assert sorted(cache_store.rows(cache)) == ["good.py", "other.py", "quiet.py", "syntax.py"]  # forgotten


def _valid_database(path: Path) -> bytes:
    import sqlite3

    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (x)")
    return path.read_bytes()


@pytest.mark.parametrize(
    "garbage",
    ["bytes", "empty", "truncated", "other-database", "half-written-journal"],
)
def test_a_damaged_cache_database_is_rebuilt(tmp_path: Path, garbage: str) -> None:
    root, cache = tmp_path / "tree", tmp_path / "cache"
    _cache_tree(root)
    clean = _cached_scan(root, cache)
    store = cache_store.database(cache)
    whole = store.read_bytes()
    if garbage == "bytes":
        store.write_bytes(b"\xff\xfe not a database at all" * 100)
    elif garbage == "empty":
        store.write_bytes(b"")
    elif garbage == "truncated":
        store.write_bytes(whole[: len(whole) // 2])
    elif garbage == "other-database":
        store.write_bytes(_valid_database(tmp_path / "other.db"))
    else:  # a crash mid-write leaves a journal of garbage beside an intact database
        (store.parent / (store.name + "-wal")).write_bytes(b"\x00garbage" * 1000)
    again = _cached_scan(root, cache)
    assert _key(again) == _key(clean)
    run = cli("scan", root, "-q", "--cache-dir", cache)
    assert_no_traceback(run)
    assert run.code == 1, run.err
    rows = cache_store.rows(cache)  # a bad database is replaced by a good one
    assert len(rows) == 4
    assert sorted(rel for rel, row in rows.items() if row["flows"]) == ["good.py", "other.py", "quiet.py"]


@pytest.mark.parametrize(
    "blob",
    [
        b"\xff\xfe not zlib",
        b"",
        zlib.compress(b"[]"),
        zlib.compress(b"not json"),
        zlib.compress(b'{"findings": [{"area": 5}]}'),
        zlib.compress(b'{"findings": "xxxxxxxxxx"}'),
        zlib.compress(b"[" * 100_000),
        zlib.compress(b" " * (300 * 1024 * 1024)),  # inflates past any real document
    ],
    ids=["bytes", "empty", "list", "not-json", "wrong-types", "wrong-shape", "deep", "bomb"],
)
def test_damaged_rows_are_reanalysed(tmp_path: Path, blob: bytes) -> None:
    root, cache = tmp_path / "tree", tmp_path / "cache"
    _cache_tree(root)
    clean = _cached_scan(root, cache)
    cache_store.execute(cache, "UPDATE files SET result = ?, flows = ?", (blob, blob))
    cache_store.execute(cache, "UPDATE taint SET value = ?", (blob,))
    assert _key(_cached_scan(root, cache)) == _key(clean)
    cache_store.execute(cache, "UPDATE files SET flows = ?", (blob,))
    (root / "other.py").write_text("import json\n\ndef load(b):\n    return json.loads(b)\n")
    assert_good_found(_cached_scan(root, cache))  # the lost graphs built again for the taint analysis


def test_no_cache_writes_nothing(tmp_path: Path) -> None:
    root, cache = tmp_path / "tree", tmp_path / "cache"
    _cache_tree(root)
    run = cli("scan", root, "-q", "--no-cache", "--cache-dir", cache,
              env={"XDG_CACHE_HOME": str(tmp_path / "xdg")})
    assert run.code == 1 and run.err == ""
    assert not cache.exists()
    assert not (tmp_path / "xdg").exists()
    result = run_scan([root], Config(), ScanOptions(jobs=1, cache_dir=cache, use_cache=False))
    assert_good_found(result)
    assert not cache.exists()


# -- found by fuzzing (benchmarks/fuzz.py) ---------------------------------------------


def test_long_attribute_chains_after_a_call_are_not_cubic(tmp_path: Path) -> None:
    """``eval(y).a.a...a``: each link's name was built by naming the whole chain below it
    again, and every link was named, so 20 lines of 480 links (10 KB) took 43 s."""
    import time

    root = tmp_path / "tree"
    root.mkdir()
    (root / "good.py").write_text(GOOD)
    (root / "chain.py").write_text(("x = eval(y)" + ".a" * 480 + "\n") * 20)
    started = time.perf_counter()
    result = scan(root)
    elapsed = time.perf_counter() - started
    assert_good_found(result)
    hits = [f.location.line for f in findings_in(result, "chain.py") if f.rule_id == "EXEC001"]
    assert hits == list(range(1, 21))
    assert elapsed < 20, f"{elapsed:.1f} s"


def _nested_near_the_limit(root: Path) -> None:
    """Expressions nested from well inside to well past the recursion limit, in small
    steps, so that some file sits at the limit on any interpreter."""
    shapes = {
        "add": lambda n: "x = eval(y)" + " + a" * n,
        "neg": lambda n: "x = " + "-" * n + "eval(y)",
        "not": lambda n: "x = " + "not " * n + "eval(y)",
        "attr": lambda n: "x = eval(y)" + ".a" * n,
    }
    for name, shape in shapes.items():
        for n in range(300, 1100, 6):
            (root / f"{name}_{n:04}.py").write_text(shape(n) + "\n")


def test_files_near_the_recursion_limit_get_the_same_verdict_in_a_worker(tmp_path: Path) -> None:
    """A worker process starts analysing deeper in its stack than the main process: a
    file nested near the limit was analysed with --jobs 1 and 'too deeply nested' with
    --jobs 2 (and the reverse, from a deeper caller)."""
    root = tmp_path / "tree"
    root.mkdir()
    _nested_near_the_limit(root)
    serial, pooled = scan(root, jobs=1), scan(root, jobs=2)
    assert [(s.path, s.reason) for s in serial.skipped] == [(s.path, s.reason) for s in pooled.skipped]
    assert [(f.rule_id, f.location) for f in serial.findings] == [
        (f.rule_id, f.location) for f in pooled.findings
    ]
    assert 0 < len(serial.skipped) < len(list(root.iterdir()))  # the limit is inside the range


@pytest.mark.parametrize("damage", ["steps", "edges", "names"])
def test_graphs_damaged_inside_a_sound_shape_are_rebuilt(tmp_path: Path, damage: str) -> None:
    """A stored flow graph whose parts are garbage (step texts, packed edges, too few
    node names) costs a rebuild of the stored graphs, never a wrong or failed scan."""
    from redline import cache as cache_mod

    root, cache = tmp_path / "tree", tmp_path / "cache"
    _cache_tree(root)
    _cached_scan(root, cache)
    graph = cache_store.rows(cache)["good.py"]["flows"]
    if damage == "steps":
        graph["steps"] = "bm90IHpsaWI="  # base64 of "not zlib"
    elif damage == "edges":
        graph["edges"] = "////////////////////w=="
    else:
        graph["names"] = graph["names"][:1]
    cache_store.execute(cache, "UPDATE files SET flows = ? WHERE rel = 'good.py'", (cache_mod.pack(graph),))
    cache_store.execute(cache, "DELETE FROM taint")
    (root / "other.py").write_text("import json\n\ndef load(b):\n    return json.loads(b)\n")
    again = _cached_scan(root, cache)
    assert_good_found(again)
    assert _key(again) == _key(run_scan([root], Config(), ScanOptions(jobs=1, use_cache=False)))
