"""raw_data.inmet_stations → processed_data.stations, each with its IANA time zone.

Station records: the API station list's wins (it has the status and the full name),
then the archive header, then the fields API observations repeat on every row. Each
station gets its zone from its coordinates (`lumen.timezones`), or from its state
where coordinates are missing (`time_zone_source` says which). When a station's zone
is set or changes (moved coordinates, or a database upgraded from the days when every
station was America/Sao_Paulo), the local date and hour of its processed rows are
derived again and the analytics tables rebuilt, so an upgraded database ends
identical to a fresh load.
"""

from __future__ import annotations

import psycopg

from lumen import timezones
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
SELECT p.station_code, btrim(p.name), upper(btrim(p.uf)),
       {number_sql("p.latitude")}, {number_sql("p.longitude")}, {number_sql("p.altitude")},
       p.status, p.station_type,
       CASE WHEN p.started ~ '^\\d{{4}}-\\d\\d-\\d\\dT' THEN p.started::timestamptz
            ELSE (CASE WHEN p.started ~ '^\\d{{4}}-\\d\\d-\\d\\d$' THEN to_date(p.started, 'YYYY-MM-DD')
                       WHEN p.started ~ '^\\d\\d/\\d\\d/\\d\\d$' THEN to_date(p.started, 'DD/MM/YY')
                       WHEN p.started ~ '^\\d\\d/\\d\\d/\\d{{4}}$' THEN to_date(p.started, 'DD/MM/YYYY')
                  END)::timestamp AT TIME ZONE coalesce(z.time_zone, 'UTC')
       END,
       z.time_zone, z.time_zone_source, p.source, %(run_id)s
FROM picked p LEFT JOIN {ZONES} z USING (station_code)
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


def clean_stations(conn: psycopg.Connection, run_id: str) -> int:
    """Upsert processed_data.stations from raw (with zones); re-derive local time where a zone changed.
    Returns the station rows new or changed."""
    picked = conn.execute(
        f"SELECT station_code, {number_sql('latitude')}, {number_sql('longitude')}, uf FROM ({_PICKED}) p"
    ).fetchall()
    conn.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {ZONES} (station_code text PRIMARY KEY, time_zone text, "
        "time_zone_source text) ON COMMIT DELETE ROWS"
    )
    conn.execute(f"TRUNCATE {ZONES}")
    with conn.cursor().copy(f"COPY {ZONES} FROM STDIN") as copy:
        for code, lat, lon, uf in picked:
            zone = timezones.zone_for(lat, lon, uf)
            copy.write_row((code, zone.name if zone else None, zone.source if zone else None))
    before = dict(conn.execute("SELECT station_code, time_zone FROM processed_data.stations").fetchall())
    changed = conn.execute(_STATIONS_SQL, {"run_id": run_id}).rowcount
    moved = [
        code
        for code, zone in conn.execute(f"SELECT station_code, time_zone FROM {ZONES}")
        if before.get(code, zone) != zone
    ]
    if moved and conn.execute(_REDERIVE, {"codes": moved}).rowcount:  # their local days moved: the next
        conn.execute(  # publish rebuilds analytics from all of history (lumen/analytics.py)
            "INSERT INTO ops.analytics_rebuild (run_id, reason) VALUES (%s, %s)",
            (run_id, "time zone changed: " + ", ".join(sorted(moved))),
        )
    return changed
