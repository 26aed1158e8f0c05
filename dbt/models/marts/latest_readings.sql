-- The newest reading of every station and how old it is (a view: always current).
{{ config(materialized='view') }}
SELECT s.station_code, s.name, s.uf, s.status, s.latitude, s.longitude,
       o.observed_at, o.local_date, o.local_hour,
       o.air_temp_c, o.rel_humidity_pct, o.precip_mm, o.pressure_hpa, o.wind_speed_ms, o.wind_gust_ms,
       round((extract(epoch FROM now() - o.observed_at) / 3600)::numeric, 1)::float8 AS hours_since_last_data
FROM {{ ref('stg_stations') }} s
LEFT JOIN LATERAL (
    SELECT * FROM {{ ref('stg_observations') }} x
    WHERE x.station_code = s.station_code ORDER BY x.observed_at DESC LIMIT 1
) o ON true
