-- A large clean (a backfill's year: millions of rows) changes processed_data.observations
-- at once, and the steps right after it (dbt's incremental models, GX, the alert rules)
-- plan their queries on its statistics. Until autovacuum gets to the table, those say the
-- new year holds no rows, and a join planned for one row took 49 s instead of 0.2 s
-- (station_daily_extremes, the third year of the history bench). The clean step analyzes
-- the table after a large write. The pipeline role does not own it: this function, owned
-- by the migrating role, does it for it.
CREATE FUNCTION processed_data.analyze_observations() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, processed_data, pg_temp AS $$
BEGIN
    ANALYZE processed_data.observations;
END
$$;

REVOKE ALL ON FUNCTION processed_data.analyze_observations() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION processed_data.analyze_observations() TO lumen_pipeline;
