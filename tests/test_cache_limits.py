"""The result cache stays within its size limit (least recently used scans evicted first),
is shared by concurrent scans, and can be inspected and cleared from the command line."""

from __future__ import annotations

import os
import time
from pathlib import Path

from redline import cache as cache_mod
from redline.cli import main
from redline.config import Config
from redline.scan import ScanOptions, run_scan


def _entry(directory: Path, name: str, size: int, age_s: float) -> None:
    for suffix in (".json", ".flows.json"):
        path = directory / f"{name}{suffix}"
        path.write_bytes(b"x" * (size // 2))
        when = time.time() - age_s
        os.utime(path, (when, when))  # last read and last written then


def test_prune_evicts_the_least_recently_used_and_keeps_the_scans_own(tmp_path: Path) -> None:
    _entry(tmp_path, "old", 4000, 300)
    _entry(tmp_path, "mid", 4000, 200)
    _entry(tmp_path, "own", 4000, 400)
    _entry(tmp_path, "new", 4000, 100)
    (tmp_path / "advisories").mkdir()
    (tmp_path / "advisories" / "osv.zip").write_bytes(b"z" * 10000)
    freed = cache_mod.prune(tmp_path, 8000, keep="own")
    assert sorted(e.name for e in cache_mod.entries(tmp_path)) == ["new", "own"]
    assert freed == 8000
    assert (tmp_path / "advisories" / "osv.zip").exists()


def test_a_scan_keeps_the_cache_within_the_limit(tmp_path: Path, monkeypatch) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text("import requests\nrequests.get('https://example.com')\n")
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    _entry(cache_dir, "someoneelse", 200_000, 1000)
    monkeypatch.setenv(cache_mod.LIMIT_ENV, "0.05")  # about 52 kB
    first = run_scan([project], Config(), ScanOptions(cache_dir=cache_dir, jobs=1))
    names = [e.name for e in cache_mod.entries(cache_dir)]
    assert len(names) == 1 and names[0] != "someoneelse"
    again = run_scan([project], Config(), ScanOptions(cache_dir=cache_dir, jobs=1))
    assert [f.fingerprint for f in again.findings] == [f.fingerprint for f in first.findings]


def test_cache_info_and_clear(tmp_path: Path, capsys) -> None:
    _entry(tmp_path, "one", 2 * 1048576, 10)
    (tmp_path / "advisories").mkdir()
    assert main(["cache", "info", "--cache-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "2.0 MiB in 1 cached scan(s)" in out and "REDLINE_CACHE_MB" in out
    assert main(["cache", "clear", "--cache-dir", str(tmp_path)]) == 0
    assert "removed 1 cached scan(s), 2.0 MiB" in capsys.readouterr().out
    assert cache_mod.entries(tmp_path) == [] and (tmp_path / "advisories").is_dir()
    assert main(["cache"]) == 2


def test_concurrent_scans_share_one_cache(tmp_path: Path) -> None:
    """Scans of one tree at the same time, some editing a file between scans: each
    gets the results of the files it saw, and the cache stays whole."""
    import subprocess
    import sys

    project = tmp_path / "project"
    (project / "pkg").mkdir(parents=True)
    (project / "pkg" / "__init__.py").write_text("")
    for i in range(30):
        (project / "pkg" / f"m{i}.py").write_text(f"import pickle\n\ndef load_{i}(b):\n    return pickle.loads(b)\n")
    cache_dir = tmp_path / "cache"
    command = [sys.executable, "-m", "redline", "scan", str(project), "-f", "json", "--fail-on", "never",
               "--no-progress", "--jobs", "1", "--cache-dir", str(cache_dir)]
    scans = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(4)]
    outputs = [scan.communicate(timeout=300) for scan in scans]
    assert all(scan.returncode == 0 for scan in scans), [err.decode() for _, err in outputs]
    import json

    counts = {len(json.loads(out)["findings"]) for out, _ in outputs}
    assert counts == {30}
    again = run_scan([project], Config(), ScanOptions(cache_dir=cache_dir, jobs=1))
    assert len([f for f in again.findings if f.rule_id == "SER001"]) == 30
