-- analytics for the dashboards and the report. Heavy aggregates are materialized views
-- (refreshed by the publish step through analytics.refresh(), never blocking readers);
-- freshness-sensitive ones are plain views, so "hours since last data" is always now.

-- Monthly per station, from the daily summary.
CREATE MATERIALIZED VIEW analytics.monthly_station_summary AS
SELECT d.station_code,
       date_trunc('month', d.local_date)::date                 AS month,
       count(*)                                                AS days_with_data,
       round(avg(d.completeness_pct), 1)::float8               AS completeness_pct,
       min(d.air_temp_min_c)                                   AS air_temp_min_c,
       max(d.air_temp_max_c)                                   AS air_temp_max_c,
       round(avg(d.air_temp_mean_c)::numeric, 2)::float8       AS air_temp_mean_c,
       sum(d.precip_total_mm)                                  AS precip_total_mm,
       count(*) FILTER (WHERE d.precip_total_mm >= 1)          AS rainy_days,
       round(avg(d.rel_humidity_mean_pct)::numeric, 1)::float8 AS rel_humidity_mean_pct,
       max(d.wind_gust_max_ms)                                 AS wind_gust_max_ms
FROM analytics.daily_station_summary d
GROUP BY d.station_code, date_trunc('month', d.local_date);
CREATE UNIQUE INDEX monthly_station_summary_key ON analytics.monthly_station_summary (station_code, month);

-- Records per station: the extreme value and when it happened (UTC hour or local day).
CREATE MATERIALIZED VIEW analytics.station_extremes AS
WITH hourly AS (
    SELECT station_code, 'highest air temperature' AS record, 'air_temp_c' AS measure, air_temp_c AS value,
           observed_at, row_number() OVER (PARTITION BY station_code ORDER BY air_temp_c DESC, observed_at) AS rk
    FROM processed_data.observations WHERE air_temp_c IS NOT NULL
    UNION ALL
    SELECT station_code, 'lowest air temperature', 'air_temp_c', air_temp_c, observed_at,
           row_number() OVER (PARTITION BY station_code ORDER BY air_temp_c ASC, observed_at)
    FROM processed_data.observations WHERE air_temp_c IS NOT NULL
    UNION ALL
    SELECT station_code, 'strongest gust', 'wind_gust_ms', wind_gust_ms, observed_at,
           row_number() OVER (PARTITION BY station_code ORDER BY wind_gust_ms DESC, observed_at)
    FROM processed_data.observations WHERE wind_gust_ms IS NOT NULL
    UNION ALL
    SELECT station_code, 'wettest hour', 'precip_mm', precip_mm, observed_at,
           row_number() OVER (PARTITION BY station_code ORDER BY precip_mm DESC, observed_at)
    FROM processed_data.observations WHERE precip_mm IS NOT NULL
), daily AS (
    SELECT station_code, 'wettest day' AS record, 'precip_total_mm' AS measure, precip_total_mm AS value, local_date,
           row_number() OVER (PARTITION BY station_code ORDER BY precip_total_mm DESC, local_date) AS rk
    FROM analytics.daily_station_summary WHERE precip_total_mm IS NOT NULL
)
SELECT station_code, record, measure, value, observed_at, (observed_at AT TIME ZONE 'America/Sao_Paulo')::date
       AS local_date
FROM hourly WHERE rk = 1
UNION ALL
SELECT station_code, record, measure, value, NULL::timestamptz, local_date FROM daily WHERE rk = 1;
CREATE UNIQUE INDEX station_extremes_key ON analytics.station_extremes (station_code, record);

-- The newest reading of every station and how old it is (a plain view: always current).
CREATE VIEW analytics.latest_readings AS
SELECT s.station_code, s.name, s.uf, s.status, s.latitude, s.longitude,
       o.observed_at, o.local_date, o.local_hour,
       o.air_temp_c, o.rel_humidity_pct, o.precip_mm, o.pressure_hpa, o.wind_speed_ms, o.wind_gust_ms,
       round((extract(epoch FROM now() - o.observed_at) / 3600)::numeric, 1)::float8 AS hours_since_last_data
FROM processed_data.stations s
LEFT JOIN LATERAL (
    SELECT * FROM processed_data.observations x
    WHERE x.station_code = s.station_code ORDER BY x.observed_at DESC LIMIT 1
) o ON true;

-- Stations with coordinates, for a map.
CREATE VIEW analytics.station_map AS
SELECT station_code, name, uf, status, latitude, longitude, altitude_m, operating_since
FROM processed_data.stations
WHERE latitude IS NOT NULL AND longitude IS NOT NULL;

-- Data quality per station and day: completeness and what was quarantined.
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
