"""Run a command as a user would and sample its peak RSS on the process itself (ru_maxrss of
children would also count the other measures' processes)."""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
import time


def run_sampled(
    cmd: list[str], env: dict[str, str], every_s: float = 0.05, tree: bool = False
) -> tuple[subprocess.CompletedProcess, float, float]:
    """(the finished process with its output, wall seconds, peak RSS in MiB). `tree`: the peak of the
    RSS summed over the process and all its descendants (a pipeline run: Mage, steps, kernels)."""
    import psutil

    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:  # a pipe could fill and stall it
        proc = psutil.Popen(cmd, env=env, stdout=out, stderr=err, text=True)
        peak = 0
        while proc.poll() is None:
            with contextlib.suppress(psutil.Error):
                procs = [proc, *proc.children(recursive=True)] if tree else [proc]
                peak = max(peak, sum(_rss(p) for p in procs))
            time.sleep(every_s)
        proc.wait()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    seconds = time.perf_counter() - start
    return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr), seconds, peak / 2**20


def _rss(proc) -> int:
    import psutil

    try:
        return proc.memory_info().rss
    except psutil.Error:  # ended between the listing and the reading
        return 0
