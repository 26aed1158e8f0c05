"""JupyterLab on the lumen env: native `lumen lab start|stop`, and the connections notebooks use.

Notebooks never hold a connection string: `engines()` builds them from the environment.
- `reader`: lumen_reader — SELECT on processed_data and analytics only (like Metabase);
- `audit`: the pipeline role in read-only transactions, for raw_data and ops (the run audit).
  Every transaction is READ ONLY, so a notebook cannot write by accident.
"""

from __future__ import annotations

import os
import sys

import sqlalchemy as sa

from lumen.config import Settings, get_settings
from lumen.db.engine import engine
from lumen.errors import LumenError
from lumen.run import services


def engines(settings: Settings | None = None) -> tuple[sa.Engine, sa.Engine]:
    """(reader, audit) SQLAlchemy engines for jupysql (`%sql reader`) and pandas."""
    settings = settings or get_settings()
    return (
        engine("reader", settings, app="lumen-lab"),
        engine("pipeline", settings, read_only=True, app="lumen-lab"),
    )


def start(settings: Settings | None = None, port: int | None = None) -> int:
    """JupyterLab on 127.0.0.1 (LUMEN_LAB_PORT), rooted at notebooks/, token from JUPYTER_TOKEN (never disabled)."""
    settings = settings or get_settings()
    port = port or settings.lab_port
    if settings.jupyter_token is None or len(settings.jupyter_token.get_secret_value()) < 16:
        raise LumenError("JUPYTER_TOKEN must be set to at least 16 characters (make setup generates one in .env)")
    token = settings.jupyter_token.get_secret_value()
    runtime = settings.lumen_dir / "jupyter-runtime"
    env = {**os.environ, "JUPYTER_TOKEN": token, "JUPYTER_RUNTIME_DIR": str(runtime), "PYTHONUNBUFFERED": "1"}
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--notebook-dir={settings.root / 'notebooks'}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # CI and containers run as root; the token still guards the server
    svc = services.service("jupyterlab", settings)
    pid = services.start(svc, cmd, env, settings.root)
    services.wait_ready(svc, f"http://127.0.0.1:{port}/api/status?token={token}", "JupyterLab")
    return pid


def stop(settings: Settings | None = None) -> bool:
    return services.stop(services.service("jupyterlab", settings or get_settings()))
