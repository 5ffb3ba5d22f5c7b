//! The change feed under concurrent writers (issue 8 §1, DOMAIN.md §8): a
//! consumer paging with the last cursor sees every committed change
//! exactly once, in commit order, while writers commit in parallel.

use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::json;
use shuzhuan_tests::{Backend, StatusCode, TestApp, uscc};

const WRITERS: usize = 6;
const WRITES_EACH: usize = 200;

fn pages_every_change_exactly_once_in_commit_order(backend: Backend) {
    let Some(app) = TestApp::start_with_workers(backend, 2) else {
        eprintln!("TEST_DATABASE_URL not set: PostgreSQL variant skipped");
        return;
    };
    let admin = app.admin();
    let program = app.program_id("yinchuan");
    let sync = app.user_with_grants("feed.consumer", json!([{"role": "sync_client"}]));
    let writers_done = AtomicBool::new(false);
    let seen: Vec<i64> = std::thread::scope(|s| {
        let consumer = s.spawn(|| {
            let mut seen = Vec::new();
            let mut after = 0i64;
            loop {
                let finished = writers_done.load(Ordering::SeqCst);
                let page = sync.get(&format!("/sync/changes?after={after}&limit=200"));
                assert_eq!(page.status, StatusCode::OK, "{}", page.body);
                let items = page.body["items"].as_array().unwrap();
                for item in items {
                    let seq = item["seq"].as_i64().unwrap();
                    assert!(seq > after, "the feed went backwards: {seq} after {after}");
                    seen.push(seq);
                    after = seq;
                }
                assert_eq!(
                    page.body["next_cursor"]
                        .as_str()
                        .unwrap()
                        .parse::<i64>()
                        .unwrap(),
                    after
                );
                // Only once the writers are done and a page comes back empty
                // has the consumer caught up for good.
                if finished && items.is_empty() {
                    return seen;
                }
            }
        });
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (admin, program) = (&admin, &program);
                s.spawn(move || {
                    for i in 0..WRITES_EACH {
                        let n = u32::try_from(w * WRITES_EACH + i).unwrap();
                        let res = admin.post(
                            "/enterprises",
                            json!({"uscc": uscc("640122", n), "name": format!("写入者{w}企业{i}"),
                                "program_id": program, "region_code": "640122",
                                "industry_code": "new_materials", "size_class": "small"}),
                        );
                        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        writers_done.store(true, Ordering::SeqCst);
        consumer.join().unwrap()
    });
    // Everything committed, as a fresh full read shows it.
    let mut all = Vec::new();
    let mut after = 0i64;
    loop {
        let page = sync.get(&format!("/sync/changes?after={after}&limit=500"));
        let items = page.body["items"].as_array().unwrap().clone();
        if items.is_empty() {
            break;
        }
        for item in &items {
            all.push(item["seq"].as_i64().unwrap());
        }
        after = *all.last().unwrap();
    }
    let changes = all.len();
    assert!(changes >= WRITERS * WRITES_EACH, "{changes} changes");
    assert_eq!(seen.first(), all.first());
    // The consumer saw exactly the committed changes, once each, in order:
    // none appeared later behind its cursor.
    assert_eq!(
        seen, all,
        "the consumer's view differs from the committed feed"
    );
    // The writers' changes follow one another without a gap (the sync
    // client's feed leaves out only internal records, and none were
    // written meanwhile).
    let written = &all[all.len() - WRITERS * WRITES_EACH..];
    assert!(
        written.windows(2).all(|w| w[1] == w[0] + 1),
        "sequence numbers are gapless"
    );
}

#[test]
fn sqlite_feed_under_concurrent_writers() {
    pages_every_change_exactly_once_in_commit_order(Backend::Sqlite);
}

#[test]
fn postgres_feed_under_concurrent_writers() {
    pages_every_change_exactly_once_in_commit_order(Backend::Postgres);
}
