"""What is in the database: per-schema tables and row counts, for `lumen status` and the demo."""

from __future__ import annotations

from rich.table import Table

from lumen.cli.common import console
from lumen.config import Settings
from lumen.db import engine as dbc
from lumen.db import migrate as migrations

SCHEMAS = ("raw_data", "processed_data", "analytics", "ops")


def table_counts(conn) -> list[tuple[str, str, str, int | None]]:
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
            rows = int(conn.execute(f'SELECT count(*) FROM "{schema}"."{name}"').fetchone()[0])  # noqa: S608
        out.append((schema, name, kind, rows))
    return out


def latest_run(conn) -> list[tuple]:
    """The newest pipeline run's steps: (run_id, step, status, rows_out, notebook, error or warning)."""
    if conn.execute("SELECT to_regclass('ops.step_runs')").fetchone()[0] is None:
        return []
    return conn.execute(
        "SELECT run_id, step, status, rows_out, notebook_path, coalesce(error, 'warning: ' || warning) "
        "FROM ops.step_runs "
        "WHERE run_id = (SELECT run_id FROM ops.step_runs ORDER BY started_at DESC LIMIT 1) ORDER BY started_at"
    ).fetchall()


def lock_state(conn) -> str:
    """Who holds the pipeline run lock, since when, and whether a step of it is running now."""
    if conn.execute("SELECT to_regclass('ops.run_lock')").fetchone()[0] is None:
        return "run lock: free"
    from lumen.run.lock import lock_holder

    holder, since, running = lock_holder(conn)
    if holder is None:
        return "run lock: free"
    doing = "a step is running" if running else "between steps (`lumen unlock` frees it if that run died)"
    return f"run lock: held by {holder} since {since:%Y-%m-%d %H:%M:%S} UTC, {doing}"


def alert_state(conn) -> str | None:
    """Open alert episodes and the outbox: what is waiting to be sent or gave up, with the last error."""
    if conn.execute("SELECT to_regclass('ops.alert_deliveries')").fetchone()[0] is None:
        return None
    opened = conn.execute("SELECT count(*) FROM analytics.alert_events WHERE status = 'open'").fetchone()[0]
    pending, failed, error = conn.execute(
        "SELECT count(*) FILTER (WHERE status = 'pending'), count(*) FILTER (WHERE status = 'failed'), "
        "(array_agg(last_error ORDER BY delivery_id DESC) FILTER (WHERE status <> 'sent' AND last_error IS NOT NULL))"
        "[1] FROM ops.alert_deliveries"
    ).fetchone()
    line = f"alerts: {opened} open episode(s) (`lumen alerts list --open`)"
    if pending or failed:
        line += f"; alert messages: {pending} pending, {failed} failed, last error: {error}"
        line += " (`lumen alerts list --deliveries`)"
    return line


def station_state(conn) -> list[str]:
    """One line per station whose record is not usable whole: held (rows kept in raw_data) or a field not used."""
    from lumen.station_checks import FIX, HELD
    from lumen.stations import open_issues

    lines = []
    for code, issues in open_issues(conn).items():
        fields = ", ".join(f"{f} {repr(v) if (v or '').strip() else 'empty'}" for f, v, _ in issues)
        if any(a == HELD for _, _, a in issues):
            lines.append(f"  {code} held (its rows stay in raw_data): {fields}")
        else:
            lines.append(f"  {code}: {fields} not used")
    return ([f"station records with problems ({FIX}):", *lines]) if lines else []


def print_summary(settings: Settings) -> None:
    admin = dbc.admin_conn(settings)
    with dbc.connect("admin", settings) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        done = migrations.applied(conn)
        counts = table_counts(conn)
        steps = latest_run(conn)
        lock = lock_state(conn)
        alerts = alert_state(conn)
        stations = station_state(conn)
    console.print(f"[bold]LÚMEN[/bold] database {dbc.redact(admin)} (PostgreSQL {version}, {admin.source})")
    console.print(f"migrations applied: {len(done)} of {len(migrations.discover())}")
    table = Table("schema", "relation", "kind", "rows")
    for schema, name, kind, rows in counts:
        table.add_row(schema, name, kind, "—" if rows is None else f"{rows:,}")
    console.print(table)
    if steps:
        console.print(f"latest run {steps[0][0]}:")
        for _, step, status, rows, notebook, error in steps:
            console.print(f"  {step:<9} {status:<10} {rows if rows is not None else '':>8}  {notebook}")
            if error:
                console.print(f"            {error.splitlines()[0]}")
    console.print(lock)
    for line in stations:
        console.print(line)
    if alerts:
        console.print(alerts)
    from lumen.forecast.tracking import answers

    state = "answering" if answers(settings.mlflow_uri, timeout_s=2) else "not answering (`lumen mlflow start`)"
    console.print(f"MLflow (runs, models, the forecast champion): {settings.mlflow_uri} — {state}")
    docs = settings.root / "expectations" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    if docs.exists():
        console.print(f"Data Docs: {docs}")
    console.print(
        "next: `make up` starts Mage (http://127.0.0.1:6789, login from .env) and the hourly schedule; "
        "`make lab` opens JupyterLab on these schemas"
    )
