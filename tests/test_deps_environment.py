"""``redline scan --env PATH``: exactly what an installed environment holds, read from
its site-packages without running it; malformed metadata skipped with its reason."""

from __future__ import annotations

import json

import pytest

from redline import cli
from redline.config import Config
from redline.deps import environment
from redline.scan import ScanOptions, run_scan

from conftest import FIXTURES

OSV = FIXTURES / "dependencies" / "osv"


def dist(site, name, version, extra=""):
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n{extra}\n")
    return info


def venv(tmp_path, python="python3.11"):
    env = tmp_path / "venv"
    site = env / "lib" / python / "site-packages"
    site.mkdir(parents=True)
    (env / "pyvenv.cfg").write_text("home = /usr/bin\n")
    return env, site


def scan(path, envs, **config):
    config.setdefault("vuln_db", str(OSV))
    return run_scan(
        [path], Config(fail_on=None, environments=tuple(str(e) for e in envs), **config),
        ScanOptions(use_cache=False, jobs=1),
    )


def test_environment_audit_reads_exactly_what_is_installed(tmp_path):
    env, site = venv(tmp_path)
    dist(site, "alpha-pkg", "1.1.0", "Requires-Dist: gamma>=0.1\nRequires-Dist: beta-pkg; python_version < '3'")
    dist(site, "beta-pkg", "1.0")  # fixed: no finding
    legacy = site / "gamma-1.0-py3.11.egg-info"  # setuptools egg-info directory
    legacy.mkdir()
    (legacy / "PKG-INFO").write_text("Metadata-Version: 1.1\nName: gamma\nVersion: 1.0\n")
    (site / "delta-0.5-py3.11.egg-info").write_text("Metadata-Version: 1.0\nName: delta\nVersion: 0.5\n")
    broken = site / "broken-1.0.dist-info"
    broken.mkdir()
    (broken / "METADATA").write_text("Metadata-Version: 2.1\nName: broken\nSummary: the version is missing\n")
    (site / "empty-2.0.dist-info").mkdir()
    (site / "module.py").write_text("eval(input())\n")  # installed code is not scanned
    project = tmp_path / "project"
    project.mkdir()

    result = scan(project, [env])
    audit = result.dependencies
    assert audit.policy == "environment" and audit.environments == (f"{env.resolve().as_posix()} (4 distributions)",)
    assert audit.packages == 4 and audit.manifests == ()
    found = {(f.rule_id, f.location.path.rsplit("/", 2)[-2]) for f in result.findings}
    # Only the installed versions: alpha-pkg's Requires-Dist ranges are not what is installed.
    assert found == {("DEP001", "alpha_pkg-1.1.0.dist-info"), ("DEP001", "gamma-1.0-py3.11.egg-info")}
    (alpha,) = [f for f in result.findings if "alpha_pkg" in f.location.path]
    assert alpha.location.path == f"{env.resolve().as_posix()}/lib/python3.11/site-packages/alpha_pkg-1.1.0.dist-info/METADATA"
    assert alpha.location.line == 3 and {a.id for a in alpha.advisories} == {"PYSEC-2099-1", "ALPHA-2"}
    errors = [e for e in audit.errors if "site-packages" in e]
    assert [e.split("site-packages/", 1)[1] for e in errors] == [
        "broken-1.0.dist-info/METADATA: skipped: malformed metadata, no Version header",
        "empty-2.0.dist-info/METADATA: skipped: no METADATA file (incomplete installation)",
    ]


def test_environment_inside_the_scan_root_and_project_manifests_together(tmp_path):
    env, site = venv(tmp_path)
    dist(site, "alpha-pkg", "2.2")
    (tmp_path / "requirements.txt").write_text("beta-pkg==0.9\n")
    result = scan(tmp_path, [env])
    paths = sorted(f.location.path for f in result.findings if f.rule_id == "DEP001")
    assert paths == ["requirements.txt"]  # alpha-pkg 2.2 is clean; the venv is not scanned as code
    assert result.dependencies.environments == ("venv (1 distribution)",)
    assert result.dependencies.policy == "application"


@pytest.mark.parametrize("layout", ["Lib/site-packages", "lib/python3/dist-packages", "lib64/python3.12/site-packages", ""])
def test_site_packages_layouts(tmp_path, layout):
    site = tmp_path / layout if layout else tmp_path
    site.mkdir(parents=True, exist_ok=True)
    dist(site, "alpha-pkg", "1.0")
    assert environment.site_packages(tmp_path) == [site]


def test_bad_environment_is_a_one_line_usage_error(tmp_path, capsys):
    assert cli.main(["scan", str(tmp_path), "--env", str(tmp_path / "missing")]) == 2
    assert cli.main(["scan", str(tmp_path), "--env", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no such directory" in err and "no site-packages found" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 2


def test_env_option_on_the_command_line(tmp_path, capsys):
    env, site = venv(tmp_path)
    dist(site, "alpha-pkg", "1.1.0")
    project = tmp_path / "p"
    project.mkdir()
    code = cli.main(["scan", str(project), "--env", str(env), "--vuln-db", str(OSV), "-f", "json", "--fail-on", "never"])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    (finding,) = doc["findings"]
    assert finding["rule_id"] == "DEP001" and finding["location"]["path"].endswith("alpha_pkg-1.1.0.dist-info/METADATA")
    assert doc["dependencies"]["environments"] == [f"{env.resolve().as_posix()} (1 distribution)"]
