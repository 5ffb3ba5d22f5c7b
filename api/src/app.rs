//! Assembling the application: state, routes, middleware, documentation.

use std::net::TcpListener;

use actix_web::middleware::{Logger, from_fn};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, dev::Server, web};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use shuzhuan_app::auth::JwtKeys;
use shuzhuan_app::bootstrap;
use shuzhuan_app::documents::Store;
use shuzhuan_persistence::Db;

use crate::config::{Settings, StartupError};
use crate::error::ApiError;
use crate::middleware::{Metrics, localize, record_metrics};
use crate::outbox;
use crate::routes::configure;
use crate::state::AppState;

/// The OpenAPI document as served at `/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, doc) = App::new()
        .into_utoipa_app()
        .openapi(shuzhuan_openapi::frame())
        .configure(configure)
        .split_for_parts();
    let mut doc = shuzhuan_openapi::finish(doc);
    outbox::describe(&mut doc);
    doc
}

/// The documented paths and their methods, so a known path asked with
/// another method answers 405 with `Allow` rather than 404.
struct KnownPaths(Vec<(Vec<String>, String)>);

impl KnownPaths {
    fn from_doc(doc: &utoipa::openapi::OpenApi) -> Self {
        KnownPaths(
            doc.paths
                .paths
                .iter()
                .map(|(path, item)| {
                    let segments = path.split('/').map(str::to_owned).collect();
                    let methods: Vec<&str> = shuzhuan_openapi::operations(item)
                        .into_iter()
                        .map(|(m, _)| m)
                        .collect();
                    (segments, methods.join(", "))
                })
                .collect(),
        )
    }

    /// The methods allowed on `path`, if it is a documented path.
    fn allowed(&self, path: &str) -> Option<&str> {
        let asked: Vec<&str> = path.split('/').collect();
        self.0
            .iter()
            .find(|(template, _)| {
                template.len() == asked.len()
                    && template.iter().zip(&asked).all(|(t, a)| {
                        (t.starts_with('{') && t.ends_with('}') && !a.is_empty()) || t == a
                    })
            })
            .map(|(_, methods)| methods.as_str())
    }
}

/// Connects, migrates, loads the seed programmes on first start, creates
/// the bootstrap admin: everything `serve` needs before it listens.
pub fn prepare(settings: &Settings) -> Result<web::Data<AppState>, StartupError> {
    let db = Db::connect(&settings.database_url(), settings.db_pool_size)?;
    let secret = settings.jwt_secret(db.backend())?;
    bootstrap::run(&db, settings.admin_password.as_deref())?;
    let committed = std::sync::Arc::new(tokio::sync::Notify::new());
    let wake = committed.clone();
    let app = shuzhuan_app::App::new(
        db,
        JwtKeys::new(&secret, settings.access_token_ttl),
        Store::new(settings.data_dir.join("documents")),
    )
    .on_commit(move || wake.notify_one());
    Ok(web::Data::new(AppState {
        app,
        metrics: Metrics::new()?,
        webhooks: settings.webhooks.clone(),
        committed,
    }))
}

async fn unmatched(
    req: HttpRequest,
    known: web::Data<KnownPaths>,
) -> Result<HttpResponse, ApiError> {
    match known.allowed(req.path()) {
        Some(allow) => Err(ApiError::MethodNotAllowed {
            allow: allow.to_owned(),
        }),
        None => Err(ApiError::not_found()),
    }
}

/// The HTTP server on `listener`; run it with `.await`.
pub fn server(
    state: web::Data<AppState>,
    listener: TcpListener,
    workers: Option<usize>,
) -> std::io::Result<Server> {
    let doc = openapi();
    let known = web::Data::new(KnownPaths::from_doc(&doc));
    // The webhook worker runs beside the HTTP workers, on this instance's
    // runtime, and stops with it.
    actix_web::rt::spawn(outbox::worker(state.clone()));
    let mut server = HttpServer::new(move || {
        App::new()
            .into_utoipa_app()
            .openapi(shuzhuan_openapi::frame())
            .app_data(state.clone())
            .app_data(known.clone())
            .configure(configure)
            .map(|app| {
                app.service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", doc.clone()))
                    .default_service(web::to(unmatched))
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
