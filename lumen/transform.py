"""raw_data → processed_data: typed, SI units, checked — all inside PostgreSQL.

**Merge rule** (API and archive rows of the same station-hour): among the raw rows
that carry at least one value, the archive's wins — it is INMET's consolidated
publication — and the API's fills the hours the archive lacks. Stations: the API's
record wins (it has the status and the full name), the archive's header fills in.

Values: NULL, '' and -9999 become NULL; decimal commas are read; night radiation
slightly below zero (down to −20 kJ/m²) becomes 0; rows with every sensor missing
stay in raw but not in processed. Rows that break a rule of lumen.quality go to
processed_data.quarantine; with LUMEN_ON_INVALID=fail (default) the window then
fails and nothing of it is published, with `quarantine` the valid rows go on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import psycopg

from lumen import quality
from lumen.errors import LumenError

# processed column → raw column (the INMET API code)
COLUMNS: dict[str, str] = {
    "precip_mm": "chuva", "pressure_hpa": "pre_ins", "pressure_max_hpa": "pre_max", "pressure_min_hpa": "pre_min",
    "global_radiation_kj_m2": "rad_glo", "air_temp_c": "tem_ins", "air_temp_max_c": "tem_max",
    "air_temp_min_c": "tem_min", "dew_point_c": "pto_ins", "dew_point_max_c": "pto_max", "dew_point_min_c": "pto_min",
    "rel_humidity_pct": "umd_ins", "rel_humidity_max_pct": "umd_max", "rel_humidity_min_pct": "umd_min",
    "wind_dir_deg": "ven_dir", "wind_gust_ms": "ven_raj", "wind_speed_ms": "ven_vel",
    "apparent_temp_c": "tem_sen", "battery_v": "ten_bat", "logger_temp_c": "tem_cpu",
}  # fmt: skip
NIGHT_RADIATION_FLOOR = -20.0  # kJ/m²: from here to 0 is sensor offset at night → 0
LOCAL_TZ = "America/Sao_Paulo"
BATCH = "lumen_clean_batch"
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
    examples: list[quality.Violation] = field(default_factory=list)

    def summary(self) -> str:
        return quality.summary(self.quarantined, self.examples, self.checked, self.bad_rows)

    def line(self) -> str:
        bad = f", {self.bad_rows} row(s) quarantined" if self.quarantined else ""
        return (
            f"clean {self.start:%Y-%m-%d %H:%M} … {self.end:%Y-%m-%d %H:%M} UTC: {self.raw_rows:,} raw rows, "
            f"{self.checked:,} with values checked; processed {self.new:,} new, {self.changed:,} changed, "
            f"{self.unchanged:,} unchanged{bad}"
        )


def _present(alias: str) -> str:
    """How many values of a raw row are present (neither NULL, '' nor -9999)."""
    cols = ", ".join(f"NULLIF(NULLIF(btrim({alias}.{c}), ''), '-9999')" for c in COLUMNS.values())
    return f"num_nonnulls({cols})"


def _has_values(alias: str) -> str:
    return f"{_present(alias)} > 0"


def _batch_sql(stations: bool) -> str:
    """One pass over the window's raw rows: pick (merge rule), type each value once, flag rule breakers."""
    station_filter = "AND r.station_code = ANY(%(stations)s)" if stations else ""
    window = f"r.observed_at >= %(start)s AND r.observed_at < %(end)s {station_filter} AND c.present > 0"
    # how many values a raw row has is counted once, and reused to skip the not-a-number check
    counted = f"raw_data.inmet_observations r CROSS JOIN LATERAL (SELECT {_present('r')} AS present OFFSET 0) c"
    archive_has = (
        "EXISTS (SELECT 1 FROM raw_data.inmet_observations a WHERE a.source = 'archive' "
        f"AND a.station_code = r.station_code AND a.observed_at = r.observed_at AND {_has_values('a')})"
    )
    numbers = ", ".join(f"processed_data.inmet_number(p.{raw}) AS {out}" for out, raw in COLUMNS.items())
    typed = ", ".join(
        f"CASE WHEN n.{out} < 0 AND n.{out} >= {NIGHT_RADIATION_FLOOR} THEN 0 ELSE n.{out} END AS {out}"
        if out == "global_radiation_kj_m2" else f"n.{out}"
        for out in COLUMNS
    )  # fmt: skip
    unreadable = ", ".join(
        f"CASE WHEN n.{out} IS NULL AND btrim(p.{raw}) NOT IN ('', '-9999') THEN '{out}=' || p.{raw} END"
        for out, raw in COLUMNS.items()
    )
    rules = " OR ".join(f"coalesce({r.violation}, false)" for r in quality.all_rules())
    return f"""
        CREATE TEMP TABLE {BATCH} ON COMMIT DROP AS
        SELECT b.*, ({rules} OR cardinality(b.unreadable) > 0) AS bad
        FROM (
            SELECT p.station_code, p.observed_at, p.source,
                   n.local::date AS local_date, extract(hour FROM n.local)::smallint AS local_hour,
                   {typed},
                   CASE WHEN p.present = num_nonnulls({", ".join(f"n.{c}" for c in COLUMNS)}) THEN '{{}}'::text[]
                        ELSE array_remove(ARRAY[{unreadable}], NULL) END AS unreadable
            FROM (
                SELECT r.*, c.present FROM {counted} WHERE {window} AND r.source = 'archive'
                UNION ALL
                SELECT r.*, c.present FROM {counted} WHERE {window} AND r.source = 'api' AND NOT {archive_has}
            ) p
            -- each value is typed once; the text is re-read only in a row where a value did not type
            CROSS JOIN LATERAL (SELECT {numbers}, p.observed_at AT TIME ZONE '{LOCAL_TZ}' AS local OFFSET 0) n
        ) b"""


