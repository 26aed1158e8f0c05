"""`lumen metabase provision` and `lumen report`: what people look at."""

from __future__ import annotations

from pathlib import Path

import typer

from lumen.cli.common import console, new_app
from lumen.config import get_settings

metabase_app = new_app("Metabase dashboards as code (metabase/dashboard.yml).")


@metabase_app.command("provision")
def provision_command(
    spec: Path | None = typer.Option(None, help="The spec (default: metabase/dashboard.yml)."),
    sync: bool = typer.Option(False, "--sync", help="Also re-sync the database schema and wait for it."),
) -> None:
    """Set up Metabase (admin, database, collection, questions, dashboard); idempotent."""
    from lumen.metabase.provision import provision

    console.print(provision(get_settings(), spec, force_sync=sync).line())


def report_command(
    stations: str = typer.Option("", help="Station codes, comma-separated (default: all with data then)."),
    start: str = typer.Option(..., help="First local day (YYYY-MM-DD)."),
    end: str = typer.Option(..., help="Last local day (YYYY-MM-DD)."),
    out: Path | None = typer.Option(None, help="Folder for the HTML (default: reports/)."),
) -> None:
    """Run the weather report notebook and write it as HTML without code cells."""
    from lumen.run import report

    console.print(str(report.render_report(stations, start, end, get_settings(), out)))


lab_app = new_app("JupyterLab on the lumen env (native mode).")


@lab_app.command("start")
def lab_start(port: int | None = typer.Option(None, help="Port on 127.0.0.1 (default LUMEN_LAB_PORT).")) -> None:
    """Start JupyterLab in the background, rooted at notebooks/ (token: JUPYTER_TOKEN in .env)."""
    from lumen.run import lab

    settings = get_settings()
    port = port or settings.lab_port
    pid = lab.start(settings, port)
    console.print(
        f"jupyterlab: running (pid {pid}) at http://127.0.0.1:{port}/lab — the token is JUPYTER_TOKEN in .env"
    )


@lab_app.command("stop")
def lab_stop() -> None:
    """Stop JupyterLab."""
    from lumen.run import lab

    console.print("jupyterlab: stopped" if lab.stop(get_settings()) else "jupyterlab: was not running")
