"""`lumen metabase provision`: the dashboards as code."""

from __future__ import annotations

from pathlib import Path

import typer

from lumen.cli.common import console, new_app
from lumen.config import get_settings

app = new_app("Metabase dashboards as code (metabase/dashboard.yml).")


@app.command("provision")
def provision_command(
    spec: Path | None = typer.Option(None, help="The spec (default: metabase/dashboard.yml)."),
    sync: bool = typer.Option(False, "--sync", help="Also re-sync the database schema and wait for it."),
) -> None:
    """Set up Metabase (admin, database, collection, questions, dashboard); idempotent."""
    from lumen.metabase.provision import provision

    console.print(provision(get_settings(), spec, force_sync=sync).line())
