-- The acceptance level a programme's enterprises must reach to pass: the
-- programme's own (its pack), 2 unless its work plan counts firms that stay
-- below level 2 among those transformed.
ALTER TABLE programs ADD COLUMN pass_level INTEGER NOT NULL DEFAULT 2 CHECK (pass_level BETWEEN 1 AND 4);
