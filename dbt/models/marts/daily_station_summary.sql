-- One row per station and local day (the station's own zone), each value published only when its
-- own variable is complete enough that day (macros/completeness.sql; counts beside each value say
-- why one is NULL). Hours count as valid when processed_data holds a value for them: quarantined
-- rows never reach it.
{%- set w = lumen_window() %}
{#- (prefix, hourly column): means and extremes share the hours rule -#}
{%- set ruled = [
    ('air_temp', 'air_temp_c'), ('air_temp_max', 'air_temp_max_c'), ('air_temp_min', 'air_temp_min_c'),
    ('dew_point', 'dew_point_c'), ('rel_humidity', 'rel_humidity_pct'), ('pressure', 'pressure_hpa'),
    ('wind_speed', 'wind_speed_ms'), ('wind_gust', 'wind_gust_ms'),
] %}
{#- their presence bits, two variables per bigint aggregate (radiation's too: its daylight hours) -#}
{%- set with_radiation = ruled + [('radiation', 'global_radiation_kj_m2')] %}
{%- set packed = [] %}
{%- for i in range(0, with_radiation | length, 2) %}{% do packed.append(with_radiation[i:i + 2]) %}{% endfor %}
{{ config(
    materialized='incremental',
    on_schema_change='append_new_columns',
    incremental_predicates=['local_date BETWEEN [d_from] AND [d_to]'],
    indexes=[{'columns': ['station_code', 'local_date'], 'unique': True}, {'columns': ['local_date']}],
) }}
WITH grouped AS (  -- one pass over the hours: the values, and which hours each variable has
    SELECT o.station_code, o.local_date,
           count(*) AS hours_with_data,
           avg(o.air_temp_c) AS air_temp_avg, max(o.air_temp_max_c) AS air_temp_hi, min(o.air_temp_min_c) AS air_temp_lo,
           avg(o.dew_point_c) AS dew_point_avg, avg(o.rel_humidity_pct) AS rel_humidity_avg,
           avg(o.pressure_hpa) AS pressure_avg, avg(o.wind_speed_ms) AS wind_speed_avg, max(o.wind_gust_ms) AS wind_gust_hi,
           count(o.precip_mm) AS precip_valid_hours, sum(o.precip_mm) AS precip_sum,
           sum(o.global_radiation_kj_m2) AS radiation_sum,
           -- bit h (+ 32 for the second of a pair) = local hour h has a value; two variables per bigint
    {%- for pair in packed %}
           bit_or(((o.{{ pair[0][1] }} IS NOT NULL)::int::bigint
                   {%- if pair | length > 1 %} | ((o.{{ pair[1][1] }} IS NOT NULL)::int::bigint << 32){% endif %}) << o.local_hour) AS bits_{{ loop.index }}{{ ',' if not loop.last }}
    {%- endfor %}
    FROM {{ ref('stg_observations') }} o
    {%- if is_incremental() %}
    WHERE {{ window_rows(w, 'o') }}
    {%- endif %}
    GROUP BY o.station_code, o.local_date
), zone_days AS MATERIALIZED (  -- per time zone and date (Brazil has four zones): the day's hours
    SELECT z.time_zone, z.local_date,
           (extract(epoch FROM ((z.local_date + 1)::timestamp AT TIME ZONE z.time_zone)
                               - (z.local_date::timestamp AT TIME ZONE z.time_zone)))::int / 3600 AS day_hours,
           -- its first local hour: 1 where daylight saving began at midnight (Brazil's rule), else 0. On the
           -- day it ended, the repeated 23:00 shares one bit: a variable's valid hours count it once (24 of
           -- 25, still past the 20 a value needs); hours_with_data and rain's hours count rows (25)
           extract(hour FROM (z.local_date::timestamp AT TIME ZONE z.time_zone) AT TIME ZONE z.time_zone)::int AS first_hour,
           -- hours from UTC to the local clock at local noon (3 for UTC−3)
           extract(epoch FROM ((z.local_date + time '12:00') AT TIME ZONE z.time_zone AT TIME ZONE 'UTC')
                              - (z.local_date + time '12:00'))::float8 / 3600 AS offset_h
    FROM (SELECT DISTINCT s.time_zone, g.local_date FROM grouped g JOIN {{ ref('stg_stations') }} s USING (station_code)) z
), days AS (  -- per station and day: its masks, and the local hours wholly between sunrise and sunset
    SELECT r.*,
           CASE WHEN r.lit_to >= r.lit_from
                THEN (1 << (least(r.lit_to, 23) + 1)) - (1 << greatest(r.lit_from, r.first_hour)) END AS daylight_mask
    FROM (SELECT q.*,  -- an hour is labelled by its end, as INMET's
                 ceil({{ sun_hour('q.decl', 'q.eot', 'q.latitude', 'q.longitude', 'rise') }} - q.offset_h)::int + 1 AS lit_from,
                 floor({{ sun_hour('q.decl', 'q.eot', 'q.latitude', 'q.longitude', 'set') }} - q.offset_h)::int AS lit_to
          FROM (SELECT x.*, {{ declination('x.y') }} AS decl, {{ equation_of_time('x.y') }} AS eot
                FROM (SELECT g.*, s.latitude, s.longitude, zd.day_hours, zd.first_hour, zd.offset_h,
    {%- for pair in packed %}{% set i = loop.index %}{% for p, col in pair %}
                             (g.bits_{{ i }} >> {{ 32 * loop.index0 }}) & 16777215 AS {{ p }}_mask,
    {%- endfor %}{% endfor %}
                             2 * pi() / 365 * (extract(doy FROM g.local_date)::int - 1) AS y
                      FROM grouped g
                      JOIN {{ ref('stg_stations') }} s USING (station_code)
                      JOIN zone_days zd ON zd.time_zone = s.time_zone AND zd.local_date = g.local_date
                      OFFSET 0) x  -- OFFSET 0 (here and below): y, then decl and eot, computed once per row
                OFFSET 0) q
          OFFSET 0) r
), judged AS (
    SELECT d.*,
    {%- for p, col in ruled %}
           bit_count(d.{{ p }}_mask::bit(32))::int AS {{ p }}_valid_hours,
           {{ longest_gap('d.' ~ p ~ '_mask', 'd.first_hour') }} AS {{ p }}_longest_gap_h,
    {%- endfor %}
           bit_count(d.daylight_mask::bit(32))::int AS radiation_daylight_hours,
           bit_count((d.radiation_mask & d.daylight_mask)::bit(32))::int AS radiation_valid_daylight_hours
    FROM days d
)
SELECT station_code,
       local_date,
       hours_with_data,
       -- against the hours that local day really has in the station's zone: 23 or 25 on a
       -- daylight-saving change (where and when Brazil kept it), 24 otherwise
       round(100.0 * hours_with_data / day_hours, 1)                                                        AS completeness_pct,
       {{ when_valid(hours_rule('air_temp_min'), 'air_temp_lo') }}                                          AS air_temp_min_c,
       {{ when_valid(hours_rule('air_temp_max'), 'air_temp_hi') }}                                          AS air_temp_max_c,
       {{ when_valid(hours_rule('air_temp'), 'round(air_temp_avg::numeric, 2)::float8') }}                  AS air_temp_mean_c,
       {{ when_valid('precip_valid_hours = day_hours', 'round(precip_sum::numeric, 2)::float8') }}          AS precip_total_mm,
       {{ when_valid(hours_rule('rel_humidity'), 'round(rel_humidity_avg::numeric, 1)::float8') }}          AS rel_humidity_mean_pct,
       {{ when_valid(hours_rule('wind_gust'), 'wind_gust_hi') }}                                            AS wind_gust_max_ms,
       {{ when_valid('(radiation_mask & daylight_mask) = daylight_mask',
                     'round((coalesce(radiation_sum, 0) / 1000)::numeric, 3)::float8') }}                  AS global_radiation_mj_m2,
       {{ when_valid(hours_rule('dew_point'), 'round(dew_point_avg::numeric, 2)::float8') }}                AS dew_point_mean_c,
       {{ when_valid(hours_rule('pressure'), 'round(pressure_avg::numeric, 1)::float8') }}                  AS pressure_mean_hpa,
       {{ when_valid(hours_rule('wind_speed'), 'round(wind_speed_avg::numeric, 2)::float8') }}              AS wind_speed_mean_ms,
       day_hours,
{%- for p, col in ruled %}
       {{ p }}_valid_hours,
       {{ p }}_longest_gap_h,
{%- endfor %}
       precip_valid_hours,
       radiation_daylight_hours,
       radiation_valid_daylight_hours
FROM judged
