"""The dependency audit end to end: pinning policy, advisories, severities, inline
suppressions, the report section, data options and the CLI."""

from __future__ import annotations

import json
import re
import textwrap
import zipfile

import pytest

from redline import cli
from redline.config import Config
from redline.deps import osv_api, store
from redline.deps.audit import NO_DATA
from redline.model import Severity
from redline.report import render_text
from redline.rules import registry
from redline.scan import ScanOptions, run_scan

from conftest import FIXTURES

DEPS = FIXTURES / "dependencies"
OSV = DEPS / "osv"
PROJECTS = sorted(p for p in (DEPS / "projects").iterdir() if p.is_dir())
EXPECT = re.compile(r"#\s*expect:\s*([A-Z0-9_, ]+)\s*$")


def scan(path, **config):
    config.setdefault("vuln_db", str(OSV))
    config.setdefault("profile", "audit")  # every dependency rule, DEP003 included
    return run_scan([path], Config(fail_on=None, **config), ScanOptions(use_cache=False, jobs=1))


def expectations(directory):
    out = set()
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                m = EXPECT.search(line)
                if m:
                    rel = path.relative_to(directory).as_posix()
                    out |= {(f"{rel}:{number}", r.strip()) for r in m.group(1).split(",") if r.strip()}
    return out


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_project_fixture_findings_are_exact(project):
    result = scan(project)
    found = {(f"{f.location.path}:{f.location.line}", f.rule_id) for f in result.findings}
    assert found == expectations(project)


def by_rule(result, rule_id):
    return [f for f in result.findings if f.rule_id == rule_id]


def test_application_policy_severities_and_messages():
    result = scan(DEPS / "projects" / "app")
    audit = result.dependencies
    assert audit.policy == "application" and "requirements.txt" in audit.policy_reason
    (vuln,) = by_rule(result, "DEP001")
    assert vuln.severity is Severity.CRITICAL  # CVSS 9.8 of the merged PYSEC/GHSA record
    assert "PYSEC-2099-1 (CVE-2099-0001)" in vuln.message and "ALPHA-2" in vuln.message
    assert "upgrade to 1.8 or later" in vuln.message
    unpinned = {f.location.line: f for f in by_rule(result, "DEP003")}
    assert {f.severity for f in unpinned.values()} == {Severity.MEDIUM}
    assert "GAMMA-1" in unpinned[5].message  # what the open range admits
    (url,) = by_rule(result, "DEP004")
    assert url.severity is Severity.MEDIUM and "commit hash" in url.message
    (rng,) = by_rule(result, "DEP002")
    assert rng.severity is Severity.LOW  # GAMMA-1 is MEDIUM, a range one level lower
    assert result.suppressed_count == 1  # the justified ignore[DEP001] on beta-pkg==0.9
    assert audit.data_source.startswith("OSV records in") and audit.data_date == "2024-06-02"


def test_library_policy():
    result = scan(DEPS / "projects" / "lib")
    assert result.dependencies.policy == "library"
    levels = {(f.rule_id, f.location.line): f.severity for f in result.findings}
    assert levels[("DEP002", 5)] is Severity.HIGH  # admits a CRITICAL advisory
    assert levels[("DEP002", 7)] is Severity.MEDIUM  # BETA-1 is HIGH (code execution)
    assert levels[("DEP003", 8)] is Severity.LOW
    assert levels[("DEP004", 10)] is Severity.LOW


