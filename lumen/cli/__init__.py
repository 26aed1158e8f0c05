"""The `lumen` command."""

from __future__ import annotations

import logging
import os

import typer

from lumen.cli import alerts as cli_alerts
from lumen.cli import db as cli_db
from lumen.cli import dbt as cli_dbt
from lumen.cli import forecast as cli_forecast
from lumen.cli import ingest as cli_ingest
from lumen.cli import lab as cli_lab
from lumen.cli import metabase as cli_metabase
from lumen.cli import mlflow as cli_mlflow
from lumen.cli import pipeline as cli_pipeline
from lumen.cli import quality as cli_quality
from lumen.cli import report as cli_report
from lumen.cli import step as cli_step
from lumen.cli.common import console, new_app, run
from lumen.config import get_settings, project_root

app = new_app("LÚMEN: INMET weather data → PostgreSQL → checks → dashboards.")
app.add_typer(cli_db.app, name="db")
app.add_typer(cli_ingest.app, name="ingest")
app.add_typer(cli_pipeline.app, name="pipeline")
app.add_typer(cli_metabase.app, name="metabase")
app.add_typer(cli_lab.app, name="lab")
app.add_typer(cli_forecast.app, name="forecast")
app.add_typer(cli_mlflow.app, name="mlflow")
app.add_typer(cli_alerts.app, name="alerts")
app.command("stations")(cli_ingest.stations_command)
app.command("sample")(cli_ingest.sample_command)
app.command("clean")(cli_quality.clean_command)
app.command("validate")(cli_quality.validate_command)
app.command("docs")(cli_quality.docs_command)
app.command("step")(cli_step.step_command)
app.command("unlock")(cli_step.unlock_command)
app.command("window", hidden=True)(cli_step.window_command)
app.command("report")(cli_report.report_command)
app.command("dbt", help=cli_dbt.HELP, context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(
    cli_dbt.dbt_command
)


@app.callback()
def _main(debug: bool = typer.Option(False, "--debug", help="Show full tracebacks.")) -> None:
    if debug:
        os.environ["LUMEN_DEBUG"] = "1"


@app.command("env")
def env_init() -> None:
    """Create .env from .env.example (random secrets where it says `generate`); keep existing values."""
    from lumen.envfile import ensure_env_file

    root = project_root()
    added = ensure_env_file(root / ".env.example", root / ".env")
    console.print(f".env: {len(added)} variable(s) added" if added else ".env: up to date")


@app.command()
def status() -> None:
    """A summary of the stack: database, schemas and row counts."""
    from lumen.cli.status import print_summary

    print_summary(get_settings())


def main() -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("warning: %(message)s"))
    logging.getLogger("lumen").addHandler(handler)
    logging.getLogger("lumen").setLevel(logging.WARNING)
    run(app)


if __name__ == "__main__":
    main()
