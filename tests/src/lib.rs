//! The test harness: [`TestApp`] boots the real server in-process on a free
//! loopback port, against a database of its own (a fresh SQLite file, or a
//! fresh schema in `TEST_DATABASE_URL`'s PostgreSQL), and talks to it over
//! HTTP as a client would. [`both_backends!`] runs a test on each.

// A harness for tests: a panic is how a test fails.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod proxy;
mod receiver;
pub use proxy::Proxy;
pub use receiver::{Received, Receiver};

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::mpsc;

use diesel::{Connection, PgConnection, connection::SimpleConnection};
use reqwest::Method;
use reqwest::blocking::{Client, RequestBuilder};
use serde_json::Value;

pub use reqwest::StatusCode;

/// Password of the bootstrap admin in every test app.
pub const ADMIN_PASSWORD: &str = "test-admin-password";
/// The password of every user [`TestApp::user_with_grants`] creates.
pub const USER_PASSWORD: &str = "password-of-a-test-user";
/// JWT key of every test app (tests forge tokens with it).
pub const JWT_SECRET: &str = "test-secret-0123456789abcdef0123456789abcdef";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each named test function (taking a [`TestApp`]) on SQLite and, when
/// `TEST_DATABASE_URL` is set, on PostgreSQL.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name($crate::TestApp::start($crate::Backend::Sqlite).expect("sqlite app")) } )*
        }
        mod postgres {
            $( #[test] fn $name() {
                match $crate::TestApp::start($crate::Backend::Postgres) {
                    Some(app) => super::$name(app),
                    None => eprintln!("TEST_DATABASE_URL not set: PostgreSQL variant skipped"),
                }
            } )*
        }
    };
}

/// A database of one test, removed when dropped.
pub struct TestDb {
    pub url: String,
    pub backend: Backend,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(PathBuf),
    Schema { admin_url: String, schema: String },
}

impl TestDb {
    /// A fresh, empty database; `None` for PostgreSQL without
    /// `TEST_DATABASE_URL`.
    pub fn create(backend: Backend) -> Option<TestDb> {
        let tag = uuid::Uuid::new_v4().simple().to_string();
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("shuzhuan-test-{tag}"));
                std::fs::create_dir_all(&dir).expect("temp dir");
                Some(TestDb {
                    url: format!("sqlite://{}", dir.join("test.db").display()),
                    backend,
                    cleanup: Cleanup::Dir(dir),
                })
            }
            Backend::Postgres => {
                let admin_url = std::env::var("TEST_DATABASE_URL")
                    .ok()
                    .filter(|u| !u.is_empty())?;
                let schema = format!("t_{tag}");
                let mut conn =
                    PgConnection::establish(&admin_url).expect("connect to TEST_DATABASE_URL");
                conn.batch_execute(&format!("CREATE SCHEMA \"{schema}\""))
                    .expect("create test schema");
                let sep = if admin_url.contains('?') { '&' } else { '?' };
                Some(TestDb {
                    // The application name lets a fault test end exactly
                    // this database's sessions.
                    url: format!(
                        "{admin_url}{sep}options=-csearch_path%3D{schema}&application_name={schema}"
                    ),
                    backend,
                    cleanup: Cleanup::Schema { admin_url, schema },
                })
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Schema { admin_url, schema } => {
                if let Ok(mut conn) = PgConnection::establish(admin_url) {
                    let _ = conn.batch_execute(&format!("DROP SCHEMA \"{schema}\" CASCADE"));
                }
            }
        }
    }
}

/// The running application of one test.
pub struct TestApp {
    pub base: String,
    pub backend: Backend,
    client: Client,
    instance: Instance,
    pub data_dir: PathBuf,
    workers: usize,
    pub db: TestDb,
}

