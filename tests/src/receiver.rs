//! A webhook receiver for tests: a real HTTP server on a loopback port that
//! records every request and answers with scripted statuses.

use std::collections::VecDeque;
use std::net::TcpListener;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, http::StatusCode, web};

/// One request as the receiver got it.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub at: Instant,
    /// What the receiver answered.
    pub status: u16,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

#[derive(Default)]
struct Shared {
    log: Vec<Received>,
    /// Statuses for the next requests, then `otherwise`.
    script: VecDeque<u16>,
    otherwise: u16,
    /// How long each answer takes.
    delay: std::time::Duration,
}

pub struct Receiver {
    pub url: String,
    shared: Arc<Mutex<Shared>>,
    handle: actix_web::dev::ServerHandle,
}

async fn receive(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Mutex<Shared>>,
) -> HttpResponse {
    let (status, delay) = {
        let mut s = shared.lock().expect("receiver state");
        let status = s.script.pop_front().unwrap_or(s.otherwise);
        s.log.push(Received {
            headers: req
                .headers()
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_owned()))
                .collect(),
            body: body.to_vec(),
            at: Instant::now(),
            status,
        });
        (status, s.delay)
    };
    actix_web::rt::time::sleep(delay).await;
    HttpResponse::build(StatusCode::from_u16(status).expect("status")).finish()
}

impl Receiver {
    /// A receiver answering 200 to everything.
    pub fn start() -> Receiver {
        let shared = Arc::new(Mutex::new(Shared {
            otherwise: 200,
            ..Shared::default()
        }));
        let data = web::Data::from(shared.clone());
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(data.clone())
                        .default_service(web::to(receive))
                })
                .workers(1)
                .listen(listener)
                .expect("listen")
                .run();
                let _ = tx.send(server.handle());
                let _ = server.await;
            })
        });
        Receiver {
            url: format!("http://{addr}/hook"),
            shared,
            handle: rx.recv().expect("receiver started"),
        }
    }

    /// Takes `delay` to answer each request from now on (a slow receiver).
    pub fn delay(&self, delay: Duration) {
        self.shared.lock().expect("receiver state").delay = delay;
    }

    /// Answers the next requests with these statuses, then with `otherwise`.
    pub fn script(&self, next: &[u16], otherwise: u16) {
        let mut s = self.shared.lock().expect("receiver state");
        s.script = next.iter().copied().collect();
        s.otherwise = otherwise;
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().expect("receiver state").log.clone()
    }

    /// Waits until `n` requests have arrived (panics after `timeout`).
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let until = Instant::now() + timeout;
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < until,
                "{} of {n} webhook requests arrived within {timeout:?}",
                got.len()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}
