-- Records per station: the extreme value and when it happened (UTC hour, or local day for
-- daily records). Ties go to the earliest. The highest and lowest temperatures and the strongest
-- gust are days' extremes as daily_station_summary publishes them (its completeness rule: a day
-- whose value is NULL there sets no record); the wettest hour is any hour, the wettest day a
-- complete one.
--
-- An incremental run looks at the stations with data in the window's local days. For each,
-- the new record is the best of its standing record and the window's days — unless the
-- standing record lies inside the window (its value may have changed or gone): then the
-- station's whole history of daily extremes is ranked again.
{%- set w = lumen_window() %}
{%- set in_window = window_hours(w, 'e.observed_at') ~ ' OR ' ~ window_days(w, 'e.local_date') %}
{%- set stations_in_scope %}
    SELECT d.station_code FROM {{ ref('daily_station_summary') }} d WHERE {{ window_days(w, 'd.local_date') }}
    UNION
    SELECT e.station_code FROM {{ this }} e WHERE {{ in_window }}
{%- endset %}
{{ config(
    materialized='incremental',
    incremental_predicates=[
        "(station_code IN (SELECT station_code FROM [new])"
        " OR station_code IN (SELECT station_code FROM [this] WHERE observed_at >= [lo] AND observed_at < [hi]"
        " OR local_date BETWEEN [d_from] AND [d_to]))"
    ],
    indexes=[{'columns': ['station_code', 'record'], 'unique': True}],
) }}
WITH scope AS (
{%- if is_incremental() %}
    SELECT s.station_code,
           EXISTS (SELECT 1 FROM {{ this }} e WHERE e.station_code = s.station_code AND ({{ in_window }})) AS whole_history
    FROM ({{ stations_in_scope }}) s
{%- else %}
    SELECT DISTINCT station_code, true AS whole_history FROM {{ ref('daily_station_summary') }}
{%- endif %}
), days AS (  -- a day's temperature and gust extremes count only where the daily summary publishes them
    SELECT x.station_code, x.local_date,
           CASE WHEN d.air_temp_max_c IS NOT NULL THEN x.air_temp_max_c END AS air_temp_max_c, x.air_temp_max_at,
           CASE WHEN d.air_temp_min_c IS NOT NULL THEN x.air_temp_min_c END AS air_temp_min_c, x.air_temp_min_at,
           CASE WHEN d.wind_gust_max_ms IS NOT NULL THEN x.wind_gust_max_ms END AS wind_gust_max_ms, x.wind_gust_max_at,
           x.precip_max_mm, x.precip_max_at
    FROM {{ ref('station_daily_extremes') }} x JOIN scope s USING (station_code)
    JOIN {{ ref('daily_station_summary') }} d USING (station_code, local_date)
    WHERE s.whole_history OR {{ window_days(w, 'x.local_date') }}
), totals AS (
    SELECT d.station_code, d.local_date, d.precip_total_mm
    FROM {{ ref('daily_station_summary') }} d JOIN scope s USING (station_code)
    WHERE (s.whole_history OR {{ window_days(w, 'd.local_date') }}) AND d.precip_total_mm IS NOT NULL
), candidates AS (  -- rank_key: smallest is best
    SELECT station_code, 'highest air temperature' AS record, 'air_temp_c' AS measure, air_temp_max_c AS value,
           air_temp_max_at AS observed_at, local_date, -air_temp_max_c AS rank_key
    FROM days WHERE air_temp_max_c IS NOT NULL
    UNION ALL
    SELECT station_code, 'lowest air temperature', 'air_temp_c', air_temp_min_c, air_temp_min_at, local_date,
           air_temp_min_c
    FROM days WHERE air_temp_min_c IS NOT NULL
    UNION ALL
    SELECT station_code, 'strongest gust', 'wind_gust_ms', wind_gust_max_ms, wind_gust_max_at, local_date,
           -wind_gust_max_ms
    FROM days WHERE wind_gust_max_ms IS NOT NULL
    UNION ALL
    SELECT station_code, 'wettest hour', 'precip_mm', precip_max_mm, precip_max_at, local_date, -precip_max_mm
    FROM days WHERE precip_max_mm IS NOT NULL
    UNION ALL
    SELECT station_code, 'wettest day', 'precip_total_mm', precip_total_mm, NULL::timestamptz, local_date,
           -precip_total_mm
    FROM totals
{%- if is_incremental() %}
    UNION ALL  -- the standing records of the stations not ranked again in whole
    SELECT e.station_code, e.record, e.measure, e.value, e.observed_at, e.local_date,
           CASE WHEN e.record LIKE 'lowest%' THEN e.value ELSE -e.value END
    FROM {{ this }} e JOIN scope s USING (station_code)
    WHERE NOT s.whole_history
{%- endif %}
), ranked AS (
    SELECT c.*, row_number() OVER (PARTITION BY c.station_code, c.record
                                   ORDER BY c.rank_key, c.observed_at, c.local_date) AS rk
    FROM candidates c
)
SELECT station_code, record::text, measure::text, value::float8, observed_at, local_date
FROM ranked
WHERE rk = 1
