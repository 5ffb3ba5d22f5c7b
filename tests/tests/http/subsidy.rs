//! Subsidies over HTTP (issue 5): the seed cities' policies, quotes,
//! awards, pools, decisions, disbursements and the no-overdraw guarantee.

use serde_json::{Value, json};
use shuzhuan_tests::{As, Resp, StatusCode, TestApp, both_backends};

both_backends!(
    the_seed_policies_ship_with_the_packs,
    quotes_follow_the_seed_rules_and_refuse_without_a_rate,
    the_policy_version_in_force_on_the_day_applies,
    money_moves_from_pool_to_decision_to_disbursement_and_never_beyond,
    concurrent_approvals_never_overdraw_a_pool,
    shiyan_chain_master_award_is_capped,
);

const YUAN: i64 = 100;

fn quote(caller: &As<'_>, program: &str, level: u8, items: Value) -> Resp {
    caller.post(
        &format!("/programs/{program}/subsidy-quotes"),
        json!({"level": level, "line_items": items, "as_of": "2026-11-01"}),
    )
}

fn offices<'a>(app: &'a TestApp, code: &str) -> (String, As<'a>, As<'a>) {
    let id = app.program_id(code);
    let city = app.user_with_grants(
        &format!("{code}.city"),
        json!([{"role": "city_admin", "program_id": id}]),
    );
    let finance = app.user_with_grants(
        &format!("{code}.finance"),
        json!([{"role": "finance", "program_id": id}]),
    );
    (id, city, finance)
}

fn the_seed_policies_ship_with_the_packs(app: TestApp) {
    let admin = app.admin();
    let xuchang = app.program_id("xuchang");
    let list = admin.get(&format!("/programs/{xuchang}/subsidy-policies"));
    assert_eq!(list.body["items"][0]["version"], 1);
    let v1 = &list.body["items"][0]["terms"];
    assert_eq!(
        v1["levels"]["4"],
        json!({"rate_bp": 5000, "cap_fen": 1_000_000 * YUAN})
    );
    assert_eq!(
        v1["eligible_categories"],
        json!([
            "software",
            "cloud_service",
            "network_equipment",
            "data_acquisition_equipment"
        ])
    );
    let shiyan = app.program_id("shiyan");
    let awards = &admin
        .get(&format!("/programs/{shiyan}/subsidy-policies"))
        .body["items"][0]["terms"]["awards"];
    assert_eq!(
        awards[0],
        json!({"code": "chain_master_connection", "name": "链主企业带动中小企业接入工业互联网平台",
        "type": "per_unit", "unit_fen": 40_000 * YUAN, "cap_fen": 1_000_000 * YUAN, "payee": "chain_master", "source": "003 附件1 二：每新接入一家4万元，最高100万元"})
    );
    let jinan = app.program_id("jinan");
    let jinan_policy = &admin
        .get(&format!("/programs/{jinan}/subsidy-policies"))
        .body["items"][0]["terms"];
    assert_eq!(jinan_policy["levels"], json!({}));
    assert!(
        jinan_policy["eligible_categories"]
            .as_array()
            .unwrap()
            .contains(&json!("consulting"))
    );
}

