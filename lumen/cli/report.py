"""`lumen report`: the HTML report of a window."""

from __future__ import annotations

from pathlib import Path

import typer

from lumen.cli.common import console
from lumen.config import get_settings


def report_command(
    stations: str = typer.Option("", help="Station codes, comma-separated (default: all with data then)."),
    start: str = typer.Option(..., help="First local day (YYYY-MM-DD)."),
    end: str = typer.Option(..., help="Last local day (YYYY-MM-DD)."),
    out: Path | None = typer.Option(None, help="Folder for the HTML (default: reports/)."),
) -> None:
    """Run the weather report notebook and write it as HTML without code cells."""
    from lumen.run import report

    console.print(str(report.render_report(stations, start, end, get_settings(), out)))
