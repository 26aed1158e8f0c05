"""One scope for every command that writes: the run lock, a row in ops.step_runs, and how it ended.

`lumen step NAME` (the notebooks Mage launches) and the direct commands (`lumen clean`, `validate`,
`ingest`, `forecast train|predict`, `alerts evaluate`) all enter it, so one run writes at a time
whichever door it came in by, and every write is in the audit with its parameters, figures and
error. The ops.* SQL of the step audit lives here; the lock's in lock.py.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import psycopg

from lumen import vocabulary
from lumen.config import Settings
from lumen.db import connect, one
from lumen.run.lock import acquire_lock, beat_lock, release_lock


@dataclass
class Scope:
    """The run a write belongs to; the body sets `result` (figures) or `error` (its own message)."""

    run_id: str
    result: dict = field(default_factory=dict)
    error: str | None = None


def git_commit(root: Path) -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


@contextmanager
def audited(
    step: str,
    params: dict,
    settings: Settings,
    run_id: str | None = None,
    *,
    last: bool = True,
    notebook: Path | None = None,
) -> Iterator[Scope]:
    """Hold the run lock (waiting up to LUMEN_LOCK_WAIT for another run, saying for whom) and record the
    step in ops.step_runs while the body runs. `last`: release the lock after it (a direct command, or a
    run's last step); otherwise the run keeps its place for LUMEN_LOCK_GAP_S until its next step."""
    run_id = vocabulary.run_id(run_id) if run_id is not None else vocabulary.new_run_id()
    scope = Scope(run_id)
    with connect("pipeline", settings, autocommit=True) as conn:
        acquire_lock(conn, run_id, settings.lock_wait_s, settings.lock_gap_s)
        row_id = one(
            conn.execute(
                "INSERT INTO ops.step_runs (run_id, step, parameters, status, notebook_path, git_commit) "
                "VALUES (%s, %s, %s, 'running', %s, %s) RETURNING id",
                (
                    run_id,
                    step,
                    json.dumps(params, default=str),
                    str(notebook) if notebook else None,
                    git_commit(settings.root),
                ),
            )
        )[0]
        try:
            yield scope
        except BaseException as exc:
            _finish(conn, row_id, "failed", scope.result, scope.error or f"{type(exc).__name__}: {exc}"[:2000])
            release_lock(conn, run_id)
            raise
        _finish(conn, row_id, "succeeded", scope.result, None)
        if last:
            release_lock(conn, run_id)
        else:
            beat_lock(conn, run_id)


def _finish(conn: psycopg.Connection, row_id: int, status: str, result: dict, error: str | None) -> None:
    conn.execute(
        "UPDATE ops.step_runs SET status = %s, rows_in = %s, rows_out = %s, finished_at = now(), error = %s, "
        "warning = %s, result = %s WHERE id = %s",
        (
            status,
            result.get("rows_in"),
            result.get("rows_out"),
            error,
            result.get("warning") or None,
            json.dumps(result, default=str) if result else None,
            row_id,
        ),
    )


def refused_since(settings: Settings, since: datetime) -> list[str]:
    """The files this run's ingest steps refused (their steps succeeded for everything else)."""
    with connect("pipeline", settings) as conn:
        rows = conn.execute(
            "SELECT r FROM ops.step_runs, jsonb_array_elements_text(coalesce(result->'refused', '[]')) r "
            "WHERE started_at >= %s AND step = 'ingest' ORDER BY id",
            (since,),
        ).fetchall()
    return [r for (r,) in rows]


def failed_since(settings: Settings, since: datetime) -> str:
    """What ops.step_runs says of the step that failed (its own message), not Mage's traceback."""
    with connect("pipeline", settings) as conn:
        row = conn.execute(
            "SELECT step, error, notebook_path FROM ops.step_runs WHERE status = 'failed' AND started_at >= %s "
            "ORDER BY id DESC LIMIT 1",
            (since,),
        ).fetchone()
    if row is None:
        return "no step failed: a block could not start (run again with --debug for Mage's traceback)"
    step, error, notebook = row
    first = (error or "").strip().splitlines()[0] if error else "no message"
    return f"step {step}: {first} (executed notebook: {notebook})"