/// One running server (with its webhook worker) on its own thread.
pub struct Instance {
    pub base: String,
    stopper: shuzhuan_api::Stopper,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// The settings `shuzhuan serve` would read, for a test server on `db_url`:
/// fast webhook retries, the loopback allowed for test receivers, no
/// shutdown delay.
pub fn test_settings(
    db_url: &str,
    data_dir: &std::path::Path,
    workers: usize,
) -> shuzhuan_api::Settings {
    use clap::Parser;
    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        settings: shuzhuan_api::Settings,
    }
    let mut settings = Cli::parse_from([
        "shuzhuan",
        "--webhook-poll-ms=100",
        "--webhook-retry-base-ms=100",
        "--webhook-retry-max-ms=1000",
        "--webhook-max-attempts=6",
        "--webhook-disable-after-s=6",
        "--webhook-timeout-ms=2000",
        "--webhook-allow-hosts=127.0.0.0/8",
        "--shutdown-delay-ms=0",
        "--shutdown-drain-ms=10000",
        "--db-pool-size=8",
    ])
    .settings;
    settings.database_url = Some(db_url.to_owned());
    settings.data_dir = data_dir.to_owned();
    settings.bind = "127.0.0.1:0".into();
    settings.jwt_secret = Some(JWT_SECRET.into());
    settings.admin_password = Some(ADMIN_PASSWORD.into());
    settings.workers = Some(workers);
    settings
}

impl Instance {
    /// Boots the server exactly as `shuzhuan serve` does.
    fn boot(db_url: &str, data_dir: &std::path::Path, workers: usize) -> Instance {
        Instance::boot_with(test_settings(db_url, data_dir, workers))
    }

    /// Boots the server with `settings`.
    pub fn boot_with(settings: shuzhuan_api::Settings) -> Instance {
        let state = shuzhuan_api::prepare(&settings).expect("app prepares");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = mpsc::channel();
        let workers = settings.workers;
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let (stopper, done) =
                    shuzhuan_api::start(state, listener, workers).expect("server");
                let _ = tx.send(stopper);
                let _ = done.await;
            })
        });
        Instance {
            base: format!("http://{addr}"),
            stopper: rx.recv().expect("server started"),
            thread: Some(thread),
        }
    }

    /// An access token of the bootstrap admin from this instance.
    pub fn admin_token(&self) -> String {
        let res = Resp::send(
            Client::new()
                .post(format!("{}/api/v1/auth/token", self.base))
                .json(&serde_json::json!({"username": "admin", "password": ADMIN_PASSWORD})),
        );
        assert_eq!(res.status, StatusCode::OK, "admin login: {}", res.body);
        res.body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    /// Begins the shutdown a SIGTERM begins, without waiting for it.
    pub fn begin_stop(&self) -> std::thread::JoinHandle<()> {
        let stopper = self.stopper.clone();
        std::thread::spawn(move || actix_web::rt::System::new().block_on(stopper.stop()))
    }

    /// Stops the server as SIGTERM does and waits until it has drained and
    /// released what it held.
    pub fn stop(&mut self) {
        let _ = self.begin_stop().join();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if self.thread.is_some() {
            // Not waited for: a test that needs the stop calls `stop`.
            drop(self.begin_stop());
        }
    }
}

impl TestApp {
    /// Boots the server exactly as `shuzhuan serve` does (migrations, seed
    /// programmes, bootstrap admin) on a database of its own.
    pub fn start(backend: Backend) -> Option<TestApp> {
        Self::start_with_workers(backend, 1)
    }

    /// As [`TestApp::start`], with `workers` HTTP workers (load runs).
    pub fn start_with_workers(backend: Backend, workers: usize) -> Option<TestApp> {
        let db = TestDb::create(backend)?;
        let data_dir =
            std::env::temp_dir().join(format!("shuzhuan-data-{}", uuid::Uuid::new_v4().simple()));
        let instance = Instance::boot(&db.url, &data_dir, workers);
        Some(TestApp {
            base: instance.base.clone(),
            backend,
            client: Client::new(),
            instance,
            data_dir,
            workers,
            db,
        })
    }

