//! The enterprise dossier (一企一档): one document with the enterprise and
//! every project's record — history, assessments, plan, progress,
//! acceptance, audit, subsidy, payments and documents with their hashes —
//! for the national platform and for audits. `?format=zip` adds the files.

use std::io::Write;

use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shuzhuan_persistence::AnyConnection;
use shuzhuan_persistence::repo::{assessments, enterprises, projects, subsidy};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use crate::extract::Query;
use crate::routes::assessments::AssessmentView;
use crate::routes::documents::{DocumentView, content_path};
use crate::routes::enterprises::{EnterpriseView, visible};
use crate::routes::projects::{ProgressView, ProjectView, TransitionView, comparison};
use crate::routes::string_enum;
use crate::routes::subsidy::{DecisionView, DisbursementView};
use crate::state::AppState;

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
    pub projects: Vec<ProjectRecord>,
    pub generated_at: DateTime<Utc>,
}

fn format_schema() -> utoipa::openapi::schema::Object {
    string_enum(["json", "zip"])
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DossierQuery {
    /// `json` (default), or `zip`: `dossier.json` with every document's
    /// file under `documents/<project>/<id>-<filename>`.
    #[param(schema_with = format_schema)]
    pub format: Option<String>,
}

fn record(
    conn: &mut AnyConnection,
    p: &shuzhuan_persistence::rows::ProjectRow,
) -> Result<ProjectRecord, ApiError> {
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
            ..ProjectView::of(p, None)
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

/// Packs the dossier and its files; a file missing from the store is a
/// fault of the deployment, not of the request.
fn zip_of(dir: &std::path::Path, dossier: &Dossier) -> Result<Vec<u8>, ApiError> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("dossier.json", options)
        .map_err(ApiError::internal)?;
    zip.write_all(&serde_json::to_vec_pretty(dossier).map_err(ApiError::internal)?)
        .map_err(ApiError::internal)?;
    for record in &dossier.projects {
        for doc in &record.documents {
            let bytes =
                std::fs::read(content_path(dir, &doc.sha256)).map_err(ApiError::internal)?;
            let name = format!(
                "documents/{}/{}-{}",
                record.project.id,
                doc.id,
                doc.filename.replace(['/', '\\'], "_")
            );
            zip.start_file(name, options).map_err(ApiError::internal)?;
            zip.write_all(&bytes).map_err(ApiError::internal)?;
        }
    }
    Ok(zip.finish().map_err(ApiError::internal)?.into_inner())
}

#[utoipa::path(
    tag = "enterprises",
    params(("id" = String, Path, description = "Enterprise id"), DossierQuery),
    responses(
        (status = 200, description = "The dossier as JSON, or as a zip with the files", content(
            (Dossier = "application/json"),
            (Vec<u8> = "application/zip"),
        )),
        (status = 404, description = "Missing or out of the caller's scope", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown format", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/enterprises/{id}/dossier")]
pub async fn get_dossier(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    Query(q): Query<DossierQuery>,
) -> Result<HttpResponse, ApiError> {
    let zip = match q.format.as_deref() {
        None | Some("json") => false,
        Some("zip") => true,
        Some(_) => {
            return Err(ApiError::field(
                "format",
                "invalid_value",
                crate::error::Text::new("json or zip", "应为 json 或 zip"),
            ));
        }
    };
    let id = id.into_inner();
    let dossier = state
        .read(move |conn| {
            let enterprise = visible(&caller, enterprises::find(conn, &id)?)?;
            let projects = projects::of_enterprise(conn, &id)?
                .iter()
                .map(|p| record(conn, p))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Dossier {
                enterprise: EnterpriseView::from(enterprise),
                projects,
                generated_at: Utc::now(),
            })
        })
        .await?;
    if !zip {
        return Ok(HttpResponse::Ok().json(dossier));
    }
    let dir = state.documents_dir.clone();
    let name = format!("dossier-{}.zip", dossier.enterprise.uscc);
    let bytes = web::block(move || zip_of(&dir, &dossier)).await??;
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((
            header::CONTENT_DISPOSITION,
            ContentDisposition {
                disposition: DispositionType::Attachment,
                parameters: vec![DispositionParam::Filename(name)],
            },
        ))
        .body(bytes))
}
