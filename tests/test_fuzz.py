"""A short fuzz run of the command line (about a minute, fixed seeds; ``benchmarks/fuzz.py``
is the long one), and the JSON report of a real package byte for byte across job counts.

Every batch is scanned by ``python -m redline scan`` with ``--jobs 1``, ``--jobs 2`` and the
default gate, and must give: no traceback, exit 0 or 1 as the gate says, a JSON report of
the documented shape (and SARIF valid against the SARIF 2.1.0 schema), every input analysed
or skipped with a one-line reason, the anchor file's finding, and byte-identical reports
for both job counts (see ``tests/fuzzing.py``). The real files come from the pinned
packages of the clean-corpus test (the same download; skipped without a network); the
generated programs need no network.
"""

from __future__ import annotations

import ast
import json
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

import fuzzing
from conftest import pinned_packages
from test_clean_corpus import CLEAN

MUTATION_SEED = 16
MUTATION_BATCHES = 8
GRAMMAR_SEED = 16
GRAMMAR_BATCHES = 5


@pytest.fixture(scope="module")
def real_sources(tmp_path_factory):
    sources = fuzzing.real_sources(pinned_packages(tmp_path_factory, *CLEAN))
    assert len(sources) > 300
    return sources


def _run(generator: str, batches) -> fuzzing.Tally:
    tally = fuzzing.Tally()
    for files in batches:
        fuzzing.fuzz_batch(generator, files, tally)
    return tally


def test_mutated_real_files(real_sources):
    batches = fuzzing.mutation_batches(real_sources, MUTATION_SEED)
    tally = _run("mutation", (next(batches) for _ in range(MUTATION_BATCHES)))
    assert [fuzzing.describe(f) for f in tally.failures] == []
    assert (tally.files, tally.scans) == (MUTATION_BATCHES * fuzzing.BATCH, MUTATION_BATCHES * 3)


def test_generated_programs():
    pytest.importorskip("hypothesmith")
    tally = _run("grammar", (fuzzing.grammar_batch(GRAMMAR_SEED * 1000 + n) for n in range(GRAMMAR_BATCHES)))
    assert [fuzzing.describe(f) for f in tally.failures] == []
    assert tally.files == GRAMMAR_BATCHES * fuzzing.BATCH


def test_generators_are_seeded():
    sources = [("pkg/mod.py", "import os\n\n\ndef f(x):\n    return os.path.join(x, 'a')\n" * 20)]
    first = [fuzzing.mutate(random.Random(7), text) for _, text in sources * 5]
    again = [fuzzing.mutate(random.Random(7), text) for _, text in sources * 5]
    assert first == again
    pytest.importorskip("hypothesmith")
    assert fuzzing.grammar_batch(3, 4) == fuzzing.grammar_batch(3, 4)


def test_mutations_leave_some_files_parsable_and_break_others():
    """The fuzzer reaches the analysers, not only the parser's error path."""
    text = Path(fuzzing.__file__).read_text(encoding="utf-8")
    rng = random.Random(1)
    parsable = 0
    for _ in range(200):
        try:
            ast.parse(fuzzing.mutate(rng, text))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        parsable += 1
    assert 20 < parsable < 180, parsable


def test_the_judge_sees_a_hang_and_a_lost_input(tmp_path):
    """The checks are not vacuous: a time limit that no scan meets is a hang, and an
    input that vanished before the scan is neither analysed nor skipped."""
    tree = fuzzing.layout({"a.py": b"x = 1\n"})
    hung = fuzzing.judge(tmp_path / "hang", tree, timeout=0.01)
    assert len(hung) == 3 and all(p.startswith("hang: ") for p in hung), hung
    work = tmp_path / "lost"
    fuzzing.write_tree(work / "tree", tree)
    (work / "tree" / "a.py").unlink()
    lost = fuzzing.judge(work, tree)
    n = len(tree)
    assert len(lost) == 3, lost
    assert all(p.startswith(f"files_scanned {n - 1} {{'python': {n - 1}}} for {n} inputs") for p in lost), lost


TIMING = re.compile(r"time|duration|elapsed|started|finished|seconds", re.IGNORECASE)


def _keys(doc) -> set[str]:
    if isinstance(doc, dict):
        return set(doc) | {k for v in doc.values() for k in _keys(v)}
    if isinstance(doc, list):
        return {k for v in doc for k in _keys(v)}
    return set()


def test_json_report_of_a_real_package_is_byte_identical_for_one_and_two_jobs(tmp_path, tmp_path_factory):
    """sqlalchemy 2.0.36 (255 files, worker processes with --jobs 2): the same bytes; the
    report has no timing field to remove (docs/json-format.md leaves the duration out)."""
    package = pinned_packages(tmp_path_factory, *CLEAN) / "sqlalchemy"
    config = tmp_path / "empty.toml"
    config.write_text("")
    reports = {}
    for jobs in (1, 2):
        out = tmp_path / f"jobs{jobs}.json"
        proc = subprocess.run(
            [sys.executable, "-m", "redline", "scan", str(package), "--format", "json", "-q",
             "-o", str(out), "--fail-on", "never", "--no-cache", "--jobs", str(jobs),
             "--config", str(config)],
            capture_output=True, timeout=300,
        )
        assert proc.returncode == 0 and proc.stderr == b"", proc.stderr[-2000:]
        reports[jobs] = out.read_bytes()
    doc = json.loads(reports[1])
    assert doc["files_scanned"] >= 250 and doc["findings"]
    assert sorted(k for k in _keys(doc) if TIMING.search(k)) == []
    assert reports[1] == reports[2]
