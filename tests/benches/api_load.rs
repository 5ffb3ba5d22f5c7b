//! A load run through the real HTTP API (not a criterion bench): subsidy
//! approvals per second with the no-overdraw guarantee in place, and
//! quotes per second. On PostgreSQL when `TEST_DATABASE_URL` is set, else
//! SQLite. `make bench` runs it; the figures are printed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use serde_json::json;
use shuzhuan_tests::{Backend, StatusCode, TestApp};

const DECISIONS: usize = 400;
const THREADS: usize = 8;
const QUOTES: usize = 2000;

fn main() {
    let backend = if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        Backend::Postgres
    } else {
        Backend::Sqlite
    };
    let app = TestApp::start_with_workers(backend, 2).expect("app");
    let xuchang = app.program_id("xuchang");
    let city = app.user_with_grants(
        "load.city",
        json!([{"role": "city_admin", "program_id": xuchang}]),
    );
    let finance = app.user_with_grants(
        "load.finance",
        json!([{"role": "finance", "program_id": xuchang}]),
    );
    // Room for three quarters of the decisions: the rest must be refused.
    let per_decision = 100_000;
    let room = per_decision * (DECISIONS as i64 * 3 / 4);
    let pool = finance.post(
        &format!("/programs/{xuchang}/budget-pools"),
        json!({"name": "load", "source": "central", "amount_fen": room}),
    );
    let pool_id = pool.body["id"].as_str().unwrap().to_owned();
    let ids: Vec<String> = (0..DECISIONS)
        .map(|i| {
            let d = city.post(&format!("/programs/{xuchang}/subsidy-decisions"), json!({
                "pool_id": pool_id, "payee": format!("企业{i}"),
                "quote": {"enterprise_id": format!("ent-{i}"), "level": 2, "as_of": "2026-11-01",
                          "line_items": [{"category": "software", "amount_fen": 2 * per_decision}]}}));
            assert_eq!(d.status, StatusCode::CREATED, "{}", d.body);
            d.body["id"].as_str().unwrap().to_owned()
        })
        .collect();

    let started = Instant::now();
    let statuses: Vec<StatusCode> = std::thread::scope(|s| {
        let chunks: Vec<&[String]> = ids.chunks(DECISIONS.div_ceil(THREADS)).collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                let (finance, xuchang) = (&finance, &xuchang);
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|id| {
                            finance
                                .post_if_match(
                                    &format!("/programs/{xuchang}/subsidy-decisions/{id}/approve"),
                                    1,
                                    json!({}),
                                )
                                .status
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let elapsed = started.elapsed();
    let approved = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::CONFLICT)
        .count();
    let p = &finance
        .get(&format!("/programs/{xuchang}/budget-pools"))
        .body["items"][0];
    assert_eq!(approved + refused, DECISIONS);
    assert_eq!(
        p["committed_fen"].as_i64(),
        Some(per_decision * approved as i64)
    );
    assert!(
        p["committed_fen"].as_i64().unwrap() <= room,
        "never overdrawn"
    );
    println!(
        "approvals ({backend:?}, {THREADS} clients): {DECISIONS} in {:.2} s = {:.0} per second ({approved} approved, {refused} refused, pool never overdrawn)",
        elapsed.as_secs_f64(),
        DECISIONS as f64 / elapsed.as_secs_f64()
    );

    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            let (city, xuchang) = (&city, &xuchang);
            s.spawn(move || {
                for _ in 0..QUOTES / THREADS {
                    let q = city.post(
                        &format!("/programs/{xuchang}/subsidy-quotes"),
                        json!({
                        "level": 3, "as_of": "2026-11-01",
                        "line_items": [{"category": "software", "amount_fen": 120_000_000}]}),
                    );
                    assert_eq!(q.status, StatusCode::OK);
                }
            });
        }
    });
    let elapsed = started.elapsed();
    println!(
        "quotes ({backend:?}, {THREADS} clients): {QUOTES} in {:.2} s = {:.0} per second",
        elapsed.as_secs_f64(),
        QUOTES as f64 / elapsed.as_secs_f64()
    );
}
