"""Run the lumen env's `lumen step …` from a Mage block (the Mage env never imports lumen).

The step's output streams into the block log; a failing step raises with the step's
own message (e.g. the data-quality summary), read from the JSON outcome `lumen step`
writes (never scraped from its output), so Mage marks the block failed and `mage run`
exits 1. The run's id and window come from `lumen window`: no date rule lives here.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LUMEN = os.environ.get("LUMEN_BIN") or str(PROJECT_ROOT / ".venv" / "bin" / "lumen")


class StepFailed(Exception):
    """The lumen step failed; the message is the step's own."""


def variable(kwargs: dict, name: str, default: str = "") -> str:
    """A runtime variable as text; lists become comma-separated (stations: ["A807", "A652"])."""
    value = kwargs.get(name, default)
    if value is None:
        return default
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


def new_run(pipeline: str, kwargs: dict) -> dict:
    """The run's id and window, from `lumen window` (JSON): the last hours before the run's
    execution date, or the start/end variables (checked there, with lumen's own message)."""
    execution = kwargs.get("execution_date")
    at = execution.isoformat() if isinstance(execution, datetime) else str(execution or "")
    cmd = [LUMEN, "window", "--pipeline", pipeline, "--at", at,
           "--start", variable(kwargs, "start"), "--end", variable(kwargs, "end")]
    proc = subprocess.run(cmd, cwd=PROJECT_ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines() or [f"lumen window exited with {proc.returncode}"]
        raise StepFailed(lines[-1].removeprefix("lumen: error: "))
    return json.loads(proc.stdout)


def run_step(step: str, run: dict, params: dict, last: bool = False) -> dict:
    """`lumen step STEP --run-id … --param k=v …`, streamed; raises StepFailed with the step's message."""
    cmd = [LUMEN, "step", step, "--run-id", run["run_id"]]
    for key, value in params.items():
        if value not in (None, ""):
            cmd += ["--param", f"{key}={value}"]
    if last:
        cmd.append("--last")
    print(f"$ lumen step {step} --run-id {run['run_id']} " + " ".join(cmd[5:]), flush=True)
    with tempfile.TemporaryDirectory(prefix="lumen-step-") as tmp:
        outcome = Path(tmp) / "outcome.json"  # how the step went, written by `lumen step` itself
        proc = subprocess.Popen([*cmd, "--outcome", str(outcome)], cwd=PROJECT_ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:
            if "Kernel is running over TCP without encryption" not in line:
                print(line, end="", flush=True)
        code = proc.wait()
        result = json.loads(outcome.read_text()) if outcome.exists() else {}
    if code != 0:
        raise StepFailed(result.get("error") or f"lumen step {step} exited with {code} (its output is above)")
    return run
