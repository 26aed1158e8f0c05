-- One row per station and year: an annual value only where all 12 of its months are valid
-- (station_months), with the number of valid months beside it. A table rebuilt each publish
-- (one row per station and year).
{{ config(materialized='table', indexes=[{'columns': ['station_code', 'year'], 'unique': True}]) }}
SELECT station_code,
       extract(year FROM month)::int                                                              AS year,
       count(*)::int                                                                              AS months_with_data,
       count(air_temp_mean_c)::int                                                                AS air_temp_valid_months,
       CASE WHEN count(air_temp_mean_c) = 12 THEN round(avg(air_temp_mean_c)::numeric, 2)::float8 END AS air_temp_mean_c,
       count(air_temp_max_c)::int                                                                 AS air_temp_max_valid_months,
       CASE WHEN count(air_temp_max_c) = 12 THEN max(air_temp_max_c) END                          AS air_temp_max_c,
       CASE WHEN count(air_temp_max_mean_c) = 12 THEN round(avg(air_temp_max_mean_c)::numeric, 2)::float8 END AS air_temp_max_mean_c,
       count(air_temp_min_c)::int                                                                 AS air_temp_min_valid_months,
       CASE WHEN count(air_temp_min_c) = 12 THEN min(air_temp_min_c) END                          AS air_temp_min_c,
       CASE WHEN count(air_temp_min_mean_c) = 12 THEN round(avg(air_temp_min_mean_c)::numeric, 2)::float8 END AS air_temp_min_mean_c,
       count(precip_total_mm)::int                                                                AS precip_valid_months,
       CASE WHEN count(precip_total_mm) = 12 THEN round(sum(precip_total_mm)::numeric, 1)::float8 END AS precip_total_mm,
       CASE WHEN count(rainy_days) = 12 THEN sum(rainy_days)::int END                             AS rainy_days
FROM {{ ref('station_months') }}
GROUP BY station_code, extract(year FROM month)
