-- raw_data: INMET data exactly as received. Every value is text as sent ('' and
-- '-9999' included); nothing is dropped here. Typing happens in processed_data.

CREATE TABLE raw_data.inmet_stations (
    source        text        NOT NULL CHECK (source IN ('api', 'archive')),
    station_code  text        NOT NULL,
    name          text,
    uf            text,
    latitude      text,
    longitude     text,
    altitude      text,
    started       text,        -- DT_INICIO_OPERACAO (api) / DATA DE FUNDACAO (archive), as sent
    status        text,        -- CD_SITUACAO (api only)
    station_type  text,        -- TP_ESTACAO (api only)
    payload       jsonb       NOT NULL,  -- the whole record as received (api object / archive header)
    origin        text        NOT NULL,  -- URL or archive file
    ingested_at   timestamptz NOT NULL DEFAULT now(),
    run_id        text        NOT NULL,
    PRIMARY KEY (source, station_code)
);

CREATE TABLE raw_data.inmet_observations (
    source        text        NOT NULL CHECK (source IN ('api', 'archive')),
    station_code  text        NOT NULL,
    observed_at   timestamptz NOT NULL,  -- the hour, UTC (INMET hours are UTC)
    dt_medicao    text        NOT NULL,  -- date and hour exactly as sent
    hr_medicao    text        NOT NULL,
    chuva   text, pre_ins text, pre_max text, pre_min text, rad_glo text,
    tem_ins text, pto_ins text, tem_max text, tem_min text, pto_max text, pto_min text,
    umd_max text, umd_min text, umd_ins text, ven_dir text, ven_raj text, ven_vel text,
    tem_sen text, ten_bat text, tem_cpu text,
    other         jsonb,                 -- every other field received (api: station fields, new fields)
    origin        text        NOT NULL,
    ingested_at   timestamptz NOT NULL DEFAULT now(),
    run_id        text        NOT NULL,
    PRIMARY KEY (source, station_code, observed_at)
);

-- the clean step reads a window of hours across stations; BRIN is nearly free to keep
-- up during bulk loads (rows arrive station by station, in time order)
CREATE INDEX inmet_observations_observed_at_brin ON raw_data.inmet_observations
    USING brin (observed_at) WITH (pages_per_range = 16);

COMMENT ON TABLE raw_data.inmet_observations IS
    'INMET hourly observations as received (text). Column names are the API field codes.';
