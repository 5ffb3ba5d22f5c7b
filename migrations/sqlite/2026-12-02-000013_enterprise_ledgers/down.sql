DROP TABLE enterprise_ledgers;
ALTER TABLE subsidy_decisions DROP COLUMN cap_fen;
ALTER TABLE subsidy_decisions DROP COLUMN level;
