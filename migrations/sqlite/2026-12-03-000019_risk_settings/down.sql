ALTER TABLE monitoring_settings DROP COLUMN risk;
