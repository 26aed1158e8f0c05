-- What the validate step's Great Expectations batches read: processed_data.observations
-- inside the UTC window [lumen.validate_from, lumen.validate_to) that the step sets on
-- GX's connection (libpq `options=-c …`). GX's day/month/year batches filter with
-- EXTRACT() on observed_at, which no index can serve; on the whole table every metric
-- query scanned all rows (17 s for one hour's run over a year of 600 stations). With the
-- window here the primary key (skip scan on observed_at) finds the rows first.
-- Unset (any other session, a notebook, Data Docs): every row.
CREATE VIEW processed_data.observations_to_validate AS
SELECT *
FROM processed_data.observations
WHERE observed_at >= coalesce(nullif(current_setting('lumen.validate_from', true), '')::timestamptz, '-infinity')
  AND observed_at < coalesce(nullif(current_setting('lumen.validate_to', true), '')::timestamptz, 'infinity');
