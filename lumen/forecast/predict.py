"""Serve the champion: next-hour forecasts into analytics.temperature_forecast, and the score of the
champion and both baselines on any window — the path behind `lumen forecast predict|evaluate`
and the hourly pipeline's forecast step.

A station gets a forecast for an issue hour t only when its last 24 h allow it: the air
temperature at t and at every lag the model reads (t−1, t−2, t−5 and t−23 h). The others are
counted, never guessed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pandas as pd

from lumen.config import Settings
from lumen.db import connect, one
from lumen.forecast import ForecastError, tracking
from lumen.forecast import features as fx
from lumen.forecast.model import score
from lumen.forecast.train import issue_rows

LAGS = [f"temp_lag{k}" for k in fx.TEMP_LAGS]


@dataclass
class PredictResult:
    written: int = 0
    skipped: list[str] = field(default_factory=list)  # stations without the last 24 h the model needs
    version: str | None = None
    issued: tuple[datetime, datetime] | None = None
    seconds: float = 0.0

    def line(self) -> str:
        if self.version is None:
            return "forecast: no model registered yet (train one: lumen forecast train) — nothing to do"
        lo, hi = self.issued  # type: ignore[misc]
        when = f"{lo:%Y-%m-%d %H:%M}" + (
            f" … {hi - timedelta(hours=1):%Y-%m-%d %H:%M}" if hi - lo > timedelta(hours=1) else ""
        )
        gaps = (
            f"; {len(self.skipped)} station(s) without their last 24 h: {', '.join(self.skipped[:10])}"
            + (" …" if len(self.skipped) > 10 else "")
            if self.skipped
            else ""
        )
        return f"forecast: {self.written:,} next-hour forecast(s) issued {when} UTC by champion v{self.version}{gaps}"


def latest_hour(settings: Settings) -> datetime | None:
    with connect("reader", settings) as conn:
        return one(conn.execute("SELECT max(observed_at) FROM processed_data.observations"))[0]


def predict(
    settings: Settings,
    run_id: str,
    start: datetime | None = None,
    end: datetime | None = None,
    stations: list[str] | None = None,
) -> PredictResult:
    """Forecasts issued at each hour of [start, end) (default: the newest observed hour only)."""
    t0 = time.monotonic()
    current = tracking.serving_champion(settings)
    if current is None:
        return PredictResult(seconds=round(time.monotonic() - t0, 2))
    if start is None:
        newest = latest_hour(settings)
        if newest is None:
            raise ForecastError("processed_data holds no observations yet: run the pipeline first")
        start = newest
    end = end or start + timedelta(hours=1)
    rows = issue_rows(settings, start - timedelta(hours=24), end, stations)
    asked = sorted(stations) if stations else sorted(set(rows["station_code"]))  # seen in the 24 h before
    if len(rows):
        rows = rows[(rows["issued_at"] >= pd.Timestamp(start)) & (rows["issued_at"] < pd.Timestamp(end))]
        rows = rows.dropna(subset=LAGS)
    out = current.model.predict(rows) if len(rows) else pd.DataFrame()
    written = _upsert(settings, out, settings.forecast_model, current.version, run_id) if len(out) else 0
    have = set(out["station_code"]) if len(out) else set()
    return PredictResult(
        written, [s for s in asked if s not in have], current.version, (start, end), round(time.monotonic() - t0, 2)
    )


def _upsert(settings: Settings, out: pd.DataFrame, name: str, version: str, run_id: str) -> int:
    cols = ["station_code", "issued_at", "target_at", "predicted_c", "p10_c", "p90_c"]
    records = [(*r, name, version, run_id) for r in out[cols].itertuples(index=False, name=None)]
    with connect("pipeline", settings) as conn, conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO analytics.temperature_forecast (station_code, issued_at, target_at, predicted_c, p10_c, "
            "p90_c, model_name, model_version, run_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (station_code, target_at) DO UPDATE SET issued_at = EXCLUDED.issued_at, "
            "predicted_c = EXCLUDED.predicted_c, p10_c = EXCLUDED.p10_c, p90_c = EXCLUDED.p90_c, "
            "model_name = EXCLUDED.model_name, model_version = EXCLUDED.model_version, run_id = EXCLUDED.run_id, "
            "created_at = now()",
            records,
        )
    return len(records)


def evaluate(settings: Settings, start: datetime, end: datetime, stations: list[str] | None = None) -> dict:
    """The champion and both baselines scored on the window's hours (one JSON-able dict)."""
    c = tracking.client(settings)
    current = tracking.champion(c, settings.forecast_model)
    if current is None:
        raise ForecastError("no model registered yet: train one first (lumen forecast train)")
    rows = issue_rows(settings, start, end, stations)
    rows = rows.dropna(subset=["target_change", "temp_lag1"]) if len(rows) else rows
    if rows.empty:
        raise ForecastError(f"no hour to score between {start:%Y-%m-%d %H:%M} and {end:%Y-%m-%d %H:%M} UTC")
    # a station the model never saw has no climatology (its baseline is persistence): scored only when asked
    seen = set(current.model.clim["station_code"].unique())
    unseen = sorted(set(rows["station_code"]) - seen)
    if stations is None and unseen:
        rows = rows[rows["station_code"].isin(seen)]
        if rows.empty:
            raise ForecastError(
                f"the champion was trained on none of the stations with data then ({', '.join(unseen)})"
                ": name them with --stations to score them anyway"
            )
    metrics, _ = score(rows, current.model)
    keys = (
        "n",
        "rmse_model",
        "rmse_persistence",
        "rmse_climatology",
        "mae_model",
        "mae_persistence",
        "mae_climatology",
        "bias_model",
        "skill",
        "coverage_10_90",
    )
    return {
        "model_version": current.version,
        **{k: metrics[k] for k in keys},
        "stations": int(rows["station_code"].nunique()),
        "unseen": unseen,
        "unseen_scored": stations is not None,
    }
