"""Manifest parsing: every supported format, read without running anything, with the
line each dependency is declared on."""

from __future__ import annotations

import shutil

import pytest

from redline.deps.collect import read_all
from redline.discovery import discover

from conftest import FIXTURES

MANIFESTS = FIXTURES / "dependencies" / "manifests"


def read(directory):
    found = discover(directory, [directory])
    return read_all(((f.path, f.rel, f.kind) for f in found.files), directory)


def rows(manifests, path=None):
    """(path:line, name, origin, specifier, version, pinned) of each dependency."""
    return [
        (f"{d.path}:{d.line}", d.name, d.origin, d.specifier, d.version, d.is_pinned)
        for m in manifests
        for d in m.dependencies
        if path is None or d.path == path
    ]


def test_requirements_with_includes_constraints_hashes_markers_urls_editables():
    manifests = read(MANIFESTS / "requirements")
    assert [m.path for m in manifests] == ["constraints.txt", "requirements.txt", "sub/base.txt"]
    main = next(m for m in manifests if m.path == "requirements.txt")
    assert main.includes == ["sub/base.txt", "constraints.txt"]
    deps = {d.name: d for d in main.dependencies}
    assert rows(manifests, "requirements.txt") == [
        ("requirements.txt:5", "alpha-pkg", "requirement", "==1.1.0", "1.1.0", True),
        # pinned by the constraints file
        ("requirements.txt:7", "beta-pkg", "requirement", ">=0.9", "0.9", True),
        ("requirements.txt:8", "gamma", "requirement", "", None, False),
        ("requirements.txt:9", "requests", "requirement", "~=2.31", None, False),
        ("requirements.txt:10", "agent-tools", "requirement", "", None, False),
        ("requirements.txt:11", "tool-b", "requirement", "", None, True),
        ("requirements.txt:12", "tool-c", "requirement", "", None, False),
        ("requirements.txt:13", "tool-d", "requirement", "", None, True),
        ("requirements.txt:14", ".", "requirement", "", None, True),
        ("requirements.txt:15", "pkg", "requirement", "", None, True),
        ("requirements.txt:16", "numpy", "requirement", "==1.*", None, False),
    ]
    assert deps["alpha-pkg"].hashes and not deps["gamma"].hashes
    assert deps["beta-pkg"].marker == 'python_version >= "3.8"'
    assert deps["agent-tools"].url.startswith("git+https://") and not deps["agent-tools"].url_pinned
    assert deps["."].local and deps["pkg"].local
    assert main.errors == ["requirements.txt:17: not a requirement (Expected end or semicolon (after name and no valid version specifier) this is not a requirement ^)"] or (
        len(main.errors) == 1 and main.errors[0].startswith("requirements.txt:17: not a requirement")
    )
    # the include cycle (base.txt includes requirements.txt) is read once
    assert rows(manifests, "sub/base.txt") == [
        ("sub/base.txt:2", "delta", "requirement", "===1.0-custom", "1.0-custom", True)
    ]


def test_pep621_optional_dependencies_and_groups():
    assert rows(read(MANIFESTS / "pep621")) == [
        ("pyproject.toml:8", "alpha-pkg", "declared", ">=1.0", None, False),
        ("pyproject.toml:9", "gamma", "declared", "", None, False),
        ("pyproject.toml:10", "tool-b", "declared", "", None, False),
        ("pyproject.toml:14", "beta-pkg", "declared", ">=1.0", None, False),
        ("pyproject.toml:17", "pytest", "declared", ">=8", None, False),
    ]


def test_poetry_constraints_and_lock():
    manifests = read(MANIFESTS / "poetry")
    assert rows(manifests, "pyproject.toml") == [
        ("pyproject.toml:7", "alpha-pkg", "declared", ">=1.1,<2", None, False),
        ("pyproject.toml:8", "beta-pkg", "declared", "==0.9", "0.9", True),
        ("pyproject.toml:9", "gamma", "declared", "", None, False),
        ("pyproject.toml:10", "tool-b", "declared", "", None, False),
        ("pyproject.toml:11", "local-lib", "declared", "", None, True),
        ("pyproject.toml:14", "pytest", "declared", ">=8,<9", None, False),
    ]
    assert rows(manifests, "poetry.lock") == [
        ("poetry.lock:4", "alpha-pkg", "locked", "==1.1.0", "1.1.0", True),
        ("poetry.lock:14", "beta-pkg", "locked", "==0.9", "0.9", True),
        ("poetry.lock:22", "tool-b", "locked", "==1.0", "1.0", True),
        ("poetry.lock:36", "local-lib", "locked", "==0.1", "0.1", True),
    ]
    lock = next(m for m in manifests if m.path == "poetry.lock")
    assert lock.is_lock and lock.dependencies[2].url_pinned and lock.dependencies[3].local


def test_pdm_and_hatch():
    assert rows(read(MANIFESTS / "pdm")) == [
        ("pdm.lock:7", "alpha-pkg", "locked", "==2.1.3", "2.1.3", True),
        ("pdm.lock:15", "ruff", "locked", "==0.4.1", "0.4.1", True),
        ("pyproject.toml:4", "alpha-pkg", "declared", ">=1", None, False),
        ("pyproject.toml:7", "ruff", "declared", ">=0.4", None, False),
    ]
    assert rows(read(MANIFESTS / "hatch")) == [
        ("pyproject.toml:7", "alpha-pkg", "declared", "", None, False),
        ("pyproject.toml:10", "beta-pkg", "declared", ">=0.1", None, False),
    ]


