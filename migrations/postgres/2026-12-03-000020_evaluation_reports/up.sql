-- Self-evaluation reports (绩效自评): each row one issued version, frozen.
-- `content` is the report's JSON exactly as issued and `content_sha256`
-- its hash (also in the version's audit entry); `feed_seq` is the change
-- feed's sequence number when it was built (everything at or below it is
-- in the report). A correction is a new row with the same `report_no`,
-- the next `version`, its reason and the cells that changed.
CREATE TABLE evaluation_reports (
    id TEXT PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES programs (id),
    report_no INTEGER NOT NULL,
    version INTEGER NOT NULL,
    period_kind TEXT NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    as_of DATE NOT NULL,
    title TEXT NOT NULL,
    feed_seq BIGINT NOT NULL,
    content TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    correction_reason TEXT,
    differences TEXT NOT NULL,
    issued_by TEXT NOT NULL,
    issued_at TIMESTAMP NOT NULL,
    UNIQUE (program_id, report_no, version)
);
CREATE INDEX evaluation_reports_program ON evaluation_reports (program_id, id);

-- A pool or library decision links its evidence: the spot-check findings
-- and evaluation reports (ids, JSON array) it was taken on.
ALTER TABLE admissions ADD COLUMN evidence TEXT NOT NULL DEFAULT '[]';
