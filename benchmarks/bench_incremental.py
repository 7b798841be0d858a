#!/usr/bin/env python3
"""Incremental-scan benchmark (issue 17): the cost of a re-scan grows with the change,
not with the repository.

Not a test: pytest never collects it (no ``test_`` prefix, and ``testpaths`` is
``tests``). Run it with the interpreter that has redline installed::

    python benchmarks/bench_incremental.py [--runs 3] [--jobs N] [--trees lc,tf,large]
                                           [--no-bandit]

It reuses the helpers of ``bench_speed.py`` (wheel download, the peers venv with
pinned Bandit, ``run_once`` for wall time and peak RSS). Everything goes under
``benchmarks/.work/`` (git-ignored):

1. Trees, from pinned wheels (``pip download --no-deps --only-binary=:all:`` into
   ``dl/``, unpacked under ``corpus/``):

   * ``lc``: langchain-community 0.3.27 (1,246 Python files);
   * ``tf``: transformers 4.36.0 (1,503 files, 829 kLOC);
   * ``large``: five wheels unpacked side by side into one directory, as in a
     ``site-packages``: langchain-community 0.3.27, transformers 4.36.0,
     Django 4.2.7, networkx 3.2.1 and Twisted 23.10.0 (5,031 files, 1.78 million
     lines).

   Without network it prints ``skipped: no network`` and exits 0.
2. For each tree, after one untimed run that fills the cache of the re-scan
   configurations, ``--runs`` rounds over these configurations, every redline run
   ``redline scan TREE --format json --fail-on never --no-progress --jobs N``:

   * ``cold``: ``--no-cache``;
   * ``cold-write``: an empty ``--cache-dir`` (deleted before every run); the cache
     directory's size on disk is measured after each run;
   * ``unchanged``: the filled ``--cache-dir``, nothing changed;
   * ``edit``: the same cache directory after a one-line edit of one file (the
     statement ``_redline_bench_edit = N``, N the round number, inserted as the first
     body statement of the file's first top-level public function); the file's bytes
     and times are restored afterwards, and one untimed re-scan puts the cache back;
   * ``edit-body``: the same, the statement ``eval(P); _redline_bench_edit = N`` (P the
     function's first parameter, else ``input()``): the module's flows change, its
     definitions do not (the part of the project the change reaches is searched);
   * ``edit-flow``: a function whose parameter reaches ``os.system`` appended to the
     file: a new definition (the calls written with its name are linked again) and a
     new flow;
   * ``bandit``: ``bandit -r -q -f json -o /dev/null TREE`` (the peers venv).

   Every timed run goes through ``bench_speed.run_once(cmd, sample_tree=True)``:
   wall time, ``ru_maxrss`` (largest single process) and the RSS summed over the
   process tree, sampled from ``/proc`` every 50 ms.
3. Prints a Markdown table (medians of the runs, peak memory over the runs) and
   writes every run, command and the edited file to ``results-incremental.json``.
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import hashlib
import importlib.util
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_speed as bs  # noqa: E402  (a sibling module, not a package)

WORK = bs.WORK
CORPUS = WORK / "corpus"

LC = ("langchain-community", "0.3.27")
TF = ("transformers", "4.36.0")
# Three well-known, pure-Python (py3-none-any) wheels that bring the large tree to
# about 5,000 files and 1.7-1.8 million lines with the two above.
LARGE_EXTRA = (("Django", "4.2.7"), ("networkx", "3.2.1"), ("Twisted", "23.10.0"))

TREES: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "lc": ("langchain-community 0.3.27", (LC,)),
    "tf": ("transformers 4.36.0", (TF,)),
    "large": ("large (5 packages)", (LC, TF, *LARGE_EXTRA)),
}
LARGE_DIR = "large-5-packages"  # its .unpacked marker lists the wheels

EDIT_NAME = "_redline_bench_edit"
MIB = 1024 * 1024

log = bs.log


# --------------------------------------------------------------------------- trees


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def download_wheel(name: str, version: str) -> Path | None:
    """The pinned wheel in ``dl/``, downloaded when missing; None when that fails."""
    dl = WORK / "dl"
    dl.mkdir(parents=True, exist_ok=True)
    prefix = f"{_normalise(name)}-{version}-"

    def found() -> list[Path]:  # wheel names are not always lower case (Django-...)
        return sorted(p for p in dl.glob("*.whl") if p.name.lower().startswith(prefix))

    wheels = found()
    if wheels:
        return wheels[0]
    log(f"corpus: pip download {name}=={version}")
    proc = subprocess.run(
        [*bs.pip_command(), "download", "--no-deps", "--only-binary=:all:",
         "--timeout", "30", "--retries", "1", f"{name}=={version}", "-d", str(dl)],
        capture_output=True, text=True,
    )
    wheels = found()
    if proc.returncode != 0 or not wheels:
        log(proc.stderr.strip()[-2000:])
        return None
    return wheels[0]


def unpack(wheels: list[Path], target: Path) -> Path:
    """Unpack the wheels into one directory (kept between runs, redone when the
    wheel list changes). Two wheels writing the same path is an error."""
    done = target / ".unpacked"
    want = "".join(w.name + "\n" for w in wheels)
    if done.is_file() and done.read_text() == want:
        log(f"corpus: using {target}")
        return target
    if target.exists():
        shutil.rmtree(target)  # a half-finished or different unpack
    target.mkdir(parents=True)
    owner: dict[str, str] = {}
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as zf:
            for member in zf.namelist():
                if member in owner and not member.endswith("/"):
                    raise SystemExit(f"{member} is in both {owner[member]} and {wheel.name}")
                owner[member] = wheel.name
            zf.extractall(target)
    done.write_text(want)
    log(f"corpus: unpacked {', '.join(w.name for w in wheels)} into {target}")
    return target


def fetch_tree(key: str) -> tuple[Path, list[Path]] | None:
    _, packages = TREES[key]
    wheels = []
    for name, version in packages:
        wheel = download_wheel(name, version)
        if wheel is None:
            return None
        wheels.append(wheel)
    if len(packages) == 1:
        name, version = packages[0]
        # the same directory (and marker) as bench_speed.fetch_corpus for langchain-community
        target = CORPUS / f"{name}-{version}"
    else:
        target = CORPUS / LARGE_DIR
    return unpack(wheels, target), wheels


def py_files(tree: Path) -> list[Path]:
    return sorted(p for p in tree.rglob("*.py") if p.is_file())


def count_lines(files: list[Path]) -> int:
    """Lines as newline characters: a plain count, comments and blank lines included."""
    return sum(p.read_bytes().count(b"\n") for p in files)


def package_counts(wheel: Path) -> dict[str, object]:
    files = lines = 0
    with zipfile.ZipFile(wheel) as zf:
        for info in zf.infolist():
            if info.filename.endswith(".py"):
                files += 1
                lines += zf.read(info).count(b"\n")
    return {"wheel": wheel.name, "py_files": files, "lines": lines}


def disk_usage(directory: Path) -> tuple[int, int]:
    """(bytes allocated on disk, apparent bytes) of every file under directory."""
    on_disk = apparent = 0
    for root, _, names in os.walk(directory):
        for n in names:
            try:
                st = os.lstat(os.path.join(root, n))
            except OSError:
                continue
            on_disk += getattr(st, "st_blocks", 0) * 512 or st.st_size
            apparent += st.st_size
    return on_disk, apparent


def redline_stamp() -> str | None:
    """A hash of the timed redline's own files (path, size, mtime), as its cache key
    takes them: when it changes between runs (an editable install being edited), the
    re-scans miss the cache and their times say nothing."""
    spec = importlib.util.find_spec("redline")
    if spec is None or not spec.origin:
        return None
    pkg = Path(spec.origin).parent
    h = hashlib.sha256()
    for path in sorted(pkg.rglob("*")):
        if path.suffix in (".py", ".toml", ".yaml", ".json") and path.is_file():
            st = path.stat()
            h.update(f"{path.relative_to(pkg)}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


# --------------------------------------------------------------------------- the edit

_PUBLIC_DEF = re.compile(rb"^(?:async[ \t]+)?def[ \t]+[A-Za-z]\w*[ \t]*\(", re.M)


@dataclass
class EditPlan:
    path: Path
    rel: str
    size: int
    function: str
    line: int  # 1-based line the statement is inserted before
    indent: str
    candidates: int
    param: str = ""  # the function's first parameter (for the edit of its flows)


def _plan_for(path: Path, tree: Path, candidates: int) -> EditPlan | None:
    data = path.read_bytes()
    if b"\r" in data:
        return None
    try:
        module = ast.parse(data)
    except (SyntaxError, ValueError):
        return None
    lines = data.split(b"\n")
    for node in module.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if node.name.startswith("_"):
            continue
        first = node.body[0]
        before = lines[first.lineno - 1][: first.col_offset]
        if first.lineno <= node.lineno or before.strip():
            return None  # body on the header's line: no line to insert before
        params = [a.arg for a in node.args.posonlyargs + node.args.args if a.arg not in ("self", "cls")]
        plan = EditPlan(path, path.relative_to(tree).as_posix(), len(data), node.name,
                        first.lineno, before.decode("ascii"), candidates, params[0] if params else "")
        try:
            ast.parse(edited_bytes(data, plan, 1))
        except (SyntaxError, ValueError, UnicodeDecodeError):
            return None
        return plan
    return None


def choose_edit(tree: Path, files: list[Path]) -> EditPlan:
    """The median-size file (ties by sorted path) among those with a top-level public
    function; if that one cannot take the edit, the nearest by that order that can."""
    ranked = []
    for p in files:
        data = p.read_bytes()
        if _PUBLIC_DEF.search(data):
            ranked.append((len(data), p.relative_to(tree).as_posix(), p))
    ranked.sort()
    if not ranked:
        raise SystemExit(f"no file with a top-level public function in {tree}")
    mid = len(ranked) // 2
    order = sorted(range(len(ranked)), key=lambda i: (abs(i - mid), i))
    for i in order:
        plan = _plan_for(ranked[i][2], tree, len(ranked))
        if plan is not None:
            return plan
    raise SystemExit(f"no file in {tree} takes the edit")


def flow_edited_bytes(original: bytes, n: int) -> bytes:
    """The file with a new function at its end whose parameter reaches os.system: an
    edit that changes the module's flows and its definitions."""
    tail = f"\n\n\ndef _redline_bench_flow_{n}(value):\n    import os\n\n    return os.system(value)\n"
    return original.rstrip(b"\n") + tail.encode("ascii")


