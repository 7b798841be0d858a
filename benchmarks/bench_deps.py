#!/usr/bin/env python3
"""Dependency-audit benchmark: accuracy and speed against the PyPA advisory snapshot.

Not a test (pytest never collects it). Run it with the interpreter that has redline
installed::

    python benchmarks/bench_deps.py [--runs 5] [--packages 200] [--pypa DIR]

What it measures, offline, on files it writes under ``benchmarks/.work/deps/``:

1. **Accuracy**: a ``uv.lock`` pinning every package of the snapshot that has an
   advisory to the oldest version some advisory lists, and a second lock pinning
   the same packages to a version no advisory lists. Expected advisories come from
   an independent oracle (the explicit ``versions`` lists of the PyPA records);
   found ones from redline's range evaluation. Prints found / expected, missed and
   extra.
2. **Speed**: the audit of a ``--packages``-package lock file (``uv.lock``, real
   package names from the snapshot, vulnerable pins) timed ``--runs`` times (median)
   three ways: reading the snapshot directory (only the packages used are read),
   reading all of it from an ``all.zip`` built from the snapshot (what ``redline db
   update`` data looks like), and the whole ``redline scan`` command on the lock file.

Prints a Markdown table and writes ``results-deps.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import yaml

from redline.deps import osv
from redline.deps.audit import AuditSettings, run
from redline.rules.dependencies import DEP001

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work" / "deps"
DEFAULT_PYPA = HERE.parent.parent / "shared" / "advisories" / "pypa-vulns"


def records(pypa: Path) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for path in sorted(pypa.glob("*/*.yaml")):
        record = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not record.get("withdrawn"):
            out.setdefault(path.parent.name, []).append(record)
    return out


def oracle(recs: list[dict], version: str) -> set[str]:
    return {r["id"] for r in recs if any(version in (a.get("versions") or []) for a in r["affected"])}


def pick_versions(data: dict[str, list[dict]]) -> tuple[dict[str, str], dict[str, str]]:
    """(vulnerable pin, clean pin) per package; clean only where one can be named."""
    vulnerable, clean = {}, {}
    for name, recs in data.items():
        listed = [v for r in recs for a in r["affected"] for v in (a.get("versions") or [])]
        if not listed:
            continue
        vulnerable[name] = sorted(listed, key=lambda v: (osv._version_key(v), v))[0]
        fixes = sorted(
            {e["fixed"] for r in recs for a in r["affected"] for rg in a.get("ranges", []) for e in rg["events"] if "fixed" in e},
            key=osv._version_key,
        )
        for candidate in reversed(fixes):
            if not oracle(recs, candidate):
                clean[name] = candidate
                break
    return vulnerable, clean


def uv_lock(pins: dict[str, str]) -> str:
    body = "".join(
        f'[[package]]\nname = "{n}"\nversion = "{v}"\nsource = {{ registry = "https://pypi.org/simple" }}\n\n'
        for n, v in pins.items()
    )
    return "version = 1\nrequires-python = \">=3.10\"\n\n" + body


def audit(project: Path, db: Path):
    files = [(project / "uv.lock", "uv.lock", "lockfile")]
    return run(files, project, AuditSettings(vuln_db=db), frozenset({DEP001.id}))


def accuracy(data, pins: dict[str, str], project: Path, pypa: Path) -> dict:
    project.mkdir(parents=True, exist_ok=True)
    (project / "uv.lock").write_text(uv_lock(pins))
    db = osv.load(pypa, set(pins))
    expected = found = missed = extra = 0
    examples = []
    for name, version in pins.items():
        want = oracle(data[name], version)
        got = {m.id for m in db.vulnerabilities(name, version)}
        # merged aliases: an advisory found under another id of the same vulnerability counts
        got_all = set()
        for m in db.vulnerabilities(name, version):
            got_all |= {m.id, *m.aliases}
        expected += len(want)
        found += len(want & got_all)
        missed += len(want - got_all)
        extra += len(got - want)
        if (want - got_all or got - want) and len(examples) < 12:
            examples.append({"package": name, "version": version, "missed": sorted(want - got_all), "extra": sorted(got - want)})
    outcome = audit(project, pypa)
    return {
        "packages": len(pins),
        "expected": expected,
        "found": found,
        "missed": missed,
        "extra": extra,
        "packages_flagged": len(outcome.findings),
        "examples": examples,
    }


def timed(fn, runs: int) -> float:
    fn()  # warm-up
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--packages", type=int, default=200)
    parser.add_argument("--pypa", type=Path, default=DEFAULT_PYPA)
    args = parser.parse_args()
    if not args.pypa.is_dir():
        print(f"skipped: no PyPA snapshot at {args.pypa}")
        return 0
    WORK.mkdir(parents=True, exist_ok=True)
    data = records(args.pypa)
    vulnerable, clean = pick_versions(data)
    acc_vuln = accuracy(data, vulnerable, WORK / "vulnerable", args.pypa)
    acc_clean = accuracy(data, clean, WORK / "clean", args.pypa)

    names = sorted(vulnerable)[: args.packages]
    bench = WORK / f"lock-{len(names)}"
    bench.mkdir(parents=True, exist_ok=True)
    (bench / "uv.lock").write_text(uv_lock({n: vulnerable[n] for n in names}))
    archive = WORK / "pypa-all.zip"
    if not archive.exists():
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(args.pypa.glob("*/*.yaml")):
                zf.write(path, path.relative_to(args.pypa).as_posix())
    t_dir = timed(lambda: audit(bench, args.pypa), args.runs)
    t_zip = timed(lambda: audit(bench, archive), args.runs)
    cmd = [sys.executable, "-m", "redline", "scan", str(bench), "--no-cache", "--fail-on", "never",
           "--quiet", "--vuln-db", str(args.pypa)]
    t_cli = timed(lambda: subprocess.run(cmd, check=True), args.runs)
    flagged = len(audit(bench, args.pypa).findings)

    results = {
        "accuracy_vulnerable_pins": acc_vuln,
        "accuracy_clean_pins": acc_clean,
        "lock_packages": len(names),
        "lock_packages_flagged": flagged,
        "audit_seconds_snapshot_dir": round(t_dir, 3),
        "audit_seconds_all_zip": round(t_zip, 3),
        "scan_command_seconds": round(t_cli, 3),
        "runs": args.runs,
    }
    (WORK / "results-deps.json").write_text(json.dumps(results, indent=2) + "\n")
    print("| measure | value |\n|---|---|")
    print(f"| vulnerable pins: advisories found / expected | {acc_vuln['found']} / {acc_vuln['expected']} "
          f"({acc_vuln['packages']} packages, {acc_vuln['extra']} extra) |")
    print(f"| clean pins: advisories reported | {acc_clean['extra']} ({acc_clean['packages']} packages) |")
    print(f"| {len(names)}-package uv.lock: packages flagged | {flagged} |")
    print(f"| audit, snapshot directory (median of {args.runs}) | {t_dir:.3f} s |")
    print(f"| audit, all.zip of the snapshot (median of {args.runs}) | {t_zip:.3f} s |")
    print(f"| `redline scan` of the lock file (median of {args.runs}) | {t_cli:.3f} s |")
    for label, acc in (("vulnerable", acc_vuln), ("clean", acc_clean)):
        for ex in acc["examples"]:
            print(f"  {label} pins, disagreement with the versions lists: {ex}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
