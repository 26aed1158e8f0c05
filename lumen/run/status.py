"""What the database holds and how the runs went, for `lumen status` and the demo: the ops.* and catalog
SQL behind them (the CLI only prints)."""

from __future__ import annotations

import psycopg

from lumen.db import one

SCHEMAS = ("raw_data", "processed_data", "analytics", "ops")


def table_counts(conn: psycopg.Connection) -> list[tuple[str, str, str, int | None]]:
    """(schema, name, kind, rows) for every table and view in LÚMEN's schemas: exact counts of
    tables; None for views (counting one re-runs its query over tables already counted, e.g.
    processed_data.observations_to_validate is all of observations)."""
    rels = conn.execute(
        """
        SELECT n.nspname, c.relname, CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'matview'
               ELSE 'table' END
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY(%s) AND c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition
        ORDER BY 1, 2
        """,
        (list(SCHEMAS),),
    ).fetchall()
    out = []
    for schema, name, kind in rels:
        rows = None
        if kind != "view":
            rows = int(one(conn.execute(f'SELECT count(*) FROM "{schema}"."{name}"'))[0])
        out.append((schema, name, kind, rows))
    return out


def latest_run(conn: psycopg.Connection) -> list[tuple]:
    """The newest pipeline run's steps: (run_id, step, status, rows_out, notebook, error or warning)."""
    if one(conn.execute("SELECT to_regclass('ops.step_runs')"))[0] is None:
        return []
    return conn.execute(
        "SELECT run_id, step, status, rows_out, notebook_path, coalesce(error, 'warning: ' || warning) "
        "FROM ops.step_runs "
        "WHERE run_id = (SELECT run_id FROM ops.step_runs ORDER BY started_at DESC LIMIT 1) ORDER BY started_at"
    ).fetchall()


def lock_state(conn: psycopg.Connection) -> str:
    """Who holds the pipeline run lock, since when, and whether a step of it is running now."""
    if one(conn.execute("SELECT to_regclass('ops.run_lock')"))[0] is None:
        return "run lock: free"
    from lumen.run.lock import lock_holder

    holder, since, running = lock_holder(conn)
    if holder is None:
        return "run lock: free"
    doing = "a step is running" if running else "between steps (`lumen unlock` frees it if that run died)"
    return f"run lock: held by {holder} since {since:%Y-%m-%d %H:%M:%S} UTC, {doing}"


def alert_state(conn: psycopg.Connection) -> str | None:
    """Open alert episodes and the outbox: what is waiting to be sent or gave up, with the last error."""
    if one(conn.execute("SELECT to_regclass('ops.alert_deliveries')"))[0] is None:
        return None
    opened = one(conn.execute("SELECT count(*) FROM analytics.alert_events WHERE status = 'open'"))[0]
    pending, failed, error = one(
        conn.execute(
            "SELECT count(*) FILTER (WHERE status = 'pending'), count(*) FILTER (WHERE status = 'failed'), "
            "(array_agg(last_error ORDER BY delivery_id DESC) "
            "FILTER (WHERE status <> 'sent' AND last_error IS NOT NULL))[1] FROM ops.alert_deliveries"
        )
    )
    line = f"alerts: {opened} open episode(s) (`lumen alerts list --open`)"
    if pending or failed:
        line += f"; alert messages: {pending} pending, {failed} failed, last error: {error}"
        line += " (`lumen alerts list --deliveries`)"
    return line


def station_state(conn: psycopg.Connection) -> list[str]:
    """One line per station whose record is not usable whole: held (rows kept in raw_data) or a field not used."""
    from lumen.clean.station_checks import FIX, HELD
    from lumen.clean.stations import open_issues

    lines = []
    for code, issues in open_issues(conn).items():
        fields = ", ".join(f"{f} {repr(v) if (v or '').strip() else 'empty'}" for f, v, _ in issues)
        if any(a == HELD for _, _, a in issues):
            lines.append(f"  {code} held (its rows stay in raw_data): {fields}")
        else:
            lines.append(f"  {code}: {fields} not used")
    return ([f"station records with problems ({FIX}):", *lines]) if lines else []
