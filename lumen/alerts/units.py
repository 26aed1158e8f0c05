"""Exceeding units, in SQL: the hours (or local days) where a rule reaches a level.

Every kind of rule writes its units into one temporary table, `alert_units`, for its own
region [a, b) of time (episodes.py decides the regions). A unit is one hour, or one local
day in the station's own time zone; `began_at` is when the condition began (a heat wave
begins on its first hot day, though it reaches yellow on the third).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg

from lumen.alerts.rules import Rule

UNITS = "alert_units"
DAY_START = "({d}::timestamp AT TIME ZONE coalesce(s.time_zone, 'America/Sao_Paulo'))"


@dataclass(frozen=True)
class Region:
    """The time a rule's units are recomputed over; None is unbounded."""

    a: datetime | None
    b: datetime | None

    def bounds(self) -> tuple[str | datetime, str | datetime]:
        return (self.a or "-infinity", self.b or "infinity")


def reach(rule: Rule) -> tuple[timedelta, timedelta]:
    """How far before and after a window a rule's units can change when the window's data does."""
    if rule.kind == "local_day":
        return timedelta(days=1), timedelta(days=1)
    if rule.kind == "consecutive_days":
        days = int(max(t.value for t in rule.levels.values())) + 1
        return timedelta(days=days), timedelta(days=days)
    return timedelta(0), timedelta(0)


def create_table(conn: psycopg.Connection) -> None:
    conn.execute(f"DROP TABLE IF EXISTS pg_temp.{UNITS}")
    conn.execute(
        f"CREATE TEMP TABLE {UNITS} (rule text, station_code text, began_at timestamptz, unit_start timestamptz, "
        "unit_end timestamptz, value double precision, level text) ON COMMIT DROP"
    )


def write(conn: psycopg.Connection, rules: list[Rule], regions: dict[str, Region]) -> None:
    """Fill alert_units for every rule over its region."""
    hourly = [r for r in rules if r.kind == "hour"]
    if hourly:
        _hours(conn, hourly, regions)
    for rule in rules:
        if rule.kind == "local_day":
            _local_days(conn, rule, regions[rule.id])
        elif rule.kind == "consecutive_days":
            _consecutive_days(conn, rule, regions[rule.id])
        elif rule.kind == "forecast":
            _forecast(conn, rule, regions[rule.id])


def _hours(conn: psycopg.Connection, rules: list[Rule], regions: dict[str, Region]) -> None:
    """All hourly rules in one scan of processed_data.observations."""
    values, params = [], []
    for r in rules:
        q = f"o.{r.quantity}"
        values.append(f"(%s, {q}, {r.level_sql(q)}, %s::timestamptz, %s::timestamptz)")
        params += [r.id, *regions[r.id].bounds()]
    starts, ends = [regions[r.id].a for r in rules], [regions[r.id].b for r in rules]
    lo = None if None in starts else min(starts)  # type: ignore[type-var]
    hi = None if None in ends else max(ends)  # type: ignore[type-var]
    any_level = " OR ".join(r.any_level_sql(f"o.{r.quantity}") for r in rules)
    conn.execute(
        f"""
        INSERT INTO {UNITS}
        SELECT u.rule, o.station_code, o.observed_at, o.observed_at, o.observed_at + interval '1 hour', u.value, u.level
        FROM processed_data.observations o
        CROSS JOIN LATERAL (VALUES {", ".join(values)}) u(rule, value, level, a, b)
        WHERE o.observed_at >= %s::timestamptz AND o.observed_at < %s::timestamptz AND ({any_level})
          AND u.level IS NOT NULL AND o.observed_at >= u.a AND o.observed_at < u.b
        """,
        [*params, lo or "-infinity", hi or "infinity"],
    )


def _local_days(conn: psycopg.Connection, rule: Rule, region: Region) -> None:
    """The local day's running total (a day in progress counts what it has so far)."""
    a, b = region.bounds()
    q = f"o.{rule.quantity}"
    start = DAY_START.format(d="d.local_date")
    conn.execute(
        f"""
        INSERT INTO {UNITS}
        SELECT %s, d.station_code, {start}, {start}, {DAY_START.format(d="(d.local_date + 1)")}, d.value,
               {rule.level_sql("d.value")}
        FROM (SELECT o.station_code, o.local_date, round(sum({q})::numeric, 2)::float8 AS value
              FROM processed_data.observations o
              WHERE o.observed_at >= %s::timestamptz - interval '2 days'
                AND o.observed_at < %s::timestamptz + interval '2 days' AND {q} > 0
              GROUP BY o.station_code, o.local_date) d
        JOIN processed_data.stations s USING (station_code)
        WHERE {rule.any_level_sql("d.value")} AND {start} >= %s::timestamptz AND {start} < %s::timestamptz
        """,
        [rule.id, a, b, a, b],
    )


