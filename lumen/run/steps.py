"""Run a pipeline step: check its parameters, execute its notebook with Papermill, audit it.

`lumen step clean --run-id R --param start=2024-11-01 --param end=2024-11-21`
1. checks the parameters before any kernel starts (unknown or ill-typed → clear error);
2. takes the run lock (ops.run_lock + a session advisory lock, lumen/run/lock.py): one
   pipeline run writes at a time; a second run says it waits, and for whom, then waits
   (LUMEN_LOCK_WAIT seconds) or stops with a message naming the run in the way;
3. executes `notebooks/pipeline/NN_name.ipynb` on the lumen kernel into
   `runs/<date>/<run_id>/NN_name.ipynb` — the run's record;
4. writes ops.step_runs (parameters, status, rows in/out, times, notebook, git commit, error).

Secrets are never parameters: notebooks read them from the environment.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from lumen import vocabulary
from lumen.config import Settings, get_settings
from lumen.db import connect
from lumen.errors import DATABASE_DOWN, LumenError, database_down
from lumen.run.lock import acquire_lock, beat_lock, release_lock
from lumen.vocabulary import state_codes, station_codes
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
        Step(5, "train", {**WINDOW, "stations": str, "test_from": str}, ("start", "end")),
        Step(6, "forecast", {**WINDOW, "stations": str}),
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
    for key in ("start", "end", "test_from"):
        if typed.get(key):
            parse_instant(str(typed[key]), end=key == "end")  # raises a LumenError naming the value
    station_codes(str(typed.get("stations") or ""))  # the same: no text that is not a code reaches a URL
    state_codes(str(typed.get("uf") or ""))
    if step.name == "ingest" and typed.get("source") not in ("api", "archive"):
        raise StepError(f"step ingest: source must be 'api' or 'archive', not {typed.get('source')!r}")
    return typed


def run_folder(root: Path, run_id: str) -> Path:
    """`runs/<UTC date>/<run id>/`, made; refused unless it resolves inside runs/ (a run id is never a path)."""
    runs = (root / "runs").resolve()
    folder = (runs / datetime.now(UTC).strftime("%Y-%m-%d") / vocabulary.run_id(run_id)).resolve()
    if not folder.is_relative_to(runs):
        raise StepError(f"run id {run_id!r} would write outside {runs}: refused")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


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
    run_id = vocabulary.run_id(run_id) if run_id is not None else new_run_id()
    root = settings.root
    out_dir = run_folder(root, run_id)
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
            if exc.ename in ("OperationalError", "InterfaceError") or database_down(Exception(message)):
                message = f"the database connection failed ({message.splitlines()[0][:200]}): {DATABASE_DOWN}"
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
        "UPDATE ops.step_runs SET status = %s, rows_in = %s, rows_out = %s, finished_at = now(), error = %s, "
        "warning = %s, result = %s WHERE id = %s",
        (
            status,
            result.get("rows_in"),
            result.get("rows_out"),
            error,
            result.get("warning") or None,
            json.dumps(result, default=str) if result else None,
            row_id,
        ),
    )
