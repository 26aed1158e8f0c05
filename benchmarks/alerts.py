"""The bench's alert figures: the observation rules evaluated over the whole year × 600 stations
(what a backfill's publish does), and over one hour with that year loaded (what the hourly
run's publish does), in the bench database after the analytics are built."""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta

from lumen.alerts import episodes, rules
from lumen.alerts.service import OBSERVED
from lumen.db import connect

NOW = datetime(2025, 1, 1, 1, tzinfo=UTC)  # just after the year's last hour: its open episodes are fresh


def measure_alerts(settings, year: int, root) -> dict:
    """(alert_year_s, alert_hour_s, alert_episodes): a year's evaluation from empty, then the median of
    3 evaluations of the year's last hour (nothing new to write: the hourly case with history)."""
    observed = [r for r in rules.load(root / "alerts" / "rules.yml") if r.kind in OBSERVED]
    with connect("pipeline", settings) as conn:
        start = time.perf_counter()
        whole = episodes.evaluate(
            conn,
            observed,
            "bench-alerts",
            datetime(year, 1, 1, tzinfo=UTC),
            datetime(year + 1, 1, 1, tzinfo=UTC),
            NOW,
            timedelta(hours=24),
        )
        conn.commit()
        year_s = time.perf_counter() - start
        hours = []
        for i in range(3):
            start = time.perf_counter()
            hi = datetime(year + 1, 1, 1, tzinfo=UTC)
            episodes.evaluate(conn, observed, f"bench-hour-{i}", hi - timedelta(hours=1), hi, NOW, timedelta(hours=24))
            conn.commit()
            hours.append(time.perf_counter() - start)
        by_rule = dict(
            conn.execute("SELECT rule, count(*) FROM analytics.alert_events GROUP BY 1 ORDER BY 1").fetchall()
        )
    return {
        "alert_year_s": year_s,
        "alert_hour_s": statistics.median(hours),
        "alert_episodes": whole.opened,
        "alert_episodes_by_rule": by_rule,
    }
