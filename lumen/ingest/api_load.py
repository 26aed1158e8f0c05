"""API answers into raw_data: staged and merged, each row pointing at the answer (URL) it came in."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import psycopg
from psycopg import sql

from lumen.ingest.batches import (
    OBS,
    STAGE,
    VALUE_COLUMNS,
    IngestError,
    LoadStats,
    create_stage,
    merge,
    record_loads,
    reserve_load_ids,
    upsert_station,
)
from lumen.inmet.schema import API_KEY_FIELDS, API_STATION_FIELDS, MEASUREMENT_COLUMNS, whole_hour
from lumen.vocabulary import STATION_CODE

if TYPE_CHECKING:
    from lumen.inmet.api import Chunk

API_BATCH_ROWS = 50_000  # API answers are merged together up to this many rows (a year of ~6 stations)
_OWN_COLUMN = frozenset((*API_KEY_FIELDS, *(c.upper() for c in MEASUREMENT_COLUMNS)))  # the rest goes to `other`
_COLUMNS = ("source", "station_code", "load_id", "observed_at", *VALUE_COLUMNS)


def api_rows(records: list[dict], origin: str, load_id: int) -> Iterator[tuple]:
    """API records (every value a string or null) → raw rows; station fields and new fields go to `other`."""
    for rec in records:
        code = str(rec.get("CD_ESTACAO") or "").upper()
        day, hour = rec.get("DT_MEDICAO"), rec.get("HR_MEDICAO")
        if not STATION_CODE.match(code) or not day or not hour:
            raise IngestError(f"{origin}: a record lacks CD_ESTACAO/DT_MEDICAO/HR_MEDICAO: {json.dumps(rec)[:120]}")
        observed = _api_hour(str(day), str(hour), origin)
        measures = [_text(rec.get(col.upper())) for col in MEASUREMENT_COLUMNS]
        other = {k: v for k, v in rec.items() if k not in _OWN_COLUMN}
        yield ("api", code, load_id, observed, str(day), str(hour), *measures, json.dumps(other) if other else None)


def load_api_observations(conn: psycopg.Connection, records: list[dict], origin: str, run_id: str) -> list[LoadStats]:
    """Merge one API answer (one transaction). Returns stats per station."""
    return load_api_answers(conn, [(records, origin)], run_id)


def load_api_answers(conn: psycopg.Connection, answers: list[tuple[list[dict], str]], run_id: str) -> list[LoadStats]:
    """Merge API answers — (records, origin URL) each — in ONE transaction: one COPY, one merge.

    An hourly run gets one short answer per station (~670); a transaction each cost more
    than the rows themselves. Each answer is one raw_data.loads row. Returns stats per station."""
    answers = [(records, origin) for records, origin in answers if records]
    if not answers:
        return []
    origin_of = dict(zip(reserve_load_ids(conn, len(answers)), (origin for _, origin in answers), strict=True))
    rows = [
        row
        for (records, origin), load_id in zip(answers, origin_of, strict=True)
        for row in api_rows(records, origin, load_id)
    ]
    origins = {row[1]: origin_of[row[2]] for row in rows}  # station → the (last) answer it came in
    with conn.transaction():
        record_loads(conn, [(load_id, "api", origin, run_id) for load_id, origin in origin_of.items()])
        create_stage(conn)
        with conn.cursor().copy(
            sql.SQL("COPY {} ({}) FROM STDIN").format(
                sql.Identifier(STAGE), sql.SQL(", ").join(map(sql.Identifier, _COLUMNS))
            )
        ) as copy:
            for row in rows:
                copy.write_row(row)
        label = answers[0][1] if len(answers) == 1 else f"{len(answers)} API answers"
        stats = list(merge(conn, label).values())
        _station_records(conn, answers, run_id)
    for s in stats:
        s.origin = origins.get(s.station_code, s.origin)
    return stats


def _api_hour(day: str, hour: str, origin: str) -> datetime:
    """DT_MEDICAO + HR_MEDICAO as a UTC hour; anything but a whole hour (00–23, minutes 00) is refused."""
    h = whole_hour(hour)
    try:
        if h is None:
            raise ValueError
        return datetime.strptime(day.strip()[:10], "%Y-%m-%d").replace(hour=h, tzinfo=UTC)
    except ValueError:
        raise IngestError(
            f"{origin}: DT_MEDICAO/HR_MEDICAO {day!r} {hour!r} is not a whole UTC hour (YYYY-MM-DD and HHMM, "
            "hours 00-23, minutes 00)"
        ) from None


def check_answer(chunk: Chunk) -> None:
    """An answer must hold the station and days it was asked for; anything else is refused whole."""
    for rec in chunk.records:
        code = str(rec.get("CD_ESTACAO") or "").strip().upper()
        if code != chunk.station_code:
            raise IngestError(f"{chunk.origin}: asked for station {chunk.station_code}, the answer holds {code!r}")
        day = str(rec.get("DT_MEDICAO") or "")[:10]
        if not chunk.start.isoformat() <= day <= chunk.end.isoformat():
            raise IngestError(
                f"{chunk.origin}: asked for {chunk.start} … {chunk.end}, the answer holds {day!r} "
                f"{rec.get('HR_MEDICAO')!r}"
            )


def _text(value) -> str | None:
    return None if value is None else str(value)


def load_api_stations(conn: psycopg.Connection, stations: list[dict], origin: str, run_id: str) -> int:
    """Upsert an `/estacoes/T|M` answer; returns how many rows were new or changed."""
    rows = []
    for st in stations:
        code = str(st.get("CD_ESTACAO") or "").strip().upper()
        if not code:
            raise IngestError(f"{origin}: a station without CD_ESTACAO: {json.dumps(st)[:120]}")
        rows.append(
            {
                "station_code": code,
                "name": st.get("DC_NOME"),
                "uf": st.get("SG_ESTADO"),
                "latitude": st.get("VL_LATITUDE"),
                "longitude": st.get("VL_LONGITUDE"),
                "altitude": st.get("VL_ALTITUDE"),
                "started": st.get("DT_INICIO_OPERACAO"),
                "status": st.get("CD_SITUACAO"),
                "station_type": st.get("TP_ESTACAO"),
                "payload": st,
            }
        )
    with conn.transaction():
        return sum(upsert_station(conn, "api", row, origin, run_id) for row in rows)


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


def ingest_api(
    conn: psycopg.Connection,
    client,
    codes: list[str],
    start: date | None,
    last: date,
    run_id: str,
    overlap_hours: int = 3,
) -> list[LoadStats]:
    """Hourly records for `codes` up to `last`: from `start` when given (all re-read), else from each
    station's watermark minus the overlap. One transaction per API_BATCH_ROWS rows of answers.

    A station whose answer failed is named in a warning of its own (zero rows: its watermark stays,
    so the next run asks again); only when every station failed is it an error."""
    marks = watermarks(conn, "api")
    stats: list[LoadStats] = []
    failed: list[LoadStats] = []
    batch: list[tuple[list[dict], str]] = []
    batch_rows = 0
    for first, group in api_windows(codes, marks, start, last, overlap_hours).items():
        for chunk in client.observations_many(group, first, last):
            if chunk.error:
                failed.append(
                    LoadStats(
                        chunk.station_code, chunk.origin, warnings=[f"{chunk.station_code} failed: {chunk.error}"]
                    )
                )
                continue
            check_answer(chunk)
            mark = None if start else marks.get(chunk.station_code)
            batch.append((after_watermark(chunk.records, mark, overlap_hours), chunk.origin))
            batch_rows += len(batch[-1][0])
            if batch_rows >= API_BATCH_ROWS:
                stats += load_api_answers(conn, batch, run_id)
                batch, batch_rows = [], 0
    stats += load_api_answers(conn, batch, run_id)
    if failed and len({f.station_code for f in failed}) == len(set(codes)):
        raise IngestError("every station failed: " + "; ".join(w for f in failed[:3] for w in f.warnings))
    return stats + failed


def watermarks(conn: psycopg.Connection, source: str = "api") -> dict[str, datetime]:
    """The last hour raw_data holds per station (hourly runs ask only for what comes after)."""
    rows = conn.execute(f"SELECT station_code, max(observed_at) FROM {OBS} WHERE source = %s GROUP BY 1", (source,))
    return dict(rows.fetchall())


def _station_records(conn: psycopg.Connection, answers: list[tuple[list[dict], str]], run_id: str) -> None:
    """Stations known only from their observations get a station record from the fields every
    record repeats (name, state, coordinates), so their local time can be derived. Only where
    raw_data has no record of the station: the station list and archive headers say more."""
    first: dict[str, tuple[dict, str]] = {}
    for records, origin in answers:
        for rec in records:
            first.setdefault(str(rec.get("CD_ESTACAO")).strip().upper(), (rec, origin))
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO raw_data.inmet_stations (source, station_code, name, uf, latitude, longitude, payload, "
            "origin, run_id) SELECT 'api', %s, %s, %s, %s, %s, %s, %s, %s WHERE NOT EXISTS "
            "(SELECT 1 FROM raw_data.inmet_stations WHERE station_code = %s)",
            [
                (
                    code,
                    rec.get("DC_NOME"),
                    rec.get("UF"),
                    rec.get("VL_LATITUDE"),
                    rec.get("VL_LONGITUDE"),
                    json.dumps({k: rec.get(k) for k in ("CD_ESTACAO", *API_STATION_FIELDS)}, ensure_ascii=False),
                    origin,
                    run_id,
                    code,
                )
                for code, (rec, origin) in first.items()
            ],
        )
