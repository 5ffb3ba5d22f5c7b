//! The OpenAPI contract of Shuzhuan.
//!
//! This crate owns the document's frame (info, tags, security schemes) and
//! the committed `openapi.json`. The paths and schemas are collected from
//! the handlers themselves by the API crate, which depends on this one
//! (never the other way), so the document cannot drift from the routes;
//! `make openapi` rewrites the committed file and a test fails when the
//! served document differs from it.

use utoipa::Modify;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

/// The committed contract, as `make openapi` last wrote it.
pub const COMMITTED: &str = include_str!("../openapi.json");

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Shuzhuan (数转) API",
        version = "1.0.0",
        description = "API of the SME digital-transformation city pilot (中小企业数字化转型城市试点): \
programmes, enterprises, providers, products, projects, scoring, subsidies, monitoring and sync.\n\n\
Conventions: JSON bodies with snake_case fields; money in integer fen (`*_fen`), rates in basis points \
(`*_bp`); times RFC 3339 UTC; lists are `{items, next_cursor}` with `?limit=` (default 50, max 500) and \
`?cursor=`; single objects carry `version` and an `ETag`, and writes to them need `If-Match` (428 without, \
412 when stale). Errors are RFC 9457 `application/problem+json` with a stable `code` and, for validation, \
`errors: [{field, code, message}]`; send `Accept-Language: zh-CN` for Chinese texts.\n\n\
Authentication: `Authorization: Bearer <token>` with an access JWT from `POST /api/v1/auth/token` or an \
API token from `POST /api/v1/api-tokens`.",
        license(name = "MIT")
    ),
    tags(
        (name = "health", description = "Liveness, readiness and metrics"),
        (name = "auth", description = "Login, token refresh, the caller, API tokens"),
        (name = "users", description = "Users and their role grants (platform_admin)"),
        (name = "programs", description = "Pilot programmes (试点) with regions, industries and batches"),
        (name = "audit", description = "The hash-chained audit log"),
        (name = "sync", description = "The change feed for the national platform"),
    ),
    modifiers(&BearerAuth)
)]
struct Frame;

/// Declares the one security scheme every protected operation names.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT or API token")
                    .description(Some(
                        "An access JWT from POST /api/v1/auth/token, or an API token (szt_…) from POST /api/v1/api-tokens.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The frame the API crate fills with its paths and schemas.
pub fn frame() -> utoipa::openapi::OpenApi {
    Frame::openapi()
}

/// The canonical text of a document: pretty JSON with a final newline, as
/// committed.
pub fn render(doc: &utoipa::openapi::OpenApi) -> Result<String, serde_json::Error> {
    doc.to_pretty_json().map(|s| s + "\n")
}
