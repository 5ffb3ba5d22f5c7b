-- A spot check drawn by risk publishes how: uniform, risk-weighted or
-- stratified, and the strata with each candidate's weight.
ALTER TABLE spot_checks ADD COLUMN weighting TEXT NOT NULL DEFAULT 'uniform';
ALTER TABLE spot_checks ADD COLUMN strata TEXT NOT NULL DEFAULT '[]';
