"""Load INMET data into raw_data, exactly as received, idempotently.

One transaction per batch (a station CSV, or API answers up to 50,000 rows): a crash mid-batch
leaves nothing of that batch, and re-running it is safe.

Two ways in, chosen per batch:
- **direct COPY** into the keyed table when raw_data has no row of that station in
  the batch's period (a backfill): the fastest path PostgreSQL offers;
- **staging + merge** otherwise (hourly windows overlap): COPY into a temporary
  table, then insert the new hours and update only the rows whose values changed.
"""

from __future__ import annotations

import io
import json
import re
import secrets
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import psycopg
from psycopg import sql

from lumen.errors import LumenError
from lumen.inmet import archive
from lumen.inmet.schema import API_KEY_FIELDS, MEASUREMENT_COLUMNS, STATION_CODE

OBS = "raw_data.inmet_observations"
STATIONS = "raw_data.inmet_stations"
KEY = ("source", "station_code", "observed_at")
VALUE_COLUMNS = ("dt_medicao", "hr_medicao", *MEASUREMENT_COLUMNS, "other")
STAGE = "lumen_stage_observations"
PREFETCH_FILES = 2  # station CSVs read ahead of the one loading
API_BATCH_ROWS = 50_000  # API answers are merged together up to this many rows (a year of ~6 stations)
_OWN_COLUMN = frozenset((*API_KEY_FIELDS, *(c.upper() for c in MEASUREMENT_COLUMNS)))  # the rest goes to `other`


class IngestError(LumenError):
    """A batch could not be loaded; nothing of it was written."""


@dataclass
class LoadStats:
    station_code: str
    origin: str
    new: int = 0
    changed: int = 0
    unchanged: int = 0

    @property
    def rows(self) -> int:
        return self.new + self.changed + self.unchanged


def per_station(stats: list[LoadStats]) -> dict[str, LoadStats]:
    """Batches added up per station (a station appears once per file or API chunk)."""
    out: dict[str, LoadStats] = {}
    for s in stats:
        acc = out.setdefault(s.station_code, LoadStats(s.station_code, s.origin))
        acc.new, acc.changed, acc.unchanged = acc.new + s.new, acc.changed + s.changed, acc.unchanged + s.unchanged
    return out


def summary_line(stats: list[LoadStats]) -> str:
    stations = per_station(stats)
    new, changed, same = (sum(getattr(s, f) for s in stations.values()) for f in ("new", "changed", "unchanged"))
    return (
        f"{new + changed + same:,} rows from {len(stations)} station(s): "
        f"{new:,} new, {changed:,} changed, {same:,} unchanged"
    )


