-- The three data schemas and who may do what in them. Default privileges make
-- every later table/view created by the migrating role follow the same rules.
CREATE SCHEMA IF NOT EXISTS raw_data;
CREATE SCHEMA IF NOT EXISTS processed_data;
CREATE SCHEMA IF NOT EXISTS analytics;

REVOKE ALL ON SCHEMA raw_data, processed_data, analytics, ops FROM PUBLIC;

DO $$
BEGIN
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO lumen_pipeline, lumen_reader', current_database());
    -- staging for COPY uses temporary tables: the pipeline may, the reader may not
    EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO lumen_pipeline', current_database());
END
$$;

-- pipeline: read and write data in every schema (no DDL: that is the migrations' job)
GRANT USAGE ON SCHEMA raw_data, processed_data, analytics, ops TO lumen_pipeline;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA raw_data, processed_data, analytics, ops
    TO lumen_pipeline;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA raw_data, processed_data, analytics, ops TO lumen_pipeline;
ALTER DEFAULT PRIVILEGES IN SCHEMA raw_data, processed_data, analytics, ops
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO lumen_pipeline;
ALTER DEFAULT PRIVILEGES IN SCHEMA raw_data, processed_data, analytics, ops
    GRANT USAGE, SELECT ON SEQUENCES TO lumen_pipeline;
ALTER DEFAULT PRIVILEGES IN SCHEMA raw_data, processed_data, analytics, ops
    GRANT EXECUTE ON FUNCTIONS TO lumen_pipeline;

-- reader: SELECT on processed_data and analytics, nothing else
GRANT USAGE ON SCHEMA processed_data, analytics TO lumen_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA processed_data, analytics TO lumen_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA processed_data, analytics GRANT SELECT ON TABLES TO lumen_reader;
