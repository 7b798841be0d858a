"""Shared test helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).parent
REPO = TESTS.parent
FIXTURES = TESTS / "fixtures"
SHARED = REPO.parent / "shared"


@pytest.fixture
def repo_root() -> Path:
    return REPO


_WHEELS: dict[tuple[str, ...], Path] = {}


def pinned_packages(tmp_path_factory, *pins: str) -> Path:
    """The wheels of ``pins`` (exact versions), downloaded with pip and unpacked into one
    directory, once per test session; the calling test is skipped without a network."""
    import subprocess
    import sys
    import zipfile

    if pins in _WHEELS:
        return _WHEELS[pins]
    root = tmp_path_factory.mktemp("pinned")
    wheels = root / "wheels"
    try:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
             "--quiet", "--disable-pip-version-check", "-d", str(wheels), *pins],
            check=True, capture_output=True, timeout=240,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        pytest.skip(f"cannot download {', '.join(pins)} (offline?): {type(exc).__name__}")
    src = root / "src"
    for wheel in wheels.glob("*.whl"):
        with zipfile.ZipFile(wheel) as zf:
            zf.extractall(src)
    _WHEELS[pins] = src
    return src


@pytest.fixture(scope="session")
def dynamiq_scan(tmp_path_factory):
    """Every rule on dynamiq 0.69.0, the framework the checklist was written for."""
    from redline.config import Config
    from redline.scan import ScanOptions, run_scan

    src = pinned_packages(tmp_path_factory, "dynamiq==0.69.0")
    if not (src / "dynamiq").is_dir():
        pytest.skip("the dynamiq wheel holds no dynamiq package")
    return run_scan([src], Config(fail_on=None), ScanOptions(use_cache=False))
