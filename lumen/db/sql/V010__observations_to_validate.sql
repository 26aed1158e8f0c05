-- What Great Expectations' observation batches read: processed_data.observations, or only
-- the UTC window [lumen.validate_from, lumen.validate_to) when the validate step sets
-- those on GX's connection (libpq `options=-c …`; it does for day batches).
--
-- Why: GX's day/month/year batches filter with EXTRACT() on observed_at, which no index
-- serves, so on the whole table every metric query of an hourly run scanned every row
-- (17 s over a year of 600 stations). With a window, the primary key (skip scan on
-- observed_at) finds the day's rows first. Why two branches: the planner cannot see the
-- window's size, so a single filtered query would take the index for a year too (twice
-- as slow as a scan). Each branch's gate depends on no column, so PostgreSQL checks it
-- once per query (a one-time filter) and the branch not chosen never runs.
CREATE VIEW processed_data.observations_to_validate AS
SELECT *
FROM processed_data.observations
WHERE nullif(current_setting('lumen.validate_from', true), '') IS NULL
UNION ALL
SELECT *
FROM processed_data.observations
WHERE observed_at >= nullif(current_setting('lumen.validate_from', true), '')::timestamptz
  AND observed_at < coalesce(nullif(current_setting('lumen.validate_to', true), '')::timestamptz, 'infinity');
