-- A webhook's receiver that fails is paused and probed with backoff (a
-- circuit breaker): since when it has failed without a break, and until
-- when no delivery is sent to it.
ALTER TABLE webhooks ADD COLUMN failing_since TIMESTAMP;
ALTER TABLE webhooks ADD COLUMN paused_until TIMESTAMP;

-- Refresh tokens rotate within a family (one login); a spent token used
-- again revokes the whole family, and a password change revokes them all.
ALTER TABLE refresh_tokens ADD COLUMN family_id TEXT;
UPDATE refresh_tokens SET family_id = id;
ALTER TABLE refresh_tokens ALTER COLUMN family_id SET NOT NULL;
ALTER TABLE refresh_tokens ADD COLUMN revoked_at TIMESTAMP;
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

-- Wrong passwords per username and per client address: logins from a key
-- with a run of failures wait until blocked_until (shared by every
-- instance, so the limit holds behind a load balancer).
CREATE TABLE login_throttles (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL CHECK (failures >= 0),
    blocked_until TIMESTAMP,
    updated_at TIMESTAMP NOT NULL
);
