//! Assembling the application: state, routes, middleware, documentation.

use std::net::TcpListener;

use actix_web::middleware::{Logger, from_fn};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, dev::Server, web};
use utoipa_actix_web::AppExt;
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::JwtKeys;
use crate::bootstrap::{self, StartupError};
use crate::config::Settings;
use crate::error::ApiError;
use crate::middleware::{Metrics, localize, record_metrics};
use crate::routes::{self, health};
use crate::state::AppState;
use shuzhuan_persistence::Db;

/// Every route of the application; the OpenAPI document is collected from
/// exactly these registrations.
fn configure(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(health::metrics)
        .service(utoipa_actix_web::scope("/api/v1").configure(routes::api_v1));
}

/// The OpenAPI document as served at `/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, doc) = App::new()
        .into_utoipa_app()
        .openapi(shuzhuan_openapi::frame())
        .configure(configure)
        .split_for_parts();
    doc
}

/// Connects, migrates, loads the seed programmes on first start, creates
/// the bootstrap admin: everything `serve` needs before it listens.
pub fn prepare(settings: &Settings) -> Result<web::Data<AppState>, StartupError> {
    let db = Db::connect(&settings.database_url(), settings.db_pool_size)?;
    let secret = settings.jwt_secret(db.backend())?;
    bootstrap::run(&db, settings)?;
    Ok(web::Data::new(AppState {
        db,
        keys: JwtKeys::new(&secret, settings.access_token_ttl),
        metrics: Metrics::new()?,
    }))
}

async fn not_found(_: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}

/// The HTTP server on `listener`; run it with `.await`.
pub fn server(
    state: web::Data<AppState>,
    listener: TcpListener,
    workers: Option<usize>,
) -> std::io::Result<Server> {
    let doc = openapi();
    let mut server = HttpServer::new(move || {
        App::new()
            .into_utoipa_app()
            .openapi(shuzhuan_openapi::frame())
            .app_data(state.clone())
            .configure(configure)
            .map(|app| {
                app.service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", doc.clone()))
                    .default_service(web::to(not_found))
                    .wrap(from_fn(localize))
                    .wrap(from_fn(record_metrics))
                    .wrap(Logger::new("%a \"%r\" %s %b %Dms"))
            })
            .into_app()
    })
    .listen(listener)?;
    if let Some(n) = workers {
        server = server.workers(n);
    }
    Ok(server.run())
}
