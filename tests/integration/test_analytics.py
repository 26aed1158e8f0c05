"""The dbt analytics on the offline sample: against values computed by hand from processed_data, a
window build against a full refresh, and a failing dbt test failing the build."""

from datetime import UTC, datetime, timedelta

import pytest

from lumen import ingest
from lumen.clean import transform
from lumen.db import connect
from lumen.inmet.archive import list_files
from lumen.publish import analytics
from lumen.run.database import migrate
from lumen.sample import generate
from tests.conftest import empty_database


@pytest.fixture()
def published(migrated_db, tmp_path):
    sample = generate(tmp_path, days=10)
    with connect("pipeline", migrated_db) as conn:
        ingest.load_archive(conn, list_files(sample.archive_zip), "load")
        transform.clean(conn, datetime(2024, 11, 1, tzinfo=UTC), datetime(2024, 11, 11, tzinfo=UTC), "run-1")
        conn.commit()
    analytics.build(migrated_db, datetime(2024, 11, 1, tzinfo=UTC), datetime(2024, 11, 11, tzinfo=UTC))
    return migrated_db


@pytest.mark.parametrize(("station", "day"), [("Z807", "2024-11-03"), ("Z621", "2024-11-05"), ("Z001", "2024-11-09")])
def test_daily_summary_matches_a_hand_computation(published, station, day):
    with connect("reader", published) as conn:
        hours = conn.execute(
            "SELECT air_temp_c, air_temp_min_c, air_temp_max_c, precip_mm, rel_humidity_pct, wind_gust_ms, "
            "global_radiation_kj_m2 FROM processed_data.observations WHERE station_code = %s AND local_date = %s",
            (station, day),
        ).fetchall()
        row = conn.execute(
            "SELECT hours_with_data, completeness_pct, air_temp_min_c, air_temp_max_c, air_temp_mean_c, precip_total_mm, "
            "rel_humidity_mean_pct, wind_gust_max_ms, global_radiation_mj_m2 FROM analytics.daily_station_summary "
            "WHERE station_code = %s AND local_date = %s",
            (station, day),
        ).fetchone()
    temps = [h[0] for h in hours if h[0] is not None]
    rh = [h[4] for h in hours if h[4] is not None]
    expected = (
        len(hours),
        round(100 * len(hours) / 24, 1),
        min(h[1] for h in hours if h[1] is not None),
        max(h[2] for h in hours if h[2] is not None),
        round(sum(temps) / len(temps), 2),
        sum(h[3] for h in hours if h[3] is not None),
        round(sum(rh) / len(rh), 1),
        max(h[5] for h in hours if h[5] is not None),
        round(sum(h[6] for h in hours if h[6] is not None) / 1000, 3),
    )
    assert row[0] == expected[0]
    if len(hours) == 24:  # a whole day: what is published is what a hand computation gives
        given = [(float(v), e) for v, e in zip(row[1:], expected[1:], strict=True) if v is not None]
        assert [v for v, _ in given] == pytest.approx([e for _, e in given], abs=0.011)
        assert row[4] is not None and len(given) >= 7, row  # the mean temperature and most values are there
    else:  # Z621's 19 hours (5 silent): below the 20 a daily value needs, so no mean, extreme or rain total
        assert float(row[1]) == pytest.approx(expected[1]) and row[2:8] == (None,) * 6


def test_monthly_extremes_latest_map_and_quality(published):
    with connect("reader", published) as conn:
        month = conn.execute(
            "SELECT days_with_data, precip_total_mm, precip_missing_days FROM analytics.monthly_station_summary "
            "WHERE station_code = 'Z652' "
            "ORDER BY month"
        ).fetchall()
        rain = conn.execute(
            "SELECT sum(precip_total_mm) FROM analytics.daily_station_summary WHERE station_code = 'Z652'"
        ).fetchone()[0]
        hottest = conn.execute(
            "SELECT value, observed_at FROM analytics.station_extremes WHERE station_code = 'Z001' "
            "AND record = 'highest air temperature'"
        ).fetchone()
        top = conn.execute(
            "SELECT max(air_temp_max_c) FROM analytics.daily_station_summary WHERE station_code = 'Z001'"
        ).fetchone()[0]
        latest = conn.execute(
            "SELECT station_code, observed_at, hours_since_last_data > 0 FROM analytics.latest_readings ORDER BY 1"
        ).fetchall()
        quality = conn.execute(
            "SELECT hours_with_data, completeness_pct FROM analytics.data_quality_daily "
            "WHERE station_code = 'Z621' AND local_date = '2024-11-05'"
        ).fetchone()
    # local days: 2024-10-31 (the first 3 UTC hours) … 2024-11-10
    # the sample's months are partial (1 and 10 days): no monthly rain total, the missing days say why
    assert [m[0] for m in month] == [1, 10] and [m[1] for m in month] == [None, None]
    assert [m[2] for m in month] == [31, 21] and rain > 0  # October: its one day partial; November: 9 whole days
    assert hottest[0] == top  # a record is a day's maximum as the daily summary publishes it
    assert [(c, t.isoformat()) for c, t, _ in latest] == [
        (c, "2024-11-10T23:00:00+00:00") for c in ("Z001", "Z621", "Z652", "Z807")
    ] and all(x[2] for x in latest)
    assert (quality[0], float(quality[1])) == (19, 79.2)  # Z621's 5 silent hours fall on that local day


