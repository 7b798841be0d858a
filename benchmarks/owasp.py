#!/usr/bin/env python3
"""OWASP Benchmark for Python: per-category TPR, FPR and score for redline (and Bandit).

Not a test: pytest never collects it. Run it with the interpreter that has
redline installed::

    python benchmarks/owasp.py [PATH] [--tool redline|bandit|both]

PATH is a checkout of https://github.com/OWASP-Benchmark/BenchmarkPython
(default ``benchmarks/.work/BenchmarkPython``; cloned there when missing, and
the script prints ``skipped: no network`` and exits 0 when that fails).

The suite is ~1,250 small Flask handlers, ``testcode/BenchmarkTestNNNNN.py``,
each either really vulnerable or not, in one of 14 categories; the truth is in
``expectedresults-<version>.csv`` (test name, category, real vulnerability,
CWE). A test case counts as *flagged* by a tool when the tool reports, in that
test's file, a finding that maps to the category's CWE. Per category:
TPR = TP / (TP + FN), FPR = FP / (FP + TN), score = TPR - FPR; the overall
figures are the plain average over the categories (the OWASP scorecard's
"Average"). Mapping a finding to a CWE:

* redline: ``REDLINE_RULE_CWES`` by rule id; a rule missing from that table
  falls back to the finding's own ``cwe`` through ``CWE_EQUIVALENTS``.
* Bandit: ``BANDIT_TEST_CWES`` by test id where Bandit's own CWE tag names a
  different weakness than the check looks for (``eval``/``exec`` are tagged
  CWE-78, XML parsing CWE-20); otherwise Bandit's JSON ``issue_cwe.id`` through
  ``CWE_EQUIVALENTS``.

The "strict" figures printed below each table use only the CWE number each
tool reports, unchanged, which is what OWASP BenchmarkUtils does for SARIF
input (``--strict-cwe`` makes them the main table).

Bandit runs from a virtual environment with a pinned version:
``benchmarks/.work/peers`` (shared with ``bench_speed.py``; created when
missing), or with ``--bandit-python PY`` one built from that interpreter in
``benchmarks/.work/peers-pyX.Y``. Bandit cannot parse code newer than the
interpreter it runs on (the suite uses Python 3.12 f-strings), so each table
says how many test files the tool actually analysed; a test file a tool did
not analyse counts as not flagged.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import re
import shlex
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from procs import run_killable  # noqa: E402

# --------------------------------------------------------------------------- mappings

# redline rule id -> the benchmark CWE(s) it answers. Rules that do not exist yet
# simply never fire. Rules with no benchmark category (CRED001 798, NET001 400,
# AUTH001 295, NET002 918, INJ004 cypher 943, INJ005 ssti 1336, INJ009 header 113,
# LLM001 1427) are left out. The suite's hash (328), weakrand (330) and
# securecookie (614) categories have no redline rule.
REDLINE_RULE_CWES: dict[str, tuple[int, ...]] = {
    "EXEC001": (94,),   # eval/exec/compile (pattern); reports CWE-95, a child of CWE-94
    "EXEC002": (94,),   # untrusted data executed as code (taint)
    "INJ001": (78,),    # shell command built from non-literal data (pattern)
    "INJ002": (78,),    # untrusted data in a system command (taint)
    "INJ003": (89,),    # SQL injection
    "INJ006": (611,),   # XXE
    "INJ007": (90,),    # LDAP injection
    "INJ008": (643,),   # XPath injection
    "INJ010": (79,),    # XSS
    "NET003": (601,),   # open redirect
    "AUTH002": (501,),  # untrusted data stored in the session (trust boundary)
    "AUTH003": (328,),  # broken hash algorithm (MD5, SHA-1)
    "AUTH004": (614,),  # cookie without the Secure flag
    "AUTH005": (330,),  # non-cryptographic randomness
    "SER001": (502,),   # pickle family (pattern)
    "SER002": (502,),   # yaml.load with an unsafe loader (pattern)
    "SER003": (502,),   # untrusted bytes deserialized (taint)
    "FS001": (22,),     # path traversal
}

# Bandit test id -> benchmark CWE, where Bandit's own CWE tag does not name the
# weakness the check is about. None: never counts for any category.
BANDIT_TEST_CWES: dict[str, int | None] = {
    "B102": 94,   # exec_used, tagged CWE-78
    "B307": 94,   # eval, tagged CWE-78
    "B313": 611, "B314": 611, "B315": 611, "B316": 611,  # xml.etree/expat/sax/...
    "B317": 611, "B318": 611, "B319": 611, "B320": 611,  # parse calls, tagged CWE-20
    "B506": 502,  # yaml_load, tagged CWE-20
    "B701": 79,   # jinja2 autoescape=False, tagged CWE-94
    "B702": 79,   # mako templates, tagged CWE-80
    "B310": None,  # urllib urlopen scheme audit, tagged CWE-22 (it is about file:/custom schemes)
}

# A tool's CWE -> the benchmark's CWE for the same weakness (children and near
# synonyms). Used for Bandit and for redline rules missing from REDLINE_RULE_CWES.
CWE_EQUIVALENTS: dict[int, int] = {
    22: 22, 23: 22, 36: 22, 73: 22,       # path traversal
    77: 78, 78: 78,                       # command injection
    79: 79, 80: 79,                       # XSS
    89: 89,                               # SQL injection
    90: 90,                               # LDAP injection
    94: 94, 95: 94,                       # code injection / eval injection
    327: 328, 328: 328, 916: 328,         # weak hash (no separate crypto category here)
    330: 330, 338: 330,                   # weak randomness
    501: 501,                             # trust boundary
    502: 502,                             # deserialization
    601: 601,                             # open redirect
    611: 611,                             # XXE
    614: 614,                             # cookie without Secure
    643: 643,                             # XPath injection
}

CATEGORY_NAMES = {
    "cmdi": "Command Injection", "codeinj": "Code Injection",
    "deserialization": "Insecure Deserialization", "hash": "Weak Hashing",
    "ldapi": "LDAP Injection", "pathtraver": "Path Traversal",
    "redirect": "Open Redirect", "securecookie": "Insecure Cookie",
    "sqli": "SQL Injection", "trustbound": "Trust Boundary Violation",
    "weakrand": "Weak Randomness", "xpathi": "XPath Injection",
    "xss": "Cross-Site Scripting", "xxe": "XML External Entity",
}

BANDIT_VERSION = "1.8.6"
REPO_URL = "https://github.com/OWASP-Benchmark/BenchmarkPython"
TEST_RE = re.compile(r"(BenchmarkTest\d+)")

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def test_of(path: str) -> str | None:
    m = TEST_RE.search(Path(path).name)
    return m.group(1) if m else None


# --------------------------------------------------------------------------- suite


def ensure_suite(path: Path, explicit: bool) -> bool:
    if (path / "testcode").is_dir():
        return True
    if explicit:
        raise SystemExit(f"error: {path} has no testcode/ (not a BenchmarkPython checkout)")
    log(f"suite: {path} missing; git clone --depth 1 {REPO_URL}")
    path.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["git", "clone", "--depth", "1", "-q", REPO_URL, str(path)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        log(proc.stderr.strip())
        return False
    return (path / "testcode").is_dir()


def load_expected(path: Path) -> tuple[str, dict[str, dict]]:
    """(suite version, {test name: {"category", "real", "cwe"}}) from the newest
    expectedresults-*.csv."""
    files = sorted(path.glob("expectedresults-*.csv"),
                   key=lambda p: [int(x) if x.isdigit() else x
                                  for x in re.split(r"[.-]", p.stem)])
    if not files:
        raise SystemExit(f"error: no expectedresults-*.csv in {path}")
    csv_file = files[-1]
    version = csv_file.stem.removeprefix("expectedresults-")
    cases = {}
    with csv_file.open(newline="") as fh:
        for row in csv.reader(fh):
            if not row or row[0].lstrip().startswith("#"):
                continue
            name, category, real, cwe = (x.strip() for x in row[:4])
            cases[name] = {"category": category, "real": real.lower() == "true",
                           "cwe": int(cwe)}
    return version, cases


# --------------------------------------------------------------------------- tools


def default_redline() -> list[str]:
    exe = Path(sys.executable).parent / "redline"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "redline"]


def run_redline(redline: list[str], testcode: Path, n_files: int, timeout: float,
                extra: list[str]) -> dict:
    out = WORK / "owasp-redline-report.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():
        out.unlink()
    version = subprocess.run([*redline, "--version"], capture_output=True,
                             text=True).stdout.strip().removeprefix("redline ").strip()
    cmd = [*redline, "scan", str(testcode), "--format", "json", "--fail-on", "never",
           "--no-cache", "-q", "-o", str(out), *extra]
    rc, err, secs = run_killable(cmd, timeout)
    if rc is None or rc != 0 or not out.exists():
        why = f"timed out after {timeout:.0f}s" if rc is None else f"exit {rc}"
        raise SystemExit(f"error: redline failed ({why}):\n{' '.join(cmd)}\n{err[-3000:]}")
    doc = json.loads(out.read_text())
    findings = []
    for f in doc["findings"]:
        rule, cwe = f["rule_id"], f.get("cwe")
        if rule in REDLINE_RULE_CWES:
            mapped, via = set(REDLINE_RULE_CWES[rule]), "rule"
        elif isinstance(cwe, int) and cwe in CWE_EQUIVALENTS:
            mapped, via = {CWE_EQUIVALENTS[cwe]}, "cwe"
        else:
            mapped, via = set(), ""
        findings.append({"test": test_of(f["location"]["path"]), "rule": rule,
                         "line": f["location"]["line"], "severity": f["severity"],
                         "tool_cwe": cwe, "cwes": sorted(mapped), "via": via})
    not_analysed = sorted(filter(None, (test_of(s["path"]) for s in doc["skipped"])))
    return {
        "tool": "redline", "version": version, "command": cmd, "seconds": round(secs, 2),
        "files_total": n_files, "files_analysed": n_files - len(not_analysed),
        "not_analysed": not_analysed,
        "not_analysed_reasons": sorted({s["reason"] for s in doc["skipped"]}),
        "findings": findings, "report": str(out),
    }


def _bandit_version(exe: Path) -> tuple[str | None, str]:
    if not exe.exists():
        return None, ""
    out = subprocess.run([str(exe), "--version"], capture_output=True, text=True).stdout
    m = re.search(r"bandit (\S+)", out)
    py = re.search(r"python version = (\S+)", out)
    return (m.group(1) if m else None), (py.group(1) if py else "")


def ensure_bandit(python: str | None) -> Path | None:
    """A venv with bandit==BANDIT_VERSION: .work/peers (shared with bench_speed.py)
    by default, .work/peers-pyX.Y for --bandit-python."""
    if python:
        ver = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True).stdout.strip()
        if not ver:
            log(f"bandit: cannot run {python}")
            return None
        venv, base = WORK / f"peers-py{ver}", python
    else:
        venv, base = WORK / "peers", sys.executable
    exe = venv / "bin" / "bandit"
    if _bandit_version(exe)[0] == BANDIT_VERSION:
        return exe
    log(f"bandit: installing bandit=={BANDIT_VERSION} into {venv}")
    made = (venv / "bin" / "python").exists() or not subprocess.run(
        [base, "-m", "venv", str(venv)], capture_output=True).returncode
    if not made:
        return None
    proc = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                           "--disable-pip-version-check", f"bandit=={BANDIT_VERSION}"],
                          capture_output=True, text=True)
    if proc.returncode != 0 or _bandit_version(exe)[0] != BANDIT_VERSION:
        log(proc.stderr[-2000:])
        return None
    return exe


def run_bandit(exe: Path, testcode: Path, n_files: int, timeout: float) -> dict:
    out = WORK / f"owasp-bandit-report-{exe.parent.parent.name}.json"
    if out.exists():
        out.unlink()
    version, pyver = _bandit_version(exe)
    cmd = [str(exe), "-r", "-q", "-f", "json", "-o", str(out), str(testcode)]
    rc, err, secs = run_killable(cmd, timeout)
    if rc not in (0, 1) or not out.exists():  # 1 = issues found
        why = f"timed out after {timeout:.0f}s" if rc is None else f"exit {rc}"
        raise SystemExit(f"error: bandit failed ({why}):\n{' '.join(cmd)}\n{err[-3000:]}")
    doc = json.loads(out.read_text())
    findings = []
    for r in doc.get("results", []):
        tid = r["test_id"]
        tool_cwe = (r.get("issue_cwe") or {}).get("id")
        if tid in BANDIT_TEST_CWES:
            c = BANDIT_TEST_CWES[tid]
            mapped, via = ({c} if c is not None else set()), "test id"
        elif isinstance(tool_cwe, int) and tool_cwe in CWE_EQUIVALENTS:
            mapped, via = {CWE_EQUIVALENTS[tool_cwe]}, "cwe"
        else:
            mapped, via = set(), ""
        findings.append({"test": test_of(r["filename"]), "rule": tid,
                         "line": r["line_number"], "severity": r["issue_severity"],
                         "tool_cwe": tool_cwe, "cwes": sorted(mapped), "via": via})
    errors = doc.get("errors", [])
    not_analysed = sorted(filter(None, (test_of(e["filename"]) for e in errors)))
    return {
        "tool": "bandit", "version": f"{version} (Python {pyver})", "command": cmd,
        "seconds": round(secs, 2), "files_total": n_files,
        "files_analysed": n_files - len({e["filename"] for e in errors if test_of(e["filename"])}),
        "not_analysed": not_analysed,
        "not_analysed_reasons": sorted({e.get("reason", "") for e in errors}),
        "findings": findings, "report": str(out),
    }


# --------------------------------------------------------------------------- scoring


def score(cases: dict[str, dict], run: dict, strict: bool) -> dict:
    """Per-category confusion counts, TPR, FPR, score; plus the category average."""
    flagged: dict[str, set[int]] = defaultdict(set)
    for f in run["findings"]:
        if not f["test"]:
            continue
        if strict:
            if isinstance(f["tool_cwe"], int):
                flagged[f["test"]].add(f["tool_cwe"])
        else:
            flagged[f["test"]].update(f["cwes"])
    skipped = set(run["not_analysed"])
    cats: dict[str, dict] = {}
    per_case = {}
    for name, c in sorted(cases.items()):
        st = cats.setdefault(c["category"], {"cwe": c["cwe"], "TP": 0, "FN": 0, "TN": 0,
                                             "FP": 0, "not_analysed": 0,
                                             "fn_cases": [], "fp_cases": []})
        hit = c["cwe"] in flagged.get(name, ())
        per_case[name] = hit
        if name in skipped:
            st["not_analysed"] += 1
        if c["real"]:
            st["TP" if hit else "FN"] += 1
            if not hit:
                st["fn_cases"].append(name)
        else:
            st["FP" if hit else "TN"] += 1
            if hit:
                st["fp_cases"].append(name)
    for st in cats.values():
        st["TPR"] = st["TP"] / max(1, st["TP"] + st["FN"])
        st["FPR"] = st["FP"] / max(1, st["FP"] + st["TN"])
        st["score"] = st["TPR"] - st["FPR"]
    n = len(cats)
    avg = {k: sum(st[k] for st in cats.values()) / n for k in ("TPR", "FPR", "score")}
    return {"categories": dict(sorted(cats.items())), "average": avg, "flagged": per_case}


def pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def print_table(run: dict, sc: dict, title: str, details: bool) -> None:
    print(f"### {title}\n")
    print(f"{run['tool']} {run['version']}: {run['files_analysed']}/{run['files_total']} "
          f"test files analysed, {len(run['findings'])} findings, {run['seconds']:.1f}s")
    if run["not_analysed"]:
        print(f"not analysed (counted as not flagged): {len(run['not_analysed'])} "
              f"({'; '.join(r for r in run['not_analysed_reasons'] if r)})")
    print()
    print("| Category | CWE | Vulnerable / safe | TP | FN | TN | FP | TPR | FPR | Score "
          "| Not analysed |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for cat, st in sc["categories"].items():
        name = f"{CATEGORY_NAMES.get(cat, cat)} ({cat})"
        print(f"| {name} | {st['cwe']} | {st['TP'] + st['FN']} / {st['TN'] + st['FP']} "
              f"| {st['TP']} | {st['FN']} | {st['TN']} | {st['FP']} | {pct(st['TPR'])} "
              f"| {pct(st['FPR'])} | {pct(st['score'])} | {st['not_analysed']} |")
    a = sc["average"]
    print(f"| **Average ({len(sc['categories'])} categories)** | | | | | | "
          f"| **{pct(a['TPR'])}** | **{pct(a['FPR'])}** | **{pct(a['score'])}** | |")
    if details:
        def short(names: list[str]) -> str:
            more = f" +{len(names) - 25} more" if len(names) > 25 else ""
            return " ".join(n.removeprefix("BenchmarkTest") for n in names[:25]) + more
        for cat, st in sc["categories"].items():
            if st["FP"]:
                print(f"- {cat} false positives: {short(st['fp_cases'])}")
            if st["FN"]:
                print(f"- {cat} missed: {short(st['fn_cases'])}")
    print()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("path", nargs="?", type=Path, default=None,
                    help="BenchmarkPython checkout (default: benchmarks/.work/BenchmarkPython)")
    ap.add_argument("--tool", default="redline",
                    help="redline, bandit, both, or a comma-separated list (default: redline)")
    ap.add_argument("--redline", default=None,
                    help="redline command (default: the redline next to this interpreter)")
    ap.add_argument("--ignore", default=None, metavar="RULES",
                    help="passed to redline scan --ignore (e.g. EXEC001,SER001 to score "
                         "the taint rules alone)")
    ap.add_argument("--bandit-python", default=None, metavar="PY",
                    help="run Bandit on this interpreter (venv .work/peers-pyX.Y)")
    ap.add_argument("--strict-cwe", action="store_true",
                    help="main table from each tool's own CWE numbers, no mapping tables")
    ap.add_argument("--testcode-only", action="store_true",
                    help="scan only testcode/ (default: the whole checkout, helpers included)")
    ap.add_argument("--details", action="store_true",
                    help="list false-positive and missed test cases per category")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per tool run")
    ap.add_argument("--results", type=Path, default=WORK / "owasp-results.json",
                    help="results file (default: %(default)s)")
    args = ap.parse_args()

    tools = ["redline", "bandit"] if args.tool == "both" else \
        [t.strip() for t in args.tool.split(",") if t.strip()]
    bad = [t for t in tools if t not in ("redline", "bandit")]
    if bad or not tools:
        ap.error(f"unknown tool(s): {', '.join(bad) or '(none)'}")

    suite = (args.path or WORK / "BenchmarkPython").resolve()
    if not ensure_suite(suite, explicit=args.path is not None):
        print("skipped: no network (BenchmarkPython not found and git clone failed)")
        return 0
    version, cases = load_expected(suite)
    testcode = suite / "testcode"
    test_files = sorted(testcode.glob("BenchmarkTest*.py"))
    # As a user would: the whole application (its helpers resolve calls); only findings
    # in the test files count.
    target = testcode if args.testcode_only else suite
    missing = sorted(set(cases) - {p.stem for p in test_files})
    if missing:
        log(f"warning: {len(missing)} expected test cases have no file, e.g. {missing[:3]}")
    commit = ""
    if (suite / ".git").exists():  # not an enclosing repository's HEAD
        commit = subprocess.run(["git", "-C", str(suite), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True).stdout.strip()

    runs = []
    for tool in tools:
        if tool == "redline":
            redline = shlex.split(args.redline) if args.redline else default_redline()
            log(f"redline: {' '.join(redline)} scan {target}")
            extra = ["--ignore", args.ignore] if args.ignore else []
            runs.append(run_redline(redline, target, len(test_files), args.timeout, extra))
        else:
            exe = ensure_bandit(args.bandit_python)
            if exe is None:
                log("bandit: could not be installed (no network?); skipped")
                continue
            log(f"bandit: {exe} -r {target}")
            runs.append(run_bandit(exe, target, len(test_files), args.timeout))

    by_cat = defaultdict(lambda: [0, 0])
    for c in cases.values():
        by_cat[c["category"]][0 if c["real"] else 1] += 1
    print(f"# OWASP Benchmark for Python v{version}"
          f"{f' ({commit})' if commit else ''}, {dt.date.today().isoformat()}\n")
    print(f"{len(cases)} test cases ({sum(c['real'] for c in cases.values())} vulnerable), "
          f"{len(by_cat)} categories, {len(test_files)} test files in {testcode}\n")

    results = []
    for run in runs:
        mapped = score(cases, run, strict=False)
        strict = score(cases, run, strict=True)
        main_sc, other_sc = (strict, mapped) if args.strict_cwe else (mapped, strict)
        label = "strict CWE" if args.strict_cwe else "mapped CWE"
        print_table(run, main_sc, f"{run['tool']} {run['version']} ({label})", args.details)
        o = other_sc["average"]
        print(f"{'mapped' if args.strict_cwe else 'strict'} CWE average: TPR {pct(o['TPR'])}, "
              f"FPR {pct(o['FPR'])}, score {pct(o['score'])}\n")
        unmapped = sorted({f"{f['rule']} (CWE-{f['tool_cwe']})" for f in run["findings"]
                           if not f["cwes"]})
        if unmapped:
            print(f"findings that count for no category: {', '.join(unmapped)}\n")
        results.append({
            **{k: v for k, v in run.items() if k != "findings"},
            "findings": len(run["findings"]),
            "mapped": {k: v for k, v in mapped.items() if k != "flagged"},
            "strict": {k: v for k, v in strict.items() if k != "flagged"},
            "flagged_cases": sorted(n for n, hit in mapped["flagged"].items() if hit),
        })

    if len(runs) > 1:
        print("### Score by category (TPR - FPR, mapped CWE)\n")
        heads = [f"{r['tool']} {r['version']}" for r in runs]
        print("| Category | " + " | ".join(heads) + " |")
        print("|---|" + "---:|" * len(runs))
        for cat in sorted(by_cat):
            cells = [pct(r["mapped"]["categories"][cat]["score"]) for r in results]
            print(f"| {cat} | " + " | ".join(cells) + " |")
        print("| **Average** | " + " | ".join(
            f"**{pct(r['mapped']['average']['score'])}**" for r in results) + " |")
        print("| files analysed | " + " | ".join(
            f"{r['files_analysed']}/{r['files_total']}" for r in results) + " |")
        print()

    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps({
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "suite": str(suite), "suite_version": version, "suite_commit": commit,
        "cases": len(cases),
        "redline_rule_cwes": REDLINE_RULE_CWES,
        "bandit_test_cwes": BANDIT_TEST_CWES,
        "cwe_equivalents": {str(k): v for k, v in CWE_EQUIVALENTS.items()},
        "runs": results,
    }, indent=1))
    log(f"results: {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
