//! Bulk import of enterprises as officials run it with curl (issue 3 §5).

use serde_json::json;
use shuzhuan_tests::{As, Resp, StatusCode, TestApp, both_backends};

both_backends!(
    a_chinese_csv_imports_with_names_resolved_dry_run_first,
    gb18030_and_bom_files_are_detected,
    an_atomic_import_with_a_bad_row_writes_nothing,
    malformed_files_are_4xx_with_a_report_never_500,
    ndjson_and_json_arrays_import_too,
);

const HEADER: &str = "序号,统一社会信用代码,企业名称,所属区县,所属行业,是否规上,企业规模,专精特新,从业人数,营业收入(万元),是否上云,入库类型";

fn csv(rows: &[&str]) -> String {
    let mut text = String::from(HEADER);
    for r in rows {
        text.push('\n');
        text.push_str(r);
    }
    text.push('\n');
    text
}

const ROW_HELAN: &str = "1,916401223A000H0C6X,宁夏贺兰某新材料有限公司,贺兰县,新型材料制造,是,小型,是,180,8600,是,试点库";
const ROW_YONGNING: &str = "2,916401223F0CD0E87F,永宁某装备制造有限公司,永宁县（含永宁工业园）,high_end_equipment_parts,否,micro,否,25,1200.5,否,储备库";

fn import(caller: &As<'_>, query: &str, content_type: &str, body: Vec<u8>) -> Resp {
    Resp::send(
        caller
            .req(
                reqwest::Method::POST,
                &format!("/enterprises/import?{query}"),
            )
            .header("Content-Type", content_type)
            .body(body),
    )
}

fn city(app: &TestApp) -> (String, As<'_>) {
    let yinchuan = app.program_id("yinchuan");
    let city = app.user_with_grants(
        "yc.importer",
        json!([{"role": "city_admin", "program_id": yinchuan}]),
    );
    (yinchuan, city)
}

fn count(caller: &As<'_>) -> usize {
    caller.get("/enterprises").body["items"]
        .as_array()
        .unwrap()
        .len()
}

fn a_chinese_csv_imports_with_names_resolved_dry_run_first(app: TestApp) {
    let (yinchuan, city) = city(&app);
    let body = csv(&[ROW_HELAN, ROW_YONGNING]).into_bytes();
    let dry = import(
        &city,
        &format!("program_id={yinchuan}&dry_run=true"),
        "text/csv",
        body.clone(),
    );
    assert_eq!(dry.status, StatusCode::OK, "{}", dry.body);
    assert_eq!(
        (
            dry.body["received"].as_u64(),
            dry.body["created"].as_u64(),
            dry.body["dry_run"].as_bool()
        ),
        (Some(2), Some(2), Some(true))
    );
    assert_eq!(count(&city), 0, "a dry run writes nothing");

    let res = import(
        &city,
        &format!("program_id={yinchuan}"),
        "text/csv",
        body.clone(),
    );
    assert_eq!(
        (
            res.status,
            res.body["created"].as_u64(),
            res.body["failed"].as_u64()
        ),
        (StatusCode::OK, Some(2), Some(0)),
        "{}",
        res.body
    );
    let helan = city.get("/enterprises/by-code/916401223A000H0C6X").body;
    assert_eq!(
        (
            helan["region_code"].as_str(),
            helan["industry_code"].as_str()
        ),
        (Some("640122"), Some("new_materials")),
        "贺兰县 resolves without its parenthesis"
    );
    assert_eq!(
        (
            helan["revenue_fen"].as_i64(),
            helan["tier"].as_str(),
            helan["specialised"].as_bool()
        ),
        (Some(8_600_000_000), Some("pilot"), Some(true))
    );
    let yongning = city.get("/enterprises/by-code/916401223F0CD0E87F").body;
    assert_eq!(
        (
            yongning["region_code"].as_str(),
            yongning["revenue_fen"].as_i64()
        ),
        (Some("640121"), Some(1_200_500_000))
    );

    let again = import(&city, &format!("program_id={yinchuan}"), "text/csv", body);
    assert_eq!(
        (
            again.body["unchanged"].as_u64(),
            again.body["created"].as_u64()
        ),
        (Some(2), Some(0))
    );
    let insert_only = import(
        &city,
        &format!("program_id={yinchuan}&mode=insert&atomic=false"),
        "text/csv",
        csv(&[ROW_HELAN]).into_bytes(),
    );
    assert_eq!(insert_only.body["errors"][0]["code"], "exists");

    let county = app.user_with_grants(
        "helan.importer",
        json!([{"role": "county_admin", "program_id": yinchuan, "region_codes": ["640122"]}]),
    );
    import(
        &county,
        &format!("program_id={yinchuan}"),
        "text/csv",
        vec![],
    )
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    import(&city, "", "text/csv", vec![]).assert_problem(StatusCode::FORBIDDEN, "forbidden");
}

