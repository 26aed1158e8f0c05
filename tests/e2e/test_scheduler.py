"""The hourly trigger, picked up by a running `mage start` scheduler (schedule sped up to every minute)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import yaml

from lumen.db import connect
from lumen.sample import generate
from tests.e2e.conftest import free_port, lumen
from tests.fakes.http import FakeServer
from tests.fakes.inmet import serve_sample

pytestmark = pytest.mark.slow


def test_committed_trigger_is_hourly_and_stable():
    from tests.conftest import ROOT

    trigger = yaml.safe_load((ROOT / "mage_project/pipelines/inmet_hourly/triggers.yaml").read_text())["triggers"][0]
    assert trigger["schedule_interval"] == "@hourly" and trigger["status"] == "active"
    assert trigger["settings"]["skip_if_previous_running"] is True
    assert trigger["last_enabled_at"] is not None  # else Mage rewrites the file on every new scheduler DB


def test_scheduler_runs_the_hourly_pipeline(home, env, migrated_db, no_model, tmp_path):
    triggers = home / "mage_project/pipelines/inmet_hourly/triggers.yaml"
    triggers.write_text(triggers.read_text().replace("'@hourly'", "'* * * * *'"))
    training = home / "mage_project/pipelines/forecast_train/triggers.yaml"  # this test is the hourly one's
    training.write_text(training.read_text().replace("status: active", "status: inactive"))
    metadata = home / "mage_project/pipelines/inmet_hourly/metadata.yaml"  # the sample's stations
    metadata.write_text(metadata.read_text().replace("stations: A001,A621,A652,A807", "stations: Z001,Z621,Z652,Z807"))
    today = datetime.now(UTC).date()
    sample = generate(tmp_path / "s", start=today - timedelta(days=1), days=2)
    port = free_port()
    with FakeServer() as fake:
        serve_sample(fake, sample)
        run_env = {**env, "INMET_API_URL": fake.url, "INMET_TOKEN": ""}
        started = lumen(run_env, "pipeline", "start", "--port", str(port))
        assert started.returncode == 0, started.stderr
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
    assert api_rows > 0 and any(r["path"].startswith("/estacao/") for r in fake.requests)
    assert lumen(run_env, "pipeline", "stop").stdout.strip() == "mage: was not running"


def test_committed_training_trigger_is_daily_and_stable():
    from tests.conftest import ROOT

    path = ROOT / "mage_project/pipelines/forecast_train/triggers.yaml"
    trigger = yaml.safe_load(path.read_text())["triggers"][0]
    assert trigger["schedule_interval"] == "0 3 * * *" and trigger["status"] == "active"
    assert trigger["settings"]["skip_if_previous_running"] is True and trigger["last_enabled_at"] is not None


def test_every_pipeline_runs_in_one_process():
    """Mage 0.9.80's block queue can lose a block enqueued just as its worker pool exits (seen here:
    the hourly run's fifth block sat queued for good, and skip_if_previous_running then skipped every
    later run). One process per pipeline run enqueues one job per run instead of one per block."""
    from tests.conftest import ROOT

    for path in sorted((ROOT / "mage_project/pipelines").glob("*/metadata.yaml")):
        assert yaml.safe_load(path.read_text())["run_pipeline_in_one_process"] is True, path.parent.name
