"""`lumen step NAME`: one pipeline step, as Mage blocks (and people) run it."""

from __future__ import annotations

import os

import typer

from lumen.cli_common import console
from lumen.config import get_settings
from lumen.errors import LumenError


def step_command(
    name: str = typer.Argument(..., help="ingest, clean, validate or publish."),
    param: list[str] = typer.Option([], "--param", "-p", help="A parameter as key=value (repeatable)."),
    run_id: str | None = typer.Option(None, help="The pipeline run this step belongs to (default: a new one)."),
    last: bool = typer.Option(False, "--last", help="This is the run's last step: release the run lock after it."),
) -> None:
    """Run one pipeline step notebook with Papermill and record it in ops.step_runs."""
    from lumen.steps import StepError, run_step

    params: dict[str, str] = {}
    for item in param:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise StepError(f"--param {item!r}: expected key=value")
        params[key.strip()] = value
    wait = float(os.environ.get("LUMEN_LOCK_WAIT", "600"))
    outcome = run_step(name, params, run_id=run_id, last=last, lock_wait_s=wait)
    console.print(f"step {name} ({outcome.run_id}): {outcome.result.get('summary', 'done')}")
    console.print(f"  notebook: {outcome.notebook}")


def unlock_command() -> None:
    """Free the pipeline run lock left by a run that died between steps (a killed step frees it itself)."""
    from lumen.db import connect
    from lumen.steps import lock_holder, release_lock

    with connect("pipeline", get_settings(), autocommit=True) as conn:
        holder, since, running = lock_holder(conn)
        if running:
            raise LumenError(f"run {holder} is running a step now: stop it (or let it finish) instead of unlocking")
        freed = release_lock(conn)
    console.print(f"run lock: freed (it was held by {freed})" if freed else "run lock: it was free")
