"""`lumen pipeline …`: the Mage pipelines, run once or served with their scheduler."""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from lumen.cli.common import console, debug_enabled, new_app
from lumen.config import get_settings
from lumen.errors import LumenError

app = new_app("Mage pipelines: inmet_hourly and forecast_train (scheduled), inmet_backfill.")


@app.command("run")
def run_command(
    pipeline: str = typer.Argument(..., help="hourly, backfill or forecast_train."),
    archive: str | None = typer.Option(None, help="backfill: years or paths, comma-separated (2023,2024 or a ZIP)."),
    start: str | None = typer.Option(None, help="Window start, UTC (YYYY-MM-DD or YYYY-MM-DDTHH:MM)."),
    end: str | None = typer.Option(None, help="Window end, UTC (a date is included)."),
    stations: str | None = typer.Option(None, help="Station codes, comma-separated."),
    uf: str | None = typer.Option(None, help="backfill: only these states, comma-separated."),
) -> None:
    """One `mage run` of a pipeline (exit code is Mage's: 1 when a block failed)."""
    from lumen.run import mage
    from lumen.window import parse_instant

    for value, is_end in ((start, False), (end, True)):
        if value:
            parse_instant(value, end=is_end)
    if pipeline == "backfill" and not archive:
        raise LumenError("pipeline backfill needs --archive (years, a ZIP, a folder or a CSV)")
    variables = {"archive": archive, "start": start, "end": end, "stations": stations, "uf": uf}
    settings = get_settings()
    began = datetime.now(UTC)
    code = mage.run(pipeline, variables, settings, traceback=debug_enabled())
    if code != 0:
        raise LumenError(f"pipeline {pipeline} failed (mage run exited {code}): " + _failed_step(settings, began))
    if refused := _refused(settings, began):
        more = f" (and {len(refused) - 1} more: `lumen status`)" if len(refused) > 1 else ""
        raise LumenError(f"pipeline {pipeline}: done for the rest, but {len(refused)} file(s) were refused: "
                         f"{refused[0]}{more}")  # fmt: skip
    console.print(f"pipeline {pipeline}: done")


def _refused(settings, since: datetime) -> list[str]:
    """The files this run's ingest steps refused (their steps succeeded for everything else)."""
    from lumen.db import connect

    with connect("pipeline", settings) as conn:
        rows = conn.execute(
            "SELECT r FROM ops.step_runs, jsonb_array_elements_text(coalesce(result->'refused', '[]')) r "
            "WHERE started_at >= %s AND step = 'ingest' ORDER BY id",
            (since,),
        ).fetchall()
    return [r for (r,) in rows]


def _failed_step(settings, since: datetime) -> str:
    """What ops.step_runs says of the step that failed (its own message), not Mage's traceback."""
    from lumen.db import connect

    with connect("pipeline", settings) as conn:
        row = conn.execute(
            "SELECT step, error, notebook_path FROM ops.step_runs WHERE status = 'failed' AND started_at >= %s "
            "ORDER BY id DESC LIMIT 1",
            (since,),
        ).fetchone()
    if row is None:
        return "no step failed: a block could not start (run again with --debug for Mage's traceback)"
    step, error, notebook = row
    first = (error or "").strip().splitlines()[0] if error else "no message"
    return f"step {step}: {first} (executed notebook: {notebook})"


@app.command("start")
def start_command(port: int = typer.Option(6789, help="Mage UI port (127.0.0.1).")) -> None:
    """Start Mage (UI with login, and the scheduler: inmet_hourly every hour, forecast_train daily)."""
    from lumen.run import mage

    pid = mage.start(get_settings(), port)
    console.print(f"mage: running (pid {pid}) at http://127.0.0.1:{port}")


@app.command("stop")
def stop_command() -> None:
    """Stop Mage."""
    from lumen.run import mage

    console.print("mage: stopped" if mage.stop(get_settings()) else "mage: was not running")
