-- Digital-level assessments (数字化水平评测): the answers as given and the
-- scorecard as computed, points in thousandths.
CREATE TABLE assessments (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    indicator_set TEXT NOT NULL,
    enterprise_id TEXT,
    project_id TEXT,
    recorded_by TEXT NOT NULL REFERENCES users (id),
    answers TEXT NOT NULL,
    total_points BIGINT NOT NULL,
    level INTEGER NOT NULL,
    result TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX assessments_enterprise ON assessments (enterprise_id, id);
CREATE INDEX assessments_project ON assessments (project_id, id);
