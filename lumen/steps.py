"""Run a pipeline step: check its parameters, execute its notebook with Papermill, audit it.

`lumen step clean --run-id R --param start=2024-11-01 --param end=2024-11-21`
1. checks the parameters before any kernel starts (unknown or ill-typed → clear error);
2. takes the run lock (ops.run_lock + a session advisory lock, see "the lock" below): one
   pipeline run writes at a time; a second run says it waits, and for whom, then waits
   (LUMEN_LOCK_WAIT seconds) or stops with a message naming the run in the way;
3. executes `notebooks/pipeline/NN_name.ipynb` on the lumen kernel into
   `runs/<date>/<run_id>/NN_name.ipynb` — the run's record;
4. writes ops.step_runs (parameters, status, rows in/out, times, notebook, git commit, error).

Secrets are never parameters: notebooks read them from the environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from lumen.config import Settings, get_settings
from lumen.db import connect
from lumen.errors import LumenError
from lumen.inmet.schema import state_codes, station_codes
from lumen.window import parse_instant


class StepError(LumenError):
    """A step could not start, or its notebook failed; the message is the step's own."""


@dataclass(frozen=True)
class Step:
    number: int
    name: str
    params: dict[str, type]  # besides run_id and result_path, which the runner sets
    required: tuple[str, ...] = ()

    @property
    def notebook(self) -> str:
        return f"{self.number:02d}_{self.name}.ipynb"


WINDOW = {"start": str, "end": str}
STEPS: dict[str, Step] = {
    s.name: s
    for s in (
        Step(
            1,
            "ingest",
            {"source": str, **WINDOW, "stations": str, "archive": str, "uf": str, "overlap_hours": int},
            ("source",),
        ),  # fmt: skip
        Step(2, "clean", {**WINDOW, "stations": str}, ("start", "end")),
        Step(3, "validate", dict(WINDOW), ("start", "end")),
        Step(4, "publish", dict(WINDOW)),
    )
}


def check_params(step: Step, raw: dict[str, str]) -> dict[str, object]:
    """Typed parameters, or StepError naming what is wrong (before any kernel starts)."""
    unknown = sorted(set(raw) - set(step.params))
    if unknown:
        raise StepError(
            f"step {step.name}: unknown parameter(s) {', '.join(unknown)}; it takes {', '.join(step.params)}"
        )
    missing = [p for p in step.required if not str(raw.get(p, "")).strip()]
    if missing:
        raise StepError(f"step {step.name}: missing parameter(s) {', '.join(missing)}")
    typed: dict[str, object] = {}
    for key, value in raw.items():
        kind = step.params[key]
        try:
            typed[key] = kind(value)
        except (TypeError, ValueError):
            raise StepError(f"step {step.name}: parameter {key}={value!r} is not a {kind.__name__}") from None
    for key in ("start", "end"):
        if typed.get(key):
            parse_instant(str(typed[key]), end=key == "end")  # raises a LumenError naming the value
    station_codes(str(typed.get("stations") or ""))  # the same: no text that is not a code reaches a URL
    state_codes(str(typed.get("uf") or ""))
    if step.name == "ingest" and typed.get("source") not in ("api", "archive"):
        raise StepError(f"step ingest: source must be 'api' or 'archive', not {typed.get('source')!r}")
    return typed


def git_commit(root: Path) -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def kernel_name() -> str:
    """The lumen env's kernelspec when registered (make setup), else the current interpreter's."""
    from jupyter_client.kernelspec import KernelSpecManager

    return "lumen" if "lumen" in KernelSpecManager().find_kernel_specs() else "python3"


# ------------------------------------------------------------------ the lock ----
# One run writes at a time. ops.run_lock names the run that holds it across its steps (each step
# is a process of its own); the step running now also holds a session advisory lock, which dies
# with its session: a step killed with SIGKILL (or a dead connection) frees it at once. Between
# two steps of a run nothing holds the advisory lock: the row's heartbeat, set when a step ends,
# keeps the run's place for LOCK_GAP_S, then the next run may take over.
LOCK_KEY = 0x4C554D52  # "LUMR"
LOCK_GAP_S = float(os.environ.get("LUMEN_LOCK_GAP_S", "120"))


def lock_holder(conn) -> tuple[str | None, datetime | None, bool]:
    """(run, since, a step of it is running now) — what `lumen status` shows."""
    holder, since = conn.execute("SELECT run_id, acquired_at FROM ops.run_lock WHERE singleton").fetchone()
    running = conn.execute(  # a bigint advisory key shows as classid (high half), objid (low half)
        "SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = %s AND l.objsubid = 1 "
        "AND d.datname = current_database())",
        (LOCK_KEY,),
    ).fetchone()[0]
    return holder, since, running


