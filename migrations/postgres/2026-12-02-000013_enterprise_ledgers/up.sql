-- The per-enterprise cap of DOMAIN.md §5 enforced where money is committed:
-- one ledger row per enterprise and programme, moved only by a conditional
-- update (`approved_fen + x <= cap`) in the approval's own transaction, as
-- the budget pools are; the CHECKs hold the line again. A decision keeps
-- the level it was quoted for and the cap that bounds the enterprise's
-- total under it.

ALTER TABLE subsidy_decisions ADD COLUMN level INTEGER;
ALTER TABLE subsidy_decisions ADD COLUMN cap_fen BIGINT;

CREATE TABLE enterprise_ledgers (
    program_id TEXT NOT NULL REFERENCES programs (id),
    enterprise_id TEXT NOT NULL REFERENCES enterprises (id),
    approved_fen BIGINT NOT NULL CHECK (approved_fen >= 0),
    disbursed_fen BIGINT NOT NULL CHECK (disbursed_fen >= 0),
    version BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (program_id, enterprise_id),
    CHECK (disbursed_fen <= approved_fen)
);

INSERT INTO enterprise_ledgers (program_id, enterprise_id, approved_fen, disbursed_fen, version, updated_at)
SELECT program_id, enterprise_id, SUM(amount_fen), SUM(disbursed_fen), 1, MAX(updated_at)
FROM subsidy_decisions
WHERE state = 'approved' AND kind = 'transformation' AND enterprise_id IS NOT NULL
GROUP BY program_id, enterprise_id;
