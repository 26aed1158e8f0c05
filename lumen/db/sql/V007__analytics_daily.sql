-- analytics: what dashboards read. Materialized views, refreshed by the publish step
-- through analytics.refresh() (CONCURRENTLY: readers are never blocked).

CREATE MATERIALIZED VIEW analytics.daily_station_summary AS
SELECT o.station_code,
       o.local_date,
       count(*)                                         AS hours_with_data,
       round(100.0 * count(*) / 24, 1)                  AS completeness_pct,
       min(o.air_temp_min_c)                            AS air_temp_min_c,
       max(o.air_temp_max_c)                            AS air_temp_max_c,
       round(avg(o.air_temp_c)::numeric, 2)::float8     AS air_temp_mean_c,
       sum(o.precip_mm)                                 AS precip_total_mm,
       round(avg(o.rel_humidity_pct)::numeric, 1)::float8 AS rel_humidity_mean_pct,
       max(o.wind_gust_ms)                              AS wind_gust_max_ms,
       round((sum(o.global_radiation_kj_m2) / 1000)::numeric, 3)::float8 AS global_radiation_mj_m2
FROM processed_data.observations o
GROUP BY o.station_code, o.local_date;
CREATE UNIQUE INDEX daily_station_summary_key ON analytics.daily_station_summary (station_code, local_date);

-- Refresh every analytics materialized view; runs with the owner's rights so the
-- pipeline role needs no DDL. Returns the rows now in each view.
CREATE FUNCTION analytics.refresh() RETURNS TABLE (view_name text, row_count bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, analytics AS $$
DECLARE
    v record;
BEGIN
    FOR v IN SELECT matviewname FROM pg_matviews WHERE schemaname = 'analytics' ORDER BY matviewname LOOP
        EXECUTE format('REFRESH MATERIALIZED VIEW CONCURRENTLY analytics.%I', v.matviewname);
        view_name := v.matviewname;
        EXECUTE format('SELECT count(*) FROM analytics.%I', v.matviewname) INTO row_count;
        RETURN NEXT;
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION analytics.refresh() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION analytics.refresh() TO lumen_pipeline;
