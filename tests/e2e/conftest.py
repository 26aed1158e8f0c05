"""End-to-end fixtures: a throw-away project home (so runs/, Data Docs and Mage state never land
in the checkout) wired to this checkout's two environments and a fresh database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, project_home

MAGE = ROOT / ".venv-mage" / "bin" / "mage"


@pytest.fixture()
def home(tmp_path: Path) -> Path:
    if not MAGE.exists():
        pytest.fail(f"{MAGE} is missing: `make setup` installs the Mage env (make test runs it)")
    return project_home(tmp_path, mage=True)


@pytest.fixture()
def env(home: Path, migrated_db, mlflow_uri: str) -> dict[str, str]:
    s = migrated_db
    return {
        **os.environ,
        "LUMEN_HOME": str(home),
        "LUMEN_STATE_DIR": str(home / ".lumen"),
        "LUMEN_DATABASE_URL": s.database_url.get_secret_value(),
        "LUMEN_PIPELINE_PASSWORD": s.pipeline_password.get_secret_value(),
        "LUMEN_READER_PASSWORD": s.reader_password.get_secret_value(),
        "LUMEN_MLFLOW_PASSWORD": s.mlflow_password.get_secret_value(),
        "LUMEN_MLFLOW_URI": mlflow_uri,
        "INMET_TOKEN": "tok-Secret-5e1f",
        "DEFAULT_OWNER_PASSWORD": "mage-Secret-77aa",
        "LUMEN_MAGE_BIN": str(MAGE),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lumen(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    exe = str(Path(sys.executable).parent / "lumen")
    return subprocess.run([exe, *args], env=env, capture_output=True, text=True, timeout=timeout, cwd=env["LUMEN_HOME"])