def edited_bytes(original: bytes, plan: EditPlan, n: int) -> bytes:
    lines = original.split(b"\n")
    stmt = f"{plan.indent}{EDIT_NAME} = {n}".encode("ascii")
    return b"\n".join([*lines[: plan.line - 1], stmt, *lines[plan.line - 1:]])


def body_edited_bytes(original: bytes, plan: EditPlan, n: int) -> bytes:
    """The edited function's parameter (else the command line) reaching eval() in its
    body: the module's flows change, its definitions do not."""
    lines = original.split(b"\n")
    value = plan.param or "input()"
    stmt = f"{plan.indent}eval({value}); {EDIT_NAME} = {n}".encode("ascii")
    return b"\n".join([*lines[: plan.line - 1], stmt, *lines[plan.line - 1:]])


EDITS = {"edit": edited_bytes, "edit-body": body_edited_bytes, "edit-flow": lambda data, plan, n: flow_edited_bytes(data, n)}


# --------------------------------------------------------------------------- running


def outcome_dict(o: bs.Outcome) -> dict[str, object]:
    d = asdict(o)
    d["seconds"] = round(o.seconds, 4)
    d["cpu_s"] = round(o.cpu_s, 3)
    d["stderr"] = o.stderr[-2000:]
    return d


@dataclass
class TreeRun:
    key: str
    label: str
    path: Path
    files: int
    lines: int
    source_bytes: int
    packages: list[dict[str, object]]
    plan: EditPlan
    commands: dict[str, list[str]]
    runs: dict[str, list[bs.Outcome]]
    cache_sizes: list[dict[str, int]]
    extra: list[dict[str, object]]  # untimed runs: fill, restore re-scans
    code_changed: list[str] = field(default_factory=list)  # runs after which redline changed
    summary: dict[str, object] = field(default_factory=dict)


