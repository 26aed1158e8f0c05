-- Per station and local day: completeness, which daily values are missing and why (their
-- counts against the rules of macros/completeness.sql), and the open quarantine problems.
{{ config(materialized='view') }}
WITH q AS (
    SELECT station_code, local_date, count(DISTINCT observed_at) AS hours_quarantined, count(*) AS problems,
           string_agg(DISTINCT rule, ', ' ORDER BY rule) AS rules
    FROM {{ ref('stg_quarantine_open') }}
    GROUP BY station_code, local_date
)
SELECT coalesce(d.station_code, q.station_code) AS station_code,
       coalesce(d.local_date, q.local_date)     AS local_date,
       coalesce(d.hours_with_data, 0)           AS hours_with_data,
       coalesce(d.completeness_pct, 0)          AS completeness_pct,
       d.air_temp_valid_hours,
       d.air_temp_longest_gap_h,
       d.precip_valid_hours,
       d.day_hours,
       concat_ws('; ',
           CASE WHEN d.air_temp_mean_c IS NULL THEN format('air temperature: %s valid hours, longest gap %s h',
                                                          d.air_temp_valid_hours, d.air_temp_longest_gap_h) END,
           CASE WHEN d.precip_total_mm IS NULL THEN format('rain: %s of %s hours', d.precip_valid_hours, d.day_hours) END,
           CASE WHEN d.rel_humidity_mean_pct IS NULL THEN format('humidity: %s valid hours, longest gap %s h',
                                                                d.rel_humidity_valid_hours, d.rel_humidity_longest_gap_h) END,
           CASE WHEN d.global_radiation_mj_m2 IS NULL THEN format('radiation: %s of %s daylight hours',
                                                                 d.radiation_valid_daylight_hours, d.radiation_daylight_hours) END
       )                                        AS values_missing,
       coalesce(q.hours_quarantined, 0)         AS hours_quarantined,
       coalesce(q.problems, 0)                  AS problems,
       q.rules
FROM {{ ref('daily_station_summary') }} d
FULL JOIN q ON q.station_code = d.station_code AND q.local_date = d.local_date
