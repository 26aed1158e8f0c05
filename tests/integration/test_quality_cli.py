"""`lumen clean | validate | docs` as a user runs them."""

import os

import pytest

from tests.conftest import lumen_cli, project_home
from tests.integration.test_ingest_cli import cli_env

pytestmark = pytest.mark.slow


def test_bad_row_fails_the_run_with_a_clear_message_then_quarantine_mode(migrated_db, tmp_path):
    env = cli_env(migrated_db)
    assert (
        lumen_cli("sample", "--out", str(tmp_path / "s"), "--days", "3", "--inject", "rh_150", env=env).returncode == 0
    )
    assert lumen_cli("ingest", "archive", str(tmp_path / "s/archive/2024.zip"), env=env).returncode == 0
    failed = lumen_cli("clean", "--start", "2024-11-01", "--end", "2024-11-03", env=env)
    assert failed.returncode == 1
    assert "lumen: error: data quality: 1 of 288 row(s) broke a rule (2 problem(s))" in failed.stderr
    assert "1 × humidity 0..100" in failed.stderr and "1 × min <= instant <= max" in failed.stderr
    assert "station Z807 2024-11-02 03:00 UTC rel_humidity_pct=150 (rule: humidity 0..100)" in failed.stderr
    assert "Traceback" not in failed.stderr
    passed = lumen_cli(
        "clean", "--start", "2024-11-01", "--end", "2024-11-03", env={**env, "LUMEN_ON_INVALID": "quarantine"}
    )
    assert passed.returncode == 0, passed.stderr
    assert "processed 287 new" in passed.stdout and "1 row(s) quarantined" in passed.stdout
    assert passed.stderr.startswith("warning: data quality: 1 of 288 row(s)")


def test_validate_and_docs(migrated_db, tmp_path):
    home = project_home(tmp_path)
    env = {
        **cli_env(migrated_db),
        "LUMEN_HOME": str(home),
        "LUMEN_READER_PASSWORD": migrated_db.reader_password.get_secret_value(),
    }
    lumen_cli("sample", "--out", str(tmp_path / "s"), "--days", "2", env=env)
    lumen_cli("stations", "--file", str(tmp_path / "s/api/estacoes_T.json"), "--save", env=env)
    lumen_cli("ingest", "archive", str(tmp_path / "s/archive/2024.zip"), env=env)
    assert lumen_cli("clean", "--start", "2024-11-01", "--end", "2024-11-02", env=env).returncode == 0
    ok = lumen_cli("validate", "--start", "2024-11-01", "--end", "2024-11-02", env=env)
    assert ok.returncode == 0, ok.stderr
    assert "over daily 2024-11-01, daily 2024-11-02, stations: passed" in ok.stdout
    docs = lumen_cli("docs", env=env)
    assert docs.returncode == 0 and docs.stdout.strip() == str(
        home / "expectations/uncommitted/data_docs/local_site/index.html"
    )
    empty = lumen_cli("validate", "--start", "2025-01-01", "--end", "2025-01-01", env=env)
    assert empty.returncode == 1 and "no rows in processed_data between 2025-01-01 00:00 and 2025-01-02 00:00" in (
        empty.stderr
    )
    assert "Traceback" not in empty.stderr
    # a window whose last day has no data yet: that day is reported and skipped, the rest is checked
    tail = lumen_cli("validate", "--start", "2024-11-02", "--end", "2024-11-03", env=env)
    assert tail.returncode == 0, tail.stderr
    assert "over daily 2024-11-02, stations: passed; skipped, no rows yet: daily 2024-11-03" in tail.stdout


def test_text_that_is_not_a_station_code_is_refused_with_one_line(migrated_db):
    env = cli_env(migrated_db)
    for args in (
        ["clean", "--start", "2024-11-01", "--end", "2024-11-02"],
        ["ingest", "api", "--start", "2024-11-01"],
        ["step", "clean", "--param", "start=2024-11-01", "--param", "end=2024-11-02"],
    ):
        flag = (
            ["--param", "stations=A807'; drop table x"] if args[0] == "step" else ["--stations", "A807'; drop table x"]
        )
        out = lumen_cli(*args, *flag, env=env)
        assert out.returncode == 1 and out.stderr.strip().splitlines() == [
            'lumen: error: "A807\'; DROP TABLE X" is not an INMET station code (a letter and three digits, e.g. A807)'
        ], out.stderr
    out = lumen_cli("clean", "--start", "2024-11-01", "--end", "9999-12-31", env=env)
    assert out.stderr.strip().splitlines() == [
        "lumen: error: '9999-12-31': a window must end before 9999-12-31 (give an earlier date)"
    ]


def test_a_database_session_ended_mid_command_is_one_line(migrated_db, tmp_path):
    """PostgreSQL ends the session while `lumen clean` works: one line that says what to do, no traceback."""
    import subprocess
    import sys
    import time
    from pathlib import Path

    from lumen.db import connect

    env = {**os.environ, **cli_env(migrated_db)}
    with connect("admin", migrated_db) as blocker:
        blocker.execute("LOCK TABLE processed_data.stations IN ACCESS EXCLUSIVE MODE")  # clean waits here
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "lumen"), "clean", "--start", "2024-11-01", "--end", "2024-11-02"],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 30
        with connect("admin", migrated_db, autocommit=True) as admin:
            while not (
                pid := admin.execute(
                    "SELECT pid FROM pg_stat_activity WHERE usename = 'lumen_pipeline' AND wait_event_type = 'Lock'"
                ).fetchone()
            ):
                assert time.monotonic() < deadline, "clean never reached the lock"
                time.sleep(0.1)
            admin.execute("SELECT pg_terminate_backend(%s)", pid)
        _, err = proc.communicate(timeout=30)
        blocker.rollback()
    assert proc.returncode == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lumen: error: the database connection failed (")
    assert lines[0].endswith(
        "is PostgreSQL running? `lumen db start` starts the embedded one (`lumen db status` says where it is), "
        "then run the command again; --debug shows the traceback"
    )
