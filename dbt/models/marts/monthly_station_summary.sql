-- One row per station and local month: the month's values (station_months: each only where the
-- month passes its completeness rule, with the counts that say why not) and their anomalies
-- against the station's period average for that calendar month (station_month_normals). A view,
-- so an anomaly always refers to the current period average.
{{ config(materialized='view') }}
SELECT m.*,
       round((m.air_temp_mean_c - n.air_temp_mean_c)::numeric, 2)::float8         AS air_temp_mean_anomaly_c,
       round((m.air_temp_max_mean_c - n.air_temp_max_mean_c)::numeric, 2)::float8 AS air_temp_max_mean_anomaly_c,
       round((m.air_temp_min_mean_c - n.air_temp_min_mean_c)::numeric, 2)::float8 AS air_temp_min_mean_anomaly_c,
       round((m.precip_total_mm - n.precip_total_mm)::numeric, 2)::float8         AS precip_anomaly_mm,
       round((100 * m.precip_total_mm / nullif(n.precip_total_mm, 0))::numeric, 1)::float8 AS precip_pct_of_normal,
       n.air_temp_mean_years                                                       AS normal_years,
       n.first_year                                                                AS normal_first_year,
       n.last_year                                                                 AS normal_last_year
FROM {{ ref('station_months') }} m
LEFT JOIN {{ ref('station_month_normals') }} n
       ON n.station_code = m.station_code AND n.calendar_month = extract(month FROM m.month)::int
