"""`lumen clean`, `lumen validate`, `lumen docs`: processed_data and its checks."""

from __future__ import annotations

import typer

from lumen.cli_common import console, err_console
from lumen.config import get_settings
from lumen.db import connect
from lumen.inmet.schema import station_codes
from lumen.window import parse_window

START = typer.Option(..., help="First day or hour, UTC: 2024-01-01 or 2024-01-01T03:00.")
END = typer.Option(..., help="Last day (included) or hour (excluded), UTC.")


def clean_command(
    start: str = START,
    end: str = END,
    stations: str | None = typer.Option(None, help="Only these station codes, comma-separated."),
) -> None:
    """raw_data → processed_data for a window: typed, checked; rule breakers go to quarantine."""
    from lumen import ingest, transform

    settings = get_settings()
    lo, hi = parse_window(start, end)
    codes = station_codes(stations) or None
    with connect("pipeline", settings) as conn:
        result = transform.clean(conn, lo, hi, ingest.new_run_id(), codes, settings.on_invalid)
    console.print(result.line())
    if result.quarantined:
        err_console.print("warning: " + result.summary())


def validate_command(start: str = START, end: str = END) -> None:
    """Great Expectations over the window's batches (exit 1 with what failed); updates Data Docs."""
    from lumen import validation

    lo, hi = parse_window(start, end)
    report = validation.validate(lo, hi, get_settings())
    console.print(report.line())
    if not report.success:
        raise validation.ValidationFailed("\n".join(["expectations failed:", *report.failures]))


def docs_command() -> None:
    """Build the Great Expectations Data Docs and print the path of index.html."""
    from lumen import validation

    console.print(str(validation.build_docs(get_settings())))
