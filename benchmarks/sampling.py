"""Run a command as a user would and sample its peak RSS on the process itself (ru_maxrss of
children would also count the other measures' processes)."""

from __future__ import annotations

import contextlib
import subprocess
import time


def run_sampled(cmd: list[str], env: dict[str, str], every_s: float = 0.05) -> tuple[subprocess.CompletedProcess,
                                                                                    float, float]:  # fmt: skip
    """(the finished process with its output, wall seconds, peak RSS in MiB)."""
    import psutil

    start = time.perf_counter()
    proc = psutil.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    while proc.poll() is None:
        with contextlib.suppress(psutil.Error):
            peak = max(peak, proc.memory_info().rss)
        time.sleep(every_s)
    stdout, stderr = proc.communicate()
    seconds = time.perf_counter() - start
    return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr), seconds, peak / 2**20
