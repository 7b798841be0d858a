#!/usr/bin/env python3
"""Where the pattern rules spend their time: seconds per check function and per rule
module on one corpus, in one process (``--jobs 1``), everything else as in a cold scan.

Not a test. Use it to find the check that a new rule made slow; quote the share of the
scan it takes, not its absolute seconds (they depend on the machine)::

    python benchmarks/bench_checks.py [--corpus DIR] [--top 25]

Without ``--corpus`` it scans the langchain-community tree that ``bench_speed.py``
unpacked under ``benchmarks/.work/corpus/`` (run that once first).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

WORK = Path(__file__).resolve().parent / ".work"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=None, help="directory to scan")
    ap.add_argument("--top", type=int, default=25, help="check functions to list (default 25)")
    args = ap.parse_args()
    corpus = args.corpus or next(iter(sorted((WORK / "corpus").glob("langchain-community-*"))), None)
    if corpus is None or not corpus.is_dir():
        print("no corpus: pass --corpus DIR or run benchmarks/bench_speed.py once", file=sys.stderr)
        return 2

    from redline.config import Config
    from redline.rules import registry
    from redline.scan import ScanOptions, run_scan

    registry.load_all()
    seconds: Counter[str] = Counter()
    calls: Counter[str] = Counter()

    def timed(fn):
        name = f"{fn.__module__.rsplit('.', 1)[-1]}.{fn.__name__}"

        def wrapper(ctx, node):
            start = time.perf_counter()
            try:
                return fn(ctx, node)
            finally:
                seconds[name] += time.perf_counter() - start
                calls[name] += 1

        return wrapper

    registry.CHECKS[:] = [
        registry.Check(timed(c.fn), c.rules, c.node_types, c.calls) for c in registry.CHECKS
    ]
    start = time.perf_counter()
    result = run_scan([corpus], Config(fail_on=None), ScanOptions(use_cache=False, jobs=1))
    total = time.perf_counter() - start
    in_checks = sum(seconds.values())
    print(f"{corpus.name}: {result.files_scanned} files, {total:.2f} s in one process, "
          f"{in_checks:.2f} s ({in_checks / total:.0%}) in pattern checks (timer overhead included)")
    modules: Counter[str] = Counter()
    for name, s in seconds.items():
        modules[name.split(".")[0]] += s
    print("\n| rule module | seconds | share of the scan |\n|---|---:|---:|")
    for module, s in modules.most_common():
        print(f"| {module} | {s:.3f} | {s / total:.1%} |")
    print("\n| check | seconds | calls | share of the scan |\n|---|---:|---:|---:|")
    for name, s in seconds.most_common(args.top):
        print(f"| {name} | {s:.3f} | {calls[name]} | {s / total:.1%} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
