"""The forecast's share of the bench: training on the year × 600 stations (wall time, peak RSS),
and predicting one hour for every station (the forecast step's own work), with a real MLflow
server on a throw-away database of its own."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql

from benchmarks.sampling import run_sampled
from lumen.db import engine as dbc

MLFLOW_DB = "lumen_bench_mlflow"
MODEL = "lumen-bench-next-hour-temperature"


@contextlib.contextmanager
def mlflow_for(settings, state: Path) -> Iterator:
    """`settings` with a fresh MLflow server of its own (database MLFLOW_DB, a free port), its state
    (artifacts, the forecast step's local copy of the champion) in `state`: the hourly run's, so
    its forecast step finds the champion already copied, as it would after its first hour."""
    from lumen.db import mlflow_db
    from lumen.run import mlflow_server

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    admin = dbc.admin_conn(settings)
    with psycopg.connect(replace(admin, dbname="postgres").url(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(MLFLOW_DB)))
        ours = settings.model_copy(
            update={
                "mlflow_uri": f"http://127.0.0.1:{port}",
                "mlflow_database": MLFLOW_DB,
                "forecast_model": MODEL,
                "state_dir": state,
            }
        )
        mlflow_db.ensure(conn, ours)
    mlflow_server.start(ours)
    try:
        yield ours
    finally:
        mlflow_server.stop(ours)
        with psycopg.connect(replace(admin, dbname="postgres").url(), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(MLFLOW_DB)))


def mlflow_env(settings) -> dict[str, str]:
    return {
        "LUMEN_MLFLOW_URI": settings.mlflow_uri,
        "LUMEN_MLFLOW_DATABASE": settings.mlflow_database,
        "LUMEN_FORECAST_MODEL": settings.forecast_model,
    }


def measure_training(lumen: str, env: dict[str, str], year: int) -> dict:
    """`lumen forecast train` on the year, as a user runs it: wall time and peak RSS (sampled on the
    process itself, LightGBM's threads included), and the figures it printed."""
    cmd = [lumen, "forecast", "train", "--start", f"{year}-01-01", "--end", f"{year}-12-31"]
    done, seconds, peak = run_sampled(cmd, env, every_s=0.1)
    if done.returncode != 0:
        raise SystemExit(f"training failed: {done.stderr[-2000:]}")
    stdout = done.stdout
    return {"train_s": seconds, "train_peak_rss_mib": peak, "train_summary": stdout.strip().splitlines()[-1]}


def measure_predict(settings, year: int, log: Callable[[str], None]) -> dict:
    """The forecast step's own work for the last hour of the year, every station: MLflow reached,
    the champion loaded, 25 h read, features, prediction, upsert. Twice: a cold and a warm call."""
    from lumen.forecast.predict import predict

    at = datetime(year, 12, 31, 22, tzinfo=UTC)
    cold = predict(settings, "bench-predict", at, at.replace(hour=23))
    warm = predict(settings, "bench-predict", at, at.replace(hour=23))
    log(f"    {warm.written} forecasts, {len(warm.skipped)} stations skipped")
    return {"predict_hour_cold_s": cold.seconds, "predict_hour_s": warm.seconds, "predict_stations": warm.written}
