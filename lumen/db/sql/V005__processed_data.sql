-- processed_data: typed, SI units in the column names, checked. One row per station-hour.

-- INMET's numbers as text → double precision. NULL for null, '', '-9999'; decimal comma
-- accepted (`,6` = 0.6, `-,6` = -0.6). Anything else is not a number: NULL here, and the
-- clean step quarantines it under the rule "value is a number" (lumen/quality.py).
CREATE FUNCTION processed_data.inmet_number(v text) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN v ~ '^\s*[-+]?([0-9]+([.,][0-9]*)?|[.,][0-9]+)\s*$' AND btrim(v) NOT IN ('-9999', '-9999,0', '-9999.0')
                THEN replace(btrim(v), ',', '.')::double precision END
$$;

-- true when the text holds something that is neither missing nor a number
CREATE FUNCTION processed_data.inmet_unreadable(v text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT v IS NOT NULL AND btrim(v) NOT IN ('', '-9999') AND processed_data.inmet_number(v) IS NULL
$$;

CREATE TABLE processed_data.stations (
    station_code   text PRIMARY KEY,
    name           text,
    uf             char(2),
    latitude       double precision,
    longitude      double precision,
    altitude_m     double precision,
    status         text,             -- Operante, Pane, … (API only)
    station_type   text,             -- Automatica / Convencional (API only)
    operating_since timestamptz,     -- DT_INICIO_OPERACAO (API) or DATA DE FUNDACAO (archive)
    source         text NOT NULL,    -- which raw record won: api over archive
    run_id         text NOT NULL,
    processed_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE processed_data.observations (
    station_code            text        NOT NULL,
    observed_at             timestamptz NOT NULL,        -- UTC hour
    local_date              date        NOT NULL,        -- America/Sao_Paulo
    local_hour              smallint    NOT NULL,
    source                  text        NOT NULL,        -- archive or api (see lumen/transform.py)
    precip_mm               double precision,
    pressure_hpa            double precision,
    pressure_max_hpa        double precision,
    pressure_min_hpa        double precision,
    global_radiation_kj_m2  double precision,            -- hourly total, as INMET publishes
    global_radiation_w_m2   double precision,            -- the hour's mean irradiance (kJ/m² ÷ 3.6)
    air_temp_c              double precision,
    air_temp_max_c          double precision,
    air_temp_min_c          double precision,
    dew_point_c             double precision,
    dew_point_max_c         double precision,
    dew_point_min_c         double precision,
    rel_humidity_pct        double precision,
    rel_humidity_max_pct    double precision,
    rel_humidity_min_pct    double precision,
    wind_dir_deg            double precision,
    wind_gust_ms            double precision,
    wind_speed_ms           double precision,
    apparent_temp_c         double precision,            -- TEM_SEN (API, since ~2022)
    battery_v               double precision,            -- TEN_BAT
    logger_temp_c           double precision,            -- TEM_CPU
    run_id                  text        NOT NULL,
    processed_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (station_code, observed_at)
);
CREATE INDEX observations_observed_at_brin ON processed_data.observations USING brin (observed_at);

-- Rows that broke a quality rule: never dropped silently. One row per (hour, rule, column).
CREATE TABLE processed_data.quarantine (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    station_code    text        NOT NULL,
    observed_at     timestamptz NOT NULL,
    source          text        NOT NULL,
    rule            text        NOT NULL,
    column_name     text        NOT NULL,
    value           text,                    -- the offending value (typed value, or raw text)
    run_id          text        NOT NULL,
    quarantined_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX quarantine_run ON processed_data.quarantine (run_id);
CREATE INDEX quarantine_key ON processed_data.quarantine (station_code, observed_at);
