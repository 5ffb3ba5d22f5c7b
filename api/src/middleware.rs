//! Cross-cutting middleware: localisation of problem documents, the limit
//! on requests in flight, CORS, and Prometheus metrics.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError};
use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

use shuzhuan_app::Lang;

use crate::error::{ApiError, Problems};
use crate::observe::RequestContext;
use crate::state::AppState;

/// Whether `Accept-Language` prefers Chinese over English (q-values
/// honoured; `zh`, `zh-CN`, `zh-Hans` … all count).
pub fn preferred_lang(accept_language: Option<&str>) -> Lang {
    let Some(value) = accept_language else {
        return Lang::En;
    };
    let mut best: Option<(f32, Lang)> = None;
    for part in value.split(',') {
        let mut pieces = part.trim().split(';');
        let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = pieces
            .find_map(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
            })
            .unwrap_or(1.0);
        let lang = if tag == "zh" || tag.starts_with("zh-") {
            Lang::Zh
        } else if tag == "en" || tag.starts_with("en-") || tag == "*" {
            Lang::En
        } else {
            continue;
        };
        if best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, lang));
        }
    }
    best.map_or(Lang::En, |(_, l)| l)
}

/// Swaps the body of an error response for its Chinese rendering when the
/// caller prefers Chinese, and says which language the body is in.
pub async fn localize(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let lang = preferred_lang(
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let context = req.extensions().get::<RequestContext>().cloned();
    let res = next.call(req).await?.map_into_boxed_body();
    let problems = res.response().extensions().get::<Problems>().cloned();
    let Some(problems) = problems else {
        return Ok(res);
    };
    let mut problem = problems.get(lang).clone();
    if let Some(context) = context {
        problem.instance = Some(format!("urn:shuzhuan:request:{}", context.id));
        problem.request_id = Some(context.id.to_string());
    }
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    let mut res = res.map_body(|_, _| BoxBody::new(body));
    let tag = if lang == Lang::Zh { "zh-CN" } else { "en" };
    res.headers_mut()
        .insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(tag));
    Ok(res)
}

/// Answers 503 with `Retry-After` at once when this instance already
/// serves `max_in_flight` requests, rather than queueing them until every
/// one is late; health and metrics are always answered.
pub async fn limit_in_flight(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = req.app_data::<actix_web::web::Data<AppState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let limit = state.guard.max_in_flight;
    let exempt = matches!(req.path(), "/healthz" | "/readyz" | "/metrics");
    let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    if limit > 0 && now > limit && !exempt {
        state.in_flight.fetch_sub(1, Ordering::SeqCst);
        state.metrics.overloaded.inc();
        let res = ApiError::Overloaded.error_response();
        return Ok(req.into_response(res));
    }
    let res = next.call(req).await;
    state.in_flight.fetch_sub(1, Ordering::SeqCst);
    Ok(res?.map_into_boxed_body())
}

/// The conditional and bodiless reads every GET has: `HEAD` is answered as
/// the `GET` of the same path without its body; a JSON read without an
/// `ETag` of its own (lists, computed views) gets a weak one from a digest
/// of its body; and a `GET` whose `If-None-Match` names the response's
/// `ETag` (or `*`) is answered 304 with the ETag and no body (RFC 9110
/// §13.1.2, weak comparison).
pub async fn conditional_reads(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    use actix_web::http::{Method, StatusCode};
    let head = req.method() == Method::HEAD;
    if head {
        req.head_mut().method = Method::GET;
    }
    let wanted = (req.method() == Method::GET)
        .then(|| req.headers().get(header::IF_NONE_MATCH).cloned())
        .flatten();
    let mut res = next.call(req).await?.map_into_boxed_body();
    if res.status() == StatusCode::OK
        && !res.headers().contains_key(header::ETAG)
        && res
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|t| t.as_bytes().starts_with(b"application/json"))
    {
        res = with_digest_etag(res).await?;
    }
    let unchanged = res.status() == StatusCode::OK
        && wanted
            .as_ref()
            .and_then(|w| w.to_str().ok())
            .zip(
                res.headers()
                    .get(header::ETAG)
                    .and_then(|e| e.to_str().ok()),
            )
            .is_some_and(|(wanted, etag)| etag_matches(wanted, etag));
    if unchanged {
        let (req, res) = res.into_parts();
        let mut not_modified = actix_web::HttpResponse::NotModified();
        for name in [
            header::ETAG,
            header::CACHE_CONTROL,
            header::VARY,
            header::CONTENT_LOCATION,
        ] {
            if let Some(value) = res.headers().get(&name) {
                not_modified.insert_header((name.clone(), value.clone()));
            }
        }
        return Ok(ServiceResponse::new(req, not_modified.finish()));
    }
    if head {
        return Ok(res.map_body(|_, _| BoxBody::new(())));
    }
    Ok(res)
}

