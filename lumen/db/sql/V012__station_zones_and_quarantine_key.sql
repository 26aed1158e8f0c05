-- Data you can trust:
-- 1. Each station's own time zone. Every station had been given America/Sao_Paulo, which
--    shifts local dates and hours in the North, Centre-West and Northeast (Brazil spans
--    UTC−2…−5, and daylight-saving rules differed by state until 2019). The zone comes
--    from the station's coordinates (or its state), set by the clean step in Python
--    (lumen/stations.py, tzfpy). After this migration, `lumen db migrate` runs that same
--    station step, which re-derives local_date/local_hour of every processed row whose
--    zone changed and rebuilds analytics: an upgraded database ends as a fresh load does.
-- 2. processed_data.quarantine keyed by (station, hour, rule, column), as V005 promised:
--    re-runs update the row (latest run), and a re-clean that finds the hour valid marks
--    it resolved (kept, not deleted).
-- 3. What "missing" means lives in one place, lumen/inmet/schema.py; the SQL functions
--    that held their own copies of it (and disagreed) are dropped.

ALTER TABLE processed_data.stations
    ADD COLUMN time_zone        text,  -- IANA zone, e.g. America/Maceio
    ADD COLUMN time_zone_source text CHECK (time_zone_source IN ('coordinates', 'state'));
COMMENT ON COLUMN processed_data.stations.time_zone IS
    'IANA time zone of the station, from its coordinates (tzfpy) or, where they are missing, its state';
COMMENT ON COLUMN processed_data.observations.local_date IS
    'Local date at the station, in processed_data.stations.time_zone (daylight-saving years included)';
COMMENT ON COLUMN processed_data.observations.local_hour IS
    'Local hour at the station (0-23), in processed_data.stations.time_zone';

-- quarantine: keep the newest row of each key, then key it
DELETE FROM processed_data.quarantine q
 USING processed_data.quarantine newer
 WHERE (newer.station_code, newer.observed_at, newer.rule, newer.column_name)
       = (q.station_code, q.observed_at, q.rule, q.column_name)
   AND newer.id > q.id;
ALTER TABLE processed_data.quarantine
    ADD COLUMN resolved_at     timestamptz,  -- a later clean found this hour valid for this rule and column
    ADD COLUMN resolved_run_id text,
    ADD CONSTRAINT quarantine_one_per_problem UNIQUE (station_code, observed_at, rule, column_name);
DROP INDEX processed_data.quarantine_key;  -- the unique key above serves the same lookups
-- the open rows of a window: what a clean checks for (and resolves) on every run
CREATE INDEX quarantine_open ON processed_data.quarantine (observed_at) WHERE resolved_at IS NULL;
COMMENT ON TABLE processed_data.quarantine IS
    'Rows that broke a quality rule: one per (station, hour, rule, column), from the latest run that found it; '
    'resolved_at is set when a later clean finds that hour valid (kept as history)';

DROP FUNCTION processed_data.inmet_unreadable(text);
DROP FUNCTION processed_data.inmet_number(text);

-- Data quality per station and local day: open quarantine rows only, local days in the
-- station's zone.
CREATE OR REPLACE VIEW analytics.data_quality_daily AS
WITH q AS (
    SELECT q.station_code, (q.observed_at AT TIME ZONE s.time_zone)::date AS local_date,
           count(DISTINCT q.observed_at) AS hours_quarantined, count(*) AS problems,
           string_agg(DISTINCT q.rule, ', ' ORDER BY q.rule) AS rules
    FROM processed_data.quarantine q JOIN processed_data.stations s USING (station_code)
    WHERE q.resolved_at IS NULL
    GROUP BY 1, 2
)
SELECT coalesce(d.station_code, q.station_code) AS station_code,
       coalesce(d.local_date, q.local_date)     AS local_date,
       coalesce(d.hours_with_data, 0)           AS hours_with_data,
       coalesce(d.completeness_pct, 0)          AS completeness_pct,
       coalesce(q.hours_quarantined, 0)         AS hours_quarantined,
       coalesce(q.problems, 0)                  AS problems,
       q.rules
FROM analytics.daily_station_summary d
FULL JOIN q ON q.station_code = d.station_code AND q.local_date = d.local_date;

