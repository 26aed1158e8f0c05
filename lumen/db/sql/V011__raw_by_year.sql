-- raw_data.inmet_observations, loaded by year. Two changes make a year's backfill
-- cost about twice a plain COPY of the same bytes (it was five times):
--
-- 1. Origin, run and arrival time are stored once per load, in raw_data.loads (one
--    row per station CSV or per API answer), and each observation points at its
--    load. Each row had carried them as text (~80 bytes: more than its 19 values).
--    raw_data.inmet_observations_with_origin shows every row with them, as before.
-- 2. The table is partitioned by UTC year. A year that has no rows yet is loaded
--    into tables of its own, one per group of stations, side by side; each one's key
--    is built once at the end (a sort, instead of 5 million index insertions); then
--    they are attached as that year's partition in one step: raw_data.inmet_observations
--    shows all of the year or none of it. Years made otherwise (API rows, a station
--    file of a year not loaded whole) are plain tables.
--
-- The pipeline role has no DDL: the functions below (owned by the migrating role)
-- create partitions and the year tables for it.

ALTER TABLE raw_data.inmet_observations RENAME TO inmet_observations_v004;
ALTER INDEX raw_data.inmet_observations_pkey RENAME TO inmet_observations_v004_pkey;
ALTER INDEX raw_data.inmet_observations_observed_at_brin RENAME TO inmet_observations_v004_brin;

CREATE TABLE raw_data.loads (
    load_id    bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source     text        NOT NULL CHECK (source IN ('api', 'archive')),
    origin     text        NOT NULL,  -- URL (token hidden) or archive file (`2024.zip!2024/INMET_…CSV`)
    run_id     text        NOT NULL,
    loaded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX loads_run_id ON raw_data.loads (run_id);
COMMENT ON TABLE raw_data.loads IS 'One row per station CSV or API answer loaded: where the values came from, by which run, when.';

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
    load_id       bigint      NOT NULL,  -- raw_data.loads: the load that brought these values (no FK: checking
                                         -- it would cost every row of a backfill; loads rows are never deleted)
    PRIMARY KEY (source, station_code, observed_at)
) PARTITION BY RANGE (observed_at);

-- the clean step reads a window of hours across stations
CREATE INDEX inmet_observations_observed_at_brin ON raw_data.inmet_observations
    USING brin (observed_at) WITH (pages_per_range = 16);

COMMENT ON TABLE raw_data.inmet_observations IS
    'INMET hourly observations as received (text), one partition per UTC year. Column names are the API field codes.';

CREATE VIEW raw_data.inmet_observations_with_origin AS
SELECT o.*, l.origin, l.run_id, l.loaded_at AS ingested_at
FROM raw_data.inmet_observations o JOIN raw_data.loads l USING (load_id);

CREATE FUNCTION raw_data.year_start(p_year int) RETURNS timestamptz
LANGUAGE sql IMMUTABLE AS $$ SELECT make_date(p_year, 1, 1)::timestamp AT TIME ZONE 'UTC' $$;

-- the partitions a window [p_from, p_to] needs, created where missing; returns how many were
CREATE FUNCTION raw_data.ensure_partitions(p_from timestamptz, p_to timestamptz) RETURNS int
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, raw_data, pg_temp AS $$
DECLARE
    y    int;
    made int := 0;
BEGIN
    IF p_from IS NULL OR p_to IS NULL THEN
        RETURN 0;
    END IF;
    FOR y IN extract(year FROM p_from AT TIME ZONE 'UTC')::int .. extract(year FROM p_to AT TIME ZONE 'UTC')::int LOOP
        CONTINUE WHEN to_regclass(format('raw_data.inmet_observations_%s', y)) IS NOT NULL;
        BEGIN
            EXECUTE format('CREATE TABLE raw_data.%I PARTITION OF raw_data.inmet_observations '
                           'FOR VALUES FROM (%L) TO (%L)', 'inmet_observations_' || y,
                           raw_data.year_start(y), raw_data.year_start(y + 1));
            made := made + 1;
        EXCEPTION WHEN duplicate_table THEN
            NULL;  -- another session made it meanwhile
        END;
    END LOOP;
    RETURN made;
END
$$;