def test_uv_lock_skips_the_project_and_checks_git_commits():
    manifests = read(MANIFESTS / "uv")
    deps = {d.name: d for d in manifests[0].dependencies}
    assert [(d.name, d.line, d.version) for d in manifests[0].dependencies] == [
        ("alpha-pkg", 5, "1.1.0"),
        ("my-app", 11, "0.1.0"),
        ("tool-b", 16, "1.0"),
        ("tool-e", 21, "2.0"),
    ]
    assert deps["my-app"].local
    assert deps["tool-b"].url_pinned and not deps["tool-e"].url_pinned


def test_pipfile_and_lock():
    manifests = read(MANIFESTS / "pipenv")
    assert rows(manifests, "Pipfile") == [
        ("Pipfile:7", "alpha-pkg", "declared", "==1.1.0", "1.1.0", True),
        ("Pipfile:8", "beta-pkg", "declared", "", None, False),
        ("Pipfile:9", "gamma", "declared", ">=1.0", None, False),
        ("Pipfile:10", "tool-b", "declared", "", None, True),
        ("Pipfile:13", "pytest", "declared", "", None, False),
    ]
    assert rows(manifests, "Pipfile.lock") == [
        ("Pipfile.lock:9", "alpha-pkg", "locked", "==1.1.0", "1.1.0", True),
        ("Pipfile.lock:14", "beta-pkg", "locked", "==0.9", "0.9", True),
        ("Pipfile.lock:19", "tool-b", "locked", "", None, True),
        ("Pipfile.lock:25", "pytest", "locked", "==8.3.3", "8.3.3", True),
    ]


def test_setup_cfg():
    assert rows(read(MANIFESTS / "setupcfg")) == [
        ("setup.cfg:6", "alpha-pkg", "declared", ">=1.0", None, False),
        ("setup.cfg:7", "gamma", "declared", "", None, False),
        ("setup.cfg:12", "beta-pkg", "declared", "==0.9", "0.9", True),
    ]


def test_setup_py_is_read_through_its_ast(tmp_path):
    shutil.copy(MANIFESTS / "setuppy" / "setup_py.txt", tmp_path / "setup.py")
    manifests = read(tmp_path)
    assert rows(manifests) == [
        ("setup.py:4", "alpha-pkg", "declared", ">=1.0", None, False),
        ("setup.py:5", "gamma", "declared", "", None, False),
        ("setup.py:10", "beta-pkg", "declared", "==0.9", "0.9", True),
        ("setup.py:11", "tool-b", "declared", "", None, False),
    ]
    assert manifests[0].errors == []  # the computed tests_require is left alone


def test_pylock_and_dist_info_metadata():
    assert rows(read(MANIFESTS / "pylock")) == [
        ("pylock.toml:5", "alpha-pkg", "locked", "==1.1.0", "1.1.0", True),
        ("pylock.toml:13", "tool-b", "locked", "==1.0", "1.0", True),
        ("pylock.toml:18", "my-app", "locked", "", None, True),
    ]
    assert rows(read(MANIFESTS / "dist")) == [
        ("alpha_pkg-1.1.0.dist-info/METADATA:3", "alpha-pkg", "installed", "==1.1.0", "1.1.0", True),
        ("alpha_pkg-1.1.0.dist-info/METADATA:5", "gamma", "declared", "", None, False),
        ("alpha_pkg-1.1.0.dist-info/METADATA:6", "beta-pkg", "declared", ">=0.9", None, False),
        ("alpha_pkg-1.1.0.dist-info/METADATA:7", "pytest", "declared", "", None, False),
    ]
    # An extra's requirement is read, in the extra's group.
    (metadata,) = read(MANIFESTS / "dist")
    assert [d.group for d in metadata.dependencies] == ["", "", "", "test"]


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("pyproject.toml", "[project\ndependencies = [", "invalid TOML"),
        ("poetry.lock", "[[package]]\nname = ", "invalid TOML"),
        ("Pipfile.lock", "{not json", "invalid JSON"),
        ("Pipfile.lock", "[1, 2]", "not a Pipfile.lock"),
        ("setup.py", "def (:", "cannot be parsed"),
        ("setup.cfg", "[options\ninstall_requires = x", "invalid INI"),
        ("requirements.txt", b"\xff\xfe\x00garbage", "not UTF-8 text"),
        ("uv.lock", "x = " + "[" * 5000 + "]" * 5000, "nested too deeply"),
    ],
)
def test_malformed_manifests_are_one_line_errors(tmp_path, name, content, error):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    (manifest,) = read(tmp_path)
    assert len(manifest.errors) == 1 and error in manifest.errors[0]
    assert "\n" not in manifest.errors[0]


def test_includes_never_leave_the_scan_root(tmp_path):
    (tmp_path / "outside.txt").write_text("secret-package==1.0\n")
    project = tmp_path / "project"
    project.mkdir()
    (project / "requirements.txt").write_text("-r ../outside.txt\n-r missing.txt\nalpha-pkg==1.0\n")
    (manifest,) = read(project)
    assert [d.name for d in manifest.dependencies] == ["alpha-pkg"]
    assert manifest.errors == [
        "requirements.txt: include '../outside.txt' is outside the scan root, not read",
        "requirements.txt: included file 'missing.txt' not found",
    ]