fn gb18030_and_bom_files_are_detected(app: TestApp) {
    let (yinchuan, city) = city(&app);
    let text = csv(&[ROW_HELAN]);
    let (gbk, _, lossy) = encoding_rs::GB18030.encode(&text);
    assert!(
        !lossy && std::str::from_utf8(&gbk).is_err(),
        "a real GB18030 file"
    );
    let res = import(
        &city,
        &format!("program_id={yinchuan}"),
        "text/csv",
        gbk.into_owned(),
    );
    assert_eq!(res.body["created"], 1, "{}", res.body);
    assert_eq!(
        city.get("/enterprises/by-code/916401223A000H0C6X").body["name"],
        "宁夏贺兰某新材料有限公司"
    );
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend(csv(&[ROW_YONGNING]).into_bytes());
    let res = import(
        &city,
        &format!("program_id={yinchuan}"),
        "text/csv; charset=utf-8",
        bom,
    );
    assert_eq!(res.body["created"], 1, "{}", res.body);
}

fn an_atomic_import_with_a_bad_row_writes_nothing(app: TestApp) {
    let (yinchuan, city) = city(&app);
    let bad = "3,916401223F0CD0E87Y,坏代码企业,西夏区,绿色消费品制造,否,小型,否,10,10,否,储备库";
    let unknown_region =
        "4,916401224283FEFC6M,某企业,历下区,绿色消费品制造,否,小型,否,10,10,否,储备库";
    let changes_before = app.admin().get("/sync/changes?object_type=enterprise").body["items"]
        .as_array()
        .unwrap()
        .len();
    let res = Resp::send(
        city.req(
            reqwest::Method::POST,
            &format!("/enterprises/import?program_id={yinchuan}"),
        )
        .header("Content-Type", "text/csv")
        .header("Accept-Language", "zh-CN")
        .body(csv(&[ROW_HELAN, bad, unknown_region])),
    );
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "import_rejected");
    assert_eq!(
        res.error_fields(),
        ["row 2: 统一社会信用代码", "row 3: 所属区县"]
    );
    assert_eq!(
        res.body["errors"][0]["message"],
        "校验码应为 `F`，而不是 `Y`"
    );
    assert_eq!(count(&city), 0, "not even the good row");
    assert_eq!(
        app.admin().get("/sync/changes?object_type=enterprise").body["items"]
            .as_array()
            .unwrap()
            .len(),
        changes_before
    );

    // The same code twice in one file: which row wins is the official's call.
    let twice = import(
        &city,
        &format!("program_id={yinchuan}"),
        "text/csv",
        csv(&[ROW_HELAN, ROW_HELAN]).into_bytes(),
    );
    twice.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "import_rejected");
    assert_eq!(twice.body["errors"][0]["code"], "duplicate_in_file");
    assert_eq!(twice.error_fields(), ["row 2: 统一社会信用代码"]);

    let partial = import(
        &city,
        &format!("program_id={yinchuan}&atomic=false"),
        "text/csv",
        csv(&[ROW_HELAN, bad]).into_bytes(),
    );
    assert_eq!(partial.status, StatusCode::OK);
    assert_eq!(
        (
            partial.body["created"].as_u64(),
            partial.body["failed"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(partial.body["errors"][0]["row"], 2);
    assert_eq!(count(&city), 1);
}

fn malformed_files_are_4xx_with_a_report_never_500(app: TestApp) {
    let (yinchuan, city) = city(&app);
    let q = format!("program_id={yinchuan}");
    // Wrong column count and broken quotes: rows named, nothing written.
    let res = import(
        &city,
        &q,
        "text/csv",
        format!(
            "{}\n1,\"916401223A000H0C6X,unterminated\n",
            csv(&["2,only,three"])
        )
        .into_bytes(),
    );
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "import_rejected");
    assert_eq!(res.body["errors"][0]["code"], "malformed_row");
    // Binary garbage: no column it knows.
    let garbage: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect();
    let res = import(&city, &q, "text/csv", garbage);
    assert!(res.status.is_client_error(), "{}: {}", res.status, res.body);
    // 50 MB of one line.
    let line = vec![b'x'; 50 * 1024 * 1024];
    let res = import(&city, &q, "text/csv", line);
    assert!(res.status.is_client_error(), "{}", res.status);
    import(
        &city,
        &q,
        "application/json",
        b"{\"not\": \"an array\"}".to_vec(),
    )
    .assert_problem(StatusCode::BAD_REQUEST, "malformed_json");
    import(&city, &q, "application/pdf", b"%PDF".to_vec())
        .assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    assert_eq!(count(&city), 0);
}

fn ndjson_and_json_arrays_import_too(app: TestApp) {
    let (yinchuan, city) = city(&app);
    let q = format!("program_id={yinchuan}");
    let ndjson = "{\"uscc\": \"916401223A000H0C6X\", \"name\": \"宁夏甲\", \"region_code\": \"640122\", \"size_class\": \"small\", \"specialised\": true}\n\n{\"uscc\": \"916401223F0CD0E87F\", \"name\": \"宁夏乙\", \"所属区县\": \"永宁县\", \"size_class\": \"medium\"}\n";
    let res = import(
        &city,
        &q,
        "application/x-ndjson",
        ndjson.as_bytes().to_vec(),
    );
    assert_eq!(
        (res.status, res.body["created"].as_u64()),
        (StatusCode::OK, Some(2)),
        "{}",
        res.body
    );
    let array = json!([{"uscc": "916401224283FEFC6M", "name": "宁夏丙", "region_code": "640104", "size_class": "small", "above_designated_size": "是"}]);
    let res = import(
        &city,
        &q,
        "application/json",
        array.to_string().into_bytes(),
    );
    assert_eq!(res.body["created"], 1, "{}", res.body);
    assert_eq!(count(&city), 3);
}
