"""Every advisory that applies, in every report format: a structured list on each
dependency finding (JSON), a table per vulnerable package (Markdown), the ids in the
result and its Markdown text (SARIF), a collapsible list (HTML) and one line each
(terminal); and range findings that name the version to move to."""

from __future__ import annotations

import json
import re

from redline.config import Config
from redline.report import render_text
from redline.rules import registry
from redline.scan import ScanOptions, run_scan

from conftest import FIXTURES

OSV = FIXTURES / "dependencies" / "osv"


def scan(path, **config):
    config.setdefault("vuln_db", str(OSV))
    config.setdefault("profile", "audit")
    return run_scan([path], Config(fail_on=None, **config), ScanOptions(use_cache=False, jobs=1))


def by_rule(result, rule_id):
    return [f for f in result.findings if f.rule_id == rule_id]


def test_dep001_carries_every_advisory_with_its_details(tmp_path):
    (tmp_path / "requirements.txt").write_text("alpha-pkg==1.1.0\n")
    (finding,) = by_rule(scan(tmp_path), "DEP001")
    by_id = {a.id: a for a in finding.advisories}
    assert set(by_id) == {"PYSEC-2099-1", "ALPHA-2"}
    pysec = by_id["PYSEC-2099-1"]
    assert set(pysec.aliases) == {"CVE-2099-0001", "GHSA-aaaa-bbbb-cccc"}
    assert pysec.cvss == "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" and pysec.score == 9.8
    assert pysec.severity.name == "CRITICAL" and pysec.fixed == "1.2.0" and pysec.affected == "<1.2.0"
    alpha = by_id["ALPHA-2"]
    assert alpha.cvss == "" and alpha.score is None and alpha.fixed == "1.8"
    assert alpha.affected == ">=1.0, <1.5"  # the limit caps the interval
    assert alpha.summary == "A denial of service in alpha-pkg parsing"


def _many(tmp_path, n=7):
    """A package with ``n`` advisories, more than a message names."""
    db = tmp_path / "db" / "many-pkg"
    db.mkdir(parents=True)
    for i in range(1, n + 1):
        (db / f"MANY-{i}.json").write_text(
            json.dumps(
                {
                    "id": f"MANY-{i}",
                    "modified": "2024-01-01T00:00:00Z",
                    "aliases": [f"CVE-2099-{1000 + i}"],
                    "summary": f"problem number {i} <b>bold</b> | pipe",
                    "references": [{"type": "ADVISORY", "url": f"https://example.invalid/MANY-{i}"}],
                    "affected": [
                        {
                            "package": {"ecosystem": "PyPI", "name": "many-pkg"},
                            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": f"2.{i}"}]}],
                        }
                    ],
                }
            )
        )
    project = tmp_path / "project"
    project.mkdir()
    (project / "requirements.txt").write_text("many-pkg==1.0\n")
    return scan(project, vuln_db=str(tmp_path / "db"))


def test_every_id_in_every_format(tmp_path):
    result = _many(tmp_path)
    (finding,) = by_rule(result, "DEP001")
    assert "and 3 more" in finding.message  # the message stays short
    ids = [f"MANY-{i}" for i in range(1, 8)]
    rules = {r.id: r for r in registry.all_rules()}

    doc = json.loads(render_text("json", result, rules))
    (entry,) = [f for f in doc["findings"] if f["rule_id"] == "DEP001"]
    assert [a["id"] for a in entry["advisories"]] == sorted(ids)
    first = entry["advisories"][0]
    assert set(first) == {
        "id", "aliases", "summary", "severity", "severity_basis", "cvss_vector", "cvss_score",
        "affected", "fixed", "url",
    }
    assert first["aliases"] == ["CVE-2099-1001"] and first["fixed"] == "2.1" and first["affected"] == "<2.1"
    assert first["url"] == "https://example.invalid/MANY-1" and doc["schema_version"] == "1.1"

    md = render_text("markdown", result, rules)
    section = md.split("#### Vulnerable Dependencies", 1)[1]
    for i in ids:
        assert re.search(rf"^\| \[{i}\]\(https://example.invalid/{i}\) \| CVE-2099-10\d\d \|", section, re.M), i
    assert "&lt;b&gt;bold&lt;/b&gt; \\| pipe" in section  # advisory text is escaped, cells stay cells

    sarif = json.loads(render_text("sarif", result, rules))
    (res,) = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "DEP001"]
    assert res["properties"]["advisoryIds"] == sorted(ids)
    assert all(i in res["message"]["text"] for i in ids)
    assert all(f"[{i}](https://example.invalid/{i})" in res["message"]["markdown"] for i in ids)

    html = render_text("html", result, rules)
    assert re.findall(r'data-advisory="(MANY-\d)"', html) == sorted(ids)
    assert '<details class="advisories">' in html and "<b>bold</b>" not in html

    text = render_text("terminal", result, rules)
    assert all(f"- {i} (CVE-2099-" in text for i in ids)


