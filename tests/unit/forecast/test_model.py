"""The model, its baselines and scores on a synthetic diurnal cycle (no database)."""

import numpy as np
import pandas as pd
import pytest

from lumen.forecast import NotEnoughData
from lumen.forecast import features as fx
from lumen.forecast import model as fm

STATIONS = pd.DataFrame(
    [
        {"station_code": c, "latitude": -25.0, "longitude": lon, "altitude_m": 500.0}
        for c, lon in (("Z001", -49.0), ("Z002", -40.0))
    ]
)


def synthetic(days: int = 120, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    hours = pd.date_range("2023-01-01", periods=days * 24, freq="h", tz="UTC")
    frames = []
    for code, lon in (("Z001", -49.0), ("Z002", -40.0)):
        solar = (hours.hour + lon / 15) % 24
        drift = np.zeros(len(hours))  # weather: hour-to-hour changes that persist (AR(1)), on a diurnal cycle
        for i in range(1, len(hours)):
            drift[i] = 0.7 * drift[i - 1] + rng.normal(0, 0.3)
        temp = 20 + 6 * np.sin(2 * np.pi * (solar - 9) / 24) + np.cumsum(drift) * 0.5 - np.cumsum(drift).mean() * 0.5
        frames.append(
            pd.DataFrame(
                {
                    "station_code": code,
                    "observed_at": hours,
                    "air_temp_c": temp,
                    "dew_point_c": temp - 5,
                    "rel_humidity_pct": 70.0,
                    "pressure_hpa": 900.0,
                    "global_radiation_kj_m2": 0.0,
                    "precip_mm": 0.0,
                    "wind_speed_ms": 2.0,
                    "wind_gust_ms": 4.0,
                }
            )
        )
    return fx.issue_rows(fx.complete_grid(pd.concat(frames)), STATIONS)


def test_the_model_beats_both_baselines_on_a_diurnal_cycle_with_a_calibrated_interval():
    split = fm.time_split(synthetic(days=400), pd.Timestamp("2024-01-01", tz="UTC"))
    assert split.train["target_at"].max() < pd.Timestamp("2023-12-31", tz="UTC")  # the 24 h gap
    model = fm.fit(split.train, {"num_iterations": 80, "num_leaves": 15})
    metrics, per_station = fm.score(split.test, model)
    assert metrics["n"] == len(split.test) and set(per_station["station_code"]) == {"Z001", "Z002"}
    assert metrics["rmse_model"] < metrics["rmse_climatology"] < metrics["rmse_persistence"]
    assert fm.beats_baselines(metrics) and metrics["skill"] > 0.5
    assert 0.6 <= metrics["coverage_10_90"] <= 0.95


def test_too_few_training_rows_is_a_clear_error():
    with pytest.raises(NotEnoughData, match=r"only 48 training rows \(at least 500 needed\)"):
        fm.fit(synthetic(days=3).dropna(subset=["target_change"]).head(48))


def test_a_model_that_does_not_beat_both_baselines_is_not_promotable():
    assert not fm.beats_baselines({"rmse_model": 0.9, "rmse_persistence": 1.2, "rmse_climatology": 0.85})


def test_a_large_training_set_is_sampled_for_the_trees_but_the_climatology_uses_every_hour(monkeypatch):
    split = fm.time_split(synthetic(days=200), pd.Timestamp("2023-07-01", tz="UTC"))
    rows_seen: list[int] = []
    real_train = fm.lgb.train

    def train_and_count(params, train_set, *args, **kwargs):
        booster = real_train(params, train_set, *args, **kwargs)
        rows_seen.append(train_set.num_data())
        return booster

    monkeypatch.setattr(fm.lgb, "train", train_and_count)
    full = fm.fit(split.train, {"num_iterations": 20})
    monkeypatch.setattr(fm, "MAX_TRAIN_ROWS", 1000)
    sampled = fm.fit(split.train, {"num_iterations": 20})
    assert sampled.clim.equals(full.clim)  # the station-month-hour means come from all training hours
    assert rows_seen[0] == len(split.train) and rows_seen[3] == 1000  # the point models' rows
    again = fm.fit(split.train, {"num_iterations": 20})
    assert np.array_equal(
        again.point.predict(fx.matrix(fx.with_climatology(split.test, again.clim), again.categories)),
        sampled.point.predict(fx.matrix(fx.with_climatology(split.test, sampled.clim), sampled.categories)),
    )
