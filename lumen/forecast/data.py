"""What the forecast reads from processed_data: hourly observations and station places."""

from __future__ import annotations

import io
from datetime import datetime

import pandas as pd
import psycopg
from psycopg import sql

from lumen.db import one
from lumen.forecast.features import OBSERVED, STATION


def observations(
    conn: psycopg.Connection, start: datetime, end: datetime, stations: list[str] | None = None
) -> pd.DataFrame:
    """Hourly rows in the UTC window [start, end), for the stations asked (default: all).

    Read with COPY … TO STDOUT as CSV into pandas' parser: a year of 600 stations fetched as Python
    tuples held ~2.5 GB of objects at once; the CSV stream is a fraction of that."""
    query = sql.SQL(
        "COPY (SELECT station_code, "
        "to_char(observed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') AS observed_at, {cols} "
        "FROM processed_data.observations WHERE observed_at >= {lo} AND observed_at < {hi} "
        "AND ({codes}::text[] IS NULL OR station_code = ANY({codes}::text[])) ORDER BY station_code, observed_at) "
        "TO STDOUT WITH (FORMAT csv, HEADER)"
    ).format(
        cols=sql.SQL(", ").join(map(sql.Identifier, OBSERVED)),
        lo=sql.Literal(start),
        hi=sql.Literal(end),
        codes=sql.Literal(stations),
    )
    buffer = io.BytesIO()
    with conn.cursor() as cur, cur.copy(query) as copy:
        for block in copy:
            buffer.write(block)
    buffer.seek(0)
    # float32: INMET's values carry 3 significant digits at most, and every frame built from these
    # (grid, features, splits) is then half the size
    frame = pd.read_csv(buffer, dtype={"station_code": str, **{c: "float32" for c in OBSERVED}})
    frame["observed_at"] = pd.to_datetime(frame["observed_at"], format="%Y-%m-%dT%H:%M:%S", utc=True)
    return frame


def incomplete_days(conn: psycopg.Connection, start: datetime, end: datetime) -> pd.DataFrame | None:
    """The UTC spans [day_start, day_end) of the local days the daily summary holds without a mean air
    temperature (they fail its completeness rule), for the window; None before analytics are built.
    A day it does not hold yet (not published) is not known to be incomplete."""
    if one(conn.execute("SELECT to_regclass('analytics.daily_station_summary')"))[0] is None:
        return None
    rows = conn.execute(
        "SELECT d.station_code, (d.local_date::timestamp AT TIME ZONE s.time_zone) AS day_start, "
        "((d.local_date + 1)::timestamp AT TIME ZONE s.time_zone) AS day_end "
        "FROM analytics.daily_station_summary d JOIN processed_data.stations s USING (station_code) "
        "WHERE d.air_temp_mean_c IS NULL AND d.local_date BETWEEN (%s::timestamptz AT TIME ZONE 'UTC')::date - 1 "
        "AND (%s::timestamptz AT TIME ZONE 'UTC')::date + 1",
        (start, end),
    ).fetchall()
    frame = pd.DataFrame(rows, columns=["station_code", "day_start", "day_end"])
    for col in ("day_start", "day_end"):
        frame[col] = pd.to_datetime(frame[col], utc=True).astype("datetime64[ns, UTC]")
    return frame


def stations(conn: psycopg.Connection) -> pd.DataFrame:
    cur = conn.execute(f"SELECT station_code, {', '.join(STATION)} FROM processed_data.stations")
    return pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description or ()]).astype(
        {c: "float64" for c in STATION}
    )
