//! The policy language over HTTP (issue 20): a city writes each rule kind
//! through `…/subsidy-policies` and quotes it through `…/subsidy-quotes`
//! and `…/award-quotes`; the amounts are worked out by hand beside each
//! assertion. The versions take effect in 2030 so the seed versions stay
//! in force for every other test.

use serde_json::{Value, json};
use shuzhuan_tests::{As, StatusCode, TestApp, both_backends};

both_backends!(
    each_rule_kind_is_published_and_quoted,
    each_award_kind_is_quoted_and_proposed,
    a_draft_is_quoted_as_indicative_and_unpayable_rules_are_refused,
    money_by_source_and_purpose_checks_the_earmarks,
);

const WAN: i64 = 10_000 * 100;

fn city<'a>(app: &'a TestApp, code: &str) -> (String, As<'a>) {
    let id = app.program_id(code);
    let city = app.user_with_grants(
        &format!("{code}.city"),
        json!([{"role": "city_admin", "program_id": id}]),
    );
    (id, city)
}

fn publish(city: &As<'_>, program: &str, terms: Value) -> Value {
    let r = city.post(&format!("/programs/{program}/subsidy-policies"), terms);
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body
}

fn quote(city: &As<'_>, program: &str, body: Value) -> Value {
    let r = city.post(&format!("/programs/{program}/subsidy-quotes"), body);
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
}

fn software(level: u8, fen: i64) -> Value {
    json!({"level": level, "line_items": [{"category": "software", "amount_fen": fen}], "as_of": "2030-06-01"})
}

fn each_rule_kind_is_published_and_quoted(app: TestApp) {
    let (jinan, city) = city(&app, "jinan");
    // A fixed 20% (Shiyan's wording), level 1 paid, a 50万 minimum, bands
    // from 100万 (cap 20万) and 500万 (25%, cap 80万), half advanced, the
    // provider paid, a 100万 cap on an enterprise's total.
    let v = publish(
        &city,
        &jinan,
        json!({
            "effective_from": "2030-01-01", "effective_to": "2031-01-01",
            "document_number": "济工信发〔2029〕1号", "adopted_on": "2029-12-01",
            "levels": {"1": {"rate_bp": 2000}, "2": {"rate_bp": 2000}, "3": {"rate_bp": 2000, "cap_fen": 90 * WAN}},
            "rate_kind": "fixed", "min_level": 1, "min_investment_fen": 50 * WAN,
            "investment_bands": [
                {"from_fen": 0, "cap_fen": 20 * WAN},
                {"from_fen": 500 * WAN, "cap_fen": 80 * WAN, "rate_bp": 2500}
            ],
            "eligible_categories": ["software"], "enterprise_cap_fen": 100 * WAN,
            "payee": "provider", "pre_allocation_bp": 5000,
            "note": "a test city"
        }),
    );
    let version = v["version"].as_i64().unwrap();
    assert_eq!(v["terms"]["rate_kind"], "fixed");
    assert_eq!(v["terms"]["investment_bands"][1]["rate_bp"], 2500);
    let read = city.get(&format!("/programs/{jinan}/subsidy-policies/{version}"));
    assert_eq!(read.body["terms"], v["terms"]);

    // Below the minimum: nothing, and why.
    let q = quote(&city, &jinan, software(2, 50 * WAN - 1));
    assert_eq!(
        (q["subsidy_fen"].as_i64(), q["bound_by"].as_str()),
        (Some(0), Some("minimum_investment"))
    );
    // At the minimum: 20% of 50万 = 10万; half (5万) advanced; the provider is paid.
    let q = quote(&city, &jinan, software(1, 50 * WAN));
    assert_eq!(q["subsidy_fen"], 10 * WAN);
    assert_eq!(q["pre_allocation_fen"], 5 * WAN);
    assert_eq!(q["payee"], "provider");
    assert_eq!(q["policy_version"], version);
    assert!(
        q["explanation"][0]["text_zh"]
            .as_str()
            .unwrap()
            .contains("济工信发〔2029〕1号")
    );
    // First band: 20% of 200万 = 40万, cut to the band's 20万.
    let q = quote(&city, &jinan, software(2, 200 * WAN));
    assert_eq!(
        (q["subsidy_fen"].as_i64(), q["bound_by"].as_str()),
        (Some(20 * WAN), Some("band_cap"))
    );
    // Second band's own rate: 25% of 300万+… at 500万 = 125万 → 80万; at
    // level 3 the level cap of 90万 does not bind.
    let q = quote(&city, &jinan, software(3, 500 * WAN));
    assert_eq!(
        (
            q["subsidy_fen"].as_i64(),
            q["rate_bp"].as_i64(),
            q["bound_by"].as_str()
        ),
        (Some(80 * WAN), Some(2500), Some("band_cap"))
    );
    // The fixed rate cannot be lowered.
    let mut lowered = software(2, 100 * WAN);
    lowered["rate_bp"] = json!(1000);
    let r = city.post(&format!("/programs/{jinan}/subsidy-quotes"), lowered);
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["code"], "rate_fixed_by_policy");
    // Settlement: 20万 due, 25万 advanced → 5万 clawed back; 15万 → 5万 paid.
    let mut settle = software(2, 200 * WAN);
    settle["pre_allocated_fen"] = json!(25 * WAN);
    let q = quote(&city, &jinan, settle.clone());
    assert_eq!(q["settlement_fen"], -5 * WAN);
    assert_eq!(
        q["explanation"].as_array().unwrap().last().unwrap()["rule"],
        "claw_back"
    );
    settle["pre_allocated_fen"] = json!(15 * WAN);
    assert_eq!(quote(&city, &jinan, settle)["settlement_fen"], 5 * WAN);
    // After the validity ends, no version of 2030 applies: the seed's
    // rates-not-set version is in force again.
    let mut later = software(2, 100 * WAN);
    later["as_of"] = json!("2031-01-01");
    let r = city.post(&format!("/programs/{jinan}/subsidy-quotes"), later);
    assert_ne!(r.body["policy_version"], version, "{}", r.body);
}