def restore_leftover(key: str, tree: Path) -> None:
    """Put back a file left edited by a run that was killed during the edit row."""
    backup = WORK / "incremental" / f"{key}-original.bin"
    if backup.is_file():
        rel, _, original = backup.read_bytes().partition(b"\0")
        (tree / rel.decode()).write_bytes(original)
        backup.unlink()
        log(f"{key}: restored {rel.decode()}, left edited by an interrupted run")


def measure_tree(key: str, tree: Path, wheels: list[Path], jobs: int, rounds: int,
                 peers: Path | None) -> TreeRun:
    label, _ = TREES[key]
    restore_leftover(key, tree)
    files = py_files(tree)
    lines = count_lines(files)
    log(f"{key}: {len(files)} Python files, {lines} lines; choosing the file to edit ...")
    plan = choose_edit(tree, files)
    log(f"{key}: edit {plan.rel} ({plan.size} bytes, median of {plan.candidates} files "
        f"with a top-level public function): line {plan.line}, in {plan.function}()")

    scratch = WORK / "incremental" / key
    fresh, warm = scratch / "cache-fresh", scratch / "cache-warm"
    backup = WORK / "incremental" / f"{key}-original.bin"  # for a run killed mid-edit
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    rl = [*bs.redline_command(), "scan", str(tree), "--format", "json", "--fail-on", "never",
          "--no-progress", "--jobs", str(jobs)]
    commands = {
        "cold": [*rl, "--no-cache"],
        "cold-write": [*rl, "--cache-dir", str(fresh)],
        "unchanged": [*rl, "--cache-dir", str(warm)],
        "edit": [*rl, "--cache-dir", str(warm)],
        "edit-body": [*rl, "--cache-dir", str(warm)],
        "edit-flow": [*rl, "--cache-dir", str(warm)],
    }
    if peers is not None:
        commands["bandit"] = [str(peers / "bin" / "bandit"), "-r", "-q", "-f", "json",
                              "-o", os.devnull, str(tree)]
    run = TreeRun(key, label, tree, len(files), lines, sum(p.stat().st_size for p in files),
                  [{"name": n, "version": v, **package_counts(w)}
                   for (n, v), w in zip(TREES[key][1], wheels, strict=True)],
                  plan, commands, {k: [] for k in commands}, [], [])

    stamp = [redline_stamp()]

    def check_code(what: str) -> None:
        now = redline_stamp()
        if now != stamp[0]:
            run.code_changed.append(what)
            log(f"  warning: redline's own files changed by the end of {what}: "
                "the cache was keyed on other code")
            stamp[0] = now

    def untimed(what: str) -> None:
        o = bs.run_once(commands["unchanged"])
        run.extra.append({"what": what, **outcome_dict(o)})
        log(f"  {what} (untimed): {o.seconds:.2f}s rc={o.returncode}")
        check_code(what)

    untimed("fill the cache")
    original = plan.path.read_bytes()
    st = plan.path.stat()
    for i in range(1, rounds + 1):
        for name, cmd in commands.items():
            if name == "cold-write":
                shutil.rmtree(fresh, ignore_errors=True)
            if name in EDITS:
                backup.write_bytes(plan.rel.encode() + b"\0" + original)
                edited = EDITS[name](original, plan, i)
                try:
                    plan.path.write_bytes(edited)
                    o = bs.run_once(cmd, sample_tree=True)
                finally:
                    plan.path.write_bytes(original)
                    os.utime(plan.path, ns=(st.st_atime_ns, st.st_mtime_ns))
                    backup.unlink()
            else:
                o = bs.run_once(cmd, sample_tree=True)
            run.runs[name].append(o)
            note = ""
            if name == "cold-write":
                on_disk, apparent = disk_usage(fresh)
                run.cache_sizes.append({"on_disk_bytes": on_disk, "apparent_bytes": apparent})
                note = f", cache {on_disk / MIB:.1f} MB"
            log(f"{key} round {i}/{rounds} {name}: {o.seconds:.2f}s rc={o.returncode}, "
                f"RSS {o.maxrss_kib / 1024:.0f} / {(o.tree_rss_kib or 0) / 1024:.0f} MB{note}")
            check_code(f"round {i} {name}")
            if name in EDITS:
                untimed("re-scan after restoring the edited file")
    shutil.rmtree(fresh, ignore_errors=True)
    return run


