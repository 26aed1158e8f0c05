-- One row per station and local day (the station's own zone).
{%- set w = lumen_window() %}
{{ config(
    materialized='incremental',
    incremental_predicates=['local_date BETWEEN [d_from] AND [d_to]'],
    indexes=[{'columns': ['station_code', 'local_date'], 'unique': True}, {'columns': ['local_date']}],
) }}
SELECT o.station_code,
       o.local_date,
       count(*)                                                   AS hours_with_data,
       -- against the hours that local day really has in the station's zone: 23 or 25 on a
       -- daylight-saving change (where and when Brazil kept it), 24 otherwise
       round(100.0 * count(*) / {{ local_day_hours('o.local_date', 'min(s.time_zone)') }}, 1) AS completeness_pct,
       min(o.air_temp_min_c)                                      AS air_temp_min_c,
       max(o.air_temp_max_c)                                      AS air_temp_max_c,
       round(avg(o.air_temp_c)::numeric, 2)::float8               AS air_temp_mean_c,
       round(sum(o.precip_mm)::numeric, 2)::float8                AS precip_total_mm,
       round(avg(o.rel_humidity_pct)::numeric, 1)::float8         AS rel_humidity_mean_pct,
       max(o.wind_gust_ms)                                        AS wind_gust_max_ms,
       round((sum(o.global_radiation_kj_m2) / 1000)::numeric, 3)::float8 AS global_radiation_mj_m2
FROM {{ ref('stg_observations') }} o
JOIN {{ ref('stg_stations') }} s USING (station_code)
{%- if is_incremental() %}
WHERE {{ window_rows(w, 'o') }}
{%- endif %}
GROUP BY o.station_code, o.local_date
