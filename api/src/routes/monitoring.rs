//! Supervision (监测): the red/yellow/green thresholds of a programme, the
//! monitoring of its projects, the target dashboard and the provider
//! ranking (赛马).

use actix_web::{HttpResponse, get, put, web};
use shuzhuan_app::List;
use shuzhuan_app::monitoring::{
    self as use_case, Dashboard, DashboardQuery, MonitoringQuery, MonitoringReport,
    MonitoringSettingsRequest, MonitoringSettingsView,
};
use shuzhuan_app::ranking::{self, ProviderRanking, RankingQuery};
use shuzhuan_app::risks::{ProjectRiskView, ProviderRiskView, RiskPrecisionView, RiskQuery};

use crate::error::{ApiError, Problem};
use crate::export::{self, Listing, Wants};
use crate::extract::{AcceptLang, Caller, IfMatch, Json, Query};
use crate::respond::current;
use crate::state::AppState;
use shuzhuan_app::exports::tables;

/// Read monitoring thresholds
///
/// The programme's thresholds for yellow and red.
#[utoipa::path(
    tag = "monitoring",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)")),
    responses(
        (status = 200, body = MonitoringSettingsView, headers(("ETag" = String, description = "The version, for If-Match (\"0\" while the defaults apply)"))),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/monitoring-settings")]
pub async fn get_monitoring_settings(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::get_settings(s, who, &program_id)
        })
        .await
        .map(current)
}

