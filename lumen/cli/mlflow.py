"""`lumen mlflow start|stop`: MLflow's tracking server on this machine (native mode)."""

from __future__ import annotations

from lumen.cli.common import console, new_app
from lumen.config import get_settings

app = new_app("MLflow's tracking server on this machine (native mode): runs, models, the champion.")


@app.command("start")
def mlflow_start() -> None:
    """Start MLflow's server in the background (LUMEN_MLFLOW_URI; its own database, artifacts in .lumen/)."""
    from lumen.run import mlflow_server

    settings = get_settings()
    pid = mlflow_server.start(settings)
    who = f"pid {pid}" if pid else "not started here: a server already answers there"
    console.print(f"mlflow: running ({who}) at {settings.mlflow_uri} — runs, models and the champion")


@app.command("stop")
def mlflow_stop() -> None:
    """Stop MLflow's server."""
    from lumen.run import mlflow_server

    console.print("mlflow: stopped" if mlflow_server.stop(get_settings()) else "mlflow: was not running")