def test_links_only_for_plain_web_urls(tmp_path):
    db = tmp_path / "db" / "odd-pkg"
    db.mkdir(parents=True)
    (db / "ODD-1.json").write_text(
        json.dumps(
            {
                "id": "ODD-1",
                "references": [{"type": "ADVISORY", "url": "javascript:alert(1)"}, {"type": "WEB", "url": "https://x.invalid/a)b"}],
                "affected": [{"package": {"ecosystem": "PyPI", "name": "odd-pkg"}, "versions": ["1.0"]}],
            }
        )
    )
    project = tmp_path / "p"
    project.mkdir()
    (project / "requirements.txt").write_text("odd-pkg==1.0\n")
    result = scan(project, vuln_db=str(tmp_path / "db"))
    rules = {r.id: r for r in registry.all_rules()}
    assert "javascript:" not in render_text("html", result, rules)
    md = render_text("markdown", result, rules)
    assert "| ODD-1 | - |" in md and "](https" not in md
    (f,) = by_rule(result, "DEP001")
    assert f.advisories[0].affected == "listed version" and f.advisories[0].fixed is None


def test_range_names_the_first_fixed_version_inside_it(tmp_path):
    # alpha-pkg: PYSEC-2099-1 below 1.2.0 and in 2.0-2.1.3, ALPHA-2 in 1.0-1.5.
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "lib"\nversion = "1"\ndependencies = [\n'
        '    "alpha-pkg<1.4",\n'  # nothing inside is clear of ALPHA-2 (fixed 1.8)
        '    "beta-pkg<0.95",\n'  # BETA-1 lists 0.9 and 1.0rc1, no range
        ']\n[project.optional-dependencies]\nx = [\n'
        '    "alpha-pkg>=1.5,<2.1",\n'  # 2.0 is affected: nothing inside; >=2.1.3 is not a fix
        ']\n'
    )
    result = scan(tmp_path)
    messages = {f.location.line: f.message for f in by_rule(result, "DEP002")}
    # >=1.8 would still admit 2.0-2.1.3 (PYSEC-2099-1's last_affected interval)
    assert "no version `<1.4` allows is clear of them: move to `>2.1.3`" in messages[5]
    assert "move to `>1.0rc1`" in messages[6]
    assert "move to `>2.1.3`" in messages[10]
    first = {a.id: a.fixed for f in by_rule(result, "DEP002") if f.location.line == 5 for a in f.advisories}
    assert first == {"PYSEC-2099-1": "1.2.0", "ALPHA-2": "1.8"}  # 1.2.0 is inside `<1.4`


def _record(directory, ident, package, events):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{ident}.json").write_text(
        json.dumps(
            {
                "id": ident,
                "affected": [{"package": {"ecosystem": "PyPI", "name": package}, "ranges": [{"type": "ECOSYSTEM", "events": events}]}],
            }
        )
    )


def test_requires_dist_range_fixed_inside_or_beyond(tmp_path):
    """The issue's ``Requires-Dist: jinja2<2.11``: one advisory fixed inside the range
    (2.10.1), one only beyond it (2.11.3)."""
    db = tmp_path / "db" / "tmpl"
    _record(db, "T-1", "tmpl", [{"introduced": "0"}, {"fixed": "2.10.1"}])
    _record(db, "T-2", "tmpl", [{"introduced": "0"}, {"fixed": "2.11.3"}])
    dist = tmp_path / "p" / "app-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: app\nVersion: 1.0\nRequires-Dist: tmpl<2.11\nRequires-Dist: tmpl2<2.10.5\n"
    )
    _record(tmp_path / "db" / "tmpl2", "T-3", "tmpl2", [{"introduced": "0"}, {"fixed": "2.10.1"}])
    _record(tmp_path / "db" / "nofix", "T-4", "nofix", [{"introduced": "1.0"}])
    with (dist / "METADATA").open("a") as fh:
        fh.write("Requires-Dist: nofix>=0.5\n")
    result = scan(tmp_path / "p", vuln_db=str(tmp_path / "db"))
    found = {f.message.split(" ", 1)[0]: f for f in by_rule(result, "DEP002")}
    assert "no version `<2.11` allows is clear of them: move to `>=2.11.3`" in found["tmpl"].message
    assert "no fixed version" not in found["tmpl"].message
    assert {a.id: a.fixed for a in found["tmpl"].advisories} == {"T-1": "2.10.1", "T-2": "2.11.3"}
    assert "raise the lower bound to `>=2.10.1` (inside the range)" in found["tmpl2"].message
    assert found["nofix"].message.endswith("no fixed version published for T-4")


def test_range_lower_bound_inside_the_range(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "lib"\nversion = "1"\ndependencies = [\n    "alpha-pkg>=0.5,<1.9",\n]\n'
    )
    (finding,) = by_rule(scan(tmp_path), "DEP002")
    assert "raise the lower bound to `>=1.8` (inside the range)" in finding.message
