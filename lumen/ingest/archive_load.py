"""Station CSVs into raw_data: a year raw_data has no rows of goes in whole (year_load),
any other file in a transaction of its own.

File by file, two ways in, chosen per file:
- **direct COPY** into the keyed table when raw_data has no row of that station in
  the file's period;
- **staging + merge** otherwise: COPY into a temporary table, then insert the new
  hours and update only the rows whose values changed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

import psycopg

from lumen.errors import LumenError
from lumen.ingest.batches import (
    OBS,
    STAGE,
    LoadStats,
    copy_file_rows,
    copy_sql,
    create_stage,
    ensure_period,
    has_rows,
    merge,
    record_loads,
    reserve_load_ids,
    upsert_archive_station,
)
from lumen.ingest.prepared import Job, Prepared, prefetched
from lumen.ingest.year_load import load_new_year
from lumen.inmet import archive

log = logging.getLogger("lumen.ingest")
Progress = Callable[[archive.ArchiveFile, LoadStats], None]


def load_archive(
    conn: psycopg.Connection, files: Iterable[archive.ArchiveFile], run_id: str, progress: Progress | None = None
) -> list[LoadStats]:
    """Load many station CSVs. Files of a year raw_data has no rows of go in together, in one
    transaction; any other file goes in its own (a year that fails whole is retried file by file).

    One bad file is that file's problem: it is refused whole (its stats say why, naming it) and
    the others load. Two files of one station holding the same hours with different values are
    both refused (which is right cannot be known). A CSV that is not an INMET station file at all
    is skipped with a warning. A lost database connection still stops everything."""
    files = list(files)
    jobs = [Job(f, load_id) for f, load_id in zip(files, reserve_load_ids(conn, len(files)), strict=True)]
    out: list[LoadStats] = []
    clashing = conflicts(jobs)
    for job in jobs:
        if job.load_id in clashing:
            out.append(LoadStats(job.file.code() or "?", job.file.origin, refused=clashing[job.load_id]))
    jobs = [job for job in jobs if job.load_id not in clashing]
    counted: set[int] = set()
    lock = threading.Lock()  # a new year's parts load (and report) from threads of their own

    def report(prepared: Prepared, stats: LoadStats) -> None:
        if stats.rows == 0 and not (stats.warnings or stats.refused or stats.skipped):
            stats.warnings.append(f"{prepared.origin}: 0 rows: header only")
            log.warning("%s", stats.warnings[-1])
        with lock:
            if progress is not None and prepared.job.load_id not in counted:  # a retried file counts once
                counted.add(prepared.job.load_id)
                progress(prepared.job.file, stats)

    for year, group in by_year(jobs).items():
        stats, fallback = load_new_year(conn, year, group, run_id, report) if year is not None else (None, "")
        if stats is None:
            stats = []
            for prepared in prefetched(group):
                stats.append(_load_one(conn, prepared, run_id))
                report(prepared, stats[-1])
            if fallback and stats:
                stats[0].warnings.append(fallback)  # the fast path's failure shows in the summary
        out += stats
    return out


def by_year(jobs: list[Job]) -> dict[int | None, list[Job]]:
    """Jobs grouped by the one year their file name covers (None: no such name, or two years)."""
    groups: dict[int | None, list[Job]] = {}
    for job in jobs:
        period = job.file.period()
        year = period[0].year if period and period[0].year == period[1].year else None
        groups.setdefault(year, []).append(job)
    return groups


def conflicts(jobs: list[Job]) -> dict[int, str]:
    """Files of one station whose hours overlap with different values: load id → why refused.

    Only stations with more than one file are read here (rarely any). Before, the later file
    silently won ("14 changed"); which of two deliveries is right cannot be known, so neither loads."""
    by_code: dict[str, list[Job]] = {}
    for job in jobs:
        if code := job.file.code():
            by_code.setdefault(code, []).append(job)
    out: dict[int, str] = {}
    for code, group in by_code.items():
        if len(group) < 2:
            continue
        hours = {job.load_id: _hours(job.file) for job in group}
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                rows_a, rows_b = hours[a.load_id], hours[b.load_id]
                differ = sorted(h for h in rows_a.keys() & rows_b.keys() if rows_a[h] != rows_b[h])
                if differ:
                    why = (
                        f"{a.file.origin} and {b.file.origin} hold {len(differ)} hour(s) of station {code} with "
                        f"different values (first {differ[0][:16]} UTC): both refused; keep the right one and "
                        "load it again"
                    )
                    out.setdefault(a.load_id, why)
                    out.setdefault(b.load_id, why)
    return out


def _hours(file: archive.ArchiveFile) -> dict[str, tuple]:
    """UTC hour → the file's measurement values (a file that cannot be read is refused later, by itself)."""
    try:
        _, rows = archive.read_records(file)
    except (LumenError, OSError, ValueError):
        return {}
    skip = ("station_code", "observed_at", "dt_medicao", "hr_medicao")
    return {r["observed_at"]: tuple(sorted((k, v) for k, v in r.items() if k not in skip)) for r in rows}


def _load_one(conn: psycopg.Connection, prepared: Prepared, run_id: str) -> LoadStats:
    """One file in its own transaction; a problem of the file refuses it alone (its stats say why)."""
    if (verdict := prepared.verdict()) is not None:
        return verdict
    try:
        return _load_prepared(conn, prepared, run_id)
    except (LumenError, psycopg.errors.DataError, psycopg.errors.IntegrityError) as exc:
        code = prepared.header.station_code if prepared.header else "?"
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        shown = message if message.startswith(prepared.origin) else f"{prepared.origin}: {message}"
        return LoadStats(code, prepared.origin, refused=shown)


def _load_prepared(conn: psycopg.Connection, prepared: Prepared, run_id: str) -> LoadStats:
    """One station CSV (and its station header) in one transaction."""
    header = prepared.checked()
    with conn.transaction():
        record_loads(conn, [(prepared.job.load_id, "archive", prepared.origin, run_id)])
        stats = _load_rows(conn, prepared, header)
        upsert_archive_station(conn, header, prepared.origin, run_id)  # last: the batch commits with it
    return stats


def _load_rows(conn: psycopg.Connection, prepared: Prepared, header: archive.Header) -> LoadStats:
    origin, period = prepared.origin, prepared.job.file.period()
    if period is not None:
        ensure_period(conn, period)
        if not has_rows(conn, "archive", header.station_code, period):
            try:
                with conn.transaction():  # savepoint: falls back to merging on a key clash or an hour out of period
                    statement = copy_sql(OBS, prepared.columns(), header.encoding)
                    new = copy_file_rows(conn, statement, iter(prepared.chunks), origin)
                    return LoadStats(header.station_code, origin, new=new)
            except (psycopg.errors.UniqueViolation, psycopg.errors.CheckViolation):
                pass  # hours already there, twice in the file, or of a year with no partition: merging tells
    create_stage(conn)
    copy_file_rows(conn, copy_sql(STAGE, prepared.columns(), header.encoding), iter(prepared.chunks), origin)
    return merge(conn, origin).get(header.station_code) or LoadStats(header.station_code, origin)
