"""The next-hour model, its baselines and their scores — pure functions (MLflow logging lives apart).

One global LightGBM model for every station (the station as a categorical) predicts the *change*
from the last observed temperature; two quantile models give the 10 %–90 % interval. The
baselines are scored on exactly the same rows: persistence (next hour = this hour) and
persistence + the station-month-hour mean change of the training data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import lightgbm as lgb
import numpy as np
import pandas as pd

from lumen.forecast import NotEnoughData
from lumen.forecast import features as fx

PARAMS = {"num_iterations": 400, "learning_rate": 0.05, "num_leaves": 63, "min_data_in_leaf": 40,
          "bagging_fraction": 0.8, "bagging_freq": 1, "feature_fraction": 0.8, "verbose": -1, "num_threads": 2,
          "seed": 7}  # fmt: skip
QUANTILES = (0.1, 0.9)
# The interval: small quantile trees (with the point model's size their edges overfit: 64 % of 2024's
# hours fell inside a 10–90 % band at Curitiba), fitted on the first 80 % of the training hours and
# widened by a conformal margin measured on the last 20 % (conformalized quantile regression).
QUANTILE_PARAMS = {"num_leaves": 7, "min_data_in_leaf": 200, "num_iterations": 150}
CALIBRATION_SHARE = 0.2
MIN_TRAIN_ROWS = 500
# Trees learn from at most this many training hours, drawn at random (seeded) once the climatology
# has used them all: a year of 600 stations is 4 M hours, and LightGBM's time and the frames'
# memory grow with them while the test skill barely moves.
MAX_TRAIN_ROWS = 1_000_000
SAMPLE_SEED = 7


@dataclass
class Model:
    """The fitted point and quantile models, and what they need at prediction time."""

    point: lgb.Booster
    quantiles: dict[float, lgb.Booster]
    categories: list[str]
    clim: pd.DataFrame  # station, month, hour_utc → mean change (training data only)
    margin: float = 0.0  # °C added to both sides of the quantile interval (conformal calibration)
    features: list[str] = field(default_factory=lambda: list(fx.FEATURES))  # + neighbour features when kept

    def __setstate__(self, state: dict) -> None:
        """A model pickled by an older lumen lacks the newer fields: they take their defaults."""
        self.__dict__.update({"margin": 0.0, "features": list(fx.FEATURES), **state})

    def predict_values(self, rows: pd.DataFrame) -> pd.DataFrame:
        """predicted_c, p10_c, p90_c for issue rows (temp_lag1 = the last observed temperature), in order.
        The interval always holds the point forecast (the quantile trees are separate models)."""
        rows = fx.with_climatology(rows.reset_index(drop=True), self.clim)
        x = fx.matrix(rows, self.categories, self.features)
        base = rows["temp_lag1"].to_numpy()
        point = base + self.point.predict(x)
        lo, hi = (self.quantiles[q].predict(x) for q in QUANTILES)
        p10 = np.minimum(base + np.minimum(lo, hi) - self.margin, point)
        p90 = np.maximum(base + np.maximum(lo, hi) + self.margin, point)
        return pd.DataFrame({"predicted_c": point, "p10_c": p10, "p90_c": p90})

    def predict(self, rows: pd.DataFrame) -> pd.DataFrame:
        """station_code, issued_at, target_at and the predicted values."""
        keys = rows[["station_code", "issued_at", "target_at"]].reset_index(drop=True)
        return pd.concat([keys, self.predict_values(rows)], axis=1)


@dataclass
class Split:
    train: pd.DataFrame
    test: pd.DataFrame
    cutoff: pd.Timestamp
    gap_hours: int = 24


def time_split(rows: pd.DataFrame, cutoff: pd.Timestamp, gap_hours: int = 24) -> Split:
    """Train on target hours before cutoff − gap, test on target hours from cutoff on (time only).
    Rows without a target or a last temperature cannot be scored and are left out of both."""
    usable = rows["target_change"].notna() & rows["temp_lag1"].notna()  # masks: no copy of the whole frame
    train = rows[usable & (rows["target_at"] < cutoff - pd.Timedelta(hours=gap_hours))]
    test = rows[usable & (rows["target_at"] >= cutoff)]
    for part in (train, test):
        part.index = pd.RangeIndex(len(part))
    return Split(train, test, cutoff, gap_hours)


def fit(train: pd.DataFrame, params: dict | None = None, features: list[str] = fx.FEATURES) -> Model:
    if len(train) < MIN_TRAIN_ROWS:
        short = f"only {len(train):,} training rows (at least {MIN_TRAIN_ROWS:,} needed)"
        raise NotEnoughData(f"{short}: give a longer window or more stations", short)
    params = {**PARAMS, **(params or {})}
    clim = fx.climatology(train)
    if len(train) > MAX_TRAIN_ROWS:
        train = train.sample(n=MAX_TRAIN_ROWS, random_state=SAMPLE_SEED)
    rows = fx.with_climatology(train, clim).sort_values("target_at", kind="stable")
    categories = sorted(rows["station_code"].unique())

    def dataset(part: pd.DataFrame) -> lgb.Dataset:
        return lgb.Dataset(
            fx.matrix(part, categories, features),
            part["target_change"],
            categorical_feature=["station_code"],
            free_raw_data=False,
        )

    point = lgb.train({**params, "objective": "regression"}, dataset(rows))
    split_at = int(len(rows) * (1 - CALIBRATION_SHARE))
    proper, calibration = rows.iloc[:split_at], rows.iloc[split_at:]
    quantiles = {
        q: lgb.train({**params, **QUANTILE_PARAMS, "objective": "quantile", "alpha": q}, dataset(proper))
        for q in QUANTILES
    }
    x = fx.matrix(calibration, categories, features)
    y = calibration["target_change"].to_numpy()
    outside = np.maximum(quantiles[QUANTILES[0]].predict(x) - y, y - quantiles[QUANTILES[1]].predict(x))
    level = min(1.0, (QUANTILES[1] - QUANTILES[0]) * (1 + 1 / len(y)))
    return Model(point, quantiles, categories, clim, float(np.quantile(outside, level)), list(features))


def baselines(rows: pd.DataFrame, clim: pd.DataFrame) -> pd.DataFrame:
    """persistence_c and climatology_c (persistence + the training's station-month-hour mean change)."""
    rows = fx.with_climatology(rows, clim)
    return pd.DataFrame(
        {
            "persistence_c": rows["temp_lag1"].to_numpy(),
            "climatology_c": (rows["temp_lag1"] + rows["clim_change"]).to_numpy(),
        }
    )


def _errors(truth: np.ndarray, guess: np.ndarray) -> dict[str, float]:
    err = guess - truth
    return {"rmse": float(np.sqrt(np.mean(err**2))), "mae": float(np.mean(np.abs(err))), "bias": float(np.mean(err))}


def score(test: pd.DataFrame, model: Model) -> tuple[dict, pd.DataFrame]:
    """Global metrics (model and both baselines on the same rows, skill, interval coverage) and a
    per-station table."""
    pred = model.predict(test)
    base = baselines(test, model.clim)
    frame = pd.DataFrame(
        {
            "station_code": test["station_code"].to_numpy(),
            "truth": test["target_c"].to_numpy(),
            "model": pred["predicted_c"].to_numpy(),
            "p10": pred["p10_c"].to_numpy(),
            "p90": pred["p90_c"].to_numpy(),
            "persistence": base["persistence_c"].to_numpy(),
            "climatology": base["climatology_c"].to_numpy(),
        }
    )
    metrics = _summary(frame)
    per_station = pd.DataFrame([{"station_code": code, **_summary(g)} for code, g in frame.groupby("station_code")])
    return metrics, per_station


def _summary(frame: pd.DataFrame) -> dict[str, float]:
    truth = frame["truth"].to_numpy()
    out: dict[str, float] = {"n": int(len(frame))}
    for name in ("model", "persistence", "climatology"):
        out.update({f"{k}_{name}": v for k, v in _errors(truth, frame[name].to_numpy()).items()})
    out["skill"] = 1 - out["rmse_model"] / out["rmse_persistence"] if out["rmse_persistence"] else float("nan")
    out["coverage_10_90"] = float(np.mean((truth >= frame["p10"]) & (truth <= frame["p90"])))
    return out


def beats_baselines(metrics: dict) -> bool:
    """Promotable only when the model beats both baselines on the test rows."""
    return metrics["rmse_model"] < min(metrics["rmse_persistence"], metrics["rmse_climatology"])
