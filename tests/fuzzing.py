"""Fuzzing redline through its command line, shared by ``tests/test_fuzz.py`` (a short,
seeded run) and ``benchmarks/fuzz.py`` (a long one).

Two generators make Python files:

- ``mutation``: real files of pinned packages (downloaded with ``conftest.pinned_packages``)
  with lines deleted, duplicated, cut or re-indented, hostile tokens inserted (unmatched
  brackets, stray quotes, ``match``, PEP 695/701/750 syntax), NUL bytes, odd line
  separators, a BOM, very long lines, deep nesting and bytes that are not UTF-8;
- ``grammar``: syntactically valid programs from hypothesmith (its Lark grammar and its
  libCST node strategies), seeded so that a run can be repeated.

Each batch (about 15 generated files, an anchor file whose finding must survive, and
fillers up to the size at which ``--jobs 2`` really uses worker processes) is scanned by
the real CLI in subprocesses under a time limit, three times: JSON with ``--fail-on never``
and ``--jobs 1`` (also writing SARIF), the same with ``--jobs 2``, and the default gate.
:func:`judge` says what is wrong with a batch, one line per problem; :func:`triage` finds
the generated files that reproduce a problem on their own.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from redline.discovery import SKIP_DIRS
from redline.scan import _POOL_THRESHOLD

from test_report_json import FINDING_KEYS, LOCATION_KEYS, SUMMARY_KEYS, TOP_LEVEL_KEYS
from test_robustness import GOOD

SARIF_SCHEMA = Path(__file__).resolve().parents[2] / "shared" / "schemas" / "sarif-schema-2.1.0.json"
BATCH = 15  # generated files per scan
ANCHOR = "zz_anchor.py"  # GOOD: its EXEC002 on line 6 must be reported whatever sits beside it
MAX_SOURCE_BYTES = 150_000  # real files larger than this are not mutated (scan time)
TIMEOUT_S = 60.0  # per scan; a batch is ~40 small files, normally scanned in about a second
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW")


# -- the mutation generator ------------------------------------------------------------

TOKENS = (
    "(", ")", "[", "]", "{", "}", "'", '"', '"""', "'''", "\\", ":", ",", "=", "*", "**", "@",
    ":=", "...", "->", "lambda", "lambda:", "yield", "await ", "async ", "return", "del ",
    "global x", "nonlocal x", "not", "is not", "if", "else", "elif x:", "try:", "except*",
    "finally:", "with", "for", "in", "import", "from . import", "__import__('os')", "#",
    "# redline: ignore[EXEC001]", "# noqa: S307", "# nosec", "# type: ignore", "\\N{",
    'b"\\xff', 'rb"\\', 'f"{', 'f"{x!r:>{w}}"', 'f"{f"{f"{x}"}"}"', 'f"{x:{y:{z}}}"',
    "f'{'a' 'b'}'", 'f"{x=}"', 'f"{\n x \n}"', 't"hello {name}"', "t'{x!r}' t\"{y}\"",
    "match x:\n    case [1, *rest] | {'k': _} if rest:\n        pass\n    case _:\n        pass\n",
    "match = 1\n", "case = match(x)\n", "type X = list[int]\n", "type Y[T] = dict[str, T]\n",
    "def f[T](x: T) -> T:\n    return x\n", "class C[T, *Ts, **P]:\n    pass\n",
    "def g[T: (int, str) = int](): ...\n", "eval(request.args['q'])\n", "exec(input())\n",
    "import os; os.system(sys.argv[1])\n", "pickle.loads(data)\n", "yaml.load(f)\n",
    "subprocess.run(cmd, shell=True)\n", "__debug__ = 1\n", "print >>sys.stderr, x\n",
    "0x", "1_000_", "1e", "0o8", "1j", "\t", " ", "\u00a0", "\ufeff", "\u200b", "\x1b[31m",
)
SEPARATORS = ("\r", "\r\n", "\x0c", "\x0b", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def _lines(text: str) -> list[str]:
    return text.split("\n")


def _span(rng: random.Random, lines: list[str]) -> tuple[int, int]:
    start = rng.randrange(len(lines))
    return start, min(len(lines), start + rng.randint(1, 6))


def _delete(rng: random.Random, text: str) -> str:
    lines = _lines(text)
    a, b = _span(rng, lines)
    return "\n".join(lines[:a] + lines[b:])


def _duplicate(rng: random.Random, text: str) -> str:
    lines = _lines(text)
    a, b = _span(rng, lines)
    at = rng.randrange(len(lines) + 1)
    return "\n".join(lines[:at] + lines[a:b] + lines[at:])


def _cut(rng: random.Random, text: str) -> str:
    lines = _lines(text)
    i = rng.randrange(len(lines))
    lines[i] = lines[i][: rng.randint(0, len(lines[i]))]
    if rng.random() < 0.3:  # or the whole file from here on
        lines = lines[: i + 1]
    return "\n".join(lines)


def _reindent(rng: random.Random, text: str) -> str:
    lines = _lines(text)
    a, b = _span(rng, lines)
    pad = rng.choice((" ", "  ", "    ", "\t", " \t", "\x0c", "        " * 3))
    for i in range(a, b):
        if rng.random() < 0.5:
            lines[i] = pad + lines[i]
        else:
            lines[i] = lines[i].lstrip(" \t")
    return "\n".join(lines)


STATEMENTS = tuple(t for t in TOKENS if t.endswith("\n"))


def _insert_token(rng: random.Random, text: str) -> str:
    at = rng.randint(0, len(text))
    return text[:at] + rng.choice(TOKENS) + text[at:]


def _insert_statement(rng: random.Random, text: str) -> str:
    """A whole statement before a line, at that line's indentation: often still valid."""
    lines = _lines(text)
    i = rng.randrange(len(lines))
    indent = lines[i][: len(lines[i]) - len(lines[i].lstrip(" \t"))]
    block = [indent + ln if ln else ln for ln in rng.choice(STATEMENTS).rstrip("\n").split("\n")]
    return "\n".join(lines[:i] + block + lines[i:])


def _swap(rng: random.Random, text: str) -> str:
    lines = _lines(text)
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines)


