-- Projects (改造项目): one enterprise's transformation in one batch, walked
-- through DOMAIN.md §4. Plan, audited line items and the subsidy quote are
-- JSON documents of the project (read and written whole with it).
CREATE TABLE projects (
    id TEXT PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES programs (id),
    batch_id TEXT NOT NULL REFERENCES batches (id),
    enterprise_id TEXT NOT NULL REFERENCES enterprises (id),
    -- Copied from the enterprise at application: the county's scope.
    region_code TEXT NOT NULL,
    title TEXT NOT NULL,
    state TEXT NOT NULL,
    provider_id TEXT REFERENCES providers (id),
    diagnosis_id TEXT,
    level_before INTEGER,
    acceptance_id TEXT,
    level_after INTEGER,
    plan TEXT,
    county_approved_plan BOOLEAN NOT NULL,
    policy_version INTEGER,
    rectification_deadline DATE,
    audited_line_items TEXT,
    subsidy_fen BIGINT,
    subsidy_quote TEXT,
    decision_id TEXT,
    disbursed_fen BIGINT NOT NULL,
    progress_percent INTEGER NOT NULL,
    satisfaction INTEGER,
    satisfaction_comment TEXT,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX projects_program ON projects (program_id, id);
CREATE INDEX projects_enterprise ON projects (enterprise_id);
CREATE INDEX projects_provider ON projects (provider_id);

-- The history: one row per transition, `seq` the project version it made.
CREATE TABLE project_transitions (
    project_id TEXT NOT NULL REFERENCES projects (id),
    seq BIGINT NOT NULL,
    action TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    role TEXT NOT NULL,
    comment TEXT NOT NULL,
    data TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    PRIMARY KEY (project_id, seq)
);

CREATE TABLE progress_reports (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects (id),
    percent INTEGER NOT NULL,
    milestone TEXT NOT NULL,
    note TEXT NOT NULL,
    evidence TEXT NOT NULL,
    reported_on DATE NOT NULL,
    reported_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX progress_reports_project ON progress_reports (project_id, id);

-- Files are stored once by SHA-256 under the data directory; a row per
-- attachment to a project.
CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects (id),
    kind TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    media_type TEXT NOT NULL,
    filename TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX documents_project ON documents (project_id, id);

-- Evaluators, auditors and experts assigned to a project (their scope).
CREATE TABLE project_assignments (
    project_id TEXT NOT NULL REFERENCES projects (id),
    role TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    assigned_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (project_id, role, user_id)
);
CREATE INDEX project_assignments_user ON project_assignments (user_id);

-- Document kinds a programme requires before an action (Jinan's
-- pre-assessment: plan, on-site photos, sign-in sheet, satisfaction survey).
CREATE TABLE document_requirements (
    program_id TEXT NOT NULL REFERENCES programs (id),
    action TEXT NOT NULL,
    kind TEXT NOT NULL,
    PRIMARY KEY (program_id, action, kind)
);
