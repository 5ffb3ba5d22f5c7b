ALTER TABLE targets DROP COLUMN text_value;
ALTER TABLE programs DROP COLUMN phases;
