"""The `lumen db` command as a user runs it: embedded server lifecycle, URLs, errors."""

import time

import psycopg
import pytest

from lumen.db import connect
from lumen.errors import DatabaseError
from tests.conftest import TEST_PASSWORDS, lumen_cli

pytestmark = pytest.mark.slow


def test_embedded_server_keeps_data_across_restart(tmp_path):
    env = {"LUMEN_STATE_DIR": str(tmp_path / "state"), **TEST_PASSWORDS}
    try:
        up = lumen_cli("db", "start", env=env)
        assert up.returncode == 0, up.stderr
        assert "embedded PostgreSQL 18" in up.stdout and "applied now" in up.stdout
        assert (tmp_path / "state" / "postgres" / "PG_VERSION").exists()

        url = lumen_cli("db", "url", env=env).stdout.strip()
        with psycopg.connect(url) as conn:
            conn.execute("CREATE TABLE ops.kept (v text)")
            conn.execute("INSERT INTO ops.kept VALUES ('survives a restart')")

        down = lumen_cli("db", "stop", env=env)
        assert down.returncode == 0 and "stopped" in down.stdout
        stopped = lumen_cli("db", "status", env=env)
        assert stopped.returncode == 3 and "stopped" in stopped.stdout
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(url, connect_timeout=2)

        again = lumen_cli("db", "up", env=env)  # the earlier name still works (unlisted)
        assert again.returncode == 0, again.stderr
        assert "(up to date)" in again.stdout  # migrations not re-applied
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT v FROM ops.kept").fetchall() == [("survives a restart",)]
        status = lumen_cli("db", "status", env=env)
        assert status.returncode == 0 and "0 pending" in status.stdout
    finally:
        lumen_cli("db", "stop", env=env)


def test_url_never_prints_the_password():
    env = {"LUMEN_DATABASE_URL": "postgresql://owner:Sup3r-S3cret@db.example:5433/lumen", **TEST_PASSWORDS}
    for role in ("admin", "pipeline", "reader"):
        out = lumen_cli("db", "url", "--role", role, env=env)
        assert out.returncode == 0, out.stderr
        assert "Sup3r-S3cret" not in out.stdout and TEST_PASSWORDS["LUMEN_READER_PASSWORD"] not in out.stdout
        assert TEST_PASSWORDS["LUMEN_PIPELINE_PASSWORD"] not in out.stdout
        assert "***" in out.stdout and "db.example:5433/lumen" in out.stdout
    assert "lumen_reader:***@" in lumen_cli("db", "url", "--role", "reader", env=env).stdout


def test_unreachable_database_fails_fast_and_clearly():
    env = {"LUMEN_DATABASE_URL": "postgresql://owner:Sup3r-S3cret@127.0.0.1:1/lumen", "LUMEN_CONNECT_TIMEOUT": "3"}
    start = time.monotonic()
    out = lumen_cli("db", "status", env=env, timeout=30)
    elapsed = time.monotonic() - start
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr  # one line, no traceback
    assert lines[0].startswith("lumen: error: cannot connect to PostgreSQL at 127.0.0.1:1/lumen")
    assert "Sup3r-S3cret" not in out.stderr
    assert elapsed < 10


def test_config_error_is_one_line_and_debug_shows_traceback():
    env = {"LUMEN_ON_INVALID": "maybe"}
    out = lumen_cli("db", "url", env=env)
    assert out.returncode == 1
    assert out.stderr.strip().splitlines() == [out.stderr.strip()]
    assert out.stderr.startswith("lumen: error: LUMEN_ON_INVALID:")
    debug = lumen_cli("--debug", "db", "url", env=env)
    assert "Traceback" in debug.stderr and "LUMEN_ON_INVALID" in debug.stderr


