"""The analytics layer: the dbt project in `dbt/`, run as the pipeline role.

One function builds it for every caller (the publish step, `lumen db migrate`, `lumen dbt`):
dbt runs in its own process with the connection in its environment (the password as a
`DBT_ENV_SECRET_` variable, which dbt scrubs from its logs), its target/ and logs/ under
`.lumen/dbt/` (partial parsing keeps its start-up short), and the run's window as
LUMEN_WINDOW_START/END. Success is dbt's exit code *and* its run_results.json: every model
and test that did not pass is named in the error.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import psycopg

from lumen.config import Settings, get_settings
from lumen.db.engine import one, role_conn
from lumen.errors import LumenError

PACKAGE_DBT_DIR = Path(__file__).resolve().parents[2] / "dbt"  # lumen/publish/ → the checkout


class AnalyticsError(LumenError):
    """dbt could not build or test the analytics layer."""


@dataclass
class DbtResult:
    seconds: float
    models: dict[str, int | None] = field(default_factory=dict)  # model → rows written (None: a view)
    tests_passed: int = 0
    problems: list[str] = field(default_factory=list)  # models and tests that did not pass

    def line(self) -> str:
        written = ", ".join(f"{m} {n:,} rows" for m, n in self.models.items() if n is not None)
        return f"dbt built {len(self.models)} models ({written}); {self.tests_passed} tests passed"


def project_dir(settings: Settings | None = None) -> Path:
    """The dbt project: the project home's `dbt/`, else the one beside this package."""
    settings = settings or get_settings()
    here = settings.root / "dbt"
    return here if (here / "dbt_project.yml").exists() else PACKAGE_DBT_DIR


def state_dir(settings: Settings | None = None) -> Path:
    return (settings or get_settings()).lumen_dir / "dbt"


def models(settings: Settings | None = None) -> list[str]:
    """The relations dbt builds in the analytics schema (one file each in models/marts)."""
    return sorted(p.stem for p in (project_dir(settings) / "models" / "marts").glob("*.sql"))


