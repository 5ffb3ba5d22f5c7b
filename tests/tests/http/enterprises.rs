//! Enterprises (issue 3, first part): the credit code, codes of the
//! programme, scope per role, If-Match, and the idempotent upsert by code.

use serde_json::{Value, json};
use shuzhuan_tests::{As, Resp, StatusCode, TestApp, both_backends};

both_backends!(
    a_city_office_registers_an_enterprise_with_a_valid_credit_code,
    enterprises_are_found_by_filters_and_pages,
    each_role_sees_only_the_enterprises_in_its_scope,
    patch_needs_if_match_and_staff_keep_to_their_profile,
    the_same_upsert_by_code_twice_changes_nothing,
);

/// Valid codes (GB 32100 check characters computed).
const HELAN: &str = "916401223A000H0C6X";
const HELAN_2: &str = "916401224283FEFC6M";
const YONGNING: &str = "916401223F0CD0E87F";

fn register(city: &As<'_>, program: &str, uscc: &str, region: &str, extra: Value) -> Resp {
    let mut body = json!({"uscc": uscc, "name": format!("宁夏{uscc}新材料有限公司"), "program_id": program,
        "region_code": region, "industry_code": "new_materials", "size_class": "small"});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    city.post("/enterprises", body)
}

fn a_city_office_registers_an_enterprise_with_a_valid_credit_code(app: TestApp) {
    let yinchuan = app.program_id("yinchuan");
    let city = app.user_with_grants(
        "yc.city",
        json!([{"role": "city_admin", "program_id": yinchuan}]),
    );
    let res = register(
        &city,
        &yinchuan,
        HELAN,
        "640122",
        json!({"specialised": true, "little_giant": true, "above_designated_size": true}),
    );
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(
        (
            res.body["uscc"].as_str(),
            res.body["tier"].as_str(),
            res.body["version"].as_i64()
        ),
        (Some(HELAN), Some("reserve"), Some(1))
    );
    let id = res.body["id"].as_str().unwrap();
    assert_eq!(
        city.get(&format!("/enterprises/{id}")).body["name"],
        res.body["name"]
    );
    assert_eq!(
        city.get(&format!("/enterprises/by-code/{}", HELAN.to_lowercase()))
            .body["id"],
        id
    );

    // A wrong check character names the field, in Chinese when asked.
    let wrong = format!("{}Y", &HELAN[..17]);
    let res = Resp::send(
        city.req(reqwest::Method::POST, "/enterprises")
            .header("Accept-Language", "zh-CN")
            .json(&json!({
        "uscc": wrong, "name": "x", "program_id": yinchuan, "size_class": "small"})),
    );
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(
        (
            res.body["errors"][0]["field"].as_str(),
            res.body["errors"][0]["code"].as_str()
        ),
        (Some("uscc"), Some("uscc_check_character"))
    );
    assert_eq!(
        res.body["errors"][0]["message"],
        "校验码应为 `X`，而不是 `Y`"
    );

    register(&city, &yinchuan, HELAN, "640122", json!({}))
        .assert_problem(StatusCode::CONFLICT, "uscc_taken");
    let res = register(
        &city,
        &yinchuan,
        HELAN_2,
        "370102",
        json!({"industry_code": "fine_steel", "little_giant": true}),
    );
    let mut fields = res.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        ["little_giant"],
        "the pure rule first: {}",
        res.body
    );
    let res = register(
        &city,
        &yinchuan,
        HELAN_2,
        "370102",
        json!({"industry_code": "fine_steel"}),
    );
    assert_eq!(
        res.error_fields(),
        ["region_code", "industry_code"],
        "Jinan's codes are not Yinchuan's"
    );
    let log = app
        .admin()
        .get(&format!("/audit-log?object_type=enterprise&object_id={id}"));
    assert_eq!(log.body["items"][0]["action"], "enterprise.create");
}

