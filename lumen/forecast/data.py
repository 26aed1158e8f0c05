"""What the forecast reads from processed_data: hourly observations and station places."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import psycopg

from lumen.forecast.features import OBSERVED, STATION


def observations(conn: psycopg.Connection, start: datetime, end: datetime, stations: list[str] | None = None
                 ) -> pd.DataFrame:  # fmt: skip
    """Hourly rows in the UTC window [start, end), for the stations asked (default: all)."""
    cur = conn.execute(
        f"SELECT station_code, observed_at, {', '.join(OBSERVED)} FROM processed_data.observations "
        "WHERE observed_at >= %s AND observed_at < %s AND (%s::text[] IS NULL OR station_code = ANY(%s::text[])) "
        "ORDER BY station_code, observed_at",
        (start, end, stations, stations),
    )
    frame = pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])
    frame["observed_at"] = pd.to_datetime(frame["observed_at"], utc=True)
    return frame.astype({c: "float64" for c in OBSERVED})


def stations(conn: psycopg.Connection) -> pd.DataFrame:
    cur = conn.execute(f"SELECT station_code, {', '.join(STATION)} FROM processed_data.stations")
    return pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description]).astype(
        {c: "float64" for c in STATION}
    )