SNAPSHOT = {
    "daily_station_summary": "station_code, local_date",
    "station_daily_extremes": "station_code, local_date",
    "monthly_station_summary": "station_code, month",
    "station_extremes": "station_code, record",
    "station_months": "station_code, month",
    "station_month_normals": "station_code, calendar_month",
    "annual_station_summary": "station_code, year",
}


def _snapshot(conn) -> dict[str, list[tuple]]:
    return {t: conn.execute(f"SELECT * FROM analytics.{t} ORDER BY {key}").fetchall() for t, key in SNAPSHOT.items()}


def test_a_window_build_matches_a_full_refresh(published):
    """Change processed rows in four hours (a record lowered, a new record, a row gone), build those
    hours only, and the analytics tables equal `dbt build --full-refresh`."""
    hottest = "SELECT observed_at, value FROM analytics.station_extremes WHERE station_code = %s AND record = %s"
    with connect("admin", published) as conn:
        a001_at, a001_top = conn.execute(hottest, ("Z001", "highest air temperature")).fetchone()
        edits = [
            ("UPDATE processed_data.observations SET air_temp_max_c = 0 WHERE station_code = 'Z001' AND observed_at = %s",
             a001_at),  # the standing record (a day's highest hourly maximum) lowered: found again from all history
            ("UPDATE processed_data.observations SET precip_mm = 99 WHERE station_code = 'Z652' AND observed_at = %s",
             datetime(2024, 11, 6, 15, tzinfo=UTC)),  # a new wettest hour (and day) against the standing one
            ("DELETE FROM processed_data.observations WHERE station_code = 'Z621' AND observed_at = %s",
             datetime(2024, 11, 7, 12, tzinfo=UTC)),
            ("UPDATE processed_data.observations SET air_temp_min_c = -40 WHERE station_code = 'Z807' AND observed_at = %s",
             datetime(2024, 11, 8, 6, tzinfo=UTC)),
        ]  # fmt: skip
        for statement, hour in edits:
            assert conn.execute(statement, (hour,)).rowcount == 1
        conn.commit()
    for _, hour in edits:  # one hourly publish per edited hour
        built = analytics.build(published, hour, hour + timedelta(hours=1))
        assert built.models["daily_station_summary"] <= 4 * 2  # four stations, at most two local days each
    with connect("pipeline", published) as conn:
        by_window = _snapshot(conn)
    analytics.build(published, full_refresh=True)  # dbt build --full-refresh: every table rebuilt from scratch
    with connect("pipeline", published) as conn:
        by_full = _snapshot(conn)
    rows = {r[:2]: r for r in by_full["station_extremes"]}
    assert by_window == by_full
    top = rows[("Z001", "highest air temperature")]
    assert top[3] < a001_top or top[4] != a001_at  # lowered, or the tie of another hour stands
    assert rows[("Z652", "wettest hour")][3:5] == (99, datetime(2024, 11, 6, 15, tzinfo=UTC))
    assert rows[("Z652", "wettest day")][5].isoformat() == "2024-11-06"
    assert rows[("Z807", "lowest air temperature")][3] == -40
    a621 = {r[1].isoformat(): r[2] for r in by_full["daily_station_summary"] if r[0] == "Z621"}
    assert a621["2024-11-07"] == 23


CATALOG = """
SELECT c.relname, c.relkind, pg_get_userbyid(c.relowner), has_table_privilege('lumen_reader', c.oid, 'SELECT'),
       (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
          FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
       (SELECT string_agg(regexp_replace(pg_get_indexdef(i.indexrelid), 'INDEX \\S+ ON', 'INDEX ON'), '; '
                          ORDER BY pg_get_indexdef(i.indexrelid)) FROM pg_index i WHERE i.indrelid = c.oid)
FROM pg_class c
WHERE c.relnamespace = 'analytics'::regnamespace AND c.relkind IN ('r', 'v', 'm')
ORDER BY c.relname
"""


def _state(settings) -> dict:
    with connect("admin", settings) as conn:
        catalog = conn.execute(CATALOG).fetchall()
        return {
            "catalog": catalog,
            "functions": conn.execute(
                "SELECT proname FROM pg_proc WHERE pronamespace = 'analytics'::regnamespace"
            ).fetchall(),
            "rebuilds": conn.execute("SELECT count(*) FROM ops.analytics_rebuild").fetchone(),
            **{
                m: conn.execute(f"SELECT * FROM analytics.{m} ORDER BY 1, 2").fetchall()
                for m, *_ in catalog
                if m != "latest_readings"
            },
        }


