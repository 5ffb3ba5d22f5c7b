ALTER TABLE programs DROP COLUMN pass_level;
