"""The forecast through MLflow for real: a tracking server on PostgreSQL, the registry and its
`champion` alias, forecasts written to analytics, and the failures people meet first."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from mlflow import MlflowClient

from lumen import ingest
from lumen.clean import transform
from lumen.db import connect
from lumen.forecast import model as fm
from lumen.forecast import tracking
from lumen.forecast.predict import evaluate, predict
from lumen.forecast.train import train
from lumen.inmet.archive import list_files
from lumen.sample import generate
from tests.conftest import lumen_cli

pytestmark = pytest.mark.slow
START, END, TEST_FROM = (
    datetime(2024, 11, 1, tzinfo=UTC),
    datetime(2024, 11, 22, tzinfo=UTC),
    datetime(2024, 11, 17, tzinfo=UTC),
)


@pytest.fixture()
def sample_db(migrated_db, no_model, tmp_path):
    """Three weeks of the generated sample (4 stations) in processed_data, and MLflow with no model yet."""
    sample = generate(tmp_path / "s", days=21)
    with connect("pipeline", migrated_db) as conn:
        ingest.load_archive(conn, list_files(sample.archive_zip), "load")
        ingest.load_api_stations(conn, json.loads(sample.stations_json.read_text()), "file", "load")
        transform.clean(conn, START, END, "run-1", on_invalid="quarantine")
    return migrated_db.model_copy(update={"mlflow_uri": no_model})


def test_train_logs_registers_promotes_and_keeps_every_version(sample_db):
    first = train(sample_db, START, END, test_from=TEST_FROM, git_commit="a" * 40)
    assert first.promoted and first.version == "1", first.line()
    m = first.metrics
    assert m["rmse_model"] < min(m["rmse_persistence"], m["rmse_climatology"]) and m["n"] > 300
    c = MlflowClient(sample_db.mlflow_uri, sample_db.mlflow_uri)
    run = c.get_run(first.run_id)
    assert {
        "rmse_model",
        "mae_model",
        "bias_model",
        "rmse_persistence",
        "rmse_climatology",
        "skill",
        "coverage_10_90",
        "train_rows",
        "test_rows",
    } <= set(run.data.metrics)
    assert run.data.params["cutoff"].startswith("2024-11-17") and run.data.tags["lumen.git_commit"] == "a" * 40
    # the two Rio stations are neighbours: both variants were fitted and the comparison is logged either way
    assert run.data.params["neighbours"] in ("kept", "dropped") and run.data.params["neighbours"] == first.neighbours
    assert {"rmse_with_neighbours", "rmse_without_neighbours"} <= set(run.data.metrics)
    kept = run.data.metrics["rmse_with_neighbours"] < run.data.metrics["rmse_without_neighbours"]
    assert kept == (first.neighbours == "kept") and ("nb1_change_1h" in run.data.params["features"]) == kept
    files = {f.path for f in c.list_artifacts(first.run_id)}
    assert {"per_station_metrics.json", "residuals.png"} <= files
    version = c.get_model_version(sample_db.forecast_model, "1")
    assert c.get_model_version_by_alias(sample_db.forecast_model, tracking.ALIAS).version == "1"
    import mlflow.models

    info = mlflow.models.get_model_info(f"models:/{sample_db.forecast_model}/1")
    assert info.signature is not None and "station_code" in info.signature.inputs.input_names()
    assert version.run_id == first.run_id
    # the metrics are the model's too (logged after it, linked by id: MLflow no longer inserts them twice)
    linked = {m.key for m in c.get_logged_model(info.model_id).metrics or []}
    assert {"rmse_model", "skill", "coverage_10_90"} <= linked
    assert len(c.get_metric_history(first.run_id, "rmse_model")) == 1
    # the same data again: as good, not better — logged and registered, the alias stays
    second = train(sample_db, START, END, test_from=TEST_FROM)
    assert not second.promoted and second.version == "2" and "as good or better" in second.reason
    assert c.get_model_version_by_alias(sample_db.forecast_model, tracking.ALIAS).version == "1"
    assert {v.version for v in c.search_model_versions(f"name='{sample_db.forecast_model}'")} == {"1", "2"}


def test_a_model_that_does_not_beat_both_baselines_is_not_promoted(sample_db, monkeypatch):
    monkeypatch.setattr(fm, "PARAMS", {**fm.PARAMS, "num_iterations": 1, "learning_rate": 0.01})  # a feeble model
    result = train(sample_db, START, END, test_from=TEST_FROM)
    assert not result.promoted and "does not beat both baselines" in result.reason
    assert result.metrics["rmse_model"] >= result.metrics["rmse_climatology"]
    assert (
        tracking.champion(tracking.client(sample_db), sample_db.forecast_model) is None
    )  # registered as a version, never champion


def test_predict_writes_forecasts_and_evaluate_scores_the_champion(sample_db):
    assert predict(sample_db, "run-p").line().startswith("forecast: no model registered yet")
    train(sample_db, START, END, test_from=TEST_FROM)
    done = predict(sample_db, "run-p", datetime(2024, 11, 18, tzinfo=UTC), datetime(2024, 11, 21, tzinfo=UTC))
    assert done.version == "1" and done.written > 0
    with connect("reader", sample_db) as conn:
        rows = conn.execute(
            "SELECT count(*), count(DISTINCT station_code), bool_and(p10_c <= predicted_c + 1e-9 "
            "AND predicted_c <= p90_c + 1e-9), min(model_version) "
            "FROM analytics.temperature_forecast"
        ).fetchone()
        skill = conn.execute(
            "SELECT count(*), avg(mae_model_c) < avg(mae_persistence_c) FROM analytics.forecast_skill"
        ).fetchone()
    assert rows[0] == done.written and rows[1] == 4 - len(done.skipped) and rows[2] and rows[3] == "1"
    assert skill[0] > 0 and skill[1]
    again = predict(sample_db, "run-q", datetime(2024, 11, 18, tzinfo=UTC), datetime(2024, 11, 21, tzinfo=UTC))
    with connect("reader", sample_db) as conn:
        assert conn.execute("SELECT count(*) FROM analytics.temperature_forecast").fetchone()[0] == again.written
    cached = sample_db.lumen_dir / "mlflow" / "serving" / sample_db.forecast_model
    assert [f.name for f in cached.iterdir()] == ["1.pkl"]  # served from a local copy of version 1 since
    # the alias moves (here by hand): the next forecast comes from the new version, fetched once
    train(sample_db, START, END, test_from=TEST_FROM, neighbours=False)
    MlflowClient(sample_db.mlflow_uri).set_registered_model_alias(sample_db.forecast_model, tracking.ALIAS, "2")
    moved = predict(sample_db, "run-r", datetime(2024, 11, 20, tzinfo=UTC), datetime(2024, 11, 20, 1, tzinfo=UTC))
    assert moved.version == "2" and sorted(f.name for f in cached.iterdir()) == ["1.pkl", "2.pkl"]
    scores = evaluate(sample_db, datetime(2024, 11, 17, tzinfo=UTC), END)
    assert {"n", "rmse_model", "rmse_persistence", "rmse_climatology", "mae_model", "coverage_10_90"} <= set(scores)
    assert scores["n"] > 300 and scores["rmse_model"] < scores["rmse_persistence"] and scores["model_version"] == "2"


def test_evaluate_leaves_out_stations_the_model_never_saw_and_says_so(sample_db):
    """#27 new-user 8: without --stations, stations the champion never trained on were scored (their
    climatology is persistence) without a word; now they are left out and named, or scored when asked."""
    train(sample_db, START, END, ["Z807", "Z621"], test_from=TEST_FROM)
    whole = evaluate(sample_db, datetime(2024, 11, 17, tzinfo=UTC), END)
    assert whole["unseen"] == ["Z001", "Z652"] and whole["stations"] == 2 and not whole["unseen_scored"]
    asked = evaluate(sample_db, datetime(2024, 11, 17, tzinfo=UTC), END, ["Z001"])
    assert asked["unseen"] == ["Z001"] and asked["stations"] == 1 and asked["unseen_scored"]
    assert asked["rmse_climatology"] == asked["rmse_persistence"]  # why they are left out by default


def test_a_station_with_a_gap_gets_no_forecast_and_is_counted(sample_db):
    train(sample_db, START, END, test_from=TEST_FROM)
    at = datetime(2024, 11, 20, 12, tzinfo=UTC)
    with connect("pipeline", sample_db) as conn:  # Z807 lost the hour 6 h before the issue hour
        conn.execute(
            "DELETE FROM processed_data.observations WHERE station_code = 'Z807' AND observed_at = %s",
            (datetime(2024, 11, 20, 7, tzinfo=UTC),),
        )
    done = predict(sample_db, "run-g", at, datetime(2024, 11, 20, 13, tzinfo=UTC))
    assert done.skipped == ["Z807"] and done.written == 3
    assert "1 station(s) without their last 24 h: Z807" in done.line()


def test_failures_are_one_line(sample_db):
    env = {"LUMEN_DATABASE_URL": sample_db.database_url.get_secret_value(), "LUMEN_MLFLOW_URI": "http://127.0.0.1:9",
           "LUMEN_READER_PASSWORD": sample_db.reader_password.get_secret_value(),
           "LUMEN_PIPELINE_PASSWORD": sample_db.pipeline_password.get_secret_value()}  # fmt: skip
    down = lumen_cli("forecast", "predict", env=env)
    assert down.returncode == 1 and down.stderr.strip() == (
        "lumen: error: MLflow does not answer at http://127.0.0.1:9: start it with `lumen mlflow start` (make up), "
        "or set LUMEN_MLFLOW_URI"
    )
    env["LUMEN_MLFLOW_URI"] = sample_db.mlflow_uri
    short = lumen_cli("forecast", "train", "--start", "2024-11-01", "--end", "2024-11-03", env=env)
    assert short.returncode == 1 and len(short.stderr.strip().splitlines()) == 1
    assert (
        "training hours in 2024-11-01 00:00 … 2024-11-04 00:00 UTC" in short.stderr and "at least 500" in short.stderr
    )
    none = lumen_cli("forecast", "evaluate", "--start", "2024-11-17", "--end", "2024-11-21", "--json", env=env)
    assert none.returncode == 1 and "no model registered yet" in none.stderr


def test_the_mlflow_server_keeps_its_database_password_out_of_argv_and_its_log(mlflow_server):
    from lumen.run import services
    from tests.conftest import TEST_PASSWORDS

    secret = TEST_PASSWORDS["LUMEN_MLFLOW_PASSWORD"]
    svc = services.service("mlflow", mlflow_server)
    pid = svc.pid()
    assert pid is not None and tracking.answers(mlflow_server.mlflow_uri)
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode()
    assert "--allowed-hosts" in argv and secret not in argv
    assert secret not in svc.log_file.read_text() and "GET /health" in svc.log_file.read_text()
    with connect("admin", mlflow_server) as conn:  # MLflow's own database, beside the projects', owned by its role
        owner = conn.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'mlflow'").fetchone()
    assert owner == ("lumen_mlflow",)


def test_a_killed_trainings_run_is_marked_failed_by_the_next(sample_db, tmp_path):
    """kill -9 cannot end an MLflow run: it stayed RUNNING forever (#26 defect 12). The next training ends it."""
    import os
    import signal
    import subprocess
    import sys
    import time

    holder = tmp_path / "run_id"
    script = (
        "import mlflow, sys, time\n"
        "from lumen.forecast import tracking\n"
        f"mlflow.set_tracking_uri({sample_db.mlflow_uri!r}); mlflow.set_experiment({sample_db.forecast_model!r})\n"
        "run = mlflow.start_run(tags=tracking.owner_tags())\n"
        f"open({str(holder)!r}, 'w').write(run.info.run_id)\n"
        "time.sleep(600)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 60
    while not holder.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)  # mid-run, as a killed `lumen forecast train`
    proc.wait()
    killed = holder.read_text()
    c = MlflowClient(sample_db.mlflow_uri, sample_db.mlflow_uri)
    assert c.get_run(killed).info.status == "RUNNING"
    done = train(sample_db, START, END, test_from=TEST_FROM)
    assert done.abandoned == [killed]
    assert c.get_run(killed).info.status == "FAILED" and c.get_run(done.run_id).info.status == "FINISHED"
    assert train(sample_db, START, END, test_from=TEST_FROM).abandoned == []  # nothing left to end


def test_the_schedule_waits_for_data_where_a_person_gets_the_failure(sample_db, tmp_path):
    """#27 new-user 3: the daily training on a young database failed every day with a CLI hint
    ("choose an earlier --test-from"); the schedule's step (when_short=wait) succeeds saying it waits."""
    from tests.conftest import project_home

    env = {"LUMEN_DATABASE_URL": sample_db.database_url.get_secret_value(), "LUMEN_MLFLOW_URI": sample_db.mlflow_uri,
           "LUMEN_PIPELINE_PASSWORD": sample_db.pipeline_password.get_secret_value(),
           "LUMEN_READER_PASSWORD": sample_db.reader_password.get_secret_value(),
           "LUMEN_FORECAST_MODEL": sample_db.forecast_model, "LUMEN_HOME": str(project_home(tmp_path))}  # fmt: skip
    window = ("-p", "start=2024-11-01", "-p", "end=2024-11-03")
    waited = lumen_cli("step", "train", *window, "-p", "when_short=wait", "--last", env=env, timeout=300)
    assert waited.returncode == 0, waited.stderr[-2000:]
    assert "training skipped, waiting for data: only " in waited.stdout
    assert "warning: no training yet, waiting for data" in waited.stdout
    failed = lumen_cli("step", "train", *window, "--last", env=env, timeout=300)
    assert failed.returncode == 1 and "training hours in 2024-11-01 00:00 … 2024-11-04 00:00 UTC" in failed.stderr