def test_a_database_upgraded_from_the_plpgsql_analytics_ends_as_a_fresh_one(published, pg_admin_url, tmp_path):
    """V012's database (analytics built by analytics.refresh) migrated to dbt's analytics equals a fresh one."""
    with empty_database(pg_admin_url) as old:
        migrate(old, up_to=12)
        sample = generate(tmp_path, days=10)
        with connect("pipeline", old) as conn:
            ingest.load_archive(conn, list_files(sample.archive_zip), "load")
            transform.clean(conn, datetime(2024, 11, 1, tzinfo=UTC), datetime(2024, 11, 11, tzinfo=UTC), "run-1")
            conn.execute("SELECT * FROM analytics.refresh()").fetchall()  # V012's plpgsql analytics
            conn.commit()
        migrate(old)  # V013 drops what dbt owns now; migrate builds it with dbt
        upgraded = _state(old)
    fresh = _state(published)
    assert [r[0] for r in fresh["catalog"]] == [
        "alert_events",
        "annual_station_summary",
        "daily_station_summary",
        "data_quality_daily",
        "forecast_skill",
        "latest_readings",
        "monthly_station_summary",
        "open_alerts",
        "station_daily_extremes",
        "station_extremes",
        "station_map",
        "station_month_normals",
        "station_months",
        "temperature_forecast",
    ]
    base_tables = ("temperature_forecast", "alert_events")  # V014's and V015's: written by steps, not dbt
    dbt_built = [r for r in fresh["catalog"] if r[0] not in base_tables]
    assert all(r[2] == "lumen_pipeline" and r[3] for r in dbt_built)  # dbt's (pipeline) objects, readable
    for table in [r for r in fresh["catalog"] if r[0] in base_tables]:
        assert table[2] != "lumen_pipeline" and table[3]  # the migrations own them; readable
    assert fresh["functions"] == [] and fresh["rebuilds"] == (0,)
    assert upgraded == fresh


def test_v018_rebuilds_the_values_of_an_existing_database(published, pg_admin_url, tmp_path):
    """A database at V017 whose analytics hold values the completeness rules no longer publish (a mean
    over any hours there were, as before #28) migrated to V018: the rebuild it asks for leaves every
    table as on a fresh database."""
    with empty_database(pg_admin_url) as old:
        migrate(old, up_to=17)
        sample = generate(tmp_path, days=10)
        with connect("pipeline", old) as conn:
            ingest.load_archive(conn, list_files(sample.archive_zip), "load")
            transform.clean(conn, datetime(2024, 11, 1, tzinfo=UTC), datetime(2024, 11, 11, tzinfo=UTC), "run-1")
            conn.commit()
        analytics.build(old, datetime(2024, 11, 1, tzinfo=UTC), datetime(2024, 11, 11, tzinfo=UTC))
        with connect("admin", old) as conn:  # what the earlier models published for incomplete days
            stale = conn.execute(
                "UPDATE analytics.daily_station_summary SET air_temp_mean_c = 99, precip_total_mm = 99 "
                "WHERE air_temp_mean_c IS NULL"
            ).rowcount
            conn.commit()
        assert stale > 0
        migrate(old)
        with connect("reader", old) as conn:
            upgraded = _snapshot(conn)
    with connect("reader", published) as conn:
        fresh = _snapshot(conn)
    assert upgraded == fresh


def test_completeness_counts_the_hours_a_daylight_saving_day_really_has(migrated_db, tmp_path):
    """São Paulo's zone: 2018-02-17 had 25 local hours (DST ended), 2018-11-04 had 23 (DST began). A
    complete day is 100 %, not 104.2 or 95.8 (#26 defect 13)."""
    from datetime import date

    with connect("pipeline", migrated_db) as conn:
        for start in (date(2018, 2, 15), date(2018, 11, 2)):
            sample = generate(tmp_path / str(start), start, 4, ["Z807"])
            ingest.load_archive(conn, list_files(sample.archive_zip), f"load-{start}")
        transform.clean(
            conn, datetime(2018, 1, 1, tzinfo=UTC), datetime(2019, 1, 1, tzinfo=UTC), "run-1", on_invalid="quarantine"
        )
        conn.commit()
    analytics.build(migrated_db, datetime(2018, 1, 1, tzinfo=UTC), datetime(2019, 1, 1, tzinfo=UTC))
    with connect("reader", migrated_db) as conn:
        rows = {
            day: (n, pct)
            for day, n, pct in conn.execute(
                "SELECT local_date::text, hours_with_data, completeness_pct::float8 FROM analytics.daily_station_summary "
                "WHERE station_code = 'Z807' AND local_date IN ('2018-02-16', '2018-02-17', '2018-11-03', '2018-11-04')"
            )
        }
    assert rows == {
        "2018-02-16": (24, 100.0),
        "2018-02-17": (25, 100.0),
        "2018-11-03": (24, 100.0),
        "2018-11-04": (23, 100.0),
    }
