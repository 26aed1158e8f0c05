"""Versioned SQL migrations: `lumen/db/sql/V###__name.sql`, applied in order, once each.

Each file runs in its own transaction together with its row in
`ops.schema_migrations` (version, name, sha256), under an advisory lock so two
migrators never interleave. A file changed after it was applied is an error:
write a new migration instead. The Docker postgres service runs the same files
through `lumen db migrate` (one home for each SQL object).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from lumen.config import Settings, get_settings
from lumen.db import mlflow_db, one
from lumen.db.engine import ROLES, connect
from lumen.db.passwords import can_read_authid, scram_matches
from lumen.errors import DatabaseError

SQL_DIR = Path(__file__).parent / "sql"
_NAME = re.compile(r"^V(\d{3})__([a-z0-9_]+)\.sql$")
_LOCK_KEY = 0x4C554D45  # "LUME"


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def discover(directory: Path = SQL_DIR) -> list[Migration]:
    found: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise DatabaseError(f"{path.name}: migration files are named V###__snake_name.sql")
        version = int(match.group(1))
        if version in found:
            raise DatabaseError(f"two migrations share version {version}: {found[version].path.name}, {path.name}")
        found[version] = Migration(version, match.group(2), path)
    return [found[v] for v in sorted(found)]


def applied(conn: psycopg.Connection) -> dict[int, str]:
    """version → checksum of what this database has applied."""
    if one(conn.execute("SELECT to_regclass('ops.schema_migrations')"))[0] is None:
        return {}
    return dict(conn.execute("SELECT version, checksum FROM ops.schema_migrations").fetchall())


def migrate(
    settings: Settings | None = None,
    directory: Path = SQL_DIR,
    up_to: int | None = None,
    upgraded: Callable[[psycopg.Connection], None] | None = None,
) -> list[Migration]:
    """Apply pending migrations (those up to version `up_to` only, when given: a database as an older
    release left it), then give the roles LOGIN and their .env passwords. Returns what ran.

    `upgraded(conn)` runs, inside the migration lock, when any migration ran: what the schema cannot
    compute itself (lumen/run/database.py passes the station step). Storage never imports the steps."""
    settings = settings or get_settings()
    migrations = [m for m in discover(directory) if up_to is None or m.version <= up_to]
    ran: list[Migration] = []
    with connect("admin", settings, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
        try:
            done = applied(conn)
            for m in migrations:
                if m.version in done:
                    if done[m.version] != m.checksum:
                        raise DatabaseError(
                            f"migration {m.path.name} changed after it was applied; add a new migration instead"
                        )
                    continue
                try:
                    with conn.transaction():
                        conn.execute(m.path.read_text(encoding="utf-8"))
                        conn.execute(
                            "INSERT INTO ops.schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                            (m.version, m.name, m.checksum),
                        )
                except psycopg.Error as exc:
                    raise DatabaseError(f"migration {m.path.name} failed: {str(exc).strip()}") from None
                ran.append(m)
            if ran and upgraded is not None:
                upgraded(conn)
            _sync_role_logins(conn, settings)
            _sync_database_privileges(conn)
            mlflow_db.ensure(conn, settings)  # MLflow's own (empty) database: its server migrates it
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))
    return ran


ENV_NAMES = {"pipeline": "LUMEN_PIPELINE_PASSWORD", "reader": "LUMEN_READER_PASSWORD"}


def _sync_role_logins(conn: psycopg.Connection, settings: Settings, rotate: bool = False) -> list[str]:
    """LOGIN for each role, and .env's password for a role that has none yet (a new database).

    A role whose password differs from .env's is never changed silently (a wrong `.env` once
    ALTERed the role, and every command failed when the right one came back): that is an error
    naming the variable, unless `rotate` (`lumen db rotate-passwords`), which sets .env's password
    and returns the roles it changed."""
    changed, mismatched = [], []
    readable = can_read_authid(conn)
    for key, role in ROLES.items():
        secret = {"pipeline": settings.pipeline_password, "reader": settings.reader_password}[key]
        password = secret.get_secret_value() if secret else None
        can_login, stored = one(
            conn.execute(
                "SELECT rolcanlogin, "
                + ("(SELECT rolpassword FROM pg_authid WHERE rolname = %s)" if readable else "%s")
                + " FROM pg_roles WHERE rolname = %s",
                (role, role),
            )
        )
        if not readable:
            stored = None
        has_password = stored is not None if readable else can_login
        if password is None:
            if not can_login:
                conn.execute(sql.SQL("ALTER ROLE {} LOGIN").format(sql.Identifier(role)))
            continue
        matches = scram_matches(stored, password) if readable else _logs_in(settings, role, password)
        if can_login and matches:
            continue
        if can_login and has_password and not rotate:
            mismatched.append(ENV_NAMES[key])
            continue
        conn.execute(sql.SQL("ALTER ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(role), sql.Literal(password)))
        if can_login and has_password:
            changed.append(role)
    if mismatched:
        raise DatabaseError(
            f"{' and '.join(mismatched)} in .env {'do' if len(mismatched) > 1 else 'does'} not match the role's "
            "password in the database: put the right value back in .env, or run `lumen db rotate-passwords` to set "
            "the roles' passwords to .env's (every client then needs the new .env)"
        )
    return changed


def rotate_passwords(settings: Settings | None = None) -> list[str]:
    """Set the roles' passwords to .env's, on purpose (`lumen db rotate-passwords`); returns the roles changed."""
    import json

    from lumen.vocabulary import new_run_id

    settings = settings or get_settings()
    with connect("admin", settings, autocommit=True) as conn:
        changed = _sync_role_logins(conn, settings, rotate=True)
        if changed:  # the audit keeps who changed when (never the password)
            conn.execute(
                "INSERT INTO ops.step_runs (run_id, step, parameters, status, finished_at) "
                "VALUES (%s, 'rotate-passwords', %s, 'succeeded', now())",
                (new_run_id(), json.dumps({"roles": changed})),
            )
    return changed


def _logs_in(settings: Settings, role: str, password: str) -> bool:
    """Can `role` log in with `password`? (Where pg_authid cannot be read to compare verifiers.)"""
    from dataclasses import replace

    from lumen.db.engine import admin_conn

    target = replace(admin_conn(settings), user=role, password=password)
    try:
        psycopg.connect(target.url(), connect_timeout=settings.connect_timeout_s).close()
    except psycopg.OperationalError:
        return False
    return True


def _sync_database_privileges(conn: psycopg.Connection) -> None:
    """V003's database-level privileges, asserted again on every run: they live in the cluster's
    catalog, not in the database, so a copy (CREATE DATABASE … TEMPLATE) or a restore of a dump
    arrives without them."""
    if one(conn.execute("SELECT to_regrole('lumen_pipeline') IS NULL OR to_regrole('lumen_reader') IS NULL"))[0]:
        return
    db = sql.Identifier(one(conn.execute("SELECT current_database()"))[0])
    for stmt in (
        "GRANT CONNECT ON DATABASE {} TO lumen_pipeline, lumen_reader",
        "REVOKE TEMPORARY ON DATABASE {} FROM PUBLIC",
        "GRANT TEMPORARY ON DATABASE {} TO lumen_pipeline",
    ):
        conn.execute(sql.SQL(stmt).format(db))
