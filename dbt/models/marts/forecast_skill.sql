-- How the next-hour forecasts did, per station and local day of the target hour, once the hour
-- was observed: mean absolute error of the model and of persistence (the next hour = the hour the
-- forecast was issued from), and how often the observation fell inside the 10-90 % interval.
-- A view: always current.
{{ config(materialized='view') }}
SELECT f.station_code,
       t.local_date,
       count(*)::int                                                   AS n_forecasts,
       avg(abs(f.predicted_c - t.air_temp_c))                          AS mae_model_c,
       avg(abs(i.air_temp_c - t.air_temp_c))                           AS mae_persistence_c,
       avg((t.air_temp_c BETWEEN f.p10_c AND f.p90_c)::int)::float8    AS coverage_10_90,
       max(f.model_version)                                            AS model_version
FROM {{ source('forecast', 'temperature_forecast') }} f
JOIN {{ ref('stg_observations') }} t
  ON t.station_code = f.station_code AND t.observed_at = f.target_at AND t.air_temp_c IS NOT NULL
JOIN {{ ref('stg_observations') }} i
  ON i.station_code = f.station_code AND i.observed_at = f.issued_at AND i.air_temp_c IS NOT NULL
GROUP BY f.station_code, t.local_date
