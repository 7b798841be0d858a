"""OSV data: range semantics with PEP 440 ordering, merging by alias, severities,
withdrawn records, and hostile data files (a YAML bomb, tags, broken JSON)."""

from __future__ import annotations

import zipfile

import pytest
from packaging.specifiers import SpecifierSet

from redline.deps import cvss, osv
from redline.deps.datafiles import DataError, load_yaml
from redline.deps.versions import make_range
from redline.model import Severity

from conftest import FIXTURES

DB_DIR = FIXTURES / "dependencies" / "osv"


@pytest.fixture(scope="module")
def db():
    return osv.load(DB_DIR)


def ids(matches):
    return [m.id for m in matches]


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("0.1", ["PYSEC-2099-1"]),
        ("1.1.9", ["PYSEC-2099-1", "ALPHA-2"]),
        ("1.2.0", ["ALPHA-2"]),  # fixed is exclusive
        ("1.4.9", ["ALPHA-2"]),
        ("1.5", []),  # limit caps the range
        ("1.9", []),
        ("2.0", ["PYSEC-2099-1"]),
        ("2.1.3", ["PYSEC-2099-1"]),  # last_affected is inclusive
        ("2.1.3.post1", []),
        ("2.2", []),
    ],
)
def test_range_semantics(db, version, expected):
    assert sorted(ids(db.vulnerabilities("alpha-pkg", version))) == sorted(expected)


def test_prereleases_and_normalised_names(db):
    # "1.2.0rc1" comes before the 1.2.0 fix; the package name is matched in any spelling.
    assert sorted(ids(db.vulnerabilities("ALPHA.pkg", "1.2.0rc1"))) == ["ALPHA-2", "PYSEC-2099-1"]
    # Explicit versions are affected whatever the ranges say, compared as PEP 440 versions.
    assert ids(db.vulnerabilities("beta_pkg", "1.0RC1")) == ["BETA-1"]
    assert ids(db.vulnerabilities("beta-pkg", "1.0")) == []


def test_aliases_merge_one_vulnerability_across_databases(db):
    (alpha,) = [m for m in db.vulnerabilities("alpha-pkg", "0.5") if m.id == "PYSEC-2099-1"]
    assert set(alpha.aliases) == {"CVE-2099-0001", "GHSA-aaaa-bbbb-cccc"}
    assert alpha.fixed == "1.2.0"
    assert alpha.severity is Severity.CRITICAL and alpha.severity_basis == "CVSS 9.8"


def test_severity_sources(db):
    by_id = {m.id: m for m in db.vulnerabilities("alpha-pkg", "1.1")}
    assert by_id["ALPHA-2"].severity is Severity.MEDIUM  # no CVSS, not code execution
    (beta,) = db.vulnerabilities("beta-pkg", "0.9")
    assert beta.severity is Severity.HIGH and beta.severity_basis == "code execution"
    assert beta.fixed is None
    (gamma,) = db.vulnerabilities("gamma", "1.0")  # CVSS v4 only: the default
    assert gamma.severity is Severity.MEDIUM
    assert ids(db.vulnerabilities("gamma", "1.0.post1")) == []  # the unreadable range is dropped


def test_withdrawn_and_other_ecosystems_are_ignored(db):
    assert db.withdrawn == 1
    assert "BETA-2" not in ids(db.vulnerabilities("beta-pkg", "0.9"))
    assert "NPM-1" not in ids(db.vulnerabilities("alpha-pkg", "0.1"))


def test_hostile_files_are_one_line_errors_and_loading_goes_on(db):
    errors = "\n".join(db.errors)
    assert "misc/bomb.yaml: invalid YAML: YAML aliases are not accepted" in errors
    assert "misc/broken.json: invalid JSON" in errors
    assert "misc/python-object.yaml: invalid YAML" in errors
    assert all("\n" not in e for e in db.errors)
    assert db.records == 5


def test_ranges_admitting_vulnerable_versions(db):
    admitted = db.admitted("alpha-pkg", SpecifierSet(">=1.0"))
    assert {m.id: v for m, v in admitted} == {"PYSEC-2099-1": "2.1.3", "ALPHA-2": "1.0"}
    assert db.admitted("alpha-pkg", SpecifierSet(">=2.2")) == []
    # Pre-releases are only admitted by a specifier that names one.
    assert db.admitted("beta-pkg", SpecifierSet(">=1.0rc1")) != []
    assert db.admitted("beta-pkg", SpecifierSet(">=0.95")) == []


