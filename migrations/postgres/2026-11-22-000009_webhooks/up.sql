-- Webhooks: subscriptions to the change feed that the server delivers
-- itself. The feed (change_events) is the outbox: each webhook keeps a
-- cursor into it, and the worker turns the events after the cursor into
-- delivery rows in the same transaction that moves the cursor, so an event
-- is queued exactly once and nothing is lost across restarts.
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    owner_user_id TEXT NOT NULL REFERENCES users (id),
    url TEXT NOT NULL,
    -- The HMAC key; needed in clear to sign, never returned after creation.
    secret TEXT NOT NULL,
    -- JSON array of patterns: `*`, `project.*`, `enterprise.update` …
    event_types TEXT NOT NULL,
    program_id TEXT REFERENCES programs (id),
    active BOOLEAN NOT NULL,
    disabled_reason TEXT,
    -- Failed attempts since the last success (worker bookkeeping).
    consecutive_failures INTEGER NOT NULL,
    -- The last change-event sequence number queued for this webhook.
    event_cursor BIGINT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX webhooks_owner ON webhooks (owner_user_id, id);

-- One row per (webhook, event): its state, attempts and last outcome; a
-- worker leases due rows (lease_until) so several instances never send the
-- same delivery at once.
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_seq BIGINT NOT NULL REFERENCES change_events (seq),
    event_type TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    lease_owner TEXT,
    lease_until TIMESTAMP,
    last_attempt_at TIMESTAMP,
    last_status_code INTEGER,
    last_error TEXT,
    last_duration_ms BIGINT,
    delivered_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (webhook_id, event_seq)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (webhook_id, id);
