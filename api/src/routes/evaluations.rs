//! Self-evaluation reports (绩效自评): issued by the city office, frozen,
//! corrected by new versions; read as JSON, a workbook or a printable page.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use shuzhuan_app::error::Text;
use shuzhuan_app::evaluations::{
    self as use_case, CorrectEvaluation, EvaluationView, IssueEvaluation, render,
};
use shuzhuan_app::exports::XLSX;
use shuzhuan_app::{AppError, List, Page};
use utoipa::IntoParams;
use validator::Validate;

use crate::error::{ApiError, Problem};
use crate::export::attachment;
use crate::extract::{Caller, Json, Query};
use crate::respond::{created, current};
use crate::state::AppState;

/// Issue a self-evaluation report (绩效自评)
///
/// Builds the report of a period (`mid_term`, `final`, `annual` or `custom`)
/// from the data as of a day and freezes it: every target with its actual,
/// share and forecast; enterprises transformed by batch, region, industry and
/// size with their levels before and after; money by source and purpose and by
/// level; the provider evaluation; products used; benchmarks, events and
/// talent; spot checks; open risks. Its SHA-256 goes into the audit chain and
/// the version into the change feed. Issuing the same period as of the same day
/// while nothing changed returns the report already issued (200).
#[utoipa::path(
    tag = "evaluations",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)")),
    request_body = IssueEvaluation,
    responses(
        (status = 201, description = "Issued and frozen", body = EvaluationView),
        (status = 200, description = "The same period as of the same day, with nothing changed, was already issued: that report", body = EvaluationView),
        (status = 403, description = "Reports are issued by the pilot office", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown period kind, a missing year or dates, `as_of` in the future or outside the period", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programs/{program_id}/evaluations")]
pub async fn issue_evaluation(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    body: Json<IssueEvaluation>,
) -> Result<HttpResponse, ApiError> {
    let (view, new) = state
        .run(caller, move |s, who| {
            use_case::issue(s, who, &program_id, body.body())
        })
        .await?;
    Ok(if new { created(view) } else { current(view) })
}

/// List self-evaluation reports
///
/// Every issued version of the programme's reports, in the order issued.
#[utoipa::path(
    tag = "evaluations",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)"), Page),
    responses(
        (status = 200, description = "The programme's report versions, oldest first", body = List<EvaluationView>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/evaluations")]
pub async fn list_evaluations(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    Query(page): Query<Page>,
) -> Result<web::Json<List<EvaluationView>>, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::list(s, who, &program_id, &page)
        })
        .await
        .map(web::Json)
}

/// How a report is read.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// `json` (default), `xlsx` (a workbook, one sheet per section) or
    /// `html` (a printable page); `Accept` may ask for the last two too.
    #[param(pattern = "^(json|xlsx|html)$")]
    pub format: Option<String>,
}

enum Format {
    Json,
    Xlsx,
    Html,
}

fn format_of(req: &HttpRequest, q: &ReportQuery) -> Result<Format, ApiError> {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match q.format.as_deref() {
        Some("json") => Ok(Format::Json),
        Some("xlsx") => Ok(Format::Xlsx),
        Some("html") => Ok(Format::Html),
        Some(other) => Err(AppError::field(
            "format",
            "invalid_value",
            Text::new(
                format!("`{other}` is not a format: use json, xlsx or html"),
                format!("`{other}` 不是可用的格式：应为 json、xlsx 或 html"),
            ),
        )
        .into()),
        None if accept.contains(XLSX) => Ok(Format::Xlsx),
        None if accept.contains("text/html") => Ok(Format::Html),
        None => Ok(Format::Json),
    }
}

/// Read a self-evaluation report
///
/// One issued version exactly as frozen: the same bytes at every read, however
/// the data moved on. `?format=xlsx` gives the workbook (one sheet per section,
/// Chinese titles), `?format=html` the printable page.
#[utoipa::path(
    tag = "evaluations",
    params(("id" = String, Path, description = "Report version id"), ReportQuery),
    responses(
        (status = 200, description = "The report version as issued", body = EvaluationView,
         content(
            (EvaluationView = "application/json"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (String = "text/html"),
         )),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown `format`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/evaluations/{id}")]
pub async fn get_evaluation(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    Query(q): Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    let format = format_of(&req, &q)?;
    let view = state
        .run(caller, move |s, who| use_case::get(s, who, &id))
        .await?;
    let name = |ext: &str| {
        (
            format!("{}-第{}版.{ext}", view.title, view.version),
            format!("evaluation-{}-v{}.{ext}", view.report_no, view.version),
        )
    };
    Ok(match format {
        Format::Json => current(view),
        Format::Xlsx => {
            let (n, ascii) = name("xlsx");
            let bytes = web::block(move || render::workbook(&view)).await??;
            HttpResponse::Ok()
                .content_type(XLSX)
                .insert_header(attachment(&n, ascii))
                .body(bytes)
        }
        Format::Html => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(render::page(&view)),
    })
}

/// Correct a self-evaluation report
///
/// Issues the next version of the report from the data as it now stands (as of
/// the same day unless another is given), with the reason and the cells that
/// changed; the earlier version stays as it was.
#[utoipa::path(
    tag = "evaluations",
    params(("id" = String, Path, description = "The newest version's id")),
    request_body = CorrectEvaluation,
    responses(
        (status = 201, description = "The corrected version, with its differences", body = EvaluationView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`not_latest_version`: a newer version exists", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/evaluations/{id}/corrections")]
pub async fn correct_evaluation(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: Json<CorrectEvaluation>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::correct(s, who, &id, body.body())
        })
        .await
        .map(created)
}
