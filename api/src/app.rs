//! Assembling the application: state, routes, middleware, documentation.

use std::future::Future;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{Compat, Compress, DefaultHeaders, from_fn};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use shuzhuan_app::auth::JwtKeys;
use shuzhuan_app::bootstrap;
use shuzhuan_app::documents::Store;
use shuzhuan_persistence::Db;

use crate::config::{Settings, StartupError};
use crate::error::ApiError;
use crate::middleware::{
    Metrics, conditional_reads, cors, limit_in_flight, localize, programme_codes, record_metrics,
    refuse_control_characters,
};
use crate::observe;
use crate::outbox;
use crate::routes::configure;
use crate::state::{AppState, Shutdown};

/// The OpenAPI document as served at `/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, doc) = App::new()
        .into_utoipa_app()
        .openapi(shuzhuan_openapi::frame())
        .configure(configure)
        .split_for_parts();
    let mut doc = doc;
    doc.components
        .get_or_insert_with(Default::default)
        .schemas
        .extend(shuzhuan_app::view::code_components());
    outbox::describe(&mut doc);
    let mut doc = shuzhuan_openapi::finish(doc, &crate::error::example);
    crate::routes::rights::describe(&mut doc);
    crate::export::describe(&mut doc);
    doc
}

/// The Swagger UI page under the API's own name (the bundled page is
/// titled "Swagger UI").
async fn docs_page() -> HttpResponse {
    let config = std::sync::Arc::new(utoipa_swagger_ui::Config::new(["/openapi.json"]));
    match utoipa_swagger_ui::serve("index.html", config) {
        Ok(Some(file)) => HttpResponse::Ok().content_type(file.content_type).body(
            String::from_utf8_lossy(&file.bytes).replace(
                "<title>Swagger UI</title>",
                "<title>Shuzhuan (数转) API</title>",
            ),
        ),
        _ => HttpResponse::NotFound().finish(),
    }
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
    let metrics = Arc::new(Metrics::new()?);
    let db = Db::open(&settings.database_url(), &settings.db.limits())?.observed(metrics.clone());
    let secret = settings.jwt_secret(db.backend())?;
    bootstrap::run(&db, settings.admin_password.as_deref())?;
    let committed = Arc::new(tokio::sync::Notify::new());
    let wake = committed.clone();
    let guard = &settings.guard;
    let app = shuzhuan_app::App::new(
        db,
        JwtKeys::new(&secret, settings.access_token_ttl),
        Store::new(settings.data_dir.join("documents")),
    )
    .with_outbound(shuzhuan_app::webhooks::Outbound::new(
        &settings.webhooks.allow_hosts,
    ))
    .with_logins(shuzhuan_app::auth::Logins::new(
        guard.login_free_attempts,
        Duration::from_secs(guard.login_max_backoff_s),
        guard.password_hashes_in_flight.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
        }),
    ))
    .on_commit(move || wake.notify_one());
    Ok(web::Data::new(AppState {
        app,
        metrics,
        webhooks: settings.webhooks.clone(),
        guard: settings.guard.clone(),
        committed,
        shutdown: Shutdown::default(),
        in_flight: Default::default(),
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

/// Stops a running server as SIGTERM does: `/readyz` turns 503 at once,
/// requests keep being served for the shutdown delay (so a load balancer
/// can stop sending them), then the listener closes and requests in flight
/// get the drain period to finish.
#[derive(Clone)]
pub struct Stopper {
    state: web::Data<AppState>,
    handle: ServerHandle,
}

impl Stopper {
    pub async fn stop(&self) {
        if self.state.shutdown.is_draining() {
            // A second signal: stop waiting for stragglers.
            self.handle.stop(false).await;
            return;
        }
        let guard = &self.state.guard;
        log::info!(
            "shutting down: /readyz answers 503; serving {} ms more, then draining for up to {} ms",
            guard.shutdown_delay_ms,
            guard.shutdown_drain_ms
        );
        self.state.shutdown.begin();
        actix_web::rt::time::sleep(Duration::from_millis(guard.shutdown_delay_ms)).await;
        self.handle.stop(true).await;
    }
}

/// Starts the HTTP server on `listener` and this instance's webhook worker.
/// Await the future to serve until stopped (by SIGTERM, SIGINT or the
/// [`Stopper`]); it resolves when requests have drained and the worker
/// has finished its sends and released what it still held.
pub fn start(
    state: web::Data<AppState>,
    listener: TcpListener,
    workers: Option<usize>,
) -> std::io::Result<(Stopper, impl Future<Output = std::io::Result<()>>)> {
    let doc = openapi();
    let known = web::Data::new(KnownPaths::from_doc(&doc));
    let drain = Duration::from_millis(state.guard.shutdown_drain_ms);
    let app_state = state.clone();
    let mut server = HttpServer::new(move || {
        let state = app_state.clone();
        App::new()
            .into_utoipa_app()
            .openapi(shuzhuan_openapi::frame())
            .app_data(state.clone())
            .app_data(known.clone())
            // A path segment that does not parse as its type (a policy
            // version beyond i32) names nothing: 404 as problem+json.
            .app_data(web::PathConfig::default().error_handler(|_, _| ApiError::not_found().into()))
            .configure(configure)
            .map(|app| {
                app.route("/docs/", web::get().to(docs_page))
                    .route("/docs/index.html", web::get().to(docs_page))
                    .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", doc.clone()))
                    .route(
                        "/docs",
                        web::get().to(|| async {
                            HttpResponse::PermanentRedirect()
                                .insert_header((actix_web::http::header::LOCATION, "/docs/"))
                                .finish()
                        }),
                    )
                    .default_service(web::to(unmatched))
                    .wrap(from_fn(programme_codes))
                    .wrap(from_fn(refuse_control_characters))
                    .wrap(from_fn(limit_in_flight))
                    .wrap(from_fn(localize))
                    .wrap(from_fn(conditional_reads))
                    .wrap(from_fn(record_metrics))
                    .wrap(Compress::default())
                    .wrap(Compat::new(cors(&state.guard.cors_origins)))
                    .wrap(
                        DefaultHeaders::new()
                            .add(("X-Content-Type-Options", "nosniff"))
                            .add(("Referrer-Policy", "no-referrer")),
                    )
                    .wrap(from_fn(observe::trace))
            })
            .into_app()
    })
    .disable_signals()
    .shutdown_timeout(drain.as_secs().max(1))
    .listen(listener)?;
    if let Some(n) = workers {
        server = server.workers(n);
    }
    let server: Server = server.run();
    let stopper = Stopper {
        state: state.clone(),
        handle: server.handle(),
    };
    // The webhook worker runs beside the HTTP workers, on this instance's
    // runtime; it stops claiming when shutdown begins.
    let owner = shuzhuan_persistence::new_id();
    let worker = actix_web::rt::spawn(outbox::worker(state.clone(), owner.clone()));
    let signals = actix_web::rt::spawn(on_signal(stopper.clone()));
    let done = async move {
        let served = server.await;
        state.shutdown.begin();
        let mut worker = worker;
        if actix_web::rt::time::timeout(drain, &mut worker)
            .await
            .is_err()
        {
            log::warn!("the webhook worker did not finish its sends within the drain period");
            worker.abort();
        }
        let db = state.app.db.clone();
        match web::block(move || shuzhuan_app::webhooks::outbox::release(&db, &owner)).await {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => log::info!("released {n} webhook deliveries for immediate retry"),
            Ok(Err(e)) => log::warn!(
                "could not release webhook deliveries (their leases expire instead): {}",
                shuzhuan_app::error::cause_chain(&e)
            ),
            Err(e) => log::warn!("could not release webhook deliveries: {e}"),
        }
        signals.abort();
        log::info!("stopped");
        served
    };
    Ok((stopper, done))
}

/// Stops the server on SIGTERM or SIGINT (Ctrl-C); a second one stops it
/// without waiting. The handlers are installed before this returns, so a
/// signal that arrives at once is not the default (fatal) one.
fn on_signal(stopper: Stopper) -> impl Future<Output = ()> {
    use actix_web::rt::signal::unix::{SignalKind, signal};
    let streams = signal(SignalKind::terminate()).and_then(|term| {
        let interrupt = signal(SignalKind::interrupt())?;
        Ok((term, interrupt))
    });
    async move {
        let (mut term, mut interrupt) = match streams {
            Ok(streams) => streams,
            Err(e) => {
                log::error!("cannot listen for SIGTERM and SIGINT: {e}");
                return;
            }
        };
        loop {
            tokio::select! {
                _ = term.recv() => {}
                _ = interrupt.recv() => {}
            }
            let stopper = stopper.clone();
            actix_web::rt::spawn(async move { stopper.stop().await });
        }
    }
}

/// What answers on the listener while `serve` connects, migrates and
/// seeds: `/healthz` is 200 (the process is alive: an orchestrator must
/// not kill it mid-migration), everything else 503 with `Retry-After`.
pub struct Starting {
    handle: ServerHandle,
    thread: std::thread::JoinHandle<()>,
}

impl Starting {
    pub fn serve(listener: &TcpListener) -> std::io::Result<Starting> {
        let listener = listener.try_clone()?;
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let system = actix_web::rt::System::new();
            let server = HttpServer::new(|| {
                App::new()
                    .route(
                        "/healthz",
                        web::get().to(|| async {
                            HttpResponse::Ok().json(serde_json::json!({"status": "starting"}))
                        }),
                    )
                    .default_service(web::to(|| async {
                        actix_web::ResponseError::error_response(&ApiError::Starting)
                    }))
            })
            .workers(1)
            .disable_signals()
            .listen(listener)
            .map(HttpServer::run);
            match server {
                Ok(server) => {
                    let _ = tx.send(Ok(server.handle()));
                    let _ = system.block_on(server);
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                }
            }
        });
        let handle = rx
            .recv()
            .map_err(|e| std::io::Error::other(e.to_string()))??;
        Ok(Starting { handle, thread })
    }

    /// Stops answering (the real server takes over the listener).
    pub fn finish(self) {
        actix_web::rt::System::new().block_on(self.handle.stop(false));
        let _ = self.thread.join();
    }
}
