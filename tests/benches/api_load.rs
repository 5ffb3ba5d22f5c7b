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
/// Rows per import run (IMPORT_ROWS overrides).
const IMPORT_ROWS: usize = 100_000;
/// Enterprises in the table the list latency is measured on (LIST_ROWS
/// overrides; 0 skips that part).
const LIST_ROWS: usize = 1_000_000;
/// Requests per list query measured.
const LIST_SAMPLES: usize = 400;

/// Changes whose webhook delivery is timed.
const WEBHOOK_EVENTS: usize = 200;

/// End-to-end webhook latency: from the moment the write's response is
/// back (committed) to the moment a local receiver has the signed delivery.
fn webhook_latency(app: &TestApp) {
    let receiver = shuzhuan_tests::Receiver::start();
    let sync = app.user_with_grants("load.webhooks", json!([{"role": "sync_client"}]));
    let hook = sync.post(
        "/webhooks",
        json!({"url": receiver.url, "event_types": ["enterprise.create"]}),
    );
    assert_eq!(hook.status, StatusCode::CREATED, "{}", hook.body);
    let admin = app.admin();
    let program = app.program_id("yinchuan");
    let committed: Vec<(String, Instant)> = (0..WEBHOOK_EVENTS)
        .map(|i| {
            let name = format!("时延企业{i}");
            let res = admin.post(
                "/enterprises",
                json!({"uscc": uscc(900_000 + i), "name": name, "program_id": program,
                       "region_code": "640122", "industry_code": "new_materials", "size_class": "small"}),
            );
            assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
            (name, Instant::now())
        })
        .collect();
    let got = receiver.wait_for(WEBHOOK_EVENTS, std::time::Duration::from_secs(60));
    let mut ms: Vec<f64> = committed
        .iter()
        .map(|(name, at)| {
            let r = got
                .iter()
                .find(|r| r.json()["event"]["snapshot"]["name"] == name.as_str())
                .expect("delivered");
            r.at.saturating_duration_since(*at).as_secs_f64() * 1000.0
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    println!(
        "webhook latency ({:?}, commit to receiver, {WEBHOOK_EVENTS} events): median {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        app.backend,
        ms[ms.len() / 2],
        ms[ms.len() * 99 / 100],
        ms[ms.len() - 1]
    );
}

/// A valid credit code for `n` (GB 32100 check character computed).
fn uscc(n: usize) -> String {
    let body = format!("91640122{n:09}");
    let mut first17 = [0u8; 17];
    first17.copy_from_slice(body.as_bytes());
    format!(
        "{body}{}",
        shuzhuan_types::check_character(&first17).unwrap()
    )
}

fn enterprise_csv(rows: usize, offset: usize) -> String {
    let mut text = String::from(
        "统一社会信用代码,企业名称,所属区县,所属行业,是否规上,企业规模,专精特新,从业人数,营业收入(万元),是否上云,入库类型\n",
    );
    let regions = ["贺兰县", "永宁县", "灵武市", "兴庆区", "金凤区", "西夏区"];
    let industries = [
        "基础化学原料制造",
        "新型材料制造",
        "高端装备及零部件制造",
        "绿色消费品制造",
    ];
    for i in 0..rows {
        let n = offset + i;
        text.push_str(&format!(
            "{},宁夏示例制造有限公司{n},{},{},{},小型,{},{},{}.5,是,储备库\n",
            uscc(n),
            regions[n % regions.len()],
            industries[n % industries.len()],
            if n.is_multiple_of(3) { "是" } else { "否" },
            if n.is_multiple_of(5) { "是" } else { "否" },
            20 + n % 300,
            100 + n % 9000,
        ));
    }
    text
}

/// Peak resident memory of this process (server and client), from /proc.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn import_run(
    app: &TestApp,
    city: &shuzhuan_tests::As<'_>,
    program: &str,
    label: &str,
    body: Vec<u8>,
    rows: usize,
) {
    let started = Instant::now();
    let res = shuzhuan_tests::Resp::send(
        city.req(
            reqwest::Method::POST,
            &format!("/enterprises/import?program_id={program}"),
        )
        .header("Content-Type", "text/csv")
        .timeout(std::time::Duration::from_secs(1800))
        .body(body),
    );
    let elapsed = started.elapsed();
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["created"].as_u64(), Some(rows as u64));
    println!(
        "import {label} ({:?}): {rows} rows in {:.1} s = {:.0} rows per second; peak RSS {:.0} MiB",
        app.backend,
        elapsed.as_secs_f64(),
        rows as f64 / elapsed.as_secs_f64(),
        peak_rss_mib().unwrap_or(0.0)
    );
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Median and p99 latency of `GET /enterprises` with filters, on a table
/// that `demo-data` fills to `rows` enterprises first.
fn list_latency(app: &TestApp, rows: usize) {
    let db = shuzhuan_persistence::Db::connect(&app.db.url, 2).expect("db");
    let started = Instant::now();
    let out = shuzhuan_app::demo::load(
        &db,
        &shuzhuan_app::demo::Spec {
            program: "yinchuan".into(),
            enterprises: rows,
            seed: 7,
        },
    )
    .expect("demo data");
    println!(
        "list ({:?}): {} enterprises generated in {:.0} s",
        app.backend,
        out.enterprises + out.existing,
        started.elapsed().as_secs_f64()
    );
    let yinchuan = app.program_id("yinchuan");
    let city = app.user_with_grants(
        "load.lister",
        json!([{"role": "city_admin", "program_id": yinchuan}]),
    );
    let first = city.get("/enterprises?limit=1");
    let region = first.body["items"][0]["region_code"]
        .as_str()
        .unwrap()
        .to_owned();
    let queries = [
        ("first page".to_owned(), "/enterprises?limit=50".to_owned()),
        (
            "region + specialised".to_owned(),
            format!("/enterprises?limit=50&region_code={region}&specialised=true"),
        ),
        (
            "programme + tier".to_owned(),
            format!("/enterprises?limit=50&program_id={yinchuan}&tier=reserve"),
        ),
        (
            "q (name substring)".to_owned(),
            "/enterprises?limit=50&q=鑫泰".to_owned(),
        ),
    ];
    for (label, path) in queries {
        // Walk the cursor so later pages are measured too, not one cached page.
        let mut next = path.clone();
        let mut samples = Vec::with_capacity(LIST_SAMPLES);
        for _ in 0..LIST_SAMPLES {
            let t = Instant::now();
            let page = city.get(&next);
            samples.push(t.elapsed());
            assert_eq!(page.status, StatusCode::OK, "{}", page.body);
            next = match page.body["next_cursor"].as_str() {
                Some(c) => format!("{path}&cursor={c}"),
                None => path.clone(),
            };
        }
        samples.sort();
        println!(
            "list ({:?}, {rows} rows) {label}: median {:.1} ms, p99 {:.1} ms over {LIST_SAMPLES} pages",
            app.backend,
            samples[samples.len() / 2].as_secs_f64() * 1e3,
            samples[samples.len() * 99 / 100].as_secs_f64() * 1e3,
        );
    }
}

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
            let enterprise = app.enterprise_in("xuchang", u32::try_from(i).unwrap());
            let d = city.post(&format!("/programs/{xuchang}/subsidy-decisions"), json!({
                "pool_id": pool_id, "payee": format!("企业{i}"),
                "quote": {"enterprise_id": enterprise, "level": 2, "as_of": "2026-11-01",
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

    let rows = env_usize("IMPORT_ROWS", IMPORT_ROWS);
    let yinchuan = app.program_id("yinchuan");
    let importer = app.user_with_grants(
        "load.importer",
        json!([{"role": "city_admin", "program_id": yinchuan}]),
    );
    import_run(
        &app,
        &importer,
        &yinchuan,
        "CSV UTF-8",
        enterprise_csv(rows, 0).into_bytes(),
        rows,
    );
    let text = enterprise_csv(rows, rows);
    let (gbk, _, _) = encoding_rs::GB18030.encode(&text);
    import_run(
        &app,
        &importer,
        &yinchuan,
        "CSV GB18030",
        gbk.into_owned(),
        rows,
    );

    // The change feed as the national platform pages it.
    let sync = app.user_with_grants("load.sync", json!([{"role": "sync_client"}]));
    let started = Instant::now();
    let (mut events, mut after) = (0usize, 0i64);
    loop {
        let page = sync.get(&format!("/sync/changes?after={after}&limit=500"));
        let items = page.body["items"].as_array().unwrap();
        if items.is_empty() {
            break;
        }
        events += items.len();
        after = items.last().unwrap()["seq"].as_i64().unwrap();
    }
    let elapsed = started.elapsed();
    println!(
        "feed ({:?}): {events} change events paged (500 a page) in {:.1} s = {:.0} events per second",
        app.backend,
        elapsed.as_secs_f64(),
        events as f64 / elapsed.as_secs_f64()
    );

    webhook_latency(&app);

    let list_rows = env_usize("LIST_ROWS", LIST_ROWS);
    if list_rows > 0 {
        list_latency(&app, list_rows);
    }
}
