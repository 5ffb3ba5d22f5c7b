-- What a budget pool's money is for, and the programme's earmarks (the
-- least share of a source's money that goes to a purpose), checked by the
-- per-source compliance view.
ALTER TABLE budget_pools ADD COLUMN purpose TEXT NOT NULL DEFAULT 'enterprise_transformation';
ALTER TABLE programs ADD COLUMN earmarks TEXT NOT NULL DEFAULT '[]';
