"""The forecast core on INMET's real Curitiba files: train on A807 2018–2019, test on A807 2024.

Reference figures measured here (../shared/design.md): persistence RMSE about 1.21 °C; persistence +
the station-month-hour mean change from 2018–2019 about 0.95 °C; a quick LightGBM predicting the
change about 0.86 °C. Target: the model at most 0.75 × persistence, below the second baseline, and
a 10–90 % interval covering 75–85 % of the test hours."""

from datetime import UTC, datetime

import pandas as pd
import pytest

from lumen.db import connect
from lumen.forecast import data, features
from lumen.forecast import model as fm
from tests.conftest import load_curitiba

pytestmark = pytest.mark.slow


def test_the_model_beats_persistence_and_climatology_on_curitiba(migrated_db):
    with connect("pipeline", migrated_db) as conn:
        load_curitiba(conn)
        hours = data.observations(conn, datetime(2018, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC), ["A807"])
        places = data.stations(conn)
    rows = features.issue_rows(features.complete_grid(hours), places)
    split = fm.time_split(rows, pd.Timestamp("2024-01-01", tz="UTC"))
    assert split.train["target_at"].dt.year.isin([2018, 2019]).all() and len(split.test) > 8000
    model = fm.fit(split.train)
    metrics, per_station = fm.score(split.test, model)
    assert 1.1 < metrics["rmse_persistence"] < 1.3  # the reference's 1.21 °C: the same rows
    assert 0.85 < metrics["rmse_climatology"] < 1.05  # the reference's 0.95 °C
    assert metrics["rmse_model"] <= 0.75 * metrics["rmse_persistence"]
    assert fm.beats_baselines(metrics)
    assert 0.75 <= metrics["coverage_10_90"] <= 0.85
    assert per_station["station_code"].tolist() == ["A807"]
