"""Process helpers shared by the benchmark scripts."""

from __future__ import annotations

import os
import signal
import subprocess
import time


def run_killable(cmd: list[str], timeout: float) -> tuple[int | None, str, float]:
    """Run cmd in its own process group; on timeout kill the whole group (redline's
    worker processes included). Returns (exit code or None on timeout, stderr, seconds)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        _, err = proc.communicate(timeout=timeout)
        return proc.returncode, err, time.perf_counter() - t0
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        _, err = proc.communicate()
        return None, err, time.perf_counter() - t0
