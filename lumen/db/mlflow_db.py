"""MLflow's own database on the project's PostgreSQL server: role `lumen_mlflow`, database `mlflow`.

MLflow creates and migrates its tables itself (Alembic) when its server first starts; they never
live in the project's database. `lumen db migrate` makes sure the role (password from
LUMEN_MLFLOW_PASSWORD) and the empty database exist; nothing else of ours touches them.
"""

from __future__ import annotations

from dataclasses import replace

import psycopg
from psycopg import sql

from lumen.config import Settings, get_settings
from lumen.db.engine import Conn, admin_conn
from lumen.db.passwords import can_read_authid, scram_matches
from lumen.errors import DatabaseError

ROLE = "lumen_mlflow"


def conn_info(settings: Settings | None = None) -> Conn:
    """How MLflow's server reaches its database (as lumen_mlflow)."""
    settings = settings or get_settings()
    secret = settings.mlflow_password
    return replace(
        admin_conn(settings),
        user=ROLE,
        dbname=settings.mlflow_database,
        password=secret.get_secret_value() if secret else None,
    )


def backend_store_uri(settings: Settings | None = None) -> str:
    """The SQLAlchemy URL MLflow's server is given (in its environment, never on a command line)."""
    return conn_info(settings).url(driver="postgresql+psycopg")


def ensure(conn: psycopg.Connection, settings: Settings) -> bool:
    """Create lumen_mlflow (or set its password) and the empty database; False when no password is set."""
    if settings.mlflow_password is None:
        return False
    password = settings.mlflow_password.get_secret_value()
    role = sql.Identifier(ROLE)
    try:
        stored = conn.execute(
            "SELECT rolpassword FROM pg_authid WHERE rolname = %s"
            if can_read_authid(conn)
            else "SELECT NULL FROM pg_roles WHERE rolname = %s",
            (ROLE,),
        ).fetchone()
        if stored is None:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(role, sql.Literal(password)))
        elif not scram_matches(stored[0], password):
            conn.execute(sql.SQL("ALTER ROLE {} LOGIN PASSWORD {}").format(role, sql.Literal(password)))
        name = settings.mlflow_database
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), role))
    except psycopg.errors.InsufficientPrivilege as exc:
        raise DatabaseError(
            f"cannot create MLflow's role or database ({exc.diag.message_primary}): give the admin user "
            "CREATEROLE and CREATEDB, or create them yourself (see docs/forecast.md)"
        ) from None
    return True
