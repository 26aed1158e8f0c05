"""`lumen pipeline …`: the Mage pipelines, run once or served with their scheduler."""

from __future__ import annotations

import typer

from lumen.cli_common import console, new_app
from lumen.config import get_settings
from lumen.errors import LumenError

app = new_app("Mage pipelines: inmet_hourly (scheduled) and inmet_backfill.")


@app.command("run")
def run_command(
    pipeline: str = typer.Argument(..., help="hourly or backfill."),
    archive: str | None = typer.Option(None, help="backfill: years or paths, comma-separated (2023,2024 or a ZIP)."),
    start: str | None = typer.Option(None, help="Window start, UTC (YYYY-MM-DD or YYYY-MM-DDTHH:MM)."),
    end: str | None = typer.Option(None, help="Window end, UTC (a date is included)."),
    stations: str | None = typer.Option(None, help="Station codes, comma-separated."),
    uf: str | None = typer.Option(None, help="backfill: only these states, comma-separated."),
) -> None:
    """One `mage run` of a pipeline (exit code is Mage's: 1 when a block failed)."""
    from lumen import mage
    from lumen.window import parse_instant

    for value, is_end in ((start, False), (end, True)):
        if value:
            parse_instant(value, end=is_end)
    if pipeline == "backfill" and not archive:
        raise LumenError("pipeline backfill needs --archive (years, a ZIP, a folder or a CSV)")
    variables = {"archive": archive, "start": start, "end": end, "stations": stations, "uf": uf}
    code = mage.run(pipeline, variables, get_settings())
    if code != 0:
        raise LumenError(f"pipeline {pipeline} failed (mage run exited {code}); the failing block's message is above")
    console.print(f"pipeline {pipeline}: done")


@app.command("start")
def start_command(port: int = typer.Option(6789, help="Mage UI port (127.0.0.1).")) -> None:
    """Start Mage (UI with login, and the scheduler that runs inmet_hourly every hour)."""
    from lumen import mage

    pid = mage.start(get_settings(), port)
    console.print(f"mage: running (pid {pid}) at http://127.0.0.1:{port}")


@app.command("stop")
def stop_command() -> None:
    """Stop Mage."""
    from lumen import mage

    console.print("mage: stopped" if mage.stop(get_settings()) else "mage: was not running")