    /// Stops the server and boots a new one on the same database and data
    /// directory, at a new address (what a deploy or a crash does).
    pub fn restart(&mut self) {
        self.instance.stop();
        self.instance = Instance::boot(&self.db.url, &self.data_dir, self.workers);
        self.base = self.instance.base.clone();
    }

    /// A second server instance on the same database, as behind a load
    /// balancer; it stops when dropped.
    pub fn another_instance(&self) -> Instance {
        Instance::boot(&self.db.url, &self.data_dir, self.workers)
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with('/') && !path.starts_with("/api/") && !is_root_path(path) {
            format!("{}/api/v1{path}", self.base)
        } else {
            format!("{}{path}", self.base)
        }
    }

    /// A request to `path` (relative to `/api/v1` unless it is a root
    /// path such as `/healthz`).
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    pub fn login(&self, username: &str, password: &str) -> String {
        let res = Resp::send(
            self.request(Method::POST, "/auth/token")
                .json(&serde_json::json!({
                    "username": username, "password": password
                })),
        );
        assert_eq!(
            res.status,
            StatusCode::OK,
            "login of {username}: {}",
            res.body
        );
        res.body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    /// A token of the bootstrap platform admin.
    pub fn admin(&self) -> As<'_> {
        As {
            app: self,
            token: self.login("admin", ADMIN_PASSWORD),
        }
    }

    /// Acting with a given bearer token.
    pub fn with_token(&self, token: &str) -> As<'_> {
        As {
            app: self,
            token: token.to_owned(),
        }
    }

    /// Acting anonymously.
    pub fn anonymous(&self) -> As<'_> {
        As {
            app: self,
            token: String::new(),
        }
    }

    /// Creates a user with the given grants and returns a session as them.
    pub fn user_with_grants(&self, username: &str, grants: Value) -> As<'_> {
        let admin = self.admin();
        let password = USER_PASSWORD;
        let created = admin.post(
            "/users",
            serde_json::json!({
                "username": username, "password": password, "display_name": username
            }),
        );
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        let id = created.body["id"].as_str().expect("id").to_owned();
        let version = created.body["version"].as_i64().expect("version");
        let put = admin.put_if_match(&format!("/users/{id}/grants"), version, grants);
        assert_eq!(put.status, StatusCode::OK, "{}", put.body);
        As {
            app: self,
            token: self.login(username, password),
        }
    }

    /// The id of a seed programme by its code.
    pub fn program_id(&self, code: &str) -> String {
        let list = self.admin().get("/programs");
        list.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|p| p["code"] == code)
            .and_then(|p| p["id"].as_str())
            .unwrap_or_else(|| panic!("no programme {code}"))
            .to_owned()
    }

    /// Registers enterprise number `n` of a seed programme (a valid credit
    /// code, the programme's first region and industry) and returns its id.
    pub fn enterprise_in(&self, program_code: &str, n: u32) -> String {
        self.enterprises_in(program_code, n..n + 1).remove(0)
    }

    /// As [`TestApp::enterprise_in`] for numbers `ns`, in quick succession
    /// (one session, one look at the programme).
    pub fn enterprises_in(&self, program_code: &str, ns: std::ops::Range<u32>) -> Vec<String> {
        let admin = self.admin();
        let program = self.program_id(program_code);
        let first = |list: &str| {
            admin.get(&format!("/programs/{program}/{list}")).body["items"][0]["code"]
                .as_str()
                .expect("a code")
                .to_owned()
        };
        let (region, industry) = (first("regions"), first("industries"));
        ns.map(|n| {
            let res = admin.post(
                "/enterprises",
                serde_json::json!({
                    "uscc": uscc("410000", 700_000 + n), "name": format!("{program_code}测试企业{n}"),
                    "program_id": program, "region_code": region,
                    "industry_code": industry, "size_class": "small"
                }),
            );
            assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
            res.body["id"].as_str().expect("id").to_owned()
        })
        .collect()
    }
}

