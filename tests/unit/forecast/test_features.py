"""Forecast features on a complete hourly grid: lags are hours, and the target hour never leaks in."""

import numpy as np
import pandas as pd
import pytest

from lumen.forecast import features as fx

T0 = pd.Timestamp("2024-03-01 00:00", tz="UTC")


def obs(code: str, hours: list[int], temp=lambda h: 20.0 + h) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "station_code": code,
                "observed_at": T0 + pd.Timedelta(hours=h),
                "air_temp_c": temp(h),
                "dew_point_c": 15.0,
                "rel_humidity_pct": 70.0,
                "pressure_hpa": 900.0 + h,
                "global_radiation_kj_m2": 0.0,
                "precip_mm": 0.0,
                "wind_speed_ms": 2.0,
                "wind_gust_ms": 4.0,
            }
            for h in hours
        ]
    )


STATIONS = pd.DataFrame(
    [
        {"station_code": "Z807", "latitude": -25.4, "longitude": -49.2, "altitude_m": 923.0},
        {"station_code": "Z621", "latitude": -20.3, "longitude": -40.3, "altitude_m": 9.0},
    ]
)


def rows_for(frame: pd.DataFrame) -> pd.DataFrame:
    return fx.issue_rows(fx.complete_grid(frame), STATIONS).set_index(["station_code", "issued_at"])


def test_lags_are_hours_on_a_complete_grid_not_previous_rows():
    rows = rows_for(obs("Z807", [h for h in range(30) if h not in (24, 25)]))  # two hours missing
    at = rows.loc[("Z807", T0 + pd.Timedelta(hours=26))]
    assert at["temp_lag1"] == 46.0 and np.isnan(at["temp_lag2"]) and np.isnan(at["temp_lag3"])  # t−1, t−2 missing
    assert at["temp_lag6"] == 41.0 and at["temp_lag24"] == 23.0
    assert np.isnan(at["temp_change_1h"]) and at["temp_change_3h"] == 3.0 and at["pressure_change_3h"] == 3.0
    before_gap = rows.loc[("Z807", T0 + pd.Timedelta(hours=23))]
    assert np.isnan(before_gap["target_change"])  # the target hour is missing: nothing to learn or score


def test_the_target_hour_never_becomes_a_feature():
    """Change everything observed at the target hour: the features of the issue hour do not move."""
    base = obs("Z807", list(range(40)))
    changed = base.copy()
    target = T0 + pd.Timedelta(hours=30)
    cols = [c for c in fx.OBSERVED]
    changed.loc[changed["observed_at"] == target, cols] = 99.0
    a, b = rows_for(base), rows_for(changed)
    issue = ("Z807", target - pd.Timedelta(hours=1))
    feats = [c for c in fx.FEATURES if c not in ("station_code", "clim_change")]
    assert a.loc[issue, feats].equals(b.loc[issue, feats])
    assert a.loc[issue, "target_c"] != b.loc[issue, "target_c"]  # …while the target does
    assert not any("max" in c or "min" in c for c in fx.OBSERVED)  # INMET's previous-hour max/min: never read


def test_solar_hour_follows_the_station_longitude_and_the_grid_is_per_station():
    rows = fx.issue_rows(fx.complete_grid(pd.concat([obs("Z807", [0, 1]), obs("Z621", [5, 6])])), STATIONS)
    assert set(rows["station_code"]) == {"Z807", "Z621"} and len(rows) == 4
    one = rows[(rows["station_code"] == "Z807")].iloc[0]  # target 01:00 UTC at −49.2°: solar ≈ 21:43
    angle = np.arctan2(one["solar_hour_sin"], one["solar_hour_cos"]) % (2 * np.pi)
    assert angle * 24 / (2 * np.pi) == pytest.approx((1 - 49.2 / 15) % 24)