def _consecutive_days(conn: psycopg.Connection, rule: Rule, region: Region) -> None:
    """Runs of local days whose max air temperature is anomaly_c above the station's mean daily max
    for that calendar month (analytics.station_month_normals: the period average of its valid
    months, with at least min_normal_days valid days behind it); the unit's value is the day's
    place in its run."""
    a, b = region.bounds()
    start = DAY_START.format(d="n.local_date")
    conn.execute(
        f"""
        INSERT INTO {UNITS}
        WITH days AS (
            SELECT d.station_code, d.local_date, d.{rule.quantity} AS tmax
            FROM analytics.daily_station_summary d
            WHERE d.local_date >= (%s::timestamptz AT TIME ZONE 'UTC')::date - 1
              AND d.local_date <= (%s::timestamptz AT TIME ZONE 'UTC')::date + 1
              AND d.{rule.quantity} IS NOT NULL
        ), normals AS (
            SELECT n.station_code, n.calendar_month AS mon, n.air_temp_max_mean_c AS normal
            FROM analytics.station_month_normals n
            WHERE n.air_temp_max_mean_c IS NOT NULL AND n.air_temp_max_days >= %s
              AND (n.station_code, n.calendar_month) IN
                  (SELECT DISTINCT station_code, extract(month FROM local_date)::int FROM days)
        ), hot AS (
            SELECT d.station_code, d.local_date,
                   d.local_date - (row_number() OVER (PARTITION BY d.station_code ORDER BY d.local_date))::int AS grp
            FROM days d JOIN normals x ON x.station_code = d.station_code AND x.mon = extract(month FROM d.local_date)
            WHERE d.tmax >= x.normal + %s
        ), n AS (
            SELECT h.station_code, h.local_date,
                   row_number() OVER (PARTITION BY h.station_code, h.grp ORDER BY h.local_date)::float8 AS nth,
                   min(h.local_date) OVER (PARTITION BY h.station_code, h.grp) AS run_start
            FROM hot h
        )
        SELECT %s, n.station_code, {DAY_START.format(d="n.run_start")}, {start},
               {DAY_START.format(d="(n.local_date + 1)")}, n.nth, {rule.level_sql("n.nth")}
        FROM n JOIN processed_data.stations s USING (station_code)
        WHERE {rule.any_level_sql("n.nth")} AND {start} >= %s::timestamptz AND {start} < %s::timestamptz
        """,
        [a, b, rule.min_normal_days, rule.anomaly_c, rule.id, a, b],
    )


def _forecast(conn: psycopg.Connection, rule: Rule, region: Region) -> None:
    a, b = region.bounds()
    conn.execute(
        f"""
        INSERT INTO {UNITS}
        SELECT %s, f.station_code, f.target_at, f.target_at, f.target_at + interval '1 hour', f.predicted_c,
               {rule.level_sql("f.predicted_c")}
        FROM analytics.temperature_forecast f
        WHERE f.target_at >= %s::timestamptz AND f.target_at < %s::timestamptz AND {rule.any_level_sql("f.predicted_c")}
        """,
        [rule.id, a, b],
    )


def horizons(conn: psycopg.Connection, stations: list[str], forecast: bool) -> dict[str, datetime]:
    """The end of each station's newest hour of data (observations, or forecasts): how far we can
    see that a condition has cleared."""
    if not stations:
        return {}
    table, col = (
        ("analytics.temperature_forecast", "target_at") if forecast else ("processed_data.observations", "observed_at")
    )
    rows = conn.execute(
        f"SELECT s, (SELECT max({col}) FROM {table} WHERE station_code = s) + interval '1 hour' "
        "FROM unnest(%s::text[]) s",
        (stations,),
    ).fetchall()
    return {s: t for s, t in rows if t is not None}
