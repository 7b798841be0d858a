"""A change cannot quietly open the gate that judges it: in a diff scan its own relaxations
(settings, suppression comments, baseline entries) are findings, and --gate-from /
--no-project-config take the settings from somewhere the change does not reach."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from test_gitdiff import committed, git, scan

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

BASE = """\
from flask import Flask, request

app = Flask(__name__)


@app.route("/health")
def health():
    return "ok"
"""

ROUTE = """

@app.route("/calc")
def calc():
    return str(eval(request.args["q"])){comment}
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return committed(
        tmp_path,
        {"app.py": BASE, "pyproject.toml": '[project]\nname = "demo"\n\n[tool.redline]\nfail-on = "high"\n'},
    )


def _findings(stdout: str) -> list[dict]:
    return json.loads(stdout)["findings"]


def test_a_new_suppression_comment_is_a_finding_that_fails_the_gate(repo: Path) -> None:
    comment = "  # redline: ignore[EXEC002,EXEC001] reviewed"
    (repo / "app.py").write_text(BASE + ROUTE.format(comment=comment))
    code, out, err = scan(repo, "--diff", "HEAD")
    assert code == 1, err
    found = _findings(out)
    assert [f["rule_id"] for f in found] == ["DEP104"]
    (dep,) = found
    assert dep["severity"] == "CRITICAL" and dep["location"]["line"] == 13
    assert "suppresses EXEC001, EXEC002" in dep["message"]


def test_a_nosec_comment_added_by_the_change_is_reported_with_what_it_silences(repo: Path) -> None:
    (repo / "app.py").write_text(BASE + ROUTE.format(comment="  # nosec B307"))
    code, out, err = scan(repo, "--diff", "HEAD")
    assert code == 1, err
    rules = sorted(f["rule_id"] for f in _findings(out))
    assert rules == ["DEP103", "DEP104", "EXEC002"]
    dep = next(f for f in _findings(out) if f["rule_id"] == "DEP104")
    assert "silences bandit where redline reports EXEC002" in dep["message"]


def test_a_gate_turned_off_by_the_change_still_fails(repo: Path) -> None:
    (repo / "app.py").write_text(BASE + ROUTE.format(comment=""))
    (repo / "pyproject.toml").write_text('[project]\nname = "demo"\n\n[tool.redline]\nfail-on = "never"\n')
    code, out, err = scan(repo, "--diff", "HEAD")
    assert code == 1, err
    dep = next(f for f in _findings(out) if f["rule_id"] == "DEP104")
    assert dep["location"]["path"] == "pyproject.toml" and dep["location"]["line"] == 5
    assert "fail-on HIGH -> never" in dep["message"] and "EXEC002 app.py:13" in dep["message"]
    assert dep["severity"] == "CRITICAL"


def test_an_ignore_added_by_the_change_reports_the_findings_it_hides(repo: Path) -> None:
    (repo / "app.py").write_text(BASE + ROUTE.format(comment=""))
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "demo"\n\n[tool.redline]\nfail-on = "high"\nignore = ["EXEC"]\n'
    )
    code, out, err = scan(repo, "--diff", "HEAD")
    assert code == 1, err
    found = _findings(out)
    assert [f["rule_id"] for f in found] == ["DEP104"]
    assert "turns off EXEC001" in found[0]["message"] and "hides EXEC002 app.py:13" in found[0]["message"]


def test_gate_from_the_base_revision_ignores_the_change_settings(repo: Path) -> None:
    (repo / "app.py").write_text(BASE + ROUTE.format(comment=""))
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "demo"\n\n[tool.redline]\nfail-on = "never"\nignore = ["EXEC"]\n'
    )
    code, out, err = scan(repo, "--diff", "HEAD", "--gate-from", "HEAD")
    assert code == 1, err
    rules = {f["rule_id"]: f for f in _findings(out)}
    assert rules["EXEC002"]["severity"] == "CRITICAL"
    assert rules["DEP104"]["severity"] == "LOW" and "not in effect" in rules["DEP104"]["message"]
    # without a diff, the base's settings still decide
    code, out, err = scan(repo, "--gate-from", "HEAD")
    assert code == 1 and "EXEC002" in {f["rule_id"] for f in _findings(out)}


def test_no_project_config_uses_the_defaults(repo: Path) -> None:
    (repo / "app.py").write_text(BASE + ROUTE.format(comment=""))
    (repo / "pyproject.toml").write_text('[tool.redline]\nfail-on = "never"\nignore = ["EXEC"]\n')
    code, out, _ = scan(repo)
    assert code == 0 and not _findings(out)
    code, out, _ = scan(repo, "--no-project-config")
    assert code == 1 and "EXEC002" in {f["rule_id"] for f in _findings(out)}


def test_baseline_entries_added_by_the_change_are_reported(repo: Path) -> None:
    (repo / "app.py").write_text(BASE + ROUTE.format(comment=""))
    baseline = repo / ".redline-baseline.json"
    baseline.write_text('{"version": 1, "findings": {}}\n')
    git(repo, "add", ".redline-baseline.json")
    git(repo, "commit", "-q", "-m", "empty baseline")
    code, _, err = scan_baseline_create(repo)
    assert code == 0, err
    code, out, err = scan(repo, "--diff", "HEAD~1", "--baseline", str(baseline))
    assert code == 1, err
    (dep,) = [f for f in _findings(out) if f["rule_id"] == "DEP104"]
    assert "accept" in dep["message"] and "EXEC002" in dep["message"] and dep["severity"] == "CRITICAL"


def test_settings_options_exclude_each_other(repo: Path) -> None:
    code, _, err = scan(repo, "--gate-from", "HEAD", "--no-project-config")
    assert code == 2 and "give one" in err
    code, _, err = scan(repo, "--gate-from", "no-such-ref")
    assert code == 2 and "unknown git revision" in err


def scan_baseline_create(root: Path):
    import subprocess
    import sys

    from test_gitdiff import ENV

    proc = subprocess.run(
        [sys.executable, "-m", "redline", "baseline", "create", str(root), "--no-cache"],
        capture_output=True, text=True, timeout=120, env=ENV,
    )
    return proc.returncode, proc.stdout, proc.stderr
