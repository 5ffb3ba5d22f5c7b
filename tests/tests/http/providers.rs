//! Providers, products, the provider pool and the product library (issue 3,
//! items 3–4): registration by credit code, scope per role, the admission
//! status machines with their reasons, consortia (Jinan, seed 001 二(三)).

use serde_json::{Value, json};
use shuzhuan_tests::{As, StatusCode, TestApp, both_backends, uscc};

both_backends!(
    providers_are_registered_by_code_and_upserts_are_idempotent,
    provider_staff_see_and_maintain_only_their_own_provider,
    the_pool_admits_grades_suspends_and_removes_with_reasons,
    a_consortium_needs_an_industry_of_the_programme_and_a_lead_in_the_pool,
    products_go_through_the_library_and_stay_with_their_provider,
);

fn register(who: &As<'_>, code: &str, name: &str) -> Value {
    let res = who.post(
        "/providers",
        json!({"uscc": code, "name": name, "kind": "scenario", "specialty": "specialist",
               "local": true, "scenarios": ["生产管控", "quality"]}),
    );
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    res.body
}

fn city<'a>(app: &'a TestApp, program: &str) -> As<'a> {
    let id = app.program_id(program);
    app.user_with_grants(
        &format!("{program}.city"),
        json!([{"role": "city_admin", "program_id": id}]),
    )
}

fn staff<'a>(app: &'a TestApp, name: &str, provider_id: &str) -> As<'a> {
    app.user_with_grants(
        name,
        json!([{"role": "provider", "provider_id": provider_id}]),
    )
}

fn changes(app: &TestApp, object_type: &str) -> usize {
    app.admin()
        .get(&format!(
            "/sync/changes?object_type={object_type}&limit=500"
        ))
        .body["items"]
        .as_array()
        .unwrap()
        .len()
}

fn providers_are_registered_by_code_and_upserts_are_idempotent(app: TestApp) {
    let city = city(&app, "yinchuan");
    let code = uscc("640100", 1);
    let p = register(&city, &code, "宁夏某数字科技有限公司");
    // Chinese scenario names resolve to the codes of SCORING.md §2, in
    // the catalogue's order.
    assert_eq!(p["scenarios"], json!(["production_control", "quality"]));
    assert_eq!(
        (p["kind"].as_str(), p["version"].as_i64()),
        (Some("scenario"), Some(1))
    );
    city.post("/providers", json!({"uscc": code, "name": "again"}))
        .assert_problem(StatusCode::CONFLICT, "uscc_taken");
    let res = city.post(
        "/providers",
        json!({"uscc": format!("{}0", &code[..17]), "name": "x", "kind": "big",
               "scenarios": ["teleportation"]}),
    );
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let mut fields = res.error_fields();
    fields.sort();
    assert_eq!(fields, ["kind", "scenarios", "uscc"]);

    // The national platform's upsert: created, then the same body changes
    // nothing and emits no change event, then a real change does.
    let sync = app.user_with_grants("national.sync", json!([{"role": "sync_client"}]));
    let other = uscc("110105", 2);
    let path = format!("/providers/by-code/{other}");
    let body = json!({"name": "北京某工业互联网有限公司", "kind": "comprehensive", "specialty": "integrator"});
    assert_eq!(sync.put(&path, body.clone()).status, StatusCode::CREATED);
    let before = changes(&app, "provider");
    let again = sync.put(&path, body.clone());
    assert_eq!(
        (again.status, again.body["version"].as_i64()),
        (StatusCode::OK, Some(1))
    );
    assert_eq!(changes(&app, "provider"), before, "no second change event");
    let mut changed = body;
    changed["local"] = json!(true);
    assert_eq!(sync.put(&path, changed).body["version"], 2);
    assert_eq!(changes(&app, "provider"), before + 1);
    assert_eq!(sync.get(&path).body["local"], true);

    let listed = city.get("/providers?kind=comprehensive");
    let names: Vec<&str> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, ["北京某工业互联网有限公司"]);
    let by_scenario = city.get("/providers?scenario=quality");
    assert_eq!(by_scenario.body["items"].as_array().unwrap().len(), 1);
    city.get("/providers?kind=big")
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
}

