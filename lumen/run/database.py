"""`lumen db migrate` / `db start` as a whole: the migrator (lumen/db/migrate.py), then what the schema
cannot do by itself — each station's time zone after an upgrade (the clean step's station function)
and dbt's analytics models when one is missing. Storage stays below the steps: it never imports them.
"""

from __future__ import annotations

from pathlib import Path

import psycopg

from lumen.config import Settings, get_settings
from lumen.db import migrate as migrator
from lumen.db.migrate import SQL_DIR, Migration


def migrate(settings: Settings | None = None, directory: Path = SQL_DIR, up_to: int | None = None) -> list[Migration]:
    """Apply pending migrations and settle what they leave to Python and dbt; returns what ran."""
    settings = settings or get_settings()
    ran = migrator.migrate(settings, directory, up_to, upgraded=derive_station_zones)
    if up_to is None:  # an older release's schema (up_to) would have had its own dbt project: build none
        from lumen.publish import analytics  # dbt's models, built as the pipeline role once it can log in

        analytics.ensure_built(settings)
    return ran


def derive_station_zones(conn: psycopg.Connection) -> None:
    """After an upgrade: each station's time zone (computed in Python, so no SQL file can set it), and
    the local dates of its rows derived again, by the same function the clean step runs."""
    has_zones = conn.execute(
        "SELECT 1 FROM information_schema.columns WHERE table_schema = 'processed_data' "
        "AND table_name = 'stations' AND column_name = 'time_zone'"
    ).fetchone()
    if has_zones:
        from lumen.clean.stations import clean_stations

        with conn.transaction():
            clean_stations(conn, "migrate")
