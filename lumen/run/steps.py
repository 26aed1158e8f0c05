"""Run a pipeline step: check its parameters, execute its notebook with Papermill, audit it.

`lumen step clean --run-id R --param start=2024-11-01 --param end=2024-11-21`
1. checks the parameters against the step's model (lumen/run/registry.py) before any kernel starts;
2. enters the audit scope (lumen/run/audit.py): the run lock — one pipeline run writes at a time; a
   second run says it waits, and for whom, then waits (LUMEN_LOCK_WAIT seconds) or stops with a
   message naming the run in the way — and a row in ops.step_runs;
3. executes `notebooks/pipeline/NN_name.ipynb` on the lumen kernel into
   `runs/<date>/<run_id>/NN_name.ipynb` — the run's record;
4. completes ops.step_runs (status, rows in/out, figures, warning, error).

`run_here` does the same for the direct commands (`lumen clean` …) without a notebook.
Secrets are never parameters: notebooks read them from the environment.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from lumen import vocabulary
from lumen.config import Settings, get_settings
from lumen.errors import DATABASE_DOWN, database_down
from lumen.run.audit import audited
from lumen.run.kernel import QUIET, kernel_name
from lumen.run.registry import StepError, StepResult, step

__all__ = ["StepError", "StepOutcome", "kernel_name", "run_folder", "run_here", "run_step"]


def run_folder(root: Path, run_id: str) -> Path:
    """`runs/<UTC date>/<run id>/`, made; refused unless it resolves inside runs/ (a run id is never a path)."""
    runs = (root / "runs").resolve()
    folder = (runs / datetime.now(UTC).strftime("%Y-%m-%d") / vocabulary.run_id(run_id)).resolve()
    if not folder.is_relative_to(runs):
        raise StepError(f"run id {run_id!r} would write outside {runs}: refused")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# ---------------------------------------------------------------- the runner ----
@dataclass
class StepOutcome:
    run_id: str
    step: str
    notebook: Path
    result: dict


def run_step(
    name: str,
    raw_params: Mapping[str, object],
    run_id: str | None = None,
    last: bool = False,
    settings: Settings | None = None,
) -> StepOutcome:
    """Execute one step notebook; raise StepError with the step's message when it fails."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    settings = settings or get_settings()
    declared = step(name)
    checked = declared.check(raw_params)
    params = checked.model_dump()
    run_id = vocabulary.run_id(run_id) if run_id is not None else vocabulary.new_run_id()
    root = settings.root
    out_dir = run_folder(root, run_id)
    notebook = out_dir / declared.notebook
    result_path = out_dir / f"{declared.number:02d}_{declared.name}.result.json"
    with audited(name, declared.asked(checked), settings, run_id, last=last, notebook=notebook) as scope:
        try:
            papermill.execute_notebook(
                str(root / "notebooks" / "pipeline" / declared.notebook),
                str(notebook),
                parameters={**params, "run_id": run_id, "result_path": str(result_path)},
                kernel_name=kernel_name(),
                cwd=str(root),
                progress_bar=False,
                extra_arguments=QUIET,
                stdout_file=sys.stdout,
                stderr_file=sys.stderr,
            )
        except PapermillExecutionError as exc:
            message = str(exc.evalue).strip() or exc.ename
            if exc.ename in ("OperationalError", "InterfaceError") or database_down(Exception(message)):
                message = f"the database connection failed ({message.splitlines()[0][:200]}): {DATABASE_DOWN}"
            scope.error = f"{exc.ename}: {message}"
            raise StepError(f"step {name} failed: {message}\n(executed notebook: {notebook})") from None
        scope.result = json.loads(result_path.read_text()) if result_path.exists() else {}
    return StepOutcome(run_id, name, notebook, scope.result)


def run_here(name: str, raw_params: dict[str, object], settings: Settings | None = None, **shown: object) -> StepResult:
    """A step's task in this process (`lumen clean`, `lumen validate` …), inside the same scope as
    `lumen step`: it waits for the run holding the lock and is recorded in ops.step_runs."""
    settings = settings or get_settings()
    declared = step(name)
    params = declared.check(raw_params)
    with audited(name, declared.asked(params), settings) as scope:
        result = declared.call(scope.run_id, params, **shown)
        scope.result = result.figures()
    return result