/// The response with a weak `ETag` of its body's XXH3-128 (fast and the
/// same on every instance; a tag, not a signature): equal bodies, equal
/// tags.
async fn with_digest_etag(
    res: ServiceResponse<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let (req, res) = res.into_parts();
    let (mut head, body) = res.into_parts();
    let bytes = actix_web::body::to_bytes(body)
        .await
        .map_err(|e| actix_web::error::ErrorInternalServerError(e.to_string()))?;
    let tag = format!("W/\"{:032x}\"", xxhash_rust::xxh3::xxh3_128(&bytes));
    if let Ok(value) = HeaderValue::from_str(&tag) {
        head.headers_mut().insert(header::ETAG, value);
    }
    Ok(ServiceResponse::new(
        req,
        head.set_body(BoxBody::new(bytes)),
    ))
}

/// Whether an `If-None-Match` value names `etag` (weak comparison: `W/`
/// is ignored on both sides; `*` matches any).
fn etag_matches(if_none_match: &str, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").trim().to_owned();
    let etag = bare(etag);
    if_none_match
        .split(',')
        .any(|candidate| candidate.trim() == "*" || bare(candidate) == etag)
}

/// Refuses (422) a path or query with control characters (`%00` and the
/// like): ids, codes and search text never hold them, and PostgreSQL
/// cannot even compare them.
pub async fn refuse_control_characters(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    use shuzhuan_app::input::{control_error, has_any_control as has_control};
    let path = percent_encoding::percent_decode_str(req.path()).decode_utf8_lossy();
    let mut errors = Vec::new();
    if has_control(&path) {
        errors.push(control_error("path"));
    }
    for (name, value) in form_urlencoded::parse(req.query_string().as_bytes()) {
        if has_control(&name) || has_control(&value) {
            errors.push(control_error(name.into_owned()));
        }
    }
    if errors.is_empty() {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let res = ApiError::App(shuzhuan_app::AppError::Validation(errors)).error_response();
    Ok(req.into_response(res))
}

/// CORS for the browser origins the operator lists
/// (`SHUZHUAN_CORS_ORIGINS`); with none, no cross-origin call is allowed.
pub fn cors(origins: &[String]) -> actix_cors::Cors {
    let mut cors = actix_cors::Cors::default()
        .allowed_methods(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::ACCEPT_LANGUAGE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            header::HeaderName::from_static("idempotency-key"),
            header::HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            header::CONTENT_LANGUAGE,
            header::HeaderName::from_static("x-request-id"),
        ])
        .max_age(3600);
    for origin in origins.iter().map(|o| o.trim()).filter(|o| !o.is_empty()) {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// Request counters and latency histograms, the pool, the ledger lock, the
/// webhook outbox and imports, served at `/metrics` (each described in the
/// README).
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    in_flight: IntGauge,
    pub overloaded: IntCounter,
    pool: IntGaugeVec,
    checkout_wait: Histogram,
    checkout_failures: IntCounter,
    ledger_lock_wait: Histogram,
    webhook_backlog: IntGauge,
    webhook_oldest: IntGauge,
    pub deliveries: IntCounterVec,
    pub import_rows: IntCounterVec,
    pub login_refusals: IntCounterVec,
}

/// Buckets for waits: a millisecond to the lock timeout and beyond.
const WAIT_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "shuzhuan_http_requests_total",
                "HTTP requests by route and status",
            ),
            &["method", "route", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "shuzhuan_http_request_duration_seconds",
                "HTTP request latency by route",
            ),
            &["method", "route"],
        )?;
        let in_flight = IntGauge::new(
            "shuzhuan_http_requests_in_flight",
            "Requests being served by this instance",
        )?;
        let overloaded = IntCounter::new(
            "shuzhuan_http_overloaded_total",
            "Requests answered 503 because too many were in flight",
        )?;
        let pool = IntGaugeVec::new(
            Opts::new(
                "shuzhuan_db_pool_connections",
                "Database connections of this instance by state (in_use, idle, max)",
            ),
            &["state"],
        )?;
        let checkout_wait = Histogram::with_opts(
            HistogramOpts::new(
                "shuzhuan_db_checkout_wait_seconds",
                "Time requests waited for a pooled connection",
            )
            .buckets(WAIT_BUCKETS.to_vec()),
        )?;
        let checkout_failures = IntCounter::new(
            "shuzhuan_db_checkout_failures_total",
            "Checkouts that got no connection within the acquire timeout (answered 503)",
        )?;
        let ledger_lock_wait = Histogram::with_opts(
            HistogramOpts::new(
                "shuzhuan_ledger_lock_wait_seconds",
                "Time units of work waited for the ledger head's lock",
            )
            .buckets(WAIT_BUCKETS.to_vec()),
        )?;
        let webhook_backlog = IntGauge::new(
            "shuzhuan_webhook_backlog",
            "Webhook deliveries pending (all instances)",
        )?;
        let webhook_oldest = IntGauge::new(
            "shuzhuan_webhook_oldest_pending_age_seconds",
            "Age of the oldest pending webhook delivery",
        )?;
        let deliveries = IntCounterVec::new(
            Opts::new(
                "shuzhuan_webhook_deliveries_total",
                "Webhook delivery attempts of this instance by outcome (delivered, refused, unanswered)",
            ),
            &["outcome"],
        )?;
        let import_rows = IntCounterVec::new(
            Opts::new(
                "shuzhuan_import_rows_total",
                "Imported rows by outcome (created, updated, unchanged, rejected)",
            ),
            &["outcome"],
        )?;
        let login_refusals = IntCounterVec::new(
            Opts::new(
                "shuzhuan_login_refusals_total",
                "Logins refused by reason (invalid_credentials, throttled, busy)",
            ),
            &["reason"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(in_flight.clone()))?;
        registry.register(Box::new(overloaded.clone()))?;
        registry.register(Box::new(pool.clone()))?;
        registry.register(Box::new(checkout_wait.clone()))?;
        registry.register(Box::new(checkout_failures.clone()))?;
        registry.register(Box::new(ledger_lock_wait.clone()))?;
        registry.register(Box::new(webhook_backlog.clone()))?;
        registry.register(Box::new(webhook_oldest.clone()))?;
        registry.register(Box::new(deliveries.clone()))?;
        registry.register(Box::new(import_rows.clone()))?;
        registry.register(Box::new(login_refusals.clone()))?;
        Ok(Metrics {
            registry,
            requests,
            latency,
            in_flight,
            overloaded,
            pool,
            checkout_wait,
            checkout_failures,
            ledger_lock_wait,
            webhook_backlog,
            webhook_oldest,
            deliveries,
            import_rows,
            login_refusals,
        })
    }

    /// Reads the gauges that are states rather than events, just before a
    /// scrape: the pool, requests in flight, the outbox backlog (when the
    /// database answers).
    pub fn sample(
        &self,
        pool: shuzhuan_persistence::PoolState,
        in_flight: usize,
        backlog: Option<(i64, Option<Duration>)>,
    ) {
        let in_use = pool.connections.saturating_sub(pool.idle);
        self.pool
            .with_label_values(&["in_use"])
            .set(i64::from(in_use));
        self.pool
            .with_label_values(&["idle"])
            .set(i64::from(pool.idle));
        self.pool
            .with_label_values(&["max"])
            .set(i64::from(pool.size));
        self.in_flight
            .set(i64::try_from(in_flight).unwrap_or(i64::MAX));
        if let Some((pending, oldest)) = backlog {
            self.webhook_backlog.set(pending);
            self.webhook_oldest
                .set(oldest.map_or(0, |age| i64::try_from(age.as_secs()).unwrap_or(i64::MAX)));
        }
    }

    pub fn render(&self) -> String {
        let mut out = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            log::error!("metrics encoding failed: {e}");
        }
        String::from_utf8(out).unwrap_or_default()
    }

    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .with_label_values(&[method, route, &status.to_string()])
            .inc();
        self.latency
            .with_label_values(&[method, route])
            .observe(seconds);
    }
}

