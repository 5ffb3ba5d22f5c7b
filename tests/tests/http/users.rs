//! Users, grants and scope: DOMAIN.md §2.

use serde_json::json;
use shuzhuan_tests::{Resp, StatusCode, TestApp, both_backends};

both_backends!(
    admin_creates_a_user_and_replaces_their_grants,
    grants_whose_scope_does_not_fit_the_role_are_refused_naming_the_field,
    only_platform_admins_manage_users,
    county_admin_of_one_programme_cannot_see_another_programme,
    duplicate_username_is_a_conflict,
    the_last_platform_admin_cannot_lose_the_role,
);

fn the_last_platform_admin_cannot_lose_the_role(app: TestApp) {
    let admin = app.admin();
    let me = admin.get("/me");
    let id = me.body["id"].as_str().unwrap();
    let version = admin.get(&format!("/users/{id}")).body["version"]
        .as_i64()
        .unwrap();
    admin
        .put_if_match(&format!("/users/{id}/grants"), version, json!([]))
        .assert_problem(StatusCode::CONFLICT, "last_platform_admin");
    // With a second admin, the first may step down.
    let second = app.user_with_grants("admin.two", json!([{"role": "platform_admin"}]));
    assert_eq!(second.get("/users").status, StatusCode::OK);
    let res = second.put_if_match(
        &format!("/users/{id}/grants"),
        version,
        json!([{"role": "observer", "program_id": app.program_id("jinan")}]),
    );
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    admin
        .get("/users")
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
}

fn admin_creates_a_user_and_replaces_their_grants(app: TestApp) {
    let admin = app.admin();
    let yinchuan = app.program_id("yinchuan");
    let created = admin.post("/users", json!({"username": "helan.county", "password": "a long enough password", "display_name": "贺兰县工信局"}));
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().unwrap();
    assert_eq!(
        created.header("location"),
        Some(format!("/api/v1/users/{id}").as_str())
    );
    assert_eq!(created.body["grants"], json!([]));

    let grants = json!([{"role": "county_admin", "program_id": yinchuan, "region_codes": ["640122", "640121"]}]);
    let path = format!("/users/{id}/grants");
    // Grants change a versioned user: If-Match is required, a stale one
    // refused, `*` takes whatever is current.
    admin
        .put(&path, grants.clone())
        .assert_problem(StatusCode::PRECONDITION_REQUIRED, "if_match_required");
    admin
        .put_if_match(&path, 7, grants.clone())
        .assert_problem(StatusCode::PRECONDITION_FAILED, "stale_version");
    let put = Resp::send(
        admin
            .req(reqwest::Method::PUT, &path)
            .header("If-Match", "*")
            .json(&grants),
    );
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    assert_eq!(
        put.body["grants"][0]["region_codes"],
        json!(["640121", "640122"])
    );
    assert_eq!(put.body["version"], 2);

    let fetched = admin.get(&format!("/users/{id}"));
    assert_eq!(fetched.header("etag"), Some("\"2\""));
    let county = app.login("helan.county", "a long enough password");
    let me = app.with_token(&county).get("/me");
    assert_eq!(me.body["grants"][0]["role"], "county_admin");

    let listed = admin.get("/users?limit=1");
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    let cursor = listed.body["next_cursor"].as_str().expect("a second page");
    let second = admin.get(&format!("/users?limit=1&cursor={cursor}"));
    assert_eq!(second.body["items"][0]["username"], "helan.county");
    assert_eq!(second.body["next_cursor"], serde_json::Value::Null);
}

fn grants_whose_scope_does_not_fit_the_role_are_refused_naming_the_field(app: TestApp) {
    let admin = app.admin();
    let jinan = app.program_id("jinan");
    let user = admin.post(
        "/users",
        json!({"username": "someone", "password": "a long enough password", "display_name": "x"}),
    );
    let id = user.body["id"].as_str().unwrap();
    let path = format!("/users/{id}/grants");

    let res = admin.put_if_match(
        &path,
        1,
        json!([
            {"role": "city_admin", "program_id": jinan},
            {"role": "county_admin", "program_id": jinan},
            {"role": "enterprise"},
            {"role": "sync_client", "program_id": jinan},
        ]),
    );
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(
        res.error_fields(),
        ["[1].region_codes", "[2].enterprise_id", "[3].program_id"]
    );

    let res = admin.put_if_match(
        &path,
        1,
        json!([{"role": "county_admin", "program_id": jinan, "region_codes": ["640122"]}]),
    );
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(
        res.body["errors"][0]["code"], "unknown_region",
        "a Yinchuan district is not in Jinan"
    );

    let res = admin.put_if_match(
        &path,
        1,
        json!([{"role": "observer", "program_id": "no-such-programme"}]),
    );
    assert_eq!(res.body["errors"][0]["code"], "unknown_program");

    let res = admin.put_if_match(&path, 1, json!([{"role": "mayor"}]));
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(res.error_fields(), ["[0].role"]);

    // Nothing of the refused requests was written.
    assert_eq!(admin.get(&format!("/users/{id}")).body["grants"], json!([]));
}

fn only_platform_admins_manage_users(app: TestApp) {
    let city = app.user_with_grants(
        "jinan.city",
        json!([{"role": "city_admin", "program_id": app.program_id("jinan")}]),
    );
    city.get("/users")
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    city.post(
        "/users",
        json!({"username": "x1234", "password": "a long enough password", "display_name": "x"}),
    )
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let me = city.get("/me");
    city.put_if_match(
        &format!("/users/{}/grants", me.body["id"].as_str().unwrap()),
        1,
        json!([{"role": "platform_admin"}]),
    )
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");
}

fn county_admin_of_one_programme_cannot_see_another_programme(app: TestApp) {
    let yinchuan = app.program_id("yinchuan");
    let jinan = app.program_id("jinan");
    let county = app.user_with_grants(
        "xixia.county",
        json!([{"role": "county_admin", "program_id": yinchuan, "region_codes": ["640105"]}]),
    );
    let list = county.get("/programs");
    let codes: Vec<&str> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["yinchuan"]);
    assert_eq!(
        county.get(&format!("/programs/{yinchuan}")).status,
        StatusCode::OK
    );
    for path in ["", "/regions", "/industries", "/batches"] {
        county
            .get(&format!("/programs/{jinan}{path}"))
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
    }
    // Enterprise users deal with national entities and may browse every programme.
    let enterprise = app.user_with_grants(
        "sme.staff",
        json!([{"role": "enterprise", "enterprise_id": "e-1"}]),
    );
    assert_eq!(
        enterprise.get("/programs").body["items"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
}

fn duplicate_username_is_a_conflict(app: TestApp) {
    let admin = app.admin();
    let body =
        json!({"username": "twice", "password": "a long enough password", "display_name": "x"});
    assert_eq!(
        admin.post("/users", body.clone()).status,
        StatusCode::CREATED
    );
    admin
        .post("/users", body)
        .assert_problem(StatusCode::CONFLICT, "username_taken");
    let bad = admin.post(
        "/users",
        json!({"username": "no spaces!", "password": "short", "display_name": ""}),
    );
    bad.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let mut fields = bad.error_fields();
    fields.sort();
    assert_eq!(fields, ["display_name", "password", "username"]);
}
