-- Bad input stays one station's problem (#26).
-- 1. What one station's record says that cannot be used: judged by the clean step
--    (lumen/station_checks.py) for that station alone. 'not used': the field is NULL in
--    processed_data.stations and the station goes on; 'held': its rows stay in raw_data,
--    uncleaned, until a corrected record arrives. One row per (station, field, rule), from the
--    latest run that found it; a later clean that finds the record sound sets resolved_at.
CREATE TABLE processed_data.station_issues (
    station_code     text        NOT NULL,
    field            text        NOT NULL,   -- uf, coordinates, altitude, time_zone, record
    rule             text        NOT NULL,   -- what the field must be
    value            text,                   -- as received
    action           text        NOT NULL CHECK (action IN ('held', 'not used')),
    run_id           text        NOT NULL,
    found_at         timestamptz NOT NULL DEFAULT now(),
    resolved_at      timestamptz,
    resolved_run_id  text,
    PRIMARY KEY (station_code, field, rule)
);
CREATE INDEX station_issues_open ON processed_data.station_issues (station_code) WHERE resolved_at IS NULL;
COMMENT ON TABLE processed_data.station_issues IS
    'Station records that could not be used whole, judged by the clean step for that station alone: '
    'a field not used (NULL in processed_data.stations), or the station held (its rows stay in raw_data)';

-- 2. A step that succeeded with something to say (a refused file, a held station) keeps it, and
--    its whole result (the figures it handed back), so `lumen status` and `lumen pipeline run`
--    can name it after the run.
ALTER TABLE ops.step_runs ADD COLUMN warning text, ADD COLUMN result jsonb;
