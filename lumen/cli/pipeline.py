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
    from lumen.run.audit import failed_since, refused_since
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
        raise LumenError(f"pipeline {pipeline} failed (mage run exited {code}): " + failed_since(settings, began))
    if refused := refused_since(settings, began):
        more = f" (and {len(refused) - 1} more: `lumen status`)" if len(refused) > 1 else ""
        raise LumenError(
            f"pipeline {pipeline}: done for the rest, but {len(refused)} file(s) were refused: {refused[0]}{more}"
        )
    console.print(f"pipeline {pipeline}: done")


@app.command("start")
def start_command(
    port: int | None = typer.Option(None, help="Mage UI port (127.0.0.1; default LUMEN_MAGE_PORT)."),
) -> None:
    """Start Mage (UI with login, and the scheduler: inmet_hourly every hour, forecast_train daily)."""
    from lumen.run import mage, schedules

    settings = get_settings()
    port = port or settings.mage_port
    pid = mage.start(settings, port)
    console.print(f"mage: running (pid {pid}) at http://127.0.0.1:{port}")
    for s in schedules.SCHEDULES:
        paused = s.paused_because(settings)
        console.print(
            f"mage: schedule {s.pipeline} ({s.interval(settings)}): {'paused — ' + paused if paused else 'on'}"
        )


@app.command("triggers")
def triggers_command() -> None:
    """Write Mage's triggers.yaml from LÚMEN's schedules (run before `mage start`; the Mage image does)."""
    from lumen.run import schedules

    settings = get_settings()
    for note in schedules.write_triggers(settings.root / "mage_project", settings) or ["mage: every schedule is on"]:
        console.print(note)


@app.command("stop")
def stop_command() -> None:
    """Stop Mage."""
    from lumen.run import mage

    console.print("mage: stopped" if mage.stop(get_settings()) else "mage: was not running")
