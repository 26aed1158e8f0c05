"""Connections per role, from LUMEN_DATABASE_URL or the embedded server.

Three roles: `admin` (migrations; the URL's own user, or `postgres` on the embedded
server), `pipeline` (lumen_pipeline: writes raw/processed/analytics/ops) and
`reader` (lumen_reader: SELECT on processed_data and analytics only).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal
from urllib.parse import quote

import psycopg
from psycopg.conninfo import conninfo_to_dict

from lumen.config import Settings, get_settings
from lumen.errors import DatabaseError

if TYPE_CHECKING:  # SQLAlchemy is imported by engine() only: every `lumen` command would pay ~0.1 s for it
    import sqlalchemy as sa

Role = Literal["admin", "pipeline", "reader"]
ROLES: dict[str, str] = {"pipeline": "lumen_pipeline", "reader": "lumen_reader"}


@dataclass(frozen=True)
class Conn:
    """Where and as whom to connect. `host` may be a Unix socket directory."""

    user: str
    dbname: str
    host: str | None = None
    port: int | None = None
    password: str | None = None
    source: str = "LUMEN_DATABASE_URL"

    def url(self, *, driver: str = "postgresql", hide_password: bool = False) -> str:
        auth = quote(self.user, safe="")
        if self.password:
            auth += ":" + ("***" if hide_password else quote(self.password, safe=""))
        if self.host and self.host.startswith("/"):
            port = f"&port={self.port}" if self.port else ""
            return f"{driver}://{auth}@/{self.dbname}?host={quote(self.host, safe='/')}{port}"
        hostport = (self.host or "localhost") + (f":{self.port}" if self.port else "")
        return f"{driver}://{auth}@{hostport}/{self.dbname}"

    def where(self) -> str:
        """Host and database, for messages (no user, no password)."""
        host = self.host or "localhost"
        return f"{host}{':' + str(self.port) if self.port and not host.startswith('/') else ''}/{self.dbname}"


def redact(conn: Conn) -> str:
    return conn.url(hide_password=True)


def _from_url(url: str) -> Conn:
    url = url.replace("postgresql+psycopg://", "postgresql://", 1)
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        raise DatabaseError(f"LUMEN_DATABASE_URL: cannot parse it ({exc})") from None
    port = params.get("port")
    return Conn(
        user=str(params.get("user") or "postgres"),
        dbname=str(params.get("dbname") or "postgres"),
        host=str(params["host"]) if params.get("host") else None,
        port=int(port) if port else None,
        password=str(params["password"]) if params.get("password") else None,
    )


def admin_conn(settings: Settings | None = None) -> Conn:
    """The owner/superuser connection: LUMEN_DATABASE_URL, or the running embedded server."""
    settings = settings or get_settings()
    if settings.database_url is not None:
        return _from_url(settings.database_url.get_secret_value())
    from lumen.db import server  # the embedded server is only needed without a URL

    info = server.status(settings)
    if info is None:
        raise DatabaseError("the embedded database is not running: start it with `lumen db start` (or `make up`)")
    return Conn(
        user="postgres", dbname=settings.database_name, host=str(info.socket_dir), port=info.port, source="embedded"
    )


def role_conn(role: Role = "pipeline", settings: Settings | None = None) -> Conn:
    settings = settings or get_settings()
    base = admin_conn(settings)
    if role == "admin":
        return base
    secret = settings.pipeline_password if role == "pipeline" else settings.reader_password
    return replace(base, user=ROLES[role], password=secret.get_secret_value() if secret else None)


def connect(role: Role = "pipeline", settings: Settings | None = None, **kwargs) -> psycopg.Connection:
    """A psycopg connection; unreachable servers fail within LUMEN_CONNECT_TIMEOUT with a clear message."""
    settings = settings or get_settings()
    conn = role_conn(role, settings)
    try:
        return psycopg.connect(
            conn.url(),
            connect_timeout=settings.connect_timeout_s,
            application_name="lumen",
            options="-c TimeZone=UTC",
            **kwargs,
        )
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        if conn.password:
            reason = reason.replace(conn.password, "***")
        if "no password supplied" in reason and role != "admin":
            raise DatabaseError(_no_password(role)) from None
        raise DatabaseError(
            f"cannot connect to PostgreSQL at {conn.where()} as {conn.user} ({conn.source}): {reason}"
        ) from None


def _no_password(role: str) -> str:
    """What to do when a role's password is not set: usually `.env` is missing."""
    import os
    from pathlib import Path

    from lumen.config import project_root

    var = {"pipeline": "LUMEN_PIPELINE_PASSWORD", "reader": "LUMEN_READER_PASSWORD"}[role]
    env_file = Path(os.environ.get("LUMEN_ENV_FILE") or project_root() / ".env")
    if not env_file.exists():
        return (
            f"{var} is not set: there is no {env_file} — `make setup` (or `lumen env`) creates it with fresh "
            "passwords, then `lumen db start` gives them to a new database"
        )
    return f"{var} is empty in {env_file}: `lumen env` fills it (keeping the other values), then `lumen db start`"


def engine(
    role: Role = "pipeline", settings: Settings | None = None, *, read_only: bool = False, app: str = "lumen"
) -> sa.Engine:
    """A SQLAlchemy engine (psycopg 3 driver) for pandas and jupysql; `read_only` makes every
    transaction READ ONLY (a notebook cannot write by accident)."""
    import sqlalchemy as sa

    settings = settings or get_settings()
    conn = role_conn(role, settings)
    options = "-c TimeZone=UTC" + (" -c default_transaction_read_only=on" if read_only else "")
    return sa.create_engine(
        conn.url(driver="postgresql+psycopg"),
        connect_args={"connect_timeout": settings.connect_timeout_s, "application_name": app, "options": options},
        pool_pre_ping=True,
    )


def one(cursor: psycopg.Cursor) -> tuple:
    """The one row a query always returns (an aggregate, a RETURNING, a singleton table); DatabaseError
    if it returned none, instead of `None[0]`."""
    row = cursor.fetchone()
    if row is None:
        raise DatabaseError(
            "a query that always returns a row returned none: is the database migrated? `lumen db migrate`"
        )
    return tuple(row)
