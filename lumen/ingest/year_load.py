"""A year that raw_data has no rows of yet, loaded whole: the fast path of a backfill.

The year's station CSVs are split by station into a few parts, loaded side by side, each
by its own connection into a table of its own: COPY FREEZE with no index to keep up, then
the key built once (one sort instead of millions of insertions). Only when every part is
in does one transaction make them the year's partition of raw_data.inmet_observations:
the year appears whole or not at all. Any failure drops the parts, and the caller loads
the same files one by one, which names the bad input and keeps the files before it.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from contextlib import ExitStack

import psycopg
from psycopg.copy import LibpqWriter

from lumen.db import one
from lumen.errors import LumenError
from lumen.ingest.batches import LoadStats, copy_sql, record_loads, upsert_archive_station
from lumen.ingest.prepared import Job, Prepared, prefetched

log = logging.getLogger(__name__)
# parts loaded side by side: one more than the cores (while one part waits for rows or builds
# its key, the others keep the cores busy: 3 parts load a year ~8% faster than 2 on 2 cores)
PARTS = min(4, (os.cpu_count() or 1) + 1)
_LOCK = "SELECT pg_try_advisory_lock(hashtext('lumen raw_data year load'), %s)"
_UNLOCK = "SELECT pg_advisory_unlock(hashtext('lumen raw_data year load'), %s)"


class _Stopped(LumenError):
    """This part cannot go on (another part failed, or the year got rows meanwhile)."""


def split(jobs: list[Job], parts: int = PARTS) -> tuple[list[str], list[list[Job]]]:
    """Jobs split into up to `parts` groups by station code, about as many files each; returns
    the inner limits between the groups (a group holds codes from its limit to the next)."""
    code_of = {job.load_id: job.file.code() or "" for job in jobs}
    codes = sorted(set(code_of.values()))
    n = max(1, min(parts, len(codes)))
    bounds = [codes[len(codes) * i // n] for i in range(1, n)]
    groups: list[list[Job]] = [[] for _ in range(n)]
    for job in jobs:
        groups[sum(code_of[job.load_id] >= b for b in bounds)].append(job)
    return bounds, groups


def load_new_year(
    conn: psycopg.Connection, year: int, jobs: list[Job], run_id: str, report: Callable[[Prepared, LoadStats], None]
) -> tuple[list[LoadStats] | None, str]:
    """(stats per file, ""), or (None, why) when the files must go one by one: the year already
    has a partition (why is ""), another load of the year is running, or this path failed (its
    parts are dropped then; why says so, and the caller shows it as a warning)."""
    with conn.transaction():
        if one(conn.execute("SELECT to_regclass(%s)", [f"raw_data.inmet_observations_{year}"]))[0]:
            return None, ""  # the year has rows: file by file (no connections opened to learn it)
        if not one(conn.execute(_LOCK, [year]))[0]:
            return None, f"{year}: another load of this year is running, so its files were loaded one by one"
    try:
        bounds, groups = split(jobs)
        stop = threading.Event()
        with ThreadPoolExecutor(len(groups), thread_name_prefix="lumen-year") as pool:
            futures = [
                pool.submit(_load_part, conn, year, i, bounds, group, stop, report) for i, group in enumerate(groups)
            ]
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            if any(f.exception() for f in done):
                stop.set()
            parts = [f.result() for f in futures]  # raises the first failure
        loaded = {p.job.load_id: (p, s) for part in parts for p, s in part}
        with conn.transaction():
            kept = [p for p, s in loaded.values() if not (s.refused or s.skipped)]
            for prepared in kept:
                assert prepared.header is not None
                upsert_archive_station(conn, prepared.header, prepared.origin, run_id)
            record_loads(conn, [(p.job.load_id, "archive", p.origin, run_id) for p in kept])
            conn.execute("SELECT raw_data.finish_year_load(%s, %s)", [year, bounds])
        return [loaded[job.load_id][1] for job in jobs], ""
    except (LumenError, psycopg.Error) as exc:
        why = f"{year}: the whole-year load failed ({str(exc).splitlines()[0]}), so its files were loaded one by one"
        log.warning("%s", why)
        with conn.transaction():
            conn.execute("SELECT raw_data.abandon_year_load(%s)", [year])
        return None, why
    finally:
        with conn.transaction():
            conn.execute(_UNLOCK, [year])


def _load_part(
    conn: psycopg.Connection,
    year: int,
    part: int,
    bounds: list[str],
    jobs: list[Job],
    stop: threading.Event,
    report: Callable[[Prepared, LoadStats], None],
) -> list[tuple[Prepared, LoadStats]]:
    """One part, on a connection of its own, in one transaction: its table, its rows, its key."""
    lo = bounds[part - 1] if part > 0 else None
    hi = bounds[part] if part < len(bounds) else None
    out: list[tuple[Prepared, LoadStats]] = []
    with psycopg.connect(conn.info.dsn, password=conn.info.password) as own, own.transaction():
        table = one(own.execute("SELECT raw_data.begin_year_part(%s, %s, %s, %s)", [year, part, lo, hi]))[0]
        if table is None:
            raise _Stopped(f"{year} got a partition meanwhile (rows loaded by another session)")
        with ExitStack() as segment:  # one COPY for the files that share columns and encoding
            copy, shape = None, None
            for prepared in prefetched(jobs):
                if stop.is_set():
                    raise _Stopped("stopped: another part of the year failed")
                if (verdict := prepared.verdict()) is not None:  # a file that cannot be read: refused alone
                    out.append((prepared, verdict))
                    report(prepared, verdict)
                    continue
                header = prepared.checked()
                if (prepared.columns(), header.encoding) != shape:
                    segment.close()
                    shape = (prepared.columns(), header.encoding)
                    cur = own.cursor()  # a writer that waits for the server: memory stays at the files read ahead
                    statement = copy_sql(table, *shape, freeze=True)  # the table is this transaction's own
                    copy = segment.enter_context(cur.copy(statement, writer=LibpqWriter(cur)))
                stats = LoadStats(header.station_code, prepared.origin, new=prepared.rows)
                assert copy is not None  # set above for this file's shape
                for chunk in prepared.chunks:
                    copy.write(chunk)
                prepared.chunks.clear()  # kept for its header only: memory holds the files read ahead, no more
                out.append((prepared, stats))
                report(prepared, stats)
        own.execute("SELECT raw_data.index_year_part(%s, %s)", [year, part])
    return out
