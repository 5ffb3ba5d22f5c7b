-- A programme's risk-rule thresholds and weights (JSON; '{}' keeps every
-- default), kept and versioned with its monitoring thresholds.
ALTER TABLE monitoring_settings ADD COLUMN risk TEXT NOT NULL DEFAULT '{}';
