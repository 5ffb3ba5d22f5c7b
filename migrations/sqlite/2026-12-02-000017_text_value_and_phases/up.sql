-- The figure a work plan's text gives for a target where its annex (the
-- target's value) says otherwise: the targets table warns about each.
ALTER TABLE targets ADD COLUMN text_value BIGINT;

-- A programme's phases as its work plan dates them (preparation,
-- implementation, mid-term review, concentrated push, acceptance).
ALTER TABLE programs ADD COLUMN phases TEXT NOT NULL DEFAULT '[]';
