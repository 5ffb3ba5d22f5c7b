//! What an operator sees of each request: a request id (the caller's
//! `X-Request-Id` when it is sane, otherwise a new one) echoed in the
//! response, named in problem+json and in every log line written while the
//! request runs, on async workers and on the blocking pool alike; one
//! access-log line with the caller; and log lines as text or JSON.

use std::cell::RefCell;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;

use crate::config::LogFormat;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request being served: its id, and who turned out to be asking.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub id: Arc<str>,
    caller: Arc<Mutex<Option<String>>>,
}

impl RequestContext {
    fn new(id: Arc<str>) -> Self {
        RequestContext {
            id,
            caller: Arc::new(Mutex::new(None)),
        }
    }

    /// Names the caller for the access log (the principal's username).
    pub fn set_caller(&self, username: &str) {
        if let Ok(mut caller) = self.caller.lock() {
            *caller = Some(username.to_owned());
        }
    }

    fn caller(&self) -> String {
        self.caller
            .lock()
            .ok()
            .and_then(|c| c.clone())
            .unwrap_or_else(|| "-".to_owned())
    }

    /// Runs `f` (on a blocking thread) with this request as the thread's
    /// current one, so its log lines carry the id.
    pub fn enter<T>(&self, f: impl FnOnce() -> T) -> T {
        BLOCKING.with(|slot| *slot.borrow_mut() = Some(self.clone()));
        let out = f();
        BLOCKING.with(|slot| *slot.borrow_mut() = None);
        out
    }
}

tokio::task_local! {
    static CURRENT: RequestContext;
}

thread_local! {
    static BLOCKING: RefCell<Option<RequestContext>> = const { RefCell::new(None) };
}

/// The request this code runs for, if any.
pub fn current() -> Option<RequestContext> {
    CURRENT
        .try_with(Clone::clone)
        .ok()
        .or_else(|| BLOCKING.with(|slot| slot.borrow().clone()))
}

/// An incoming id is kept when it is 1–128 visible ASCII characters;
/// anything else (or none) gets a new one.
fn request_id(req: &ServiceRequest) -> Arc<str> {
    req.headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(Arc::from)
        .unwrap_or_else(|| Arc::from(uuid::Uuid::new_v4().simple().to_string()))
}

/// Gives the request its id and context, echoes the id, and writes the
/// access-log line (address, request, status, time, id, caller).
pub async fn trace(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let context = RequestContext::new(request_id(&req));
    req.extensions_mut().insert(context.clone());
    // The access line is only put together when it will be written.
    let access = log::log_enabled!(target: "access", log::Level::Info).then(|| {
        let peer = req
            .peer_addr()
            .map_or_else(|| "-".to_owned(), |a| a.ip().to_string());
        format!("{peer} \"{} {}\"", req.method(), req.uri())
    });
    let mut res = CURRENT.scope(context.clone(), next.call(req)).await?;
    if let Ok(id) = HeaderValue::from_str(&context.id) {
        res.headers_mut().insert(REQUEST_ID, id);
    }
    if let Some(access) = access {
        CURRENT.sync_scope(context.clone(), || {
            log::info!(
                target: "access",
                "{access} {} {:.1}ms caller={}",
                res.status().as_u16(),
                started.elapsed().as_secs_f64() * 1000.0,
                context.caller()
            );
        });
    }
    Ok(res)
}

/// Sets up logging: `RUST_LOG` (default `info`), text or one JSON object
/// per line, each with the current request's id when there is one.
pub fn init_logging(format: LogFormat) {
    let mut builder =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"));
    builder.format(move |buf, record| {
        let id = current().map(|c| c.id);
        let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        match format {
            LogFormat::Json => {
                let line = serde_json::json!({
                    "ts": at,
                    "level": record.level().as_str(),
                    "target": record.target(),
                    "request_id": id.as_deref(),
                    "msg": record.args().to_string(),
                });
                writeln!(buf, "{line}")
            }
            LogFormat::Text => match id {
                Some(id) => writeln!(
                    buf,
                    "[{at} {} {} req={id}] {}",
                    record.level(),
                    record.target(),
                    record.args()
                ),
                None => writeln!(
                    buf,
                    "[{at} {} {}] {}",
                    record.level(),
                    record.target(),
                    record.args()
                ),
            },
        }
    });
    // A second call (tests boot several servers) keeps the first logger.
    let _ = builder.try_init();
}