def test_zip_archive_and_wanted_packages(tmp_path):
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in (DB_DIR / "alpha-pkg").iterdir():
            zf.write(path, path.name)
        zf.write(DB_DIR / "beta-pkg" / "BETA-1.yaml", "BETA-1.yaml")
    everything = osv.load(archive)
    assert everything.records == 4
    only_beta = osv.load(archive, {"beta-pkg"})
    assert only_beta.records == 1 and "alpha-pkg" not in only_beta.by_package
    # The data's date is the newest record of the whole archive, whatever is read.
    assert only_beta.date == everything.date == "2024-06-02"


def test_data_date_is_the_newest_record_whatever_is_scanned(tmp_path):
    one, other = osv.load(DB_DIR, {"beta-pkg"}), osv.load(DB_DIR, {"gamma"})
    assert one.date == other.date == osv.load(DB_DIR).date == "2024-06-02"
    # A per-package directory: the records of unscanned packages date the data too,
    # withdrawn records included.
    for name, day in (("aa", "2020-01-01"), ("bb", "2021-05-05"), ("cc", "2023-03-03")):
        (tmp_path / name).mkdir()
        withdrawn = "withdrawn: 2023-03-04T00:00:00Z\n" if name == "cc" else ""
        (tmp_path / name / f"{name.upper()}-1.yaml").write_text(
            f"id: {name.upper()}-1\nmodified: '{day}T00:00:00Z'\n{withdrawn}affected:\n"
            f"- package: {{ecosystem: PyPI, name: {name}}}\n  versions: ['1.0']\n"
        )
    assert osv.load(tmp_path, {"aa"}).date == osv.load(tmp_path).date == "2023-03-03"


def test_bad_data_paths_are_one_line_errors(tmp_path):
    with pytest.raises(DataError, match="no such advisory directory"):
        osv.load(tmp_path / "missing")
    not_zip = tmp_path / "all.zip"
    not_zip.write_bytes(b"PK\x03\x04 garbage")
    with pytest.raises(DataError, match="not a readable zip archive"):
        osv.load(not_zip)


def test_yaml_loader_refuses_aliases_and_tags():
    assert load_yaml("a: 1\nb: '*not an alias*'\n") == {"a": 1, "b": "*not an alias*"}
    with pytest.raises(DataError):
        load_yaml("a: &x [1]\nb: *x\n")
    with pytest.raises(DataError):
        load_yaml("!!python/object/apply:os.system ['true']\n")


def test_make_range_rejects_what_it_cannot_order():
    assert make_range([{"introduced": "0"}, {"fixed": "1.0"}]) is not None
    assert make_range([{"introduced": "banana"}]) is None
    assert make_range([{"fixed": "1.0"}]) is None  # no start
    assert make_range(["introduced"]) is None


@pytest.mark.parametrize(
    ("vector", "score"),
    [
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
        ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9),
        ("CVSS:3.1/AV:L/AC:L/PR:L/UI:R/S:U/C:L/I:N/A:N", 2.8),
        ("CVSS:3.0/AV:N/AC:H/PR:N/UI:R/S:U/C:N/I:N/A:N", 0.0),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5),
    ],
)
def test_cvss_v3_scores(vector, score):
    assert cvss.score("CVSS_V3", vector) == score


def test_cvss_v2_and_unknown():
    assert cvss.score("CVSS_V2", "AV:N/AC:L/Au:N/C:P/I:P/A:P") == 7.5
    assert cvss.score("CVSS_V3", "CVSS:3.1/AV:X") is None
    assert cvss.score("CVSS_V4", "CVSS:4.0/AV:N") is None
    assert cvss.severity_of(9.0) is Severity.CRITICAL and cvss.severity_of(3.9) is Severity.LOW


def test_events_out_of_version_order_are_sorted_first():
    """PyPA's Django records (PYSEC-2019-14) list the 2.2 branch first: read in the
    written order, 2.2.0 would look fixed by 1.11.23."""
    r = make_range([
        {"introduced": "2.2"}, {"fixed": "2.2.4"}, {"introduced": "1.11"}, {"fixed": "1.11.23"},
        {"introduced": "2.1"}, {"fixed": "2.1.11"},
    ])
    from packaging.version import Version

    assert r.covers(Version("2.2.0")) and r.covers(Version("2.1.5")) and not r.covers(Version("2.1.11"))
    assert r.interval(Version("2.2")) == ">=2.2, <2.2.4"
    assert r.interval(Version("1.11.1")) == ">=1.11, <1.11.23"
    assert r.interval(Version("2.2.4")) == ""
    assert make_range([{"introduced": "0"}, {"last_affected": "1.0"}]).interval(Version("1.0")) == "<=1.0"
    assert make_range([{"introduced": "3.0"}]).interval(Version("9")) == ">=3.0"
