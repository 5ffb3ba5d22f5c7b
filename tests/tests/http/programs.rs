//! The seed programmes as their work plans give them, and the batch life.

use serde_json::{Value, json};
use shuzhuan_tests::{As, StatusCode, TestApp, both_backends};

both_backends!(
    yinchuan_has_the_eight_districts_four_industries_and_three_batches_of_its_plan,
    changji_has_three_batches_with_the_seed_windows_and_five_industries,
    shiyan_has_two_batches_of_one_hundred,
    xuchang_and_jinan_have_their_industries,
    city_admin_moves_a_batch_through_its_life_and_wrong_moves_are_refused,
    concurrent_transitions_of_one_batch_let_exactly_one_win,
    city_admin_patches_the_programme_with_if_match,
    platform_admin_creates_a_programme_from_a_pack,
);

fn list(caller: &As<'_>, path: &str) -> Vec<Value> {
    let res = caller.get(path);
    assert_eq!(res.status, StatusCode::OK, "{path}: {}", res.body);
    res.body["items"].as_array().unwrap().clone()
}

fn field<'a>(items: &'a [Value], key: &str) -> Vec<&'a str> {
    items.iter().map(|v| v[key].as_str().unwrap()).collect()
}

/// 004_02210f6c5d3c6bb3.txt, 附件2 and 一、试点工作目标; 二(二)6 分3批次.
fn yinchuan_has_the_eight_districts_four_industries_and_three_batches_of_its_plan(app: TestApp) {
    let admin = app.admin();
    let id = app.program_id("yinchuan");
    let regions = list(&admin, &format!("/programs/{id}/regions"));
    assert_eq!(
        field(&regions, "name"),
        [
            "宁东能源化工基地",
            "银川经济技术开发区",
            "灵武市（含高新区）",
            "贺兰县（含贺兰工业园）",
            "永宁县（含永宁工业园）",
            "兴庆区（含苏银产业园）",
            "金凤区（不含经开区）",
            "西夏区（不含经开区）"
        ]
    );
    assert_eq!(regions[3]["code"], "640122");
    let industries = list(&admin, &format!("/programs/{id}/industries"));
    assert_eq!(
        field(&industries, "name"),
        [
            "基础化学原料制造",
            "新型材料制造",
            "高端装备及零部件制造",
            "绿色消费品制造"
        ]
    );
    let batches = list(&admin, &format!("/programs/{id}/batches"));
    assert_eq!(batches.len(), 3);
    assert!(
        batches
            .iter()
            .all(|b| b["state"] == "planned" && b["applications_open_on"].is_null())
    );
    assert_eq!(batches[0]["next_actions"], json!(["open"]));
    let program = admin.get(&format!("/programs/{id}"));
    assert_eq!(program.body["province"], "宁夏回族自治区");
    assert!(
        program.body["source"]
            .as_str()
            .unwrap()
            .contains("004_02210f6c5d3c6bb3.txt")
    );
}