fn award_quote(city: &As<'_>, program: &str, body: Value) -> (StatusCode, Value) {
    let r = city.post(&format!("/programs/{program}/award-quotes"), body);
    (r.status, r.body)
}

fn each_award_kind_is_quoted_and_proposed(app: TestApp) {
    let (changji, city) = city(&app, "changji");
    publish(
        &city,
        &changji,
        json!({
            "effective_from": "2030-01-01", "eligible_categories": ["software"],
            "awards": [
                {"code": "grant", "name": "重大项目奖励", "type": "up_to", "max_fen": 300 * WAN},
                {"code": "output", "name": "新增产值奖励", "type": "tiered", "figure": "新增产值（万元）",
                 "tiers": [{"from": 50000, "amount_fen": 50 * WAN}, {"from": 100000, "amount_fen": 100 * WAN},
                           {"from": 300000, "amount_fen": 200 * WAN}, {"from": 500000, "amount_fen": 300 * WAN}]},
                {"code": "interest", "name": "贷款贴息", "type": "per_period", "rate_bp": 3000,
                 "period_cap_fen": 100 * WAN, "max_periods": 3},
                {"code": "entry", "name": "首次入规奖励", "type": "instalments",
                 "amounts_fen": [10 * WAN, 20 * WAN, 30 * WAN], "condition": "保持规上企业",
                 "payee": "enterprise"}
            ]
        }),
    );
    let on = |mut b: Value| {
        b["as_of"] = json!("2030-03-01");
        award_quote(&city, &changji, b)
    };
    let ok = |b: Value| {
        let (status, body) = on(b);
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    };
    let refused = |b: Value| {
        let (status, body) = on(b);
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        body["errors"][0]["code"].as_str().unwrap().to_owned()
    };
    // Up to 300万: the decided amount, at the maximum and one fen above.
    assert_eq!(
        ok(json!({"award_code": "grant", "decided_fen": 300 * WAN}))["amount_fen"],
        300 * WAN
    );
    assert_eq!(
        refused(json!({"award_code": "grant", "decided_fen": 300 * WAN + 1})),
        "decided_above_maximum"
    );
    assert_eq!(
        refused(json!({"award_code": "grant"})),
        "decided_amount_required"
    );
    // A field the body does not take is refused, on the quote and the
    // proposal alike.
    let (status, body) = on(json!({"award_code": "grant", "decided_fen": 1, "decided": 1}));
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.to_string().contains("decided"), "{body}");
    // Tiers: just below 5亿 nothing, at 10亿 100万, far above 300万.
    assert_eq!(
        ok(json!({"award_code": "output", "figure": 49_999}))["amount_fen"],
        0
    );
    assert_eq!(
        ok(json!({"award_code": "output", "figure": 100_000}))["amount_fen"],
        100 * WAN
    );
    assert_eq!(
        ok(json!({"award_code": "output", "figure": 900_000}))["amount_fen"],
        300 * WAN
    );
    assert_eq!(refused(json!({"award_code": "output"})), "figure_required");
    // Interest: 30% of 250万 = 75万; of 400万 = 120万 → 100万; of 200万 =
    // 60万; the fourth year is beyond the three paid: 235万.
    let q = ok(
        json!({"award_code": "interest", "period_bases_fen": [250 * WAN, 400 * WAN, 200 * WAN, 100 * WAN]}),
    );
    assert_eq!(
        (q["amount_fen"].as_i64(), q["capped"].as_bool()),
        (Some(235 * WAN), Some(true))
    );
    assert_eq!(
        refused(json!({"award_code": "interest"})),
        "period_bases_required"
    );
    // Instalments: the second is 20万; once the firm left 规上 the second
    // and third (50万) are forfeited.
    assert_eq!(
        ok(json!({"award_code": "entry", "instalment": 2, "condition_met": true}))["amount_fen"],
        20 * WAN
    );
    let lost = ok(json!({"award_code": "entry", "instalment": 2, "condition_met": false}));
    assert_eq!(
        (lost["amount_fen"].as_i64(), lost["forfeited_fen"].as_i64()),
        (Some(0), Some(50 * WAN))
    );
    assert_eq!(
        refused(json!({"award_code": "entry", "instalment": 4, "condition_met": true})),
        "instalment_out_of_range"
    );
    assert_eq!(
        refused(json!({"award_code": "entry", "instalment": 1})),
        "condition_required"
    );

    // Proposed as a decision, the amount is the quote's.
    let finance = app.user_with_grants(
        "changji.finance",
        json!([{"role": "finance", "program_id": changji}]),
    );
    let pool = finance.post(
        &format!("/programs/{changji}/budget-pools"),
        json!({"name": "市级奖补", "source": "city", "amount_fen": 1000 * WAN}),
    );
    assert_eq!(pool.status, StatusCode::CREATED, "{}", pool.body);
    let d = city.post(
        &format!("/programs/{changji}/awards"),
        json!({"award_code": "interest", "period_bases_fen": [250 * WAN], "as_of": "2030-03-01",
               "payee": "昌吉某企业", "pool_id": pool.body["id"]}),
    );
    assert_eq!(d.status, StatusCode::CREATED, "{}", d.body);
    assert_eq!(d.body["amount_fen"], 75 * WAN);
    let stray = city.post(
        &format!("/programs/{changji}/awards"),
        json!({"award_code": "interest", "period_bases_fen": [250 * WAN], "as_of": "2030-03-01",
               "payee": "昌吉某企业", "pool_id": pool.body["id"], "pool": "x"}),
    );
    assert_eq!(
        stray.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        stray.body
    );
}

