DROP TABLE login_throttles;
DROP INDEX refresh_tokens_user;
DROP INDEX refresh_tokens_family;
ALTER TABLE refresh_tokens DROP COLUMN revoked_at;
ALTER TABLE refresh_tokens DROP COLUMN family_id;
ALTER TABLE webhooks DROP COLUMN paused_until;
ALTER TABLE webhooks DROP COLUMN failing_since;