fn quotes_follow_the_seed_rules_and_refuse_without_a_rate(app: TestApp) {
    let admin = app.admin();
    let xuchang = app.program_id("xuchang");
    // 000 item 17: level 3, 1,200,000 yuan of software → capped at 500,000.
    let q = quote(
        &admin,
        &xuchang,
        3,
        json!([{"category": "software", "amount_fen": 1_200_000 * YUAN}]),
    );
    assert_eq!(q.status, StatusCode::OK, "{}", q.body);
    assert_eq!(
        (q.body["subsidy_fen"].as_i64(), q.body["bound_by"].as_str()),
        (Some(500_000 * YUAN), Some("level_cap"))
    );
    assert_eq!(
        (
            q.body["rate_bp"].as_i64(),
            q.body["cap_fen"].as_i64(),
            q.body["policy_version"].as_i64()
        ),
        (Some(5000), Some(500_000 * YUAN), Some(1))
    );
    assert!(q.body["explanation"].as_array().unwrap().len() >= 3);
    // Level 4, 1,500,000 → 750,000 by the rate.
    let q = quote(
        &admin,
        &xuchang,
        4,
        json!([{"category": "software", "amount_fen": 1_500_000 * YUAN}]),
    );
    assert_eq!(q.body["subsidy_fen"], 750_000 * YUAN);
    // 003 附件1 一: Shiyan level 2, 600,000 → 120,000; level 3, 2,000,000 → 400,000.
    let shiyan = app.program_id("shiyan");
    assert_eq!(
        quote(
            &admin,
            &shiyan,
            2,
            json!([{"category": "hardware", "amount_fen": 600_000 * YUAN}])
        )
        .body["subsidy_fen"],
        120_000 * YUAN
    );
    assert_eq!(
        quote(
            &admin,
            &shiyan,
            3,
            json!([{"category": "software", "amount_fen": 2_000_000 * YUAN}])
        )
        .body["subsidy_fen"],
        400_000 * YUAN
    );
    // Level 1 gets nothing, with the reason.
    let q = quote(
        &admin,
        &shiyan,
        1,
        json!([{"category": "software", "amount_fen": 100 * YUAN}]),
    );
    assert_eq!(
        (q.body["subsidy_fen"].as_i64(), q.body["bound_by"].as_str()),
        (Some(0), Some("level"))
    );
    // Jinan, Changji, Yinchuan set no rate: a 422 naming it, never zero.
    for code in ["jinan", "changji", "yinchuan"] {
        let id = app.program_id(code);
        let res = quote(
            &admin,
            &id,
            3,
            json!([{"category": "software", "amount_fen": 100 * YUAN}]),
        );
        res.assert_problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "policy_sets_no_rate_for_level",
        );
        assert_eq!(res.body["errors"], json!([]), "{code}: not a field error");
    }
    let bad = quote(
        &admin,
        &xuchang,
        2,
        json!([{"category": "vehicles", "amount_fen": 1}]),
    );
    assert_eq!(bad.error_fields(), ["line_items[0].category"]);
}

fn the_policy_version_in_force_on_the_day_applies(app: TestApp) {
    let (xuchang, city, _) = offices(&app, "xuchang");
    let v2 = city.post(
        &format!("/programs/{xuchang}/subsidy-policies"),
        json!({
            "effective_from": "2027-01-01",
            "levels": {"2": {"rate_bp": 3000, "cap_fen": 300_000 * YUAN}},
            "eligible_categories": ["software"],
            "note": "a later version for the test"
        }),
    );
    assert_eq!(v2.status, StatusCode::CREATED, "{}", v2.body);
    assert_eq!(v2.body["version"], 2);
    let body = |as_of: &str| json!({"level": 2, "line_items": [{"category": "software", "amount_fen": 100_000 * YUAN}], "as_of": as_of});
    let before = city.post(
        &format!("/programs/{xuchang}/subsidy-quotes"),
        body("2026-12-31"),
    );
    let after = city.post(
        &format!("/programs/{xuchang}/subsidy-quotes"),
        body("2027-01-01"),
    );
    assert_eq!(
        (
            before.body["policy_version"].as_i64(),
            before.body["subsidy_fen"].as_i64()
        ),
        (Some(1), Some(50_000 * YUAN))
    );
    assert_eq!(
        (
            after.body["policy_version"].as_i64(),
            after.body["subsidy_fen"].as_i64()
        ),
        (Some(2), Some(30_000 * YUAN))
    );
    let early = city.post(
        &format!("/programs/{xuchang}/subsidy-quotes"),
        body("2020-01-01"),
    );
    early.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "no_policy_in_force");
    let bad = city.post(
        &format!("/programs/{xuchang}/subsidy-policies"),
        json!({"effective_from": "2027-01-01", "levels": {"3": {"rate_bp": 20000}}}),
    );
    assert_eq!(bad.error_fields(), ["levels.3.rate_bp"]);
    let bad_key = city.post(
        &format!("/programs/{xuchang}/subsidy-policies"),
        json!({"effective_from": "2027-01-01", "levels": {"two": {"rate_bp": 100}}}),
    );
    assert_eq!(bad_key.error_fields(), ["levels.two"]);
    assert_eq!(bad_key.body["errors"][0]["code"], "unknown_level");
    let county = app.user_with_grants(
        "weidu.county",
        json!([{"role": "county_admin", "program_id": xuchang, "region_codes": ["411002"]}]),
    );
    county
        .post(
            &format!("/programs/{xuchang}/subsidy-policies"),
            json!({"effective_from": "2027-01-01"}),
        )
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
}

