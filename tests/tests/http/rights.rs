//! The one table of rights, through HTTP (issue 16): every hole a new
//! user found trying every role against every object is closed here —
//! the per-enterprise cap at approval, who edits an enterprise, the
//! dossier's scope, programme moves, lists that agree with single reads,
//! what the feed carries, references into other programmes, races of the
//! upserts by code, and the right checked before the body says anything.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use shuzhuan_tests::{As, Resp, StatusCode, TestApp, both_backends, uscc};

use crate::http::projects::{Pilot, YUAN, ok, user_id};

both_backends!(
    the_enterprise_cap_holds_at_approval,
    concurrent_approvals_never_pass_the_enterprise_cap,
    only_the_offices_edit_enrolment_and_staff_their_profile,
    an_enterprise_never_moves_programme_by_an_edit,
    the_dossier_shows_each_project_only_to_its_readers,
    list_and_get_agree_when_an_assignment_lapses,
    sync_clients_get_business_records_only,
    ids_of_another_programme_are_refused,
    upserts_by_code_race_safely,
    the_right_comes_before_the_body,
    every_role_against_every_object_of_two_programmes,
);

fn xuchang_money(app: &TestApp) -> (String, As<'_>, As<'_>, String) {
    let program = app.program_id("xuchang");
    let grant = |role: &str| json!([{"role": role, "program_id": program}]);
    let city = app.user_with_grants("xc.city", grant("city_admin"));
    let finance = app.user_with_grants("xc.finance", grant("finance"));
    let pool = ok(finance.post(
        &format!("/programs/{program}/budget-pools"),
        json!({"name": "专项", "source": "central", "amount_fen": 10_000_000 * YUAN}),
    ))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    (program, city, finance, pool)
}

/// A proposed transformation subsidy for `enterprise` at `level` on an
/// all-software investment of `invested_yuan`.
fn propose(
    city: &As<'_>,
    program: &str,
    pool: &str,
    enterprise: &str,
    level: u8,
    invested_yuan: i64,
) -> Resp {
    city.post(
        &format!("/programs/{program}/subsidy-decisions"),
        json!({"pool_id": pool, "payee": "许昌某制造有限公司",
               "quote": {"enterprise_id": enterprise, "level": level, "as_of": "2026-11-01",
                         "line_items": [{"category": "software", "amount_fen": invested_yuan * YUAN}]}}),
    )
}

fn approve(finance: &As<'_>, program: &str, decision: &Value) -> Resp {
    finance.post_if_match(
        &format!(
            "/programs/{program}/subsidy-decisions/{}/approve",
            decision["id"].as_str().unwrap()
        ),
        decision["version"].as_i64().unwrap(),
        json!({}),
    )
}

/// Xuchang (seed 000 item 17): 50 % of the investment, at most 500,000
/// yuan per enterprise at levels 2 and 3. Two proposals of the whole cap
/// are each within it alone; approving the second would double it.
fn the_enterprise_cap_holds_at_approval(app: TestApp) {
    let (program, city, finance, pool) = xuchang_money(&app);
    let ent = app.enterprise_in("xuchang", 1);
    let first = ok(propose(&city, &program, &pool, &ent, 3, 1_200_000));
    let second = ok(propose(&city, &program, &pool, &ent, 3, 1_200_000));
    assert_eq!(first["amount_fen"], 500_000 * YUAN);
    assert_eq!(second["amount_fen"], 500_000 * YUAN);
    assert_eq!(first["cap_fen"], 500_000 * YUAN);
    ok(approve(&finance, &program, &first));
    approve(&finance, &program, &second)
        .assert_problem(StatusCode::CONFLICT, "enterprise_cap_exceeded");
    // Nothing of the refused approval stayed behind.
    let read = ok(finance.get(&format!(
        "/programs/{program}/subsidy-decisions/{}",
        second["id"].as_str().unwrap()
    )));
    assert_eq!(read["state"], "proposed");
    let pools = ok(finance.get(&format!("/programs/{program}/budget-pools/{pool}")));
    assert_eq!(pools["committed_fen"], 500_000 * YUAN);
    let ledger = ok(finance.get(&format!(
        "/programs/{program}/subsidy-ledger/enterprises/{ent}?as_of=2026-11-01"
    )));
    assert_eq!(ledger["approved_fen"], 500_000 * YUAN);
    assert_eq!(ledger["overrun_fen"], 0);
    assert_eq!(ledger["remaining_cap_fen"]["3"], 0);
}