fn is_root_path(path: &str) -> bool {
    ["/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"]
        .iter()
        .any(|p| path.starts_with(p))
}

/// Requests made as one caller.
pub struct As<'a> {
    pub app: &'a TestApp,
    pub token: String,
}

impl As<'_> {
    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        let r = self.app.request(method, path);
        if self.token.is_empty() {
            r
        } else {
            r.bearer_auth(&self.token)
        }
    }
    pub fn get(&self, path: &str) -> Resp {
        Resp::send(self.req(Method::GET, path))
    }
    pub fn post(&self, path: &str, body: Value) -> Resp {
        self.created(Resp::send(self.req(Method::POST, path).json(&body)))
    }
    pub fn put(&self, path: &str, body: Value) -> Resp {
        self.created(Resp::send(self.req(Method::PUT, path).json(&body)))
    }

    /// Every test that creates something also proves the convention: a
    /// 201 names the new object in `Location`, and a GET there, by the
    /// same caller, answers it (the creation may carry more, such as a
    /// token's secret).
    fn created(&self, res: Resp) -> Resp {
        if res.status == StatusCode::CREATED {
            let location = res.header("location").expect("a 201 has a Location");
            let path = location
                .strip_prefix("/api/v1")
                .expect("Location is an API path");
            let read = self.get(path);
            assert_eq!(read.status, StatusCode::OK, "GET {location}: {}", read.body);
            for (field, value) in read.body.as_object().expect("an object") {
                if field != "next_actions" && field != "next_statuses" {
                    assert_eq!(&res.body[field], value, "GET {location}: {field}");
                }
            }
        }
        res
    }
    pub fn delete(&self, path: &str) -> Resp {
        Resp::send(self.req(Method::DELETE, path))
    }
    /// A PATCH with `If-Match: "<version>"`.
    pub fn patch(&self, path: &str, version: i64, body: Value) -> Resp {
        Resp::send(
            self.req(Method::PATCH, path)
                .header("If-Match", format!("\"{version}\""))
                .json(&body),
        )
    }
    /// A PUT with `If-Match: "<version>"` (grants).
    pub fn put_if_match(&self, path: &str, version: i64, body: Value) -> Resp {
        Resp::send(
            self.req(Method::PUT, path)
                .header("If-Match", format!("\"{version}\""))
                .json(&body),
        )
    }

    /// A POST with `If-Match: "<version>"` (transitions).
    pub fn post_if_match(&self, path: &str, version: i64, body: Value) -> Resp {
        Resp::send(
            self.req(Method::POST, path)
                .header("If-Match", format!("\"{version}\""))
                .json(&body),
        )
    }
}

/// A response read whole: status, headers and the JSON body (or the text
/// as a JSON string when not JSON).
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Resp {
    pub fn send(req: RequestBuilder) -> Resp {
        let res = req.send().expect("request sent");
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Resp {
            status,
            headers,
            body,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a problem+json with this status and code.
    pub fn assert_problem(&self, status: StatusCode, code: &str) -> &Self {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{}",
            self.body
        );
        assert_eq!(self.body["code"], code, "{}", self.body);
        assert_eq!(self.body["status"], status.as_u16());
        assert!(self.body["title"].is_string() && self.body["detail"].is_string());
        self
    }

    /// The `field` of every entry in `errors`.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A valid credit code (GB 32100 check character computed) for the 17
/// leading characters `91` + division + the number `n`.
pub fn uscc(division: &str, n: u32) -> String {
    let first17 = format!("91{division}{n:09}");
    let bytes: [u8; 17] = first17.as_bytes().try_into().expect("17 characters");
    let check = shuzhuan_types::check_character(&bytes).expect("valid alphabet");
    format!("{first17}{check}")
}
