ALTER TABLE spot_checks DROP COLUMN weighting;
ALTER TABLE spot_checks DROP COLUMN strata;