/// Three approvals of 200,000 yuan each race for one enterprise's 500,000:
/// exactly two win on either database.
fn concurrent_approvals_never_pass_the_enterprise_cap(app: TestApp) {
    let (program, city, finance, pool) = xuchang_money(&app);
    let ent = app.enterprise_in("xuchang", 2);
    let decisions: Vec<Value> = (0..3)
        .map(|_| ok(propose(&city, &program, &pool, &ent, 2, 400_000)))
        .collect();
    let statuses: Vec<StatusCode> = std::thread::scope(|s| {
        let handles: Vec<_> = decisions
            .iter()
            .map(|d| {
                let (finance, program) = (&finance, &program);
                s.spawn(move || approve(finance, program, d).status)
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let won = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::CONFLICT)
        .count();
    assert_eq!((won, refused), (2, 1), "{statuses:?}");
    let ledger = ok(finance.get(&format!(
        "/programs/{program}/subsidy-ledger/enterprises/{ent}?as_of=2026-11-01"
    )));
    assert_eq!(ledger["approved_fen"], 400_000 * YUAN);
    let pools = ok(finance.get(&format!("/programs/{program}/budget-pools/{pool}")));
    assert_eq!(pools["committed_fen"], 400_000 * YUAN);
}

/// DOMAIN.md §2: observer, finance, evaluator, auditor and expert change
/// no enterprise record; staff edit contact and descriptive fields; the
/// offices (the county for its regions) edit the enrolment.
fn only_the_offices_edit_enrolment_and_staff_their_profile(app: TestApp) {
    let pilot = Pilot::new(&app, "yinchuan");
    let (id, ent_as) = pilot.enterprise(1);
    let project = pilot.submitted(&ent_as);
    pilot.assign(&project, "evaluator", &pilot.evaluator);
    pilot.assign(&project, "auditor", &pilot.auditor);
    let grant = |role: &str| json!([{"role": role, "program_id": pilot.program}]);
    let expert = app.user_with_grants("yc.expert", grant("expert"));
    pilot.assign(&project, "expert", &expert);
    let observer = app.user_with_grants("yc.observer", grant("observer"));
    let path = format!("/enterprises/{id}");
    for (who, name) in [
        (&observer, "observer"),
        (&pilot.finance, "finance"),
        (&pilot.evaluator, "evaluator"),
        (&pilot.auditor, "auditor"),
        (&expert, "expert"),
        (&pilot.provider, "provider"),
    ] {
        for body in [
            json!({"name": "改名"}),
            json!({"employees": 1, "revenue_fen": 1}),
            json!({"specialised": true}),
        ] {
            let res = who.patch(&path, 1, body);
            assert!(
                res.status == StatusCode::FORBIDDEN || res.status == StatusCode::NOT_FOUND,
                "{name} changed the enterprise: {} {}",
                res.status,
                res.body
            );
        }
    }
    assert_eq!(ok(pilot.city.get(&path))["version"], 1, "nothing changed");
    // Staff: contact yes, figures and flags no.
    let res = ok(ent_as.patch(&path, 1, json!({"contact_phone": "0951-6000000"})));
    assert_eq!(res["version"], 2);
    ent_as
        .patch(&path, 2, json!({"employees": 999}))
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    // The county office of its region edits the enrolment.
    let res = ok(pilot.county.patch(
        &path,
        2,
        json!({"employees": 260, "specialised": true, "little_giant": true}),
    ));
    assert_eq!(
        (res["employees"].as_i64(), res["little_giant"].as_bool()),
        (Some(260), Some(true))
    );
}

fn an_enterprise_never_moves_programme_by_an_edit(app: TestApp) {
    let pilot = Pilot::new(&app, "yinchuan");
    let (id, ent) = pilot.enterprise(2);
    pilot.submitted(&ent);
    let jinan = app.program_id("jinan");
    let path = format!("/enterprises/{id}");
    let res = pilot.city.patch(&path, 1, json!({"program_id": jinan}));
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(res.body["errors"][0]["code"], "program_immutable");
    let admin = app.admin();
    let res = admin.patch(&path, 1, json!({"program_id": jinan}));
    assert_eq!(res.body["errors"][0]["code"], "program_immutable");
    // Nor by the upsert.
    let uscc = ok(admin.get(&path))["uscc"].as_str().unwrap().to_owned();
    let res = admin.put(
        &format!("/enterprises/by-code/{uscc}"),
        json!({"name": "x", "program_id": jinan}),
    );
    assert_eq!(
        res.body["errors"][0]["code"], "program_immutable",
        "{}",
        res.body
    );
    // Jinan's office never sees it, nor its projects.
    let jinan_city = app.user_with_grants(
        "jn.city",
        json!([{"role": "city_admin", "program_id": jinan}]),
    );
    jinan_city
        .get(&format!("{path}/dossier"))
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(ok(pilot.city.get(&path))["program_id"], pilot.program);
}

fn the_dossier_shows_each_project_only_to_its_readers(app: TestApp) {
    let pilot = Pilot::new(&app, "yinchuan");
    let (id, ent) = pilot.enterprise(3);
    let project = pilot.submitted(&ent);
    let doc = pilot.upload(&ent, &project, "contract");
    let doc_path = format!("/documents/{}/content", doc["id"].as_str().unwrap());
    let dossier = format!("/enterprises/{id}/dossier");
    let grant = |role: &str| json!([{"role": role, "program_id": pilot.program}]);
    let expert = app.user_with_grants("yc.expert2", grant("expert"));
    // Unassigned evaluators, auditors and experts read none of it.
    for who in [&pilot.evaluator, &pilot.auditor, &expert] {
        who.get(&dossier)
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        who.get(&format!("{dossier}?format=zip"))
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        who.get(&doc_path)
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
    }
    // Assigned, the evaluator reads that project and its document.
    pilot.assign(&project, "evaluator", &pilot.evaluator);
    let read = ok(pilot.evaluator.get(&dossier));
    assert_eq!(read["projects"].as_array().unwrap().len(), 1);
    assert_eq!(read["projects"][0]["project"]["id"], project);
    assert_eq!(read["projects"][0]["documents"][0]["id"], doc["id"]);
    let zip = pilot.evaluator.get(&format!("{dossier}?format=zip"));
    assert_eq!(zip.status, StatusCode::OK);
    assert_eq!(pilot.evaluator.get(&doc_path).status, StatusCode::OK);
    // The auditor is still not assigned.
    pilot
        .auditor
        .get(&dossier)
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    // The enterprise's own staff and the city read it whole.
    for who in [&ent, &pilot.city] {
        assert_eq!(
            ok(who.get(&dossier))["projects"].as_array().unwrap().len(),
            1
        );
    }
}

/// An evaluator whose grant becomes an expert's no longer holds the
/// evaluator assignment: the list and the single read say the same.
fn list_and_get_agree_when_an_assignment_lapses(app: TestApp) {
    let pilot = Pilot::new(&app, "yinchuan");
    let (_, ent) = pilot.enterprise(4);
    let project = pilot.submitted(&ent);
    pilot.assign(&project, "evaluator", &pilot.evaluator);
    let list = format!("/programs/{}/projects", pilot.program);
    let ids = |who: &As<'_>| -> Vec<String> {
        ok(who.get(&list))["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&pilot.evaluator), std::slice::from_ref(&project));
    ok(pilot.evaluator.get(&format!("/projects/{project}")));
    let evaluator_id = user_id(&pilot.evaluator);
    let version = ok(app.admin().get(&format!("/users/{evaluator_id}")))["version"]
        .as_i64()
        .unwrap();
    ok(app.admin().put_if_match(
        &format!("/users/{evaluator_id}/grants"),
        version,
        json!([{"role": "expert", "program_id": pilot.program}]),
    ));
    assert_eq!(ids(&pilot.evaluator), Vec::<String>::new());
    pilot
        .evaluator
        .get(&format!("/projects/{project}"))
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
}

const INTERNAL: [&str; 4] = ["user", "session", "api_token", "webhook"];

fn sync_clients_get_business_records_only(app: TestApp) {
    let sync = app.user_with_grants("national.sync", json!([{"role": "sync_client"}]));
    // Internal changes: a user with a grant, a login, a token, a webhook.
    app.user_with_grants("some.observer", json!([{"role": "sync_client"}]));
    ok(sync.post("/api-tokens", json!({"name": "t"})));
    ok(sync.post(
        "/webhooks",
        json!({"url": "https://sync.example.gov.cn/h", "secret": "a-secret-of-enough-length", "event_types": ["*"]}),
    ));
    app.enterprise_in("yinchuan", 9);
    let types = |who: &As<'_>, query: &str| -> BTreeSet<String> {
        ok(who.get(&format!("/sync/changes?limit=500{query}")))["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["object_type"].as_str().unwrap().to_owned())
            .collect()
    };
    let seen = types(&sync, "");
    assert!(
        seen.contains("enterprise") && seen.contains("program"),
        "{seen:?}"
    );
    for t in INTERNAL {
        assert!(!seen.contains(t), "a sync client got {t}");
        assert!(types(&sync, &format!("&object_type={t}")).is_empty());
    }
    let all = types(&app.admin(), "");
    for t in ["user", "session", "api_token", "webhook"] {
        assert!(all.contains(t), "the platform admin misses {t}: {all:?}");
    }
}

fn ids_of_another_programme_are_refused(app: TestApp) {
    let (program, city, finance, pool) = xuchang_money(&app);
    let ours = app.enterprise_in("xuchang", 3);
    let other = app.enterprise_in("jinan", 4);
    let quote = |enterprise: &str| {
        city.post(
            &format!("/programs/{program}/subsidy-quotes"),
            json!({"enterprise_id": enterprise, "level": 2, "as_of": "2026-11-01",
                   "line_items": [{"category": "software", "amount_fen": 100_000}]}),
        )
    };
    assert_eq!(quote(&ours).status, StatusCode::OK);
    let res = quote(&other);
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(res.body["errors"][0]["code"], "unknown_enterprise");
    let res = propose(&city, &program, &pool, &other, 2, 100_000);
    assert_eq!(
        res.body["errors"][0]["code"], "unknown_enterprise",
        "{}",
        res.body
    );
    finance
        .get(&format!(
            "/programs/{program}/subsidy-ledger/enterprises/{other}"
        ))
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    finance
        .get(&format!(
            "/programs/{program}/subsidy-ledger/enterprises/no-such-enterprise"
        ))
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    // Another enterprise's ledger is as absent to staff as any foreign object.
    let staff = app.user_with_grants(
        "xc.staff",
        json!([{"role": "enterprise", "enterprise_id": ours}]),
    );
    ok(staff.get(&format!(
        "/programs/{program}/subsidy-ledger/enterprises/{ours}"
    )));
    let neighbour = app.enterprise_in("xuchang", 5);
    staff
        .get(&format!(
            "/programs/{program}/subsidy-ledger/enterprises/{neighbour}"
        ))
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    // A pool of another programme.
    let jinan = app.program_id("jinan");
    let jinan_finance = app.user_with_grants(
        "jn.finance",
        json!([{"role": "finance", "program_id": jinan}]),
    );
    let foreign_pool = ok(jinan_finance.post(
        &format!("/programs/{jinan}/budget-pools"),
        json!({"name": "济南", "source": "local", "amount_fen": 1_000_000}),
    ))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = propose(&city, &program, &foreign_pool, &ours, 2, 100_000);
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(res.body["errors"][0]["code"], "unknown_pool");
}

/// Sends `body` to `path` on the instance at `base` as `token`.
fn put_at(base: &str, token: &str, path: &str, body: &Value, if_match: Option<i64>) -> Resp {
    let mut req = reqwest::blocking::Client::new()
        .put(format!("{base}/api/v1{path}"))
        .bearer_auth(token)
        .json(body);
    if let Some(v) = if_match {
        req = req.header("If-Match", format!("\"{v}\""));
    }
    Resp::send(req)
}

fn upserts_by_code_race_safely(app: TestApp) {
    let second = app.another_instance();
    let sync = app.user_with_grants("national.sync2", json!([{"role": "sync_client"}]));
    let program = app.program_id("yinchuan");
    let enterprise = |name: &str| {
        json!({"name": name, "program_id": program, "region_code": "640122",
               "industry_code": "new_materials", "size_class": "small"})
    };
    let provider = |name: &str| {
        json!({"name": name, "kind": "scenario", "specialty": "specialist", "local": true,
               "scenarios": ["quality"]})
    };
    for (n, (collection, body)) in [
        ("enterprises", &enterprise as &dyn Fn(&str) -> Value),
        ("providers", &provider),
    ]
    .into_iter()
    .enumerate()
    {
        let path = format!("/{collection}/by-code/{}", uscc("640122", 500 + n as u32));
        // Two identical PUTs of a new code on two instances: one creates,
        // the other finds it unchanged.
        let same = body("同一主体");
        let mut statuses: Vec<u16> = std::thread::scope(|s| {
            let a = s.spawn(|| put_at(&app.base, &sync.token, &path, &same, None).status);
            let b = s.spawn(|| put_at(&second.base, &sync.token, &path, &same, None).status);
            vec![a.join().unwrap().as_u16(), b.join().unwrap().as_u16()]
        });
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 201], "{collection}");
        // Two different PUTs without If-Match: both land, the last wins.
        let (x, y) = (body("写入甲"), body("写入乙"));
        let statuses: Vec<StatusCode> = std::thread::scope(|s| {
            let a = s.spawn(|| put_at(&app.base, &sync.token, &path, &x, None).status);
            let b = s.spawn(|| put_at(&second.base, &sync.token, &path, &y, None).status);
            vec![a.join().unwrap(), b.join().unwrap()]
        });
        assert_eq!(statuses, [StatusCode::OK, StatusCode::OK], "{collection}");
        let now = ok(sync.get(&path));
        assert!(["写入甲", "写入乙"].contains(&now["name"].as_str().unwrap()));
        let version = now["version"].as_i64().unwrap();
        assert_eq!(version, 3, "{collection}: two changes after the creation");
        // A stale If-Match is the only 412.
        put_at(&app.base, &sync.token, &path, &body("迟到"), Some(1))
            .assert_problem(StatusCode::PRECONDITION_FAILED, "stale_version");
        let res = put_at(
            &app.base,
            &sync.token,
            &path,
            &body("按版本"),
            Some(version),
        );
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    }
}

/// Callers without the right get 403 whatever their body says, before
/// anything is looked up or validated.
fn the_right_comes_before_the_body(app: TestApp) {
    let pilot = Pilot::new(&app, "yinchuan");
    let p = &pilot.program;
    let grant = |role: &str| json!([{"role": role, "program_id": p}]);
    let observer = app.user_with_grants("yc.observer3", grant("observer"));
    let (_, ent) = pilot.enterprise(6);
    let garbage = json!({"no_such_field": [1, 2, 3]});
    let cases: Vec<(&As<'_>, &str, String)> = vec![
        (&observer, "POST", "/enterprises".into()),
        (&observer, "POST", "/providers".into()),
        (&ent, "POST", "/users".into()),
        (&pilot.city, "POST", "/programs".into()),
        (&observer, "POST", format!("/programs/{p}/batches")),
        (&ent, "POST", format!("/programs/{p}/budget-pools")),
        (
            &pilot.county,
            "POST",
            format!("/programs/{p}/subsidy-decisions"),
        ),
        (&pilot.county, "POST", format!("/programs/{p}/awards")),
        (&pilot.city, "POST", format!("/programs/{p}/disbursements")),
        (&observer, "POST", format!("/programs/{p}/subsidy-policies")),
        (
            &observer,
            "PUT",
            format!("/programs/{p}/document-requirements"),
        ),
        (&pilot.provider, "POST", format!("/programs/{p}/targets")),
        (&observer, "POST", format!("/programs/{p}/spot-checks")),
        (&pilot.finance, "POST", format!("/programs/{p}/events")),
        (&observer, "POST", format!("/programs/{p}/finance-products")),
        (&observer, "POST", format!("/programs/{p}/projects")),
        (&observer, "POST", "/webhooks".into()),
        (&ent, "POST", format!("/programs/{p}/provider-pool")),
    ];
    for (who, method, path) in cases {
        let req = who.req(method.parse().unwrap(), &path).json(&garbage);
        let res = Resp::send(req);
        assert_eq!(
            res.status,
            StatusCode::FORBIDDEN,
            "{method} {path}: {}",
            res.body
        );
    }
    // A provider's staff naming another provider: 403 whether it exists
    // or not, so nothing is learnt.
    let other = ok(pilot.city.post(
        "/providers",
        json!({"uscc": uscc("640122", 777), "name": "别家科技", "kind": "scenario",
               "specialty": "specialist", "local": true, "scenarios": ["quality"]}),
    ))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for provider_id in [other.as_str(), "no-such-provider"] {
        pilot
            .provider
            .post(
                "/products",
                json!({"provider_id": provider_id, "name": "产品", "scenarios": ["quality"],
                       "deployment": "saas"}),
            )
            .assert_problem(StatusCode::FORBIDDEN, "forbidden");
        pilot
            .provider
            .post(
                &format!("/programs/{p}/provider-pool"),
                json!({"provider_id": provider_id}),
            )
            .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    }
}

/// The objects of one programme a test touches.
struct Objects {
    program: String,
    enterprise: String,
    project: String,
    pool: String,
}

fn objects<'a>(pilot: &Pilot<'a>, n: u32) -> (Objects, As<'a>) {
    let (enterprise, ent) = pilot.enterprise(n);
    let project = pilot.submitted(&ent);
    let pool = ok(pilot.finance.post(
        &format!("/programs/{}/budget-pools", pilot.program),
        json!({"name": "池", "source": "local", "amount_fen": 1_000_000}),
    ))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    (
        Objects {
            program: pilot.program.clone(),
            enterprise,
            project,
            pool,
        },
        ent,
    )
}

/// The ids a list shows.
fn listed(who: &As<'_>, path: &str) -> Option<BTreeSet<String>> {
    let res = who.get(path);
    match res.status {
        StatusCode::OK => Some(
            res.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap_or_default().to_owned())
                .collect(),
        ),
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND => None,
        other => panic!("{path}: {other} {}", res.body),
    }
}