fn provider_staff_see_and_maintain_only_their_own_provider(app: TestApp) {
    let city = city(&app, "yinchuan");
    let ours = register(&city, &uscc("640100", 11), "宁夏甲科技有限公司");
    let theirs = register(&city, &uscc("640100", 12), "宁夏乙科技有限公司");
    let (ours_id, theirs_id) = (ours["id"].as_str().unwrap(), theirs["id"].as_str().unwrap());
    let me = staff(&app, "jia.staff", ours_id);
    let list = me.get("/providers");
    let ids: Vec<&str> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["id"].as_str())
        .collect();
    assert_eq!(ids, [ours_id]);
    me.get(&format!("/providers/{theirs_id}"))
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    me.patch(
        &format!("/providers/{theirs_id}"),
        1,
        json!({"description": "x"}),
    )
    .assert_problem(StatusCode::NOT_FOUND, "not_found");
    let res = me.patch(
        &format!("/providers/{ours_id}"),
        1,
        json!({"contact_name": "张三"}),
    );
    assert_eq!(
        (res.status, res.body["version"].as_i64()),
        (StatusCode::OK, Some(2))
    );
    me.patch(
        &format!("/providers/{ours_id}"),
        1,
        json!({"contact_name": "李四"}),
    )
    .assert_problem(StatusCode::PRECONDITION_FAILED, "stale_version");
    me.post(
        "/providers",
        json!({"uscc": uscc("640100", 13), "name": "x"}),
    )
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");

    // Once in a pool, only that programme's office maintains it.
    let yinchuan = app.program_id("yinchuan");
    let res = city.post(
        &format!("/programs/{yinchuan}/provider-pool"),
        json!({"provider_id": ours_id}),
    );
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let changji = self::city(&app, "changji");
    changji
        .patch(
            &format!("/providers/{ours_id}"),
            2,
            json!({"description": "x"}),
        )
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let changji_id = app.program_id("changji");
    let applied = me.post(
        &format!("/programs/{changji_id}/provider-pool"),
        json!({"provider_id": ours_id}),
    );
    assert_eq!(applied.status, StatusCode::CREATED, "{}", applied.body);
    let res = changji.patch(
        &format!("/providers/{ours_id}"),
        2,
        json!({"description": "x"}),
    );
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
}

fn the_pool_admits_grades_suspends_and_removes_with_reasons(app: TestApp) {
    let city = city(&app, "yinchuan");
    let program = app.program_id("yinchuan");
    let p = register(&city, &uscc("640100", 21), "宁夏丙科技有限公司");
    let id = p["id"].as_str().unwrap();
    let other = register(&city, &uscc("640100", 22), "宁夏丁科技有限公司");
    let me = staff(&app, "bing.staff", id);
    let pool = format!("/programs/{program}/provider-pool");
    me.post(&pool, json!({"provider_id": other["id"]}))
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let applied = me.post(&pool, json!({"provider_id": id}));
    assert_eq!(applied.status, StatusCode::CREATED, "{}", applied.body);
    assert_eq!(
        (
            applied.body["status"].as_str(),
            applied.body["name"].as_str()
        ),
        (Some("applied"), Some("宁夏丙科技有限公司"))
    );
    assert_eq!(
        applied.body["next_statuses"],
        json!(["admitted", "removed"])
    );
    me.post(&pool, json!({"provider_id": id}))
        .assert_problem(StatusCode::CONFLICT, "already_applied");

    let entry = format!("{pool}/{id}");
    // The provider cannot admit itself; the pilot office can.
    me.patch(&entry, 1, json!({"status": "admitted"}))
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let admitted = city.patch(&entry, 1, json!({"status": "admitted", "grade": "A"}));
    assert_eq!(admitted.status, StatusCode::OK, "{}", admitted.body);
    assert_eq!(
        (
            admitted.body["grade"].as_str(),
            admitted.body["version"].as_i64()
        ),
        (Some("A"), Some(2))
    );
    city.patch(&entry, 1, json!({"grade": "B"}))
        .assert_problem(StatusCode::PRECONDITION_FAILED, "stale_version");
    let res = city.patch(&entry, 2, json!({"status": "suspended"}));
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(res.error_fields(), ["reason"]);
    city.patch(&entry, 2, json!({"status": "listed"}))
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let suspended = city.patch(
        &entry,
        2,
        json!({"status": "suspended", "reason": "抽查发现进度不实"}),
    );
    assert_eq!(suspended.body["status"], "suspended", "{}", suspended.body);

    // Enterprises and everyone in the programme read the pool, by status.
    let ent = app.user_with_grants(
        "yc.county",
        json!([{"role": "county_admin", "program_id": program, "region_codes": ["640122"]}]),
    );
    let list = ent.get(&format!("{pool}?status=suspended"));
    assert_eq!(list.body["items"][0]["reason"], "抽查发现进度不实");
    assert_eq!(
        ent.get(&format!("{pool}?status=admitted")).body["items"],
        json!([])
    );
    ent.get(&format!("{pool}?status=listed"))
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

    let removed = city.patch(&entry, 3, json!({"status": "removed", "reason": "清退"}));
    assert_eq!(removed.body["next_statuses"], json!([]));
    city.patch(&entry, 4, json!({"status": "admitted"}))
        .assert_problem(StatusCode::CONFLICT, "status_transition_not_allowed");
    let events = changes(&app, "provider_pool");
    assert_eq!(events, 4, "apply, admit, suspend, remove");
}

