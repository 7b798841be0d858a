"""Code written for newer Pythons than the host is still analysed (fallback parser)."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from redline.analysis import AnalysisSettings, FileTask, analyse_bytes
from redline.engine import RuleSettings
from redline.rules import registry

MODERN = {
    "pep701.py": (
        """
        import subprocess
        def run(cmd, items):
            label = f"{", ".join(items)}"
            note = f"{'\\n'.join(items)}"
            subprocess.run(f"echo {cmd}", shell=True)
            return eval(f"{label!r}")
        """,
        {(6, "INJ001"), (7, "EXEC001")},
    ),
    "pep695.py": (
        """
        import pickle
        type Payload = bytes
        class Store[T]:
            def load[K: str](self, key: K, blob: Payload) -> T:
                return pickle.loads(blob)
        def first[T = int](xs: list[T]) -> T:
            return eval(xs[0])
        """,
        {(6, "SER001"), (8, "EXEC001")},
    ),
    "pep758.py": (
        """
        import yaml
        def parse(text):
            try:
                return yaml.load(text, Loader=yaml.Loader)
            except ValueError, TypeError:
                return None
        """,
        {(5, "SER002")},
    ),
    "pep750.py": (
        """
        import os
        def greet(name):
            template = t"Hello {name}"
            os.system(f"echo {name}")
            return template
        """,
        {(5, "INJ001")},
    ),
}


@pytest.mark.parametrize("name", sorted(MODERN))
def test_newer_syntax_is_analysed(name):
    source, expected = MODERN[name]
    settings = AnalysisSettings(RuleSettings(frozenset(r.id for r in registry.all_rules())))
    task = FileTask(f"/x/{name}", name, "python", name[:-3], False)
    result = analyse_bytes(task, textwrap.dedent(source).encode(), settings)
    assert result.skipped is None, result.skipped
    assert {(f.location.line, f.rule_id) for f in result.findings} == expected
    host_version = {"pep701.py": (3, 12), "pep695.py": (3, 13), "pep758.py": (3, 14), "pep750.py": (3, 14)}
    if sys.version_info < host_version[name]:
        assert result.parser == "fallback"


def test_genuine_syntax_errors_are_still_reported(tmp_path: Path):
    settings = AnalysisSettings(RuleSettings(frozenset({"EXEC001"})))
    task = FileTask(str(tmp_path / "bad.py"), "bad.py", "python", "bad", False)
    result = analyse_bytes(task, b"def f(:\n    eval(x)\n", settings)
    assert result.skipped is not None and result.skipped.parse_failure
    assert result.skipped.reason.startswith("syntax error: line 1")
