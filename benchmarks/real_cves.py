#!/usr/bin/env python3
"""Recall on real, published vulnerabilities in AI-framework packages.

Not a test: pytest never collects it. Run it with the interpreter that has
redline installed::

    python benchmarks/real_cves.py [--trees DIR] [--shared DIR] [--redline CMD]

The case set lives outside this repository, in ``shared/bench/real-cves/``
(``cases.json``, ``fetch.sh``, ``score.py``; see its README). This script:

1. runs ``fetch.sh`` to download and unpack every package version the cases
   name into ``--trees`` (default ``benchmarks/.work/real-cves``); skipped when
   every tree is already there; when the download fails it prints
   ``skipped: no network`` and exits 0;
2. scans each tree with redline (JSON report, ``--no-cache``), keeping the
   reports in ``benchmarks/.work/real-cves-reports/``;
3. turns redline's findings into ``score.py``'s input
   (``{"tree", "path", "line", "category", "severity"}``) through
   ``RULE_CATEGORIES`` below (a finding whose rule is not in that table falls
   back to ``CWE_CATEGORIES`` on the finding's own CWE);
4. runs ``score.py`` and prints its output, then a per-case table with the
   redline findings near each case, so that a miss can be explained;
5. writes everything to ``benchmarks/.work/real-cves-results.json``.

Every case is an advisory against a library (langchain, haystack, embedchain,
llama-index-cli): the attacker is whoever the application lets choose the data it
passes to the library's public API. The scans therefore widen redline's default
threat model (remote) with ``library`` (``--threat-model``, default ``library``);
``--threat-model ''`` measures the default.

This is a development set: write rules for the vulnerability class, never for
one package's file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import shlex
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from procs import run_killable  # noqa: E402

# --------------------------------------------------------------------------- mapping

# redline rule id -> score.py category. The category names are the ones cases.json
# uses (see shared/bench/real-cves/README.md): code-exec, command-injection,
# sql-injection, cypher-injection, ssti, path-traversal, ssrf, deserialization,
# xxe, auth. Rules that do not exist (yet) simply never produce a finding.
RULE_CATEGORIES: dict[str, str] = {
    "EXEC001": "code-exec",          # eval/exec/compile
    "EXEC002": "code-exec",
    "INJ001": "command-injection",   # shell command built from data
    "INJ002": "command-injection",
    "INJ003": "sql-injection",
    "INJ004": "cypher-injection",
    "INJ005": "ssti",                # server-side template injection
    "INJ006": "xxe",
    "INJ007": "ldap-injection",      # the categories below are not used by cases.json yet
    "INJ008": "xpath-injection",
    "INJ009": "header-injection",
    "INJ010": "xss",
    "SER001": "deserialization",     # pickle family
    "SER002": "deserialization",     # yaml.load with an unsafe loader
    "SER003": "deserialization",
    "NET002": "ssrf",
    "NET003": "open-redirect",
    "FS001": "path-traversal",
    "LLM001": "prompt-injection",    # no case uses it yet
    "AUTH001": "auth",               # TLS verification disabled (README's "auth")
    "AUTH002": "trust-boundary",     # untrusted data stored in the session
}

# Fallback for rules missing from RULE_CATEGORIES: the finding's own CWE number.
# Findings mapped this way are marked "(cwe)" in the per-case table.
CWE_CATEGORIES: dict[int, str] = {
    94: "code-exec", 95: "code-exec",
    77: "command-injection", 78: "command-injection",
    89: "sql-injection",
    943: "cypher-injection",
    1336: "ssti",
    22: "path-traversal", 23: "path-traversal", 36: "path-traversal",
    918: "ssrf",
    502: "deserialization",
    611: "xxe",
    295: "auth",
    90: "ldap-injection", 643: "xpath-injection", 113: "header-injection", 79: "xss",
    601: "open-redirect", 501: "trust-boundary", 1427: "prompt-injection",
}

NEAR_SLACK = 3  # lines either side of a sink line shown as "near" (score.py uses 3)

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def default_shared() -> Path:
    return Path(__file__).resolve().parents[1].parent / "shared"


def bench_dir(shared: Path) -> Path:
    """Accept either the shared root or the real-cves directory itself."""
    for cand in (shared, shared / "bench" / "real-cves", shared / "real-cves"):
        if (cand / "cases.json").is_file() and (cand / "score.py").is_file():
            return cand
    raise SystemExit(f"error: no cases.json/score.py under {shared} (try --shared DIR)")


def default_redline() -> list[str]:
    exe = Path(sys.executable).parent / "redline"
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-m", "redline"]


def tree_name(case: dict) -> str:
    return f"{case['package']}-{case['scan_version']}"


def tree_ready(path: Path) -> bool:
    return path.is_dir() and any(path.iterdir())


def load_scorer(bench: Path):
    """score.py as a module, so the per-case table uses exactly its hit()."""
    spec = importlib.util.spec_from_file_location("real_cves_score", bench / "score.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# --------------------------------------------------------------------------- steps


def fetch(bench: Path, trees: Path, needed: list[str]) -> bool:
    """True when every needed tree is present afterwards."""
    missing = [t for t in needed if not tree_ready(trees / t)]
    if not missing:
        log(f"fetch: all {len(needed)} trees present in {trees}")
        return True
    log(f"fetch: {len(missing)} of {len(needed)} trees missing; running fetch.sh {trees}")
    trees.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["bash", str(bench / "fetch.sh"), str(trees)],
                          capture_output=True, text=True)
    tail = [ln for ln in (proc.stdout + proc.stderr).splitlines()
            if ln.startswith(("ok ", "FAILED", "done:", "unknown"))]
    for ln in tail[-30:]:
        log(f"  {ln}")
    still = [t for t in needed if not tree_ready(trees / t)]
    if still:
        log(f"fetch: still missing: {' '.join(still)}")
        return False
    if proc.returncode != 0:
        log("fetch: fetch.sh reported failures, but every tree the cases need is present")
    return True


def scan(redline: list[str], tree: Path, report: Path, timeout: float, models: str = "library") -> dict:
    """redline's JSON report for tree, or {"_error": ...} when the scan failed."""
    report.parent.mkdir(parents=True, exist_ok=True)
    if report.exists():
        report.unlink()
    cmd = [*redline, "scan", str(tree), "--format", "json", "--fail-on", "never",
           "--no-cache", "-q", "-o", str(report)]
    if models:
        cmd += ["--threat-model", models]
    rc, err, secs = run_killable(cmd, timeout)
    if rc is None:
        return {"_error": f"timed out after {timeout:.0f}s", "_seconds": round(secs, 2),
                "_command": cmd, "_stderr": err[-3000:]}
    if rc != 0 or not report.exists():
        return {"_error": f"exit {rc}", "_seconds": round(secs, 2), "_command": cmd,
                "_stderr": err[-3000:]}
    doc = json.loads(report.read_text())
    doc["_seconds"] = round(secs, 2)
    doc["_command"] = cmd
    return doc


