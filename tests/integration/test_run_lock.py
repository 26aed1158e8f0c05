"""The run lock with real processes: a step killed with SIGKILL frees it; a live run between two
steps keeps it; `lumen status` names the holder; `lumen unlock` exists for the rare case."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lumen.db import connect
from tests.conftest import lumen_cli, project_home
from tests.integration.test_ingest_cli import cli_env

pytestmark = pytest.mark.slow
CLEAN = ("--param", "start=2024-11-01", "--param", "end=2024-11-02")


def test_a_killed_step_frees_the_lock_at_once(migrated_db, tmp_path):
    env = {**cli_env(migrated_db), "LUMEN_HOME": str(project_home(tmp_path)), "LUMEN_LOCK_WAIT": "20"}
    exe = str(Path(sys.executable).parent / "lumen")
    # the step cannot finish before it is killed: its writes wait for this table lock (reads do not)
    blocker = connect("admin", migrated_db)
    blocker.execute("LOCK TABLE processed_data.observations IN EXCLUSIVE MODE")
    step = subprocess.Popen(
        [exe, "step", "clean", "--run-id", "run-a", *CLEAN],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        with connect("admin", migrated_db, autocommit=True) as conn:
            while not conn.execute(
                "SELECT 1 FROM ops.step_runs WHERE run_id = 'run-a' AND status = 'running'"
            ).fetchone():
                assert time.monotonic() < deadline and step.poll() is None, "the step never started"
                time.sleep(0.1)
            status = lumen_cli("status", env=env).stdout
            assert "run lock: held by run-a since" in status and "a step is running" in status
    finally:
        os.killpg(step.pid, signal.SIGKILL)  # the step, as `kill -9` of its group does
        step.wait()
    with connect("admin", migrated_db, autocommit=True) as conn:  # its kernel (a session of its own) sees its
        deadline = time.monotonic() + 30  # parent gone and exits: nothing of run-a waits any more
        while conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        ).fetchone()[0]:
            assert time.monotonic() < deadline, "the killed step's kernel still waits to write"
            time.sleep(0.2)
    blocker.rollback()
    blocker.close()
    t0 = time.monotonic()
    other = lumen_cli("step", "clean", "--run-id", "run-b", *CLEAN, env=env)
    assert other.returncode == 0, other.stderr
    assert "waiting for pipeline run" not in other.stderr and time.monotonic() - t0 < 60
    with connect("admin", migrated_db) as conn:
        runs = conn.execute("SELECT run_id, status, error FROM ops.step_runs ORDER BY id").fetchall()
    assert runs[0][:2] == ("run-a", "failed") and "process died" in runs[0][2]
    assert runs[1][:2] == ("run-b", "succeeded")


def test_a_run_between_steps_keeps_the_lock_and_the_next_run_says_it_waits(migrated_db, tmp_path):
    env = {**cli_env(migrated_db), "LUMEN_HOME": str(project_home(tmp_path)), "LUMEN_LOCK_WAIT": "2"}
    assert lumen_cli("step", "clean", "--run-id", "run-a", *CLEAN, env=env).returncode == 0  # not --last
    blocked = lumen_cli("step", "clean", "--run-id", "run-b", *CLEAN, env=env)
    assert blocked.returncode == 1
    lines = blocked.stderr.strip().splitlines()
    assert lines[0].startswith("waiting for pipeline run run-a (holding the lock since ")
    assert lines[-1].startswith("lumen: error: another pipeline run (run-a, holding the lock since ")
    assert "between steps" in lumen_cli("status", env=env).stdout
    unlocked = lumen_cli("unlock", env=env)
    assert unlocked.returncode == 0 and unlocked.stdout.strip() == "run lock: freed (it was held by run-a)"
    assert lumen_cli("step", "clean", "--run-id", "run-b", "--last", *CLEAN, env=env).returncode == 0
    assert "run lock: free" in lumen_cli("status", env=env).stdout


def test_a_cli_clean_waits_for_the_run_holding_the_lock_and_is_audited_like_a_step(migrated_db, tmp_path):
    """#27: `lumen clean` used to write beside a running pipeline, unrecorded. Now it waits for the run in
    its way, saying whose, then runs and is recorded in ops.step_runs as `lumen step clean` is. The wait
    comes from .env (LUMEN_LOCK_WAIT), not only from the process environment."""
    home = project_home(tmp_path)
    (home / ".env").write_text("LUMEN_LOCK_WAIT=60\nLUMEN_LOCK_GAP_S=120\n")
    env = {**cli_env(migrated_db), "LUMEN_HOME": str(home), "LUMEN_ENV_FILE": str(home / ".env")}
    env.pop("LUMEN_LOCK_WAIT", None)
    assert lumen_cli("step", "clean", "--run-id", "run-a", *CLEAN, env=env).returncode == 0  # run-a keeps it
    exe = str(Path(sys.executable).parent / "lumen")
    cli = subprocess.Popen(
        [exe, "clean", "--start", "2024-11-01", "--end", "2024-11-02"],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert cli.stderr is not None
    first = cli.stderr.readline()
    assert first.startswith("waiting for pipeline run run-a (holding the lock since "), first
    assert lumen_cli("unlock", env=env).returncode == 0  # run-a ends
    out, err = cli.communicate(timeout=120)
    assert cli.returncode == 0, err
    with connect("admin", migrated_db) as conn:
        rows = conn.execute("SELECT run_id, step, status, parameters FROM ops.step_runs ORDER BY id").fetchall()
        assert conn.execute("SELECT run_id FROM ops.run_lock").fetchone() == (None,)  # a direct command lets go
    assert [r[1:3] for r in rows] == [("clean", "succeeded"), ("clean", "succeeded")]
    assert rows[1][0] != "run-a" and rows[1][3] == {"start": "2024-11-01", "end": "2024-11-02"}