/// Set monitoring thresholds
///
/// Replaces the programme's thresholds (`If-Match` required).
#[utoipa::path(
    tag = "monitoring",
    params(
        ("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)"),
        ("If-Match" = String, Header, description = "ETag of the version you read (\"0\" for the defaults)", pattern = r#"^(\*|(W/)?"?[0-9]{1,18}"?)$"#),
    ),
    request_body = MonitoringSettingsRequest,
    responses(
        (status = 200, body = MonitoringSettingsView),
        (status = 403, description = "Thresholds are the city_admin's", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale version", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/programs/{program_id}/monitoring-settings")]
pub async fn put_monitoring_settings(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    IfMatch(expected): IfMatch,
    body: Json<MonitoringSettingsRequest>,
) -> Result<HttpResponse, ApiError> {
    state
        .run(caller, move |s, who| {
            use_case::put_settings(s, who, &program_id, expected, body.body())
        })
        .await
        .map(current)
}

/// Red/yellow/green monitoring (红黄绿)
///
/// The ten core indicators and the risk score per project and group, coloured by the programme's
/// thresholds.
#[utoipa::path(
    tag = "monitoring",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)"), MonitoringQuery),
    responses(
        (status = 200, description = "Every monitored project (applied, not yet paid, withdrawn or disqualified) with a colour per indicator and overall, and the colours of its region, batch and provider. Reasons follow Accept-Language.", body = MonitoringReport),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/monitoring")]
pub async fn monitoring(
    AcceptLang(lang): AcceptLang,
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    Listing(q, wants): Listing<MonitoringQuery>,
) -> Result<HttpResponse, ApiError> {
    export::report(
        &state,
        caller,
        (lang, wants),
        &tables::MONITORING,
        move |s, who, lang| use_case::monitoring(s, who, &program_id, &q, lang),
        |report: &MonitoringReport| &report.projects,
    )
    .await
}

/// The targets dashboard
///
/// Each target with its actual, share and colour against the pace of its
/// period.
#[utoipa::path(
    tag = "monitoring",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)"), DashboardQuery),
    responses(
        (status = 200, description = "Every metric: its target for the requested scope, the actual computed from projects, assessments, pools, library, benchmarks, events and finance products (or recorded by hand), the share reached and its colour against the pace", body = Dashboard),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/dashboard")]
pub async fn get_dashboard(
    AcceptLang(lang): AcceptLang,
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    Listing(q, wants): Listing<DashboardQuery>,
) -> Result<HttpResponse, ApiError> {
    export::report(
        &state,
        caller,
        (lang, wants),
        &tables::TARGETS,
        move |s, who, lang| use_case::dashboard(s, who, &program_id, &q, lang),
        |dashboard: &Dashboard| &dashboard.items,
    )
    .await
}

/// Provider ranking and evaluation (赛马, 服务商绩效评价)
///
/// Admitted providers ranked over a period by contracts, acceptances (at
/// first try and after rectification), satisfaction, level gain, on-time
/// rate, red projects and spot-check findings, with the subsidy paid to
/// their clients and the findings as evidence for pool decisions.
#[utoipa::path(
    tag = "monitoring",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)"), RankingQuery),
    responses(
        (status = 200, description = "Admitted providers by score (赛马), each component shown", body = ProviderRanking),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/provider-ranking")]
pub async fn provider_ranking(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    Query(q): Query<RankingQuery>,
) -> Result<web::Json<ProviderRanking>, ApiError> {
    state
        .run(caller, move |s, who| {
            ranking::ranking(s, who, &program_id, &q)
        })
        .await
        .map(web::Json)
}

/// List risks (风险线索)
///
/// The programme's flagged projects, highest risk score first: each with
/// its flags (ties between an enterprise and its provider or between
/// enterprises of one provider, shared documents, copied plans, price
/// outliers against the programme's others and against the product
/// library's listed prices, contracts at the subsidy's sweet spot, level
/// jumps, acceptances copied from the diagnosis, lenient evaluators,
/// contracts before enrolment, early acceptance, same-day pushes, a
/// provider's concentration in a batch or region), the projects each ties
/// it to, and the evidence in the caller's language; thresholds and
/// weights are the programme's (`risk` in its monitoring settings). The
/// city office, finance, observers and county offices (their regions) read
/// it; enterprises and providers never. `?format=xlsx|csv` exports every
/// matching row.
#[utoipa::path(
    tag = "monitoring",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)"), RiskQuery),
    responses(
        (status = 200, description = "Flagged projects by score, with their evidence", body = List<ProjectRiskView>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/risks")]
pub async fn list_risks(
    AcceptLang(lang): AcceptLang,
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
    listing: Listing<RiskQuery>,
) -> Result<HttpResponse, ApiError> {
    // A file's evidence is written in the file's language.
    let lang = match listing.1 {
        Wants::Sheet(_, file) => file,
        Wants::Json => lang,
    };
    export::list(&state, caller, listing, &tables::RISKS, move |s, who, q| {
        shuzhuan_app::risks::list(s, who, &program_id, &q, lang)
    })
    .await
}

/// Providers by risk
///
/// Each provider's risk score: the mean score of its applied projects the
/// caller reads (a project without a flag counts 0), highest first, with
/// how many of its projects are flagged.
#[utoipa::path(
    tag = "monitoring",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)")),
    responses(
        (status = 200, description = "Providers by risk score", body = Vec<ProviderRiskView>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/risks/providers")]
pub async fn provider_risks(
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
) -> Result<web::Json<Vec<ProviderRiskView>>, ApiError> {
    state
        .run(caller, move |s, who| {
            shuzhuan_app::risks::providers(s, who, &program_id)
        })
        .await
        .map(web::Json)
}

/// The flags' precision (精准度)
///
/// Of the projects inspected (a spot-check finding recorded), how many
/// with each flag had findings against them, next to the projects drawn at
/// random: the evidence to tune the programme's risk thresholds and
/// weights by.
#[utoipa::path(
    tag = "monitoring",
    params(("program_id" = String, Path, description = "Programme id, or its code (`yinchuan`)")),
    responses(
        (status = 200, description = "Hit rates per flag kind, for any flag, and at random", body = RiskPrecisionView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programs/{program_id}/risks/precision")]
pub async fn risk_precision(
    AcceptLang(lang): AcceptLang,
    state: web::Data<AppState>,
    caller: Caller,
    program_id: web::Path<String>,
) -> Result<web::Json<RiskPrecisionView>, ApiError> {
    state
        .run(caller, move |s, who| {
            shuzhuan_app::risks::precision(s, who, &program_id, lang)
        })
        .await
        .map(web::Json)
}
