//! The enterprise dossier (一企一档) as JSON, or as a zip with its files.

use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpResponse, get, web};
use serde::Deserialize;
use shuzhuan_app::dossier::{self as use_case, Dossier};
use shuzhuan_app::view::string_enum;
use shuzhuan_app::{AppError, Text};
use utoipa::IntoParams;
use validator::Validate;

use crate::error::{ApiError, Problem};
use crate::extract::{Caller, Query};
use crate::state::AppState;

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

/// An enterprise's dossier (一企一档)
///
/// Everything on file for one enterprise: profile, projects with their history,
/// assessments, plans, subsidies and documents, as JSON or as a zip with the
/// documents; only what the caller may read is included.
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
            return Err(AppError::field(
                "format",
                "invalid_value",
                Text::new("json or zip", "应为 json 或 zip"),
            )
            .into());
        }
    };
    let dossier = state
        .run(caller, move |s, who| use_case::get(s, who, &id))
        .await?;
    if !zip {
        return Ok(HttpResponse::Ok().json(dossier));
    }
    let store = state.app.documents.clone();
    let name = format!("dossier-{}.zip", dossier.enterprise.uscc);
    let bytes = web::block(move || use_case::zip(&store, &dossier)).await??;
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