impl shuzhuan_persistence::Observer for Metrics {
    fn checkout(&self, waited: Duration, ok: bool) {
        self.checkout_wait.observe(waited.as_secs_f64());
        if !ok {
            self.checkout_failures.inc();
        }
    }

    fn ledger_lock(&self, waited: Duration) {
        self.ledger_lock_wait.observe(waited.as_secs_f64());
    }
}

/// Counts every request under its route pattern (not its concrete path, so
/// ids do not explode the label set).
pub async fn record_metrics(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().to_string();
    let state = req
        .app_data::<actix_web::web::Data<crate::state::AppState>>()
        .cloned();
    let res = next.call(req).await?;
    if let Some(state) = state {
        let route = res
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        state.metrics.observe(
            &method,
            &route,
            res.status().as_u16(),
            started.elapsed().as_secs_f64(),
        );
    }
    Ok(res)
}

/// Whether a path segment or parameter is shaped as a programme id (a
/// UUID), so it needs no lookup.
fn is_id(name: &str) -> bool {
    name.len() == 36
        && name.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Lets a programme be named by its code (`yinchuan`) wherever its id is
/// taken: in `/programs/{program_id}/…` and in `program_id=`. The request
/// is rewritten to the id before routing; a code that names nothing is
/// left as it is (and is 404 or 403 as an unknown id would be).
pub async fn programme_codes(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    const PREFIX: &str = "/api/v1/programs/";
    let in_path = req
        .path()
        .strip_prefix(PREFIX)
        .map(|rest| rest.split('/').next().unwrap_or(""))
        .filter(|name| !name.is_empty() && !is_id(name))
        .map(str::to_owned);
    let in_query = form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(key, _)| key == "program_id")
        .filter(|(_, name)| !name.is_empty() && !is_id(name))
        .map(|(_, value)| value.into_owned());
    // Most requests name no programme by code: nothing more to do.
    if (in_path.is_some() || in_query.is_some())
        && let Some(state) = req.app_data::<actix_web::web::Data<AppState>>().cloned()
    {
        let names: Vec<String> = in_path.iter().chain(&in_query).cloned().collect();
        let ids = state
            .run_public(move |s, _| {
                names
                    .into_iter()
                    .map(|code| Ok((shuzhuan_app::programs::id_of_code(s, &code)?, code)))
                    .collect::<shuzhuan_app::Result<Vec<_>>>()
            })
            .await
            .unwrap_or_default();
        let id_of = |code: &str| {
            ids.iter()
                .find(|(_, c)| c == code)
                .and_then(|(id, _)| id.clone())
        };
        let (path, query) = (req.path().to_owned(), req.query_string().to_owned());
        let mut new_path = path.clone();
        if let Some(code) = &in_path
            && let Some(id) = id_of(code)
        {
            new_path = format!("{PREFIX}{id}{}", &path[PREFIX.len() + code.len()..]);
        }
        let mut new_query = query.clone();
        if let Some(code) = &in_query
            && let Some(id) = id_of(code)
        {
            let mut out = form_urlencoded::Serializer::new(String::new());
            for (key, value) in form_urlencoded::parse(query.as_bytes()) {
                let value = if key == "program_id" {
                    id.clone()
                } else {
                    value.into_owned()
                };
                out.append_pair(&key, &value);
            }
            new_query = out.finish();
        }
        if new_path != path || new_query != query {
            // The path stays as it arrived (percent-encoded), the id put in.
            let uri = if new_query.is_empty() {
                new_path
            } else {
                format!("{new_path}?{new_query}")
            };
            if let Ok(uri) = uri.parse::<actix_web::http::Uri>() {
                req.match_info_mut().get_mut().update(&uri);
                req.head_mut().uri = uri;
            }
        }
    }
    next.call(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_need_no_lookup_codes_do() {
        assert!(is_id("01a23717-004e-765c-ad6b-432937be1e2f"));
        assert!(!is_id("yinchuan"));
        assert!(!is_id("01a23717-004e-765c-ad6b-432937be1e2g"));
    }

    #[test]
    fn if_none_match_compares_weakly_and_takes_lists_and_star() {
        assert!(etag_matches("\"3\"", "\"3\""));
        assert!(etag_matches("W/\"3\"", "\"3\""));
        assert!(etag_matches("\"1\", \"3\"", "W/\"3\""));
        assert!(etag_matches("*", "\"9\""));
        assert!(!etag_matches("\"4\"", "\"3\""));
        assert!(!etag_matches("\"33\"", "\"3\""));
    }

    #[test]
    fn accept_language_picks_the_highest_quality() {
        assert_eq!(preferred_lang(None), Lang::En);
        assert_eq!(preferred_lang(Some("zh-CN")), Lang::Zh);
        assert_eq!(preferred_lang(Some("zh-CN,zh;q=0.9,en;q=0.8")), Lang::Zh);
        assert_eq!(preferred_lang(Some("en-US,zh;q=0.5")), Lang::En);
        assert_eq!(preferred_lang(Some("fr, zh;q=0.3")), Lang::Zh);
        assert_eq!(preferred_lang(Some("fr")), Lang::En);
    }
}
