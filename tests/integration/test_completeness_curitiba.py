"""WMO-style completeness on INMET's real Curitiba file of 2024 (#28): from 10 to 17 July A807 sent only
part of each day (13–16 July daytime hours only), so those local days have no daily mean temperature
and July no monthly mean or rain total, while complete June keeps its values; and what the daily
summary publishes agrees with the hours themselves and with station_extremes."""

from __future__ import annotations

from datetime import date

import pytest

from lumen.db import connect

pytestmark = pytest.mark.slow


def test_the_gappy_july_days_and_month_have_no_means(curitiba_analytics):
    with connect("reader", curitiba_analytics) as conn:
        days = dict(conn.execute(
            "SELECT local_date, air_temp_mean_c FROM analytics.daily_station_summary "
            "WHERE station_code = 'A807' AND local_date BETWEEN '2024-07-10' AND '2024-07-17'"
        ).fetchall())  # fmt: skip
        months = {m: (t, p) for m, t, p in conn.execute(
            "SELECT month, air_temp_mean_c, precip_total_mm FROM analytics.monthly_station_summary "
            "WHERE station_code = 'A807' AND month IN ('2024-06-01', '2024-07-01')"
        ).fetchall()}  # fmt: skip
    for d in (date(2024, 7, 13), date(2024, 7, 14), date(2024, 7, 15), date(2024, 7, 16)):
        assert d in days and days[d] is None, (d, days.get(d))  # the day has a row, not a mean
    assert months[date(2024, 7, 1)] == (None, None)
    june_t, june_rain = months[date(2024, 6, 1)]
    assert june_t is not None and 8 < june_t < 20 and june_rain is not None


def test_each_published_mean_has_its_hours_and_no_long_gap(curitiba_analytics):
    """An independent count from processed_data: every day with a published mean has >= 20 hours with
    a temperature and no run of more than 3 without; every day with >= 20 and no such run has one."""
    with connect("reader", curitiba_analytics) as conn:
        wrong = conn.execute("""
            WITH h AS (
                SELECT o.local_date, o.observed_at,
                       (o.local_date::timestamp AT TIME ZONE 'America/Sao_Paulo') AS d0,
                       ((o.local_date + 1)::timestamp AT TIME ZONE 'America/Sao_Paulo') AS d1
                FROM processed_data.observations o WHERE o.station_code = 'A807' AND o.air_temp_c IS NOT NULL
            ), g AS (
                SELECT local_date, sum(hour) AS n, max(gap) AS gap  -- hour: 1 for an hour, 0 for the day's end
                FROM (SELECT local_date, 1 AS hour,
                             extract(epoch FROM observed_at - coalesce(lag(observed_at) OVER w, d0 - interval '1 hour')) / 3600 - 1 AS gap
                      FROM h WINDOW w AS (PARTITION BY local_date ORDER BY observed_at)
                      UNION ALL
                      SELECT local_date, 0, extract(epoch FROM min(d1) - max(observed_at)) / 3600 - 1 FROM h GROUP BY local_date) x
                GROUP BY local_date
            )
            SELECT d.local_date, d.air_temp_mean_c, g.n, g.gap
            FROM analytics.daily_station_summary d LEFT JOIN g USING (local_date)
            WHERE d.station_code = 'A807'
              AND ((d.air_temp_mean_c IS NOT NULL) <> (coalesce(g.n, 0) >= 20 AND coalesce(g.gap, 24) <= 3))
        """).fetchall()
        shares = conn.execute(
            "SELECT count(*) FILTER (WHERE air_temp_mean_c IS NULL), count(*) FROM analytics.daily_station_summary "
            "WHERE station_code = 'A807'"
        ).fetchone()
    assert wrong == []
    assert 0 < shares[0] < shares[1] * 0.2  # some days fail, most pass (three real years)


def test_records_and_daily_maxima_agree(curitiba_analytics):
    """station_extremes' highest temperature is the highest daily maximum the daily summary publishes."""
    with connect("reader", curitiba_analytics) as conn:
        record, day = conn.execute(
            "SELECT value, local_date FROM analytics.station_extremes WHERE station_code = 'A807' "
            "AND record = 'highest air temperature'"
        ).fetchone()
        best = conn.execute(
            "SELECT max(air_temp_max_c) FROM analytics.daily_station_summary WHERE station_code = 'A807'"
        ).fetchone()[0]
        that_day = conn.execute(
            "SELECT air_temp_max_c FROM analytics.daily_station_summary WHERE station_code = 'A807' AND local_date = %s",
            (day,),
        ).fetchone()[0]
    assert record == best == that_day


def test_normals_and_annual_values_come_from_valid_months(curitiba_analytics):
    with connect("reader", curitiba_analytics) as conn:
        july = conn.execute(
            "SELECT air_temp_mean_years, first_year, last_year, kind FROM analytics.station_month_normals "
            "WHERE station_code = 'A807' AND calendar_month = 7"
        ).fetchone()
        june = conn.execute(
            "SELECT air_temp_mean_anomaly_c, normal_years FROM analytics.monthly_station_summary "
            "WHERE station_code = 'A807' AND month = '2024-06-01'"
        ).fetchone()
        years = dict(conn.execute(
            "SELECT year, air_temp_valid_months FROM analytics.annual_station_summary WHERE station_code = 'A807'"
        ).fetchall())  # fmt: skip
        year_2024 = conn.execute(
            "SELECT air_temp_mean_c FROM analytics.annual_station_summary WHERE station_code = 'A807' AND year = 2024"
        ).fetchone()[0]
    assert july[0] < 3 and (july[1], july[2], july[3]) == (2018, 2024, "period average")  # July 2024 left out
    assert june[0] is not None and june[1] >= 1
    assert years[2024] < 12 and year_2024 is None  # July 2024 is missing: no annual mean
