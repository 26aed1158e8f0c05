"""raw_data.inmet_stations → processed_data.stations, each with its IANA time zone.

Station records: the API station list's wins (it has the status and the full name),
then the archive header, then the fields API observations repeat on every row. Each
record is judged first, for that station alone (lumen/clean/station_checks.py): a field that is
not plausible is not used, and a station whose local time cannot be derived is held (its
rows stay in raw_data) — processed_data.station_issues says which and why. Each station
gets its zone from its coordinates (`lumen.clean.timezones`), or from its state where the
coordinates are missing or unusable (`time_zone_source` says which). When a station's zone
is set or changes (moved coordinates, or a database upgraded from the days when every
station was America/Sao_Paulo), the local date and hour of its processed rows are
derived again and the analytics tables rebuilt, so an upgraded database ends
identical to a fresh load.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg

from lumen.clean import station_checks
from lumen.db import one
from lumen.inmet.schema import number_sql

ZONES = "lumen_station_zones"

# the station list's record, else the archive header's, else what API observations repeat on every row
_PICKED = """
    SELECT DISTINCT ON (station_code) *
    FROM raw_data.inmet_stations
    ORDER BY station_code, CASE WHEN source = 'api' AND payload ? 'CD_SITUACAO' THEN 0
                                WHEN source = 'archive' THEN 1 ELSE 2 END
"""

_STATIONS_SQL = f"""
WITH picked AS ({_PICKED})
INSERT INTO processed_data.stations AS t (station_code, name, uf, latitude, longitude, altitude_m, status,
                                          station_type, operating_since, time_zone, time_zone_source, source, run_id)
SELECT p.station_code, btrim(p.name), z.uf, z.latitude, z.longitude, z.altitude_m,
       p.status, p.station_type,
       CASE WHEN p.started ~ '^\\d{{4}}-\\d\\d-\\d\\dT' THEN p.started::timestamptz
            ELSE (CASE WHEN p.started ~ '^\\d{{4}}-\\d\\d-\\d\\d$' THEN to_date(p.started, 'YYYY-MM-DD')
                       WHEN p.started ~ '^\\d\\d/\\d\\d/\\d\\d$' THEN to_date(p.started, 'DD/MM/YY')
                       WHEN p.started ~ '^\\d\\d/\\d\\d/\\d{{4}}$' THEN to_date(p.started, 'DD/MM/YYYY')
                  END)::timestamp AT TIME ZONE coalesce(z.time_zone, 'UTC')
       END,
       z.time_zone, z.time_zone_source, p.source, %(run_id)s
FROM picked p JOIN {ZONES} z USING (station_code)
WHERE NOT z.held  -- a held station keeps the record it had (if any): nothing of the new one is used
ON CONFLICT (station_code) DO UPDATE
   SET (name, uf, latitude, longitude, altitude_m, status, station_type, operating_since, time_zone,
        time_zone_source, source, run_id, processed_at) =
       (EXCLUDED.name, EXCLUDED.uf, EXCLUDED.latitude, EXCLUDED.longitude, EXCLUDED.altitude_m, EXCLUDED.status,
        EXCLUDED.station_type, EXCLUDED.operating_since, EXCLUDED.time_zone, EXCLUDED.time_zone_source,
        EXCLUDED.source, EXCLUDED.run_id, now())
 WHERE (t.name, t.uf, t.latitude, t.longitude, t.altitude_m, t.status, t.station_type, t.operating_since,
        t.time_zone, t.time_zone_source, t.source)
       IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.uf, EXCLUDED.latitude, EXCLUDED.longitude, EXCLUDED.altitude_m,
       EXCLUDED.status, EXCLUDED.station_type, EXCLUDED.operating_since, EXCLUDED.time_zone,
       EXCLUDED.time_zone_source, EXCLUDED.source)
"""

# the local date and hour of a processed row, in its station's zone (also what the clean step writes)
LOCAL_DATE = "(({at}) AT TIME ZONE {zone})::date"
LOCAL_HOUR = "extract(hour FROM ({at}) AT TIME ZONE {zone})::smallint"

_REDERIVE = f"""
    UPDATE processed_data.observations o
       SET local_date = {LOCAL_DATE.format(at="o.observed_at", zone="s.time_zone")},
           local_hour = {LOCAL_HOUR.format(at="o.observed_at", zone="s.time_zone")}
      FROM processed_data.stations s
     WHERE s.station_code = o.station_code AND s.station_code = ANY(%(codes)s)
       AND (o.local_date, o.local_hour) IS DISTINCT FROM
           ({LOCAL_DATE.format(at="o.observed_at", zone="s.time_zone")},
            {LOCAL_HOUR.format(at="o.observed_at", zone="s.time_zone")})
"""


_ISSUE = """
    INSERT INTO processed_data.station_issues AS t (station_code, field, rule, value, action, run_id)
    VALUES (%s, %s, %s, %s, %s, %s)
    ON CONFLICT (station_code, field, rule) DO UPDATE
       SET (value, action, run_id, found_at, resolved_at, resolved_run_id) =
           (EXCLUDED.value, EXCLUDED.action, EXCLUDED.run_id,
            CASE WHEN t.resolved_at IS NULL THEN t.found_at ELSE now() END, NULL, NULL)
