#!/usr/bin/env python3
"""Recall on a mined corpus of published advisories, and findings on their fixed releases.

Not a test: pytest never collects it. Run it with the interpreter that has redline
installed::

    python benchmarks/cves.py fetch            # download and unpack the pinned releases
    python benchmarks/cves.py scan [--only T]  # scan every tree (or those named) with redline
    python benchmarks/cves.py report [--half A|B] [--json FILE]

The corpus is ``benchmarks/cves/cases/*.json``: vulnerable/fixed pairs in the format of
``shared/bench/real-cves/cases.json`` (see ``benchmarks/cves/README.md``), each pinned to
its sink by diffing the vulnerable release against the first fixed one. Trees go to
``benchmarks/.work/cves/<package>-<version>/``, reports to ``benchmarks/.work/cves-reports/``.
Every tree is scanned whole (sources in other modules count) with the threat models
``remote`` and ``library``: the advisories are against libraries and servers alike.

A case is found when a finding of its category lies in its file, inside the function's
span or within three lines of a sink line (the dev set's rule). ``--half`` keeps the
packages of one half: the halves are fixed by a hash of the package name, so a fix
that works on one half only shows as a gap between them.
"""

from __future__ import annotations

import argparse
import collections
import json
import shutil
import subprocess
import sys
import tarfile
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import real_cves  # noqa: E402

HERE = Path(__file__).resolve().parent
CASES = HERE / "cves" / "cases"
WORK = HERE / ".work"
TREES = WORK / "cves"
REPORTS = WORK / "cves-reports"
# Wheels some old releases publish only for older Pythons: the same files as on any.
FALLBACK_PIP = ["--only-binary=:all:", "--python-version", "3.9", "--implementation", "cp",
                "--abi", "cp39", "--platform", "manylinux2014_x86_64"]


def load_cases() -> list[dict]:
    cases: list[dict] = []
    for f in sorted(CASES.glob("*.json")):
        cases.extend(json.loads(f.read_text()))
    seen: set[str] = set()
    for c in cases:
        if c["id"] in seen:
            raise SystemExit(f"error: duplicate case id {c['id']}")
        seen.add(c["id"])
    return cases


def half(package: str) -> str:
    return "AB"[zlib.crc32(package.encode()) % 2]


def _unpack(archive: Path, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    if archive.suffix in (".whl", ".zip"):
        with zipfile.ZipFile(archive) as z:
            z.extractall(dest)
        return
    with tarfile.open(archive) as t:
        members = []
        for m in t.getmembers():  # an sdist: drop its top folder (pkg-1.0/)
            m.name = m.name.split("/", 1)[1] if "/" in m.name else ""
            if m.name and (m.isfile() or m.isdir()):
                members.append(m)
        # the data filter refuses absolute paths, "..", links and devices
        t.extractall(dest, members=members, filter="data")


def _download(package: str, version: str, extra: list[str]) -> str:
    tree = TREES / f"{package}-{version}"
    if tree.is_dir() and any(tree.iterdir()):
        return f"present {tree.name}"
    tmp = TREES / "_dist" / tree.name
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    base = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "-q",
            "-d", str(tmp), f"{package}=={version}"]
    for args in ([*base, *extra], [*base, *FALLBACK_PIP]):
        if subprocess.run(args, capture_output=True, text=True).returncode == 0:
            break
    else:
        return f"FAILED {tree.name}"
    (archive,) = list(tmp.iterdir())
    _unpack(archive, tree)
    shutil.rmtree(tmp, ignore_errors=True)
    return f"ok {tree.name}"


def trees_of(cases: list[dict]) -> dict[str, tuple[str, str, list[str]]]:
    out = {}
    for c in cases:
        out[real_cves.tree_name(c)] = (c["package"], c["scan_version"], c.get("pip_args", []))
    return out


def cmd_fetch(cases: list[dict], args) -> int:
    TREES.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda t: _download(*t), trees_of(cases).values()))
    failed = [r for r in results if r.startswith("FAILED")]
    for r in results:
        real_cves.log(r)
    if failed and len(failed) == len(results):
        print("skipped: no network")
        return 0
    return 1 if failed else 0


