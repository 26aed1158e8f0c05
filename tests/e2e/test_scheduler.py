"""The hourly trigger, picked up by a running `mage start` scheduler (schedule sped up to every minute)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from lumen.db import connect
from lumen.sample import generate
from tests.e2e.conftest import free_port, lumen
from tests.fakes.http import FakeServer
from tests.fakes.inmet import serve_sample

pytestmark = pytest.mark.slow


def test_scheduler_runs_the_hourly_pipeline(home, env, migrated_db, no_model, tmp_path):
    metadata = home / "mage_project/pipelines/inmet_hourly/metadata.yaml"  # the sample's stations
    metadata.write_text(metadata.read_text().replace("stations: A001,A621,A652,A807", "stations: Z001,Z621,Z652,Z807"))
    today = datetime.now(UTC).date()
    sample = generate(tmp_path / "s", start=today - timedelta(days=1), days=2)
    port = free_port()
    with FakeServer() as fake:
        serve_sample(fake, sample, token="t0ken-of-the-test")
        run_env = {
            **env,
            "INMET_API_URL": fake.url,
            "INMET_TOKEN": "t0ken-of-the-test",  # the hourly one needs it
            "LUMEN_SCHEDULE_HOURLY": "* * * * *",
            "LUMEN_SCHEDULE_TRAIN": "off",
        }  # sped up; this test's only
        started = lumen(run_env, "pipeline", "start", "--port", str(port))
        assert started.returncode == 0, started.stderr
        assert "schedule inmet_hourly (* * * * *): on" in started.stdout, started.stdout
        assert "schedule forecast_train (off): paused" in started.stdout, started.stdout
        try:
            deadline = time.monotonic() + 180
            done = None
            while time.monotonic() < deadline and done is None:
                time.sleep(3)
                with connect("admin", migrated_db) as conn:
                    done = conn.execute(
                        "SELECT run_id FROM ops.step_runs WHERE run_id LIKE 'hourly-%%' AND step = 'forecast' "
                        "AND status = 'succeeded' LIMIT 1"
                    ).fetchone()
                    failed = conn.execute("SELECT step, error FROM ops.step_runs WHERE status = 'failed'").fetchall()
                assert not failed, failed
            log = (home / ".lumen/logs/mage.log").read_text(errors="replace")
            assert done is not None, "no scheduled run finished in 3 minutes; mage log tail:\n" + log[-3000:]
            assert "t0ken-of-the-test" not in log  # the client hides it in every message
        finally:
            stopped = lumen(run_env, "pipeline", "stop")
        assert stopped.returncode == 0 and "mage: stopped" in stopped.stdout
    with connect("admin", migrated_db) as conn:
        steps = conn.execute(
            "SELECT step, parameters FROM ops.step_runs WHERE run_id = %s ORDER BY id", done
        ).fetchall()
        api_rows = conn.execute("SELECT count(*) FROM raw_data.inmet_observations WHERE source = 'api'").fetchone()[0]
    assert [s[0] for s in steps] == ["ingest", "clean", "validate", "publish", "forecast"]
    end = datetime.fromisoformat(steps[1][1]["end"]).replace(tzinfo=UTC)
    assert end.minute == 0 and datetime.now(UTC) - end < timedelta(hours=1, minutes=5)  # the run's own hour
    assert api_rows > 0 and any(r["path"].startswith("/token/estacao/") for r in fake.requests)
    assert lumen(run_env, "pipeline", "stop").stdout.strip() == "mage: was not running"
