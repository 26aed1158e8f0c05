"""`lumen lab start|stop`: JupyterLab on the lumen env (native mode)."""

from __future__ import annotations

import typer

from lumen.cli.common import console, new_app
from lumen.config import get_settings

app = new_app("JupyterLab on the lumen env (native mode).")


@app.command("start")
def lab_start(port: int | None = typer.Option(None, help="Port on 127.0.0.1 (default LUMEN_LAB_PORT).")) -> None:
    """Start JupyterLab in the background, rooted at notebooks/ (token: JUPYTER_TOKEN in .env)."""
    from lumen.run import lab

    settings = get_settings()
    port = port or settings.lab_port
    pid = lab.start(settings, port)
    console.print(
        f"jupyterlab: running (pid {pid}) at http://127.0.0.1:{port}/lab — the token is JUPYTER_TOKEN in .env"
    )


@app.command("stop")
def lab_stop() -> None:
    """Stop JupyterLab."""
    from lumen.run import lab

    console.print("jupyterlab: stopped" if lab.stop(get_settings()) else "jupyterlab: was not running")
