SELECT station_code, name, uf, status, latitude, longitude, altitude_m, operating_since, time_zone
FROM {{ source('processed_data', 'stations') }}
