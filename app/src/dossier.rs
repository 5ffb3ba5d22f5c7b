//! The enterprise dossier (一企一档): one document with the enterprise and
//! the record of every project of it the caller may read — history,
//! assessments, plan, progress, acceptance, audit, subsidy, payments and
//! documents with their hashes — for the national platform and for
//! audits. A project the caller may not read is not in it, nor are its
//! documents, in the JSON or the zip.

use std::io::Write;

use chrono::{DateTime, Utc};
use serde::Serialize;
use shuzhuan_persistence::repo::{assessments, projects, subsidy};
use shuzhuan_persistence::rows::ProjectRow;
use shuzhuan_persistence::{AnyConnection, Session};
use utoipa::ToSchema;

use crate::assessments::AssessmentView;
use crate::documents::{DocumentView, Store};
use crate::enterprises::{self, EnterpriseView};
use crate::error::{AppError, Result};
use crate::policy::Right;
use crate::principal::Principal;
use crate::projects::{ProgressView, ProjectView, TransitionView, comparison};
use crate::subsidy::{DecisionView, DisbursementView};

/// One project's whole record.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectRecord {
    pub project: ProjectView,
    pub history: Vec<TransitionView>,
    /// The diagnosis (before) and acceptance (after) assessments.
    pub assessments: Vec<AssessmentView>,
    pub progress_reports: Vec<ProgressView>,
    pub documents: Vec<DocumentView>,
    pub subsidy_decision: Option<DecisionView>,
    pub disbursements: Vec<DisbursementView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Dossier {
    pub enterprise: EnterpriseView,
    /// The enterprise's projects the caller may read.
    pub projects: Vec<ProjectRecord>,
    pub generated_at: DateTime<Utc>,
}

fn record(conn: &mut AnyConnection, p: &ProjectRow) -> Result<ProjectRecord> {
    let mut assessment_views = Vec::new();
    for id in [&p.diagnosis_id, &p.acceptance_id].into_iter().flatten() {
        assessment_views.push(AssessmentView::from_row(assessments::find(conn, id)?)?);
    }
    let decision = match &p.decision_id {
        Some(id) => Some(subsidy::find_decision(conn, &p.program_id, id)?),
        None => None,
    };
    let disbursements = match &decision {
        Some(d) => subsidy::disbursements_of_decision(conn, &d.id)?,
        None => Vec::new(),
    };
    Ok(ProjectRecord {
        project: ProjectView {
            comparison: comparison(conn, p)?,
            ..ProjectView::of(p)
        },
        history: projects::history(conn, &p.id)?
            .into_iter()
            .map(Into::into)
            .collect(),
        assessments: assessment_views,
        progress_reports: projects::progress_of(conn, &p.id)?
            .into_iter()
            .map(Into::into)
            .collect(),
        documents: projects::documents_of(conn, &p.id)?
            .into_iter()
            .map(Into::into)
            .collect(),
        subsidy_decision: decision.map(Into::into),
        disbursements: disbursements.into_iter().map(Into::into).collect(),
    })
}

/// The dossier of an enterprise the caller reads (404 otherwise), with
/// the projects it may read.
pub fn get(s: &mut Session, who: &Principal, id: &str) -> Result<Dossier> {
    let enterprise = enterprises::visible(s.conn(), who, id)?;
    let read = who.reach(Right::ReadProject);
    let conn = s.conn();
    let projects = if read.is_empty() {
        Vec::new()
    } else {
        projects::of_enterprise_in(conn, id, &read)?
            .iter()
            .map(|p| record(conn, p))
            .collect::<Result<Vec<_>>>()?
    };
    Ok(Dossier {
        enterprise: enterprise.into(),
        projects,
        generated_at: Utc::now(),
    })
}

/// The dossier packed with its documents' files (`dossier.json`, then
/// `documents/<project>/<id>-<filename>`); a file missing from the store is
/// a fault of the deployment, not of the request.
pub fn zip(store: &Store, dossier: &Dossier) -> Result<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("dossier.json", options)
        .map_err(AppError::internal)?;
    zip.write_all(&serde_json::to_vec_pretty(dossier).map_err(AppError::internal)?)
        .map_err(AppError::internal)?;
    for record in &dossier.projects {
        for doc in &record.documents {
            let bytes = std::fs::read(store.path(&doc.sha256)).map_err(AppError::internal)?;
            let name = format!(
                "documents/{}/{}-{}",
                record.project.id,
                doc.id,
                doc.filename.replace(['/', '\\'], "_")
            );
            zip.start_file(name, options).map_err(AppError::internal)?;
            zip.write_all(&bytes).map_err(AppError::internal)?;
        }
    }
    Ok(zip.finish().map_err(AppError::internal)?.into_inner())
}