/// 002_9266781924f0fa8d.txt, 三(二): 2025年1月-5月，2025年3月-9月，2025年8月-2026年8月.
fn changji_has_three_batches_with_the_seed_windows_and_five_industries(app: TestApp) {
    let admin = app.admin();
    let id = app.program_id("changji");
    let batches = list(&admin, &format!("/programs/{id}/batches"));
    let windows: Vec<(&str, &str)> = batches
        .iter()
        .map(|b| {
            (
                b["applications_open_on"].as_str().unwrap(),
                b["implementation_ends_on"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        windows,
        [
            ("2025-01-01", "2025-05-31"),
            ("2025-03-01", "2025-09-30"),
            ("2025-08-01", "2026-08-31")
        ]
    );
    let industries = list(&admin, &format!("/programs/{id}/industries"));
    assert_eq!(
        field(&industries, "name"),
        ["有色金属", "现代化工", "新材料", "电力装备", "食品纺织"]
    );
}

/// 003_32d1e3c6b808c16f.txt, 四(二) and 四(三): two batches of 100.
fn shiyan_has_two_batches_of_one_hundred(app: TestApp) {
    let admin = app.admin();
    let id = app.program_id("shiyan");
    let batches = list(&admin, &format!("/programs/{id}/batches"));
    assert_eq!(
        batches
            .iter()
            .map(|b| b["capacity"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        [100, 100]
    );
    assert_eq!(batches[0]["implementation_ends_on"], "2024-07-31");
    assert_eq!(batches[1]["acceptance_ends_on"], "2025-09-30");
    let industries = list(&admin, &format!("/programs/{id}/industries"));
    assert_eq!(
        field(&industries, "name"),
        ["汽车车身制造", "汽车零部件制造", "汽车装备制造"]
    );
}

/// 000_39d6176f0d34950c.txt 二、工作目标; 001_bd96fafbc9ac256d.txt 实施方案 一.
fn xuchang_and_jinan_have_their_industries(app: TestApp) {
    let admin = app.admin();
    let xuchang = app.program_id("xuchang");
    assert_eq!(
        field(
            &list(&admin, &format!("/programs/{xuchang}/industries")),
            "name"
        ),
        [
            "智能电网设备制造",
            "特种装备及零部件制造",
            "新型材料制品制造",
            "医药及健康制品制造"
        ]
    );
    // 000 四、实施步骤: 第一批, 第二批 and the optional 后续批次.
    let batches = list(&admin, &format!("/programs/{xuchang}/batches"));
    assert_eq!(
        batches
            .iter()
            .map(|b| (
                b["name"].as_str().unwrap(),
                b["acceptance_ends_on"].as_str().unwrap()
            ))
            .collect::<Vec<_>>(),
        [
            ("第一批", "2027-04-30"),
            ("第二批", "2027-04-30"),
            ("后续批次", "2027-08-31")
        ]
    );
    let jinan = app.program_id("jinan");
    assert_eq!(
        field(
            &list(&admin, &format!("/programs/{jinan}/industries")),
            "name"
        ),
        ["精品钢", "高端数控机床与机器人", "生物医药"]
    );
    // The seed says 分批 without dates: no batch ships, the city plans them.
    assert!(list(&admin, &format!("/programs/{jinan}/batches")).is_empty());
    assert_eq!(
        list(&admin, &format!("/programs/{jinan}/regions")).len(),
        14
    );
}

fn first_batch(app: &TestApp, caller: &As<'_>, code: &str) -> (String, Value) {
    let id = app.program_id(code);
    let batch = list(caller, &format!("/programs/{id}/batches"))[0].clone();
    (id, batch)
}

fn city_admin_moves_a_batch_through_its_life_and_wrong_moves_are_refused(app: TestApp) {
    let shiyan = app.program_id("shiyan");
    let city = app.user_with_grants(
        "shiyan.city",
        json!([{"role": "city_admin", "program_id": shiyan}]),
    );
    let (_, batch) = first_batch(&app, &city, "shiyan");
    let path = format!(
        "/programs/{shiyan}/batches/{}/transitions",
        batch["id"].as_str().unwrap()
    );

    // Without If-Match: 428; a stale one: 412; an action out of order: 409.
    city.post(&path, json!({"action": "open"}))
        .assert_problem(StatusCode::PRECONDITION_REQUIRED, "if_match_required");
    city.post_if_match(&path, 7, json!({"action": "open"}))
        .assert_problem(StatusCode::PRECONDITION_FAILED, "stale_version");
    city.post_if_match(&path, 1, json!({"action": "close"}))
        .assert_problem(StatusCode::CONFLICT, "transition_not_allowed");
    city.post_if_match(&path, 1, json!({"action": "pause"}))
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

    let mut version = 1;
    for (action, state) in [
        ("open", "open"),
        ("start_implementation", "implementing"),
        ("start_acceptance", "accepting"),
        ("close", "closed"),
    ] {
        let res = city.post_if_match(&path, version, json!({"action": action}));
        assert_eq!(res.status, StatusCode::OK, "{action}: {}", res.body);
        assert_eq!(res.body["state"], state);
        version = res.body["version"].as_i64().unwrap();
        assert_eq!(res.header("etag"), Some(format!("\"{version}\"").as_str()));
    }
    city.post_if_match(&path, version, json!({"action": "open"}))
        .assert_problem(StatusCode::CONFLICT, "transition_not_allowed");

    // A county admin of the programme sees it but may not move it (403);
    // the city admin of another programme does not see it (404).
    let county = app.user_with_grants(
        "zhangwan.county",
        json!([{"role": "county_admin", "program_id": shiyan, "region_codes": ["420303"]}]),
    );
    let (_, second) = {
        let batches = list(&county, &format!("/programs/{shiyan}/batches"));
        (shiyan.clone(), batches[1].clone())
    };
    let second_path = format!(
        "/programs/{shiyan}/batches/{}/transitions",
        second["id"].as_str().unwrap()
    );
    county
        .post_if_match(&second_path, 1, json!({"action": "open"}))
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let other = app.user_with_grants(
        "jinan.city2",
        json!([{"role": "city_admin", "program_id": app.program_id("jinan")}]),
    );
    other
        .post_if_match(&second_path, 1, json!({"action": "open"}))
        .assert_problem(StatusCode::NOT_FOUND, "not_found");

    // The history of the batch is in the audit log, in order.
    let admin = app.admin();
    let log = admin.get(&format!(
        "/audit-log?object_type=batch&object_id={}",
        batch["id"].as_str().unwrap()
    ));
    let actions: Vec<&str> = log.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "batch.create",
            "batch.open",
            "batch.start_implementation",
            "batch.start_acceptance",
            "batch.close"
        ]
    );
    assert_eq!(log.body["items"][1]["actor"], "shiyan.city");
}

fn concurrent_transitions_of_one_batch_let_exactly_one_win(app: TestApp) {
    let changji = app.program_id("changji");
    let city = app.user_with_grants(
        "changji.city",
        json!([{"role": "city_admin", "program_id": changji}]),
    );
    // A batch without dates: the pack's lie in the past (and cannot open).
    let batch = city.post(
        &format!("/programs/{changji}/batches"),
        json!({"number": 91, "name": "并发测试批次"}),
    );
    let path = format!(
        "/programs/{changji}/batches/{}/transitions",
        batch.body["id"].as_str().unwrap()
    );
    let statuses: Vec<StatusCode> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    city.post_if_match(&path, 1, json!({"action": "open"}))
                        .status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::PRECONDITION_FAILED),
        "{statuses:?}"
    );
    let after = city.get(&format!(
        "/programs/{changji}/batches/{}",
        batch.body["id"].as_str().unwrap()
    ));
    assert_eq!(after.body["version"], 2);
    assert_eq!(after.body["state"], "open");
}

fn city_admin_patches_the_programme_with_if_match(app: TestApp) {
    let xuchang = app.program_id("xuchang");
    let city = app.user_with_grants(
        "xuchang.city",
        json!([{"role": "city_admin", "program_id": xuchang}]),
    );
    let path = format!("/programs/{xuchang}");
    let res = city.patch(&path, 1, json!({"description": "征求意见稿已定稿"}));
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["version"], 2);
    assert_eq!(res.body["description"], "征求意见稿已定稿");
    city.patch(&path, 1, json!({"name": "late"}))
        .assert_problem(StatusCode::PRECONDITION_FAILED, "stale_version");
    let bad = city.patch(&path, 2, json!({"ends_on": "2020-01-01"}));
    bad.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(bad.error_fields(), ["ends_on"]);
    city.patch(&path, 2, json!({"city": "nope"}))
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let observer = app.user_with_grants(
        "xuchang.observer",
        json!([{"role": "observer", "program_id": xuchang}]),
    );
    observer
        .patch(&path, 2, json!({"name": "x"}))
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
}

