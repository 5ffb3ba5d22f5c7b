-- Targets, monitoring settings, spot checks, benchmarks, events and
-- finance products (DOMAIN.md §6–7).

-- One target per programme, metric and scope. `scope_key` spells the scope
-- (metric|year|industry|region) because a UNIQUE over nullable columns
-- would let duplicates through.
CREATE TABLE targets (
    id TEXT PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES programs (id),
    metric TEXT NOT NULL,
    year INTEGER,
    industry_code TEXT,
    region_code TEXT,
    scope_key TEXT NOT NULL,
    value BIGINT NOT NULL,
    cumulative BOOLEAN NOT NULL,
    -- An actual recorded by hand where the data holds none.
    recorded_actual BIGINT,
    source TEXT NOT NULL,
    note TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (program_id, scope_key)
);

-- A programme's monitoring thresholds (JSON); defaults when absent.
CREATE TABLE monitoring_settings (
    program_id TEXT PRIMARY KEY REFERENCES programs (id),
    thresholds TEXT NOT NULL,
    version BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- A published draw: everything needed to recompute it.
CREATE TABLE spot_checks (
    id TEXT PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES programs (id),
    title TEXT NOT NULL,
    population TEXT NOT NULL,
    seed TEXT NOT NULL,
    sample_size INTEGER NOT NULL,
    candidates TEXT NOT NULL,
    inspectors TEXT NOT NULL,
    drawn TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX spot_checks_program ON spot_checks (program_id, id);

CREATE TABLE spot_check_findings (
    id TEXT PRIMARY KEY,
    spot_check_id TEXT NOT NULL REFERENCES spot_checks (id),
    project_id TEXT NOT NULL REFERENCES projects (id),
    outcome TEXT NOT NULL,
    note TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (spot_check_id, project_id)
);
CREATE INDEX spot_check_findings_project ON spot_check_findings (project_id);

CREATE TABLE benchmarks (
    id TEXT PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES programs (id),
    kind TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    year INTEGER NOT NULL,
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    nominated_by TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (program_id, kind, subject_id, year)
);
CREATE INDEX benchmarks_program ON benchmarks (program_id, id);

-- Matchmaking (供需对接), exchanges and trainings.
CREATE TABLE program_events (
    id TEXT PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES programs (id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    held_on DATE NOT NULL,
    region_code TEXT,
    participants INTEGER NOT NULL,
    certified INTEGER NOT NULL,
    note TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX program_events_program ON program_events (program_id, id);

CREATE TABLE finance_products (
    id TEXT PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES programs (id),
    name TEXT NOT NULL,
    institution TEXT NOT NULL,
    kind TEXT NOT NULL,
    launched_on DATE NOT NULL,
    note TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX finance_products_program ON finance_products (program_id, id);
