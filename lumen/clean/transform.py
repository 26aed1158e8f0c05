"""raw_data → processed_data: typed, SI units, checked — all inside PostgreSQL.

**Merge rule** (API and archive rows of the same station-hour): among the raw rows
that carry at least one value, the archive's wins — it is INMET's consolidated
publication — and the API's fills the hours the archive lacks. Stations, with the time
zone each row's local date and hour come from: lumen/clean/stations.py.

Values: what `lumen.inmet.schema.is_missing` calls missing (null, '', -9999 in its
spellings) becomes NULL; decimal commas are read; night radiation
slightly below zero (down to −20 kJ/m²) becomes 0; rows with every sensor missing
stay in raw but not in processed. Rows that break a rule of lumen.clean.quality go to
processed_data.quarantine; with LUMEN_ON_INVALID=fail (default) the window then
fails and nothing of it is published, with `quarantine` the valid rows go on.

A large window's rows are typed and checked by station groups side by side, on every
core, into the one transaction's batch (lumen/clean/batch_parts.py); all that follows is the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import psycopg

from lumen.clean import batch_parts, quality, station_checks
from lumen.clean.stations import LOCAL_DATE, LOCAL_HOUR, StationsResult, clean_stations, record_issues
from lumen.db import one
from lumen.errors import LumenError
from lumen.inmet.schema import missing_sql, number_sql

# processed column → raw column (the INMET API code)
COLUMNS: dict[str, str] = {
    "precip_mm": "chuva", "pressure_hpa": "pre_ins", "pressure_max_hpa": "pre_max", "pressure_min_hpa": "pre_min",
    "global_radiation_kj_m2": "rad_glo", "air_temp_c": "tem_ins", "air_temp_max_c": "tem_max",
    "air_temp_min_c": "tem_min", "dew_point_c": "pto_ins", "dew_point_max_c": "pto_max", "dew_point_min_c": "pto_min",
    "rel_humidity_pct": "umd_ins", "rel_humidity_max_pct": "umd_max", "rel_humidity_min_pct": "umd_min",
    "wind_dir_deg": "ven_dir", "wind_gust_ms": "ven_raj", "wind_speed_ms": "ven_vel",
    "apparent_temp_c": "tem_sen", "battery_v": "ten_bat", "logger_temp_c": "tem_cpu",
}  # fmt: skip
ANALYZE_MIN_ROWS = 100_000  # rows written after which the table's statistics are refreshed at once (V016)
NIGHT_RADIATION_FLOOR = -20.0  # kJ/m²: from here to 0 is sensor offset at night → 0
BATCH = "lumen_clean_batch"
VIOLATIONS = "lumen_clean_violations"
OUT_COLUMNS = ("station_code", "observed_at", "local_date", "local_hour", "source", *COLUMNS, "global_radiation_w_m2")


class QualityError(LumenError):
    """Rows broke quality rules; they are in processed_data.quarantine. The message is the summary."""


@dataclass
class CleanResult:
    run_id: str
    start: datetime
    end: datetime
    raw_rows: int = 0
    checked: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)  # rule → problems
    bad_rows: int = 0  # distinct station-hours held back
    resolved: int = 0  # quarantine rows of earlier runs whose hour is now clean of that rule
    examples: list[quality.Violation] = field(default_factory=list)
    on_invalid: str = "fail"
    held: list[str] = field(default_factory=list)  # stations of the window whose rows stay in raw_data
    station_notes: list[str] = field(default_factory=list)  # their record's problems, each with what to do
    released: list[str] = field(default_factory=list)  # stations whose record was corrected: cleaned again

    def summary(self) -> str:
        return quality.summary(self.quarantined, self.examples, self.checked, self.bad_rows, self.on_invalid)

    def warning(self) -> str:
        """What the person must act on: quarantined rows, then each station record that is not usable."""
        parts = [self.summary()] if self.quarantined else []
        if self.station_notes:
            parts.append("; ".join(self.station_notes) + f" — {station_checks.FIX}")
        return "\n".join(parts)

    def line(self) -> str:
        bad = f", {self.bad_rows} row(s) quarantined" if self.quarantined else ""
        bad += f", {self.resolved} earlier quarantine row(s) resolved" if self.resolved else ""
        bad += f"; held back (station record unusable): {', '.join(self.held)}" if self.held else ""
        bad += f"; released (record corrected): {', '.join(self.released)}" if self.released else ""
        return (
            f"clean {self.start:%Y-%m-%d %H:%M} … {self.end:%Y-%m-%d %H:%M} UTC: {self.raw_rows:,} raw rows, "
            f"{self.checked:,} with values checked; processed {self.new:,} new, {self.changed:,} changed, "
            f"{self.unchanged:,} unchanged{bad}"
        )


def _present(alias: str) -> str:
    """How many values of a raw row are present (not missing)."""
    cols = ", ".join(f"CASE WHEN NOT {missing_sql(f'{alias}.{c}')} THEN 1 END" for c in COLUMNS.values())
    return f"num_nonnulls({cols})"


def _has_values(alias: str) -> str:
    return f"{_present(alias)} > 0"


def _batch_sql(stations: bool, no_data: bool = False) -> str:
    """The batch table: one pass over the window's raw rows (or, `no_data`, its empty shape)."""
    return f"CREATE TEMP TABLE {BATCH} ON COMMIT DROP AS {_select_sql(stations)}" + (" WITH NO DATA" if no_data else "")


