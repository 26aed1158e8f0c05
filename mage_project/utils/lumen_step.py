"""Run the lumen env's `lumen step …` from a Mage block (the Mage env never imports lumen).

The step's output streams into the block log; a failing step raises with the step's
own message (e.g. the data-quality summary), so Mage marks the block failed and
`mage run` exits 1.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LUMEN = os.environ.get("LUMEN_BIN") or str(PROJECT_ROOT / ".venv" / "bin" / "lumen")
HOURLY_WINDOW_HOURS = 3  # each hourly run re-checks the last 3 hours (late INMET data)
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2})?$")


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


def checked_day(kwargs: dict, name: str) -> str:
    value = variable(kwargs, name)
    if value and not _DAY.match(value):
        raise ValueError(f"runtime variable {name}={value!r}: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC)")
    return value


def new_run(pipeline: str, kwargs: dict) -> dict:
    """The run's id and window. Hourly: the 3 hours before the run's execution date (not the wall
    clock, so catch-up runs and backfills get their own hours); overridable by start/end variables."""
    execution = kwargs.get("execution_date") or datetime.now(timezone.utc)
    if isinstance(execution, str):
        execution = datetime.fromisoformat(execution)
    if execution.tzinfo is None:
        execution = execution.replace(tzinfo=timezone.utc)
    end_hour = execution.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    start = checked_day(kwargs, "start") or (end_hour - timedelta(hours=HOURLY_WINDOW_HOURS)).strftime("%Y-%m-%dT%H:%M")
    end = checked_day(kwargs, "end") or end_hour.strftime("%Y-%m-%dT%H:%M")
    run_id = f"{pipeline}-{end_hour:%Y%m%dT%H%MZ}-{secrets.token_hex(3)}"
    return {"run_id": run_id, "start": start, "end": end}


def run_step(step: str, run: dict, params: dict, last: bool = False) -> dict:
    """`lumen step STEP --run-id … --param k=v …`, streamed; raises StepFailed with the step's message."""
    cmd = [LUMEN, "step", step, "--run-id", run["run_id"]]
    for key, value in params.items():
        if value not in (None, ""):
            cmd += ["--param", f"{key}={value}"]
    if last:
        cmd.append("--last")
    print(f"$ lumen step {step} --run-id {run['run_id']} " + " ".join(cmd[5:]), flush=True)
    proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:
        if "Kernel is running over TCP without encryption" in line:
            continue
        print(line, end="", flush=True)
        lines.append(line)
    if proc.wait() != 0:
        text = "".join(lines)
        where = text.rfind("lumen: error: ")
        message = text[where + len("lumen: error: "):].strip() if where >= 0 else text[-2000:].strip()
        raise StepFailed(message or f"lumen step {step} exited with {proc.returncode}")
    return run
