//! How a handler answers with one object: its `ETag` (the version a later
//! `If-Match` names) and, when created, its `Location`. Which URL is an
//! object's own is said once here, per view.

use actix_web::HttpResponse;
use actix_web::http::header;
use serde::Serialize;
use shuzhuan_app::registry::Upserted;

/// A view that is an object of its own, with a URL and a version.
pub trait Resource: Serialize {
    /// Where a client reads it again.
    fn location(&self) -> String;
    /// What `ETag` carries; records that never change are at version 1.
    fn version(&self) -> i64 {
        1
    }
}

/// 201 Created with `Location` and `ETag`.
pub fn created<V: Resource>(view: V) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::LOCATION, view.location()))
        .insert_header(etag(view.version()))
        .json(view)
}

/// 200 OK with `ETag`, for reads and changes of one object.
pub fn current<V: Resource>(view: V) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(etag(view.version()))
        .json(view)
}

/// 201 when an upsert created the object, 200 otherwise.
pub fn upserted<V: Resource>(out: Upserted<V>) -> HttpResponse {
    if out.created {
        created(out.view)
    } else {
        current(out.view)
    }
}

/// The `ETag` header of a version.
pub fn etag(version: i64) -> (header::HeaderName, String) {
    (header::ETAG, format!("\"{version}\""))
}

/// `impl Resource` for views whose URL is a pattern over their fields and
/// whose version is their `version` field (or 1 when they have none).
macro_rules! resources {
    ($($view:ty => |$v:ident| $location:expr $(, version = $version:expr)?;)*) => {
        $(impl Resource for $view {
            fn location(&self) -> String {
                let $v = self;
                $location
            }
            $(fn version(&self) -> i64 {
                let $v = self;
                $version
            })?
        })*
    };
}

use shuzhuan_app::admissions::AdmissionView;
use shuzhuan_app::assessments::AssessmentView;
use shuzhuan_app::auth::{ApiTokenView, CreatedApiToken};
use shuzhuan_app::documents::DocumentView;
use shuzhuan_app::enterprises::EnterpriseView;
use shuzhuan_app::evaluations::EvaluationView;
use shuzhuan_app::monitoring::MonitoringSettingsView;
use shuzhuan_app::products::ProductView;
use shuzhuan_app::programs::{BatchView, ProgramView};
use shuzhuan_app::projects::{AssignmentView, ProgressView, ProjectView};
use shuzhuan_app::promotion::{BenchmarkView, EventView, FinanceProductView};
use shuzhuan_app::providers::ProviderView;
use shuzhuan_app::spot_checks::{FindingView, SpotCheckView};
use shuzhuan_app::subsidy::{DecisionView, DisbursementView, PolicyView, PoolView};
use shuzhuan_app::targets::TargetView;
use shuzhuan_app::users::UserView;
use shuzhuan_app::webhooks::WebhookView;
use shuzhuan_lifecycle::AdmissionKind;

resources! {
    ProgramView => |v| format!("/api/v1/programs/{}", v.id), version = v.version;
    BatchView => |v| format!("/api/v1/programs/{}/batches/{}", v.program_id, v.id), version = v.version;
    UserView => |v| format!("/api/v1/users/{}", v.id), version = v.version;
    EvaluationView => |v| format!("/api/v1/evaluations/{}", v.id);
    CreatedApiToken => |v| v.token.location();
    ApiTokenView => |v| format!("/api/v1/api-tokens/{}", v.id);
    EnterpriseView => |v| format!("/api/v1/enterprises/{}", v.id), version = v.version;
    ProviderView => |v| format!("/api/v1/providers/{}", v.id), version = v.version;
    ProductView => |v| format!("/api/v1/products/{}", v.id), version = v.version;
    AdmissionView => |v| {
        let list = match v.kind {
            AdmissionKind::ProviderPool => "provider-pool",
            AdmissionKind::ProductLibrary => "product-library",
        };
        format!("/api/v1/programs/{}/{list}/{}", v.program_id, v.member_id())
    }, version = v.version;
    AssessmentView => |v| format!("/api/v1/assessments/{}", v.id.as_deref().unwrap_or_default()),
        version = v.version.unwrap_or(1);
    ProjectView => |v| format!("/api/v1/projects/{}", v.id), version = v.version;
    ProgressView => |v| format!("/api/v1/projects/{}/progress-reports/{}", v.project_id, v.id);
    AssignmentView => |v| format!("/api/v1/projects/{}/assignments/{}/{}", v.project_id, v.role, v.user_id);
    DocumentView => |v| format!("/api/v1/documents/{}", v.id);
    PolicyView => |v| format!("/api/v1/programs/{}/subsidy-policies/{}", v.program_id, v.version),
        version = i64::from(v.version);
    PoolView => |v| format!("/api/v1/programs/{}/budget-pools/{}", v.program_id, v.id),
        version = v.version;
    DecisionView => |v| format!("/api/v1/programs/{}/subsidy-decisions/{}", v.program_id, v.id),
        version = v.version;
    DisbursementView => |v| format!("/api/v1/programs/{}/disbursements/{}", v.program_id, v.id);
    TargetView => |v| format!("/api/v1/programs/{}/targets/{}", v.program_id, v.id), version = v.version;
    MonitoringSettingsView => |v| format!("/api/v1/programs/{}/monitoring-settings", v.program_id),
        version = v.version;
    SpotCheckView => |v| format!("/api/v1/spot-checks/{}", v.id);
    FindingView => |v| format!("/api/v1/spot-checks/{}/findings/{}", v.spot_check_id, v.id);
    BenchmarkView => |v| format!("/api/v1/benchmarks/{}", v.id), version = v.version;
    EventView => |v| format!("/api/v1/programs/{}/events/{}", v.program_id, v.id);
    FinanceProductView => |v| format!("/api/v1/programs/{}/finance-products/{}", v.program_id, v.id);
    WebhookView => |v| format!("/api/v1/webhooks/{}", v.id), version = v.version;
}