fn a_consortium_needs_an_industry_of_the_programme_and_a_lead_in_the_pool(app: TestApp) {
    // Jinan (seed 001): providers may form a 联合体 per industry with a lead.
    let city = city(&app, "jinan");
    let program = app.program_id("jinan");
    let industries = city.get(&format!("/programs/{program}/industries"));
    let industry = industries.body["items"][0]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let lead = register(&city, &uscc("370100", 31), "济南某软件有限公司");
    let member = register(&city, &uscc("370100", 32), "济南某自动化有限公司");
    let pool = format!("/programs/{program}/provider-pool");
    let res = city.post(
        &pool,
        json!({"provider_id": member["id"], "consortium": {"industry_code": "space_travel", "lead_provider_id": lead["id"]}}),
    );
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let mut fields = res.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        ["consortium.industry_code", "consortium.lead_provider_id"]
    );
    let consortium = json!({"industry_code": industry, "lead_provider_id": lead["id"]});
    let led = city.post(
        &pool,
        json!({"provider_id": lead["id"], "consortium": consortium}),
    );
    assert_eq!(led.status, StatusCode::CREATED, "{}", led.body);
    let joined = city.post(
        &pool,
        json!({"provider_id": member["id"], "consortium": consortium}),
    );
    assert_eq!(joined.status, StatusCode::CREATED, "{}", joined.body);
    assert_eq!(joined.body["consortium"], consortium);
}

fn products_go_through_the_library_and_stay_with_their_provider(app: TestApp) {
    let city = city(&app, "xuchang");
    let program = app.program_id("xuchang");
    let p = register(&city, &uscc("411000", 41), "许昌某云科技有限公司");
    let q = register(&city, &uscc("411000", 42), "许昌某数据有限公司");
    let (p_id, q_id) = (p["id"].as_str().unwrap(), q["id"].as_str().unwrap());
    let me = staff(&app, "yun.staff", p_id);
    let body = json!({"provider_id": p_id, "name": "轻量化 MES 云平台", "scenarios": ["质量管理", "production_control"],
        "industries": ["发制品"], "deployment": "saas", "price_fen": 4_800_000});
    let product = me.post("/products", body.clone());
    assert_eq!(product.status, StatusCode::CREATED, "{}", product.body);
    assert_eq!(
        product.body["scenarios"],
        json!(["production_control", "quality"])
    );
    me.post("/products", body.clone())
        .assert_problem(StatusCode::CONFLICT, "name_taken");
    let mut foreign = body.clone();
    foreign["provider_id"] = json!(q_id);
    me.post("/products", foreign)
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let mut bad = body;
    bad["deployment"] = json!("floppy");
    bad["name"] = json!("另一个");
    me.post("/products", bad)
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let id = product.body["id"].as_str().unwrap();
    me.patch(&format!("/products/{id}"), 1, json!({"provider_id": q_id}))
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

    // The other provider's staff neither see nor touch it.
    let them = staff(&app, "shuju.staff", q_id);
    them.get(&format!("/products/{id}"))
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(them.get("/products").body["items"], json!([]));
    assert_eq!(
        city.get(&format!("/products?provider_id={p_id}&scenario=quality"))
            .body["items"][0]["id"],
        id
    );

    let library = format!("/programs/{program}/product-library");
    let submitted = me.post(&library, json!({"product_id": id}));
    assert_eq!(submitted.status, StatusCode::CREATED, "{}", submitted.body);
    assert_eq!(
        (
            submitted.body["status"].as_str(),
            submitted.body["provider_id"].as_str()
        ),
        (Some("submitted"), Some(p_id))
    );
    let entry = format!("{library}/{id}");
    city.patch(&entry, 1, json!({"grade": "A"}))
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(
        city.patch(&entry, 1, json!({"status": "listed"})).body["status"],
        "listed"
    );
    assert_eq!(
        city.patch(&entry, 2, json!({"status": "recommended"})).body["status"],
        "recommended"
    );
    city.patch(&entry, 3, json!({"status": "delisted"}))
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let delisted = city.patch(
        &entry,
        3,
        json!({"status": "delisted", "reason": "价格虚高"}),
    );
    assert_eq!(delisted.body["next_statuses"], json!(["listed"]));
    let listed = city.get(&format!("{library}?status=delisted"));
    assert_eq!(listed.body["items"][0]["name"], "轻量化 MES 云平台");
}
