-- Service providers (服务商) and their products (小快轻准), national
-- entities; and their admissions into a programme: the provider pool
-- (资源池) and the product library (产品库), one table for both.
CREATE TABLE providers (
    id TEXT PRIMARY KEY,
    uscc TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    specialty TEXT NOT NULL,
    local BOOLEAN NOT NULL,
    scenarios TEXT NOT NULL,
    contact_name TEXT NOT NULL,
    contact_phone TEXT NOT NULL,
    description TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE products (
    id TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES providers (id),
    name TEXT NOT NULL,
    scenarios TEXT NOT NULL,
    industries TEXT NOT NULL,
    deployment TEXT NOT NULL,
    price_fen BIGINT,
    description TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (provider_id, name)
);

-- kind: provider_pool (member_id a provider) or product_library (a product).
CREATE TABLE admissions (
    program_id TEXT NOT NULL REFERENCES programs (id),
    kind TEXT NOT NULL,
    member_id TEXT NOT NULL,
    status TEXT NOT NULL,
    grade TEXT,
    reason TEXT NOT NULL,
    consortium_industry_code TEXT,
    consortium_lead_id TEXT,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (program_id, kind, member_id)
);
CREATE INDEX admissions_member ON admissions (kind, member_id);
