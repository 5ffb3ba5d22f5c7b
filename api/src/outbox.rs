//! The webhook worker: the HTTP side of the outbox that
//! `shuzhuan_app::webhooks::outbox` keeps in the database.
//!
//! The change feed is the outbox. Each webhook keeps a cursor into it; the
//! worker turns the events after the cursor into delivery rows in the same
//! transaction that moves the cursor (a compare-and-set, so of several
//! instances exactly one queues each event), then leases due deliveries
//! (`FOR UPDATE SKIP LOCKED` on PostgreSQL), sends them, and writes each
//! outcome back. Everything lives in the database: a restart, or a second
//! instance, picks up where the last left off; a delivery leased by an
//! instance that died is taken over when its lease ends.
//!
//! A delivery is `POST {url}` with the JSON body `DeliveryBody` and
//! these headers:
//! - `Shuzhuan-Webhook-Id`, `Shuzhuan-Delivery-Id`, `Shuzhuan-Event-Type`;
//! - `Shuzhuan-Timestamp`: Unix seconds when this attempt was signed;
//! - `Shuzhuan-Signature`: `v1=` and the hex HMAC-SHA256, keyed with the
//!   webhook's secret, of `{timestamp}.{body}`.
//!
//! A receiver recomputes the HMAC over the timestamp header, a dot and the
//! raw body, compares in constant time, and rejects timestamps more than a
//! few minutes old (replays). Any 2xx is success; anything else, or no
//! answer within the timeout, is retried after an exponentially growing,
//! jittered delay (`retry_delay`). A receiver that fails a whole round is
//! paused and probed with backoff (a circuit breaker) and resumes by
//! itself when it answers; only one failing for a long time (a day by
//! default) is disabled until an admin enables it again, and while
//! disabled its cursor stays put, so nothing is lost. Deliveries may
//! arrive out of order and, if a receiver answers too late, twice:
//! receivers keep the highest `event.seq` (or `version`) per object, and
//! the feed remains the ordered source of truth.
//!
//! Requests go only where [`Outbound`] allows: the address a host name
//! resolves to is checked at every delivery (no redirects are followed),
//! so a name repointed at the server's own network is refused.
//!
//! When shutdown begins the worker stops claiming, finishes the sends in
//! flight and records them (an acknowledged delivery is marked delivered);
//! the server then releases anything still leased for immediate retry.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::web;
use chrono::Utc;
use shuzhuan_app::error::cause_chain;
use shuzhuan_app::webhooks::Outbound;
use shuzhuan_app::webhooks::outbox::{self, DeliveryBody, Job, Retry, Sent, signature};
use shuzhuan_persistence::Db;

use crate::config::WebhookSettings;
use crate::error::ApiError;
use crate::state::AppState;

/// Deliveries leased per round.
const BATCH: i64 = 32;

/// Describes the delivery request in the OpenAPI document's `webhooks`
/// section, so integrators see the body and headers they will receive.
pub fn describe(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::{OperationBuilder, ParameterBuilder, ParameterIn};
    use utoipa::openapi::request_body::RequestBodyBuilder;
    use utoipa::openapi::{
        ContentBuilder, HttpMethod, PathItem, PathsBuilder, Ref, Required, ResponseBuilder,
    };
    use utoipa::{PartialSchema, ToSchema};

    let header = |name: &str, description: &str| {
        ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Header)
            .required(Required::True)
            .description(Some(description))
            .schema(Some(String::schema()))
            .build()
    };
    let operation = OperationBuilder::new()
        .summary(Some("A change event, POSTed to each matching webhook"))
        .description(Some(
            "Verify `Shuzhuan-Signature` before trusting the body: it is `v1=` and the hex \
             HMAC-SHA256, keyed with the webhook's secret, of the `Shuzhuan-Timestamp` value, \
             a dot and the raw body. Reject timestamps more than five minutes old. Answer any \
             2xx to acknowledge; anything else is retried with exponential backoff and jitter. \
             Deliveries may repeat or arrive out of order: keep the highest `event.seq` per \
             object.",
        ))
        .tag("sync")
        .parameter(header("Shuzhuan-Webhook-Id", "The webhook's id"))
        .parameter(header(
            "Shuzhuan-Delivery-Id",
            "The same on every attempt of a delivery",
        ))
        .parameter(header("Shuzhuan-Event-Type", "`{object_type}.{op}`"))
        .parameter(header(
            "Shuzhuan-Timestamp",
            "Unix seconds when this attempt was signed",
        ))
        .parameter(header(
            "Shuzhuan-Signature",
            "`v1=<hex HMAC-SHA256 of \"{timestamp}.{body}\">`",
        ))
        .request_body(Some(
            RequestBodyBuilder::new()
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name(DeliveryBody::name())))
                        .build(),
                )
                .required(Some(Required::True))
                .build(),
        ))
        .response(
            "2XX",
            ResponseBuilder::new().description("Acknowledged").build(),
        )
        .response(
            "default",
            ResponseBuilder::new()
                .description("Not acknowledged: retried later")
                .build(),
        );
    doc.webhooks = Some(
        PathsBuilder::new()
            .path("changeEvent", PathItem::new(HttpMethod::Post, operation))
            .build(),
    );
    let components = doc.components.get_or_insert_with(Default::default);
    let mut schemas = vec![(DeliveryBody::name().into_owned(), DeliveryBody::schema())];
    DeliveryBody::schemas(&mut schemas);
    components.schemas.extend(schemas);
}

