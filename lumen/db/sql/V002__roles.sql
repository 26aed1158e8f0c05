-- Roles are cluster-wide: create them once, NOLOGIN. `lumen db migrate` then sets
-- LOGIN and the passwords from .env (never written in SQL).
--   lumen_pipeline  writes raw_data, processed_data, analytics, ops
--   lumen_reader    SELECT on processed_data and analytics only (Metabase, JupyterLab)
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'lumen_pipeline') THEN
        CREATE ROLE lumen_pipeline NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'lumen_reader') THEN
        CREATE ROLE lumen_reader NOLOGIN;
    END IF;
END
$$;
