-- analytics, refreshed by window instead of in full. V007/V008 made the summaries
-- materialized views: every publish recomputed them from all of processed_data (12 s
-- for a year of 600 stations, and growing with every year kept). Now they are tables
-- with the same names and columns, and analytics.refresh(from, to) rewrites only
-- the local days, months and station records that the window [from, to) can touch.
-- Readers are still never blocked: each refresh is one transaction (MVCC).

DROP VIEW analytics.data_quality_daily;
DROP MATERIALIZED VIEW analytics.station_extremes;
DROP MATERIALIZED VIEW analytics.monthly_station_summary;
DROP MATERIALIZED VIEW analytics.daily_station_summary;
DROP FUNCTION analytics.refresh();

CREATE TABLE analytics.daily_station_summary (
    station_code           text    NOT NULL,
    local_date             date    NOT NULL,
    hours_with_data        bigint  NOT NULL,
    completeness_pct       numeric NOT NULL,
    air_temp_min_c         double precision,
    air_temp_max_c         double precision,
    air_temp_mean_c        double precision,
    precip_total_mm        double precision,
    rel_humidity_mean_pct  double precision,
    wind_gust_max_ms       double precision,
    global_radiation_mj_m2 double precision,
    PRIMARY KEY (station_code, local_date)
);

CREATE TABLE analytics.monthly_station_summary (
    station_code          text   NOT NULL,
    month                 date   NOT NULL,
    days_with_data        bigint NOT NULL,
    completeness_pct      double precision,
    air_temp_min_c        double precision,
    air_temp_max_c        double precision,
    air_temp_mean_c       double precision,
    precip_total_mm       double precision,
    rainy_days            bigint NOT NULL,
    rel_humidity_mean_pct double precision,
    wind_gust_max_ms      double precision,
    PRIMARY KEY (station_code, month)
);

-- Records per station: the extreme value and when it happened (UTC hour, or local day
-- for daily records). Ties go to the earliest.
CREATE TABLE analytics.station_extremes (
    station_code text NOT NULL,
    record       text NOT NULL,
    measure      text NOT NULL,
    value        double precision NOT NULL,
    observed_at  timestamptz,
    local_date   date,
    PRIMARY KEY (station_code, record)
);

-- Unchanged from V008 (it read the materialized view dropped above).
CREATE VIEW analytics.data_quality_daily AS
WITH q AS (
    SELECT station_code, (observed_at AT TIME ZONE 'America/Sao_Paulo')::date AS local_date,
           count(DISTINCT observed_at) AS hours_quarantined, count(*) AS problems,
           string_agg(DISTINCT rule, ', ' ORDER BY rule) AS rules
    FROM processed_data.quarantine GROUP BY 1, 2
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

-- Rewrite what the UTC window [p_from, p_to) can touch; NULLs = everything.
--  * daily: every station's local days that overlap the window, from processed_data;
--  * monthly: the months of those days, from the daily table;
--  * extremes of the stations seen in those days: the best of the standing record and
--    the window's candidates — or, where the standing record lies inside the window
--    (its value may have changed or gone), recomputed from the station's whole history.
-- Runs with the owner's rights (the pipeline role needs no DDL); returns per table the
-- rows written and the rows it now holds.
CREATE FUNCTION analytics.refresh(p_from timestamptz DEFAULT NULL, p_to timestamptz DEFAULT NULL)
RETURNS TABLE (table_name text, rows_written bigint, row_count bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, analytics, pg_temp AS $$
DECLARE
    lo     timestamptz := coalesce(p_from, '-infinity');
    hi     timestamptz := coalesce(p_to, 'infinity');
    d_from date := (lo AT TIME ZONE 'America/Sao_Paulo')::date;
    d_to   date := ((hi - interval '1 microsecond') AT TIME ZONE 'America/Sao_Paulo')::date;
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
    -- local days are UTC-3 (UTC-2 in old DST summers): a day either side bounds them
    WHERE o.observed_at >= lo - interval '1 day' AND o.observed_at < hi + interval '1 day'
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
        SELECT b.station_code, r.record, r.measure, r.value, r.observed_at,
               (r.observed_at AT TIME ZONE 'America/Sao_Paulo')::date AS local_date, r.value * r.sign AS rank_key
        FROM best b JOIN hour_records w USING (station_code)
        CROSS JOIN LATERAL (VALUES ('highest air temperature', 'air_temp_c', b.t_hi, w.t_hi_at, -1),
                                   ('lowest air temperature', 'air_temp_c', b.t_lo, w.t_lo_at, 1),
                                   ('strongest gust', 'wind_gust_ms', b.gust, w.gust_at, -1),
                                   ('wettest hour', 'precip_mm', b.rain, w.rain_at, -1))
                    r (record, measure, value, observed_at, sign)
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
REVOKE ALL ON FUNCTION analytics.refresh(timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION analytics.refresh(timestamptz, timestamptz) TO lumen_pipeline;

-- Fill the tables once from what processed_data holds now.
SELECT count(*) FROM analytics.refresh();
