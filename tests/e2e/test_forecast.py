"""The forecast as Mage runs it: `forecast_train` registers a champion in a real MLflow server, then
an `inmet_hourly` run (fake INMET API) ends with the forecast step writing next-hour forecasts."""

from __future__ import annotations

from pathlib import Path

import pytest

from lumen.db import connect
from lumen.sample import generate
from tests.e2e.conftest import lumen
from tests.fakes.http import FakeServer
from tests.fakes.inmet import serve_sample

pytestmark = pytest.mark.slow
STATIONS = "Z001,Z621,Z652,Z807"


def test_train_pipeline_then_the_hourly_run_forecasts_the_next_hour(env, migrated_db, no_model, tmp_path):
    sample = generate(Path(env["LUMEN_HOME"]) / "s", days=16)
    backfill = lumen(
        env,
        "pipeline",
        "run",
        "backfill",
        "--archive",
        str(sample.archive_zip),
        "--start",
        "2024-11-01",
        "--end",
        "2024-11-15",
    )
    assert backfill.returncode == 0, backfill.stderr[-2000:]
    trained = lumen(env, "pipeline", "run", "forecast_train", "--start", "2024-11-01", "--end", "2024-11-15")
    assert trained.returncode == 0, trained.stdout[-3000:] + trained.stderr[-2000:]
    assert "promoted to champion" in trained.stdout

    with FakeServer() as fake:
        serve_sample(fake, sample)
        run_env = {**env, "INMET_API_URL": fake.url, "INMET_TOKEN": ""}
        hourly = lumen(
            run_env,
            "pipeline",
            "run",
            "hourly",
            "--start",
            "2024-11-16T00:00",
            "--end",
            "2024-11-16T06:00",
            "--stations",
            STATIONS,
        )
    assert hourly.returncode == 0, hourly.stdout[-3000:] + hourly.stderr[-2000:]
    with connect("admin", migrated_db) as conn:
        steps = conn.execute(
            "SELECT run_id, step, status FROM ops.step_runs WHERE run_id LIKE 'hourly-%%' ORDER BY id"
        ).fetchall()
        newest = conn.execute("SELECT max(observed_at) FROM processed_data.observations").fetchone()[0]
        forecasts = conn.execute(
            "SELECT station_code, issued_at, model_version FROM analytics.temperature_forecast ORDER BY station_code"
        ).fetchall()
        lock = conn.execute("SELECT run_id FROM ops.run_lock").fetchone()[0]
    assert [(s, st) for _, s, st in steps] == [
        ("ingest", "succeeded"),
        ("clean", "succeeded"),
        ("validate", "succeeded"),
        ("publish", "succeeded"),
        ("forecast", "succeeded"),
    ]
    assert newest.isoformat().startswith("2024-11-16T05:00")
    assert {f[0] for f in forecasts} <= set(STATIONS.split(",")) and len(forecasts) >= 3
    assert {(f[1], f[2]) for f in forecasts} == {(newest, "1")}
    assert lock is None  # the forecast step, now last, frees the run lock
    secrets = [env[k] for k in ("LUMEN_MLFLOW_PASSWORD", "LUMEN_PIPELINE_PASSWORD", "LUMEN_READER_PASSWORD")]
    files = [p for p in Path(env["LUMEN_HOME"]).rglob("*") if p.is_file() and p.suffix in (".ipynb", ".json", ".log")]
    for secret in secrets:  # neither in what the runs printed nor in any executed notebook or log
        assert secret not in trained.stdout + trained.stderr + hourly.stdout + hourly.stderr
        assert not [p for p in files if secret in p.read_text(errors="replace")]
