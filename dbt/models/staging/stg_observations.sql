-- The hourly observations the analytics read (processed_data is already typed and checked).
SELECT station_code, observed_at, local_date, local_hour,
       air_temp_c, air_temp_min_c, air_temp_max_c, dew_point_c, rel_humidity_pct,
       precip_mm, pressure_hpa, wind_speed_ms, wind_gust_ms, global_radiation_kj_m2
FROM {{ source('processed_data', 'observations') }}
