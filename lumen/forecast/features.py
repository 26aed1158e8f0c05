"""Features for the next-hour air temperature, from processed_data — pure functions on DataFrames.

Each row is one *issue hour* t at one station: what was known at t, and the target, the change
of air temperature from t to t + 1 h. Everything is built on a complete hourly grid per station,
so a lag of k hours is the value at t − k h (NaN where that hour is missing), never "k rows back".
The target hour's own values — and INMET's "max/min in the previous hour" fields, which describe
it — are never features.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

OBSERVED = [
    "air_temp_c",
    "dew_point_c",
    "rel_humidity_pct",
    "pressure_hpa",
    "global_radiation_kj_m2",
    "precip_mm",
    "wind_speed_ms",
    "wind_gust_ms",
]
TEMP_LAGS = (1, 2, 3, 6, 24)  # hours before the target hour: lag 1 is the issue hour itself
STATION = ["latitude", "longitude", "altitude_m"]
FEATURES = [
    "station_code",
    *(f"temp_lag{k}" for k in TEMP_LAGS),
    "temp_change_1h", "temp_change_3h",
    "dew_point_c", "rel_humidity_pct", "pressure_change_3h", "global_radiation_kj_m2", "precip_mm",
    "wind_speed_ms", "wind_gust_ms",
    "solar_hour_sin", "solar_hour_cos", "day_of_year_sin", "day_of_year_cos",
    *STATION,
    "clim_change",
]  # fmt: skip
# Weather moves: the last-hour temperature change at the station's nearest neighbours (within
# NEIGHBOUR_MAX_KM), at the same issue hour. Tried by every training; kept only where they help.
NEIGHBOUR_FEATURES = ["nb1_change_1h", "nb_mean_change_1h", "nb1_distance_km"]
NEIGHBOURS_K = 3
NEIGHBOUR_MAX_KM = 150.0


def model_input(features: list[str]) -> list[str]:
    """What the served model (MLflow pyfunc) takes: its features but the climatology, which the model
    carries from its own training data, and the target's month and UTC hour to look it up."""
    return [c for c in features if c != "clim_change"] + ["month", "hour_utc"]


MODEL_INPUT = model_input(FEATURES)


