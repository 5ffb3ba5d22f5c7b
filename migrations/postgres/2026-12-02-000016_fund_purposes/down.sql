ALTER TABLE budget_pools DROP COLUMN purpose;
ALTER TABLE programs DROP COLUMN earmarks;