fn money_moves_from_pool_to_decision_to_disbursement_and_never_beyond(app: TestApp) {
    let (xuchang, city, finance) = offices(&app, "xuchang");
    let pool = finance.post(
        &format!("/programs/{xuchang}/budget-pools"),
        json!({"name": "中央专项 2026", "source": "central", "amount_fen": 1_000_000 * YUAN}),
    );
    assert_eq!(pool.status, StatusCode::CREATED, "{}", pool.body);
    let pool_id = pool.body["id"].as_str().unwrap().to_owned();
    city.post(
        &format!("/programs/{xuchang}/budget-pools"),
        json!({"name": "x", "source": "local", "amount_fen": 1}),
    )
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");

    let ent = app.enterprise_in("xuchang", 1);
    let decide = |level: u8, amount_yuan: i64| {
        city.post(&format!("/programs/{xuchang}/subsidy-decisions"), json!({
        "pool_id": pool_id, "payee": "许昌某电气有限公司",
        "quote": {"enterprise_id": ent, "level": level,
                  "line_items": [{"category": "software", "amount_fen": amount_yuan * YUAN}], "as_of": "2026-11-01"}}))
    };
    let d = decide(3, 1_200_000);
    assert_eq!(d.status, StatusCode::CREATED, "{}", d.body);
    assert_eq!(
        (d.body["amount_fen"].as_i64(), d.body["state"].as_str()),
        (Some(500_000 * YUAN), Some("proposed"))
    );
    let id = d.body["id"].as_str().unwrap().to_owned();
    let approve = format!("/programs/{xuchang}/subsidy-decisions/{id}/approve");
    city.post_if_match(&approve, 1, json!({}))
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let ok = finance.post_if_match(&approve, 1, json!({}));
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.body["state"], "approved");
    finance
        .post_if_match(&approve, 2, json!({}))
        .assert_problem(StatusCode::CONFLICT, "not_proposed");

    let pay = |amount_yuan: i64, reference: &str| {
        finance.post(&format!("/programs/{xuchang}/disbursements"), json!({
        "decision_id": id, "amount_fen": amount_yuan * YUAN, "paid_on": "2026-11-15", "reference": reference}))
    };
    assert_eq!(pay(300_000, "XC-1").status, StatusCode::CREATED);
    assert_eq!(pay(200_000, "XC-2").status, StatusCode::CREATED);
    pay(1, "XC-3").assert_problem(StatusCode::CONFLICT, "exceeds_decision");

    let pools = finance.get(&format!("/programs/{xuchang}/budget-pools"));
    let p = &pools.body["items"][0];
    assert_eq!(
        (
            p["committed_fen"].as_i64(),
            p["disbursed_fen"].as_i64(),
            p["available_fen"].as_i64()
        ),
        (
            Some(500_000 * YUAN),
            Some(500_000 * YUAN),
            Some(500_000 * YUAN)
        )
    );
    let paid = finance.get(&format!("/programs/{xuchang}/disbursements"));
    assert_eq!(paid.body["items"].as_array().unwrap().len(), 2);

    // 000 item 17: the enterprise has had its 500,000; levels 2–3 leave nothing, level 4 leaves 500,000.
    let ledger = finance.get(&format!(
        "/programs/{xuchang}/subsidy-ledger/enterprises/{ent}?as_of=2026-11-01"
    ));
    assert_eq!(ledger.body["received_fen"], 500_000 * YUAN);
    assert_eq!(
        ledger.body["remaining_cap_fen"],
        json!({"2": 0, "3": 0, "4": 500_000 * YUAN})
    );
    decide(2, 400_000).assert_problem(StatusCode::CONFLICT, "nothing_to_pay");
    let more = decide(4, 2_000_000);
    assert_eq!(
        more.body["amount_fen"],
        500_000 * YUAN,
        "the level-4 cap less what was received"
    );
    // Every money event is in the audit log.
    let log = app.admin().get(&format!(
        "/audit-log?program_id={xuchang}&object_type=disbursement"
    ));
    assert_eq!(log.body["items"].as_array().unwrap().len(), 2);
}