# --------------------------------------------------------------------------- report


def _median(xs: list[float]) -> float | None:
    return statistics.median(xs) if xs else None


def summarise(run: TreeRun) -> dict[str, object]:
    out: dict[str, object] = {}
    for name, outcomes in run.runs.items():
        out[name] = {
            "median_s": round(statistics.median(o.seconds for o in outcomes), 4),
            "times_s": [round(o.seconds, 4) for o in outcomes],
            "median_cpu_s": round(statistics.median(o.cpu_s for o in outcomes), 3),
            "peak_rss_largest_process_mib": round(max(o.maxrss_kib for o in outcomes) / 1024, 1),
            "peak_rss_tree_sampled_mib": round(
                max((o.tree_rss_kib or 0) for o in outcomes) / 1024, 1),
            "returncodes": sorted({o.returncode for o in outcomes}),
        }
    cold = out["cold"]["median_s"]
    on_disk = _median([c["on_disk_bytes"] for c in run.cache_sizes])
    out["edit_cold_ratio"] = round(out["edit"]["median_s"] / cold, 4)
    out["edit_body_cold_ratio"] = round(out["edit-body"]["median_s"] / cold, 4)
    out["edit_flow_cold_ratio"] = round(out["edit-flow"]["median_s"] / cold, 4)
    out["unchanged_cold_ratio"] = round(out["unchanged"]["median_s"] / cold, 4)
    out["cache_mib"] = round(on_disk / MIB, 2) if on_disk is not None else None
    out["cache_mib_per_100kloc"] = (
        round(on_disk / MIB / (run.lines / 100_000), 2) if on_disk is not None else None
    )
    out["cold_bandit_ratio"] = (
        round(cold / out["bandit"]["median_s"], 4) if "bandit" in out else None
    )
    return out


