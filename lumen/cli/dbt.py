"""`lumen dbt …`: dbt on the analytics project (dbt/), connected as the pipeline role from .env."""

from __future__ import annotations

import sys

import typer

from lumen.cli.common import console
from lumen.config import get_settings

HELP = (
    "dbt on the analytics project (dbt/) as the pipeline role: `lumen dbt docs` builds the docs site "
    "(models, tests, lineage) and prints its path; anything else is passed to dbt, e.g. "
    "`lumen dbt build --full-refresh`, `lumen dbt test`, `lumen dbt ls`."
)


def dbt_command(
    ctx: typer.Context,
    start: str = typer.Option("", help="Window start (UTC instant) for the incremental models; default: all."),
    end: str = typer.Option("", help="Window end (UTC instant, exclusive)."),
) -> None:
    from lumen.publish import analytics
    from lumen.window import parse_window

    args = list(ctx.args)
    if not args:
        console.print(HELP)
        raise typer.Exit(2)
    if args == ["docs"]:
        console.print(str(analytics.docs(get_settings())))
        return
    lo, hi = parse_window(start, end) if start or end else (None, None)
    done = analytics.run_dbt(
        args, get_settings(), lo.isoformat() if lo else "", hi.isoformat() if hi else "", capture=False
    )
    if done.returncode:
        print(f"lumen: error: dbt {args[0]} failed (exit {done.returncode}): see dbt's output above", file=sys.stderr)
        raise typer.Exit(done.returncode)