def _select_sql(stations: bool) -> str:
    """One pass over the window's raw rows: pick (merge rule), type each value once, flag rule breakers."""
    station_filter = "AND r.station_code = ANY(%(stations)s)" if stations else ""
    window = (
        f"r.observed_at >= %(start)s AND r.observed_at < %(end)s {station_filter} AND c.present > 0 "
        "AND r.station_code <> ALL(%(held)s::text[])"
    )  # a held station's rows stay in raw_data
    # how many values a raw row has is counted once, and reused to skip the not-a-number check
    counted = f"raw_data.inmet_observations r CROSS JOIN LATERAL (SELECT {_present('r')} AS present OFFSET 0) c"
    archive_has = (
        "EXISTS (SELECT 1 FROM raw_data.inmet_observations a WHERE a.source = 'archive' "
        f"AND a.station_code = r.station_code AND a.observed_at = r.observed_at AND {_has_values('a')})"
    )
    numbers = ", ".join(f"{number_sql(f'p.{raw}')} AS {out}" for out, raw in COLUMNS.items())
    typed = ", ".join(
        f"CASE WHEN n.{out} < 0 AND n.{out} >= {NIGHT_RADIATION_FLOOR} THEN 0 ELSE n.{out} END AS {out}"
        if out == "global_radiation_kj_m2"
        else f"n.{out}"
        for out in COLUMNS
    )
    unreadable = ", ".join(
        f"CASE WHEN n.{out} IS NULL AND NOT {missing_sql(f'p.{raw}')} THEN '{out}=' || p.{raw} END"
        for out, raw in COLUMNS.items()
    )
    rules = " OR ".join(f"coalesce({r.violation}, false)" for r in quality.all_rules())
    return f"""
        SELECT b.*, ({rules} OR cardinality(b.unreadable) > 0) AS bad
        FROM (
            SELECT p.station_code, p.observed_at, p.source,
                   {LOCAL_DATE.format(at="p.observed_at", zone="p.time_zone")} AS local_date,
                   {LOCAL_HOUR.format(at="p.observed_at", zone="p.time_zone")} AS local_hour,
                   {typed},
                   CASE WHEN p.present = num_nonnulls({", ".join(f"n.{c}" for c in COLUMNS)}) THEN '{{}}'::text[]
                        ELSE array_remove(ARRAY[{unreadable}], NULL) END AS unreadable
            FROM (  -- with the station's own zone for local time (lumen/clean/stations.py)
                SELECT r.*, s.time_zone FROM (
                    SELECT r.*, c.present FROM {counted} WHERE {window} AND r.source = 'archive'
                    UNION ALL
                    SELECT r.*, c.present FROM {counted} WHERE {window} AND r.source = 'api' AND NOT {archive_has}
                ) r JOIN processed_data.stations s ON s.station_code = r.station_code
            ) p
            -- each value is typed once; the text is re-read only in a row where a value did not type
            CROSS JOIN LATERAL (SELECT {numbers} OFFSET 0) n
        ) b"""


def _violations_sql() -> str:
    """Only the flagged rows are expanded into one row per broken (rule, column)."""
    checks = ",\n".join(f"('{r.name}', '{r.column}', b.{r.column}::text, {r.violation})" for r in quality.all_rules())
    return f"""
        CREATE TEMP TABLE {VIOLATIONS} ON COMMIT DROP AS
        SELECT b.station_code, b.observed_at, b.source, v.rule, v.col AS column_name, v.val AS value
        FROM {BATCH} b CROSS JOIN LATERAL (VALUES {checks}) AS v(rule, col, val, broken)
        WHERE b.bad AND v.broken
        UNION ALL
        SELECT b.station_code, b.observed_at, b.source, '{quality.NOT_A_NUMBER}', split_part(u, '=', 1),
               substr(u, strpos(u, '=') + 1)
        FROM {BATCH} b CROSS JOIN LATERAL unnest(b.unreadable) AS u
        WHERE b.bad"""


