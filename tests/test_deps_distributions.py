"""Distribution metadata in every form (``*.dist-info/METADATA``, an sdist's
``PKG-INFO``, ``*.egg-info/PKG-INFO`` and ``requires.txt`` with extras), malformed
metadata skipped with a one-line reason, and environment markers judged for the
Pythons the project supports."""

from __future__ import annotations

import pytest

from redline.config import Config
from redline.deps.collect import read_all
from redline.deps.markers import installed_on, supported_pythons
from redline.discovery import discover
from redline.scan import ScanOptions, run_scan

from conftest import FIXTURES

OSV = FIXTURES / "dependencies" / "osv"


def read(directory):
    found = discover(directory, [directory])
    return read_all(((f.path, f.rel, f.kind) for f in found.files), directory)


def rows(manifests):
    return [(f"{d.path}:{d.line}", d.name, d.origin, d.specifier, d.group, d.local) for m in manifests for d in m.dependencies]


def write(base, files):
    for rel, text in files.items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)


def scan(path, **config):
    config.setdefault("vuln_db", str(OSV))
    config.setdefault("profile", "audit")
    return run_scan([path], Config(fail_on=None, **config), ScanOptions(use_cache=False, jobs=1))


EGG_REQUIRES = """\
alpha-pkg>=1.0
gamma

[:python_version < "3.0"]
beta-pkg==0.9

[docs]
delta>=2  # comment

[Test:sys_platform == "win32"]
epsilon==2.0; python_version >= "3.8"
"""


def test_egg_info_requires_txt_with_extras_and_marker_sections(tmp_path):
    write(tmp_path, {
        "src/app.egg-info/PKG-INFO": "Metadata-Version: 1.2\nName: app\nVersion: 1.0\n",
        "src/app.egg-info/requires.txt": EGG_REQUIRES,
        "src/app.egg-info/SOURCES.txt": "src/app/__init__.py\n",
        "src/app.egg-info/evil.py": "eval(input())\n",  # nothing else of an egg-info is read
    })
    manifests = read(tmp_path)
    assert [m.path for m in manifests] == ["src/app.egg-info/PKG-INFO", "src/app.egg-info/requires.txt"]
    assert rows(manifests) == [
        ("src/app.egg-info/PKG-INFO:3", "app", "installed", "==1.0", "", False),
        ("src/app.egg-info/requires.txt:1", "alpha-pkg", "declared", ">=1.0", "", False),
        ("src/app.egg-info/requires.txt:2", "gamma", "declared", "", "", False),
        ("src/app.egg-info/requires.txt:5", "beta-pkg", "declared", "==0.9", "", False),
        ("src/app.egg-info/requires.txt:8", "delta", "declared", ">=2", "docs", False),
        ("src/app.egg-info/requires.txt:11", "epsilon", "declared", "==2.0", "test", False),
    ]
    deps = {d.name: d for m in manifests for d in m.dependencies}
    assert deps["beta-pkg"].marker == 'python_version < "3.0"'
    assert deps["epsilon"].marker == 'python_version >= "3.8" and sys_platform == "win32"'
    result = scan(tmp_path)
    assert "src/app.egg-info/requires.txt:5 beta-pkg==0.9" in result.dependencies.not_installed[0]
    assert not [f for f in result.findings if f.location.line == 5 and f.location.path.endswith("requires.txt")]


def test_requires_txt_defers_to_requires_dist_in_pkg_info(tmp_path):
    write(tmp_path, {
        "app.egg-info/PKG-INFO": "Metadata-Version: 2.1\nName: app\nVersion: 1.0\nRequires-Dist: alpha-pkg>=1.0\n",
        "app.egg-info/requires.txt": "alpha-pkg>=1.0\n",
    })
    assert [r[:2] for r in rows(read(tmp_path))] == [
        ("app.egg-info/PKG-INFO:3", "app"), ("app.egg-info/PKG-INFO:4", "alpha-pkg"),
    ]


def test_sdist_pkg_info_is_the_project_itself(tmp_path):
    write(tmp_path, {
        "PKG-INFO": (
            "Metadata-Version: 2.1\nName: alpha-pkg\nVersion: 1.1.0\nRequires-Python: >=3.10\n"
            'Requires-Dist: gamma>=0.1\nRequires-Dist: beta-pkg==0.9; python_version < "3.9"\n'
            'Requires-Dist: delta; extra == "Fancy"\n\nLong description.\nRequires-Dist: not-a-header\n'
        ),
    })
    manifests = read(tmp_path)
    assert rows(manifests) == [
        ("PKG-INFO:3", "alpha-pkg", "installed", "==1.1.0", "", True),  # itself: not audited
        ("PKG-INFO:5", "gamma", "declared", ">=0.1", "", False),
        ("PKG-INFO:6", "beta-pkg", "declared", "==0.9", "", False),
        ("PKG-INFO:7", "delta", "declared", "", "fancy", False),
    ]
    assert manifests[0].requires_python == ">=3.10"
    result = scan(tmp_path)
    # gamma>=0.1 admits GAMMA-1; the extra's delta has no constraint (library policy)
    assert sorted((f.location.line, f.rule_id) for f in result.findings) == [(5, "DEP002"), (7, "DEP003")]
    assert result.dependencies.not_installed == (
        'PKG-INFO:6 beta-pkg==0.9 ; python_version < "3.9" (requires-python >=3.10)',
    )


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("Metadata-Version: 2.1\nName: broken\nSummary: no version\n", "skipped: malformed metadata, no Version header"),
        ("Metadata-Version: 2.1\nVersion: 1.0\n", "skipped: malformed metadata, no Name header"),
        ("Metadata-Version: 2.1\nName: broken\nVersion: not a version!\n", "is not a PEP 440 version"),
        ("this is not\nRFC 822 at all\n", "skipped: malformed metadata, no Name and Version header"),
        ("", "skipped: empty metadata file"),
        (b"\xff\xfe\x00\x01binary", "skipped: not UTF-8 text"),
    ],
)
def test_malformed_metadata_is_skipped_with_a_clear_reason(tmp_path, content, reason):
    write(tmp_path, {
        "broken-1.0.dist-info/METADATA": content,
        "alpha_pkg-1.1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: alpha-pkg\nVersion: 1.1.0\n",
    })
    result = scan(tmp_path)
    (error,) = [e for e in result.dependencies.errors if "dist-info" in e]
    assert error.startswith("broken-1.0.dist-info/METADATA: ") and reason in error and "\n" not in error
    # The rest is audited all the same.
    assert [f.rule_id for f in result.findings] == ["DEP001"]


