-- Per station and local month, from the daily summary: each variable's valid days, missing days and
-- longest run of missing days, and its monthly value only where the month passes the rule
-- (macros/completeness.sql: WMO-No. 1203's 11 missing days / 5 in a row; totals and "days with"
-- counts need every day). monthly_station_summary adds the anomalies; annual_station_summary and
-- station_month_normals read it.
{%- set w = lumen_window() %}
{#- (prefix, daily column): the daily values a month is made of -#}
{%- set ruled = [
    ('air_temp', 'air_temp_mean_c'), ('air_temp_max', 'air_temp_max_c'), ('air_temp_min', 'air_temp_min_c'),
    ('rel_humidity', 'rel_humidity_mean_pct'), ('wind_gust', 'wind_gust_max_ms'), ('precip', 'precip_total_mm'),
] %}
{{ config(
    materialized='incremental',
    incremental_predicates=['month BETWEEN [m_from] AND [m_to]'],
    indexes=[{'columns': ['station_code', 'month'], 'unique': True}],
) }}
WITH days AS (
    SELECT d.*,
           date_trunc('month', d.local_date)::date AS month
    FROM {{ ref('daily_station_summary') }} d
    {%- if is_incremental() %}
    WHERE d.local_date >= {{ w.m_from }} AND d.local_date < {{ w.m_to }} + interval '1 month'
    {%- endif %}
), gaps AS (  -- per day and variable: the missing days just before it, within its month
    SELECT d.*,
    {%- for p, col in ruled %}
           d.local_date - greatest(max(d.local_date) FILTER (WHERE d.{{ col }} IS NOT NULL) OVER before, d.month - 1) - 1
               AS {{ p }}_gap{{ ',' if not loop.last }}
    {%- endfor %}
    FROM days d
    WINDOW before AS (PARTITION BY d.station_code ORDER BY d.local_date ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
), months AS (
    SELECT station_code, month,
           ((month + interval '1 month')::date - month) AS month_days,
           count(*) AS days_with_data,
           round(avg(completeness_pct)::numeric, 1)::float8 AS completeness_pct,
    {%- for p, col in ruled %}
           count({{ col }}) AS {{ p }}_valid_days,
           ((month + interval '1 month')::date - month) - count({{ col }}) AS {{ p }}_missing_days,
           coalesce(greatest(max({{ p }}_gap) FILTER (WHERE {{ col }} IS NOT NULL),
                             (month + interval '1 month')::date - max(local_date) FILTER (WHERE {{ col }} IS NOT NULL) - 1),
                    (month + interval '1 month')::date - month) AS {{ p }}_longest_gap_days,
    {%- endfor %}
           min(air_temp_min_c) AS t_lo, max(air_temp_max_c) AS t_hi, avg(air_temp_mean_c) AS t_avg,
           avg(air_temp_max_c) AS t_hi_avg, avg(air_temp_min_c) AS t_lo_avg,
           sum(precip_total_mm) AS rain, count(*) FILTER (WHERE precip_total_mm >= 1) AS wet_days,
           avg(rel_humidity_mean_pct) AS rh_avg, max(wind_gust_max_ms) AS gust_hi
    FROM gaps
    GROUP BY station_code, month
)
SELECT station_code,
       month,
       days_with_data,
       completeness_pct,
       {{ when_valid(days_rule('air_temp_min'), 't_lo') }}                                   AS air_temp_min_c,
       {{ when_valid(days_rule('air_temp_max'), 't_hi') }}                                   AS air_temp_max_c,
       {{ when_valid(days_rule('air_temp'), 'round(t_avg::numeric, 2)::float8') }}           AS air_temp_mean_c,
       {{ when_valid('precip_missing_days = 0', 'round(rain::numeric, 2)::float8') }}        AS precip_total_mm,
       {{ when_valid('precip_missing_days = 0', 'wet_days') }}                               AS rainy_days,
       {{ when_valid(days_rule('rel_humidity'), 'round(rh_avg::numeric, 1)::float8') }}      AS rel_humidity_mean_pct,
       {{ when_valid(days_rule('wind_gust'), 'gust_hi') }}                                   AS wind_gust_max_ms,
       {{ when_valid(days_rule('air_temp_max'), 'round(t_hi_avg::numeric, 2)::float8') }}    AS air_temp_max_mean_c,
       air_temp_max_valid_days                                                               AS days_with_max,
       {{ when_valid(days_rule('air_temp_min'), 'round(t_lo_avg::numeric, 2)::float8') }}    AS air_temp_min_mean_c,
       month_days,
{%- for p, col in ruled %}
       {{ p }}_valid_days,
       {{ p }}_missing_days,
       {{ p }}_longest_gap_days{{ ',' if not loop.last }}
{%- endfor %}
FROM months
