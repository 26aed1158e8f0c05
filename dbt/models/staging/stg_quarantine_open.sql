-- Quarantined problems still open, on the station's local day.
SELECT q.station_code, (q.observed_at AT TIME ZONE s.time_zone)::date AS local_date, q.observed_at, q.rule
FROM {{ source('processed_data', 'quarantine') }} q
JOIN {{ ref('stg_stations') }} s USING (station_code)
WHERE q.resolved_at IS NULL