# One quarantine row per (station, hour, rule, column): a re-run updates it (value, run, time) and
# opens it again if it had been resolved; an open row whose hour is now clean of that (rule,
# column) is marked resolved by this run — kept, not deleted: the history matters.
_QUARANTINE = f"""
    INSERT INTO processed_data.quarantine AS q (station_code, observed_at, source, rule, column_name, value, run_id)
    SELECT station_code, observed_at, source, rule, column_name, value, %(run_id)s FROM {VIOLATIONS}
    ON CONFLICT (station_code, observed_at, rule, column_name) DO UPDATE
       SET (source, value, run_id, quarantined_at, resolved_at, resolved_run_id) =
           (EXCLUDED.source, EXCLUDED.value, EXCLUDED.run_id, now(), NULL, NULL)
"""
_OPEN_IN_WINDOW = """
    SELECT EXISTS (SELECT 1 FROM processed_data.quarantine
                   WHERE resolved_at IS NULL AND observed_at >= %(start)s AND observed_at < %(end)s)
"""


def _resolve_sql(violations: bool) -> str:
    """Open rows of the window's re-cleaned hours that this run did not find again (none found: all)."""
    still = (
        f"AND NOT EXISTS (SELECT 1 FROM {VIOLATIONS} v WHERE (v.station_code, v.observed_at, v.rule, v.column_name)"
        " = (q.station_code, q.observed_at, q.rule, q.column_name))"
        if violations
        else ""
    )
    return f"""
        UPDATE processed_data.quarantine q SET resolved_at = now(), resolved_run_id = %(run_id)s
         WHERE q.resolved_at IS NULL AND q.observed_at >= %(start)s AND q.observed_at < %(end)s
           AND EXISTS (SELECT 1 FROM {BATCH} b WHERE (b.station_code, b.observed_at) = (q.station_code, q.observed_at))
           {still}"""


def _upsert_sql() -> str:
    cols = ", ".join(OUT_COLUMNS)
    select = ", ".join("global_radiation_kj_m2 / 3.6" if c == "global_radiation_w_m2" else c for c in OUT_COLUMNS)
    values = [c for c in OUT_COLUMNS if c not in ("station_code", "observed_at")]
    old, new = ", ".join("t." + c for c in values), ", ".join("EXCLUDED." + c for c in values)
    return f"""
        WITH up AS (
            INSERT INTO processed_data.observations AS t ({cols}, run_id)
            SELECT {select}, %(run_id)s FROM {BATCH} WHERE NOT bad
            ON CONFLICT (station_code, observed_at) DO UPDATE
               SET ({", ".join(values)}, run_id, processed_at) = ({new}, EXCLUDED.run_id, now())
             WHERE ({old}) IS DISTINCT FROM ({new})
            RETURNING (t.xmax = 0) AS inserted
        )
        SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up"""


