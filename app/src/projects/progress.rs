//! Progress reports (进度报送) the project's provider files while it
//! implements.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use shuzhuan_lifecycle::ProjectState;
use shuzhuan_persistence::repo::projects;
use shuzhuan_persistence::rows::ProgressReportRow;
use shuzhuan_persistence::{Json, Session, new_id, now};
use utoipa::ToSchema;
use validator::Validate;

use super::{check, save, visible};
use crate::error::{AppError, Result, Text};
use crate::input::{Body, Page};
use crate::policy::Right;
use crate::principal::Principal;
use crate::view::{List, one_of, utc};

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"percent": 60, "milestone": "设备联网完成", "note": "40 台设备已接入", "evidence_document_ids": []}))]
pub struct ProgressSpec {
    #[validate(range(min = 0, max = 100, message = "must be 0 to 100", code = "range"))]
    #[schema(minimum = 0, maximum = 100)]
    pub percent: i32,
    #[validate(length(min = 1, max = 500, message = "1 to 500 characters", code = "length"))]
    #[schema(min_length = 1, max_length = 500)]
    pub milestone: String,
    #[serde(default)]
    #[validate(length(max = 4000, message = "at most 4000 characters", code = "length"))]
    #[schema(max_length = 4000)]
    pub note: String,
    /// Documents of this project (kind progress_evidence, photo …).
    #[serde(default)]
    #[validate(length(max = 50, message = "at most 50", code = "length"))]
    #[schema(max_items = 50)]
    pub evidence_document_ids: Vec<String>,
    /// The day reported on (default today).
    pub reported_on: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProgressView {
    pub id: String,
    pub project_id: String,
    pub percent: i32,
    pub milestone: String,
    pub note: String,
    pub evidence_document_ids: Vec<String>,
    pub reported_on: NaiveDate,
    pub reported_by: String,
    pub created_at: DateTime<Utc>,
}

impl From<ProgressReportRow> for ProgressView {
    fn from(r: ProgressReportRow) -> Self {
        ProgressView {
            evidence_document_ids: r.evidence.into_inner(),
            id: r.id,
            project_id: r.project_id,
            percent: r.percent,
            milestone: r.milestone,
            note: r.note,
            reported_on: r.reported_on,
            reported_by: r.reported_by,
            created_at: utc(r.created_at),
        }
    }
}

/// Records a report; the project's progress follows it.
pub fn create_progress(
    s: &mut Session,
    who: &Principal,
    id: &str,
    body: Body<ProgressSpec>,
) -> Result<ProgressView> {
    who.require(Right::ReportProgress)?;
    let p = visible(s.conn(), who, id)?;
    check(who, Right::ReportProgress, &p)?;
    let spec = body.read()?;
    if !matches!(
        p.row.state.0,
        ProjectState::Implementing | ProjectState::Rectification
    ) {
        return Err(AppError::conflict(
            "not_implementing",
            "Progress is reported while the project is implementing.",
            "仅在实施阶段报送进度。",
        ));
    }
    for (i, doc) in spec.evidence_document_ids.iter().enumerate() {
        if !projects::find_document(s.conn(), doc).is_ok_and(|d| d.project_id == id) {
            return Err(AppError::field(
                format!("evidence_document_ids[{i}]"),
                "unknown_document",
                Text::new("not a document of this project", "不是本项目的文件"),
            ));
        }
    }
    let before = p.row;
    s.write(&who.actor(), |tx| {
        let report = ProgressReportRow {
            id: new_id(),
            project_id: id.to_owned(),
            percent: spec.percent,
            milestone: spec.milestone.clone(),
            note: spec.note.clone(),
            evidence: Json::new(spec.evidence_document_ids.clone())?,
            reported_on: spec.reported_on.unwrap_or_else(|| Utc::now().date_naive()),
            reported_by: who.user_id.clone(),
            created_at: now(),
        };
        projects::insert_progress(tx.conn(), &report)?;
        let mut row = before.clone();
        row.progress_percent = report.percent;
        save(tx, "project.progress", &before, row)?;
        Ok(ProgressView::from(report))
    })
}

/// The project's progress reports, oldest first.
pub fn list_progress(
    s: &mut Session,
    who: &Principal,
    id: &str,
    page: &Page,
) -> Result<List<ProgressView>> {
    List::paged(progress_reports(s, who, id)?, page)
}

/// One progress report of a project.
pub fn get_progress(
    s: &mut Session,
    who: &Principal,
    id: &str,
    report_id: &str,
) -> Result<ProgressView> {
    one_of(progress_reports(s, who, id)?, |r| r.id == report_id)
}

/// The project's progress reports the caller may read, oldest first.
fn progress_reports(s: &mut Session, who: &Principal, id: &str) -> Result<Vec<ProgressView>> {
    visible(s.conn(), who, id)?;
    Ok(projects::progress_of(s.conn(), id)?
        .into_iter()
        .map(Into::into)
        .collect())
}
