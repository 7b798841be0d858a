#!/usr/bin/env python3
"""Precision on real code: findings on pinned real packages, judged by reading the code.

Not a test: pytest never collects it. Run it with the interpreter that has redline
installed::

    python benchmarks/precision.py fetch            # download and unpack the corpus
    python benchmarks/precision.py scan [-- ARGS]   # scan every package (extra redline args after --)
    python benchmarks/precision.py report [--half A|B] [--check]
    python benchmarks/precision.py todo  [--package NAME]   # findings still to judge, with code

The corpus is ``benchmarks/precision/packages.toml`` (pinned versions, split into
halves A and B by package). Labels live in ``benchmarks/precision/labels/NAME-VERSION.json``::

    {"package": "haystack-ai", "version": "3.4.1",
     "labels": [{"fingerprint": "...", "rule": "EXEC001", "path": "haystack/x.py",
                 "line": 12, "severity": "HIGH", "verdict": "tp|fp|debatable",
                 "reason": "one line: what the code does"}]}

A label is keyed by the finding's fingerprint (rule + path + enclosing scope +
normalised code, no line number), so it survives severity changes and edits elsewhere.
``report`` prints precision per severity and per rule (debatable counts as half),
HIGH+ findings per kSLOC, and which findings are still unjudged: every HIGH/CRITICAL
one and a deterministic sample of MEDIUM ones (see ``judged_set``).
``--check`` exits 1 when a figure falls under the floors in
``benchmarks/precision/floors.json`` or when an unjudged HIGH+ finding remains.
Everything downloaded or written goes to ``benchmarks/.work/precision/``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
DATA = HERE / "precision"
WORK = HERE / ".work" / "precision"
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW")
MEDIUM_SAMPLE = 4  # one MEDIUM finding in about this many is in the judged sample
MEDIUM_CAP = 15  # and at most this many per package
REPORTS = WORK / "reports"  # --reports DIR replaces it
VALUE = {"tp": 1.0, "debatable": 0.5, "fp": 0.0}


def packages(half: str | None = None) -> list[dict]:
    with open(DATA / "packages.toml", "rb") as fh:
        pkgs = tomllib.load(fh)["package"]
    return [p for p in pkgs if half is None or p["half"] == half]


def key(p: dict) -> str:
    return f"{p['name']}-{p['version']}"


def tree(p: dict) -> Path:
    return WORK / "trees" / key(p)


def fetch(pkgs: list[dict]) -> int:
    dl = WORK / "dl"
    dl.mkdir(parents=True, exist_ok=True)
    failed = 0
    for p in pkgs:
        dest = tree(p)
        if dest.is_dir():
            continue
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q",
               "-d", str(dl), f"{p['name']}=={p['version']}"]
        if subprocess.run(cmd, capture_output=True).returncode != 0:
            print(f"skipped: could not download {key(p)} (no network?)", file=sys.stderr)
            failed += 1
            continue
        norm = p["name"].replace("-", "_").lower()
        wheels = [w for w in dl.glob("*.whl") if w.name.lower().startswith(f"{norm}-{p['version']}-")]
        if not wheels:
            print(f"skipped: no wheel for {key(p)}", file=sys.stderr)
            failed += 1
            continue
        tmp = dest.with_suffix(".tmp")
        with zipfile.ZipFile(wheels[0]) as zf:
            zf.extractall(tmp)
        tmp.rename(dest)
        print(f"unpacked {key(p)}", file=sys.stderr)
    return failed


def scan(pkgs: list[dict], extra: list[str]) -> None:
    out = REPORTS
    out.mkdir(parents=True, exist_ok=True)
    for p in pkgs:
        if not tree(p).is_dir():
            print(f"skipped: {key(p)} not fetched", file=sys.stderr)
            continue
        report = out / f"{key(p)}.json"
        cmd = ["redline", "scan", str(tree(p)), "--format", "json", "--fail-on", "never",
               "--no-progress", "--quiet", "-o", str(report), *extra]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"error: redline failed on {key(p)}: {proc.stderr.strip()[-400:]}", file=sys.stderr)
            continue
        print(f"scanned {key(p)}", file=sys.stderr)


def load_report(p: dict) -> dict | None:
    path = REPORTS / f"{key(p)}.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def load_labels(p: dict) -> dict[str, dict]:
    path = DATA / "labels" / f"{key(p)}.json"
    if not path.is_file():
        return {}
    return {lab["fingerprint"]: lab for lab in json.loads(path.read_text(encoding="utf-8"))["labels"]}


def _rank(f: dict) -> int:
    return int(hashlib.sha256(f["fingerprint"].encode()).hexdigest(), 16)


def judged_set(findings: list[dict]) -> set[str]:
    """Fingerprints of a report's judged findings: every HIGH+ one, and a stable sample of
    the MEDIUM ones (about one in MEDIUM_SAMPLE, at most MEDIUM_CAP per package, chosen
    by a hash of the fingerprint so that the same findings are picked every run)."""
    out = {f["fingerprint"] for f in findings if f["severity"] in ("CRITICAL", "HIGH")}
    medium = sorted((f for f in findings if f["severity"] == "MEDIUM" and _rank(f) % MEDIUM_SAMPLE == 0), key=_rank)
    out.update(f["fingerprint"] for f in medium[:MEDIUM_CAP])
    return out


def sloc(root: Path) -> int:
    n = 0
    for path in root.rglob("*.py"):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        n += sum(1 for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#"))
    return n


def report(pkgs: list[dict], check: bool) -> int:
    by_sev: dict[str, list[float]] = defaultdict(list)
    by_rule: dict[tuple[str, str], list[float]] = defaultdict(list)
    unjudged: list[tuple[str, dict]] = []
    counts: Counter[str] = Counter()
    kloc = 0.0
    rows = []
    for p in pkgs:
        rep = load_report(p)
        if rep is None:
            continue
        labels = load_labels(p)
        size = sloc(tree(p)) / 1000 if tree(p).is_dir() else 0.0
        kloc += size
        high = 0
        judged = judged_set(rep["findings"])
        for f in rep["findings"]:
            sev = f["severity"]
            counts[sev] += 1
            high += sev in ("CRITICAL", "HIGH")
            if f["fingerprint"] not in judged:
                continue
            lab = labels.get(f["fingerprint"])
            if lab is None:
                unjudged.append((key(p), f))
                continue
            v = VALUE[lab["verdict"]]
            band = "HIGH+" if sev in ("CRITICAL", "HIGH") else sev
            by_sev[band].append(v)
            by_rule[(f["rule_id"], band)].append(v)
        rows.append((key(p), p["half"], size, high, verdict_of(rep)))

    def pct(values: list[float]) -> str:
        return f"{100 * sum(values) / len(values):5.1f}% of {len(values):3d}" if values else "      -     "

    print("| package | half | kSLOC | HIGH+ | verdict |\n|---|---|--:|--:|---|")
    for name, half, size, high, verdict in rows:
        print(f"| {name} | {half} | {size:.1f} | {high} | {verdict} |")
    print()
    total_high = counts["CRITICAL"] + counts["HIGH"]
    print(f"findings: {dict(counts)}; HIGH+ per kSLOC: {total_high / kloc if kloc else 0:.3f} ({total_high} in {kloc:.0f} kSLOC)")
    print(f"precision HIGH+:  {pct(by_sev['HIGH+'])}")
    print(f"precision MEDIUM: {pct(by_sev['MEDIUM'])} (sample: 1 in {MEDIUM_SAMPLE}, at most {MEDIUM_CAP} per package)")
    print("\nper rule (judged findings):")
    for (rule, band), values in sorted(by_rule.items()):
        print(f"  {rule:8s} {band:7s} {pct(values)}")
    if unjudged:
        print(f"\nunjudged: {len(unjudged)} ({sum(f['severity'] in ('CRITICAL', 'HIGH') for _, f in unjudged)} HIGH+)")
        for name, f in unjudged[:60]:
            loc = f["location"]
            print(f"  {name} {f['severity']:8s} {f['rule_id']} {loc['path']}:{loc['line']} {f['fingerprint']}  {f['message'][:90]}")
    if not check:
        return 0
    failed = []
    floors_path = DATA / "floors.json"
    floors = json.loads(floors_path.read_text()) if floors_path.is_file() else {}
    for band, floor in floors.get("precision", {}).items():
        values = by_sev.get(band, [])
        if values and 100 * sum(values) / len(values) < floor:
            failed.append(f"precision {band} under {floor}%")
    if any(f["severity"] in ("CRITICAL", "HIGH") for _, f in unjudged):
        failed.append("unjudged HIGH+ findings")
    for line in failed:
        print(f"FAIL: {line}")
    return 1 if failed else 0


def verdict_of(rep: dict) -> str:
    return rep.get("summary", {}).get("verdict", "?")


def todo(pkgs: list[dict], context: int) -> None:
    """Every unjudged finding of the judged set, with the code around it, for a reviewer."""
    for p in pkgs:
        rep = load_report(p)
        if rep is None:
            continue
        labels = load_labels(p)
        judged = judged_set(rep["findings"])
        for f in rep["findings"]:
            if f["fingerprint"] not in judged or f["fingerprint"] in labels:
                continue
            loc = f["location"]
            print(f"=== {key(p)} {f['severity']} {f['rule_id']} {loc['path']}:{loc['line']} fingerprint={f['fingerprint']}")
            print(f"message: {f['message']}")
            for step in f.get("taint_path", []):
                sl = step["location"]
                print(f"  step {sl['path']}:{sl['line']}: {step['description']}")
            path = tree(p) / loc["path"]
            try:
                lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                continue
            lo, hi = max(0, loc["line"] - 1 - context), min(len(lines), loc["line"] + context)
            for n in range(lo, hi):
                mark = ">>" if n + 1 == loc["line"] else "  "
                print(f"{mark}{n + 1:5d} {lines[n]}")


def main() -> int:
    global REPORTS
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("command", choices=("fetch", "scan", "report", "todo"))
    ap.add_argument("--half", choices=("A", "B"))
    ap.add_argument("--package", help="only this package (name)")
    ap.add_argument("--check", action="store_true", help="report: exit 1 on a regression")
    ap.add_argument("--context", type=int, default=8, help="todo: lines of code either side")
    ap.add_argument("--reports", type=Path, help=f"where reports are written and read (default {REPORTS})")
    args, extra = ap.parse_known_args()
    if args.reports is not None:
        REPORTS = args.reports.resolve()
    extra = [a for a in extra if a != "--"]
    pkgs = [p for p in packages(args.half) if args.package in (None, p["name"])]
    if args.command == "fetch":
        fetch(pkgs)
        return 0
    if args.command == "scan":
        scan(pkgs, extra)
        return 0
    if args.command == "todo":
        todo(pkgs, args.context)
        return 0
    return report(pkgs, args.check)


if __name__ == "__main__":
    sys.exit(main())