def markdown(meta: dict[str, object], trees: list[TreeRun]) -> str:
    lines = [
        f"redline {meta['versions']['redline']}, --jobs {meta['jobs']}, {meta['runs']} "
        f"round(s), medians; Bandit {meta['versions'].get('bandit', 'not run')}.",
        f"Machine: {meta['cpus']} CPUs ({meta['cpu_model']}), {meta['platform']}, Python "
        f"{meta['python']}; {meta['date']}; load average before/after "
        f"{bs.fmt_load(meta['loadavg_before'])} / {bs.fmt_load(meta['loadavg_after'])}.",
        "",
        "| tree | files | kLOC | cold s | unchanged s | one-file edit s | edit/cold "
        "| edit of a function's flows s | its /cold | edit adding a flow s | its /cold "
        "| peak RSS (largest process / tree sum) MB | cache MB (MB per 100 kLOC) "
        "| Bandit s (RSS MB) | cold/Bandit |",
        "|:--|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for run in trees:
        s = run.summary
        cold = s["cold"]
        bandit = (f"{s['bandit']['median_s']:.2f} ({s['bandit']['peak_rss_largest_process_mib']:.0f})"
                  if "bandit" in s else "n/a")
        ratio = f"{s['cold_bandit_ratio']:.2f}x" if s["cold_bandit_ratio"] is not None else "n/a"
        lines.append(
            f"| {run.label} | {run.files:,} | {run.lines / 1000:,.0f} | {cold['median_s']:.2f} "
            f"| {s['unchanged']['median_s']:.2f} | {s['edit']['median_s']:.2f} "
            f"| {s['edit_cold_ratio']:.3f} | {s['edit-body']['median_s']:.2f} | {s['edit_body_cold_ratio']:.3f} "
            f"| {s['edit-flow']['median_s']:.2f} | {s['edit_flow_cold_ratio']:.3f} "
            f"| {cold['peak_rss_largest_process_mib']:.0f} / {cold['peak_rss_tree_sampled_mib']:.0f} "
            f"| {s['cache_mib']:.1f} ({s['cache_mib_per_100kloc']:.2f}) | {bandit} | {ratio} |"
        )
    lines += [
        "",
        "Peak RSS of every configuration (largest process / sampled tree sum, MB, the "
        "highest over the runs):",
        "",
        "| tree | cold | cold, writing the cache | unchanged | one-file edit | edit of a function's flows "
        "| edit adding a flow | Bandit |",
        "|:--|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for run in trees:
        s = run.summary
        cells = []
        for name in ("cold", "cold-write", "unchanged", "edit", "edit-body", "edit-flow", "bandit"):
            c = s.get(name)
            cells.append("n/a" if c is None else
                         f"{c['peak_rss_largest_process_mib']:.0f} / {c['peak_rss_tree_sampled_mib']:.0f}")
        lines.append(f"| {run.label} | " + " | ".join(cells) + " |")
    lines += ["", "Edited files (one-file edit: one statement inserted as the first body statement, "
              "the module's flows unchanged; edit of a function's flows: `eval(<its first "
              "parameter>)` inserted there instead, its definitions unchanged; edit adding a flow: "
              "a function whose parameter reaches os.system appended):"]
    for run in trees:
        s = run.summary
        p = run.plan
        lines.append(f"- {run.label}: `{p.rel}` ({p.size:,} bytes), line {p.line}, "
                     f"in `{p.function}()`; cold writing the cache {s['cold-write']['median_s']:.2f} s")
    lines += [
        "",
        "MB = MiB (2^20 bytes); cache size is the space on disk of the cache directory "
        "after a cold scan into an empty one; kLOC counts newlines of .py files.",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3, help="rounds per tree (default 3)")
    ap.add_argument("--jobs", type=int, default=bs.cpu_count(),
                    help="redline --jobs (default: CPU count, %(default)s here)")
    ap.add_argument("--trees", default="lc,tf,large",
                    help="comma list of trees: lc, tf, large (default all)")
    ap.add_argument("--no-bandit", action="store_true", help="do not time Bandit")
    args = ap.parse_args(argv)
    # a plain kill still restores the edited file (the finally blocks run)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.runs < 1 or args.jobs < 1:
        ap.error("--runs and --jobs must be at least 1")
    keys = [k.strip() for k in args.trees.split(",") if k.strip()]
    unknown = [k for k in keys if k not in TREES]
    if unknown or not keys:
        ap.error(f"--trees: unknown {unknown}; choose from {', '.join(TREES)}")

    WORK.mkdir(parents=True, exist_ok=True)
    fetched = {}
    for key in keys:
        got = fetch_tree(key)
        if got is None:
            print(f"skipped: no network (could not download the wheels of {TREES[key][0]})")
            return 0
        fetched[key] = got
    peers = None
    if not args.no_bandit:
        peers = bs.ensure_peers()
        if peers is None:
            log("peers: could not install Bandit (no network?); timing redline only")

    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    trees = [measure_tree(k, *fetched[k], args.jobs, args.runs, peers) for k in keys]
    load_after = os.getloadavg() if hasattr(os, "getloadavg") else None
    for t in trees:
        t.summary = summarise(t)

    versions = {"python": platform.python_version(), "redline": bs.redline_version()}
    if peers is not None:
        versions.update({k: v for k, v in bs._peer_versions(peers).items() if k == "bandit"})
    meta = {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "runs": args.runs,
        "jobs": args.jobs,
        "cpus": bs.cpu_count(),
        "cpu_model": bs.cpu_model(),
        "platform": f"{platform.system()} {platform.release()} {platform.machine()}",
        "python": platform.python_version(),
        "versions": versions,
        "loadavg_before": load_before,
        "loadavg_after": load_after,
    }
    problems = {}
    for t in trees:
        for name, outcomes in t.runs.items():
            ok = (0, 1) if name == "bandit" else (0,)
            bad = [o for o in outcomes if o.returncode not in ok
                   or (name != "bandit" and o.stderr.strip())]
            if bad:
                problems[f"{t.key}/{name}"] = [outcome_dict(o) for o in bad[:3]]
        for e in t.extra:
            if e["returncode"] != 0 or str(e["stderr"]).strip():
                problems.setdefault(f"{t.key}/untimed", []).append(e)
    table = markdown(meta, trees)
    result = {
        "meta": meta,
        "trees": [{
            "key": t.key,
            "label": t.label,
            "path": str(t.path),
            "python_files": t.files,
            "lines": t.lines,
            "source_bytes": t.source_bytes,
            "packages": t.packages,
            "edit": {"file": t.plan.rel, "bytes": t.plan.size, "function": t.plan.function,
                     "line": t.plan.line, "statement": f"{t.plan.indent}{EDIT_NAME} = N",
                     "candidate_files": t.plan.candidates},
            "commands": t.commands,
            "runs": {name: [outcome_dict(o) for o in os_] for name, os_ in t.runs.items()},
            "cache_sizes": t.cache_sizes,
            "untimed_runs": t.extra,
            "redline_code_changed_after": t.code_changed,
            "summary": t.summary,
        } for t in trees],
        "problems": problems,
        "markdown": table,
    }
    out = WORK / "results-incremental.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")

    print(table)
    print()
    for t in trees:
        if len(t.packages) > 1:
            print(f"{t.label}: " + "; ".join(
                f"{p['name']} {p['version']} ({p['py_files']:,} files, {p['lines']:,} lines)"
                for p in t.packages) + f"; total {t.files:,} files, {t.lines:,} lines")
    print("Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    for t in trees:
        if t.code_changed:
            print(f"WARNING: {t.key}: redline's own files changed during the benchmark (by the "
                  f"end of: {', '.join(t.code_changed)}); the re-scans were keyed on other code: "
                  "their figures are void. Time a snapshot install (see benchmarks/README.md)")
    for t in trees:
        s = t.summary
        if s["unchanged_cold_ratio"] > 0.5:
            print(f"WARNING: {t.key}: the unchanged re-scan took {s['unchanged_cold_ratio']:.2f} "
                  "of the cold scan: did redline's code change during the run (its cache key "
                  "includes its own source files)?")
    if problems:
        print(f"PROBLEMS (unexpected exit code or stderr output): {sorted(problems)}; see {out}")
    print(f"JSON: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