def categorise(finding: dict) -> tuple[str | None, str]:
    rule = finding["rule_id"]
    if rule in RULE_CATEGORIES:
        return RULE_CATEGORIES[rule], "rule"
    cwe = finding.get("cwe")
    if isinstance(cwe, int) and cwe in CWE_CATEGORIES:
        return CWE_CATEGORIES[cwe], "cwe"
    return None, ""


def convert(tree: str, doc: dict) -> list[dict]:
    """redline findings -> score.py records (plus a few extra keys score.py ignores)."""
    out = []
    for f in doc["findings"]:
        cat, via = categorise(f)
        loc = f["location"]
        out.append({
            "tree": tree,
            "path": loc["path"],
            "line": loc["line"],
            "category": cat,
            "severity": f["severity"],
            # extra keys, ignored by score.py
            "rule_id": f["rule_id"],
            "mapped_by": via,
            "cwe": f.get("cwe"),
            "scope": f.get("scope"),
            "message": f.get("message"),
        })
    return out


def near(case: dict, rec: dict) -> bool:
    """Same tree and file, and inside the function span or close to a sink line."""
    if rec["tree"] != tree_name(case) or rec["path"].lstrip("./") != case["path"]:
        return False
    span = case.get("function_span")
    if span and span[0] <= rec["line"] <= span[1]:
        return True
    return any(abs(rec["line"] - ln) <= NEAR_SLACK for ln in case["lines"])


