-- Per station and local day: the day's extremes and the first UTC hour each was reached.
-- station_extremes ranks these days instead of every hour of history. A day's maximum (minimum)
-- is the highest hourly maximum (lowest hourly minimum), as in daily_station_summary.
{%- set w = lumen_window() %}
{{ config(
    materialized='incremental',
    incremental_predicates=['local_date BETWEEN [d_from] AND [d_to]'],
    indexes=[{'columns': ['station_code', 'local_date'], 'unique': True}, {'columns': ['local_date']}],
) }}
WITH hours AS (
    SELECT o.station_code, o.local_date, o.observed_at, o.air_temp_max_c, o.air_temp_min_c, o.wind_gust_ms, o.precip_mm
    FROM {{ ref('stg_observations') }} o
    {%- if is_incremental() %}
    WHERE {{ window_rows(w, 'o') }}
    {%- endif %}
), best AS (  -- two hash aggregates (no sort of every hour): the extremes, then their first hour
    SELECT station_code, local_date, max(air_temp_max_c) AS t_hi, min(air_temp_min_c) AS t_lo,
           max(wind_gust_ms) AS gust, max(precip_mm) AS rain
    FROM hours GROUP BY station_code, local_date
)
SELECT h.station_code,
       h.local_date,
       b.t_hi                                                AS air_temp_max_c,
       min(h.observed_at) FILTER (WHERE h.air_temp_max_c = b.t_hi) AS air_temp_max_at,
       b.t_lo                                                AS air_temp_min_c,
       min(h.observed_at) FILTER (WHERE h.air_temp_min_c = b.t_lo) AS air_temp_min_at,
       b.gust                                                AS wind_gust_max_ms,
       min(h.observed_at) FILTER (WHERE h.wind_gust_ms = b.gust) AS wind_gust_max_at,
       b.rain                                                AS precip_max_mm,
       min(h.observed_at) FILTER (WHERE h.precip_mm = b.rain)    AS precip_max_at
FROM hours h JOIN best b USING (station_code, local_date)
GROUP BY h.station_code, h.local_date, b.t_hi, b.t_lo, b.gust, b.rain
