-- The run audit: one row per pipeline step run (what ran, with which parameters, how it went).
CREATE TABLE ops.step_runs (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id         text        NOT NULL,
    step           text        NOT NULL,
    parameters     jsonb       NOT NULL,   -- never secrets: those come from the environment
    status         text        NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    rows_in        bigint,
    rows_out       bigint,
    started_at     timestamptz NOT NULL DEFAULT now(),
    finished_at    timestamptz,
    notebook_path  text,                   -- the executed notebook: the run's record
    git_commit     text,
    error          text
);
CREATE INDEX step_runs_run ON ops.step_runs (run_id, started_at);

-- One pipeline run writes at a time. The row names the run holding the lock; a run
-- whose heartbeat is older than the steps' timeout is considered dead.
CREATE TABLE ops.run_lock (
    singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    run_id        text,
    acquired_at   timestamptz,
    heartbeat_at  timestamptz
);
INSERT INTO ops.run_lock (singleton) VALUES (true);