-- analytics.refresh as in V009, with local days taken from each station's zone: the days a
-- UTC window can touch are bounded by Brazil's offsets (UTC−5 … UTC−2), and a record's
-- local date is its row's local_date.
CREATE OR REPLACE FUNCTION analytics.refresh(p_from timestamptz DEFAULT NULL, p_to timestamptz DEFAULT NULL)
RETURNS TABLE (table_name text, rows_written bigint, row_count bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, analytics, pg_temp AS $$
DECLARE
    lo     timestamptz := coalesce(p_from, '-infinity');
    hi     timestamptz := coalesce(p_to, 'infinity');
    d_from date := ((lo AT TIME ZONE 'UTC') - interval '5 hours')::date;
    d_to   date := ((hi - interval '1 microsecond') AT TIME ZONE 'UTC' - interval '2 hours')::date;
    m_from date := date_trunc('month', d_from)::date;
    m_to   date := date_trunc('month', d_to)::date;
    n      bigint;
BEGIN
    IF lo >= hi THEN
        RAISE EXCEPTION 'analytics.refresh: empty window [%, %)', p_from, p_to;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('analytics.refresh'));

    DELETE FROM analytics.daily_station_summary WHERE local_date BETWEEN d_from AND d_to;
    INSERT INTO analytics.daily_station_summary
    SELECT o.station_code,
           o.local_date,
           count(*),
           round(100.0 * count(*) / 24, 1),
           min(o.air_temp_min_c),
           max(o.air_temp_max_c),
           round(avg(o.air_temp_c)::numeric, 2)::float8,
           round(sum(o.precip_mm)::numeric, 2)::float8,
           round(avg(o.rel_humidity_pct)::numeric, 1)::float8,
           max(o.wind_gust_ms),
           round((sum(o.global_radiation_kj_m2) / 1000)::numeric, 3)::float8
    FROM processed_data.observations o
    -- a local day lies within UTC [day + 2 h, day + 1 day + 5 h): two days either side bound it
    WHERE o.observed_at >= lo - interval '2 days' AND o.observed_at < hi + interval '2 days'
      AND o.local_date BETWEEN d_from AND d_to
    GROUP BY o.station_code, o.local_date;
    GET DIAGNOSTICS n = ROW_COUNT;
    table_name := 'daily_station_summary'; rows_written := n;
    row_count := (SELECT count(*) FROM analytics.daily_station_summary);
    RETURN NEXT;

    DELETE FROM analytics.monthly_station_summary WHERE month BETWEEN m_from AND m_to;
    INSERT INTO analytics.monthly_station_summary
    SELECT d.station_code,
           date_trunc('month', d.local_date)::date,
           count(*),
           round(avg(d.completeness_pct), 1)::float8,
           min(d.air_temp_min_c),
           max(d.air_temp_max_c),
           round(avg(d.air_temp_mean_c)::numeric, 2)::float8,
           round(sum(d.precip_total_mm)::numeric, 2)::float8,
           count(*) FILTER (WHERE d.precip_total_mm >= 1),
           round(avg(d.rel_humidity_mean_pct)::numeric, 1)::float8,
           max(d.wind_gust_max_ms)
    FROM analytics.daily_station_summary d
    WHERE d.local_date >= m_from AND d.local_date < m_to + interval '1 month'
    GROUP BY d.station_code, date_trunc('month', d.local_date);
    GET DIAGNOSTICS n = ROW_COUNT;
    table_name := 'monthly_station_summary'; rows_written := n;
    row_count := (SELECT count(*) FROM analytics.monthly_station_summary);
    RETURN NEXT;

    DROP TABLE IF EXISTS pg_temp.extremes_scope;
    CREATE TEMP TABLE extremes_scope ON COMMIT DROP AS
    SELECT s.station_code,
           p_from IS NULL OR EXISTS (
               SELECT 1 FROM analytics.station_extremes e
               WHERE e.station_code = s.station_code
                 AND (e.observed_at >= lo AND e.observed_at < hi OR e.local_date BETWEEN d_from AND d_to)
           ) AS whole_history
    FROM (SELECT d.station_code FROM analytics.daily_station_summary d WHERE d.local_date BETWEEN d_from AND d_to
          UNION
          SELECT e.station_code FROM analytics.station_extremes e
          WHERE e.observed_at >= lo AND e.observed_at < hi OR e.local_date BETWEEN d_from AND d_to) s;
    ANALYZE pg_temp.extremes_scope;

    DELETE FROM analytics.station_extremes e USING pg_temp.extremes_scope s
    WHERE e.station_code = s.station_code AND s.whole_history;
    INSERT INTO analytics.station_extremes
    WITH hours AS (  -- whole history where needed, else the window's hours
        SELECT o.station_code, o.observed_at, o.air_temp_c, o.wind_gust_ms, o.precip_mm
        FROM processed_data.observations o JOIN pg_temp.extremes_scope s USING (station_code)
        WHERE s.whole_history
        UNION ALL
        SELECT o.station_code, o.observed_at, o.air_temp_c, o.wind_gust_ms, o.precip_mm
        FROM processed_data.observations o JOIN pg_temp.extremes_scope s USING (station_code)
        WHERE NOT s.whole_history AND o.observed_at >= lo AND o.observed_at < hi
    ), days AS (
        SELECT d.station_code, d.local_date, d.precip_total_mm
        FROM analytics.daily_station_summary d JOIN pg_temp.extremes_scope s USING (station_code)
        WHERE s.whole_history OR d.local_date BETWEEN d_from AND d_to
    ), best AS (  -- two hash aggregates (no sort of every hour): the extremes, then their first hour
        SELECT station_code, max(air_temp_c) AS t_hi, min(air_temp_c) AS t_lo, max(wind_gust_ms) AS gust,
               max(precip_mm) AS rain
        FROM hours GROUP BY station_code
    ), hour_records AS (
        SELECT h.station_code,
               min(h.observed_at) FILTER (WHERE h.air_temp_c = b.t_hi) AS t_hi_at,
               min(h.observed_at) FILTER (WHERE h.air_temp_c = b.t_lo) AS t_lo_at,
               min(h.observed_at) FILTER (WHERE h.wind_gust_ms = b.gust) AS gust_at,
               min(h.observed_at) FILTER (WHERE h.precip_mm = b.rain) AS rain_at
        FROM hours h JOIN best b USING (station_code)
        GROUP BY h.station_code
    ), candidates AS (  -- rank_key: smallest is best
        SELECT b.station_code, r.record, r.measure, r.value, r.observed_at, h.local_date, r.value * r.sign AS rank_key
        FROM best b JOIN hour_records w USING (station_code)
        CROSS JOIN LATERAL (VALUES ('highest air temperature', 'air_temp_c', b.t_hi, w.t_hi_at, -1),
                                   ('lowest air temperature', 'air_temp_c', b.t_lo, w.t_lo_at, 1),
                                   ('strongest gust', 'wind_gust_ms', b.gust, w.gust_at, -1),
                                   ('wettest hour', 'precip_mm', b.rain, w.rain_at, -1))
                    r (record, measure, value, observed_at, sign)
        JOIN processed_data.observations h ON h.station_code = b.station_code AND h.observed_at = r.observed_at
        WHERE r.value IS NOT NULL
        UNION ALL
        SELECT * FROM (
            SELECT DISTINCT ON (station_code) station_code, 'wettest day', 'precip_total_mm', precip_total_mm,
                   NULL::timestamptz, local_date, -precip_total_mm
            FROM days WHERE precip_total_mm IS NOT NULL
            ORDER BY station_code, precip_total_mm DESC, local_date
        ) wettest_day
        UNION ALL  -- the standing records of the stations not recomputed in whole
        SELECT e.station_code, e.record, e.measure, e.value, e.observed_at, e.local_date,
               CASE WHEN e.record LIKE 'lowest%' THEN e.value ELSE -e.value END
        FROM analytics.station_extremes e JOIN pg_temp.extremes_scope s USING (station_code)
        WHERE NOT s.whole_history
    ), ranked AS (
        SELECT c.*, row_number() OVER (PARTITION BY c.station_code, c.record
                                       ORDER BY c.rank_key, c.observed_at, c.local_date) AS rk
        FROM candidates c
    )
    SELECT station_code, record, measure, value, observed_at, local_date FROM ranked WHERE rk = 1
    ON CONFLICT (station_code, record) DO UPDATE
        SET value = excluded.value, observed_at = excluded.observed_at, local_date = excluded.local_date
        WHERE (station_extremes.value, station_extremes.observed_at, station_extremes.local_date)
              IS DISTINCT FROM (excluded.value, excluded.observed_at, excluded.local_date);
    GET DIAGNOSTICS n = ROW_COUNT;
    table_name := 'station_extremes'; rows_written := n;
    row_count := (SELECT count(*) FROM analytics.station_extremes);
    RETURN NEXT;
END
$$;
