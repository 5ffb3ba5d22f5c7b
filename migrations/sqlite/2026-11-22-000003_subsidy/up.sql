-- Subsidies (奖补): policy versions, budget pools, decisions that commit
-- against a pool, and disbursements. Money in BIGINT fen. The pool and
-- decision counters are moved only by conditional updates
-- (`committed_fen + x <= amount_fen`), and the CHECKs hold the line again.

CREATE TABLE subsidy_policies (
    id TEXT PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES programs (id),
    version INTEGER NOT NULL,
    effective_from DATE NOT NULL,
    effective_to DATE,
    body TEXT NOT NULL,
    created_by TEXT,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (program_id, version)
);

CREATE TABLE budget_pools (
    id TEXT PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES programs (id),
    name TEXT NOT NULL,
    source TEXT NOT NULL,
    region_code TEXT,
    amount_fen BIGINT NOT NULL CHECK (amount_fen >= 0),
    committed_fen BIGINT NOT NULL CHECK (committed_fen >= 0),
    disbursed_fen BIGINT NOT NULL CHECK (disbursed_fen >= 0),
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (committed_fen <= amount_fen),
    CHECK (disbursed_fen <= committed_fen)
);

CREATE TABLE subsidy_decisions (
    id TEXT PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES programs (id),
    pool_id TEXT NOT NULL REFERENCES budget_pools (id),
    kind TEXT NOT NULL,
    enterprise_id TEXT,
    payee TEXT NOT NULL,
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    disbursed_fen BIGINT NOT NULL CHECK (disbursed_fen >= 0),
    state TEXT NOT NULL,
    policy_version INTEGER,
    explanation TEXT NOT NULL,
    approved_by TEXT,
    approved_at TIMESTAMP,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (disbursed_fen <= amount_fen)
);
CREATE INDEX subsidy_decisions_enterprise ON subsidy_decisions (program_id, enterprise_id);

CREATE TABLE disbursements (
    id TEXT PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES programs (id),
    decision_id TEXT NOT NULL REFERENCES subsidy_decisions (id),
    pool_id TEXT NOT NULL REFERENCES budget_pools (id),
    payee TEXT NOT NULL,
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    paid_on DATE NOT NULL,
    reference TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX disbursements_program ON disbursements (program_id, id);