fn platform_admin_creates_a_programme_from_a_pack(app: TestApp) {
    let admin = app.admin();
    let pack = json!({
        "code": "demo-city", "name": "演示市试点", "city": "演示市", "province": "演示省",
        "starts_on": "2026-01-01", "ends_on": "2027-12-31",
        "regions": [{"code": "100001", "name": "一区", "kind": "district"}, {"code": "100001-park", "name": "园区", "kind": "park", "parent_code": "100001"}],
        "industries": [{"code": "widgets", "name": "零件"}],
        "batches": [{"number": 1, "name": "第一批", "applications_open_on": "2026-02-01", "applications_close_on": "2026-03-01", "implementation_ends_on": "2026-12-31", "acceptance_ends_on": "2027-03-31", "capacity": 50}]
    });
    let res = admin.post("/programs", pack.clone());
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let id = res.body["id"].as_str().unwrap();
    assert_eq!(list(&admin, &format!("/programs/{id}/regions")).len(), 2);
    admin
        .post("/programs", pack.clone())
        .assert_problem(StatusCode::CONFLICT, "program_code_taken");

    let mut bad = pack.clone();
    bad["code"] = json!("Bad Code");
    bad["ends_on"] = json!("2025-01-01");
    bad["regions"][1]["code"] = json!("100001");
    bad["batches"][0]["implementation_ends_on"] = json!("2026-01-01");
    let res = admin.post("/programs", bad);
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(res.error_fields(), ["code"]);
    // With a valid code the checks across fields name each fault.
    let mut bad2 = pack.clone();
    bad2["code"] = json!("demo-two");
    bad2["ends_on"] = json!("2025-01-01");
    bad2["regions"][1]["code"] = json!("100001");
    bad2["batches"][0]["implementation_ends_on"] = json!("2026-01-01");
    let res = admin.post("/programs", bad2);
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(
        res.error_fields(),
        [
            "ends_on",
            "regions[1].code",
            "regions[1].parent_code",
            "batches[0].implementation_ends_on"
        ]
    );
    let city = app.user_with_grants(
        "demo.city",
        json!([{"role": "city_admin", "program_id": id}]),
    );
    city.post("/programs", json!({}))
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");

    // The city admin plans a further batch; the number must be new.
    let batch = json!({"number": 2, "name": "第二批"});
    assert_eq!(
        city.post(&format!("/programs/{id}/batches"), batch.clone())
            .status,
        StatusCode::CREATED
    );
    city.post(&format!("/programs/{id}/batches"), batch)
        .assert_problem(StatusCode::CONFLICT, "batch_number_taken");
}
