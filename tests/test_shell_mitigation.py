"""INJ001 keeps reporting a shell command whose variable parts are all shlex-quoted, at LOW."""

from __future__ import annotations

import textwrap

from redline.config import Config
from redline.scan import ScanOptions, run_scan


def test_quoted_commands_are_low_and_unquoted_ones_a_review_item(tmp_path):
    (tmp_path / "cli.py").write_text(
        textwrap.dedent(
            """
            import os
            import shlex
            import subprocess

            def open_in_editor(path, flags):
                os.system(f"vim {shlex.quote(path)}")
                subprocess.run("less " + shlex.quote(path), shell=True, timeout=60)
                os.system(f"vim {shlex.quote(path)} {flags}")
            """
        )
    )
    result = run_scan([tmp_path], Config(select=("INJ001",)), ScanOptions(use_cache=False, jobs=1))
    assert [(f.location.line, f.severity.name) for f in sorted(result.findings, key=lambda f: f.location.line)] == [
        (7, "LOW"),
        (8, "LOW"),
        (9, "MEDIUM"),  # data of unknown origin: a review item
    ]
