"""Autofix: the mechanical fixes, comments and layout kept, nothing written without --fix."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from redline.fix.transforms import fix_module

from conftest import FIXTURES

CASE = FIXTURES / "autofix" / "mechanical.py"


def run(*args: str, cwd: Path | None = None):
    proc = subprocess.run(
        [sys.executable, "-m", "redline", *args], capture_output=True, text=True, cwd=cwd, timeout=180
    )
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    shutil.copy(CASE, root / "mechanical.py")
    return root


def test_fix_writes_the_expected_file_and_it_rescans_clean(project):
    code, out, err = run("scan", str(project), "--no-cache", "--fix", "--fail-on", "low", "-q")
    assert (project / "mechanical.py").read_text() == (CASE.parent / "mechanical.py.fixed").read_text()
    assert "fixed 11 issue(s) in 1 file(s)" in err
    assert code == 0, err  # the report after fixing is clean
    code, out, _ = run("scan", str(project), "--no-cache", "--fail-on", "low", "--format", "json")
    assert code == 0 and '"findings": []' in out
    # Fixing again changes nothing.
    before = (project / "mechanical.py").read_bytes()
    code, _, err = run("scan", str(project), "--no-cache", "--fix", "-q")
    assert "fixed 0 issue(s) in 0 file(s)" in err
    assert (project / "mechanical.py").read_bytes() == before


def test_dry_run_prints_a_diff_and_changes_nothing(project):
    original = (project / "mechanical.py").read_bytes()
    code, out, err = run("scan", str(project), "--no-cache", "--fix", "--dry-run")
    assert code == 1  # the findings are still there
    assert out.startswith("--- a/mechanical.py\n+++ b/mechanical.py\n@@ ")
    assert "-        settings = yaml.load(fh, Loader=yaml.FullLoader)  # expect: SER002[high]\n" in out
    assert "+        settings = yaml.safe_load(fh)  # expect: SER002[high]\n" in out
    assert '+    subprocess.run(["make", "-C", "build", "all"], check=True)\n' in out
    assert "would fix (dry run, nothing written) 11 issue(s)" in err
    assert (project / "mechanical.py").read_bytes() == original
    # A diff that applies cleanly gives the fixed file.
    if shutil.which("patch"):
        subprocess.run(["patch", "-s", "-p1"], input=out, text=True, cwd=project, check=True)
        assert (project / "mechanical.py").read_text() == (CASE.parent / "mechanical.py.fixed").read_text()


def test_scan_without_fix_never_writes(project):
    original = (project / "mechanical.py").read_bytes()
    for args in ((), ("--format", "json"), ("-o", str(project.parent / "r.html"))):
        run("scan", str(project), "--no-cache", *args)
    assert (project / "mechanical.py").read_bytes() == original
    assert sorted(p.name for p in project.iterdir()) == ["mechanical.py"]


def test_dry_run_needs_fix(project):
    code, out, err = run("scan", str(project), "--dry-run")
    assert code == 2 and err.strip() == "redline: error: --dry-run only goes with --fix"


def test_suppressed_findings_are_not_fixed(tmp_path):
    src = "import requests\n\nrequests.get('https://x.example')  # redline: ignore[NET001] streams forever by design\n"
    (tmp_path / "a.py").write_text(src)
    code, out, err = run("scan", str(tmp_path), "--no-cache", "--fix", "--dry-run")
    assert out == "" and "0 issue(s)" in err


def fix(source: str, targets=None) -> str:
    return fix_module(textwrap.dedent(source), targets or {})[0]


@pytest.mark.parametrize(
    "source",
    [
        # Needs a shell: pipes, globs, variables, quotes, builtins, environment assignments.
        "import subprocess\nsubprocess.run('ls *.py | wc -l', shell=True)\n",
        "import subprocess\nsubprocess.run('echo $HOME', shell=True)\n",
        "import subprocess\nsubprocess.run('git commit -m \"x y\"', shell=True)\n",
        "import subprocess\nsubprocess.run('cd build', shell=True)\n",
        "import subprocess\nsubprocess.run('FOO=1 make', shell=True)\n",
        "import subprocess\nsubprocess.run(f'make {target}', shell=True)\n",
        "import subprocess\nsubprocess.run('make', shell=True, executable='/bin/bash')\n",
        "import os\nos.system('make')\n",
        "def run(cmd, shell):\n    pass\nrun('make', shell=True)\n",
        # zipfile has no filter; a name bound to a tar archive and to something else is unknown.
        "import zipfile\nwith zipfile.ZipFile('a.zip') as z:\n    z.extractall()\n",
        "import tarfile, zipfile\na = tarfile.open('a.tar')\na = zipfile.ZipFile('b.zip')\na.extractall()\n",
        "import tarfile\nwith tarfile.open('a.tar') as t:\n    t.extractall(**options)\n",
    ],
)
def test_left_alone(source):
    assert fix(source) == textwrap.dedent(source)


def test_unreported_calls_are_left_alone():
    source = "import requests, yaml\nrequests.get('u', verify=False)\nyaml.load(s)\n"
    assert fix(source) == source
    # `from yaml import load` would need an import change: reported but left to a person.
    source = "from yaml import load\nload(s)\n"
    assert fix(source, {"SER002": {(2, 0)}}) == source


def test_chained_and_lookalike_calls():
    # The outer call of a chain starts where the reported inner call does.
    source = "import requests\nrequests.post(u, json=d).raise_for_status()\n"
    assert fix(source, {"NET001": {(2, 0)}}) == "import requests\nrequests.post(u, json=d, timeout=30).raise_for_status()\n"
    # pickle.load is not yaml.load, whatever the finding on its line.
    source = "import pickle\npickle.load(fh)\n"
    assert fix(source, {"SER003": {(2, 0)}}) == source
    source = "import yaml\nyaml.load(request_body, Loader=yaml.Loader)\n"
    assert fix(source, {"SER003": {(2, 0)}}) == "import yaml\nyaml.safe_load(request_body)\n"


def test_layout_crlf_and_comments_survive():
    source = "import requests\r\n\r\n# leading comment\r\nr = requests.get(  # why\r\n    'u',  # the url\r\n    verify=False  # no!\r\n)\r\n"
    out = fix_module(source, {"NET001": {(4, 4)}, "AUTH001": {(4, 4)}})[0]
    assert out == (
        "import requests\r\n\r\n# leading comment\r\nr = requests.get(  # why\r\n"
        "    'u',  # the url\r\n    timeout=30,\r\n)\r\n"
    )
    one_line = "import requests\nrequests.post('u', data=b, verify=False)\n"
    assert fix_module(one_line, {"AUTH001": {(2, 0)}})[0] == "import requests\nrequests.post('u', data=b)\n"
    wrapped = "import requests\nrequests.post('u', data=b,\n              verify=False)\n"
    assert fix_module(wrapped, {"AUTH001": {(2, 0)}})[0] == "import requests\nrequests.post('u', data=b)\n"


def test_positions_match_columns_in_bytes():
    # A non-ASCII line: the engine's columns are UTF-8 byte offsets.
    source = "import requests\nx = ('é', requests.get('u'))\n"
    assert fix(source, {"NET001": {(2, 11)}}) == "import requests\nx = ('é', requests.get('u', timeout=30))\n"
    assert fix(source, {"NET001": {(2, 10)}}) == source


def test_unparsable_and_non_utf8_files_are_skipped(tmp_path):
    (tmp_path / "bad.py").write_text("import tarfile\ndef f(:\n")
    (tmp_path / "latin.py").write_bytes(b"# \xe9\nimport subprocess\nsubprocess.run('make', shell=True)\n")
    code, out, err = run("scan", str(tmp_path), "--no-cache", "--fix")
    assert "fixed 0 issue(s) in 0 file(s)" in err and "Traceback" not in err
    assert (tmp_path / "latin.py").read_bytes().startswith(b"# \xe9")