def test_climatology_comes_from_the_rows_it_is_given_only():
    rows = fx.issue_rows(fx.complete_grid(obs("Z807", list(range(48)))), STATIONS)
    clim = fx.climatology(rows[rows["issued_at"] < T0 + pd.Timedelta(hours=24)])
    later = fx.with_climatology(rows[rows["issued_at"] >= T0 + pd.Timedelta(hours=30)], clim)
    assert set(clim["hour_utc"]) == set(range(1, 24)) | {0}
    assert (later["clim_change"] == 1.0).all()  # every training change was +1 °C/h


def test_a_month_training_never_saw_falls_back_to_the_station_hour_mean():
    clim = pd.DataFrame(
        {"station_code": ["Z807", "Z807"], "month": [1, 2], "hour_utc": [5, 5], "clim_change": [1.0, 3.0]}
    )
    rows = pd.DataFrame({"station_code": ["Z807", "Z807", "Z001"], "month": [2, 7, 7], "hour_utc": [5, 5, 5]})
    assert fx.with_climatology(rows, clim)["clim_change"].tolist() == [3.0, 2.0, 0.0]


def test_no_observation_gives_no_rows_with_the_usual_columns():
    empty = fx.complete_grid(pd.DataFrame(columns=["station_code", "observed_at", *fx.OBSERVED]))
    rows = fx.issue_rows(empty, pd.DataFrame(columns=["station_code", *fx.STATION]))
    assert rows.empty and {"target_at", "target_change", *fx.MODEL_INPUT} <= set(rows.columns)


PLACES = pd.DataFrame(
    [
        {"station_code": "A652", "latitude": -22.99, "longitude": -43.19, "altitude_m": 25.0},  # Rio, Copacabana
        {"station_code": "A621", "latitude": -22.86, "longitude": -43.41, "altitude_m": 45.0},  # Rio, Vila Militar
        {"station_code": "A807", "latitude": -25.45, "longitude": -49.23, "altitude_m": 923.0},  # Curitiba
        {"station_code": "A001", "latitude": -15.79, "longitude": -47.93, "altitude_m": 1160.0},  # Brasília
        {"station_code": "B999", "latitude": None, "longitude": None, "altitude_m": None},
    ]
)


def test_nearest_neighbours_are_great_circle_and_capped():
    nb = fx.nearest_neighbours(PLACES)
    rio = nb[nb["station_code"] == "A652"].set_index("rank")
    assert rio.loc[1, "neighbour_code"] == "A621" and 20 < rio.loc[1, "distance_km"] < 30  # ~26 km apart
    assert set(nb["station_code"]) == {"A652", "A621"}  # Curitiba and Brasília: nobody within 150 km
    assert "B999" not in set(nb["neighbour_code"])  # no coordinates: no neighbour, never a neighbour
    assert len(fx.nearest_neighbours(PLACES, max_km=1000)) > len(nb)


def test_neighbour_features_use_the_neighbours_own_past_only():
    hours = list(range(30))
    frame = pd.concat([obs("A652", hours), obs("A621", hours, temp=lambda h: 20.0 + 2 * h)])
    rows = fx.issue_rows(fx.complete_grid(frame), PLACES)
    with_nb = fx.with_neighbours(rows, fx.nearest_neighbours(PLACES)).set_index(["station_code", "issued_at"])
    at = with_nb.loc[("A652", T0 + pd.Timedelta(hours=10))]
    assert at["nb1_change_1h"] == 2.0 and at["nb_mean_change_1h"] == 2.0 and 20 < at["nb1_distance_km"] < 30
    # the neighbour's target hour (and later) changes: the issue hour's neighbour features do not move
    later = frame.copy()
    later.loc[
        (later["station_code"] == "A621") & (later["observed_at"] > T0 + pd.Timedelta(hours=10)), "air_temp_c"
    ] = -50.0
    moved = fx.with_neighbours(fx.issue_rows(fx.complete_grid(later), PLACES), fx.nearest_neighbours(PLACES))
    moved = moved.set_index(["station_code", "issued_at"]).loc[("A652", T0 + pd.Timedelta(hours=10))]
    assert moved[fx.NEIGHBOUR_FEATURES].equals(at[fx.NEIGHBOUR_FEATURES])
    # a neighbour without that hour: NaN, not a guess
    gap = pd.concat([obs("A652", hours), obs("A621", [h for h in hours if h != 10])])
    gapped = fx.with_neighbours(fx.issue_rows(fx.complete_grid(gap), PLACES), fx.nearest_neighbours(PLACES))
    row = gapped.set_index(["station_code", "issued_at"]).loc[("A652", T0 + pd.Timedelta(hours=10))]
    assert np.isnan(row["nb1_change_1h"]) and np.isnan(row["nb_mean_change_1h"])


