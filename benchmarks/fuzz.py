"""A long fuzz run of redline's command line: mutated real files and generated programs.

Usage (with the interpreter that has redline and its test extras installed)::

    python benchmarks/fuzz.py --minutes 10 [--seed S] [--jobs J] [--timeout T]

Two generators take turns, one batch each (see ``tests/fuzzing.py``):

- ``mutation``: the ``.py`` files of the pinned packages that the clean-corpus test uses,
  downloaded with ``pip download --no-deps`` by ``tests/conftest.pinned_packages`` (unpacked
  once under ``benchmarks/.work/fuzz/corpus/``); skipped, with a line saying so, without a
  network;
- ``grammar``: valid programs from hypothesmith.

Every batch (15 generated files, an anchor file and fillers) is scanned three times by
``python -m redline scan`` under ``--timeout`` seconds: JSON with ``--fail-on never`` and
``--jobs 1`` (and SARIF), the same with ``--jobs J`` (default 2; the two reports must be
byte-identical), and the default gate with ``--jobs J``. Each failing input is triaged to the
files that fail alone and written to ``benchmarks/.work/fuzz/failures/NNNN-<generator>/``
(``input/`` and a one-line ``REASON``). The summary goes to stdout and to
``benchmarks/.work/fuzz/summary.json``. Exit status: 0 when nothing failed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / ".work" / "fuzz"
sys.path.insert(0, str(ROOT / "tests"))

import pytest  # noqa: E402  (pinned_packages skips through pytest without a network)

import fuzzing  # noqa: E402
from conftest import pinned_packages  # noqa: E402
from test_clean_corpus import CLEAN  # noqa: E402


class _Folders:
    """The one method of pytest's tmp_path_factory that ``pinned_packages`` uses."""

    def mktemp(self, name: str) -> Path:
        WORK.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=WORK))


def corpus() -> Path | None:
    """The unpacked pinned packages, downloaded on the first run."""
    done = WORK / "corpus"
    stamp = done / "PINS"
    if stamp.exists() and stamp.read_text() == "\n".join(CLEAN):
        return done
    try:
        src = pinned_packages(_Folders(), *CLEAN)
    except pytest.skip.Exception as exc:
        print(f"mutation generator skipped: {exc.msg}", file=sys.stderr)
        return None
    shutil.rmtree(done, ignore_errors=True)
    shutil.move(src, done)
    shutil.rmtree(src.parent, ignore_errors=True)
    stamp.write_text("\n".join(CLEAN))
    return done


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2, help="compared with --jobs 1 (default 2)")
    ap.add_argument("--timeout", type=float, default=fuzzing.TIMEOUT_S, help="seconds per scan")
    args = ap.parse_args()
    if args.jobs < 2:
        ap.error("--jobs must be at least 2")

    generators = {}
    src = corpus()
    if src is not None:
        sources = fuzzing.real_sources(src)
        print(f"mutation: {len(sources)} real files of {', '.join(CLEAN)}", file=sys.stderr)
        generators["mutation"] = fuzzing.mutation_batches(sources, args.seed)
    try:
        import hypothesmith  # noqa: F401
    except ImportError as exc:
        print(f"grammar generator skipped: {exc}", file=sys.stderr)
    else:
        generators["grammar"] = fuzzing.grammar_batches(args.seed)
    if not generators:
        print("nothing to run", file=sys.stderr)
        return 1

    failures_dir = WORK / "failures"
    shutil.rmtree(failures_dir, ignore_errors=True)
    tallies = {name: fuzzing.Tally() for name in generators}
    spent = dict.fromkeys(generators, 0.0)
    written = 0
    start = time.monotonic()
    deadline = start + args.minutes * 60
    while time.monotonic() < deadline:
        for name, batches in generators.items():
            if time.monotonic() >= deadline:
                break
            t0 = time.monotonic()
            files = next(batches)
            for failure in fuzzing.fuzz_batch(name, files, tallies[name], args.timeout, args.jobs):
                written += 1
                folder = fuzzing.write_failure(failures_dir, written, failure)
                print(f"FAIL {folder.relative_to(ROOT)}: {fuzzing.describe(failure)}", file=sys.stderr)
            spent[name] += time.monotonic() - t0
        if sys.stderr.isatty():
            done = ", ".join(f"{n} {t.batches} batches {len(t.failures)} failures" for n, t in tallies.items())
            print(f"\r{(time.monotonic() - start) / 60:.1f} min: {done} ", end="", file=sys.stderr)
    if sys.stderr.isatty():
        print(file=sys.stderr)

    minutes = (time.monotonic() - start) / 60
    rows = {}
    for name, t in tallies.items():
        rows[name] = {
            "minutes": round(spent[name] / 60, 2),
            "batches": t.batches,
            "files": t.files,
            "scans": t.scans,
            "scans_per_minute": round(t.scans / (spent[name] / 60), 1) if spent[name] else 0.0,
            "files_per_minute": round(t.files / (spent[name] / 60), 1) if spent[name] else 0.0,
            "crashes": t.count("crash"),
            "hangs": t.count("hang"),
            "failures": len(t.failures),
        }
    summary = {"minutes": round(minutes, 2), "seed": args.seed, "jobs": args.jobs,
               "timeout_s": args.timeout, "python": sys.version.split()[0], "generators": rows}
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")

    print(f"fuzz: {minutes:.1f} min, seed {args.seed}, --jobs 1 vs {args.jobs}, "
          f"{args.timeout:.0f} s per scan, Python {summary['python']}")
    print("| generator | minutes | files | scans | scans/min | crashes | hangs | other failures |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in rows.items():
        other = r["failures"] - r["crashes"] - r["hangs"]
        print(f"| {name} | {r['minutes']} | {r['files']} | {r['scans']} | {r['scans_per_minute']} "
              f"| {r['crashes']} | {r['hangs']} | {other} |")
    total = sum(r["failures"] for r in rows.values())
    if total:
        print(f"{total} failing input(s) under {failures_dir.relative_to(ROOT)}/")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
