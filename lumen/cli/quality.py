"""`lumen clean`, `lumen validate`, `lumen docs`: processed_data and its checks."""

from __future__ import annotations

import typer

from lumen.cli.common import console, err_console, given
from lumen.config import get_settings

START = typer.Option(..., help="First day or hour, UTC: 2024-01-01 or 2024-01-01T03:00.")
END = typer.Option(..., help="Last day (included) or hour (excluded), UTC.")


def clean_command(
    start: str = START,
    end: str = END,
    stations: str | None = typer.Option(None, help="Only these station codes, comma-separated."),
) -> None:
    """raw_data → processed_data for a window: typed, checked; rule breakers go to quarantine."""
    from lumen.run.steps import run_here

    result = run_here("clean", given(start=start, end=end, stations=stations))
    console.print(result.summary)
    if result.warning:
        err_console.print("warning: " + result.warning)


def validate_command(start: str = START, end: str = END) -> None:
    """Great Expectations over the window's batches (exit 1 with what failed); updates Data Docs."""
    from lumen.run.steps import run_here

    console.print(run_here("validate", given(start=start, end=end)).summary)


def docs_command() -> None:
    """Build the Great Expectations Data Docs and print the path of index.html."""
    from lumen.validate import docs_assets, validation

    index = validation.build_docs(get_settings())
    if not docs_assets.present():
        console.print("Data Docs load their styling and scripts from CDNs (no local copies: run `make setup` online)")
    console.print(str(index))
