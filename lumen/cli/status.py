"""`lumen status` (and the demo's last lines): what the database holds, printed (lumen/run/status.py reads it)."""

from __future__ import annotations

from rich.table import Table

from lumen.cli.common import console
from lumen.config import Settings
from lumen.db import engine as dbc
from lumen.db import migrate as migrations
from lumen.db import one
from lumen.run.status import alert_state, latest_run, lock_state, station_state, table_counts


def print_summary(settings: Settings) -> None:
    admin = dbc.admin_conn(settings)
    with dbc.connect("admin", settings) as conn:
        version = one(conn.execute("SHOW server_version"))[0]
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
