"""`lumen step NAME`: one pipeline step, as Mage blocks (and people) run it."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from lumen.cli.common import console
from lumen.config import get_settings
from lumen.errors import LumenError


def step_command(
    name: str = typer.Argument(..., help="ingest, clean, validate, publish, train or forecast."),
    param: list[str] = typer.Option([], "--param", "-p", help="A parameter as key=value (repeatable)."),
    run_id: str | None = typer.Option(None, help="The pipeline run this step belongs to (default: a new one)."),
    last: bool = typer.Option(False, "--last", help="This is the run's last step: release the run lock after it."),
    outcome: Path | None = typer.Option(None, help="Also write how it went as JSON here (Mage blocks read it)."),
) -> None:
    """Run one pipeline step notebook with Papermill and record it in ops.step_runs."""
    from lumen.run.steps import StepError, run_step

    def write(status: str, **fields) -> None:
        if outcome is not None:
            outcome.write_text(json.dumps({"step": name, "status": status, **fields}, default=str))

    try:
        params: dict[str, str] = {}
        for item in param:
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise StepError(f"--param {item!r}: expected key=value")
            params[key.strip()] = value
        done = run_step(name, params, run_id=run_id, last=last)
    except LumenError as exc:
        write("failed", error=str(exc))
        raise
    write("succeeded", run_id=done.run_id, result=done.result, notebook=str(done.notebook))
    # the notebook has printed its summary and warning (streamed above): said once, not twice
    console.print(f"step {name} ({done.run_id}) succeeded — executed notebook: {done.notebook}")


def window_command(
    pipeline: str = typer.Option(..., help="hourly, backfill or forecast_train."),
    at: str = typer.Option("", help="The run's execution date (ISO 8601; default: now)."),
    start: str = typer.Option("", help="The window's start, when the run was given one."),
    end: str = typer.Option("", help="The window's end, when the run was given one."),
) -> None:
    """Print a pipeline run's id and window as JSON (what Mage's first block asks for)."""
    from datetime import datetime

    from lumen.window import run_window

    try:
        when = datetime.fromisoformat(at) if at else None
    except ValueError:
        raise LumenError(f"--at {at!r} is not an ISO 8601 date and time") from None
    print(json.dumps(run_window(pipeline, when, start, end)))


def unlock_command() -> None:
    """Free the pipeline run lock left by a run that died between steps (a killed step frees it itself)."""
    from lumen.db import connect
    from lumen.run.lock import lock_holder, release_lock

    with connect("pipeline", get_settings(), autocommit=True) as conn:
        holder, since, running = lock_holder(conn)
        if running:
            raise LumenError(f"run {holder} is running a step now: stop it (or let it finish) instead of unlocking")
        freed = release_lock(conn)
    console.print(f"run lock: freed (it was held by {freed})" if freed else "run lock: it was free")