def test_supported_pythons_from_requires_python():
    assert supported_pythons(">=3.10")[0] == "3.10" and "3.9" not in supported_pythons(">=3.10")
    assert supported_pythons(">=3.9.2,<3.12") == ("3.9", "3.10", "3.11")
    assert "2.7" in supported_pythons(">=2.7") and "2.7" not in supported_pythons(">=3")


@pytest.mark.parametrize(
    ("marker", "python", "installed"),
    [
        ('python_version < "3.0"', ">=3", False),
        ('python_version < "3.9"', ">=3.10", False),
        ('python_version < "3.9"', ">=3.8", True),
        ('python_full_version < "3.10.2"', ">=3.10", True),  # 3.10.0 and 3.10.1 install it
        ('sys_platform == "win32"', ">=3.10", True),
        ('sys_platform == "win32" and python_version < "3"', ">=3.10", False),
        ('platform_python_implementation == "PyPy" and python_version < "3.10"', ">=3.10", False),
        ('platform_release >= "99"', ">=3.10", True),  # not varied: kept
        ('extra == "docs"', ">=3.10", False),  # an extra nobody asked for
    ],
)
def test_markers_judged_for_supported_pythons(marker, python, installed):
    assert installed_on(marker, python) is installed


@pytest.mark.parametrize(
    ("project", "name"),
    [
        ('[project]\nname = "p"\nversion = "1"\nrequires-python = ">=3.10"\n', "pyproject.toml"),
        ('[tool.poetry]\nname = "p"\n[tool.poetry.dependencies]\npython = "^3.10"\n', "pyproject.toml"),
        ("[options]\npython_requires = >=3.10\n", "setup.cfg"),
        ("from setuptools import setup\nsetup(name='p', python_requires='>=3.10')\n", "setup.py"),
    ],
)
def test_requires_python_of_the_project_decides(tmp_path, project, name):
    write(tmp_path, {
        name: project,
        "requirements.txt": 'alpha-pkg==1.1.0 ; python_version < "3.9"\nbeta-pkg==0.9 ; python_version >= "3.12"\n',
        "old/requirements.txt": 'alpha-pkg==1.1.0 ; python_version < "3.9"\n',
        "old/pyproject.toml": '[project]\nname = "old"\nversion = "1"\nrequires-python = ">=3.6"\n',
    })
    result = scan(tmp_path)
    found = sorted((f.location.path, f.rule_id) for f in result.findings)
    # The nested project supports 3.6-3.8: its requirement is installed there.
    assert found == [("old/requirements.txt", "DEP001"), ("requirements.txt", "DEP001")]
    assert result.dependencies.requires_python in (">=3.10", ">=3.10,<4")  # Poetry's ^3.10
    assert [n.split(" ", 1)[0] for n in result.dependencies.not_installed] == ["requirements.txt:1"]


def test_without_requires_python_python_2_only_requirements_are_skipped(tmp_path):
    write(tmp_path, {"requirements.txt": 'alpha-pkg==1.1.0 ; python_version < "3.0"\nbeta-pkg==0.9 ; python_version < "3.9"\n'})
    result = scan(tmp_path)
    assert [f.location.line for f in result.findings if f.rule_id == "DEP001"] == [2]
    assert result.dependencies.requires_python == ">=3 (not declared)"


def test_egg_info_repeating_the_project_manifest_is_reported_once(tmp_path):
    write(tmp_path, {
        "pyproject.toml": '[project]\nname = "app"\nversion = "1.0"\nrequires-python = ">=3.10"\ndependencies = [\n    "gamma>=0.1",\n]\n',
        "src/app.egg-info/PKG-INFO": "Metadata-Version: 1.2\nName: app\nVersion: 1.0\n",
        "src/app.egg-info/requires.txt": "gamma>=0.1\nbeta-pkg<0.95\n",
    })
    found = sorted((f.location.path, f.location.line, f.rule_id) for f in scan(tmp_path).findings)
    assert found == [("pyproject.toml", 6, "DEP002"), ("src/app.egg-info/requires.txt", 2, "DEP002")]