def dbt_env(settings: Settings, start: str = "", end: str = "") -> dict[str, str]:
    """dbt's environment: the pipeline role's connection, dbt's folders, and the run's window."""
    conn = role_conn("pipeline", settings)
    state = state_dir(settings)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LUMEN_DBT_", "DBT_"))}
    env.update(
        LUMEN_DBT_HOST=conn.host or "localhost",
        LUMEN_DBT_PORT=str(conn.port or 5432),
        LUMEN_DBT_USER=conn.user,
        LUMEN_DBT_DBNAME=conn.dbname,
        DBT_ENV_SECRET_LUMEN_PASSWORD=conn.password or "",
        DBT_PROFILES_DIR=str(project_dir(settings)),
        DBT_TARGET_PATH=str(state / "target"),
        DBT_LOG_PATH=str(state / "logs"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DBT_VERSION_CHECK="false",
        DBT_USE_COLORS="false",
        DBT_PARTIAL_PARSE="true",
        LUMEN_WINDOW_START=start,
        LUMEN_WINDOW_END=end,
    )
    return env


def dbt_command() -> list[str]:
    """dbt of this environment, through lumen.publish.dbt_cli (same CLI, faster start)."""
    return [sys.executable, "-m", "lumen.publish.dbt_cli"]


def run_dbt(
    args: list[str], settings: Settings | None = None, start: str = "", end: str = "", capture: bool = True
) -> subprocess.CompletedProcess:
    """`dbt <args>` in the project, as the pipeline role (what `lumen dbt …` runs)."""
    settings = settings or get_settings()
    return subprocess.run(
        [*dbt_command(), *args],
        cwd=project_dir(settings),
        env=dbt_env(settings, start, end),
        capture_output=capture,
        text=True,
        check=False,
    )


def build(
    settings: Settings | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    full_refresh: bool = False,
) -> DbtResult:
    """`dbt build` for the UTC window [start, end) (none: all of history); raises AnalyticsError naming
    every model and test that failed."""
    settings = settings or get_settings()
    t0 = time.monotonic()
    results_file = state_dir(settings) / "target" / "run_results.json"
    results_file.unlink(missing_ok=True)
    # the models' unit tests (fixed inputs, no data) run in `make test`, not in every publish
    args = ["build", "--exclude-resource-type", "unit_test", *(["--full-refresh"] if full_refresh else [])]
    done = run_dbt(args, settings, start.isoformat() if start else "", end.isoformat() if end else "")
    result = _read_results(results_file, time.monotonic() - t0)
    if done.returncode != 0 or result.problems:
        log = state_dir(settings) / "logs" / "dbt.log"
        what = "; ".join(result.problems) or _last_error(done.stdout + done.stderr)
        raise AnalyticsError(
            f"dbt build failed: {what} — fix the data or the model named, then publish again (dbt's log: {log})"
        )
    return result


def _read_results(path: Path, seconds: float) -> DbtResult:
    result = DbtResult(seconds=round(seconds, 2))
    if not path.exists():
        return result
    for node in json.loads(path.read_text(encoding="utf-8")).get("results", []):
        kind, name = node["unique_id"].split(".")[0], node["unique_id"].split(".")[2]  # type.package.name[.hash]
        status = node["status"]
        if kind == "model" and status == "success":
            rows = (node.get("adapter_response") or {}).get("rows_affected")
            result.models[name] = rows if isinstance(rows, int) and rows >= 0 else None
        elif kind == "test" and status == "pass":
            result.tests_passed += 1
        elif kind == "test" and status == "fail":
            result.problems.append(f"test {name} failed on {node.get('failures')} rows")
        elif status in ("error", "runtime error"):
            lines = [ln.strip() for ln in (node.get("message") or status).strip().splitlines()]
            message = " ".join(ln for ln in lines[:3] if not ln.startswith(("compiled code", "LINE ", "^")))
            result.problems.append(f"{kind} {name} error: {message}")
    return result


def _last_error(output: str) -> str:
    """What dbt said went wrong when it stopped before running anything (parse or connection errors)."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    if "Encountered an error:" in lines:  # dbt's own summary of a stop: the few lines after it
        after = lines[lines.index("Encountered an error:") + 1 :]
        return " ".join(ln for ln in after[:4] if not set(ln) <= set("-| "))[:400]
    errors = [ln for ln in lines if "error" in ln.lower()]
    return (errors or lines or ["no output"])[-1][:400]


def pending_rebuild(conn: psycopg.Connection) -> datetime | None:
    """When a rebuild from all of history was last asked for (a station's zone changed), if one waits."""
    return one(conn.execute("SELECT max(requested_at) FROM ops.analytics_rebuild"))[0]


def missing_models(conn: psycopg.Connection, settings: Settings | None = None) -> list[str]:
    rows = conn.execute(
        "SELECT m FROM unnest(%s::text[]) m WHERE to_regclass('analytics.' || quote_ident(m)) IS NULL ORDER BY m",
        (models(settings),),
    ).fetchall()
    return [m for (m,) in rows]


def publish(
    settings: Settings | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    asked: datetime | None = None,
) -> DbtResult:
    """Build the analytics for the window — or from all of history when a rebuild waits (`asked`, read
    here unless the caller already did) — and clear the requests that build answered."""
    from lumen.db import connect

    settings = settings or get_settings()
    if asked is None:
        with connect("pipeline", settings) as conn:
            asked = pending_rebuild(conn)
    result = build(settings, None, None) if asked else build(settings, start, end)
    if asked:
        with connect("pipeline", settings) as conn:
            conn.execute("DELETE FROM ops.analytics_rebuild WHERE requested_at <= %s", (asked,))
            conn.commit()
    return result


def ensure_built(settings: Settings | None = None) -> DbtResult | None:
    """After migrating: build the analytics when a model is missing (a new or upgraded database) or a
    rebuild waits. Nothing to do otherwise."""
    from lumen.db import connect

    settings = settings or get_settings()
    with connect("pipeline", settings) as conn:
        if one(conn.execute("SELECT to_regclass('ops.analytics_rebuild')"))[0] is None:
            return None  # a schema from before V013: analytics were not dbt's yet
        missing, asked = missing_models(conn, settings), pending_rebuild(conn)
    return publish(settings, asked=asked) if missing or asked else None


def docs(settings: Settings | None = None) -> Path:
    """dbt's docs site (models, columns, tests, lineage) as one static page; returns its path."""
    settings = settings or get_settings()
    done = run_dbt(["docs", "generate", "--static"], settings)
    page = state_dir(settings) / "target" / "static_index.html"
    if done.returncode != 0 or not page.exists():
        raise AnalyticsError(f"dbt docs generate failed: {_last_error(done.stdout + done.stderr)}")
    out = settings.root / "reports" / "dbt_docs.html"  # beside the HTML reports: one file, opens from disk
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(page, out)
    return out
