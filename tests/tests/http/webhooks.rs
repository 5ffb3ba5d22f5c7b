//! Webhooks (issue 8 §2): signed deliveries from the outbox to a receiver
//! the test starts, retried with backoff, logged, disabled after a run of
//! failures and enabled again by an admin, lossless across a restart and
//! made once with two instances on one database.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use shuzhuan_tests::{As, Received, Receiver, StatusCode, TestApp, both_backends, uscc};

const WAIT: Duration = Duration::from_secs(20);
const SECRET: &str = "receiver-shared-secret-0123";

/// The receiver's side: HMAC-SHA256 over `{timestamp}.{body}` with the
/// shared secret, as the README tells integrators to check it.
fn assert_signed(r: &Received) {
    let timestamp = r.header("shuzhuan-timestamp").expect("timestamp header");
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(&r.body);
    let expected = format!("v1={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(r.header("shuzhuan-signature"), Some(expected.as_str()));
    let age = chrono::Utc::now().timestamp() - timestamp.parse::<i64>().unwrap();
    assert!(
        (0..60).contains(&age),
        "timestamp {timestamp} is {age} s old"
    );
}

fn create_webhook(sync: &As<'_>, url: &str, patterns: Value) -> Value {
    let res = sync.post(
        "/webhooks",
        json!({"url": url, "secret": SECRET, "event_types": patterns}),
    );
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(
        res.body["secret"], SECRET,
        "the secret is shown at creation"
    );
    res.body
}

/// The body that registers enterprise `n`, named `name`, in Yinchuan.
fn enterprise(program: &str, n: u32, name: &str) -> Value {
    json!({"uscc": uscc("640122", n), "name": name, "program_id": program,
        "region_code": "640122", "industry_code": "new_materials", "size_class": "small"})
}

/// Registers an enterprise: a business record the national platform syncs.
fn register(app: &TestApp, n: u32, name: &str) -> String {
    let program = app.program_id("yinchuan");
    let res = app
        .admin()
        .post("/enterprises", enterprise(&program, n, name));
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    res.body["id"].as_str().unwrap().to_owned()
}

/// The delivery log once `done` holds for it.
fn wait_for_log(sync: &As<'_>, id: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let until = std::time::Instant::now() + WAIT;
    loop {
        let log = sync.get(&format!("/webhooks/{id}/deliveries"));
        assert_eq!(log.status, StatusCode::OK, "{}", log.body);
        let items = log.body["items"].as_array().unwrap().clone();
        if done(&items) {
            return items;
        }
        assert!(
            std::time::Instant::now() < until,
            "log never settled: {items:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn deliveries_are_signed_retried_and_logged(app: TestApp) {
    let receiver = Receiver::start();
    receiver.script(&[500, 502], 200);
    let sync = app.user_with_grants("national.platform", json!([{"role": "sync_client"}]));
    let hook = create_webhook(&sync, &receiver.url, json!(["enterprise.create"]));
    let id = hook["id"].as_str().unwrap();

    let alice = register(&app, 1, "甲企业");
    let got = receiver.wait_for(3, WAIT);
    assert_eq!(got.len(), 3, "two failures, then the delivery");
    for (i, r) in got.iter().enumerate() {
        assert_signed(r);
        let body = r.json();
        assert_eq!(body["attempt"], i + 1);
        assert_eq!(body["event_type"], "enterprise.create");
        assert_eq!(body["event"]["object_type"], "enterprise");
        assert_eq!(body["event"]["snapshot"]["name"], "甲企业");
        assert_eq!(r.header("shuzhuan-event-type"), Some("enterprise.create"));
        assert_eq!(r.header("shuzhuan-webhook-id"), Some(id));
        assert_eq!(
            r.header("shuzhuan-delivery-id"),
            got[0].header("shuzhuan-delivery-id")
        );
    }
    // Backoff with equal jitter: at least half of 100 ms, then of 200 ms.
    assert!(got[1].at - got[0].at >= Duration::from_millis(50));
    assert!(got[2].at - got[1].at >= Duration::from_millis(100));

    let log = wait_for_log(&sync, id, |items| {
        items.first().is_some_and(|d| d["status"] == "delivered")
    });
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["attempts"], 3);
    assert_eq!(log[0]["last_status_code"], 200);
    assert_eq!(log[0]["event_type"], "enterprise.create");
    // Patterns filter: enterprise.create only, so an update is not sent.
    let changed = app.admin().patch(
        &format!("/enterprises/{alice}"),
        1,
        json!({"contact_name": "王经理"}),
    );
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    register(&app, 2, "乙企业");
    let got = receiver.wait_for(4, WAIT);
    assert_eq!(got[3].json()["event"]["snapshot"]["name"], "乙企业");
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(
        receiver.received().len(),
        4,
        "nothing but enterprise.create was sent"
    );

    // The secret never comes back; the settings change is audited.
    let read = sync.get(&format!("/webhooks/{id}"));
    assert_eq!(read.status, StatusCode::OK);
    assert!(read.body.get("secret").is_none(), "{}", read.body);
    let audit = app
        .admin()
        .get(&format!("/audit-log?object_type=webhook&object_id={id}"));
    assert_eq!(audit.body["items"][0]["action"], "webhook.create");
    assert!(audit.body["items"][0]["after"].get("secret").is_none());
}

fn webhooks_are_their_owners_and_checked(app: TestApp) {
    let sync = app.user_with_grants("sync.one", json!([{"role": "sync_client"}]));
    let other = app.user_with_grants("sync.two", json!([{"role": "sync_client"}]));
    let hook = create_webhook(
        &sync,
        "https://sync.example.gov.cn/hook",
        json!(["project.*"]),
    );
    let id = hook["id"].as_str().unwrap();
    let version = hook["version"].as_i64().unwrap();

    other
        .get(&format!("/webhooks/{id}"))
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    other
        .get(&format!("/webhooks/{id}/deliveries"))
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(other.get("/webhooks").body["items"], json!([]));
    assert_eq!(app.admin().get("/webhooks").body["items"][0]["id"], id);
    let program = app.program_id("yinchuan");
    let city = app.user_with_grants(
        "yinchuan.city",
        json!([{"role": "city_admin", "program_id": program}]),
    );
    city.get("/webhooks")
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");

    let bad = sync.post(
        "/webhooks",
        json!({"url": "ftp://x", "secret": "short", "event_types": ["project.delete"]}),
    );
    bad.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let mut fields = bad.error_fields();
    fields.sort();
    assert_eq!(fields, ["event_types", "secret", "url"]);
    sync.post(
        "/webhooks",
        json!({"url": "https://a.example/h", "event_types": ["*"], "program_id": "nope"}),
    )
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

    // Owners pause; only a platform_admin enables; versions are checked.
    let paused = sync.patch(
        &format!("/webhooks/{id}"),
        version,
        json!({"active": false}),
    );
    assert_eq!(paused.status, StatusCode::OK, "{}", paused.body);
    assert_eq!(paused.body["disabled_reason"], "paused by sync.one");
    sync.patch(
        &format!("/webhooks/{id}"),
        version + 1,
        json!({"active": true}),
    )
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    app.admin()
        .patch(&format!("/webhooks/{id}"), version, json!({"active": true}))
        .assert_problem(StatusCode::PRECONDITION_FAILED, "stale_version");
    let enabled = app.admin().patch(
        &format!("/webhooks/{id}"),
        version + 1,
        json!({"active": true}),
    );
    assert_eq!(enabled.body["active"], true, "{}", enabled.body);

    let gone = sync.delete(&format!("/webhooks/{id}"));
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    sync.get(&format!("/webhooks/{id}"))
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
}

fn a_run_of_failures_disables_and_nothing_is_lost_across_a_restart(mut app: TestApp) {
    let receiver = Receiver::start();
    receiver.script(&[], 503);
    let sync = app.user_with_grants("national.platform", json!([{"role": "sync_client"}]));
    let hook = create_webhook(&sync, &receiver.url, json!(["enterprise.*"]));
    let id = hook["id"].as_str().unwrap().to_owned();

    register(&app, 1, "first.enterprise");
    // The receiver is probed with backoff; the test settings disable a
    // webhook whose receiver has failed for 6 s without a break.
    receiver.wait_for(3, WAIT);
    let until = std::time::Instant::now() + WAIT;
    let disabled = loop {
        let read = sync.get(&format!("/webhooks/{id}"));
        if read.body["active"] == false {
            break read.body;
        }
        assert!(
            std::time::Instant::now() < until,
            "never disabled: {}",
            read.body
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        disabled["disabled_reason"]
            .as_str()
            .unwrap()
            .starts_with("disabled: the receiver has failed since"),
        "{disabled}"
    );
    let audit = app
        .admin()
        .get(&format!("/audit-log?object_type=webhook&object_id={id}"));
    let actions: Vec<&str> = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["webhook.create", "webhook.disable"]);

    assert!(
        disabled["failing_since"].is_string()
            && disabled["consecutive_failures"].as_i64() >= Some(3),
        "{disabled}"
    );
    // While disabled nothing is sent, but the change is kept.
    let probes = receiver.received().len();
    register(&app, 2, "second.enterprise");
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(receiver.received().len(), probes);

    // A restart (new process state, same database) and a recovered
    // receiver: once an admin enables the webhook, both events arrive.
    let token = sync.token.clone();
    app.restart();
    receiver.script(&[], 200);
    let sync = app.with_token(&token);
    let version = sync.get(&format!("/webhooks/{id}")).body["version"]
        .as_i64()
        .unwrap();
    let enabled = app
        .admin()
        .patch(&format!("/webhooks/{id}"), version, json!({"active": true}));
    assert_eq!(enabled.status, StatusCode::OK, "{}", enabled.body);
    assert_eq!(enabled.body["consecutive_failures"], 0);
    let log = wait_for_log(&sync, &id, |items| {
        items.len() == 2 && items.iter().all(|d| d["status"] == "delivered")
    });
    let names: BTreeSet<String> = receiver
        .received()
        .iter()
        .map(|r| {
            r.json()["event"]["snapshot"]["name"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        names,
        BTreeSet::from([
            "first.enterprise".to_owned(),
            "second.enterprise".to_owned()
        ])
    );
    let mut attempts: Vec<i64> = log
        .iter()
        .map(|d| d["attempts"].as_i64().unwrap())
        .collect();
    attempts.sort_unstable();
    assert_eq!(
        attempts,
        [1, i64::try_from(probes).unwrap() + 1],
        "the first delivery was every probe before the restart, then succeeded; the second was sent once"
    );
}

fn two_instances_deliver_each_event_once(app: TestApp) {
    const ENTERPRISES: u32 = 25;
    let receiver = Receiver::start();
    let second = app.another_instance();
    let sync = app.user_with_grants("national.platform", json!([{"role": "sync_client"}]));
    let hook = create_webhook(&sync, &receiver.url, json!(["enterprise.create"]));
    let id = hook["id"].as_str().unwrap();
    let program = app.program_id("yinchuan");
    // Writes go through both instances, so both workers wake and compete.
    let via_second = app.admin().token.clone();
    for i in 0..ENTERPRISES {
        let base = if i % 2 == 0 {
            app.base.clone()
        } else {
            second.base.clone()
        };
        let res = reqwest::blocking::Client::new()
            .post(format!("{base}/api/v1/enterprises"))
            .bearer_auth(&via_second)
            .json(&enterprise(&program, i, &format!("企业{i}")))
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    let count = ENTERPRISES as usize;
    receiver.wait_for(count, WAIT);
    std::thread::sleep(Duration::from_millis(500));
    let mut per_event: BTreeMap<i64, usize> = BTreeMap::new();
    for r in receiver.received() {
        assert_signed(&r);
        *per_event
            .entry(r.json()["event"]["seq"].as_i64().unwrap())
            .or_default() += 1;
    }
    assert_eq!(per_event.len(), count, "every event delivered");
    assert!(
        per_event.values().all(|&n| n == 1),
        "each exactly once: {per_event:?}"
    );
    let log = wait_for_log(&sync, id, |items| items.len() == count);
    assert!(
        log.iter()
            .all(|d| d["status"] == "delivered" && d["attempts"] == 1)
    );
}

both_backends!(
    deliveries_are_signed_retried_and_logged,
    webhooks_are_their_owners_and_checked,
    a_run_of_failures_disables_and_nothing_is_lost_across_a_restart,
    two_instances_deliver_each_event_once,
);