def _separators(rng: random.Random, text: str) -> str:
    sep = rng.choice(SEPARATORS)
    if rng.random() < 0.2:
        return text.replace("\n", sep)
    out = []
    for piece in text.split("\n"):
        out.append(piece)
        out.append(sep if rng.random() < 0.1 else "\n")
    return "".join(out[:-1])


def _long_line(rng: random.Random, text: str) -> str:
    n = rng.choice((5_000, 50_000, 200_000))
    line = rng.choice((
        "x = " + "+".join(["1"] * (n // 2)),
        "s = '" + "a" * n + "'",
        "# " + "c" * n,
        "t = (" + "a, " * (n // 3) + ")",
        "f(" + ", ".join(f"k{i}=v" for i in range(n // 6)) + ")",
        "x = " + "a." * (n // 2) + "b",
        "v = " + " if c else ".join(["a"] * (n // 10)),
    ))
    lines = _lines(text)
    lines.insert(rng.randint(0, len(lines)), line)
    return "\n".join(lines)


def _deep(rng: random.Random, text: str) -> str:
    # Fixed depths, and any depth around the recursion limit (where the verdict of a
    # file once depended on the process that analysed it).
    depth = rng.choice((30, 90, 101, 200, 1000, 5000, rng.randint(300, 1100)))
    kind = rng.randrange(12)
    if kind == 0:
        block = "x = " + "(" * depth + "1" + ")" * depth
    elif kind == 1:
        block = "x = " + "[" * depth + "eval(y)" + "]" * depth
    elif kind == 2:
        depth = min(depth, 120)
        block = "\n".join(" " * i + "if x:" for i in range(depth)) + "\n" + " " * depth + "eval(x)"
    elif kind == 3:
        block = "x = " + "lambda: " * depth + "1"
    elif kind == 4:
        block = "x = " + "-" * depth + "1"
    elif kind == 5:
        block = "x = " + "f'{" * min(depth, 200) + "y" + "}'" * min(depth, 200)
    elif kind == 6:
        block = "if a:\n    pass\n" + "".join(f"elif b{i}:\n    pass\n" for i in range(depth))
    elif kind == 7:
        block = "x = " + "{'k': " * depth + "1" + "}" * depth
    elif kind == 8:  # chains: flat in the source, deep in the tree
        block = "x = eval(y)" + ".a" * depth
    elif kind == 9:
        block = "x = eval(y)" + " + a" * depth
    elif kind == 10:
        block = "x = q" + ".b()" * min(depth, 400)
    else:
        block = "x = " + "not " * depth + "eval(y)"
    lines = _lines(text)
    lines.insert(rng.randint(0, len(lines)), block)
    return "\n".join(lines)


TEXT_MUTATIONS: tuple[Callable[[random.Random, str], str], ...] = (
    _delete, _duplicate, _cut, _reindent, _insert_token, _insert_token, _insert_statement,
    _insert_statement, _swap, _separators, _long_line, _deep,
)


def _nul(rng: random.Random, data: bytes) -> bytes:
    at = rng.randint(0, len(data))
    return data[:at] + b"\x00" * rng.randint(1, 3) + data[at:]


def _bom(rng: random.Random, data: bytes) -> bytes:
    if rng.random() < 0.7:
        return b"\xef\xbb\xbf" + data
    at = rng.randint(0, len(data))
    return data[:at] + b"\xef\xbb\xbf" + data[at:]


def _not_utf8(rng: random.Random, data: bytes) -> bytes:
    kind = rng.randrange(5)
    if kind == 0:  # a stray byte that no UTF-8 sequence has
        at = rng.randint(0, len(data))
        return data[:at] + bytes([rng.choice((0x80, 0xC0, 0xC3, 0xE2, 0xF5, 0xFF))]) + data[at:]
    if kind == 1:  # a sequence cut in the middle
        return data + "\u00e9\u20ac".encode()[: rng.randint(1, 4)]
    if kind == 2:  # a coding line, declared or contradicted
        coding = rng.choice((b"latin-1", b"utf-8", b"cp1252", b"utf-16", b"bogus-codec", b"ascii"))
        return b"# -*- coding: " + coding + b" -*-\n" + data
    if kind == 3:  # the whole file in UTF-16
        return data.decode("utf-8", "replace").encode("utf-16")
    return data.decode("utf-8", "replace").encode("latin-1", "replace")


BYTE_MUTATIONS: tuple[Callable[[random.Random, bytes], bytes], ...] = (_nul, _bom, _not_utf8)


def mutate(rng: random.Random, source: str) -> bytes:
    """One to four mutations of ``source`` (mostly one); now and then one at the byte level."""
    text = source or "\n"
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4))):
        text = rng.choice(TEXT_MUTATIONS)(rng, text) or "\n"
    data = text.encode("utf-8", "surrogatepass")
    if rng.random() < 0.25:
        data = rng.choice(BYTE_MUTATIONS)(rng, data)
    return data


def real_sources(root: Path) -> list[tuple[str, str]]:
    """``(relative path, text)`` of every UTF-8 ``.py`` file under ``root``, sorted."""
    out = []
    for path in sorted(root.rglob("*.py")):
        try:
            if path.stat().st_size > MAX_SOURCE_BYTES:
                continue
            out.append((path.relative_to(root).as_posix(), path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError):
            continue
    return out


def mutation_batch(rng: random.Random, sources: list[tuple[str, str]]) -> dict[str, bytes]:
    return {rel: mutate(rng, text) for rel, text in rng.sample(sources, min(BATCH, len(sources)))}


# -- the grammar generator ----------------------------------------------------------


def grammar_batch(seed: int, count: int = BATCH) -> dict[str, bytes]:
    """``count`` valid programs from hypothesmith, the same ones for the same seed."""
    import hypothesmith
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis import strategies as st

    programs: list[str] = []

    @hypothesis_seed(seed)
    @settings(
        max_examples=count, database=None, phases=[Phase.generate], deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.one_of(hypothesmith.from_grammar(), hypothesmith.from_node()))
    def collect(source: str) -> None:
        programs.append(source)

    with warnings.catch_warnings():  # invalid escapes and the like, in programs it compiles
        warnings.simplefilter("ignore", SyntaxWarning)
        collect()
    return {
        f"gen/p{i:02}.py": p.encode("utf-8", "surrogatepass") for i, p in enumerate(programs)
    }


# -- scanning and judging -----------------------------------------------------------


@dataclass
class Scan:
    args: tuple[str, ...]
    code: int | None  # None: killed at the time limit
    out: bytes = b""
    err: bytes = b""
    reports: dict[str, bytes] = field(default_factory=dict)  # suffix -> file contents


def _safe_rel(rel: str) -> str:
    """``rel`` with no directory that discovery leaves out on purpose (build, .venv...)."""
    parts = rel.split("/")
    return "/".join(
        f"x{p}" if (p in SKIP_DIRS or p.startswith(".")) and i < len(parts) - 1 else p
        for i, p in enumerate(parts)
    )


def layout(files: dict[str, bytes]) -> dict[str, bytes]:
    """The whole tree of one batch: the generated files, the anchor and the fillers."""
    tree = {_safe_rel(rel): data for rel, data in files.items()}
    tree[ANCHOR] = GOOD.encode()
    for i in range(max(0, _POOL_THRESHOLD - len(tree))):
        tree[f"zz_filler_{i:02}.py"] = f"def f{i}(x):\n    return x + {i}\n".encode()
    return tree


def write_tree(root: Path, tree: dict[str, bytes]) -> None:
    for rel, data in tree.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


SCANS = ("jobs1", "jobsN", "gate")


def scan_args(name: str, jobs: int) -> tuple[str, ...]:
    return {
        "jobs1": ("--format", "json", "--fail-on", "never", "--jobs", "1"),
        "jobsN": ("--format", "json", "--fail-on", "never", "--jobs", str(jobs)),
        "gate": ("--format", "json", "--jobs", str(jobs)),
    }[name]


def run_scan(work: Path, name: str, timeout: float = TIMEOUT_S, jobs: int = 2) -> Scan:
    """``redline scan`` of ``work/tree`` as a user would run it, reports in ``work``."""
    outputs = [work / f"{name}.json"] + ([work / f"{name}.sarif"] if name == "jobs1" else [])
    for o in outputs:
        o.unlink(missing_ok=True)
    config = work / "empty.toml"  # built-in defaults wherever the work folder is
    config.write_text("")
    args = (*scan_args(name, jobs), "--no-cache", "--no-progress", "--config", str(config))
    for o in outputs:
        args += ("-o", str(o))
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}
    cmd = [sys.executable, "-m", "redline", "scan", str(work / "tree"), *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout, env=env, cwd=work)
    except subprocess.TimeoutExpired as exc:
        return Scan(scan_args(name, jobs), None, exc.stdout or b"", exc.stderr or b"")
    reports = {o.suffix: o.read_bytes() for o in outputs if o.exists()}
    return Scan(scan_args(name, jobs), proc.returncode, proc.stdout, proc.stderr, reports)


_SARIF_VALIDATOR = None


def _sarif_errors(doc: dict) -> list[str]:
    global _SARIF_VALIDATOR
    if _SARIF_VALIDATOR is None:
        if not SARIF_SCHEMA.exists():
            return []
        import jsonschema

        _SARIF_VALIDATOR = jsonschema.Draft7Validator(json.loads(SARIF_SCHEMA.read_text()))
    return [
        f"{list(e.absolute_path)}: {e.message[:120]}" for e in _SARIF_VALIDATOR.iter_errors(doc)
    ][:3]


def _shape_errors(doc) -> list[str]:
    """Where the JSON report departs from docs/json-format.md (the keys tests pin)."""
    if not isinstance(doc, dict):
        return ["report is not a JSON object"]
    errors = []
    optional = {"baseline", "diff", "dependencies"}
    keys = list(doc)
    if keys[: len(TOP_LEVEL_KEYS)] != TOP_LEVEL_KEYS or not set(keys[len(TOP_LEVEL_KEYS):]) <= optional:
        errors.append(f"top-level keys {keys}")
        return errors
    if list(doc["summary"]) != SUMMARY_KEYS:
        errors.append(f"summary keys {list(doc['summary'])}")
    if doc["summary"]["total"] != len(doc["findings"]):
        errors.append("summary total differs from the number of findings")
    for f in doc["findings"]:
        if list(f) != FINDING_KEYS or list(f["location"]) != LOCATION_KEYS:
            errors.append(f"finding keys {list(f)} / {list(f.get('location', {}))}")
        elif f["severity"] not in SEVERITIES or not isinstance(f["location"]["line"], int):
            errors.append(f"finding {f['rule_id']}: severity {f['severity']!r} line {f['location']['line']!r}")
    for s in doc["skipped"]:
        if list(s) != ["path", "reason", "parse_failure"]:
            errors.append(f"skipped keys {list(s)}")
    return errors[:3]


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def judge(work: Path, tree: dict[str, bytes], timeout: float = TIMEOUT_S, jobs: int = 2) -> list[str]:
    """Scan ``tree`` three ways; one line per problem, none when all is well."""
    root = work / "tree"
    if not root.exists():
        write_tree(root, tree)
    problems: list[str] = []
    scans = {}
    for name in SCANS:
        scan = scans[name] = run_scan(work, name, timeout, jobs)
        label = f"[{' '.join(scan.args)}]"
        if scan.code is None:
            problems.append(f"hang: {label} still running after {timeout:.0f} s")
            continue
        err = scan.err.decode("utf-8", "replace")
        if "Traceback" in err or "internal error" in err:
            tail = [ln for ln in err.splitlines() if ln.strip()][-1:] or [""]
            problems.append(f"crash: {label} traceback on stderr: {_one_line(tail[0])}")
        if scan.code not in (0, 1):
            problems.append(f"exit code {scan.code}: {label} {_one_line(err)}")
        if ".json" not in scan.reports:
            problems.append(f"no JSON report: {label}")
            continue
        try:
            doc = json.loads(scan.reports[".json"])
        except ValueError as exc:
            problems.append(f"invalid JSON report: {label} {exc}")
            continue
        if scan.out != scan.reports[".json"]:
            problems.append(f"stdout differs from the -o JSON report: {label}")
        shape = _shape_errors(doc)
        problems += [f"report shape: {label} {e}" for e in shape]
        if shape:
            continue
        gate_failed = doc["summary"]["gate_failed"]
        if name != "gate" and (scan.code != 0 or gate_failed):
            problems.append(f"exit code {scan.code} with --fail-on never: {label}")
        if name == "gate" and scan.code != int(gate_failed):
            problems.append(f"exit code {scan.code} but gate_failed={gate_failed}: {label}")
        problems += [f"{e}: {label}" for e in _accounting(doc, tree)]
        if ".sarif" in scan.reports:
            try:
                sarif = json.loads(scan.reports[".sarif"])
            except ValueError as exc:
                problems.append(f"invalid SARIF: {label} {exc}")
            else:
                problems += [f"SARIF schema: {label} {e}" for e in _sarif_errors(sarif)]
    one, two, gate = (scans[n].reports.get(".json") for n in SCANS)
    if one is not None and two is not None and one != two:
        problems.append(f"jobs difference: --jobs 1 and --jobs {jobs} reports differ ({_first_difference(one, two)})")
    if one is not None and gate is not None and _findings(one) != _findings(gate):
        problems.append("gate difference: the default gate reports other findings than --fail-on never")
    return problems


def _findings(report: bytes):
    try:
        doc = json.loads(report)
        return doc["findings"], doc["skipped"]
    except (ValueError, KeyError, TypeError):
        return None


def _first_difference(a: bytes, b: bytes) -> str:
    la, lb = a.decode("utf-8", "replace").splitlines(), b.decode("utf-8", "replace").splitlines()
    for i, (x, y) in enumerate(zip(la, lb, strict=False)):
        if x != y:
            return f"line {i + 1}: {_one_line(x, 80)!r} vs {_one_line(y, 80)!r}"
    return f"{len(la)} vs {len(lb)} lines"


def _accounting(doc: dict, tree: dict[str, bytes]) -> list[str]:
    """Every input analysed or skipped with a one-line reason; no analysis error."""
    errors = []
    names = set(tree)
    skipped = {s["path"]: s["reason"] for s in doc["skipped"]}
    if doc["files_scanned"] != len(names) or doc["files_by_kind"] != {"python": len(names)}:
        errors.append(f"files_scanned {doc['files_scanned']} {doc['files_by_kind']} for {len(names)} inputs")
    for path, reason in skipped.items():
        if path not in names:
            errors.append(f"skipped a file that is not an input: {path!r}")
        if not reason.strip() or "\n" in reason or "\r" in reason:
            errors.append(f"skip reason is not one line: {path!r} {reason!r}")
        if "internal error" in reason:
            errors.append(f"crash: {path} {_one_line(reason)}")
    for f in doc["findings"]:
        path = f["location"]["path"]
        if path in skipped:
            errors.append(f"finding in a skipped file: {f['rule_id']} {path!r}")
        elif path not in names and f["area"] != "dependencies":
            errors.append(f"finding in a file that is not an input: {f['rule_id']} {path!r}")
    anchor = [
        f["location"]["line"] for f in doc["findings"]
        if f["location"]["path"] == ANCHOR and f["rule_id"] == "EXEC002"
    ]
    if anchor != [6]:
        errors.append(f"anchor finding lost: EXEC002 lines {anchor} in {ANCHOR}")
    return errors


def triage(files: dict[str, bytes], timeout: float = TIMEOUT_S, jobs: int = 2) -> list[tuple[dict[str, bytes], list[str]]]:
    """The generated files that fail on their own (each with the anchor and fillers),
    with their problems; the whole batch when no single file does."""
    found = []
    for rel, data in files.items():
        with tempfile.TemporaryDirectory(prefix="redline-triage-") as tmp:
            problems = judge(Path(tmp), layout({rel: data}), timeout, jobs)
        if problems:
            found.append(({rel: data}, problems))
    return found or [(files, [])]


# -- a run --------------------------------------------------------------------------


@dataclass
class Failure:
    generator: str
    batch: int
    files: dict[str, bytes]
    problems: list[str]


@dataclass
class Tally:
    batches: int = 0
    files: int = 0
    scans: int = 0
    failures: list[Failure] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for f in self.failures if any(p.startswith(kind) for p in f.problems))


def fuzz_batch(
    generator: str,
    files: dict[str, bytes],
    tally: Tally,
    timeout: float = TIMEOUT_S,
    jobs: int = 2,
) -> list[Failure]:
    """Judge one batch; a failing one is triaged down to the files that fail alone."""
    tally.batches += 1
    tally.files += len(files)
    with tempfile.TemporaryDirectory(prefix="redline-fuzz-") as tmp:
        problems = judge(Path(tmp), layout(files), timeout, jobs)
    tally.scans += len(SCANS)
    if not problems:
        return []
    tally.scans += len(SCANS) * len(files)  # triage: each file alone
    new = [
        Failure(generator, tally.batches, culprit, alone or problems)
        for culprit, alone in triage(files, timeout, jobs)
    ]
    tally.failures += new
    return new


def mutation_batches(sources: list[tuple[str, str]], seed: int) -> Iterator[dict[str, bytes]]:
    rng = random.Random(seed)
    while True:
        yield mutation_batch(rng, sources)


def grammar_batches(seed: int) -> Iterator[dict[str, bytes]]:
    n = 0
    while True:
        yield grammar_batch(seed * 100_000 + n)
        n += 1


def describe(failure: Failure) -> str:
    names = ", ".join(sorted(failure.files)) if len(failure.files) <= 3 else f"{len(failure.files)} files"
    return f"{failure.generator} batch {failure.batch} ({names}): " + "; ".join(failure.problems)


def write_failure(where: Path, n: int, failure: Failure) -> Path:
    """The failing input(s) under ``where/NNNN-generator/`` and a one-line REASON."""
    folder = where / f"{n:04}-{failure.generator}"
    write_tree(folder / "input", failure.files)
    (folder / "REASON").write_text(_one_line("; ".join(failure.problems), 1000) + "\n")
    return folder

