-- One row per station and local month, from the daily summary. air_temp_max_mean_c (the mean
-- of the daily maxima over days with 18+ hours) is what the heat-wave alert's normal is made of.
{%- set w = lumen_window() %}
{{ config(
    materialized='incremental',
    on_schema_change='append_new_columns',
    incremental_predicates=['month BETWEEN [m_from] AND [m_to]'],
    indexes=[{'columns': ['station_code', 'month'], 'unique': True}],
) }}
SELECT d.station_code,
       date_trunc('month', d.local_date)::date                    AS month,
       count(*)                                                   AS days_with_data,
       round(avg(d.completeness_pct), 1)::float8                  AS completeness_pct,
       min(d.air_temp_min_c)                                      AS air_temp_min_c,
       max(d.air_temp_max_c)                                      AS air_temp_max_c,
       round(avg(d.air_temp_mean_c)::numeric, 2)::float8          AS air_temp_mean_c,
       round(sum(d.precip_total_mm)::numeric, 2)::float8          AS precip_total_mm,
       count(*) FILTER (WHERE d.precip_total_mm >= 1)             AS rainy_days,
       round(avg(d.rel_humidity_mean_pct)::numeric, 1)::float8    AS rel_humidity_mean_pct,
       max(d.wind_gust_max_ms)                                    AS wind_gust_max_ms,
       round((avg(d.air_temp_max_c) FILTER (WHERE d.hours_with_data >= 18))::numeric, 2)::float8 AS air_temp_max_mean_c,
       count(d.air_temp_max_c) FILTER (WHERE d.hours_with_data >= 18) AS days_with_max
FROM {{ ref('daily_station_summary') }} d
{%- if is_incremental() %}
WHERE d.local_date >= {{ w.m_from }} AND d.local_date < {{ w.m_to }} + interval '1 month'
{%- endif %}
GROUP BY d.station_code, date_trunc('month', d.local_date)
