"""What every load into raw_data shares: per-station counts, run and load ids, COPY, staging, merging."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import psycopg
from psycopg import sql

from lumen.db import one
from lumen.errors import LumenError
from lumen.inmet import archive
from lumen.inmet.schema import MEASUREMENT_COLUMNS

OBS = "raw_data.inmet_observations"
STATIONS = "raw_data.inmet_stations"
LOADS = "raw_data.loads"
KEY = ("source", "station_code", "observed_at")
VALUE_COLUMNS = ("dt_medicao", "hr_medicao", *MEASUREMENT_COLUMNS, "other")
STAGE = "lumen_stage_observations"


class IngestError(LumenError):
    """A batch could not be loaded; nothing of it was written."""


@dataclass
class LoadStats:
    station_code: str
    origin: str
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    warnings: list[str] = field(default_factory=list)  # e.g. "…CSV: 0 rows: header only"
    refused: str = ""  # why this file was refused whole (nothing of it was loaded; the others were)
    skipped: str = ""  # why this file was passed over (not an INMET station file)

    @property
    def rows(self) -> int:
        return self.new + self.changed + self.unchanged

    def add(self, other: LoadStats) -> None:
        self.new += other.new
        self.changed += other.changed
        self.unchanged += other.unchanged
        self.warnings += other.warnings


def per_station(stats: list[LoadStats]) -> dict[str, LoadStats]:
    """Batches added up per station (a station appears once per file or API chunk)."""
    out: dict[str, LoadStats] = {}
    for s in stats:
        if s.refused or s.skipped:
            continue
        out.setdefault(s.station_code, LoadStats(s.station_code, s.origin)).add(s)
    return out


def total(stats: list[LoadStats]) -> LoadStats:
    """All batches added up (station and origin left empty)."""
    out = LoadStats("", "")
    for s in stats:
        if not (s.refused or s.skipped):
            out.add(s)
    return out


def refusals(stats: list[LoadStats]) -> list[str]:
    """Why each refused file was refused, naming it (nothing of those was loaded)."""
    return [s.refused for s in stats if s.refused]


def summary_line(stats: list[LoadStats]) -> str:
    t = total(stats)
    answered = [s for s in per_station(stats).values() if s.rows or not s.warnings]  # not a failed station
    line = (
        f"{t.rows:,} rows from {len(answered)} station(s): "
        f"{t.new:,} new, {t.changed:,} changed, {t.unchanged:,} unchanged"
    )
    notes = [*t.warnings, *(s.skipped for s in stats if s.skipped)]
    shown = "; ".join(notes[:5]) + (f"; and {len(notes) - 5} more" if len(notes) > 5 else "")
    line = f"{line} (warning: {shown})" if notes else line
    refused = refusals(stats)
    if refused:
        line += f"; REFUSED {len(refused)} file(s), nothing of them loaded: " + "; ".join(refused[:5])
        line += f"; and {len(refused) - 5} more" if len(refused) > 5 else ""
    return line


# ------------------------------------------------------------------- loads ----
def reserve_load_ids(conn: psycopg.Connection, n: int) -> list[int]:
    """Ids for `n` loads, taken before their rows are written (the rows carry them).
    A load that fails leaves a gap in the numbers, nothing else."""
    if n <= 0:
        return []
    with conn.transaction():
        rows = conn.execute(
            f"SELECT nextval(pg_get_serial_sequence('{LOADS}', 'load_id')) FROM generate_series(1, %s)", (n,)
        ).fetchall()
    return [r[0] for r in rows]


def record_loads(conn: psycopg.Connection, loads: list[tuple[int, str, str, str]]) -> None:
    """(load_id, source, origin, run_id) rows into raw_data.loads, in the caller's transaction."""
    with conn.cursor().copy(f"COPY {LOADS} (load_id, source, origin, run_id) FROM STDIN") as copy:
        for load in loads:
            copy.write_row(load)


def ensure_partitions(conn: psycopg.Connection) -> None:
    """Create the yearly partitions the staged rows need (the pipeline role has no DDL of its own)."""
    conn.execute(f"SELECT raw_data.ensure_partitions(min(observed_at), max(observed_at)) FROM {STAGE}")


def ensure_period(conn: psycopg.Connection, period: tuple[date, date]) -> None:
    conn.execute("SELECT raw_data.ensure_partitions(%s, %s)", [_utc(period[0]), _utc(period[1])])


def _utc(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC)


# -------------------------------------------------------------------- COPY ----
def copy_sql(table: str, columns: Iterable[str], encoding: str, *, freeze: bool = False) -> sql.Composed:
    """COPY of archive rows (`;`-separated text); FREEZE only into a table made in the same transaction."""
    enc = "LATIN1" if encoding == "latin-1" else "UTF8"
    return sql.SQL("COPY {} ({}) FROM STDIN (FORMAT text, DELIMITER ';', ENCODING {}{})").format(
        sql.SQL(table) if "." in table else sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.Literal(enc),
        sql.SQL(", FREEZE" if freeze else ""),
    )


_COPY_LINE = re.compile(r"line (\d+)(?:, column (\w+))?")