LOW_SEVERITIES = {"low", "info", "note", "warning"}  # as score.py


def outcome(case: dict, matched: list[dict]) -> str:
    if case["kind"] == "vulnerable":
        return "HIT" if matched else "miss"
    if case["expected"] == "no_flag":
        return "FP" if matched else "ok (no finding)"
    sev = {str(m.get("severity", "")).lower() for m in matched}
    if matched and not sev <= LOW_SEVERITIES:
        return "FP (severity)"
    return "ok (low)" if matched else "ok (no finding)"


# --------------------------------------------------------------------------- main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trees", type=Path, default=WORK / "real-cves",
                    help="where the unpacked package trees live (default: %(default)s)")
    ap.add_argument("--shared", type=Path, default=default_shared(),
                    help="the shared directory holding bench/real-cves (default: %(default)s)")
    ap.add_argument("--redline", default=None,
                    help="redline command (default: the redline next to this interpreter)")
    ap.add_argument("--timeout", type=float, default=600,
                    help="seconds allowed per tree scan (default: %(default)s)")
    ap.add_argument("--results", type=Path, default=WORK / "real-cves-results.json",
                    help="results file (default: %(default)s)")
    ap.add_argument("--threat-model", default="library",
                    help="threat models besides remote (default: %(default)s: every case is an advisory "
                    "against a library, whose threat is the application passing untrusted data to its "
                    "public API; '' for redline's default, remote only)")
    args = ap.parse_args()

    bench = bench_dir(args.shared.resolve())
    cases = json.loads((bench / "cases.json").read_text())
    redline = shlex.split(args.redline) if args.redline else default_redline()
    trees = args.trees.resolve()
    needed = sorted({tree_name(c) for c in cases})

    if not fetch(bench, trees, needed):
        print("skipped: no network (fetch.sh could not download every package)")
        return 0

    version = subprocess.run([*redline, "--version"], capture_output=True, text=True).stdout.strip()
    version = version.removeprefix("redline ").strip() or "unknown"
    log(f"redline: {' '.join(redline)} ({version})")

    reports_dir = WORK / "real-cves-reports"
    records: list[dict] = []
    scans: dict[str, dict] = {}
    for t in needed:
        doc = scan(redline, trees / t, reports_dir / f"{t}.json", args.timeout, args.threat_model)
        if "_error" in doc:
            scans[t] = {"error": doc["_error"], "seconds": doc["_seconds"],
                        "command": doc["_command"], "stderr": doc["_stderr"]}
            log(f"scan {t}: FAILED ({doc['_error']}); its cases count as misses")
            if doc["_stderr"].strip():
                log("  " + doc["_stderr"].strip().splitlines()[-1])
            continue
        recs = convert(t, doc)
        records.extend(recs)
        scans[t] = {
            "files_scanned": doc["files_scanned"],
            "skipped": len(doc["skipped"]),
            "parse_failures": sum(1 for s in doc["skipped"] if s.get("parse_failure")),
            "findings": len(doc["findings"]),
            "mapped_findings": sum(1 for r in recs if r["category"]),
            "seconds": doc["_seconds"],
            "report": str(reports_dir / f"{t}.json"),
        }
        log(f"scan {t}: {doc['files_scanned']} files, {len(doc['findings'])} findings, "
            f"{len(doc['skipped'])} skipped, {doc['_seconds']:.1f}s")

    # score.py input: only findings with a category (score.py compares categories).
    scored = [{k: r[k] for k in ("tree", "path", "line", "category", "severity")}
              for r in records if r["category"]]
    findings_file = WORK / "real-cves-findings.json"
    findings_file.write_text(json.dumps(scored, indent=1))
    proc = subprocess.run([sys.executable, str(bench / "score.py"),
                           str(bench / "cases.json"), str(findings_file)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"error: score.py failed:\n{proc.stderr}")
    score_out = proc.stdout

    scorer = load_scorer(bench)
    per_case = []
    for c in cases:
        nearby = [r for r in records if near(c, r)]
        in_file = [r for r in records if r["tree"] == tree_name(c)
                   and r["path"].lstrip("./") == c["path"] and r not in nearby]
        matched = [r for r in nearby if r["category"] and scorer.hit(c, r)]
        per_case.append({
            "id": c["id"], "kind": c["kind"], "expected": c["expected"],
            "category": c["category"], "tree": tree_name(c), "path": c["path"],
            "function": c.get("function"), "function_span": c.get("function_span"),
            "lines": c["lines"],
            "outcome": (outcome(c, matched) if "error" not in scans[tree_name(c)]
                        else f"scan failed: {scans[tree_name(c)]['error']}"),
            "matched": [{k: r[k] for k in ("rule_id", "line", "severity", "category")}
                        for r in matched],
            "nearby": [{k: r[k] for k in ("rule_id", "line", "severity", "category",
                                          "mapped_by", "message")} for r in nearby],
            "elsewhere_in_file": [{k: r[k] for k in ("rule_id", "line", "severity", "category")}
                                  for r in in_file],
        })

    # ---- output
    print(f"# Real-CVE development set: redline {version}, "
          f"{dt.date.today().isoformat()}\n")
    print("## score.py\n")
    print(score_out.rstrip())
    print("\n## Per case\n")
    print("| Case | Expected | Category | File (sink lines) | Result | redline findings near it |")
    print("|---|---|---|---|---|---|")
    for pc in per_case:
        parts = []
        for r in pc["nearby"]:
            tag = r["category"] or "unmapped"
            if r["mapped_by"] == "cwe":
                tag += " (cwe)"
            parts.append(f"{r['rule_id']} L{r['line']} {r['severity']} [{tag}]")
        if pc["elsewhere_in_file"]:
            other = ", ".join(f"{r['rule_id']} L{r['line']}" for r in pc["elsewhere_in_file"][:4])
            more = len(pc["elsewhere_in_file"]) - 4
            parts.append(f"not near: {other}" + (f" +{more}" if more > 0 else ""))
        where = f"{pc['path']} ({', '.join(map(str, pc['lines']))})"
        print(f"| {pc['id']} | {pc['expected']} | {pc['category']} | {where} "
              f"| {pc['outcome']} | {'; '.join(parts) or '-'} |")

    vuln = [p for p in per_case if p["kind"] == "vulnerable"]
    hits = [p["id"] for p in vuln if p["outcome"] == "HIT"]
    fixed = [p for p in per_case if p["kind"] != "vulnerable"]
    fps = [p["id"] for p in fixed if p["outcome"].startswith("FP")]
    print(f"\nrecall {len(hits)}/{len(vuln)}: {' '.join(hits) or '-'}")
    print(f"false positives on fixed code {len(fps)}/{len(fixed)}: {' '.join(fps) or '-'}")
    total_files = sum(s.get("files_scanned", 0) for s in scans.values())
    total_secs = sum(s["seconds"] for s in scans.values() if "error" not in s)
    failed = {t: s["error"] for t, s in scans.items() if "error" in s}
    print(f"scanned {len(scans) - len(failed)} trees, {total_files} files, {total_secs:.1f}s")
    for t, e in failed.items():
        print(f"SCAN FAILED: {t}: {e} (its cases are counted as misses / no finding)")

    result = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "redline_version": version,
        "redline_command": redline,
        "cases_file": str(bench / "cases.json"),
        "trees_dir": str(trees),
        "rule_categories": RULE_CATEGORIES,
        "cwe_categories": {str(k): v for k, v in CWE_CATEGORIES.items()},
        "score_py_output": score_out,
        "recall": {"hit": len(hits), "of": len(vuln), "cases": hits},
        "fp_on_fixed": {"count": len(fps), "of": len(fixed), "cases": fps},
        "cases": per_case,
        "scans": scans,
        "failed_scans": failed,
        "findings_file": str(findings_file),
    }
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(result, indent=1))
    log(f"results: {args.results}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
