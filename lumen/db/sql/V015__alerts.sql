-- Alerts (lumen/alerts): episodes of INMET-criteria exceedances found in the data, and the
-- outbox that delivers them. Both are written by the publish and forecast steps; their
-- rows are history and are never deleted (an episode the data no longer supports is marked
-- withdrawn, with the reason).

-- One episode per station and rule: from the first exceeding hour (or local day) to the
-- last, closed once the condition has been clear for the rule's clear_hours.
CREATE TABLE analytics.alert_events (
    event_id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    station_code      text        NOT NULL,
    rule              text        NOT NULL,             -- the rule's id in alerts/rules.yml
    rule_name         text        NOT NULL,             -- as people read it (Portuguese)
    level             text        NOT NULL CHECK (level IN ('yellow', 'orange', 'red')),  -- highest reached
    level_at          timestamptz NOT NULL,             -- when the episode first reached that level
    threshold         double precision NOT NULL,        -- that level's threshold …
    unit              text        NOT NULL,             -- … and the unit of it and of peak_value
    started_at        timestamptz NOT NULL,             -- start of the first exceeding hour or local day
    last_exceeded_at  timestamptz NOT NULL,             -- end of the last exceeding hour or local day
    ended_at          timestamptz,                      -- = last_exceeded_at once closed; NULL while open
    peak_value        double precision NOT NULL,
    peak_at           timestamptz NOT NULL,
    status            text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed', 'withdrawn')),
    notify            boolean     NOT NULL,             -- false: recorded without messages (a backfill of the past)
    note              text,                             -- why withdrawn, or merged into which episode
    opened_run_id     text        NOT NULL,
    updated_run_id    text        NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (started_at < last_exceeded_at),
    CHECK ((status = 'open') = (ended_at IS NULL))
);
CREATE INDEX alert_events_rule_time ON analytics.alert_events (rule, started_at) WHERE status <> 'withdrawn';
CREATE INDEX alert_events_station ON analytics.alert_events (station_code, started_at);
CREATE INDEX alert_events_open ON analytics.alert_events (rule) WHERE status = 'open';
COMMENT ON TABLE analytics.alert_events IS
    'Episodes of INMET warning criteria exceeded in observations or forecasts (not INMET''s official warnings), '
    'one per station and rule; written by lumen/alerts';

-- The outbox: one row per episode level, subscription and channel. A failed send stays
-- pending with its error and is retried with backoff by later runs, then marked failed.
-- Never holds a secret: errors are written without URLs, tokens or passwords.
CREATE TABLE ops.alert_deliveries (
    delivery_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id        bigint      NOT NULL REFERENCES analytics.alert_events (event_id),
    level           text        NOT NULL CHECK (level IN ('yellow', 'orange', 'red')),
    subscription    text        NOT NULL,
    channel         text        NOT NULL CHECK (channel IN ('webhook', 'email')),
    recipients      text,                               -- e-mail addresses (webhook: NULL, its URL is in .env)
    payload         jsonb       NOT NULL,               -- the message as queued (subject, text, figures)
    status          text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        integer     NOT NULL DEFAULT 0,
    last_error      text,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    run_id          text        NOT NULL,               -- the run that queued it
    UNIQUE (event_id, level, subscription)
);
CREATE INDEX alert_deliveries_due ON ops.alert_deliveries (next_attempt_at) WHERE status = 'pending';
COMMENT ON TABLE ops.alert_deliveries IS
    'Alert messages to send (webhook, e-mail): once per episode level and subscription; retried with backoff';

-- The heat-wave rule compares a day's maximum with the station's mean daily maximum for that
-- calendar month: monthly_station_summary gains that mean (dbt adds the columns); rebuild
-- it from all of history at the next publish (`lumen db migrate` runs it at once).
INSERT INTO ops.analytics_rebuild (run_id, reason)
VALUES ('migration V015', 'monthly_station_summary gains air_temp_max_mean_c and days_with_max (heat-wave normals)');
