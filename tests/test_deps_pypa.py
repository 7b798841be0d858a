"""The audit against the real PyPA advisory database snapshot (skipped when absent):
lock files pinned to known-vulnerable versions and to fixed ones, and the dependency
rules' documented examples."""

from __future__ import annotations

import textwrap

import pytest
import yaml

from redline.config import Config
from redline.deps import osv
from redline.rules import registry
from redline.scan import ScanOptions, run_scan

from conftest import SHARED

PYPA = SHARED / "advisories" / "pypa-vulns"
pytestmark = pytest.mark.skipif(not PYPA.is_dir(), reason="PyPA advisory snapshot not present")

VULNERABLE = {"langchain": "0.0.131", "pyyaml": "5.3.1", "jsonpickle": "1.4.1", "restrictedpython": "6.0"}
FIXED = {"langchain": "0.2.16", "pyyaml": "6.0.2", "jsonpickle": "3.3.0", "restrictedpython": "7.4"}

LOCKS = {
    "requirements.txt": lambda pins: "".join(f"{n}=={v}\n" for n, v in pins.items()),
    "poetry.lock": lambda pins: "".join(
        f'[[package]]\nname = "{n}"\nversion = "{v}"\noptional = false\nfiles = []\n\n' for n, v in pins.items()
    ),
    "uv.lock": lambda pins: "version = 1\n\n"
    + "".join(f'[[package]]\nname = "{n}"\nversion = "{v}"\nsource = {{ registry = "https://pypi.org/simple" }}\n\n' for n, v in pins.items()),
    "pylock.toml": lambda pins: 'lock-version = "1.0"\n\n'
    + "".join(f'[[packages]]\nname = "{n}"\nversion = "{v}"\n\n' for n, v in pins.items()),
}


def oracle(package: str, version: str) -> set[str]:
    """Advisory ids whose record lists ``version`` explicitly (PyPA records enumerate
    the affected releases): an independent check of the range evaluation."""
    out = set()
    for path in (PYPA / package).glob("*.yaml"):
        record = yaml.safe_load(path.read_text(encoding="utf-8"))
        if record.get("withdrawn"):
            continue
        if any(version in (a.get("versions") or []) for a in record["affected"]):
            out.add(record["id"])
    return out


def scan(path, **config):
    return run_scan([path], Config(fail_on=None, vuln_db=str(PYPA), **config), ScanOptions(use_cache=False, jobs=1))


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_lock_pinned_to_vulnerable_versions(tmp_path, lock):
    (tmp_path / lock).write_text(LOCKS[lock](VULNERABLE))
    result = scan(tmp_path)
    findings = {f.message.split(" ", 1)[0].lower(): f for f in result.findings if f.rule_id == "DEP001"}
    assert set(findings) == set(VULNERABLE)
    db = osv.load(PYPA, set(VULNERABLE))
    for name, version in VULNERABLE.items():
        found = {m.id for m in db.vulnerabilities(name, version)}
        assert found == oracle(name, version), name
        for advisory in found:
            assert advisory in findings[name].message or "more" in findings[name].message
    assert len(db.vulnerabilities("langchain", "0.0.131")) == 14
    assert "PYSEC-2023-18" in {m.id for m in db.vulnerabilities("langchain", "0.0.131")}
    assert findings["langchain"].severity.name == "CRITICAL"
    assert findings["pyyaml"].severity.name == "HIGH"  # no CVSS; arbitrary code execution


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_lock_pinned_to_fixed_versions(tmp_path, lock):
    (tmp_path / lock).write_text(LOCKS[lock](FIXED))
    result = scan(tmp_path)
    assert [f for f in result.findings if f.rule_id == "DEP001"] == []
    for name, version in FIXED.items():
        assert oracle(name, version) == set()
    critical = {c.name.lower(): c for c in result.dependencies.critical}
    assert critical["restrictedpython"].version == "7.4" and critical["restrictedpython"].advisories == ()


def test_only_the_packages_used_are_read(tmp_path):
    db = osv.load(PYPA, {"langchain"})
    assert set(db.by_package) == {"langchain"} and db.records == 14
    assert db.date and db.date <= "2024-10-10"


@pytest.mark.parametrize("rule_id", ["DEP001", "DEP002", "DEP003", "DEP004"])
def test_documented_examples(tmp_path, rule_id):
    """Each dependency rule's example is flagged and its alternative is not: requirement
    lines in requirements.txt, or in pyproject.toml for the library rule DEP002."""
    rule = registry.get(rule_id)

    def flagged(line: str, case: str) -> bool:
        d = tmp_path / case
        d.mkdir()
        if rule_id == "DEP002":
            (d / "pyproject.toml").write_text(f'[project]\nname = "x"\ndependencies = ["{line}"]\n')
        else:
            (d / "requirements.txt").write_text(line + "\n")
        return any(f.rule_id == rule_id for f in scan(d, select=(rule_id,)).findings)

    example = textwrap.dedent(rule.doc.example).strip()
    alternative = textwrap.dedent(rule.doc.use_instead).strip()
    assert flagged(example, "example"), f"{rule_id}: its example is not flagged"
    assert not flagged(alternative, "alternative"), f"{rule_id}: its 'use instead' is flagged"


def test_data_date_is_the_snapshot_date_whatever_is_scanned(tmp_path):
    dates = set()
    for pins in ({"flask": "0.12"}, {"django": "2.2.0", "aiohttp": "3.8.0"}, {"no-such-package": "1.0"}):
        (tmp_path / "requirements.txt").write_text("".join(f"{n}=={v}\n" for n, v in pins.items()))
        dates.add(scan(tmp_path).dependencies.data_date)
    assert dates == {"2024-10-10"}


TEN = {
    "langchain": "0.0.131", "jsonpickle": "1.4.1", "pyyaml": "5.3", "jinja2": "2.10",
    "requests": "2.19.0", "urllib3": "1.24.1", "restrictedpython": "5.0", "flask": "0.12",
    "django": "2.2.0", "aiohttp": "3.8.0",
}


def test_every_applicable_advisory_in_every_format(tmp_path):
    """The ten-package requirements file of issue 15: 67 advisories, every one in each
    format. Django 2.2.0 has 28: three of them (PYSEC-2019-10, -12, -14) list their
    ranges' events out of version order, which OSV evaluates after sorting."""
    from redline.report import render_text

    (tmp_path / "requirements.txt").write_text("".join(f"{n}=={v}\n" for n, v in TEN.items()))
    result = scan(tmp_path)
    findings = [f for f in result.findings if f.rule_id == "DEP001"]
    ids = {a.id for f in findings for a in f.advisories}
    per_package = {f.snippet.split("==")[0]: len(f.advisories) for f in findings}
    assert len(ids) == 67 and per_package["django"] == 28
    assert {"PYSEC-2019-10", "PYSEC-2019-12", "PYSEC-2019-14"} <= ids
    assert "PYSEC-2022-43059" not in ids  # withdrawn (aiohttp)
    for name, version in TEN.items():
        expected = {m.id for m in osv.load(PYPA, {name}).vulnerabilities(name, version)}
        assert expected == {a.id for f in findings if f.snippet.startswith(name + "==") for a in f.advisories}
    rules = {r.id: r for r in registry.all_rules()}
    pattern = r"PYSEC-\d{4}-\d+"
    import re

    for fmt in ("markdown", "json", "sarif", "html", "terminal"):
        shown = set(re.findall(pattern, render_text(fmt, result, rules)))
        assert shown == ids, fmt