"""
# open issues of judged stations that this run did not find again: the record was corrected
_RESOLVE = """
    UPDATE processed_data.station_issues i SET resolved_at = now(), resolved_run_id = %(run_id)s
     WHERE i.resolved_at IS NULL AND i.station_code = ANY(%(judged)s)
       AND NOT ((i.station_code, i.field, i.rule) IN (SELECT * FROM unnest(%(codes)s::text[], %(fields)s::text[],
                                                                           %(rules)s::text[])))
    RETURNING i.station_code
"""


@dataclass
class StationsResult:
    changed: int = 0  # processed_data.stations rows new or changed
    issues: dict[str, list[station_checks.Issue]] = field(default_factory=dict)  # station → open now
    released: list[str] = field(default_factory=list)  # stations whose issues this run resolved

    @property
    def held(self) -> list[str]:
        return sorted(
            code for code, found in self.issues.items() if any(i.action == station_checks.HELD for i in found)
        )


def _records(conn: psycopg.Connection) -> list[station_checks.StationRecord]:
    rows = conn.execute(
        f"SELECT station_code, uf, latitude, longitude, altitude, {number_sql('latitude')}, "
        f"{number_sql('longitude')}, {number_sql('altitude')} FROM ({_PICKED}) p"
    ).fetchall()
    return [station_checks.StationRecord(*row) for row in rows]


def record_issues(conn: psycopg.Connection, judged: list[station_checks.Judged], run_id: str) -> list[str]:
    """Open issues upserted, those the judged stations no longer have resolved; returns the stations
    released (an issue of theirs resolved now). A schema from before V017 (an upgrade test's) has no table."""
    if one(conn.execute("SELECT to_regclass('processed_data.station_issues')"))[0] is None:
        return []
    found = [(j.code, i) for j in judged for i in j.issues]
    with conn.cursor() as cur:
        cur.executemany(_ISSUE, [(code, i.field, i.rule, i.value, i.action, run_id) for code, i in found])
    released = conn.execute(
        _RESOLVE,
        {
            "run_id": run_id,
            "judged": [j.code for j in judged],
            "codes": [c for c, _ in found],
            "fields": [i.field for _, i in found],
            "rules": [i.rule for _, i in found],
        },
    ).fetchall()
    return sorted({code for (code,) in released})


def clean_stations(conn: psycopg.Connection, run_id: str) -> StationsResult:
    """Upsert processed_data.stations from raw (judged, with zones); re-derive local time where a zone
    changed. Returns what changed and each station's open issues."""
    judged = [station_checks.judge(rec) for rec in _records(conn)]
    conn.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {ZONES} (station_code text PRIMARY KEY, uf text, latitude float8, "
        "longitude float8, altitude_m float8, time_zone text, time_zone_source text, held boolean) "
        "ON COMMIT DELETE ROWS"
    )
    conn.execute(f"TRUNCATE {ZONES}")
    with conn.cursor().copy(f"COPY {ZONES} FROM STDIN") as copy:
        for j in judged:
            zone = j.zone
            copy.write_row(
                (
                    j.code,
                    j.uf,
                    j.latitude,
                    j.longitude,
                    j.altitude,
                    zone.name if zone else None,
                    zone.source if zone else None,
                    j.held,
                )
            )
    zones = conn.execute("SELECT station_code, time_zone FROM processed_data.stations").fetchall()
    before: dict[str, str | None] = dict(zones)
    result = StationsResult(changed=conn.execute(_STATIONS_SQL, {"run_id": run_id}).rowcount)
    result.released = record_issues(conn, judged, run_id)
    result.issues = {j.code: list(j.issues) for j in judged if j.issues}
    moved = [
        code
        for code, zone in conn.execute(f"SELECT station_code, time_zone FROM {ZONES} WHERE NOT held")
        if before.get(code, zone) != zone
    ]
    if moved and conn.execute(_REDERIVE, {"codes": moved}).rowcount:  # their local days moved: the next
        conn.execute(  # publish rebuilds analytics from all of history (lumen/publish/analytics.py)
            "INSERT INTO ops.analytics_rebuild (run_id, reason) VALUES (%s, %s)",
            (run_id, "time zone changed: " + ", ".join(sorted(moved))),
        )
    return result


def open_issues(conn: psycopg.Connection) -> dict[str, list[tuple[str, str | None, str]]]:
    """Station → its open record issues (field, value, action), for `lumen status`."""
    if one(conn.execute("SELECT to_regclass('processed_data.station_issues')"))[0] is None:
        return {}
    out: dict[str, list[tuple[str, str | None, str]]] = {}
    for code, field_, value, action in conn.execute(
        "SELECT station_code, field, value, action FROM processed_data.station_issues WHERE resolved_at IS NULL "
        "ORDER BY station_code, action, field"
    ):
        out.setdefault(code, []).append((field_, value, action))
    return out
