-- Alert episodes still open, with where the station is: what the dashboard's alert table and map
-- show. Exceedances of INMET's warning criteria in the data (lumen/alerts), not INMET's
-- official warnings. A view: always current.
{{ config(materialized='view') }}
SELECT e.event_id,
       e.station_code,
       s.name,
       s.uf,
       s.latitude,
       s.longitude,
       e.rule,
       e.rule_name,
       e.level,
       CASE e.level WHEN 'yellow' THEN 1 WHEN 'orange' THEN 2 ELSE 3 END AS level_rank,
       e.peak_value,
       e.unit,
       e.threshold,
       e.started_at,
       e.peak_at,
       e.last_exceeded_at
FROM {{ source('alerts', 'alert_events') }} e
JOIN {{ ref('stg_stations') }} s USING (station_code)
WHERE e.status = 'open'
