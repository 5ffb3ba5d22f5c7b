//! The `shuzhuan serve` process as an orchestrator runs it: alive while it
//! migrates, ready once it serves, draining on SIGTERM, exiting cleanly.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn get(url: &str) -> Option<(u16, String)> {
    let res = reqwest::blocking::Client::new()
        .get(url)
        .timeout(Duration::from_secs(5))
        .send()
        .ok()?;
    let status = res.status().as_u16();
    Some((status, res.text().unwrap_or_default()))
}

#[test]
fn serve_is_alive_while_starting_drains_on_sigterm_and_exits_cleanly() {
    let dir = std::env::temp_dir().join(format!("shuzhuan-signals-{}", std::process::id()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_shuzhuan"))
        .arg("serve")
        .env_remove("DATABASE_URL")
        .env("SHUZHUAN_DATA_DIR", &dir)
        .env("SHUZHUAN_BIND", "127.0.0.1:0")
        .env("SHUZHUAN_ADMIN_PASSWORD", "a-signals-test-password")
        .env("SHUZHUAN_SHUTDOWN_DELAY_MS", "1500")
        .env("SHUZHUAN_WORKERS", "1")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("shuzhuan serve starts");
    // The first log line names the address while migrations still run.
    let mut log = BufReader::new(child.stderr.take().unwrap()).lines();
    let base = loop {
        let line = log.next().expect("a log line").unwrap();
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest.split(';').next().unwrap().to_owned();
        }
    };
    std::thread::spawn(move || for _ in log {});
    let (status, body) = get(&format!("{base}/healthz")).expect("healthz answers while starting");
    assert_eq!(status, 200, "{body}");
    // Still starting: 503 `starting`; or, if it finished meanwhile, the
    // real answer (401 without a token). Never a refused connection.
    let (status, body) = get(&format!("{base}/api/v1/programs")).unwrap();
    assert!(
        (status == 503 && body.contains("starting")) || status == 401,
        "{status} {body}"
    );
    let until = Instant::now() + Duration::from_secs(60);
    while get(&format!("{base}/readyz")).map(|(s, _)| s) != Some(200) {
        assert!(Instant::now() < until, "never ready");
        std::thread::sleep(Duration::from_millis(100));
    }

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    std::thread::sleep(Duration::from_millis(300));
    let (status, body) = get(&format!("{base}/readyz")).expect("still listening while draining");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("shutting_down"), "{body}");
    let (status, _) = get(&format!("{base}/healthz")).unwrap();
    assert_eq!(status, 200, "requests are still served during the delay");

    let until = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(Instant::now() < until, "did not exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit:?}");
    assert!(
        get(&format!("{base}/healthz")).is_none(),
        "closed after exit"
    );
    let _ = std::fs::remove_dir_all(dir);
}
