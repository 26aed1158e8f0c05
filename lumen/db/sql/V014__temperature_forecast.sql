-- Next-hour air temperature forecasts, written by the forecast step (lumen/forecast/predict.py)
-- from the MLflow champion model. One row per station and target hour: a re-run for the same
-- hour replaces it (with the model version that made it). A base table, so a migration is its
-- home; the dbt model analytics.forecast_skill reads it as a source.
CREATE TABLE analytics.temperature_forecast (
    station_code  text        NOT NULL,
    issued_at     timestamptz NOT NULL,   -- the last observed hour the forecast starts from (UTC)
    target_at     timestamptz NOT NULL,   -- issued_at + 1 h
    predicted_c   double precision NOT NULL,
    p10_c         double precision NOT NULL,
    p90_c         double precision NOT NULL,
    model_name    text        NOT NULL,   -- the registered model (LUMEN_FORECAST_MODEL) …
    model_version text        NOT NULL,   -- … and its version that made the forecast
    run_id        text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (station_code, target_at),
    CHECK (target_at = issued_at + interval '1 hour'),
    CHECK (p10_c <= p90_c)
);
CREATE INDEX temperature_forecast_target_at ON analytics.temperature_forecast (target_at);
COMMENT ON TABLE analytics.temperature_forecast IS
    'Next-hour air temperature per station from the MLflow champion (10-90 % interval); written by the forecast step';
GRANT SELECT, INSERT, UPDATE, DELETE ON analytics.temperature_forecast TO lumen_pipeline;
GRANT SELECT ON analytics.temperature_forecast TO lumen_reader;