fn a_draft_is_quoted_as_indicative_and_unpayable_rules_are_refused(app: TestApp) {
    let (yinchuan, city) = city(&app, "yinchuan");
    publish(
        &city,
        &yinchuan,
        json!({
            "effective_from": "2030-01-01", "status": "draft",
            "levels": {"2": {"rate_bp": 5000, "cap_fen": 50 * WAN}},
            "eligible_categories": ["software"]
        }),
    );
    let q = quote(&city, &yinchuan, software(2, 200 * WAN));
    assert_eq!(
        (q["draft"].as_bool(), q["subsidy_fen"].as_i64()),
        (Some(true), Some(50 * WAN))
    );
    assert_eq!(q["explanation"][0]["rule"], "draft_policy");
    // A maximum rate may be lowered.
    let mut lower = software(2, 60 * WAN);
    lower["rate_bp"] = json!(4000);
    assert_eq!(quote(&city, &yinchuan, lower)["subsidy_fen"], 24 * WAN);

    let r = city.post(
        &format!("/programs/{yinchuan}/subsidy-policies"),
        json!({
            "effective_from": "2030-01-01", "eligible_categories": ["software"],
            "investment_bands": [{"from_fen": 100, "cap_fen": 1}, {"from_fen": 100, "cap_fen": 2}],
            "awards": [{"code": "t", "name": "t", "type": "tiered", "figure": "f", "tiers": []}]
        }),
    );
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["investment_bands.1", "awards"]);
    let r = city.post(
        &format!("/programs/{yinchuan}/subsidy-policies"),
        json!({"effective_from": "2030-01-01", "rate_kind": "sometimes"}),
    );
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
}

