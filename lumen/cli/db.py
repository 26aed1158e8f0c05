"""`lumen db …`: the database's lifecycle."""

from __future__ import annotations

import typer

from lumen.cli.common import console, new_app
from lumen.config import get_settings
from lumen.db import engine as dbc
from lumen.db import migrate as migrations

app = new_app("PostgreSQL: embedded server (default) or LUMEN_DATABASE_URL.")


@app.command("start")
def start(migrate: bool = typer.Option(True, help="Apply pending migrations after start.")) -> None:
    """Start the embedded server (or check LUMEN_DATABASE_URL) and migrate."""
    settings = get_settings()
    if settings.database_url is None:
        from lumen.db import server

        info = server.up(settings)
        console.print(f"database: embedded PostgreSQL {info.version} running (pid {info.pid}, data {info.pgdata})")
    else:
        with dbc.connect("admin", settings):
            console.print(f"database: using LUMEN_DATABASE_URL {dbc.redact(dbc.admin_conn(settings))}")
    if migrate:
        _migrate(settings)


@app.command("stop")
def stop() -> None:
    """Stop the embedded server (data is kept in .lumen/postgres)."""
    settings = get_settings()
    if settings.database_url is not None:
        console.print("database: LUMEN_DATABASE_URL is set; nothing to stop here")
        return
    from lumen.db import server

    stopped = server.down(settings)
    console.print("database: stopped" if stopped else "database: was not running")


# `start`/`stop` as for mlflow, pipeline and lab; the names of earlier releases still work, unlisted
app.command("up", hidden=True)(start)
app.command("down", hidden=True)(stop)


@app.command()
def status() -> None:
    """Is the database up? Where is it? Which migrations are applied?"""
    settings = get_settings()
    if settings.database_url is None:
        from lumen.db import server

        info = server.status(settings)
        if info is None:
            console.print(f"database: embedded, stopped (data {server.pgdata(settings)})")
            raise typer.Exit(3)
        console.print(f"database: embedded PostgreSQL {info.version}, pid {info.pid}, data {info.pgdata}")
    with dbc.connect("admin", settings) as conn:
        done = migrations.applied(conn)
    pending = [m.path.name for m in migrations.discover() if m.version not in done]
    console.print(f"url: {dbc.redact(dbc.admin_conn(settings))}")
    console.print(f"migrations: {len(done)} applied, {len(pending)} pending {' '.join(pending)}".rstrip())


@app.command()
def url(role: str = typer.Option("admin", help="admin, pipeline or reader.")) -> None:
    """Print the connection URL (the password is never printed)."""
    if role not in ("admin", "pipeline", "reader"):
        raise typer.BadParameter("role must be admin, pipeline or reader")
    console.print(dbc.redact(dbc.role_conn(role, get_settings())))  # type: ignore[arg-type]


@app.command("rotate-passwords")
def rotate_passwords() -> None:
    """Set the lumen_pipeline and lumen_reader roles' passwords to .env's (after changing them there)."""
    from datetime import UTC, datetime

    changed = migrations.rotate_passwords(get_settings())
    when = f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC"
    for role in changed:
        console.print(f"database: {role}'s password set from .env at {when}")
    if not changed:
        console.print("database: every role's password already matches .env")


@app.command()
def migrate(
    wait: float = typer.Option(0, help="Seconds to wait for the server to accept connections first (compose)."),
) -> None:
    """Apply pending SQL migrations (idempotent)."""
    settings = get_settings()
    if wait > 0:
        _wait_for_server(settings, wait)
    _migrate(settings)


def _wait_for_server(settings, timeout_s: float) -> None:
    """Until the admin role can connect (a server still starting refuses or is not listening yet)."""
    from lumen.errors import DatabaseError
    from lumen.polling import wait_until

    last: list[str] = []

    def answers() -> bool:
        try:
            with dbc.connect("admin", settings):
                return True
        except DatabaseError as exc:
            last[:] = [str(exc)]
            return False

    if not wait_until(answers, timeout_s, 1.0):
        raise DatabaseError(f"{last[0] if last else 'no answer'} (waited {timeout_s:g} s)")


def _migrate(settings) -> None:
    from lumen.run.database import migrate

    ran = migrate(settings)
    names = ", ".join(m.path.name for m in ran)
    console.print(f"migrations: {len(ran)} applied now{': ' + names if ran else ' (up to date)'}")
