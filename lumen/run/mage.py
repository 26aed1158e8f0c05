"""Drive Mage (its own env, .venv-mage) from the lumen env: `mage run` and `mage start`.

Runtime variables are built and checked here, because `mage run` exits 0 even when
`--runtime-vars` is not valid JSON. Mage's own state goes to .lumen/mage_data; its
owner login comes from .env (DEFAULT_OWNER_EMAIL / DEFAULT_OWNER_PASSWORD). No
`DB_*` variable is ever set: Mage would take it for its own metadata database.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from lumen.config import Settings, get_settings
from lumen.errors import LumenError
from lumen.run import schedules, services

PIPELINES = {"hourly": "inmet_hourly", "backfill": "inmet_backfill", "forecast_train": "forecast_train"}


def mage_bin(settings: Settings) -> str:
    exe = str(settings.mage_bin or settings.root / ".venv-mage" / "bin" / "mage")
    if not Path(exe).exists() and not shutil.which(exe):
        raise LumenError(f"Mage is not installed at {exe}: run `make setup`")
    return exe


def mage_env(settings: Settings) -> dict[str, str]:
    data = settings.lumen_dir / "mage_data"
    data.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DB_")}
    env["DEFAULT_OWNER_EMAIL"] = settings.mage_owner_email
    if settings.mage_owner_password is not None:
        env["DEFAULT_OWNER_PASSWORD"] = settings.mage_owner_password.get_secret_value()
    env.update(
        {
            "MAGE_DATA_DIR": str(data),
            "LUMEN_BIN": str(Path(sys.executable).parent / "lumen"),
            "REQUIRE_USER_AUTHENTICATION": env.get("REQUIRE_USER_AUTHENTICATION", "1"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def runtime_vars(variables: Mapping[str, object]) -> str:
    """JSON for `--runtime-vars`: only text, numbers and lists of text; empty values left out."""
    clean: dict[str, object] = {}
    for key, value in variables.items():
        if value in (None, "", []):
            continue
        if not isinstance(value, str | int | float | list) or (
            isinstance(value, list) and not all(isinstance(v, str) for v in value)
        ):
            raise LumenError(f"runtime variable {key}: {value!r} is not text, a number or a list of text")
        clean[key] = value
    return json.dumps(clean)


# Mage prints a failing block's traceback in a rich box (~200 lines, most of them Mage's own
# frames): shown with --debug only; the step's own message follows the box either way.
_BOX = ("╭", "│", "╰")
# What Mage's env says on every run that asks nothing of the user (seen in `make demo`): Mage's optional
# dbt integration is not installed there (LÚMEN's dbt lives in the lumen env), and jupyter_client 7.4's
# warning for the kernels Mage never uses, its executor's note on asyncio. Shown with --debug.
_NOISE = (
    "DBT library not installed",
    "Message signing is disabled",
    "Kernel is running over TCP without encryption",
    "No running loop, using asyncio.run",
)


def run(
    pipeline: str, variables: Mapping[str, object], settings: Settings | None = None, traceback: bool = False
) -> int:
    """`mage run mage_project <pipeline> --runtime-vars …`, output streamed; returns its exit code."""
    settings = settings or get_settings()
    if pipeline not in PIPELINES:
        raise LumenError(f"no pipeline {pipeline!r}; choose {', '.join(PIPELINES)}")
    cmd = [mage_bin(settings), "run", str(settings.root / "mage_project"), PIPELINES[pipeline]]
    if variables:
        cmd += ["--runtime-vars", runtime_vars(variables)]
    proc = subprocess.Popen(
        cmd,
        cwd=settings.root,
        env=mage_env(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if traceback or not (line.lstrip().startswith(_BOX) or any(n in line for n in _NOISE)):
            print(line, end="", flush=True)
    return proc.wait()


def start(settings: Settings | None = None, port: int | None = None) -> int:
    """`mage start` (UI and scheduler) in the background, its triggers written first; returns the pid."""
    settings = settings or get_settings()
    schedules.write_triggers(settings.root / "mage_project", settings)
    cmd = [
        mage_bin(settings),
        "start",
        str(settings.root / "mage_project"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port or settings.mage_port),
    ]
    return services.start(services.service("mage", settings), cmd, mage_env(settings), settings.root)


def stop(settings: Settings | None = None) -> bool:
    return services.stop(services.service("mage", settings or get_settings()))
