//! Every write with its audit entry and change event, all or nothing:
//! DOMAIN.md §8.

use serde_json::{Value, json};
use shuzhuan_lifecycle::BatchState;
use shuzhuan_persistence::repo::{audit, programs};
use shuzhuan_persistence::rows::BatchRow;
use shuzhuan_persistence::{Actor, Change, Db, ObjectType, Op, RepoError, new_id, now};
use shuzhuan_tests::{As, StatusCode, TestApp, both_backends};

both_backends!(
    every_write_appends_one_audit_entry_and_one_change_event,
    a_failed_request_writes_neither_rows_nor_audit_nor_events,
    a_unit_of_work_that_fails_midway_leaves_no_trace,
    the_audit_chain_verifies_and_detects_tampering,
    the_change_feed_is_ordered_and_for_sync_clients_only,
    migrations_run_from_empty_and_then_find_nothing_to_do,
);

fn audit_count(admin: &As<'_>) -> usize {
    let mut n = 0;
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/audit-log?limit=500&cursor={c}"),
            None => "/audit-log?limit=500".to_owned(),
        };
        let page = admin.get(&path);
        n += page.body["items"].as_array().unwrap().len();
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return n,
        }
    }
}

fn all_changes(admin: &As<'_>) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after = "0".to_owned();
    loop {
        let page = admin.get(&format!("/sync/changes?after={after}&limit=500"));
        let items = page.body["items"].as_array().unwrap().clone();
        after = page.body["next_cursor"].as_str().unwrap().to_owned();
        if items.is_empty() {
            return out;
        }
        out.extend(items);
    }
}

fn every_write_appends_one_audit_entry_and_one_change_event(app: TestApp) {
    let admin = app.admin();
    let jinan = app.program_id("jinan");
    let audits = audit_count(&admin);
    let changes = all_changes(&admin).len();
    assert_eq!(
        audits, changes,
        "seeding and bootstrap wrote both logs alike"
    );

    let res = admin.patch(
        &format!("/programs/{jinan}"),
        1,
        json!({"description": "2025 review"}),
    );
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(audit_count(&admin), audits + 1);
    let feed = all_changes(&admin);
    assert_eq!(feed.len(), changes + 1);
    let last = feed.last().unwrap();
    assert_eq!(
        (
            last["object_type"].as_str(),
            last["op"].as_str(),
            last["version"].as_i64()
        ),
        (Some("program"), Some("update"), Some(2))
    );
    assert_eq!(last["snapshot"]["description"], "2025 review");

    let entry = admin.get(&format!("/audit-log?object_type=program&object_id={jinan}"));
    let items = entry.body["items"].as_array().unwrap();
    let update = items.last().unwrap();
    assert_eq!(update["action"], "program.update");
    assert_eq!(update["actor"], "admin");
    assert_eq!(update["before"]["version"], 1);
    assert_eq!(update["after"]["version"], 2);
    assert_eq!(update["prev_hash"].as_str().unwrap().len(), 64);
}