def complete_grid(observations: pd.DataFrame) -> pd.DataFrame:
    """Every UTC hour from each station's first to last observation (missing hours as NaN rows),
    ordered by station and hour. Vectorized: one frame of all stations' hours, then one merge.

    `observations`: station_code, observed_at (tz-aware UTC) and the OBSERVED columns."""
    if observations.empty:
        return pd.DataFrame(columns=["station_code", "observed_at", *OBSERVED])
    obs = observations[["station_code", "observed_at", *OBSERVED]].copy()
    obs["observed_at"] = pd.to_datetime(obs["observed_at"], utc=True).astype("datetime64[ns, UTC]")
    bounds = obs.groupby("station_code", sort=True)["observed_at"].agg(["min", "max"])
    counts = ((bounds["max"] - bounds["min"]) // pd.Timedelta(hours=1)).astype("int64").to_numpy() + 1
    first = bounds["min"].dt.tz_convert(None).to_numpy()
    step = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    hours = pd.DatetimeIndex(np.repeat(first, counts) + step * np.timedelta64(1, "h")).tz_localize("UTC")
    grid = pd.DataFrame({"station_code": np.repeat(bounds.index.to_numpy(), counts), "observed_at": hours})
    return grid.merge(obs, on=["station_code", "observed_at"], how="left")


def issue_rows(grid: pd.DataFrame, stations: pd.DataFrame) -> pd.DataFrame:
    """One row per station and issue hour t: lags, last-hour conditions, calendar and place, and
    `target_at` (t + 1 h), `target_change` (T(t+1) − T(t); NaN where either is missing) and
    `target_c`. The climatology feature is added by `with_climatology`.

    `grid` is complete_grid's: every hour of each station, in order, so a shift of k rows within a
    station is k hours (grouped shifts never cross from one station into the next)."""
    if grid.empty:  # no observation in the window: no rows, with the columns of any other answer
        return pd.DataFrame(
            columns=["station_code", "issued_at", "target_at", *MODEL_INPUT[1:], "target_c", "target_change"]
        )
    grid = grid.sort_values(["station_code", "observed_at"], kind="stable").reset_index(drop=True)
    by_station = grid.groupby("station_code", sort=False)
    t = grid["air_temp_c"]

    def before(col: str, k: int) -> pd.Series:
        return by_station[col].shift(k)

    rows = pd.DataFrame(
        {
            "station_code": grid["station_code"],
            "issued_at": grid["observed_at"],
            "target_at": grid["observed_at"] + pd.Timedelta(hours=1),
        }
    )
    for k in TEMP_LAGS:
        rows[f"temp_lag{k}"] = before("air_temp_c", k - 1) if k > 1 else t
    rows["temp_change_1h"] = t - before("air_temp_c", 1)
    rows["temp_change_3h"] = t - before("air_temp_c", 3)
    for col in (
        "dew_point_c",
        "rel_humidity_pct",
        "global_radiation_kj_m2",
        "precip_mm",
        "wind_speed_ms",
        "wind_gust_ms",
    ):
        rows[col] = grid[col]
    rows["pressure_change_3h"] = grid["pressure_hpa"] - before("pressure_hpa", 3)
    rows["target_c"] = before("air_temp_c", -1)
    rows["target_change"] = rows["target_c"] - t
    rows = rows.merge(stations[["station_code", *STATION]], on="station_code", how="left")
    # the target hour's local *solar* time: stations span UTC−5…−2 and their clocks differ from the sun
    solar = (rows["target_at"].dt.hour + rows["target_at"].dt.minute / 60 + rows["longitude"].fillna(-47.0) / 15) % 24
    rows["solar_hour_sin"] = np.sin(2 * np.pi * solar / 24)
    rows["solar_hour_cos"] = np.cos(2 * np.pi * solar / 24)
    day = rows["target_at"].dt.dayofyear
    rows["day_of_year_sin"] = np.sin(2 * np.pi * day / 365.25)
    rows["day_of_year_cos"] = np.cos(2 * np.pi * day / 365.25)
    rows["month"] = rows["target_at"].dt.month
    rows["hour_utc"] = rows["target_at"].dt.hour
    return rows


def climatology(train: pd.DataFrame) -> pd.DataFrame:
    """Each station's mean hourly change for the target's month and UTC hour — from training rows only,
    and of those not the rows whose target hour lies in a day the daily summary holds without a mean
    temperature (`day_valid` False, where the rows carry it: data.incomplete_days)."""
    known = train.dropna(subset=["target_change"])
    if "day_valid" in known:
        known = known[known["day_valid"].astype(bool)]
    return (
        known.groupby(["station_code", "month", "hour_utc"], as_index=False)["target_change"]
        .mean()
        .rename(columns={"target_change": "clim_change"})
    )


def in_spans(rows: pd.DataFrame, column: str, spans: pd.DataFrame) -> np.ndarray:
    """Whether each row's `column` instant lies in one of its station's [day_start, day_end) spans."""
    if rows.empty or spans.empty:
        return np.zeros(len(rows), dtype=bool)
    left = rows[["station_code", column]].reset_index(drop=True).rename(columns={column: "at"})
    left["i"] = np.arange(len(left))
    left = left.sort_values("at", kind="stable")
    right = spans.sort_values("day_start", kind="stable")
    hit = pd.merge_asof(left, right, left_on="at", right_on="day_start", by="station_code", direction="backward")
    inside = (hit["day_end"] > hit["at"]).fillna(False).to_numpy(dtype=bool)
    out = np.zeros(len(rows), dtype=bool)
    out[hit["i"].to_numpy()] = inside
    return out


def with_climatology(rows: pd.DataFrame, clim: pd.DataFrame) -> pd.DataFrame:
    """Add `clim_change`: the station-month-hour mean change; for a month training never saw, the
    station's mean for that hour over the months it saw; 0 for a station it never saw."""
    by_hour = clim.groupby(["station_code", "hour_utc"], as_index=False)["clim_change"].mean()
    out = rows.drop(columns=["clim_change"], errors="ignore").merge(
        clim, on=["station_code", "month", "hour_utc"], how="left"
    )
    fallback = out[["station_code", "hour_utc"]].merge(by_hour, on=["station_code", "hour_utc"], how="left")
    out["clim_change"] = out["clim_change"].fillna(pd.Series(fallback["clim_change"].to_numpy(), index=out.index))
    out["clim_change"] = out["clim_change"].fillna(0.0)
    return out


def matrix(rows: pd.DataFrame, categories: list[str], features: list[str] = FEATURES) -> pd.DataFrame:
    """The model's input: its features, the station as a categorical with the training's categories."""
    x = rows[features].copy()
    x["station_code"] = pd.Categorical(x["station_code"], categories=categories)
    return x.astype({c: "float64" for c in features if c != "station_code"})


def nearest_neighbours(stations: pd.DataFrame, k: int = NEIGHBOURS_K, max_km: float = NEIGHBOUR_MAX_KM) -> pd.DataFrame:
    """station_code, neighbour_code, rank (1 = nearest), distance_km: each station's k nearest
    stations within max_km (great-circle distance; stations without coordinates have none)."""
    placed = stations.dropna(subset=["latitude", "longitude"]).reset_index(drop=True)
    if len(placed) < 2:
        return pd.DataFrame(columns=["station_code", "neighbour_code", "rank", "distance_km"])
    lat, lon = np.radians(placed["latitude"].to_numpy()), np.radians(placed["longitude"].to_numpy())
    a = (
        np.sin((lat[:, None] - lat[None, :]) / 2) ** 2
        + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin((lon[:, None] - lon[None, :]) / 2) ** 2
    )
    km = 2 * 6371.0 * np.arcsin(np.sqrt(np.clip(a, 0, 1)))
    np.fill_diagonal(km, np.inf)
    out = []
    codes = placed["station_code"].to_numpy()
    for i, order in enumerate(np.argsort(km, axis=1)[:, :k]):
        out += [(codes[i], codes[j], r + 1, float(km[i, j])) for r, j in enumerate(order) if km[i, j] <= max_km]
    return pd.DataFrame(out, columns=["station_code", "neighbour_code", "rank", "distance_km"])


def with_neighbours(rows: pd.DataFrame, neighbours: pd.DataFrame) -> pd.DataFrame:
    """Add NEIGHBOUR_FEATURES: at each row's issue hour, the nearest neighbour's last-hour change and
    distance, and the mean change over its neighbours (NaN where none was observed that hour). Only
    what was known at the issue hour: the neighbours' own changes up to it. Returns `rows` with the
    columns added (itself, when its index is 0…n−1)."""
    fresh = isinstance(rows.index, pd.RangeIndex) and rows.index.start == 0 and rows.index.step == 1
    out = rows if fresh else rows.reset_index(drop=True)  # the columns are added to `rows` itself when it can
    # take them: a year of 600 stations is ~1 GB a copy
    for name in NEIGHBOUR_FEATURES:
        out[name] = np.nan
    if out.empty or neighbours.empty:
        return out
    wide = out.pivot(index="issued_at", columns="station_code", values="temp_change_1h")  # hours × stations
    values = wide.to_numpy(dtype="float64")
    hour = wide.index.get_indexer(out["issued_at"])
    column = {code: i for i, code in enumerate(wide.columns)}
    picks = []
    for rank in sorted(neighbours["rank"].unique()):
        nb = neighbours[neighbours["rank"] == rank].set_index("station_code")
        j = out["station_code"].map(nb["neighbour_code"]).map(column).fillna(-1).astype(int).to_numpy()
        picks.append(np.where(j >= 0, values[hour, np.maximum(j, 0)], np.nan))
        if rank == 1:
            out["nb1_change_1h"] = picks[0]
            out["nb1_distance_km"] = out["station_code"].map(nb["distance_km"]).astype("float64")
    stacked = np.vstack(picks)
    seen = np.isfinite(stacked).sum(axis=0)
    out["nb_mean_change_1h"] = np.where(seen > 0, np.nansum(stacked, axis=0) / np.maximum(seen, 1), np.nan)
    return out
