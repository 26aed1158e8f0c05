-- Per station and calendar month: the period average of each monthly value, from valid months
-- only (station_months), with the number of years behind it and the period. Fewer than 30 years
-- make a "period average", not a climatological normal (WMO-No. 1203). Rebuilt whole each publish
-- (a few rows per station): a new valid month changes its calendar month's average.
{#- (the monthly value averaged, how many valid years are behind it) -#}
{%- set values = [
    ('air_temp_mean_c', 'air_temp_mean_years'), ('air_temp_max_mean_c', 'air_temp_max_mean_years'),
    ('air_temp_min_mean_c', 'air_temp_min_mean_years'), ('precip_total_mm', 'precip_total_years'),
    ('rainy_days', 'rainy_days_years'), ('rel_humidity_mean_pct', 'rel_humidity_mean_years'),
] %}
{{ config(materialized='table', indexes=[{'columns': ['station_code', 'calendar_month'], 'unique': True}]) }}
SELECT station_code,
       extract(month FROM month)::int                                               AS calendar_month,
       min(extract(year FROM month))::int                                           AS first_year,
       max(extract(year FROM month))::int                                           AS last_year,
{%- for col, years in values %}
       round(avg({{ col }})::numeric, 2)::float8                                    AS {{ col }},
       count({{ col }})::int                                                        AS {{ years }},
{%- endfor %}
       -- the valid days behind the mean daily maximum (the heat-wave alert asks for enough of them)
       coalesce(sum(days_with_max) FILTER (WHERE air_temp_max_mean_c IS NOT NULL), 0)::int AS air_temp_max_days,
       CASE WHEN count(air_temp_mean_c) >= 30 THEN 'normal' ELSE 'period average' END AS kind
FROM {{ ref('station_months') }}
GROUP BY station_code, extract(month FROM month)
