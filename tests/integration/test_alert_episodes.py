"""Alert episodes on crafted hours in a real PostgreSQL: thresholds at their exact edges (in SQL),
re-runs that change nothing, closing after the clear period, escalation, a heat wave, a backfill
recorded without messages, and an episode the data no longer supports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lumen.alerts import episodes, rules
from lumen.config import Settings
from lumen.db import connect
from lumen.publish import analytics
from tests.conftest import ROOT

T0 = datetime(2024, 7, 10, 12, tzinfo=UTC)
RULES = {r.id: r for r in rules.load(ROOT / "alerts" / "rules.yml")}
LIVE = timedelta(hours=24)


def add_station(conn, code: str = "A901", uf: str = "MT", zone: str = "America/Cuiaba") -> None:
    conn.execute(
        "INSERT INTO processed_data.stations (station_code, name, uf, latitude, longitude, source, run_id, time_zone) "
        "VALUES (%s, %s, %s, -15.6, -56.1, 'archive', 't', %s) ON CONFLICT DO NOTHING",
        (code, f"ESTAÇÃO {code}", uf, zone),
    )


def add_hours(
    conn, start: datetime, values: list[dict | None], code: str = "A901", zone: str = "America/Cuiaba"
) -> None:
    """One processed row per hour from `start` (None: no row that hour)."""
    rows = []
    for i, v in enumerate(values):
        if v is None:
            continue
        at = start + timedelta(hours=i)
        rows.append(
            (
                code,
                at,
                zone,
                zone,
                v.get("precip_mm", 0.0),
                v.get("wind_gust_ms", 2.0),
                v.get("rel_humidity_min_pct", 60.0),
                v.get("air_temp_min_c", 20.0),
                v.get("air_temp_max_c", 22.0),
            )
        )
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO processed_data.observations (station_code, observed_at, local_date, local_hour, source, precip_mm, "
            "wind_gust_ms, rel_humidity_min_pct, air_temp_min_c, air_temp_max_c, air_temp_c, run_id) "
            "SELECT %s, t, (t AT TIME ZONE %s)::date, extract(hour FROM t AT TIME ZONE %s), 'archive', %s, %s, %s, %s, %s, "
            "%s, 't' FROM (SELECT %s::timestamptz AS t) x "
            "ON CONFLICT (station_code, observed_at) DO UPDATE SET precip_mm = EXCLUDED.precip_mm, "
            "wind_gust_ms = EXCLUDED.wind_gust_ms, rel_humidity_min_pct = EXCLUDED.rel_humidity_min_pct, "
            "air_temp_min_c = EXCLUDED.air_temp_min_c, air_temp_max_c = EXCLUDED.air_temp_max_c",
            [(c, z1, z2, p, g, h, tmin, tmax, tmax, at) for c, at, z1, z2, p, g, h, tmin, tmax in rows],
        )


def evaluate(settings: Settings, ids: list[str], lo, hi, run_id: str = "r1", now: datetime | None = None):
    with connect("pipeline", settings) as conn:
        result = episodes.evaluate(conn, [RULES[i] for i in ids], run_id, lo, hi, now or T0 + timedelta(days=1), LIVE)
        conn.commit()
    return result


def events(settings: Settings, rule: str | None = None) -> list[tuple]:
    with connect("reader", settings) as conn:
        return conn.execute(
            "SELECT rule, level, started_at, last_exceeded_at, ended_at, status, peak_value, peak_at, level_at, notify, "
            "threshold, updated_at FROM analytics.alert_events WHERE rule = coalesce(%s, rule) ORDER BY rule, started_at",
            (rule,),
        ).fetchall()


def test_hourly_thresholds_at_their_exact_edges(migrated_db):
    calm = {"precip_mm": 0.0}
    edges = [19.9, 20.0, 29.9, 30.0, 60.0, 60.1]  # yellow is ≥ 20, orange ≥ 30, red > 60 mm
    hours = [v for x in edges for v in ({"precip_mm": x}, *[calm] * 7)]  # 7 clear hours apart: separate episodes
    with connect("pipeline", migrated_db) as conn:
        add_station(conn)
        add_hours(conn, T0, hours)
        conn.commit()
    evaluate(migrated_db, ["heavy_rain_hour"], T0, T0 + timedelta(hours=len(hours)))
    got = [(e[1], e[6], e[10]) for e in events(migrated_db)]
    assert got == [
        ("yellow", 20.0, 20.0),
        ("yellow", 29.9, 20.0),
        ("orange", 30.0, 30.0),
        ("orange", 60.0, 30.0),
        ("red", 60.1, 60.0),
    ]


@pytest.mark.parametrize(
    ("rule", "column", "values", "levels"),
    [
        ("wind_gust", "wind_gust_ms", [11.0, 11.1, 16.7, 27.8, 27.9], [None, "yellow", "orange", "orange", "red"]),
        (
            "low_humidity",
            "rel_humidity_min_pct",
            [30.1, 30.0, 20.0, 12.0, 11.9],
            [None, "yellow", "orange", "orange", "red"],
        ),
        ("frost_risk", "air_temp_min_c", [3.1, 3.0, 0.1, 0.0, -4.0], [None, "yellow", "yellow", "orange", "orange"]),
    ],
)
def test_sql_levels_agree_with_the_rules_file_at_the_edges(migrated_db, rule, column, values, levels):
    assert [RULES[rule].level_of(v) for v in values] == levels
    base = {"wind_gust_ms": 2.0, "rel_humidity_min_pct": 60.0, "air_temp_min_c": 20.0}
    hours = [h for v in values for h in ({**base, column: v}, *[base] * 12)]
    with connect("pipeline", migrated_db) as conn:
        add_station(conn)
        add_hours(conn, T0, hours)
        conn.commit()
    evaluate(migrated_db, [rule], T0, T0 + timedelta(hours=len(hours)))
    assert [e[1] for e in events(migrated_db)] == [lv for lv in levels if lv]


def test_a_rerun_changes_nothing_and_an_episode_closes_after_the_clear_period(migrated_db):
    dry, ok = {"rel_humidity_min_pct": 25.0}, {"rel_humidity_min_pct": 45.0}
    with connect("pipeline", migrated_db) as conn:
        add_station(conn)
        add_hours(conn, T0, [dry, dry, dry, ok, ok, ok, ok, ok])  # dry 12–15 h UTC, then 5 clear hours seen
        conn.commit()
    first = evaluate(migrated_db, ["low_humidity"], T0, T0 + timedelta(hours=8))
    assert (first.opened, first.closed) == (1, 0)
    (ep,) = events(migrated_db)
    assert ep[5] == "open" and ep[4] is None and ep[3] == T0 + timedelta(hours=3)
    again = evaluate(migrated_db, ["low_humidity"], T0, T0 + timedelta(hours=8), run_id="r2")
    assert (again.opened, again.escalated, again.closed, again.updated, again.withdrawn) == (0, 0, 0, 0, 0)
    assert events(migrated_db) == [ep]  # not even updated_at moved
    with connect("pipeline", migrated_db) as conn:
        add_hours(conn, T0 + timedelta(hours=8), [ok])  # the 6th clear hour: clear for clear_hours (6)
        conn.commit()
    later = evaluate(migrated_db, ["low_humidity"], T0 + timedelta(hours=8), T0 + timedelta(hours=9), run_id="r3")
    assert (later.opened, later.closed) == (0, 1)
    (done,) = events(migrated_db)
    assert done[5] == "closed" and done[4] == T0 + timedelta(hours=3) and done[6] == 25.0


def test_escalation_is_one_change_and_a_new_hour_within_the_clear_period_extends_the_episode(migrated_db):
    with connect("pipeline", migrated_db) as conn:
        add_station(conn)
        add_hours(conn, T0, [{"wind_gust_ms": 12.0}, {}])
        conn.commit()
    first = evaluate(migrated_db, ["wind_gust"], T0, T0 + timedelta(hours=2))
    assert [(c.level, c.rule) for c in first.changes] == [("yellow", "wind_gust")]
    with connect("pipeline", migrated_db) as conn:
        add_hours(conn, T0 + timedelta(hours=2), [{}, {"wind_gust_ms": 18.5}])  # 2 h later, within 6 h: same episode
        conn.commit()
    second = evaluate(migrated_db, ["wind_gust"], T0 + timedelta(hours=2), T0 + timedelta(hours=4), run_id="r2")
    assert (second.opened, second.escalated) == (0, 1)
    assert [(c.event_id, c.level) for c in second.changes] == [(first.changes[0].event_id, "orange")]
    (ep,) = events(migrated_db)
    assert (ep[1], ep[2], ep[6], ep[8]) == ("orange", T0, 18.5, T0 + timedelta(hours=3))


def test_a_backfill_records_past_episodes_without_messages(migrated_db):
    with connect("pipeline", migrated_db) as conn:
        add_station(conn)
        add_hours(conn, T0, [{"precip_mm": 35.0}, *[{}] * 8])
        conn.commit()
    result = evaluate(migrated_db, ["heavy_rain_hour"], None, None, now=T0 + timedelta(days=400))
    assert (result.opened, result.historical, result.changes) == (1, 1, [])
    assert events(migrated_db)[0][9] is False  # notify


def test_an_episode_the_data_no_longer_supports_is_withdrawn_not_deleted(migrated_db):
    with connect("pipeline", migrated_db) as conn:
        add_station(conn)
        add_hours(conn, T0, [{"precip_mm": 25.0}, {}])
        conn.commit()
    evaluate(migrated_db, ["heavy_rain_hour"], T0, T0 + timedelta(hours=2))
    with connect("pipeline", migrated_db) as conn:
        add_hours(conn, T0, [{"precip_mm": 2.5}])  # re-cleaned: the hour was a typo
        conn.commit()
    result = evaluate(migrated_db, ["heavy_rain_hour"], T0, T0 + timedelta(hours=2), run_id="r2")
    assert result.withdrawn == 1
    (ep,) = events(migrated_db)
    assert ep[5] == "withdrawn"


def test_the_local_day_total_uses_the_stations_own_day(migrated_db):
    # Cuiabá is UTC−4: its local day 2024-07-10 runs 04:00 → 04:00 UTC
    start = datetime(2024, 7, 10, 4, tzinfo=UTC)
    hours = [{"precip_mm": 2.5}] * 24 + [{"precip_mm": 0.0}] * 30  # 60 mm in the local day: orange (50–100)
    with connect("pipeline", migrated_db) as conn:
        add_station(conn)
        add_hours(conn, start - timedelta(hours=3), [{"precip_mm": 0.0}] * 3 + hours)
        conn.commit()
    evaluate(migrated_db, ["heavy_rain_day"], start, start + timedelta(hours=54))
    (ep,) = events(migrated_db)
    assert (ep[1], ep[2], ep[3], ep[6], ep[5]) == ("orange", start, start + timedelta(days=1), 60.0, "closed")


def test_a_heat_wave_on_a_crafted_series(migrated_db):
    """Two Januaries of 30 °C maxima make the normal; then 36 °C maxima on 7 days in a row, a cool
    day, and 2 more hot days (too few for a wave)."""
    zone = "America/Sao_Paulo"
    day = {"air_temp_max_c": 30.0}
    with connect("pipeline", migrated_db) as conn:
        add_station(conn, "A807", "PR", zone)
        for year in (2022, 2023):
            add_hours(conn, datetime(year, 1, 1, 3, tzinfo=UTC), [day] * 24 * 31, "A807", zone)
        hot = [{"air_temp_max_c": 36.0}] * 24
        wave = hot * 7 + [day] * 24 + hot * 2 + [day] * 24 * 3
        add_hours(conn, datetime(2024, 1, 10, 3, tzinfo=UTC), wave, "A807", zone)
        conn.commit()
    analytics.build(migrated_db)
    evaluate(migrated_db, ["heat_wave"], None, None, now=datetime(2024, 1, 16, 18, tzinfo=UTC))
    (ep,) = events(migrated_db)
    local = lambda d: datetime(2024, 1, d, 3, tzinfo=UTC)  # noqa: E731 (local midnight, UTC−3)
    assert (ep[1], ep[6], ep[2], ep[8], ep[3]) == ("red", 7.0, local(10), local(16), local(17))
    assert ep[5] == "closed" and ep[9] is True  # the day after the wave was observed, not hot
    with connect("reader", migrated_db) as conn:
        normal = conn.execute(
            "SELECT air_temp_max_mean_c, air_temp_max_mean_years, air_temp_max_days FROM analytics.station_month_normals "
            "WHERE station_code = 'A807' AND calendar_month = 1"
        ).fetchone()
    # the two complete Januaries only: January 2024 (14 days of data, 17 missing) is not a valid month
    assert normal == (30.0, 2, 62)