fn concurrent_approvals_never_overdraw_a_pool(app: TestApp) {
    let (xuchang, city, finance) = offices(&app, "xuchang");
    let pool = finance.post(
        &format!("/programs/{xuchang}/budget-pools"),
        json!({"name": "small", "source": "local", "amount_fen": 1_000_000}),
    );
    let pool_id = pool.body["id"].as_str().unwrap().to_owned();
    // Twelve decisions of 100,000 fen (50% of 200,000) against 1,000,000.
    let ids: Vec<String> = (0..12)
        .map(|i| {
            let ent = app.enterprise_in("xuchang", i);
            let d = city.post(&format!("/programs/{xuchang}/subsidy-decisions"), json!({
                "pool_id": pool_id, "payee": format!("企业{i}"),
                "quote": {"enterprise_id": ent, "level": 2,
                          "line_items": [{"category": "software", "amount_fen": 200_000}], "as_of": "2026-11-01"}}));
            assert_eq!(d.body["amount_fen"], 100_000, "{}", d.body);
            d.body["id"].as_str().unwrap().to_owned()
        })
        .collect();
    let statuses: Vec<StatusCode> = std::thread::scope(|s| {
        let handles: Vec<_> = ids
            .iter()
            .map(|id| {
                let (finance, xuchang) = (&finance, &xuchang);
                s.spawn(move || {
                    finance
                        .post_if_match(
                            &format!("/programs/{xuchang}/subsidy-decisions/{id}/approve"),
                            1,
                            json!({}),
                        )
                        .status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::CONFLICT)
        .count();
    assert_eq!((ok, refused), (10, 2), "{statuses:?}");
    let p = &finance
        .get(&format!("/programs/{xuchang}/budget-pools"))
        .body["items"][0];
    assert_eq!(
        (p["committed_fen"].as_i64(), p["available_fen"].as_i64()),
        (Some(1_000_000), Some(0))
    );
    let decisions = finance
        .get(&format!("/programs/{xuchang}/subsidy-decisions"))
        .body;
    let approved = decisions["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["state"] == "approved")
        .count();
    assert_eq!(
        approved, 10,
        "every accepted approval is in the ledger, and only those"
    );
}

fn shiyan_chain_master_award_is_capped(app: TestApp) {
    let (shiyan, city, finance) = offices(&app, "shiyan");
    let pool = finance.post(
        &format!("/programs/{shiyan}/budget-pools"),
        json!({"name": "省级奖补", "source": "central", "amount_fen": 5_000_000 * YUAN}),
    );
    let pool_id = pool.body["id"].as_str().unwrap();
    let award = |code: &str, units: Option<i64>| {
        city.post(&format!("/programs/{shiyan}/awards"), json!({
        "award_code": code, "units": units, "payee": "东风某链主企业", "pool_id": pool_id, "as_of": "2025-06-01"}))
    };
    let capped = award("chain_master_connection", Some(30));
    assert_eq!(capped.status, StatusCode::CREATED, "{}", capped.body);
    assert_eq!(
        (
            capped.body["amount_fen"].as_i64(),
            capped.body["kind"].as_str()
        ),
        (Some(1_000_000 * YUAN), Some("award"))
    );
    assert_eq!(
        award("chain_master_connection", Some(12)).body["amount_fen"],
        480_000 * YUAN
    );
    assert_eq!(
        award("provincial_demonstration", None).body["amount_fen"],
        200_000 * YUAN
    );
    assert_eq!(
        award("no_such_award", None).body["errors"][0]["code"],
        "unknown_award"
    );
    assert_eq!(
        award("chain_master_connection", None).body["errors"][0]["code"],
        "units_required"
    );
}
