"""Diff scans: only findings on lines changed since a git revision."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from redline import gitdiff

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


# The repositories made here are on their own: no GIT_DIR/GIT_INDEX_FILE of a caller.
ENV = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false", *args],
        cwd=root, check=True, capture_output=True, env=ENV,
    )


def scan(root: Path, *args: str):
    proc = subprocess.run(
        [sys.executable, "-m", "redline", "scan", str(root), "--no-cache", "--format", "json", *args],
        capture_output=True, text=True, timeout=120, env=ENV,
    )
    return proc.returncode, proc.stdout, proc.stderr


OLD = """\
import subprocess
from flask import Flask, request

app = Flask(__name__)


def run(cmd):
    subprocess.run(cmd, shell=True)


def legacy(expr):
    return eval(expr)
"""


def committed(tmp_path: Path, files: dict[str, str]) -> Path:
    """A git repository holding ``files`` (path -> text) in one commit."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    for rel, text in files.items():
        (root / rel).write_text(text)
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "base")
    return root


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return committed(tmp_path, {"app.py": OLD})


def rules_and_lines(out: str) -> list[tuple[str, int]]:
    return sorted((f["rule_id"], f["location"]["line"]) for f in json.loads(out)["findings"])


def test_only_changed_lines_and_new_files(repo):
    # Unchanged tree: nothing is reported, although the old code has findings.
    code, out, err = scan(repo, "--diff", "HEAD")
    assert code == 0, err
    assert json.loads(out)["findings"] == [] and json.loads(out)["diff"] == {"ref": "HEAD"}
    # A new eval in an edited line, and an untracked new file.
    (repo / "app.py").write_text(OLD + "\n\ndef fresh(code):\n    exec(code)\n")
    (repo / "new.py").write_text("import pickle\n\ndef load(b):\n    return pickle.loads(b)\n")
    code, out, err = scan(repo, "--diff", "HEAD", "--fail-on", "medium")
    assert code == 1, err  # both are MEDIUM review items (data of unknown origin)
    assert rules_and_lines(out) == [("EXEC001", 16), ("SER001", 4)]


def test_taint_path_step_on_changed_line_counts(repo):
    # The sink (subprocess.run in run()) is old; a new route feeding it is a new finding.
    (repo / "app.py").write_text(
        OLD + '\n\n@app.route("/x")\ndef view():\n    return run(request.args["c"])\n'
    )
    code, out, err = scan(repo, "--diff", "HEAD")
    findings = json.loads(out)["findings"]
    assert any(f["location"]["line"] == 8 and f["taint_path"] for f in findings), out
    # Without the diff filter the old, untainted pattern findings are there as well.
    _, full, _ = scan(repo)
    assert len(json.loads(full)["findings"]) > len(findings)


def test_multiline_statement_counts_when_any_line_changed(repo):
    (repo / "app.py").write_text(OLD.replace("return eval(expr)", "return eval(\n        expr\n    )"))
    git(repo, "commit", "-q", "-am", "wrap")
    (repo / "app.py").write_text(OLD.replace("return eval(expr)", "return eval(\n        expr + ''\n    )"))
    code, out, _ = scan(repo, "--diff", "HEAD")
    assert ("EXEC001", 12) in rules_and_lines(out)


def test_scan_of_subdirectory_uses_paths_relative_to_it(repo):
    (repo / "pkg").mkdir()
    (repo / "pkg" / "mod.py").write_text("x = 1\n")
    git(repo, "add", "pkg")
    git(repo, "commit", "-q", "-m", "pkg")
    (repo / "pkg" / "mod.py").write_text("x = 1\neval(input())\n")
    code, out, _ = scan(repo / "pkg", "--diff", "HEAD")
    assert rules_and_lines(out) == [("EXEC001", 2)]


def test_errors_are_one_line(tmp_path, repo):
    (tmp_path / "plain").mkdir()
    for root, ref, message in (
        (tmp_path / "plain", "HEAD", "needs a git repository"),
        (repo, "no-such-branch", "unknown git revision"),
        (repo, "--output=/tmp/x", "is not a git revision"),
    ):
        code, out, err = scan(root, f"--diff={ref}")
        assert code == 2 and out == ""
        lines = err.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], err


def test_parse_diff_quoted_names_and_deletions():
    data = (
        b'diff --git "a/sp ace\\303\\251.py" "b/sp ace\\303\\251.py"\n'
        b'--- "a/sp ace\\303\\251.py"\n+++ "b/sp ace\\303\\251.py"\n'
        b"@@ -1,0 +2,3 @@\n+a\n+b\n+c\n@@ -9 +11 @@\n-x\n+y\n@@ -20,2 +22,0 @@\n-gone\n-gone\n"
        b"--- a/old.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n"
    )
    assert gitdiff.parse_diff(data) == {"sp ace\u00e9.py": {2, 3, 4, 11}}