def test_configured_policy_and_severity(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\ndependencies = ["epsilon"]\n')
    result = scan(tmp_path, dependency_policy="application", severity={"DEP002": Severity.HIGH})
    assert result.dependencies.policy == "application"
    assert "configuration" in result.dependencies.policy_reason
    assert not result.findings  # declared ranges are not unpinned requirement lines


def test_without_data_one_line_says_how_to_get_it_and_the_scan_goes_on(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "requirements.txt").write_text("alpha-pkg==1.1.0\ngamma\n")
    (tmp_path / "app.py").write_text("eval(input())\n")
    result = scan(tmp_path, vuln_db=None)
    assert result.dependencies.data_source is None
    assert result.dependencies.data_note == NO_DATA and "\n" not in NO_DATA
    assert "DEP003" in {f.rule_id for f in result.findings}
    assert any(f.rule_id.startswith("EXEC") for f in result.findings)
    md = render_text("markdown", result, {r.id: r for r in registry.all_rules()})
    assert "- **Advisory data**: none" in md and "redline db update" in md
    assert "| jsonpickle | " in md and "not used" in md


def test_unreadable_vuln_db_is_a_note_not_a_failure(tmp_path):
    (tmp_path / "requirements.txt").write_text("alpha-pkg==1.1.0\n")
    bad = tmp_path / "data.zip"
    bad.write_text("not a zip")
    result = scan(tmp_path, vuln_db=str(bad))
    assert result.dependencies.data_note.startswith("advisory data not read:")
    assert not by_rule(result, "DEP001")


def test_data_errors_are_listed_in_the_report(tmp_path):
    (tmp_path / "requirements.txt").write_text("beta-pkg==0.9\n")
    result = scan(tmp_path)
    assert any("bomb.yaml" in e for e in result.dependencies.errors)
    assert by_rule(result, "DEP001")


def test_critical_dependencies_section(tmp_path):
    (tmp_path / "requirements.txt").write_text("jsonpickle==1.4.1\nlitellm>=1.0\nalpha-pkg==1.1.0\n")
    result = scan(tmp_path, critical_dependencies=("Alpha_Pkg",))
    critical = {c.name: c for c in result.dependencies.critical}
    assert critical["jsonpickle"].version == "1.4.1" and critical["jsonpickle"].location == "requirements.txt:1"
    assert critical["litellm"].version is None and critical["litellm"].pin == "litellm>=1.0"
    assert not critical["restrictedpython"].found
    assert critical["alpha-pkg"].advisories == ("PYSEC-2099-1", "ALPHA-2")
    doc = json.loads(render_text("json", result, {}))
    assert doc["dependencies"]["critical"][0]["name"] == "restrictedpython"
    assert doc["dependencies"]["policy"] == "application"
    md = render_text("markdown", result, {})
    assert "#### Critical Dependencies" in md
    assert "| jsonpickle | deserializer that can instantiate arbitrary classes | 1.4.1 |" in md


def test_credentials_in_urls_never_reach_the_report(tmp_path):
    (tmp_path / "requirements.txt").write_text(
        "tool @ git+https://deploy:ghp_abcdefghijklmnop@github.com/org/tool.git@main\n"
    )
    result = scan(tmp_path)
    (f,) = result.findings
    assert "ghp_" not in f.message and "ghp_" not in f.snippet and "****@github.com" in f.message


def test_dependency_rules_can_be_deselected(tmp_path):
    (tmp_path / "requirements.txt").write_text("gamma\n")
    result = scan(tmp_path, ignore=("DEP003",))
    assert not result.findings and result.dependencies is not None
    result = scan(tmp_path, select=("EXEC",))
    assert result.dependencies is None


def test_config_file_keys(tmp_path):
    (tmp_path / ".redline.toml").write_text(
        'vuln-db = "data"\ncritical-dependencies = ["alpha-pkg"]\ndependency-policy = "library"\n'
    )
    from redline import config as config_mod

    cfg = config_mod.load(tmp_path)
    assert cfg.vuln_db == str(tmp_path / "data") and cfg.critical_dependencies == ("alpha-pkg",)
    (tmp_path / ".redline.toml").write_text('dependency-policy = "sometimes"\n')
    with pytest.raises(config_mod.ConfigError, match="dependency-policy"):
        config_mod.load(tmp_path)


# ---------------------------------------------------------------------------
# Data: db update, the cache, --online


def _zip_of_fixture_records(path):
    with zipfile.ZipFile(path, "w") as zf:
        for record in (OSV / "alpha-pkg").iterdir():
            zf.write(record, record.name)
    return path


def test_db_update_downloads_records_and_date_used_by_scans(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    archive = _zip_of_fixture_records(tmp_path / "mirror.zip")
    assert cli.main(["db", "update", "--url", archive.as_uri()]) == 0
    assert "advisory data updated: 3 records" in capsys.readouterr().out
    cached = store.cached()
    assert cached is not None and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", cached[1]["downloaded"])
    project = tmp_path / "p"
    project.mkdir()
    (project / "requirements.txt").write_text("alpha-pkg==1.1.0\n")
    result = scan(project, vuln_db=None)
    assert by_rule(result, "DEP001")
    # The export's date (HTTP Last-Modified; a file URL gives the file's), never the day
    # of the download as such.
    assert result.dependencies.data_date == cached[1].get("exported", "2024-06-02")
    assert "downloaded" in result.dependencies.data_source
    assert cli.main(["db", "status"]) == 0
    assert "3 records" in capsys.readouterr().out


def test_db_update_failure_is_one_line_and_keeps_old_data(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    bad = tmp_path / "bad.zip"
    bad.write_text("<html>rate limited</html>")
    assert cli.main(["db", "update", "--url", bad.as_uri()]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[-1].startswith("redline: error: ") and "not a zip archive" in lines[-1]
    assert store.cached() is None


def test_online_queries_osv_and_falls_back_on_failure(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "requirements.txt").write_text("alpha-pkg==1.1.0\n")
    record = json.loads((OSV / "alpha-pkg" / "PYSEC-2099-1.json").read_text())
    calls = []

    def fake_call(url, body, deadline):
        calls.append(url)
        if url.endswith("/querybatch"):
            assert body["queries"] == [{"package": {"name": "alpha-pkg", "ecosystem": "PyPI"}, "version": "1.1.0"}]
            return {"results": [{"vulns": [{"id": "PYSEC-2099-1"}]}]}
        return record

    monkeypatch.setattr(osv_api, "_call", fake_call)
    result = scan(tmp_path, vuln_db=None, online=True)
    assert [f.rule_id for f in result.findings] == ["DEP001"]
    assert "OSV API" in result.dependencies.data_source and len(calls) == 2

    def failing(url, body, deadline):
        raise TimeoutError("timed out")

    monkeypatch.setattr(osv_api, "_call", failing)
    result = scan(tmp_path, vuln_db=None, online=True)
    assert "OSV API query failed (timed out)" in result.dependencies.data_note
    assert [f.rule_id for f in result.findings] == []


def test_no_network_unless_asked(tmp_path, monkeypatch):
    import urllib.request

    def refuse(*args, **kwargs):
        raise AssertionError("network used without --online")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    (tmp_path / "requirements.txt").write_text("alpha-pkg==1.1.0\n")
    assert by_rule(scan(tmp_path), "DEP001")


def test_cli_vuln_db_option(tmp_path, capsys):
    (tmp_path / "requirements.txt").write_text("alpha-pkg==1.1.0\n")
    code = cli.main(["scan", str(tmp_path), "--no-cache", "--vuln-db", str(OSV), "-f", "json", "--fail-on", "critical"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1 and [f["rule_id"] for f in doc["findings"]] == ["DEP001"]
    assert cli.main(["scan", str(tmp_path), "--vuln-db", str(tmp_path / "nope")]) == 2
    assert "--vuln-db" in capsys.readouterr().err


def test_dep103_documented_example(tmp_path):
    rule = registry.get("DEP103")
    head = "import subprocess\nfrom flask import request\ncommand = request.args['cmd']\n"
    for text, flagged in ((rule.doc.example, True), (rule.doc.use_instead, False)):
        (tmp_path / "example.py").write_text(head + textwrap.dedent(text))
        result = scan(tmp_path, select=("DEP103", "INJ"))
        assert any(f.rule_id == "DEP103" for f in result.findings) is flagged, text


def test_report_states_data_policy_and_reviews_every_suppression():
    from conftest import REPO

    result = scan(REPO / "examples" / "insecure-agent")
    md = render_text("markdown", result, {r.id: r for r in registry.all_rules()})
    assert "- **Advisory data**: OSV records in " in md and ", dated 2024-06-02 (" in md
    assert "- **Pinning policy**: application: the project pins what it installs (requirements.txt)" in md
    review = md[md.index("### Suppression Review"):]
    assert "- `app/workflow_engine.py:102` bandit `# nosec B602`: silences B602; **no justification**; redline finds INJ001 (" in review
    assert "- `app/tools/web.py:29` ruff/flake8 `# noqa: S603`: silences S603; **no justification**; redline finds " in review
    assert "- `scripts/pull_model.py:15` redline " in review
    assert "silences NET001; justification: loopback Ollama daemon" in review and review.count("suppresses NET001") == 1


def test_no_manifest_is_one_line(tmp_path):
    (tmp_path / "app.py").write_text("x = 1\n")
    result = scan(tmp_path)
    md = render_text("markdown", result, {})
    section = md[md.index("### Dependency Audit"):md.index("### Suppression Review")]
    assert section.strip().splitlines()[-1] == "- No dependency manifest (requirements, pyproject.toml, lock file) was found."


def test_a_bug_in_the_audit_never_ends_the_scan(tmp_path, monkeypatch):
    from redline.deps import audit

    def broken(*args, **kwargs):
        raise KeyError("boom")

    monkeypatch.setattr(audit, "run", broken)
    (tmp_path / "requirements.txt").write_text("gamma\n")
    (tmp_path / "app.py").write_text("eval(input())\n")
    result = scan(tmp_path)
    assert [f.rule_id[:4] for f in result.findings] == ["EXEC"]  # the rest of the review is there
    (skipped,) = result.skipped
    assert skipped.parse_failure and "internal error in the dependency audit: KeyError" in skipped.reason


@pytest.mark.parametrize(
    ("header", "day"),
    [
        ("Thu, 10 Oct 2024 17:22:00 GMT", "2024-10-10"),
        ("Fri, 11 Oct 2024 01:30:00 +0300", "2024-10-10"),
        ("yesterday", None),
        (None, None),
    ],
)
def test_export_date_from_last_modified(header, day):
    assert store.export_date(header) == day