def copy_file_rows(conn: psycopg.Connection, statement: sql.Composed, chunks: Iterator[bytes], origin: str) -> int:
    """COPY an archive file's rewritten rows; a rejected row is named by its line in the file."""
    cur = conn.cursor()
    try:
        with cur.copy(statement) as copy:
            for chunk in chunks:
                copy.write(chunk)
    except (psycopg.errors.DataError, psycopg.errors.BadCopyFileFormat) as exc:
        where = _COPY_LINE.search(exc.diag.context or "")
        at = f"line {int(where.group(1)) + archive.META_LINES + 1}" if where else "a row"
        col = f", column {where.group(2)}" if where and where.group(2) else ""
        raise IngestError(f"{origin}: {at}{col}: {exc.diag.message_primary}") from None
    return cur.rowcount


# ------------------------------------------------------------ stage, merge ----
def create_stage(conn: psycopg.Connection) -> None:
    """The session's staging table, empty. ON COMMIT DELETE ROWS is not enough: connections are
    not autocommit, so a batch's `transaction()` may be a savepoint inside a caller's open
    transaction (a watermark query opens one), where the previous batch's rows are still staged."""
    conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} (LIKE {OBS} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
    conn.execute(f"TRUNCATE {STAGE}")


def has_rows(conn: psycopg.Connection, source: str, code: str, period: tuple[date, date]) -> bool:
    return bool(
        one(
            conn.execute(
                f"SELECT EXISTS (SELECT 1 FROM {OBS} WHERE source = %s AND station_code = %s "
                "AND observed_at >= %s AND observed_at < %s)",
                [source, code, _utc(period[0]), _utc(period[1]) + timedelta(days=1)],
            )
        )[0]
    )


_MERGE_COLS = ", ".join((*KEY, *VALUE_COLUMNS, "load_id"))
_DIFFERENT = (
    f"({', '.join(f't.{c}' for c in VALUE_COLUMNS)}) IS DISTINCT FROM ({', '.join(f's.{c}' for c in VALUE_COLUMNS)})"
)
# two parts of one statement, on disjoint keys: the UPDATE touches hours raw_data has, the
# INSERT adds the others (a partitioned table cannot return xmax to tell them apart)
_MERGE = f"""
    WITH staged AS (SELECT station_code, count(*) AS n FROM {STAGE} GROUP BY 1),
    changed AS (
        UPDATE {OBS} AS t SET ({", ".join((*VALUE_COLUMNS, "load_id"))}) =
                              ({", ".join(f"s.{c}" for c in (*VALUE_COLUMNS, "load_id"))})
        FROM {STAGE} s
        WHERE ({", ".join(f"t.{c}" for c in KEY)}) = ({", ".join(f"s.{c}" for c in KEY)}) AND {_DIFFERENT}
        RETURNING t.station_code
    ),
    added AS (
        INSERT INTO {OBS} ({_MERGE_COLS}) SELECT {_MERGE_COLS} FROM {STAGE}
        ON CONFLICT ({", ".join(KEY)}) DO NOTHING
        RETURNING station_code
    )
    SELECT s.station_code, s.n, (SELECT count(*) FROM added a WHERE a.station_code = s.station_code),
           (SELECT count(*) FROM changed c WHERE c.station_code = s.station_code)
    FROM staged s
"""


def merge(conn: psycopg.Connection, origin: str) -> dict[str, LoadStats]:
    """Staged rows → raw: insert new hours, update changed ones (and the load they came
    with), leave the rest. Per-station counts."""
    dupes = conn.execute(
        f"SELECT station_code, observed_at, count(*) FROM {STAGE} GROUP BY 1, 2 HAVING count(*) > 1 "
        "ORDER BY 1, 2 LIMIT 3"
    ).fetchall()
    if dupes:
        shown = ", ".join(f"{c} {t:%Y-%m-%d %H:%M} UTC ({n}×)" for c, t, n in dupes)
        raise IngestError(f"{origin}: the same hour appears more than once: {shown}")
    ensure_partitions(conn)
    rows = conn.execute(_MERGE).fetchall()
    return {code: LoadStats(code, origin, new=ins, changed=upd, unchanged=n - ins - upd) for code, n, ins, upd in rows}


# ---------------------------------------------------------------- stations ----
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


def upsert_station(conn: psycopg.Connection, source: str, row: dict, origin: str, run_id: str) -> int:
    values = [row[c] if c != "payload" else json.dumps(row[c], ensure_ascii=False) for c in _STATION_COLS]
    return conn.execute(_UPSERT_STATION, [source, row["station_code"], *values, origin, run_id]).rowcount


def upsert_archive_station(conn: psycopg.Connection, header: archive.Header, origin: str, run_id: str) -> None:
    m = header.meta
    row = {
        "station_code": header.station_code, "name": m.get("name"), "uf": m.get("uf"),
        "latitude": m.get("latitude"), "longitude": m.get("longitude"), "altitude": m.get("altitude"),
        "started": m.get("founded"), "status": None, "station_type": None, "payload": header.labels,
    }  # fmt: skip
    upsert_station(conn, "archive", row, origin, run_id)