def cmd_scan(cases: list[dict], args) -> int:
    redline = real_cves.default_redline()
    names = sorted(trees_of(cases))
    if args.only:
        names = [n for n in names if any(o in n for o in args.only)]
    failed = 0
    for name in names:
        tree = TREES / name
        if not real_cves.tree_ready(tree):
            real_cves.log(f"scan {name}: not fetched")
            failed += 1
            continue
        doc = real_cves.scan(redline, tree, REPORTS / f"{name}.json", args.timeout, args.threat_model)
        if "_error" in doc:
            real_cves.log(f"scan {name}: FAILED ({doc['_error']})")
            failed += 1
            continue
        real_cves.log(f"scan {name}: {doc['files_scanned']} files, {len(doc['findings'])} findings, {doc['_seconds']:.1f}s")
    return 1 if failed else 0


def _records(name: str) -> list[dict] | None:
    report = REPORTS / f"{name}.json"
    if not report.exists():
        return None
    return real_cves.convert(name, json.loads(report.read_text()))


def judge(cases: list[dict]) -> list[dict]:
    scorer = real_cves.load_scorer(real_cves.bench_dir(real_cves.default_shared()))
    cache: dict[str, list[dict] | None] = {}
    out = []
    for c in cases:
        name = real_cves.tree_name(c)
        if name not in cache:
            cache[name] = _records(name)
        records = cache[name]
        if records is None:
            out.append({**c, "outcome": "not scanned", "matched": [], "nearby": []})
            continue
        nearby = [r for r in records if real_cves.near(c, r)]
        matched = [r for r in nearby if r["category"] and scorer.hit(c, r)]
        out.append({
            **c,
            "outcome": real_cves.outcome(c, matched),
            "matched": [{k: r[k] for k in ("rule_id", "line", "severity")} for r in matched],
            "nearby": [{k: r[k] for k in ("rule_id", "line", "severity", "category")} for r in nearby],
        })
    return out


def _rate(rows: list[dict]) -> str:
    vuln = [r for r in rows if r["kind"] == "vulnerable"]
    hit = sum(r["outcome"] == "HIT" for r in vuln)
    fixed = [r for r in rows if r["kind"] != "vulnerable"]
    fp = sum(r["outcome"].startswith("FP") for r in fixed)
    pct = f"{100 * hit / len(vuln):.0f} %" if vuln else "-"
    return f"{hit}/{len(vuln)} ({pct}) | {fp}/{len(fixed)}"


def cmd_report(cases: list[dict], args) -> int:
    if args.half:
        cases = [c for c in cases if half(c["package"]) == args.half]
    rows = judge(cases)
    print(f"# Mined advisories: {sum(r['kind'] == 'vulnerable' for r in rows)} vulnerable, "
          f"{sum(r['kind'] != 'vulnerable' for r in rows)} fixed"
          + (f" (half {args.half})" if args.half else "") + "\n")
    print("| group | recall | findings on fixed |\n|---|---|---|")
    print(f"| all | {_rate(rows)} |")
    for h in "AB":
        part = [r for r in rows if half(r["package"]) == h]
        if part and not args.half:
            print(f"| half {h} | {_rate(part)} |")
    for key in ("category", "source_kind"):
        groups = collections.defaultdict(list)
        for r in rows:
            groups[r.get(key) or "-"].append(r)
        for g in sorted(groups):
            print(f"| {key} {g} | {_rate(groups[g])} |")
    cross = [r for r in rows if r.get("cross_module")]
    print(f"| cross-module | {_rate(cross)} |")
    print("\n| case | category | source | outcome | near the sink |\n|---|---|---|---|---|")
    for r in rows:
        near = "; ".join(f"{m['rule_id']} L{m['line']} {m['severity']}" for m in r["nearby"][:4]) or "-"
        print(f"| {r['id']} | {r['category']} | {r.get('source_kind', '-')} | {r['outcome']} | {near} |")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("fetch")
    s = sub.add_parser("scan")
    s.add_argument("--only", nargs="*", help="scan only the trees whose names contain one of these")
    s.add_argument("--timeout", type=float, default=900)
    s.add_argument("--threat-model", default="library")
    r = sub.add_parser("report")
    r.add_argument("--half", choices=["A", "B"])
    r.add_argument("--json", help="write the judged cases here")
    args = ap.parse_args()
    cases = load_cases()
    return {"fetch": cmd_fetch, "scan": cmd_scan, "report": cmd_report}[args.cmd](cases, args)


if __name__ == "__main__":
    sys.exit(main())