-- A year with no partition yet is loaded in parts, side by side: part i holds the stations in
-- [p_lo, p_hi) (NULL: unbounded) and is one table, created and filled by one connection in
-- one transaction (so COPY FREEZE writes its rows already frozen: nothing rewrites them when
-- they are first read). Returns the table's name, or NULL when the year has a partition
-- already (load it row by row then). A crashed load's table of the same name is dropped.
CREATE FUNCTION raw_data.begin_year_part(p_year int, p_part int, p_lo text, p_hi text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, raw_data, pg_temp AS $$
DECLARE
    loading text := format('loading_inmet_observations_%s_p%s', p_year, p_part);
BEGIN
    IF to_regclass(format('raw_data.inmet_observations_%s', p_year)) IS NOT NULL THEN
        RETURN NULL;
    END IF;
    IF to_regclass(format('raw_data.%I', loading)) IS NOT NULL THEN
        EXECUTE format('DROP TABLE raw_data.%I', loading);
    END IF;
    EXECUTE format('CREATE TABLE raw_data.%I (LIKE raw_data.inmet_observations INCLUDING DEFAULTS INCLUDING CONSTRAINTS, '
                   'CONSTRAINT in_part CHECK (observed_at >= %L AND observed_at < %L%s%s))',
                   loading, raw_data.year_start(p_year), raw_data.year_start(p_year + 1),
                   CASE WHEN p_lo IS NOT NULL THEN format(' AND station_code >= %L', p_lo) ELSE '' END,
                   CASE WHEN p_hi IS NOT NULL THEN format(' AND station_code < %L', p_hi) ELSE '' END);
    RETURN 'raw_data.' || loading;
END
$$;

-- a loaded part's key and index, built once (a sort, instead of an insertion per row)
CREATE FUNCTION raw_data.index_year_part(p_year int, p_part int) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, raw_data, pg_temp AS $$
DECLARE
    loading text := format('loading_inmet_observations_%s_p%s', p_year, p_part);
BEGIN
    EXECUTE format('ALTER TABLE raw_data.%I ADD PRIMARY KEY (source, station_code, observed_at)', loading);
    EXECUTE format('CREATE INDEX ON raw_data.%I USING brin (observed_at) WITH (pages_per_range = 16)', loading);
END
$$;

-- The loaded parts become the year's partition, split by station at p_bounds (the parts'
-- inner limits, in order), in one step: raw_data.inmet_observations shows all of the year
-- or none of it. The parts' CHECKs prove where every row belongs, so nothing is scanned,
-- and their indexes become the partition's (nothing is rebuilt).
CREATE FUNCTION raw_data.finish_year_load(p_year int, p_bounds text[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, raw_data, pg_temp AS $$
DECLARE
    year_table text := 'inmet_observations_' || p_year;
    parts      int  := coalesce(array_length(p_bounds, 1), 0) + 1;
    i          int;
BEGIN
    EXECUTE format('CREATE TABLE raw_data.%I (LIKE raw_data.inmet_observations INCLUDING DEFAULTS INCLUDING CONSTRAINTS) '
                   'PARTITION BY RANGE (station_code)', year_table);
    FOR i IN 0 .. parts - 1 LOOP
        EXECUTE format('ALTER TABLE raw_data.%I RENAME TO %I',
                       format('loading_inmet_observations_%s_p%s', p_year, i), format('%s_p%s', year_table, i));
        EXECUTE format('ALTER TABLE raw_data.%I ATTACH PARTITION raw_data.%I FOR VALUES FROM (%s) TO (%s)',
                       year_table, format('%s_p%s', year_table, i),
                       CASE WHEN i = 0 THEN 'MINVALUE' ELSE quote_literal(p_bounds[i]) END,
                       CASE WHEN i = parts - 1 THEN 'MAXVALUE' ELSE quote_literal(p_bounds[i + 1]) END);
    END LOOP;
    EXECUTE format('ALTER TABLE raw_data.inmet_observations ATTACH PARTITION raw_data.%I FOR VALUES FROM (%L) TO (%L)',
                   year_table, raw_data.year_start(p_year), raw_data.year_start(p_year + 1));
    FOR i IN 0 .. parts - 1 LOOP
        EXECUTE format('ALTER TABLE raw_data.%I DROP CONSTRAINT in_part', format('%s_p%s', year_table, i));
    END LOOP;
END
$$;

-- a year load that failed or was killed: its parts go (none was ever in raw_data.inmet_observations)
CREATE FUNCTION raw_data.abandon_year_load(p_year int) RETURNS int
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, raw_data, pg_temp AS $$
DECLARE
    part    text;
    dropped int := 0;
BEGIN
    FOR part IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'raw_data' AND c.relkind = 'r'
                  AND c.relname LIKE format('loading\_inmet\_observations\_%s\_p%%', p_year) LOOP
        EXECUTE format('DROP TABLE raw_data.%I', part);
        dropped := dropped + 1;
    END LOOP;
    RETURN dropped;
END
$$;

REVOKE ALL ON FUNCTION raw_data.ensure_partitions(timestamptz, timestamptz),
    raw_data.begin_year_part(int, int, text, text), raw_data.index_year_part(int, int),
    raw_data.finish_year_load(int, text[]), raw_data.abandon_year_load(int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION raw_data.ensure_partitions(timestamptz, timestamptz),
    raw_data.begin_year_part(int, int, text, text), raw_data.index_year_part(int, int),
    raw_data.finish_year_load(int, text[]), raw_data.abandon_year_load(int) TO lumen_pipeline;

-- the rows V004's table held, each pointing at its load
INSERT INTO raw_data.loads (source, origin, run_id, loaded_at)
SELECT DISTINCT source, origin, run_id, ingested_at FROM raw_data.inmet_observations_v004 ORDER BY ingested_at;

SELECT raw_data.ensure_partitions(min(observed_at), max(observed_at)) FROM raw_data.inmet_observations_v004;

INSERT INTO raw_data.inmet_observations
SELECT o.source, o.station_code, o.observed_at, o.dt_medicao, o.hr_medicao,
       o.chuva, o.pre_ins, o.pre_max, o.pre_min, o.rad_glo, o.tem_ins, o.pto_ins, o.tem_max, o.tem_min,
       o.pto_max, o.pto_min, o.umd_max, o.umd_min, o.umd_ins, o.ven_dir, o.ven_raj, o.ven_vel,
       o.tem_sen, o.ten_bat, o.tem_cpu, o.other, l.load_id
FROM raw_data.inmet_observations_v004 o
JOIN raw_data.loads l ON (l.source, l.origin, l.run_id, l.loaded_at) = (o.source, o.origin, o.run_id, o.ingested_at);

DROP TABLE raw_data.inmet_observations_v004;
