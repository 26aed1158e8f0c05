-- Per station and local day: completeness, and the open quarantine problems.
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
       coalesce(q.hours_quarantined, 0)         AS hours_quarantined,
       coalesce(q.problems, 0)                  AS problems,
       q.rules
FROM {{ ref('daily_station_summary') }} d
FULL JOIN q ON q.station_code = d.station_code AND q.local_date = d.local_date