def new_run_id(now: datetime | None = None) -> str:
    """`20240101T0300Z-1a2b3c`: sortable, unique, and safe in paths."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%MZ}-{secrets.token_hex(3)}"


# ------------------------------------------------------------------ archive ----
@dataclass
class _Prepared:
    """One station CSV read and rewritten into COPY rows (or the error that stopped it)."""

    file: archive.ArchiveFile
    run_id: str
    header: archive.Header | None = None
    chunks: list[bytes] = field(default_factory=list)
    error: Exception | None = None


def _prepare(file: archive.ArchiveFile, run_id: str) -> _Prepared:
    try:
        with file.opener() as raw:
            stream = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)  # type: ignore[arg-type]
            header = archive.read_header(stream, file.origin)
            prefix = b";".join(archive.copy_escape(v, header.encoding)
                               for v in ("archive", header.station_code, file.origin, run_id)) + b";"  # fmt: skip
            return _Prepared(file, run_id, header, list(archive.copy_chunks(stream, header, prefix, file.origin)))
    except Exception as exc:  # raised when this file's turn to load comes, like a reading error would be
        return _Prepared(file, run_id, error=exc)


def load_archive_file(conn: psycopg.Connection, file: archive.ArchiveFile, run_id: str) -> LoadStats:
    """Load one station CSV (and its station header) in one transaction."""
    return _load_prepared(conn, _prepare(file, run_id))


def _load_prepared(conn: psycopg.Connection, prepared: _Prepared) -> LoadStats:
    if prepared.error is not None:
        raise prepared.error
    header, file = prepared.header, prepared.file
    assert header is not None
    with conn.transaction():
        stats = _load_rows(conn, prepared, header)
        _upsert_archive_station(conn, header, file.origin, prepared.run_id)  # last: the batch commits with it
    return stats


def _load_rows(conn: psycopg.Connection, prepared: _Prepared, header: archive.Header) -> LoadStats:
    file = prepared.file
    columns = ("source", "station_code", "origin", "run_id", "observed_at", "dt_medicao", "hr_medicao",
               *header.columns)  # fmt: skip
    if not _has_rows(conn, "archive", header.station_code, file.period()):
        try:
            with conn.transaction():  # savepoint: falls back to merging on a key clash
                new = _copy(conn, _copy_sql(OBS, columns, header.encoding), iter(prepared.chunks), file.origin)
                return LoadStats(header.station_code, file.origin, new=new)
        except psycopg.errors.UniqueViolation:
            pass  # hours already there (or twice in the file): merging tells which
    _create_stage(conn)
    _copy(conn, _copy_sql(STAGE, columns, header.encoding), iter(prepared.chunks), file.origin)
    return _merge(conn, file.origin).get(header.station_code) or LoadStats(header.station_code, file.origin)


def load_archive(
    conn: psycopg.Connection, files: Iterable[archive.ArchiveFile], run_id: str, progress=None
) -> list[LoadStats]:
    """Load many station CSVs, one transaction each; stops at the first bad file (earlier ones stay).

    A thread reads and rewrites the next PREFETCH_FILES files while the current one loads,
    so Python's work and PostgreSQL's overlap (they were taking turns). Memory holds those
    few files (a station-year is ~1.9 MB of COPY rows), whatever the number of files."""
    out: list[LoadStats] = []
    pending = iter(files)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="lumen-read") as reader:
        ahead: deque[Future[_Prepared]] = deque()

        def read_next() -> None:
            file = next(pending, None)
            if file is not None:
                ahead.append(reader.submit(_prepare, file, run_id))

        for _ in range(max(1, PREFETCH_FILES)):
            read_next()
        try:
            while ahead:
                prepared = ahead.popleft().result()
                read_next()
                out.append(_load_prepared(conn, prepared))
                if progress is not None:
                    progress(prepared.file, out[-1])
        finally:
            for future in ahead:
                future.cancel()
    return out


# ---------------------------------------------------------------------- api ----
def api_rows(records: list[dict], origin: str, run_id: str) -> Iterator[tuple]:
    """API records (every value a string or null) → raw rows; station fields and new fields go to `other`."""
    for rec in records:
        code = str(rec.get("CD_ESTACAO") or "").upper()
        day, hour = rec.get("DT_MEDICAO"), rec.get("HR_MEDICAO")
        if not STATION_CODE.match(code) or not day or not hour:
            raise IngestError(f"{origin}: a record lacks CD_ESTACAO/DT_MEDICAO/HR_MEDICAO: {json.dumps(rec)[:120]}")
        observed = _api_hour(str(day), str(hour), origin)
        measures = [_text(rec.get(col.upper())) for col in MEASUREMENT_COLUMNS]
        other = {k: v for k, v in rec.items() if k not in _OWN_COLUMN}
        yield (
            "api",
            code,
            origin,
            run_id,
            observed,
            str(day),
            str(hour),
            *measures,
            json.dumps(other) if other else None,
        )


def load_api_observations(conn: psycopg.Connection, records: list[dict], origin: str, run_id: str) -> list[LoadStats]:
    """Merge one API answer (one transaction). Returns stats per station."""
    return load_api_answers(conn, [(records, origin)], run_id)


def load_api_answers(conn: psycopg.Connection, answers: list[tuple[list[dict], str]], run_id: str) -> list[LoadStats]:
    """Merge API answers — (records, origin URL) each — in ONE transaction: one COPY, one merge.

    An hourly run gets one short answer per station (~670); a transaction each cost more
    than the rows themselves. Returns stats per station."""
    rows = [row for records, origin in answers for row in api_rows(records, origin, run_id)]
    if not rows:
        return []
    origins = {row[1]: row[2] for row in rows}
    columns = ("source", "station_code", "origin", "run_id", "observed_at", *VALUE_COLUMNS)
    with conn.transaction():
        _create_stage(conn)
        with conn.cursor().copy(
            sql.SQL("COPY {} ({}) FROM STDIN").format(
                sql.Identifier(STAGE), sql.SQL(", ").join(map(sql.Identifier, columns))
            )
        ) as copy:
            for row in rows:
                copy.write_row(row)
        label = answers[0][1] if len(answers) == 1 else f"{len(answers)} API answers"
        stats = list(_merge(conn, label).values())
    for s in stats:
        s.origin = origins.get(s.station_code, s.origin)
    return stats


def _api_hour(day: str, hour: str, origin: str) -> datetime:
    try:
        hhmm = hour.strip().replace(":", "").replace(" UTC", "").zfill(4)
        return datetime.strptime(f"{day.strip()[:10]} {hhmm}", "%Y-%m-%d %H%M").replace(tzinfo=UTC)
    except ValueError:
        raise IngestError(f"{origin}: unreadable DT_MEDICAO/HR_MEDICAO {day!r} {hour!r}") from None


def _text(value) -> str | None:
    return None if value is None else str(value)


def load_api_stations(conn: psycopg.Connection, stations: list[dict], origin: str, run_id: str) -> int:
    """Upsert an `/estacoes/T|M` answer; returns how many rows were new or changed."""
    rows = []
    for st in stations:
        code = str(st.get("CD_ESTACAO") or "").strip().upper()
        if not code:
            raise IngestError(f"{origin}: a station without CD_ESTACAO: {json.dumps(st)[:120]}")
        rows.append({
            "station_code": code, "name": st.get("DC_NOME"), "uf": st.get("SG_ESTADO"),
            "latitude": st.get("VL_LATITUDE"), "longitude": st.get("VL_LONGITUDE"),
            "altitude": st.get("VL_ALTITUDE"), "started": st.get("DT_INICIO_OPERACAO"),
            "status": st.get("CD_SITUACAO"), "station_type": st.get("TP_ESTACAO"), "payload": st,
        })  # fmt: skip
    with conn.transaction():
        return sum(_upsert_station(conn, "api", row, origin, run_id) for row in rows)


# ------------------------------------------------------------------ helpers ----
def _copy_sql(table: str, columns: Iterable[str], encoding: str) -> sql.Composed:
    enc = "LATIN1" if encoding == "latin-1" else "UTF8"
    return sql.SQL("COPY {} ({}) FROM STDIN (FORMAT text, DELIMITER ';', ENCODING {})").format(
        sql.SQL(table) if "." in table else sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.Literal(enc),
    )


_COPY_LINE = re.compile(r"line (\d+)(?:, column (\w+))?")


def _copy(conn: psycopg.Connection, copy_sql: sql.Composed, chunks: Iterator[bytes], origin: str) -> int:
    cur = conn.cursor()
    try:
        with cur.copy(copy_sql) as copy:
            for chunk in chunks:
                copy.write(chunk)
    except (psycopg.errors.DataError, psycopg.errors.BadCopyFileFormat) as exc:
        where = _COPY_LINE.search(exc.diag.context or "")
        at = f"line {int(where.group(1)) + archive.META_LINES + 1}" if where else "a row"
        col = f", column {where.group(2)}" if where and where.group(2) else ""
        raise IngestError(f"{origin}: {at}{col}: {exc.diag.message_primary}") from None
    return cur.rowcount


def _create_stage(conn: psycopg.Connection) -> None:
    """The session's staging table, empty. ON COMMIT DELETE ROWS is not enough: connections are
    not autocommit, so a batch's `transaction()` may be a savepoint inside a caller's open
    transaction (a watermark query opens one), where the previous batch's rows are still staged."""
    conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} (LIKE {OBS} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
    conn.execute(f"TRUNCATE {STAGE}")


def _has_rows(conn: psycopg.Connection, source: str, code: str, period: tuple[date, date] | None) -> bool:
    query = f"SELECT EXISTS (SELECT 1 FROM {OBS} WHERE source = %s AND station_code = %s"
    params: list = [source, code]
    if period is not None:
        query += " AND observed_at >= %s AND observed_at < %s"
        start = datetime.combine(period[0], datetime.min.time(), UTC)
        params += [start, datetime.combine(period[1], datetime.min.time(), UTC) + timedelta(days=1)]
    return bool(conn.execute(query + ")", params).fetchone()[0])


def _merge(conn: psycopg.Connection, origin: str) -> dict[str, LoadStats]:
    """Staged rows → raw: insert new hours, update changed ones, leave the rest. Per-station counts."""
    dupes = conn.execute(
        f"SELECT station_code, observed_at, count(*) FROM {STAGE} GROUP BY 1, 2 HAVING count(*) > 1 "
        "ORDER BY 1, 2 LIMIT 3"
    ).fetchall()
    if dupes:
        shown = ", ".join(f"{c} {t:%Y-%m-%d %H:%M} UTC ({n}×)" for c, t, n in dupes)
        raise IngestError(f"{origin}: the same hour appears more than once: {shown}")
    cols = ", ".join(("source", "station_code", "observed_at", *VALUE_COLUMNS, "origin", "run_id"))
    changed = ", ".join(f"{c} = EXCLUDED.{c}" for c in (*VALUE_COLUMNS, "origin", "run_id"))
    old = ", ".join(f"t.{c}" for c in VALUE_COLUMNS)
    new = ", ".join(f"EXCLUDED.{c}" for c in VALUE_COLUMNS)
    rows = conn.execute(
        f"""
        WITH staged AS (SELECT station_code, count(*) AS n FROM {STAGE} GROUP BY 1),
        merged AS (
            INSERT INTO {OBS} AS t ({cols}) SELECT {cols} FROM {STAGE}
            ON CONFLICT ({", ".join(KEY)}) DO UPDATE SET {changed}, ingested_at = now()
            WHERE ({old}) IS DISTINCT FROM ({new})
            RETURNING t.station_code, (t.xmax = 0) AS inserted
        )
        SELECT s.station_code, s.n,
               count(m.*) FILTER (WHERE m.inserted), count(m.*) FILTER (WHERE NOT m.inserted)
        FROM staged s LEFT JOIN merged m USING (station_code) GROUP BY s.station_code, s.n
        """
    ).fetchall()
    return {code: LoadStats(code, origin, new=ins, changed=upd, unchanged=n - ins - upd) for code, n, ins, upd in rows}


def _upsert_archive_station(conn: psycopg.Connection, header: archive.Header, origin: str, run_id: str) -> None:
    m = header.meta
    row = {
        "station_code": header.station_code, "name": m.get("name"), "uf": m.get("uf"),
        "latitude": m.get("latitude"), "longitude": m.get("longitude"), "altitude": m.get("altitude"),
        "started": m.get("founded"), "status": None, "station_type": None, "payload": header.labels,
    }  # fmt: skip
    _upsert_station(conn, "archive", row, origin, run_id)


_STATION_COLS = ("name", "uf", "latitude", "longitude", "altitude", "started", "status", "station_type", "payload")


_UPSERT_STATION = f"""
    INSERT INTO {STATIONS} AS t (source, station_code, {", ".join(_STATION_COLS)}, origin, run_id)
    VALUES (%s, %s, {", ".join(["%s"] * len(_STATION_COLS))}, %s, %s)
    ON CONFLICT (source, station_code) DO UPDATE
       SET ({", ".join(_STATION_COLS)}, origin, run_id, ingested_at) =
           ({", ".join(f"EXCLUDED.{c}" for c in _STATION_COLS)}, EXCLUDED.origin, EXCLUDED.run_id, now())
     WHERE ({", ".join(f"t.{c}" for c in _STATION_COLS)})
           IS DISTINCT FROM ({", ".join(f"EXCLUDED.{c}" for c in _STATION_COLS)})
"""  # built once: it runs for every station file and every station of an API list


def _upsert_station(conn: psycopg.Connection, source: str, row: dict, origin: str, run_id: str) -> int:
    values = [row[c] if c != "payload" else json.dumps(row[c], ensure_ascii=False) for c in _STATION_COLS]
    return conn.execute(_UPSERT_STATION, [source, row["station_code"], *values, origin, run_id]).rowcount


def api_windows(
    codes: list[str], marks: dict[str, datetime], start: date | None, last: date, overlap_hours: int = 3
) -> dict[date, list[str]]:
    """First day to ask the API for, per station: `start` if given, else the watermark minus the
    overlap (late data), else yesterday. Stations sharing a first day are grouped."""
    groups: dict[date, list[str]] = {}
    for code in codes:
        if start is not None:
            first = start
        elif code in marks:
            first = (marks[code] - timedelta(hours=overlap_hours)).date()
        else:
            first = last - timedelta(days=1)
        groups.setdefault(min(first, last), []).append(code)
    return groups


def after_watermark(records: list[dict], mark: datetime | None, overlap_hours: int = 3) -> list[dict]:
    """Only the hours at or after `mark - overlap` (the API answers whole days)."""
    if mark is None:
        return records
    since = mark - timedelta(hours=overlap_hours)
    return [r for r in records if _api_hour(str(r.get("DT_MEDICAO")), str(r.get("HR_MEDICAO")), "") >= since]


def ingest_api(conn: psycopg.Connection, client, codes: list[str], start: date | None, last: date, run_id: str,
               overlap_hours: int = 3) -> list[LoadStats]:  # fmt: skip
    """Hourly records for `codes` up to `last`: from `start` when given (all re-read), else from each
    station's watermark minus the overlap. One transaction per API_BATCH_ROWS rows of answers."""
    marks = watermarks(conn, "api")
    stats: list[LoadStats] = []
    batch: list[tuple[list[dict], str]] = []
    batch_rows = 0
    for first, group in api_windows(codes, marks, start, last, overlap_hours).items():
        for chunk in client.observations_many(group, first, last):
            mark = None if start else marks.get(chunk.station_code)
            batch.append((after_watermark(chunk.records, mark, overlap_hours), chunk.origin))
            batch_rows += len(batch[-1][0])
            if batch_rows >= API_BATCH_ROWS:
                stats += load_api_answers(conn, batch, run_id)
                batch, batch_rows = [], 0
    return stats + load_api_answers(conn, batch, run_id)


def watermarks(conn: psycopg.Connection, source: str = "api") -> dict[str, datetime]:
    """The last hour raw_data holds per station (hourly runs ask only for what comes after)."""
    rows = conn.execute(f"SELECT station_code, max(observed_at) FROM {OBS} WHERE source = %s GROUP BY 1", (source,))
    return dict(rows.fetchall())
