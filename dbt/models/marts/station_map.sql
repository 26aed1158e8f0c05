-- Stations with coordinates, for a map.
{{ config(materialized='view') }}
SELECT station_code, name, uf, status, latitude, longitude, altitude_m, operating_since
FROM {{ ref('stg_stations') }}
WHERE latitude IS NOT NULL AND longitude IS NOT NULL
