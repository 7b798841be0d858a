"""The command line: exit codes, formats, rules and explain, configuration errors."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from redline.cli import main


def run(*args: str, cwd: Path | None = None):
    proc = subprocess.run(
        [sys.executable, "-m", "redline", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(
        textwrap.dedent(
            """
            import requests
            from flask import request

            def handler(url):
                requests.get(url)
                return eval(request.args["q"])
            """
        )
    )
    (tmp_path / "ok.py").write_text("print('hello')\n")
    return tmp_path


def test_exit_codes_follow_the_gate(project, tmp_path):
    cache = ["--cache-dir", str(tmp_path / "cache")]
    assert run("scan", str(project), *cache)[0] == 1  # CRITICAL eval of request data >= HIGH
    assert run("scan", str(project), "--fail-on", "never", *cache)[0] == 0
    assert run("scan", str(project), "--ignore", "EXEC", *cache)[0] == 0  # NET001/NET002 are MEDIUM
    assert run("scan", str(project), "--ignore", "EXEC", "--fail-on", "medium", *cache)[0] == 1
    assert run("scan", str(project / "ok.py"), *cache)[0] == 0


def test_usage_errors_exit_2_with_one_line(project):
    for args in (
        ("scan", str(project), "--fail-on", "sometimes"),
        ("scan", str(project), "--select", "NOPE999"),
        ("scan", str(project / "missing")),
        ("explain", "XYZ001"),
        ("scan", str(project), "-o", str(project / "report.docx")),
    ):
        code, out, err = run(*args)
        assert code == 2, args
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("redline: error:"), err


def test_config_file_is_validated(project):
    (project / ".redline.toml").write_text('fail_on = "high"\n')
    code, _, err = run("scan", str(project))
    assert code == 2 and "unknown key 'fail_on'" in err
    (project / ".redline.toml").write_text('fail-on = "never"\nignore = ["network"]\n')
    code, out, err = run("scan", str(project), "--no-cache", "--format", "json")
    assert code == 0, err
    (project / ".redline.toml").write_text("[severity]\nEXEC001 = 'catastrophic'\n")
    assert run("scan", str(project))[0] == 2
    (project / ".redline.toml").write_text("max-file-size = -1\n")
    assert run("scan", str(project))[0] == 2
    (project / ".redline.toml").write_text("this is = = not toml\n")
    code, _, err = run("scan", str(project))
    assert code == 2 and "invalid TOML" in err


def test_pyproject_section_and_severity_override(project):
    (project / "pyproject.toml").write_text(
        '[tool.redline]\nseverity = { EXEC002 = "low" }\nsandbox-files = ["sandbox/*.py"]\n'
    )
    code, out, _ = run("scan", str(project), "--no-cache", "-f", "json")
    assert code == 0  # the proven eval lowered to LOW: the configuration sets the rule's impact
    finding = next(f for f in json.loads(out)["findings"] if f["rule_id"] == "EXEC002")
    assert finding["severity"] == "LOW" and "impact low set by the configuration" in finding["reasons"]


def test_sandbox_files_keep_exec_as_a_review_item(tmp_path):
    (tmp_path / "sandbox").mkdir()
    (tmp_path / "sandbox" / "runner.py").write_text("def run(code):\n    exec(code)\n")
    code, out, _ = run("scan", str(tmp_path), "--no-cache", "--fail-on", "medium", "-f", "json")
    assert code == 1  # exec of data of unknown origin: a MEDIUM review item
    assert json.loads(out)["findings"][0]["evidence"] == []
    (tmp_path / ".redline.toml").write_text('sandbox-files = ["sandbox/runner.py"]\n')
    code, out, _ = run("scan", str(tmp_path), "--no-cache", "--fail-on", "medium", "-f", "json")
    assert code == 1  # still reported, at MEDIUM, with the reason
    finding = json.loads(out)["findings"][0]
    assert finding["severity"] == "MEDIUM" and finding["evidence"] == ["sandbox-file"]
    assert "in a file configured as a sanctioned sandbox" in finding["reasons"]
    assert run("scan", str(tmp_path), "--no-cache")[0] == 0


def test_rules_and_explain(capsys):
    assert main(["rules"]) == 0
    out = capsys.readouterr().out
    for rule_id in ("EXEC001", "SER001", "SER002", "INJ001", "AUTH001", "NET001", "CRED001"):
        assert rule_id in out
    assert main(["rules", "--area", "serialization"]) == 0
    out = capsys.readouterr().out
    assert "SER001" in out and "EXEC001" not in out
    assert main(["explain", "exec001"]) == 0
    out = capsys.readouterr().out
    for heading in ("## What it finds", "## Why it matters", "## Example", "## Use instead"):
        assert heading in out


def test_outputs_by_extension(project, tmp_path):
    md, js = tmp_path / "r.md", tmp_path / "r.json"
    code, out, err = run("scan", str(project), "--no-cache", "-q", "-o", str(md), "-o", str(js))
    assert code == 1 and out == ""
    assert "## Security Analysis Report" in md.read_text()
    data = json.loads(js.read_text())
    assert {f["rule_id"] for f in data["findings"]} == {"EXEC002", "NET001"}