fn a_failed_request_writes_neither_rows_nor_audit_nor_events(app: TestApp) {
    let admin = app.admin();
    let jinan = app.program_id("jinan"); // logs in: a write of its own
    let audits = audit_count(&admin);
    let changes = all_changes(&admin).len();
    // Refused at different depths: validation, a unique conflict in the
    // database, a stale version, a forbidden role.
    let dup = admin.get("/programs").body["items"][0]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let pack = json!({"code": dup, "name": "n", "city": "c", "province": "p", "starts_on": "2026-01-01",
        "ends_on": "2026-12-31", "regions": [], "industries": []});
    admin
        .post("/programs", pack)
        .assert_problem(StatusCode::CONFLICT, "program_code_taken");
    admin
        .patch(&format!("/programs/{jinan}"), 9, json!({"name": "x"}))
        .assert_problem(StatusCode::PRECONDITION_FAILED, "stale_version");
    admin
        .post(
            "/users",
            json!({"username": "??", "password": "x", "display_name": ""}),
        )
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(audit_count(&admin), audits);
    assert_eq!(all_changes(&admin).len(), changes);
    assert_eq!(
        admin.get("/programs").body["items"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
}

fn a_unit_of_work_that_fails_midway_leaves_no_trace(app: TestApp) {
    let db = Db::connect(&app.db.url, 2).unwrap();
    let count = |db: &Db| {
        db.read(|conn| -> Result<(usize, usize, usize), RepoError> {
            let program_id = programs::list(conn, None, None, 1)?.items[0].id.clone();
            Ok((
                programs::batches_of(conn, &program_id)?.len(),
                audit::list(conn, &Default::default(), 0, 100_000)?.len(),
                audit::changes_after(conn, 0, 100_000, Default::default())?.len(),
            ))
        })
        .unwrap()
    };
    let before = count(&db);
    let program_id = db
        .read(|conn| programs::list(conn, None, None, 1))
        .unwrap()
        .items[0]
        .id
        .clone();
    let batch = |number: i32| BatchRow {
        id: new_id(),
        program_id: program_id.clone(),
        number,
        name: "x".into(),
        applications_open_on: None,
        applications_close_on: None,
        implementation_ends_on: None,
        acceptance_ends_on: None,
        capacity: None,
        state: BatchState::Planned.into(),
        note: String::new(),
        version: 1,
        created_at: now(),
        updated_at: now(),
    };
    let change = |id: &str| Change {
        action: "batch.create".into(),
        object_type: ObjectType::Batch,
        object_id: id.to_owned(),
        program_id: None,
        version: 1,
        op: Op::Create,
        before: None,
        after: Some(json!({}).into()),
    };
    // The database refuses the second insert (same number): the first goes too.
    let result = db.write(&Actor::system(), |tx| {
        let first = batch(90);
        programs::insert_batch(tx.conn(), &first)?;
        tx.record(change(&first.id));
        programs::insert_batch(tx.conn(), &batch(90))
    });
    assert!(matches!(result, Err(RepoError::Conflict(_))), "{result:?}");
    // The work itself gives up after writing.
    let result: Result<(), RepoError> = db.write(&Actor::system(), |tx| {
        let first = batch(91);
        programs::insert_batch(tx.conn(), &first)?;
        tx.record(change(&first.id));
        Err(RepoError::NotFound)
    });
    assert!(result.is_err());
    assert_eq!(count(&db), before);
}

fn the_audit_chain_verifies_and_detects_tampering(app: TestApp) {
    let admin = app.admin();
    let ok = admin.get("/audit-log/verify");
    assert_eq!(ok.body["intact"], true, "{}", ok.body);
    assert!(ok.body["entries"].as_i64().unwrap() > 5);
    // Rewrite history behind the API's back.
    let db = Db::connect(&app.db.url, 1).unwrap();
    db.write(&Actor::system(), |tx| -> Result<(), RepoError> {
        use diesel::RunQueryDsl;
        diesel::sql_query("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3")
            .execute(tx.conn())?;
        Ok(())
    })
    .unwrap();
    let broken = admin.get("/audit-log/verify");
    assert_eq!(broken.body["intact"], false);
    assert_eq!(broken.body["first_broken_seq"], 3);
    let city = app.user_with_grants(
        "auditee",
        json!([{"role": "city_admin", "program_id": app.program_id("jinan")}]),
    );
    city.get("/audit-log/verify")
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
}

fn the_change_feed_is_ordered_and_for_sync_clients_only(app: TestApp) {
    let admin = app.admin();
    let feed = all_changes(&admin);
    let seqs: Vec<i64> = feed.iter().map(|c| c["seq"].as_i64().unwrap()).collect();
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "gapless and ordered: {seqs:?}"
    );
    let sync = app.user_with_grants("national.platform", json!([{"role": "sync_client"}]));
    let programs_only = sync.get("/sync/changes?object_type=program&limit=500");
    assert_eq!(programs_only.body["items"].as_array().unwrap().len(), 5);
    let county = app.user_with_grants("county.x", json!([{"role": "county_admin", "program_id": app.program_id("jinan"), "region_codes": ["370102"]}]));
    county
        .get("/sync/changes")
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    sync.get("/sync/changes?after=-1")
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
}

fn migrations_run_from_empty_and_then_find_nothing_to_do(app: TestApp) {
    // The app migrated its empty database at start; again there is nothing.
    let db = Db::connect(&app.db.url, 1).unwrap();
    assert_eq!(db.migrate().unwrap(), 0);
    let fresh = shuzhuan_tests::TestDb::create(app.backend).unwrap();
    let db = Db::connect(&fresh.url, 1).unwrap();
    assert!(db.migrate().unwrap() >= 1);
    assert_eq!(db.migrate().unwrap(), 0);
}
