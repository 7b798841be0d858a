"""Baselines: accepted findings stay accepted when code moves; only new ones are reported."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from redline import baseline

APP = textwrap.dedent(
    """
    import requests

    def handler(expr, url):
        requests.get(url)
        return eval(expr)
    """
)


def run(*args: str, cwd: Path | None = None):
    proc = subprocess.run(
        [sys.executable, "-m", "redline", *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )
    return proc.returncode, proc.stdout, proc.stderr


def scan_json(project: Path, *extra: str) -> tuple[int, dict, str]:
    code, out, err = run("scan", str(project), "--no-cache", "--format", "json", *extra)
    return code, json.loads(out) if out else {}, err


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "app.py").write_text(APP)
    return root


def test_create_writes_counts_without_line_numbers(project):
    code, _, err = run("baseline", "create", str(project), "--no-cache")
    assert code == 0, err
    doc = json.loads((project / ".redline-baseline.json").read_text())
    assert doc["version"] == 1
    entries = list(doc["findings"].values())
    assert sorted(e["rule"] for e in entries) == ["EXEC001", "NET001"]
    assert all(e["count"] == 1 and e["path"] == "app.py" and e["scope"] for e in entries)
    assert all(set(e) == {"rule", "path", "scope", "code", "count"} for e in entries)
    # With the baseline nothing is new: the gate passes.
    code, data, err = scan_json(project, "--baseline", str(project / ".redline-baseline.json"))
    assert code == 0, err
    assert data["findings"] == []
    assert data["baseline"]["accepted"] == 2 and data["baseline"]["stale"] == []


def test_moved_code_stays_accepted(project):
    base = project / "base.json"
    assert run("baseline", "create", str(project), "--no-cache", "-o", str(base))[0] == 0
    # Code moved down the file, a new function above it, blank lines and comments.
    (project / "app.py").write_text(
        "import os\n\n# a long comment\n\n\ndef helper():\n    return os.getcwd()\n\n" + APP
    )
    code, data, err = scan_json(project, "--baseline", str(base))
    assert code == 0, err
    assert data["findings"] == [] and data["baseline"]["stale"] == []


def test_count_aware_and_stale_entries(project):
    base = project / "base.json"
    assert run("baseline", "create", str(project), "--no-cache", "-o", str(base))[0] == 0
    # Two more copies of the baselined eval in the same function: two new findings, not three.
    (project / "app.py").write_text(
        "import requests\n\ndef handler(expr, url):\n    return eval(expr)\n"
        "    return eval(expr)\n    return eval(expr)\n"
    )
    code, data, err = scan_json(project, "--baseline", str(base), "--fail-on", "medium")
    assert code == 1
    assert [f["rule_id"] for f in data["findings"]] == ["EXEC001", "EXEC001"]
    # The first occurrence in the file is the accepted one; the later two are new.
    assert [f["location"]["line"] for f in data["findings"]] == [5, 6]
    stale = data["baseline"]["stale"]
    assert [(s["rule_id"], s["path"], s["missing"]) for s in stale] == [("NET001", "app.py", 1)]
    assert "stale baseline entry: NET001 app.py in handler" in err


def test_scan_of_a_few_files_uses_the_repository_baseline(project):
    (project / "pkg").mkdir()
    (project / "pkg" / "mod.py").write_text("def f(x):\n    return eval(x)\n")
    assert run("baseline", "create", str(project), "--no-cache")[0] == 0
    doc = json.loads((project / ".redline-baseline.json").read_text())
    assert "pkg/mod.py" in {e["path"] for e in doc["findings"].values()}
    # pre-commit passes the changed files: the scan root is pkg/, the baseline's is the project.
    code, data, err = scan_json(project / "pkg" / "mod.py", "--baseline", str(project / ".redline-baseline.json"))
    assert code == 0 and data["findings"] == [] and data["baseline"]["accepted"] == 1, err
    # Entries of files outside the scanned directory are not called stale.
    assert data["baseline"]["stale"] == []


def test_finding_moved_to_another_scope_is_new(project):
    base = project / "base.json"
    assert run("baseline", "create", str(project), "--no-cache", "-o", str(base))[0] == 0
    (project / "app.py").write_text(APP.replace("def handler", "def other_handler"))
    code, data, _ = scan_json(project, "--baseline", str(base), "--fail-on", "medium")
    assert code == 1
    assert len(data["findings"]) == 2 and len(data["baseline"]["stale"]) == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "invalid JSON"),
        ('{"version": 99, "findings": {}}', "not a redline baseline"),
        ('{"version": 1, "findings": []}', "'findings' must be an object"),
        ('{"version": 1, "findings": {"abc": {"count": 0}}}', "positive 'count'"),
    ],
)
def test_bad_baseline_is_one_line_error(project, content, message):
    bad = project / "bad.json"
    bad.write_text(content)
    code, out, err = run("scan", str(project), "--baseline", str(bad))
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], err


def test_missing_baseline_is_one_line_error(project):
    code, _, err = run("scan", str(project), "--baseline", str(project / "nope.json"))
    assert code == 2 and len(err.strip().splitlines()) == 1 and "no such baseline file" in err


def test_secrets_are_masked_in_the_baseline(tmp_path):
    (tmp_path / "settings.py").write_text('OPENAI_API_KEY = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD"\n')
    out = tmp_path / "b.json"
    assert run("baseline", "create", str(tmp_path), "--no-cache", "-o", str(out))[0] == 0
    text = out.read_text()
    assert "CRED" in text
    assert "abcdefghijklmnop" not in text


def test_key_ignores_line_and_occurrence(project):
    from redline.model import Area, Confidence, Finding, Location, Severity

    def f(line: int, snippet: str) -> Finding:
        return Finding(
            "EXEC001", "t", Area.CODE_EXECUTION, Severity.CRITICAL, Confidence.HIGH,
            Location("a.py", line), "m", snippet, 95, "r", scope="mod.fn",
        )

    assert baseline.key_of(f(3, "eval(x)")) == baseline.key_of(f(90, "eval( x )".replace("( ", "(").replace(" )", ")")))
    assert baseline.key_of(f(3, "eval(x)")) == baseline.key_of(f(4, "eval(x)   "))
    assert baseline.key_of(f(3, "eval(x)")) != baseline.key_of(f(3, "eval(y)"))