/// Every role of Yinchuan, and Xuchang's, against the objects of both:
/// nothing of the other programme is readable, and within its own every
/// list shows exactly what single reads show.
fn every_role_against_every_object_of_two_programmes(app: TestApp) {
    let yc = Pilot::new(&app, "yinchuan");
    let xc = Pilot::new(&app, "xuchang");
    let (a, a_ent) = objects(&yc, 11);
    let (b, b_ent) = objects(&xc, 12);
    yc.assign(&a.project, "evaluator", &yc.evaluator);
    xc.assign(&b.project, "auditor", &xc.auditor);
    let observer_a = app.user_with_grants(
        "yc.observer.matrix",
        json!([{"role": "observer", "program_id": a.program}]),
    );
    let callers: Vec<(&str, &As<'_>, &Objects, &Objects)> = vec![
        ("city", &yc.city, &a, &b),
        ("county", &yc.county, &a, &b),
        ("finance", &yc.finance, &a, &b),
        ("evaluator", &yc.evaluator, &a, &b),
        ("auditor", &yc.auditor, &a, &b),
        ("observer", &observer_a, &a, &b),
        ("enterprise", &a_ent, &a, &b),
        ("provider", &yc.provider, &a, &b),
        ("city", &xc.city, &b, &a),
        ("auditor", &xc.auditor, &b, &a),
        ("enterprise", &b_ent, &b, &a),
    ];
    for (role, who, own, other) in callers {
        // Nothing of the other programme.
        for path in [
            format!("/enterprises/{}", other.enterprise),
            format!("/enterprises/{}/dossier", other.enterprise),
            format!("/projects/{}", other.project),
            format!("/projects/{}/history", other.project),
            format!("/projects/{}/documents", other.project),
            format!("/programs/{}/budget-pools/{}", other.program, other.pool),
        ] {
            let res = who.get(&path);
            assert!(
                res.status == StatusCode::NOT_FOUND || res.status == StatusCode::FORBIDDEN,
                "{role} read {path}: {} {}",
                res.status,
                res.body
            );
        }
        let theirs =
            listed(who, &format!("/enterprises?program_id={}", other.program)).unwrap_or_default();
        assert!(
            !theirs.contains(&other.enterprise),
            "{role} lists {}",
            other.enterprise
        );
        let theirs =
            listed(who, &format!("/programs/{}/projects", other.program)).unwrap_or_default();
        assert!(
            theirs.is_empty(),
            "{role} lists the other programme's projects"
        );
        // Within its own: the list is exactly what single reads show.
        for (list, single, id) in [
            (
                format!("/enterprises?program_id={}&limit=500", own.program),
                format!("/enterprises/{}", own.enterprise),
                &own.enterprise,
            ),
            (
                format!("/programs/{}/projects?limit=500", own.program),
                format!("/projects/{}", own.project),
                &own.project,
            ),
        ] {
            let shown = listed(who, &list).unwrap_or_default().contains(id);
            let read = who.get(&single).status == StatusCode::OK;
            assert_eq!(shown, read, "{role}: {list} and {single} disagree");
        }
        // The dossier holds only projects the caller reads alone.
        let dossier = who.get(&format!("/enterprises/{}/dossier", own.enterprise));
        if dossier.status == StatusCode::OK {
            for record in dossier.body["projects"].as_array().unwrap() {
                let id = record["project"]["id"].as_str().unwrap();
                assert_eq!(
                    who.get(&format!("/projects/{id}")).status,
                    StatusCode::OK,
                    "{role}: the dossier shows project {id} a single read refuses"
                );
            }
        }
        // Only the offices and the enterprise's own staff edit it.
        let edit = who.patch(
            &format!("/enterprises/{}", own.enterprise),
            1,
            json!({"name": "改名"}),
        );
        let may = matches!(role, "city" | "county" | "enterprise");
        assert_eq!(
            edit.status == StatusCode::OK || edit.status == StatusCode::PRECONDITION_FAILED,
            may,
            "{role} editing its programme's enterprise: {} {}",
            edit.status,
            edit.body
        );
    }
}
