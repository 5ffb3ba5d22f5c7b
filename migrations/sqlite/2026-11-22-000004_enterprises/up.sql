-- Enterprises (企业, 一企一档): national entities keyed by their unified
-- social credit code, enrolled in a programme with its region and industry.
CREATE TABLE enterprises (
    id TEXT PRIMARY KEY,
    uscc TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    program_id TEXT REFERENCES programs (id),
    region_code TEXT,
    industry_code TEXT,
    above_designated_size BOOLEAN NOT NULL,
    size_class TEXT NOT NULL,
    specialised BOOLEAN NOT NULL,
    little_giant BOOLEAN NOT NULL,
    innovative BOOLEAN NOT NULL,
    chain_master BOOLEAN NOT NULL,
    employees INTEGER,
    revenue_fen BIGINT,
    contact_name TEXT NOT NULL,
    contact_phone TEXT NOT NULL,
    cloud_adopted BOOLEAN NOT NULL,
    tier TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX enterprises_program_region ON enterprises (program_id, region_code, id);
CREATE INDEX enterprises_program_industry ON enterprises (program_id, industry_code, id);
