"""MLflow's tracking server, natively: `lumen mlflow start|stop` (and `make up/down`).

It listens on the host and port of LUMEN_MLFLOW_URI (loopback only), keeps runs and the model
registry in its own database (`mlflow`, role lumen_mlflow: lumen/db/mlflow_db.py) and artifacts
under `.lumen/mlflow/artifacts`, served through the server (`--serve-artifacts`), so clients
need no file access. The database URL reaches it in its environment, never on a command line.
"""

from __future__ import annotations

import os
import sys
from urllib.parse import urlsplit

from lumen.config import Settings, get_settings
from lumen.db import mlflow_db
from lumen.errors import LumenError
from lumen.forecast.tracking import answers
from lumen.run import services

LOOPBACK = ("127.0.0.1", "localhost")


def address(settings: Settings) -> tuple[str, int]:
    parts = urlsplit(settings.mlflow_uri)
    if parts.scheme != "http" or parts.hostname not in LOOPBACK:
        raise LumenError(
            f"LUMEN_MLFLOW_URI is {settings.mlflow_uri}: `lumen mlflow start` runs a server on this "
            "machine only (http://127.0.0.1:PORT); start that one where it lives"
        )
    return parts.hostname, parts.port or 80


def start(settings: Settings | None = None, timeout_s: float = 120.0) -> int | None:
    """Start the server and wait until it answers; returns its pid, or None when an MLflow server
    not started here already answers at LUMEN_MLFLOW_URI (it is the one asked for: used as is)."""
    settings = settings or get_settings()
    host, port = address(settings)
    svc = services.service("mlflow", settings)
    if svc.pid() is None and answers(settings.mlflow_uri):
        return None
    if settings.mlflow_password is None:
        raise LumenError("LUMEN_MLFLOW_PASSWORD is not set: run `lumen env` (make setup) to generate it")
    artifacts = settings.lumen_dir / "mlflow" / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "MLFLOW_BACKEND_STORE_URI": mlflow_db.backend_store_uri(settings),
        "PYTHONUNBUFFERED": "1",
        "MLFLOW_DISABLE_TELEMETRY": "true",
    }  # no usage collection, no banner in the UI (as GX's is off)
    hosts = ",".join(f"{h}:{port}" for h in LOOPBACK)
    cmd = [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        "1",
        "--serve-artifacts",
        "--artifacts-destination",
        str(artifacts),
        "--allowed-hosts",
        hosts,
    ]
    pid = services.start(svc, cmd, env, settings.root)
    services.wait_ready(svc, settings.mlflow_uri.rstrip("/") + "/health", "MLflow's server", timeout_s)
    return pid


def stop(settings: Settings | None = None) -> bool:
    return services.stop(services.service("mlflow", settings or get_settings()))