def _reference_rows(observations: pd.DataFrame, stations: pd.DataFrame) -> pd.DataFrame:
    """The features as first written, a station at a time (clear, slow): the vectorized ones must match."""
    out = []
    for code, rows in observations.groupby("station_code", sort=True):
        rows = rows.set_index("observed_at").sort_index()
        g = rows[fx.OBSERVED].reindex(pd.date_range(rows.index[0], rows.index[-1], freq="h", name="observed_at"))
        g = g.reset_index()
        t = g["air_temp_c"]
        f = pd.DataFrame(
            {"station_code": code, "issued_at": g["observed_at"], "target_at": g["observed_at"] + pd.Timedelta(hours=1)}
        )
        for k in fx.TEMP_LAGS:
            f[f"temp_lag{k}"] = t.shift(k - 1)
        f["temp_change_1h"], f["temp_change_3h"] = t - t.shift(1), t - t.shift(3)
        for col in (
            "dew_point_c",
            "rel_humidity_pct",
            "global_radiation_kj_m2",
            "precip_mm",
            "wind_speed_ms",
            "wind_gust_ms",
        ):
            f[col] = g[col]
        f["pressure_change_3h"] = g["pressure_hpa"] - g["pressure_hpa"].shift(3)
        f["target_c"] = t.shift(-1)
        f["target_change"] = f["target_c"] - t
        out.append(f)
    return pd.concat(out, ignore_index=True)


def test_the_vectorized_grid_and_rows_match_the_station_by_station_reference():
    rng = np.random.default_rng(3)
    frames = []
    for code, n in (("A652", 300), ("A621", 200), ("A807", 50)):  # gaps, and stations of different spans
        hours = sorted(rng.choice(n + 40, size=n, replace=False))
        frames.append(obs(code, hours, temp=lambda h: float(rng.normal(20, 3))))
    frame = pd.concat(frames).sample(frac=1, random_state=1)  # in no particular order
    rows = fx.issue_rows(fx.complete_grid(frame), PLACES)
    want = _reference_rows(frame, PLACES)
    pd.testing.assert_frame_equal(rows[want.columns].reset_index(drop=True), want, check_dtype=False)


def test_the_climatology_uses_only_hours_of_valid_days():
    """#28: a day whose mean temperature the daily summary does not publish (too few hours, a long gap)
    gives nothing to the climatology; in_spans marks the rows whose target lies in one of those days."""
    at = pd.to_datetime(["2024-07-13 15:00", "2024-07-14 15:00", "2024-07-15 15:00"], utc=True)
    rows = pd.DataFrame(
        {"station_code": ["A807"] * 3, "target_at": at, "month": [7] * 3, "hour_utc": [15] * 3,
         "target_change": [1.0, 5.0, 3.0]}
    )  # fmt: skip
    spans = pd.DataFrame(
        {"station_code": ["A807"],
         "day_start": pd.to_datetime(["2024-07-14 03:00"], utc=True),
         "day_end": pd.to_datetime(["2024-07-15 03:00"], utc=True)}
    )  # fmt: skip
    rows["day_valid"] = ~fx.in_spans(rows, "target_at", spans)  # 14 July is incomplete
    assert rows["day_valid"].tolist() == [True, False, True]
    assert fx.climatology(rows)["clim_change"].tolist() == [2.0]  # (1 + 3) / 2: the 14th left out
    assert fx.in_spans(rows.iloc[:0], "target_at", spans).tolist() == []