def clean(
    conn: psycopg.Connection,
    start: datetime,
    end: datetime,
    run_id: str,
    stations: list[str] | None = None,
    on_invalid: str = "fail",
    examples: int = 5,
) -> CleanResult:
    """Transform and check raw rows with start <= observed_at < end. Raises QualityError (after
    committing the quarantine) when rows break rules and on_invalid is "fail"."""
    if end <= start:
        raise LumenError(f"the window ends ({end:%Y-%m-%d %H:%M}) before it starts ({start:%Y-%m-%d %H:%M})")
    params = {"start": start, "end": end, "run_id": run_id, "stations": stations or None, "held": []}
    result = CleanResult(run_id, start, end, on_invalid=on_invalid)
    side_by_side = batch_parts.outside_transaction(conn)
    with conn.transaction():  # committed first: the station groups' own connections read the zones
        judged = clean_stations(conn, run_id)
    with conn.transaction():
        result.raw_rows, no_zone = one(
            conn.execute(
                "SELECT count(*), array_agg(DISTINCT r.station_code) FILTER (WHERE s.time_zone IS NULL) "
                "FROM raw_data.inmet_observations r LEFT JOIN processed_data.stations s USING (station_code) "
                "WHERE r.observed_at >= %(start)s AND r.observed_at < %(end)s"
                + (" AND r.station_code = ANY(%(stations)s)" if stations else ""),
                params,
            )
        )
        params["held"] = _hold(conn, judged, no_zone or [], params, result)
        if side_by_side and batch_parts.worthwhile(result.raw_rows):
            conn.execute(_batch_sql(True, no_data=True), {**params, "stations": []})
            batch_parts.fill(conn, BATCH, _select_sql(True), params, _window_stations(conn, params))
        else:
            conn.execute(_batch_sql(bool(stations)), params)
        result.checked, result.bad_rows = one(
            conn.execute(f"SELECT count(*), count(*) FILTER (WHERE bad) FROM {BATCH}")
        )
        if result.bad_rows:  # expanded only when there is something to expand
            conn.execute(_violations_sql(), params)
            conn.execute(_QUARANTINE, params)
        if one(conn.execute(_OPEN_IN_WINDOW, params))[0]:  # the batch is read again only then
            result.resolved = conn.execute(_resolve_sql(bool(result.bad_rows)), params).rowcount
        result.quarantined = dict(
            conn.execute(
                "SELECT rule, count(*) FROM processed_data.quarantine WHERE run_id = %(run_id)s "
                "AND observed_at >= %(start)s AND observed_at < %(end)s GROUP BY rule",
                params,
            ).fetchall()
        )
        if result.quarantined:
            result.examples = [
                quality.Violation(*row)
                for row in conn.execute(
                    "SELECT station_code, observed_at, column_name, value, rule FROM processed_data.quarantine "
                    "WHERE run_id = %(run_id)s AND observed_at >= %(start)s AND observed_at < %(end)s "
                    "ORDER BY observed_at, station_code, id LIMIT %(n)s",
                    {**params, "n": examples},
                )
            ]
        if not (result.quarantined and on_invalid == "fail"):
            _publish_valid(conn, params, result)
    if result.new + result.changed >= ANALYZE_MIN_ROWS:  # the next steps plan on these statistics (V016)
        with conn.transaction():
            conn.execute("SELECT processed_data.analyze_observations()")
    if result.quarantined and on_invalid == "fail":
        raise QualityError(result.summary())
    return result


def _hold(
    conn: psycopg.Connection, judged: StationsResult, no_zone: list[str], params: dict, result: CleanResult
) -> list[str]:
    """The stations whose rows stay in raw_data (their record is unusable, or there is none), and what
    the result says of the window's stations with a record problem. Returns every held station."""
    unjudged = [code for code in no_zone if code not in judged.issues]  # rows, but no record at all
    record_issues(conn, [station_checks.no_record(code) for code in unjudged], params["run_id"])
    issues = {**judged.issues, **{code: list(station_checks.no_record(code).issues) for code in unjudged}}
    held = sorted(set(judged.held) | set(unjudged))
    in_window = set(_with_rows(conn, sorted(issues), params))
    result.held = [code for code in held if code in in_window]
    result.station_notes = [i.text(code) for code in sorted(in_window) for i in issues[code]]
    result.released = [code for code in judged.released if code in set(_with_rows(conn, judged.released, params))]
    return held


def _with_rows(conn: psycopg.Connection, codes: list[str], params: dict) -> list[str]:
    """Those of `codes` (and of the stations asked for) with raw rows in the window: an index probe each."""
    if not codes:
        return []
    return [
        code
        for (code,) in conn.execute(
            "SELECT c FROM unnest(%(codes)s::text[]) c WHERE (%(stations)s::text[] IS NULL OR c = ANY(%(stations)s)) "
            "AND EXISTS (SELECT 1 FROM raw_data.inmet_observations r WHERE r.station_code = c "
            "AND r.observed_at >= %(start)s AND r.observed_at < %(end)s)",
            {**params, "codes": codes},
        )
    ]


def _window_stations(conn: psycopg.Connection, params: dict) -> list[str]:
    """The stations (of those asked for) with raw rows in the window: one index probe each."""
    return [
        code
        for (code,) in conn.execute(
            "SELECT s.station_code FROM processed_data.stations s WHERE (%(stations)s::text[] IS NULL "
            "OR s.station_code = ANY(%(stations)s)) AND EXISTS (SELECT 1 FROM raw_data.inmet_observations r "
            "WHERE r.station_code = s.station_code AND r.observed_at >= %(start)s AND r.observed_at < %(end)s) "
            "ORDER BY s.station_code",  # groups by code, whatever order the table's rows are in
            params,
        )
    ]


def _publish_valid(conn: psycopg.Connection, params: dict, result: CleanResult) -> None:
    """Quarantined hours leave processed (where an older version sat); the rest is upserted."""
    conn.execute(
        f"DELETE FROM processed_data.observations o USING {BATCH} b "
        "WHERE b.bad AND (o.station_code, o.observed_at) = (b.station_code, b.observed_at)"
    )
    result.new, result.changed = one(conn.execute(_upsert_sql(), params))
    result.unchanged = result.checked - result.bad_rows - result.new - result.changed
