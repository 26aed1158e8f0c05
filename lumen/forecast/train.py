"""Train, score, log to MLflow and maybe promote: the one path behind `lumen forecast train`, the
05_train step and Mage's forecast_train pipeline.

Promotion: the new version gets the `champion` alias only when, on the run's own test rows, it
beats both baselines and the current champion; otherwise the run and its version are kept and
the alias stays. Nothing is ever deleted.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from lumen.config import Settings
from lumen.db import connect
from lumen.forecast import NotEnoughData, data, tracking
from lumen.forecast import features as fx
from lumen.forecast.model import (
    MIN_TRAIN_ROWS,
    PARAMS,
    Model,
    Split,
    beats_baselines,
    fit,
    score,
    time_split,
)

TEST_SHARE = 0.2  # without --test-from: the last 20 % of the window is the test period


@dataclass
class TrainResult:
    run_id: str
    version: str
    promoted: bool
    reason: str
    metrics: dict
    rows: dict[str, int] = field(default_factory=dict)
    champion_rmse: float | None = None
    seconds: float = 0.0
    neighbours: str = ""
    compared: dict[str, float] = field(default_factory=dict)
    abandoned: list[str] = field(default_factory=list)  # runs of killed trainings, marked FAILED now

    def line(self) -> str:
        m = self.metrics
        return (
            f"forecast model v{self.version}: RMSE {m['rmse_model']:.3f} °C on {m['n']:,} test hours "
            f"(persistence {m['rmse_persistence']:.3f}, climatology {m['rmse_climatology']:.3f}, skill "
            f"{m['skill']:.2f}, 10-90 % coverage {m['coverage_10_90']:.0%}; neighbour features "
            f"{self._neighbours()}) — {self.reason}"
        )

    def _neighbours(self) -> str:
        if not self.compared:
            return self.neighbours
        c = self.compared
        return f"{self.neighbours}: {c['rmse_with_neighbours']:.3f} with, {c['rmse_without_neighbours']:.3f} without"


def default_cutoff(start: datetime, end: datetime) -> pd.Timestamp:
    return pd.Timestamp(start + (end - start) * (1 - TEST_SHARE)).floor("h")


def issue_rows(settings: Settings, start: datetime, end: datetime, stations: list[str] | None) -> pd.DataFrame:
    """Issue rows for the window, with the neighbour features (neighbours among the stations read)."""
    with connect("reader", settings) as conn:
        obs, places = data.observations(conn, start, end, stations), data.stations(conn)
        incomplete = data.incomplete_days(conn, start, end)
    rows = fx.issue_rows(fx.complete_grid(obs), places)
    if incomplete is not None:  # the climatology leaves out hours of days known to be incomplete
        rows["day_valid"] = ~fx.in_spans(rows, "target_at", incomplete)
    return fx.with_neighbours(rows, fx.nearest_neighbours(places[places["station_code"].isin(obs["station_code"])]))


@dataclass
class Choice:
    """The model kept, and the neighbour comparison behind it (logged either way)."""

    model: Model
    metrics: dict
    per_station: pd.DataFrame
    neighbours: str  # kept | dropped | forced | off | none within … km
    compared: dict[str, float] = field(default_factory=dict)


def choose(split: Split, neighbours: bool | None) -> Choice:
    """Fit without the neighbour features and — unless `neighbours` is False, and where any station
    has a neighbour — with them; keep them (None) only if they lower the test-period RMSE."""
    plain = fit(split.train)
    metrics, per_station = score(split.test, plain)
    if neighbours is False:
        return Choice(plain, metrics, per_station, "off")
    if split.train["nb1_distance_km"].notna().sum() == 0:
        return Choice(plain, metrics, per_station, f"none within {fx.NEIGHBOUR_MAX_KM:g} km")
    nb = fit(split.train, features=fx.FEATURES + fx.NEIGHBOUR_FEATURES)
    nb_metrics, nb_per_station = score(split.test, nb)
    compared = {"rmse_without_neighbours": metrics["rmse_model"], "rmse_with_neighbours": nb_metrics["rmse_model"]}
    if neighbours or nb_metrics["rmse_model"] < metrics["rmse_model"]:
        return Choice(nb, nb_metrics, nb_per_station, "forced" if neighbours else "kept", compared)
    return Choice(plain, metrics, per_station, "dropped", compared)


def train(
    settings: Settings,
    start: datetime,
    end: datetime,
    stations: list[str] | None = None,
    test_from: datetime | None = None,
    git_commit: str | None = None,
    neighbours: bool | None = None,
) -> TrainResult:
    t0 = time.monotonic()
    c = tracking.client(settings)  # before any work: MLflow unreachable fails at once (and sets its logging)
    import mlflow

    rows = issue_rows(settings, start, end, stations)
    window = f"{start:%Y-%m-%d %H:%M} … {end:%Y-%m-%d %H:%M} UTC"
    cutoff = pd.Timestamp(test_from) if test_from else default_cutoff(start, end)
    split = time_split(rows, cutoff) if len(rows) else None
    stations_seen = rows["station_code"].nunique()
    del rows  # a year of 600 stations: the split holds what is needed
    if split is None or len(split.train) < MIN_TRAIN_ROWS:
        n = 0 if split is None else len(split.train)
        short = f"only {n:,} training hours in {window} before {cutoff:%Y-%m-%d %H:%M} (at least {MIN_TRAIN_ROWS:,})"
        raise NotEnoughData(f"{short}: give a longer window or more stations", short)
    if split.test.empty:
        short = f"no test hours in {window} from {cutoff:%Y-%m-%d %H:%M}"
        raise NotEnoughData(f"{short}: choose an earlier --test-from", short)
    chosen = choose(split, neighbours)
    model, metrics, per_station = chosen.model, chosen.metrics, chosen.per_station
    current = tracking.champion(c, settings.forecast_model)
    champion_rmse = score(split.test, current.model)[0]["rmse_model"] if current else None
    if not beats_baselines(metrics):
        promoted, reason = False, "not promoted: it does not beat both baselines"
    elif champion_rmse is not None and metrics["rmse_model"] >= champion_rmse:
        better = f"champion v{current.version if current else '?'} is as good or better ({champion_rmse:.3f} °C)"
        promoted, reason = False, f"not promoted: {better}"
    else:
        promoted, reason = True, "promoted to champion" + (f" (was v{current.version})" if current else "")
    counts = {"train_rows": len(split.train), "test_rows": len(split.test), "stations": stations_seen}
    name = settings.forecast_model
    mlflow.set_experiment(name)
    abandoned = tracking.end_abandoned_runs(c, name)
    with mlflow.start_run(run_name=f"train {start:%Y-%m-%d}…{end:%Y-%m-%d}", tags=tracking.owner_tags()) as run:
        mlflow.log_params(
            {
                **PARAMS,
                "window_start": start.isoformat(),
                "window_end": end.isoformat(),
                "cutoff": cutoff.isoformat(),
                "gap_hours": split.gap_hours,
                "stations": ",".join(stations) if stations else "all",
                "features": ",".join(model.features),
                "neighbours": chosen.neighbours,
            }
        )
        mlflow.set_tags(
            {
                "lumen.git_commit": git_commit or "unknown",
                "lumen.promoted": str(promoted).lower(),
                "lumen.decision": reason,
            }
        )
        mlflow.log_table(per_station, "per_station_metrics.json")
        mlflow.log_figure(_residual_plot(split.test, model), "residuals.png")
        info, version = tracking.log_model(model, split.test, name)
        # after the model, linked to it: logged before, MLflow 3's log_model copies the run's metrics onto
        # the model by inserting them again, and PostgreSQL logged `duplicate key … metric_pk` every training
        mlflow.log_metrics(
            {
                **{k: float(v) for k, v in metrics.items()},
                **counts,
                **chosen.compared,
                **({"champion_rmse": champion_rmse} if champion_rmse is not None else {}),
            },
            model_id=info.model_id,
        )
        if promoted:
            c.set_registered_model_alias(name, tracking.ALIAS, version)
        c.set_model_version_tag(name, version, "lumen.decision", reason)
    return TrainResult(
        run.info.run_id,
        version,
        promoted,
        reason,
        metrics,
        counts,
        champion_rmse,
        round(time.monotonic() - t0, 2),
        chosen.neighbours,
        chosen.compared,
        abandoned,
    )


def _residual_plot(test: pd.DataFrame, model):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pred = model.predict(test)
    resid = pred["predicted_c"].to_numpy() - test["target_c"].to_numpy()
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.5))
    a.hist(resid, bins=60, color="#3b6ea8")
    a.set(title="Residuals (forecast − observed)", xlabel="°C", ylabel="hours")
    by_hour = pd.Series(resid).groupby(test["target_at"].dt.hour.to_numpy()).agg(["mean", "std"])
    b.errorbar(by_hour.index, by_hour["mean"], yerr=by_hour["std"], fmt="o", ms=3, color="#3b6ea8")
    b.axhline(0, color="grey", lw=0.8)
    b.set(title="Residual by target hour (UTC)", xlabel="hour", ylabel="°C")
    fig.tight_layout()
    return fig
