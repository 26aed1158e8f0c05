"""The bench's analytics figures: dbt's full rebuild of the year, and the plpgsql refresh it replaced."""

from __future__ import annotations

import time
from dataclasses import replace

import psycopg
from psycopg import sql
from pydantic import SecretStr

from lumen.db import engine as dbc
from lumen.run.database import migrate


def measure_analytics(settings, url: str, bench_db: str) -> dict:
    """The analytics of the year: dbt's full rebuild (`dbt build --full-refresh`, start-up, parse and
    tests included), dbt's start-up alone, and — in the same run, for the ratio — the plpgsql
    analytics.refresh() that dbt replaced, on a copy of processed_data in a database left at V012."""
    from lumen.publish import analytics

    start = time.perf_counter()
    built = analytics.build(settings, full_refresh=True)
    rebuild = time.perf_counter() - start
    start = time.perf_counter()
    analytics.run_dbt(["--version"], settings)
    startup = time.perf_counter() - start
    old_db = f"{bench_db}_v012"
    admin = dbc.admin_conn(settings)
    with psycopg.connect(replace(admin, dbname="postgres").url(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(old_db)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(old_db)))
    old_url = replace(admin, dbname=old_db).url()
    migrate(settings.model_copy(update={"database_url": SecretStr(old_url)}), up_to=12)
    with psycopg.connect(url) as src, psycopg.connect(old_url) as dst:
        for table in ("processed_data.stations", "processed_data.observations"):
            with (
                src.cursor().copy(f"COPY {table} TO STDOUT (FORMAT binary)") as out,
                dst.cursor().copy(f"COPY {table} FROM STDIN (FORMAT binary)") as into,
            ):
                for chunk in out:
                    into.write(chunk)
        dst.commit()
        dst.execute("ANALYZE processed_data.observations")
        dst.commit()
        start = time.perf_counter()
        dst.execute("SELECT * FROM analytics.refresh()").fetchall()
        dst.commit()
        plpgsql = time.perf_counter() - start
    with psycopg.connect(replace(admin, dbname="postgres").url(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(old_db)))
    return {
        "full_analytics_rebuild_s": rebuild,
        "dbt_startup_s": startup,
        "plpgsql_refresh_s": plpgsql,
        "analytics_rows": built.models,
    }
