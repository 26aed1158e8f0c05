-- The analytics layer moves to dbt (dbt/models): one SQL file per model, tests beside it,
-- docs with lineage. Migrations keep the schemas, roles and grants; the tables, views and
-- refresh functions that V007–V012 built here are dropped, and dbt builds them again with
-- the same names and columns (`lumen db migrate` runs that build right after this file).
DROP VIEW analytics.data_quality_daily;
DROP VIEW analytics.latest_readings;
DROP VIEW analytics.station_map;
DROP TABLE analytics.station_extremes;
DROP TABLE analytics.monthly_station_summary;
DROP TABLE analytics.daily_station_summary;
DROP FUNCTION analytics.refresh(timestamptz, timestamptz);

-- dbt runs as the pipeline role: it creates, replaces and drops the objects of analytics
-- (that schema only). Whatever it creates is readable by the reader role.
GRANT CREATE ON SCHEMA analytics TO lumen_pipeline;
ALTER DEFAULT PRIVILEGES FOR ROLE lumen_pipeline IN SCHEMA analytics GRANT SELECT ON TABLES TO lumen_reader;

-- When a station's time zone changes, the clean step re-derives its rows' local days and
-- asks here for a rebuild of analytics from all of history; the next publish does it.
CREATE TABLE ops.analytics_rebuild (
    requested_at timestamptz NOT NULL DEFAULT now(),
    run_id       text        NOT NULL,
    reason       text        NOT NULL
);
COMMENT ON TABLE ops.analytics_rebuild IS
    'Requests for a rebuild of the dbt analytics from all history (rows removed once a publish has done it)';
