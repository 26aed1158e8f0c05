"""The alert rules on INMET's real Curitiba files (A807 2018, 2019, 2024): the episodes per rule
and year (docs/alerts.md's table), and every one of them checked against the raw text as received —
an independent reading of INMET's values, not the processed columns the SQL read."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lumen.alerts import episodes, rules
from lumen.db import connect
from tests.conftest import ROOT

pytestmark = pytest.mark.slow
RULES = {r.id: r for r in rules.load(ROOT / "alerts" / "rules.yml")}
HOURLY = {"heavy_rain_hour": "chuva", "wind_gust": "ven_raj", "low_humidity": "umd_min", "frost_risk": "tem_min"}
ZONE = ZoneInfo("America/Sao_Paulo")  # Curitiba's zone (from its coordinates)
# (rule, local year of the start) → episodes; yellow / orange / red in docs/alerts.md
EXPECTED = {
    ("frost_risk", 2024): 6,
    ("heat_wave", 2018): 4, ("heat_wave", 2019): 4, ("heat_wave", 2024): 5,
    ("heavy_rain_day", 2018): 12, ("heavy_rain_day", 2019): 11, ("heavy_rain_day", 2024): 10,
    ("heavy_rain_hour", 2018): 6, ("heavy_rain_hour", 2019): 6, ("heavy_rain_hour", 2024): 5,
    ("low_humidity", 2018): 36, ("low_humidity", 2019): 39, ("low_humidity", 2024): 45,
    ("wind_gust", 2018): 64, ("wind_gust", 2019): 59, ("wind_gust", 2024): 57,
}  # fmt: skip


def number(text: str | None) -> float | None:
    """INMET's text as received → a number (decimal comma; '', -9999 and null are missing)."""
    if text is None or text.strip() in ("", "-9999"):
        return None
    return float(text.strip().replace(",", "."))


@pytest.fixture(scope="module")
def curitiba(curitiba_analytics):
    settings = curitiba_analytics
    with connect("pipeline", settings) as conn:
        observed = [r for r in RULES.values() if r.kind != "forecast"]
        result = episodes.evaluate(conn, observed, "alerts", None, None, datetime.now(UTC), timedelta(hours=24))
        conn.commit()
    return settings, result


def events(settings, rule: str) -> list[tuple]:
    with connect("reader", settings) as conn:
        return conn.execute(
            "SELECT started_at, last_exceeded_at, level, peak_value, status FROM analytics.alert_events "
            "WHERE rule = %s ORDER BY started_at",
            (rule,),
        ).fetchall()


def test_episodes_per_rule_and_year(curitiba):
    settings, result = curitiba
    with connect("reader", settings) as conn:
        rows = conn.execute(
            "SELECT rule, extract(year FROM started_at AT TIME ZONE 'America/Sao_Paulo')::int, count(*) "
            "FROM analytics.alert_events GROUP BY 1, 2"
        ).fetchall()
    assert {(r, y): n for r, y, n in rows} == EXPECTED
    assert result.opened == sum(EXPECTED.values()) and result.historical == result.opened and not result.changes


@pytest.mark.parametrize("rule", sorted(HOURLY))
def test_every_hourly_episode_matches_the_raw_text(curitiba, rule):
    """Each raw hour whose value reaches yellow lies in one episode; each episode's peak and level are
    those of the raw hours inside it; and no episode holds no such hour."""
    settings, _ = curitiba
    r = RULES[rule]
    with connect("pipeline", settings) as conn:
        raw = conn.execute(
            f"SELECT o.observed_at, o.{HOURLY[rule]} FROM raw_data.inmet_observations o WHERE NOT EXISTS ("
            "SELECT 1 FROM processed_data.quarantine q WHERE q.station_code = o.station_code "
            "AND q.observed_at = o.observed_at AND q.resolved_at IS NULL) ORDER BY 1"
        ).fetchall()
    hits = [(at, v) for at, v in ((at, number(text)) for at, text in raw) if v is not None and r.level_of(v)]
    found = events(settings, rule)
    assert hits and len(found) <= len(hits)
    for start, end, level, peak, _ in found:
        inside = [v for at, v in hits if start <= at < end]
        best = max(inside) if r.rising else min(inside)
        assert (peak, level) == (best, r.level_of(best)), (rule, start)
    assert sum(sum(start <= at < end for start, end, *_ in found) for at, _ in hits) == len(hits)


def test_daily_rain_episodes_match_the_raw_text(curitiba):
    settings, _ = curitiba
    with connect("pipeline", settings) as conn:
        raw = conn.execute("SELECT observed_at, chuva FROM raw_data.inmet_observations").fetchall()
    totals: Counter = Counter()
    for at, text in raw:
        totals[at.astimezone(ZONE).date()] += number(text) or 0.0
    wet = {day: round(v, 2) for day, v in totals.items() if RULES["heavy_rain_day"].level_of(round(v, 2))}
    runs: list[list] = []  # wet days in a row are one episode (clear for 24 h closes it)
    for day in sorted(wet):
        if runs and runs[-1][-1] == day - timedelta(days=1):
            runs[-1].append(day)
        else:
            runs.append([day])
    expected = {
        run[0]: (
            RULES["heavy_rain_day"].level_of(max(wet[d] for d in run)),
            max(wet[d] for d in run),
            run[-1] + timedelta(days=1),
        )
        for run in runs
    }
    found = events(settings, "heavy_rain_day")
    got = {
        start.astimezone(ZONE).date(): (level, peak, end.astimezone(ZONE).date())
        for start, end, level, peak, _ in found
    }
    assert got == expected and any(len(run) > 1 for run in runs)
    assert max(wet.values()) == 119.8  # 2019-02-21, red (> 100 mm): the wettest local day of the three years


def test_the_heat_waves_are_runs_of_hot_days_in_the_raw_text(curitiba):
    """The September 2024 wave: 7 days in a row with a max 5 °C or more above Curitiba's mean September
    max, computed here from the raw TEM_MAX of every complete September day."""
    settings, _ = curitiba
    with connect("pipeline", settings) as conn:
        raw = conn.execute("SELECT observed_at, tem_max FROM raw_data.inmet_observations").fetchall()
    days: dict = {}
    for at, text in raw:
        day = at.astimezone(ZONE).date()
        hours, hi = days.get(day, (0, None))
        v = number(text)
        days[day] = (hours + 1, v if hi is None or (v is not None and v > hi) else hi)
    september = [hi for day, (n, hi) in days.items() if day.month == 9 and n >= 18 and hi is not None]
    normal = sum(september) / len(september)
    wave = [e for e in events(settings, "heat_wave") if e[0].astimezone(ZONE).date().month == 9 and e[0].year == 2024]
    assert [(e[2], e[3]) for e in wave] == [("red", 7.0), ("yellow", 4.0)]
    start = wave[0][0].astimezone(ZONE).date()
    run = [start + timedelta(days=i) for i in range(7)]
    assert all(days[d][1] >= normal + 5 for d in run)
    assert days[start - timedelta(days=1)][1] < normal + 5 and days[run[-1] + timedelta(days=1)][1] < normal + 5