def test_the_embedded_server_checks_the_roles_passwords(migrated_db):
    """A wrong password once logged in as lumen_reader over the socket (trust for everyone)."""
    import os
    from dataclasses import replace

    from lumen.db.engine import _from_url

    if os.environ.get("LUMEN_TEST_DATABASE_URL"):
        pytest.skip("an external server: its own pg_hba.conf decides")
    base = _from_url(migrated_db.database_url.get_secret_value())
    good = replace(base, user="lumen_reader", password=migrated_db.reader_password.get_secret_value())
    with psycopg.connect(good.url()) as conn:
        assert conn.execute("SELECT current_user").fetchone() == ("lumen_reader",)
    for password in ("wrong-Pass-1", None):
        with pytest.raises(psycopg.OperationalError, match="password authentication failed|no password supplied"):
            psycopg.connect(replace(good, password=password).url())


def test_migrate_waits_for_a_server_then_says_what_it_waited_for(fresh_db, tmp_path):
    """`lumen db migrate --wait N` (compose's migrate service): a server that never answers ends in one line
    after N seconds; one that answers is migrated."""
    dead = {"LUMEN_DATABASE_URL": f"postgresql://postgres@/lumen?host={tmp_path}&port=5999", **TEST_PASSWORDS}
    t0 = time.monotonic()
    failed = lumen_cli("db", "migrate", "--wait", "3", env=dead)
    assert failed.returncode == 1 and 3 <= time.monotonic() - t0 < 20
    assert failed.stderr.startswith("lumen: error: cannot connect to PostgreSQL") and "(waited 3 s)" in failed.stderr
    assert len(failed.stderr.strip().splitlines()) == 1
    url = fresh_db.database_url.get_secret_value()
    done = lumen_cli("db", "migrate", "--wait", "30", env={"LUMEN_DATABASE_URL": url, **TEST_PASSWORDS})
    assert done.returncode == 0 and "applied now" in done.stdout, done.stderr


def test_a_wrong_env_password_never_changes_the_role_and_rotation_is_explicit(migrated_db):
    """`lumen db start`/`migrate` with a wrong LUMEN_PIPELINE_PASSWORD once ALTERed the role to it, and every
    command failed once the right .env was back (#26 defect 11). Roles are the cluster's: restored after."""
    url = migrated_db.database_url.get_secret_value()
    right = dict(TEST_PASSWORDS)
    wrong = {**TEST_PASSWORDS, "LUMEN_PIPELINE_PASSWORD": "wrong-Pass-7q"}
    refused = lumen_cli("db", "migrate", env={"LUMEN_DATABASE_URL": url, **wrong})
    assert refused.returncode == 1 and len(refused.stderr.strip().splitlines()) == 1
    assert "LUMEN_PIPELINE_PASSWORD in .env does not match the role's password" in refused.stderr
    assert "lumen db rotate-passwords" in refused.stderr and "wrong-Pass-7q" not in refused.stderr
    connect("pipeline", migrated_db).close()  # the role kept its password: the right .env still works
    try:
        rotated = lumen_cli("db", "rotate-passwords", env={"LUMEN_DATABASE_URL": url, **wrong})
        assert rotated.returncode == 0, rotated.stderr
        assert "lumen_pipeline's password set from .env at " in rotated.stdout and "lumen_reader" not in rotated.stdout
        with connect("admin", migrated_db) as conn:
            assert conn.execute("SELECT parameters FROM ops.step_runs WHERE step = 'rotate-passwords'").fetchone() == (
                {"roles": ["lumen_pipeline"]},
            )
        with pytest.raises(DatabaseError, match="password authentication failed"):
            connect("pipeline", migrated_db).close()  # the old password no longer works: the rotation was real
    finally:
        back = lumen_cli("db", "rotate-passwords", env={"LUMEN_DATABASE_URL": url, **right})
        assert back.returncode == 0 and "lumen_pipeline's password set" in back.stdout
    again = lumen_cli("db", "rotate-passwords", env={"LUMEN_DATABASE_URL": url, **right})
    assert "every role's password already matches .env" in again.stdout