/// Pools by source and purpose, the programme's earmark checked against
/// them: 800万 of 1100万 central money is 72.72%, short of 80%.
fn money_by_source_and_purpose_checks_the_earmarks(app: TestApp) {
    let (xuchang, city) = city(&app, "xuchang");
    let finance = app.user_with_grants(
        "xuchang.finance",
        json!([{"role": "finance", "program_id": xuchang}]),
    );
    let path = format!("/programs/{xuchang}");
    let version = city.get(&path).body["version"].as_i64().unwrap();
    let bad = city.patch(
        &path,
        version,
        json!({"earmarks": [
            {"source": "central", "purpose": "enterprise_transformation", "min_share_bp": 8000},
            {"source": "central", "purpose": "awards", "min_share_bp": 3000}
        ]}),
    );
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert_eq!(bad.body["errors"][0]["code"], "shares_above_whole");
    let p = city.patch(
        &path,
        version,
        json!({"earmarks": [{"source": "central", "purpose": "enterprise_transformation", "min_share_bp": 8000, "basis": "资金管理办法"}]}),
    );
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert_eq!(p.body["earmarks"][0]["min_share_bp"], 8000);
    for (name, source, purpose, amount) in [
        (
            "中央-改造",
            "central",
            "enterprise_transformation",
            800 * WAN,
        ),
        ("中央-平台", "central", "service_platform", 300 * WAN),
        ("市级-改造", "city", "enterprise_transformation", 200 * WAN),
    ] {
        let r = finance.post(
            &format!("/programs/{xuchang}/budget-pools"),
            json!({"name": name, "source": source, "purpose": purpose, "amount_fen": amount}),
        );
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(r.body["purpose"], purpose);
    }
    let view = finance.get(&format!("/programs/{xuchang}/fund-compliance"));
    assert_eq!(view.status, StatusCode::OK, "{}", view.body);
    let v = view.body;
    assert_eq!(v["total"]["allocated_fen"], 1300 * WAN);
    // Per source its total line, then its purposes.
    let lines: Vec<(&str, Option<&str>, i64, u64)> = v["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["source"].as_str().unwrap(),
                l["purpose"].as_str(),
                l["allocated_fen"].as_i64().unwrap(),
                l["share_bp"].as_u64().unwrap(),
            )
        })
        .collect();
    // 800/1100 = 72.727…% → 7272 bp; 300/1100 → 2727 bp.
    assert_eq!(
        lines,
        [
            ("central", None, 1100 * WAN, 10_000),
            (
                "central",
                Some("enterprise_transformation"),
                800 * WAN,
                7272
            ),
            ("central", Some("service_platform"), 300 * WAN, 2727),
            ("city", None, 200 * WAN, 10_000),
            ("city", Some("enterprise_transformation"), 200 * WAN, 10_000),
        ]
    );
    assert_eq!(
        (
            v["earmarks"][0]["allocated_share_bp"].as_u64(),
            v["earmarks"][0]["met"].as_bool()
        ),
        (Some(7272), Some(false))
    );
    // The same lines as a sheet for the evaluation.
    let sheet = finance.get(&format!("/programs/{xuchang}/fund-compliance?format=csv"));
    assert_eq!(sheet.status, StatusCode::OK);
    let text = sheet.body.as_str().unwrap_or_default().to_owned();
    assert!(
        text.contains("资金来源") && text.contains("72.72"),
        "{text}"
    );
    // The dashboard carries the same view for those who read money, and
    // none for a county office (it reads targets, not the programme's money).
    let dash = finance.get(&format!("/programs/{xuchang}/dashboard"));
    assert_eq!(dash.body["funds"]["lines"], v["lines"]);
    let county = app.user_with_grants(
        "xuchang.county",
        json!([{"role": "county_admin", "program_id": xuchang, "region_codes": ["411002"]}]),
    );
    let dash = county.get(&format!("/programs/{xuchang}/dashboard"));
    assert_eq!(dash.status, StatusCode::OK, "{}", dash.body);
    assert!(dash.body["funds"].is_null());
    // Money is not a provider's to read.
    let provider = app.user_with_grants(
        "xuchang.someone",
        json!([{"role": "provider", "provider_id": "none"}]),
    );
    assert_eq!(
        provider
            .get(&format!("/programs/{xuchang}/fund-compliance"))
            .status,
        StatusCode::FORBIDDEN
    );
}
