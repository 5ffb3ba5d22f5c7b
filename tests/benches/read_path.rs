//! The read path against the stack's own ceiling (issue 16): requests per
//! second of an authenticated `GET /api/v1/enterprises/{id}` and of a
//! 50-row list page, next to a bare actix-web + diesel + r2d2 server
//! reading the same row and the same 50 rows of the same database without
//! authentication, on the same machine in the same run. Load comes from
//! `wrk` (`apt-get install wrk`); without it the bench says so and stops.
//! On PostgreSQL when `TEST_DATABASE_URL` is set, else SQLite.
//! `READ_SECONDS` (default 10) sets each run's length.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::process::Command;

use actix_web::{App, HttpResponse, HttpServer, web};
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, Pool};
use serde_json::json;
use shuzhuan_tests::{Backend, TestApp};

/// Workers of both servers, connections of wrk.
const WORKERS: usize = 2;
const CONNECTIONS: usize = 16;

// The ceiling declares the table itself, on purpose: it must not go
// through Shuzhuan's persistence crate, whose cost is what is measured.
diesel::table! {
    enterprises (id) {
        id -> Text,
        uscc -> Text,
        name -> Text,
        program_id -> Nullable<Text>,
        region_code -> Nullable<Text>,
        industry_code -> Nullable<Text>,
        above_designated_size -> Bool,
        size_class -> Text,
        specialised -> Bool,
        little_giant -> Bool,
        innovative -> Bool,
        chain_master -> Bool,
        employees -> Nullable<Integer>,
        revenue_fen -> Nullable<BigInt>,
        contact_name -> Text,
        contact_phone -> Text,
        cloud_adopted -> Bool,
        tier -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

/// The whole row, as the API reads it.
#[derive(Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = enterprises)]
struct Row {
    id: String,
    uscc: String,
    name: String,
    program_id: Option<String>,
    region_code: Option<String>,
    industry_code: Option<String>,
    above_designated_size: bool,
    size_class: String,
    specialised: bool,
    little_giant: bool,
    innovative: bool,
    chain_master: bool,
    employees: Option<i32>,
    revenue_fen: Option<i64>,
    contact_name: String,
    contact_phone: String,
    cloud_adopted: bool,
    tier: String,
    version: i64,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
}

#[derive(Clone)]
enum Ceiling {
    Pg(Pool<ConnectionManager<PgConnection>>),
    Lite(Pool<ConnectionManager<SqliteConnection>>),
}

/// Runs `$body` with `$c` bound to a pooled connection of either kind.
macro_rules! with_conn {
    ($pool:expr, $c:ident => $body:expr) => {
        match $pool {
            Ceiling::Pg(p) => {
                let $c = &mut p.get().unwrap();
                $body
            }
            Ceiling::Lite(p) => {
                let $c = &mut p.get().unwrap();
                $body
            }
        }
    };
}

impl Ceiling {
    fn one(&self, id: &str) -> Option<Row> {
        use enterprises::dsl as e;
        with_conn!(self, c => e::enterprises.find(id).select(Row::as_select()).first(c).optional().unwrap())
    }

    fn page(&self, program: &str) -> Vec<Row> {
        use enterprises::dsl as e;
        with_conn!(self, c => e::enterprises
            .filter(e::program_id.eq(program))
            .order(e::id)
            .limit(50)
            .select(Row::as_select())
            .load(c)
            .unwrap())
    }
}

/// The bare server: one row by id, one page of a programme.
fn ceiling(url: &str) -> String {
    let pool = if let Some(path) = url.strip_prefix("sqlite://") {
        Ceiling::Lite(
            Pool::builder()
                .max_size(8)
                .build(ConnectionManager::new(path))
                .unwrap(),
        )
    } else {
        Ceiling::Pg(
            Pool::builder()
                .max_size(8)
                .build(ConnectionManager::new(url))
                .unwrap(),
        )
    };
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            HttpServer::new(move || {
                App::new()
                    .app_data(web::Data::new(pool.clone()))
                    .route(
                        "/one/{id}",
                        web::get().to(
                            |pool: web::Data<Ceiling>, id: web::Path<String>| async move {
                                let row = web::block(move || pool.one(&id)).await.unwrap();
                                match row {
                                    Some(r) => HttpResponse::Ok().json(r),
                                    None => HttpResponse::NotFound().finish(),
                                }
                            },
                        ),
                    )
                    .route(
                        "/page/{program}",
                        web::get().to(
                            |pool: web::Data<Ceiling>, program: web::Path<String>| async move {
                                let rows = web::block(move || pool.page(&program)).await.unwrap();
                                HttpResponse::Ok().json(json!({"items": rows}))
                            },
                        ),
                    )
            })
            .workers(WORKERS)
            .listen(listener)
            .unwrap()
            .run()
            .await
            .unwrap();
        });
    });
    base
}

/// Requests per second wrk reaches on `url` (with `header`, if any).
fn wrk(url: &str, header: Option<&str>, seconds: u64) -> f64 {
    let mut cmd = Command::new("wrk");
    cmd.args([
        "-t2",
        &format!("-c{CONNECTIONS}"),
        &format!("-d{seconds}s"),
        "--latency",
    ]);
    if let Some(h) = header {
        cmd.args(["-H", h]);
    }
    let out = cmd.arg(url).output().expect("wrk runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains("Non-2xx"),
        "{url} answered errors under load:\n{text}"
    );
    text.lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no figure from wrk:\n{text}"))
}

fn main() {
    if Command::new("wrk").arg("--version").output().is_err() {
        println!("read path: wrk is not installed (apt-get install wrk); skipped");
        return;
    }
    let seconds = std::env::var("READ_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let backend = if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        Backend::Postgres
    } else {
        Backend::Sqlite
    };
    let app = TestApp::start_with_workers(backend, WORKERS).expect("app");
    let db = shuzhuan_persistence::Db::connect(&app.db.url, 2).expect("db");
    shuzhuan_app::demo::load(
        &db,
        &shuzhuan_app::demo::Spec {
            program: "yinchuan".into(),
            enterprises: 1000,
            seed: 5,
        },
    )
    .expect("demo data");
    let program = app.program_id("yinchuan");
    let city = app.user_with_grants(
        "read.city",
        json!([{"role": "city_admin", "program_id": program}]),
    );
    let id = city.get("/enterprises?limit=1").body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let bare = ceiling(&app.db.url);
    let auth = format!("Authorization: Bearer {}", city.token);
    let runs = [
        (
            "one row",
            format!("{bare}/one/{id}"),
            app.url(&format!("/enterprises/{id}")),
        ),
        (
            "50-row page",
            format!("{bare}/page/{program}"),
            app.url(&format!("/enterprises?program_id={program}&limit=50")),
        ),
    ];
    for (label, ceiling_url, api_url) in runs {
        let top = wrk(&ceiling_url, None, seconds);
        let api = wrk(&api_url, Some(&auth), seconds);
        println!(
            "read path ({backend:?}) {label}: API {api:.0} req/s, ceiling {top:.0} req/s = {:.0} % of the ceiling",
            api / top * 100.0
        );
    }
}
