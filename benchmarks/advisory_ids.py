#!/usr/bin/env python3
"""Advisory ids in each report format against independent readings of the PyPA snapshot.

Not a test (pytest never collects it). Run it with the interpreter that has redline
installed::

    python benchmarks/advisory_ids.py [--pypa DIR] [--env VENV]

Writes issue 15's ten-package ``requirements.txt`` under ``benchmarks/.work/ids/``,
scans it with the snapshot and counts the ``PYSEC-`` ids present in the Markdown,
JSON, SARIF and HTML reports. The same pins are read from the YAML records in four
plain ways, none of them redline's code: the explicit ``versions`` lists compared as
written and as PEP 440 versions, and the ``ECOSYSTEM`` ranges walked in the order
their events are written and sorted by version (the OSV schema's rule). Withdrawn
records count in none. With ``--env``, also times ``redline scan --env VENV``
(median of three).
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PYPA = ROOT.parent / "shared" / "advisories" / "pypa-vulns"
WORK = ROOT / "benchmarks" / ".work" / "ids"
PINS = {
    "langchain": "0.0.131", "jsonpickle": "1.4.1", "pyyaml": "5.3", "jinja2": "2.10",
    "requests": "2.19.0", "urllib3": "1.24.1", "restrictedpython": "5.0", "flask": "0.12",
    "django": "2.2.0", "aiohttp": "3.8.0",
}
FORMATS = {"markdown": "md", "json": "json", "sarif": "sarif", "html": "html"}
ID = re.compile(r"PYSEC-\d{4}-\d+")


def _v(text: str) -> Version | None:
    try:
        return Version(str(text))
    except InvalidVersion:
        return None


def _in_range(events: list[dict], version: Version, ordered: bool) -> bool:
    items = [(k, _v(x)) for e in events for k, x in e.items()]
    if any(v is None for _, v in items):
        return False
    if ordered:
        rank = {"fixed": 0, "last_affected": 1, "limit": 2, "introduced": 3}
        items.sort(key=lambda kv: (kv[1], rank.get(kv[0], 9)))
    state = False
    for kind, bound in items:
        if kind == "introduced" and version >= bound:
            state = True
        elif (kind in ("fixed", "limit") and version >= bound) or (kind == "last_affected" and version > bound):
            state = False
    return state


def plain_readings(pypa: Path) -> dict[str, dict[str, set[str]]]:
    """reading -> package -> ids."""
    out: dict[str, dict[str, set[str]]] = {k: {} for k in ("listed", "listed-pep440", "ranges-as-written", "ranges-sorted")}
    for name, pin in PINS.items():
        v = Version(pin)
        for k in out:
            out[k][name] = set()
        for path in sorted((pypa / name).glob("*.yaml")):
            rec = yaml.safe_load(path.read_text(encoding="utf-8"))
            if rec.get("withdrawn"):
                continue
            for aff in rec.get("affected") or []:
                listed = aff.get("versions") or []
                if pin in listed:
                    out["listed"][name].add(rec["id"])
                if v in {x for x in map(_v, listed) if x is not None}:
                    out["listed-pep440"][name].add(rec["id"])
                for r in aff.get("ranges") or []:
                    if r.get("type") != "ECOSYSTEM":
                        continue
                    if _in_range(r.get("events") or [], v, ordered=False):
                        out["ranges-as-written"][name].add(rec["id"])
                    if _in_range(r.get("events") or [], v, ordered=True):
                        out["ranges-sorted"][name].add(rec["id"])
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pypa", type=Path, default=DEFAULT_PYPA)
    parser.add_argument("--env", type=Path, default=None, help="a virtual environment to time `scan --env` on")
    args = parser.parse_args()
    if not args.pypa.is_dir():
        print(f"advisory_ids: {args.pypa}: no PyPA snapshot", file=sys.stderr)
        return 2
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / "requirements.txt").write_text("".join(f"{n}=={v}\n" for n, v in PINS.items()))
    outputs = []
    for ext in FORMATS.values():
        outputs += ["-o", str(WORK / f"report.{ext}")]
    cmd = [sys.executable, "-m", "redline", "scan", str(WORK), "--vuln-db", str(args.pypa), "--no-cache",
           "--fail-on", "never", "--quiet", *outputs]
    subprocess.run(cmd, check=True)
    readings = plain_readings(args.pypa)
    reference = {i for ids in readings["ranges-sorted"].values() for i in ids}
    print("| source | ids | django | differs from ranges-sorted |")
    print("|:--|--:|--:|:--|")
    for fmt, ext in FORMATS.items():
        ids = set(ID.findall((WORK / f"report.{ext}").read_text(encoding="utf-8")))
        diff = sorted(ids ^ reference)
        django = len([i for i in ids if (args.pypa / "django" / f"{i}.yaml").exists()])
        print(f"| redline {fmt} | {len(ids)} | {django} | {', '.join(diff) or '-'} |")
    for name, per_package in readings.items():
        ids = {i for s in per_package.values() for i in s}
        print(f"| plain: {name} | {len(ids)} | {len(per_package['django'])} | {', '.join(sorted(ids ^ reference)) or '-'} |")
    if args.env is not None:
        with tempfile.TemporaryDirectory() as empty:
            env_cmd = [sys.executable, "-m", "redline", "scan", empty, "--env", str(args.env), "--vuln-db",
                       str(args.pypa), "--no-cache", "--fail-on", "never", "--quiet"]
            times = []
            for _ in range(3):
                start = time.perf_counter()
                subprocess.run(env_cmd, check=True)
                times.append(time.perf_counter() - start)
        count = len({p.resolve() for p in args.env.glob("lib*/python*/site-packages/*") if p.name.endswith((".dist-info", ".egg-info"))})
        print(f"\n`redline scan --env {args.env}` ({count} distributions): {statistics.median(times):.2f} s (median of 3)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
