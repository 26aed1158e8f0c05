"""The pipeline run lock: one run writes at a time.

ops.run_lock names the run that holds it across its steps (each step is a process of its
own); the step running now also holds a session advisory lock, which dies with its session:
a step killed with SIGKILL (or a dead connection) frees it at once. Between two steps of a
run nothing holds the advisory lock: the row's heartbeat, set when a step ends, keeps the
run's place for LUMEN_LOCK_GAP_S (Settings.lock_gap_s), then the next run may take over.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime

from lumen.errors import LumenError


class LockError(LumenError):
    """Another run holds the lock and did not let go in time."""


LOCK_KEY = 0x4C554D52  # "LUMR"


def lock_holder(conn) -> tuple[str | None, datetime | None, bool]:
    """(run, since, a step of it is running now) — what `lumen status` shows."""
    holder, since = conn.execute("SELECT run_id, acquired_at FROM ops.run_lock WHERE singleton").fetchone()
    running = conn.execute(  # a bigint advisory key shows as classid (high half), objid (low half)
        "SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = %s AND l.objsubid = 1 "
        "AND d.datname = current_database())",
        (LOCK_KEY,),
    ).fetchone()[0]
    return holder, since, running


def acquire_lock(conn, run_id: str, wait_s: float, gap_s: float = 120.0) -> None:
    """Hold the run lock for `run_id` (re-entrant for the same run); wait up to `wait_s` for another run,
    which keeps its place between two of its steps for `gap_s`.
    `conn` must be autocommit and stay open while the step runs (the advisory lock is its session's)."""
    deadline = time.monotonic() + wait_s
    said = False
    while True:
        if conn.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()[0]:
            with conn.transaction():
                holder, beat, since = conn.execute(
                    "SELECT run_id, heartbeat_at, acquired_at FROM ops.run_lock WHERE singleton FOR UPDATE"
                ).fetchone()
                between_steps = beat is not None and (datetime.now(UTC) - beat).total_seconds() <= gap_s
                # free, ours, its step was killed (running, yet nobody holds the advisory lock), or gone too long
                if holder in (None, run_id) or _died_mid_step(conn, holder) or not between_steps:
                    conn.execute(
                        "UPDATE ops.run_lock SET run_id = %s, heartbeat_at = now(), "
                        "acquired_at = CASE WHEN run_id IS DISTINCT FROM %s THEN now() ELSE acquired_at END",
                        (run_id, run_id),
                    )
                    return
            conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))  # that run is between two steps
        else:
            holder, since, _ = lock_holder(conn)
        if time.monotonic() >= deadline:
            raise LockError(
                f"another pipeline run ({holder}, holding the lock since {_when(since)}) is writing; "
                f"this run ({run_id}) stopped after waiting {wait_s:g} s — try again when it has finished, "
                "or `lumen unlock` if it is dead"
            )
        if not said:
            print(
                f"waiting for pipeline run {holder} (holding the lock since {_when(since)})",
                file=sys.stderr,
                flush=True,
            )
            said = True
        time.sleep(1.0)


def _when(moment: datetime | None) -> str:
    """A lock's start, for people (None: it is being taken this very moment)."""
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC" if moment else "a moment ago"


def _died_mid_step(conn, holder: str) -> bool:
    """The holder's newest step is still 'running' while nobody holds the advisory lock: its process
    died (SIGKILL, a lost connection). That step is marked failed; True."""
    row = conn.execute(
        "UPDATE ops.step_runs SET status = 'failed', finished_at = now(), "
        "error = 'the step''s process died (its database session ended) before it finished' "
        "WHERE id = (SELECT max(id) FROM ops.step_runs WHERE run_id = %s) AND status = 'running' RETURNING id",
        (holder,),
    ).fetchone()
    return row is not None


def beat_lock(conn, run_id: str) -> None:
    """A step of `run_id` ended: its run keeps the lock for LUMEN_LOCK_GAP_S, until its next step starts."""
    conn.execute("UPDATE ops.run_lock SET heartbeat_at = now() WHERE run_id = %s", (run_id,))


def release_lock(conn, run_id: str | None = None) -> str | None:
    """Free the run lock (of `run_id`, or whoever holds it: `lumen unlock`). Returns the run that held it."""
    with conn.transaction():
        row = conn.execute(
            "UPDATE ops.run_lock l SET run_id = NULL, acquired_at = NULL, heartbeat_at = NULL "
            "FROM (SELECT run_id FROM ops.run_lock WHERE singleton FOR UPDATE) old "
            "WHERE l.singleton AND (%(run)s::text IS NULL OR l.run_id = %(run)s) RETURNING old.run_id",
            {"run": run_id},
        ).fetchone()
    return row[0] if row else None