def acquire_lock(conn, run_id: str, wait_s: float) -> None:
    """Hold the run lock for `run_id` (re-entrant for the same run); wait up to `wait_s` for another run.
    `conn` must be autocommit and stay open while the step runs (the advisory lock is its session's)."""
    deadline = time.monotonic() + wait_s
    said = False
    while True:
        if conn.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()[0]:
            with conn.transaction():
                holder, beat, since = conn.execute(
                    "SELECT run_id, heartbeat_at, acquired_at FROM ops.run_lock WHERE singleton FOR UPDATE"
                ).fetchone()
                between_steps = beat is not None and (datetime.now(UTC) - beat).total_seconds() <= LOCK_GAP_S
                if holder not in (None, run_id) and between_steps and _died_mid_step(conn, holder):
                    between_steps = False  # its step was running, yet its session is gone: killed
                if holder in (None, run_id) or not between_steps:
                    conn.execute(
                        "UPDATE ops.run_lock SET run_id = %s, heartbeat_at = now(), "
                        "acquired_at = CASE WHEN run_id IS DISTINCT FROM %s THEN now() ELSE acquired_at END",
                        (run_id, run_id),
                    )
                    return
            conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))  # that run is between two steps
        else:
            holder, since, _ = lock_holder(conn)
        if time.monotonic() >= deadline:
            raise StepError(
                f"another pipeline run ({holder}, holding the lock since {since:%Y-%m-%d %H:%M:%S} UTC) is writing; "
                f"this run ({run_id}) stopped after waiting {wait_s:g} s — try again when it has finished, "
                "or `lumen unlock` if it is dead"
            )
        if not said:
            print(f"waiting for pipeline run {holder} (holding the lock since {since:%Y-%m-%d %H:%M:%S} UTC)",
                  file=sys.stderr, flush=True)  # fmt: skip
            said = True
        time.sleep(1.0)


def _died_mid_step(conn, holder: str) -> bool:
    """The holder's newest step is still 'running' while nobody holds the advisory lock: its process
    died (SIGKILL, a lost connection). That step is marked failed; True."""
    row = conn.execute(
        "UPDATE ops.step_runs SET status = 'failed', finished_at = now(), "
        "error = 'the step''s process died (its database session ended) before it finished' "
        "WHERE id = (SELECT max(id) FROM ops.step_runs WHERE run_id = %s) AND status = 'running' RETURNING id",
        (holder,),
    ).fetchone()
    return row is not None


def beat_lock(conn, run_id: str) -> None:
    """A step of `run_id` ended: its run keeps the lock for LOCK_GAP_S, until its next step starts."""
    conn.execute("UPDATE ops.run_lock SET heartbeat_at = now() WHERE run_id = %s", (run_id,))


def release_lock(conn, run_id: str | None = None) -> str | None:
    """Free the run lock (of `run_id`, or whoever holds it: `lumen unlock`). Returns the run that held it."""
    with conn.transaction():
        row = conn.execute(
            "UPDATE ops.run_lock l SET run_id = NULL, acquired_at = NULL, heartbeat_at = NULL "
            "FROM (SELECT run_id FROM ops.run_lock WHERE singleton FOR UPDATE) old "
            "WHERE l.singleton AND (%(run)s::text IS NULL OR l.run_id = %(run)s) RETURNING old.run_id",
            {"run": run_id},
        ).fetchone()
    return row[0] if row else None


# ---------------------------------------------------------------- the runner ----
@dataclass
class StepOutcome:
    run_id: str
    step: str
    notebook: Path
    result: dict


def run_step(
    name: str,
    raw_params: dict[str, str],
    run_id: str | None = None,
    last: bool = False,
    settings: Settings | None = None,
    lock_wait_s: float = 600.0,
) -> StepOutcome:
    """Execute one step notebook; raise StepError with the step's message when it fails."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from lumen.ingest import new_run_id

    settings = settings or get_settings()
    if name not in STEPS:
        raise StepError(f"no step {name!r}; steps are {', '.join(STEPS)}")
    step = STEPS[name]
    params = check_params(step, raw_params)
    run_id = run_id or new_run_id()
    root = settings.root
    out_dir = root / "runs" / datetime.now(UTC).strftime("%Y-%m-%d") / run_id
    out_dir.mkdir(parents=True, exist_ok=True)
    notebook = out_dir / step.notebook
    result_path = out_dir / f"{step.number:02d}_{step.name}.result.json"
    with connect("pipeline", settings, autocommit=True) as conn:
        acquire_lock(conn, run_id, lock_wait_s)
        row_id = conn.execute(
            "INSERT INTO ops.step_runs (run_id, step, parameters, status, notebook_path, git_commit) "
            "VALUES (%s, %s, %s, 'running', %s, %s) RETURNING id",
            (run_id, name, json.dumps(params), str(notebook), git_commit(root)),
        ).fetchone()[0]
        try:
            papermill.execute_notebook(
                str(root / "notebooks" / "pipeline" / step.notebook), str(notebook),
                parameters={**params, "run_id": run_id, "result_path": str(result_path)},
                kernel_name=kernel_name(), cwd=str(root), progress_bar=False,
                stdout_file=sys.stdout, stderr_file=sys.stderr,
            )  # fmt: skip
        except PapermillExecutionError as exc:
            message = str(exc.evalue).strip() or exc.ename
            _finish(conn, row_id, "failed", {}, f"{exc.ename}: {message}")
            release_lock(conn, run_id)
            raise StepError(f"step {name} failed: {message}\n(executed notebook: {notebook})") from None
        except BaseException as exc:
            _finish(conn, row_id, "failed", {}, f"{type(exc).__name__}: {exc}")
            release_lock(conn, run_id)
            raise
        result = json.loads(result_path.read_text()) if result_path.exists() else {}
        _finish(conn, row_id, "succeeded", result, None)
        if last:
            release_lock(conn, run_id)
        else:
            beat_lock(conn, run_id)
    return StepOutcome(run_id, name, notebook, result)


def _finish(conn, row_id: int, status: str, result: dict, error: str | None) -> None:
    conn.execute(
        "UPDATE ops.step_runs SET status = %s, rows_in = %s, rows_out = %s, finished_at = now(), error = %s "
        "WHERE id = %s",
        (status, result.get("rows_in"), result.get("rows_out"), error, row_id),
    )