def _quarantine_sql() -> str:
    """Only the flagged rows are expanded into one quarantine row per broken (rule, column)."""
    checks = ",\n".join(f"('{r.name}', '{r.column}', b.{r.column}::text, {r.violation})" for r in quality.all_rules())
    return f"""
        INSERT INTO processed_data.quarantine (station_code, observed_at, source, rule, column_name, value, run_id)
        SELECT b.station_code, b.observed_at, b.source, v.rule, v.col, v.val, %(run_id)s
        FROM {BATCH} b CROSS JOIN LATERAL (VALUES {checks}) AS v(rule, col, val, broken)
        WHERE b.bad AND v.broken
        UNION ALL
        SELECT b.station_code, b.observed_at, b.source, '{quality.NOT_A_NUMBER}', split_part(u, '=', 1),
               substr(u, strpos(u, '=') + 1), %(run_id)s
        FROM {BATCH} b CROSS JOIN LATERAL unnest(b.unreadable) AS u
        WHERE b.bad"""


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
        raise LumenError(f"the window ends ({end}) before it starts ({start})")
    params = {"start": start, "end": end, "run_id": run_id, "stations": stations or None}
    result = CleanResult(run_id, start, end)
    with conn.transaction():
        clean_stations(conn, run_id)
        result.raw_rows = conn.execute(
            "SELECT count(*) FROM raw_data.inmet_observations r WHERE r.observed_at >= %(start)s "
            "AND r.observed_at < %(end)s" + (" AND r.station_code = ANY(%(stations)s)" if stations else ""),
            params,
        ).fetchone()[0]
        conn.execute(_batch_sql(bool(stations)), params)
        result.checked, result.bad_rows = conn.execute(
            f"SELECT count(*), count(*) FILTER (WHERE bad) FROM {BATCH}"
        ).fetchone()
        conn.execute(
            "DELETE FROM processed_data.quarantine WHERE run_id = %(run_id)s "
            "AND observed_at >= %(start)s AND observed_at < %(end)s",
            params,
        )
        if result.bad_rows:
            conn.execute(_quarantine_sql(), params)
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
    if result.quarantined and on_invalid == "fail":
        raise QualityError(result.summary())
    return result


def _publish_valid(conn: psycopg.Connection, params: dict, result: CleanResult) -> None:
    """Quarantined hours leave processed (where an older version sat); the rest is upserted."""
    conn.execute(
        f"DELETE FROM processed_data.observations o USING {BATCH} b "
        "WHERE b.bad AND (o.station_code, o.observed_at) = (b.station_code, b.observed_at)"
    )
    result.new, result.changed = conn.execute(_upsert_sql(), params).fetchone()
    result.unchanged = result.checked - result.bad_rows - result.new - result.changed


STATIONS_SQL = f"""
WITH picked AS (
    SELECT DISTINCT ON (station_code) *
    FROM raw_data.inmet_stations
    ORDER BY station_code, (source = 'api') DESC
)
INSERT INTO processed_data.stations AS t (station_code, name, uf, latitude, longitude, altitude_m, status,
                                          station_type, operating_since, source, run_id)
SELECT station_code, btrim(name), upper(btrim(uf)),
       processed_data.inmet_number(latitude), processed_data.inmet_number(longitude),
       processed_data.inmet_number(altitude), status, station_type,
       CASE WHEN started ~ '^\\d{{4}}-\\d\\d-\\d\\dT' THEN started::timestamptz
            ELSE (CASE WHEN started ~ '^\\d{{4}}-\\d\\d-\\d\\d$' THEN to_date(started, 'YYYY-MM-DD')
                       WHEN started ~ '^\\d\\d/\\d\\d/\\d\\d$' THEN to_date(started, 'DD/MM/YY')
                       WHEN started ~ '^\\d\\d/\\d\\d/\\d{{4}}$' THEN to_date(started, 'DD/MM/YYYY')
                  END)::timestamp AT TIME ZONE '{LOCAL_TZ}'
       END,
       source, %(run_id)s
FROM picked
ON CONFLICT (station_code) DO UPDATE
   SET (name, uf, latitude, longitude, altitude_m, status, station_type, operating_since, source, run_id,
        processed_at) = (EXCLUDED.name, EXCLUDED.uf, EXCLUDED.latitude, EXCLUDED.longitude, EXCLUDED.altitude_m,
        EXCLUDED.status, EXCLUDED.station_type, EXCLUDED.operating_since, EXCLUDED.source, EXCLUDED.run_id, now())
 WHERE (t.name, t.uf, t.latitude, t.longitude, t.altitude_m, t.status, t.station_type, t.operating_since, t.source)
       IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.uf, EXCLUDED.latitude, EXCLUDED.longitude, EXCLUDED.altitude_m,
       EXCLUDED.status, EXCLUDED.station_type, EXCLUDED.operating_since, EXCLUDED.source)
"""


def clean_stations(conn: psycopg.Connection, run_id: str) -> int:
    """raw_data.inmet_stations → processed_data.stations (API over archive). Returns rows new or changed."""
    return conn.execute(STATIONS_SQL, {"run_id": run_id}).rowcount