/// Resolves receivers' host names and keeps only the addresses the
/// operator's [`Outbound`] allows, so a delivery never connects inside.
struct CheckedResolver(Arc<Outbound>);

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let outbound = self.0.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| outbound.allows_addr(&host, a.ip()))
                .collect();
            if found.is_empty() {
                return Err(format!(
                    "{host} resolves to no address webhooks may call (loopback, link-local or private)"
                )
                .into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

/// Runs for the life of the server: fans the feed out to deliveries and
/// sends what is due, woken by this instance's commits or by the poll,
/// until shutdown begins. `owner` names this worker's leases.
pub async fn worker(state: web::Data<AppState>, owner: String) {
    let settings = state.webhooks.clone();
    let outbound = state.app.outbound.clone();
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_millis(settings.timeout_ms))
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(Arc::new(CheckedResolver(outbound.clone())))
        .user_agent(concat!("shuzhuan-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(client) => client,
        Err(e) => {
            log::error!("webhook worker cannot start its HTTP client: {e}");
            return;
        }
    };
    while !state.shutdown.is_draining() {
        if let Err(e) = cycle(&state, &client, &outbound, &owner, &settings).await {
            log::warn!("webhook worker: {}", cause_chain(&e));
        }
        let poll = actix_web::rt::time::sleep(Duration::from_millis(settings.poll_ms));
        tokio::select! {
            () = state.committed.notified() => {}
            () = poll => {}
            () = state.shutdown.begun() => {}
        }
    }
}

/// One pass: queue new events, then send due deliveries until none is due
/// or shutdown begins.
async fn cycle(
    state: &AppState,
    client: &reqwest::Client,
    outbound: &Outbound,
    owner: &str,
    settings: &WebhookSettings,
) -> Result<(), ApiError> {
    let db: &Db = &state.app.db;
    let fan_db = db.clone();
    web::block(move || outbox::fan_out(&fan_db)).await??;
    let retry = Retry {
        base_ms: settings.retry_base_ms,
        max_ms: settings.retry_max_ms,
        max_attempts: settings.max_attempts,
        disable_after: Duration::from_secs(settings.disable_after_s),
    };
    let lease = Duration::from_millis(settings.timeout_ms) + Duration::from_secs(30);
    while !state.shutdown.is_draining() {
        let claim_db = db.clone();
        let lease_owner = owner.to_owned();
        let jobs =
            web::block(move || outbox::claim(&claim_db, &lease_owner, lease, BATCH)).await??;
        if jobs.is_empty() {
            return Ok(());
        }
        let sent =
            futures_util::future::join_all(jobs.into_iter().map(|job| send(client, outbound, job)))
                .await;
        for s in &sent {
            let outcome = match (&s.error, s.status_code) {
                (None, _) => "delivered",
                (Some(_), Some(_)) => "refused",
                (Some(_), None) => "unanswered",
            };
            state.metrics.deliveries.with_label_values(&[outcome]).inc();
        }
        let record_db = db.clone();
        let lease_owner = owner.to_owned();
        let retry = retry.clone();
        web::block(move || outbox::record(&record_db, &lease_owner, &retry, sent)).await??;
    }
    Ok(())
}

async fn send(client: &reqwest::Client, outbound: &Outbound, job: Job) -> Sent {
    let timestamp = Utc::now().timestamp();
    let started = Instant::now();
    if !outbound.allows_literal(&job.url) {
        return Sent {
            delivery: job.delivery,
            status_code: None,
            error: Some("refused: the URL names an address webhooks may not call".to_owned()),
            duration: started.elapsed(),
        };
    }
    let result = client
        .post(&job.url)
        .header("Content-Type", "application/json")
        .header("Shuzhuan-Webhook-Id", &job.delivery.webhook_id)
        .header("Shuzhuan-Delivery-Id", &job.delivery.id)
        .header("Shuzhuan-Event-Type", &job.delivery.event_type)
        .header("Shuzhuan-Timestamp", timestamp.to_string())
        .header(
            "Shuzhuan-Signature",
            signature(job.secret.as_bytes(), timestamp, &job.body),
        )
        .body(job.body)
        .send()
        .await;
    let (status_code, error) = match result {
        Ok(res) if res.status().is_success() => (Some(res.status().as_u16()), None),
        Ok(res) => (
            Some(res.status().as_u16()),
            Some(format!("receiver answered {}", res.status())),
        ),
        Err(e) if e.is_timeout() => (None, Some("no answer within the timeout".to_owned())),
        Err(e) => (None, Some(format!("not delivered: {}", cause_chain(&e)))),
    };
    Sent {
        delivery: job.delivery,
        status_code,
        error,
        duration: started.elapsed(),
    }
}