fn enterprises_are_found_by_filters_and_pages(app: TestApp) {
    let yinchuan = app.program_id("yinchuan");
    let city = app.user_with_grants(
        "yc.city2",
        json!([{"role": "city_admin", "program_id": yinchuan}]),
    );
    assert_eq!(
        register(
            &city,
            &yinchuan,
            HELAN,
            "640122",
            json!({"specialised": true, "tier": "pilot"})
        )
        .status,
        StatusCode::CREATED
    );
    assert_eq!(
        register(
            &city,
            &yinchuan,
            HELAN_2,
            "640122",
            json!({"name": "贺兰县智能装备厂"})
        )
        .status,
        StatusCode::CREATED
    );
    assert_eq!(
        register(&city, &yinchuan, YONGNING, "640121", json!({})).status,
        StatusCode::CREATED
    );
    let count = |q: &str| {
        city.get(&format!("/enterprises?{q}")).body["items"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(count(""), 3);
    assert_eq!(count("region_code=640122"), 2);
    assert_eq!(count("specialised=true"), 1);
    assert_eq!(count("specialised=false"), 2);
    assert_eq!(count("region_code=640122&specialised=true"), 1);
    assert_eq!(count("region_code=640121&specialised=true"), 0);
    assert_eq!(count("region_code=640122&specialised=false"), 1);
    assert_eq!(count("little_giant=true"), 0);
    assert_eq!(count("region_code=640122&little_giant=false"), 2);
    assert_eq!(count("tier=pilot"), 1);
    assert_eq!(city.get("/enterprises?tier=gold").error_fields(), ["tier"]);
    assert_eq!(count(&format!("q={}", urlencode("智能装备"))), 1);
    assert_eq!(
        count(&format!("q={}", &YONGNING[..10].to_lowercase())),
        1,
        "by a part of the code"
    );
    assert_eq!(count("q=%25"), 0, "a literal percent sign matches nothing");
    let first = city.get("/enterprises?limit=2");
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = city.get(&format!("/enterprises?limit=2&cursor={cursor}"));
    assert_eq!(second.body["items"].as_array().unwrap().len(), 1);
    assert!(second.body["next_cursor"].is_null());
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

fn each_role_sees_only_the_enterprises_in_its_scope(app: TestApp) {
    let yinchuan = app.program_id("yinchuan");
    let city = app.user_with_grants(
        "yc.city3",
        json!([{"role": "city_admin", "program_id": yinchuan}]),
    );
    let helan = register(&city, &yinchuan, HELAN, "640122", json!({})).body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let yongning = register(&city, &yinchuan, YONGNING, "640121", json!({})).body["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let county = app.user_with_grants(
        "helan.county2",
        json!([{"role": "county_admin", "program_id": yinchuan, "region_codes": ["640122"]}]),
    );
    let seen: Vec<String> = county.get("/enterprises").body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(seen, std::slice::from_ref(&helan));
    county
        .get(&format!("/enterprises/{yongning}"))
        .assert_problem(StatusCode::NOT_FOUND, "not_found");

    let staff = app.user_with_grants(
        "helan.staff",
        json!([{"role": "enterprise", "enterprise_id": helan}]),
    );
    assert_eq!(
        staff.get("/enterprises").body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    staff
        .get(&format!("/enterprises/{yongning}"))
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    staff
        .get(&format!("/enterprises/by-code/{YONGNING}"))
        .assert_problem(StatusCode::NOT_FOUND, "not_found");

    let jinan_city = app.user_with_grants(
        "jn.city",
        json!([{"role": "city_admin", "program_id": app.program_id("jinan")}]),
    );
    assert_eq!(
        jinan_city.get("/enterprises").body["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    jinan_city
        .get(&format!("/enterprises/{helan}"))
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    let provider = app.user_with_grants(
        "prov.x",
        json!([{"role": "provider", "provider_id": "p-1"}]),
    );
    assert_eq!(
        provider.get("/enterprises").body["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // Only registrars create.
    county
        .post(
            "/enterprises",
            json!({"uscc": HELAN_2, "name": "x", "program_id": yinchuan, "size_class": "small"}),
        )
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
}

fn patch_needs_if_match_and_staff_keep_to_their_profile(app: TestApp) {
    let yinchuan = app.program_id("yinchuan");
    let city = app.user_with_grants(
        "yc.city4",
        json!([{"role": "city_admin", "program_id": yinchuan}]),
    );
    let id = register(&city, &yinchuan, HELAN, "640122", json!({})).body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/enterprises/{id}");
    Resp::send(
        city.req(reqwest::Method::PATCH, &path)
            .json(&json!({"employees": 10})),
    )
    .assert_problem(StatusCode::PRECONDITION_REQUIRED, "if_match_required");
    let res = city.patch(&path, 1, json!({"tier": "pilot", "cloud_adopted": true}));
    assert_eq!(
        (
            res.status,
            res.body["version"].as_i64(),
            res.body["tier"].as_str()
        ),
        (StatusCode::OK, Some(2), Some("pilot"))
    );
    city.patch(&path, 1, json!({"employees": 5}))
        .assert_problem(StatusCode::PRECONDITION_FAILED, "stale_version");

    let staff = app.user_with_grants(
        "helan.staff2",
        json!([{"role": "enterprise", "enterprise_id": id}]),
    );
    // Staff keep the contact and descriptive fields; figures and flags
    // are enrolment, the offices' to change (DOMAIN.md §2).
    let res = staff.patch(&path, 2, json!({"contact_name": "李经理"}));
    assert_eq!(
        (res.status, res.body["contact_name"].as_str()),
        (StatusCode::OK, Some("李经理"))
    );
    for enrolment in [
        json!({"employees": 220}),
        json!({"tier": "demonstration"}),
        json!({"specialised": true}),
    ] {
        staff
            .patch(&path, 3, enrolment)
            .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    }
    let res = staff.patch(&path, 3, json!({"uscc": HELAN_2}));
    assert_eq!(res.error_fields(), ["uscc"]);
}

fn the_same_upsert_by_code_twice_changes_nothing(app: TestApp) {
    let yinchuan = app.program_id("yinchuan");
    let sync = app.user_with_grants("national.sync", json!([{"role": "sync_client"}]));
    let body = json!({"name": "宁夏某化工有限公司", "program_id": yinchuan, "region_code": "640122",
        "industry_code": "basic_chemical_materials", "size_class": "medium", "above_designated_size": true});
    let path = format!("/enterprises/by-code/{HELAN}");
    let first = sync.put(&path, body.clone());
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let changes = |app: &TestApp| {
        app.admin()
            .get("/sync/changes?object_type=enterprise&limit=500")
            .body["items"]
            .as_array()
            .unwrap()
            .len()
    };
    let before = changes(&app);
    let again = sync.put(&path, body.clone());
    assert_eq!(
        (again.status, again.body["version"].as_i64()),
        (StatusCode::OK, Some(1))
    );
    assert_eq!(changes(&app), before, "no second change event");
    let mut changed = body;
    changed["employees"] = json!(300);
    let third = sync.put(&path, changed);
    assert_eq!(third.body["version"], 2);
    assert_eq!(changes(&app), before + 1);
    sync.put(
        "/enterprises/by-code/91350100M000100Y44",
        json!({"name": "x"}),
    )
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
}
