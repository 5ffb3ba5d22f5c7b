//! Bulk import of enterprises as officials run it with curl (issue 3 §5).

use serde_json::json;
use shuzhuan_tests::{As, Resp, StatusCode, TestApp, both_backends, uscc};

both_backends!(
    a_chinese_csv_imports_with_names_resolved_dry_run_first,
    gb18030_and_bom_files_are_detected,
    an_atomic_import_with_a_bad_row_writes_nothing,
    malformed_files_are_4xx_with_a_report_never_500,
    ndjson_and_json_arrays_import_too,
    providers_and_products_import_from_chinese_csv,
    a_retried_import_with_the_same_idempotency_key_returns_the_first_report,
    a_large_import_streams_in_chunks_and_chains_its_logs_across_batches,
    the_report_reads_as_the_spreadsheet_does,
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
    // A required cell left empty is named by the file's own title, not by
    // the field.
    let nameless = ROW_HELAN.replace("宁夏贺兰某新材料有限公司", "");
    let res = import(
        &city,
        &format!("program_id={yinchuan}&dry_run=true"),
        "text/csv",
        csv(&[&nameless]).into_bytes(),
    );
    assert_eq!(
        (
            res.body["errors"][0]["row"].as_u64(),
            res.body["errors"][0]["column"].as_str()
        ),
        (Some(2), Some("企业名称")),
        "{}",
        res.body
    );

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
    // Without the programme: said once, before any row is read.
    let missing = import(&city, "", "text/csv", vec![]);
    missing.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(missing.body["errors"][0]["code"], "program_required");
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
        ["第 3 行：统一社会信用代码", "第 4 行：所属区县"],
        "in the caller's language"
    );
    assert_eq!(
        (
            res.body["errors"][1]["row"].as_u64(),
            res.body["errors"][1]["column"].as_str()
        ),
        (Some(4), Some("所属区县"))
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
    assert_eq!(twice.error_fields(), ["row 3: 统一社会信用代码"]);

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
    assert_eq!(partial.body["errors"][0]["row"], 3);
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

fn post_file(caller: &As<'_>, path: &str, key: Option<&str>, body: Vec<u8>) -> Resp {
    let mut req = caller
        .req(reqwest::Method::POST, path)
        .header("Content-Type", "text/csv");
    if let Some(key) = key {
        req = req.header("Idempotency-Key", key);
    }
    Resp::send(req.body(body))
}

fn providers_and_products_import_from_chinese_csv(app: TestApp) {
    let (yinchuan, city) = city(&app);
    let (a, b) = (uscc("640100", 501), uscc("640100", 502));
    let providers = format!(
        "统一社会信用代码,服务商名称,服务商类型,服务类别,是否本地,服务场景,联系人\n\
         {a},宁夏甲数字科技有限公司,场景型,专业,是,生产管控、质量管理,王工\n\
         {b},宁夏乙工业互联网有限公司,综合型,行业集成,否,\"计划排程,仓储物流\",李工\n"
    );
    // Saved by Excel on Chinese Windows: GB18030.
    let (gbk, _, _) = encoding_rs::GB18030.encode(&providers);
    let path = format!("/providers/import?program_id={yinchuan}");
    let res = post_file(&city, &path, None, gbk.into_owned());
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(
        (res.body["created"].as_i64(), res.body["failed"].as_i64()),
        (Some(2), Some(0))
    );
    let listed = city.get(&format!("/providers/by-code/{b}"));
    assert_eq!(
        (
            listed.body["kind"].as_str(),
            listed.body["scenarios"].clone()
        ),
        (
            Some("comprehensive"),
            json!(["planning_scheduling", "warehousing_logistics"])
        )
    );
    let again = post_file(&city, &path, None, providers.clone().into_bytes());
    assert_eq!(
        (
            again.body["created"].as_i64(),
            again.body["unchanged"].as_i64()
        ),
        (Some(0), Some(2))
    );

    let unknown = uscc("640100", 503);
    let products = format!(
        "服务商统一社会信用代码,产品名称,适用场景,适用行业,部署方式,价格(万元)\n\
         {a},轻量化 MES,生产管控,新型材料,云部署,4.8\n\
         {b},智能仓储 WMS,仓储物流,,本地部署,12\n\
         {unknown},无主产品,质量管理,,云部署,1\n"
    );
    let path = format!("/products/import?program_id={yinchuan}");
    let rejected = post_file(&city, &path, None, products.clone().into_bytes());
    rejected.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "import_rejected");
    assert_eq!(rejected.error_fields(), ["row 4: 服务商统一社会信用代码"]);
    assert_eq!(rejected.body["errors"][0]["code"], "unknown_provider");
    assert_eq!(
        city.get("/products").body["items"],
        json!([]),
        "atomic: nothing written"
    );
    let partial = post_file(
        &city,
        &format!("{path}&atomic=false"),
        None,
        products.into_bytes(),
    );
    assert_eq!(
        (
            partial.body["created"].as_i64(),
            partial.body["failed"].as_i64()
        ),
        (Some(2), Some(1))
    );
    let mes = city.get("/products?q=MES");
    assert_eq!(
        (
            mes.body["items"][0]["price_fen"].as_i64(),
            mes.body["items"][0]["deployment"].as_str()
        ),
        (Some(4_800_000), Some("saas"))
    );

    // Once in Yinchuan's pool, another programme's office may not update it.
    let a_id = city.get(&format!("/providers/by-code/{a}")).body["id"].clone();
    let pool = city.post(
        &format!("/programs/{yinchuan}/provider-pool"),
        json!({"provider_id": a_id}),
    );
    assert_eq!(pool.status, StatusCode::CREATED, "{}", pool.body);
    let changji = app.program_id("changji");
    let other = app.user_with_grants(
        "cj.importer",
        json!([{"role": "city_admin", "program_id": changji}]),
    );
    let res = post_file(
        &other,
        &format!("/providers/import?program_id={changji}&atomic=false"),
        None,
        format!("统一社会信用代码,服务商名称\n{a},改名\n").into_bytes(),
    );
    assert_eq!(
        res.body["errors"][0]["code"], "not_in_scope",
        "{}",
        res.body
    );
    // Another programme's office holds the right, not this programme:
    // out of scope is 404.
    post_file(
        &other,
        &format!("/providers/import?program_id={yinchuan}"),
        None,
        vec![],
    )
    .assert_problem(StatusCode::NOT_FOUND, "not_found");
}

fn a_retried_import_with_the_same_idempotency_key_returns_the_first_report(app: TestApp) {
    let (yinchuan, city) = city(&app);
    let path = format!("/enterprises/import?program_id={yinchuan}");
    let body = csv(&[ROW_HELAN, ROW_YONGNING]).into_bytes();
    let first = post_file(&city, &path, Some("import-2026-11-22-a"), body.clone());
    assert_eq!(first.body["created"], 2, "{}", first.body);
    let events = app.admin().get("/sync/changes?object_type=enterprise").body["items"]
        .as_array()
        .unwrap()
        .len();
    let retry = post_file(&city, &path, Some("import-2026-11-22-a"), body.clone());
    assert_eq!(retry.status, StatusCode::OK);
    assert_eq!(retry.body, first.body, "the first report, not a second run");
    let after = app.admin().get("/sync/changes?object_type=enterprise").body["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(after, events);
    let res = post_file(
        &city,
        &path,
        Some("import-2026-11-22-a"),
        csv(&[ROW_HELAN]).into_bytes(),
    );
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused");
    let fresh = post_file(&city, &path, Some("import-2026-11-22-b"), body);
    assert_eq!(fresh.body["unchanged"], 2, "{}", fresh.body);
    post_file(&city, &path, Some("bad key with spaces"), vec![])
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
}

/// More rows than a chunk (500) and than a batch of log rows (1,000), so
/// the file is read on the reader thread chunk by chunk and the logs are
/// built a batch ahead of their writing.
fn a_large_import_streams_in_chunks_and_chains_its_logs_across_batches(app: TestApp) {
    const ROWS: u32 = 2_600;
    let (yinchuan, city) = city(&app);
    let admin = app.admin();
    let rows: Vec<String> = (0..ROWS)
        .map(|n| {
            format!(
                "{},{},银川某制造企业{n}号,贺兰县,新型材料制造,否,小型,否,20,100,否,储备库",
                n + 1,
                uscc("640122", n)
            )
        })
        .collect();
    let entries = |admin: &As<'_>| admin.get("/audit-log/verify").body["entries"].as_i64();
    let before = entries(&admin).unwrap();

    // A bad last row: the atomic import rolls back every chunk before it.
    let mut with_bad: Vec<&str> = rows.iter().map(String::as_str).collect();
    with_bad
        .push("2601,916401223F0CD0E87Y,坏代码企业,贺兰县,新型材料制造,否,小型,否,10,10,否,储备库");
    let rejected = import(
        &city,
        &format!("program_id={yinchuan}"),
        "text/csv",
        csv(&with_bad).into_bytes(),
    );
    rejected.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "import_rejected");
    assert_eq!(rejected.error_fields(), ["row 2602: 统一社会信用代码"]);
    assert_eq!(count(&city), 0);
    assert_eq!(entries(&admin), Some(before));

    let done = import(
        &city,
        &format!("program_id={yinchuan}"),
        "text/csv",
        csv(&with_bad[..ROWS as usize]).into_bytes(),
    );
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(
        (
            done.body["received"].as_u64(),
            done.body["created"].as_u64()
        ),
        (Some(u64::from(ROWS)), Some(u64::from(ROWS)))
    );
    let verify = admin.get("/audit-log/verify");
    assert_eq!(verify.body["intact"], true, "{}", verify.body);
    assert_eq!(
        verify.body["entries"].as_i64(),
        Some(before + i64::from(ROWS))
    );

    // The feed carries one event per enterprise, numbered without a gap,
    // each with the row it announces.
    let (mut seqs, mut names, mut after) = (Vec::new(), Vec::new(), 0);
    loop {
        let page = admin.get(&format!(
            "/sync/changes?object_type=enterprise&after={after}&limit=500"
        ));
        let items = page.body["items"].as_array().unwrap().clone();
        let Some(last) = items.last() else { break };
        after = last["seq"].as_i64().unwrap();
        for item in &items {
            seqs.push(item["seq"].as_i64().unwrap());
            names.push(item["snapshot"]["name"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(seqs.len(), ROWS as usize);
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "a gap in the feed"
    );
    assert_eq!(names[0], "银川某制造企业0号");
    assert_eq!(
        names[ROWS as usize - 1],
        format!("银川某制造企业{}号", ROWS - 1)
    );
}

/// Issue 19: rows as Excel numbers them, blank rows skipped, a credit code
/// Excel turned into a number named as such, and a dry run that says what
/// the real run would do.
fn the_report_reads_as_the_spreadsheet_does(app: TestApp) {
    let (yinchuan, city) = city(&app);
    let blank = ",".repeat(HEADER.matches(',').count());
    let mangled = ROW_YONGNING.replace("916401223F0CD0E87F", "9.16401E+17");
    let file = csv(&[ROW_HELAN, &blank, &mangled, &blank, &blank]);
    let dry = import(
        &city,
        &format!("program_id={yinchuan}&dry_run=true"),
        "text/csv",
        file.clone().into_bytes(),
    );
    assert_eq!(dry.status, StatusCode::OK, "{}", dry.body);
    assert_eq!(dry.body["row_numbers"], "spreadsheet");
    assert_eq!(
        dry.body["outcome"], "would_reject",
        "atomic with a failed row"
    );
    assert_eq!(
        (
            dry.body["received"].as_u64(),
            dry.body["blank"].as_u64(),
            dry.body["created"].as_u64(),
            dry.body["failed"].as_u64()
        ),
        (Some(2), Some(3), Some(0), Some(1)),
        "{}",
        dry.body
    );
    let error = &dry.body["errors"][0];
    assert_eq!(
        (
            error["row"].as_u64(),
            error["column"].as_str(),
            error["code"].as_str()
        ),
        (Some(4), Some("统一社会信用代码"), Some("uscc_as_number")),
        "the header is row 1, the blank row 3 counts as a row: {}",
        dry.body
    );
    // In Chinese the hint says what to do.
    let zh = Resp::send(
        city.req(
            reqwest::Method::POST,
            &format!("/enterprises/import?program_id={yinchuan}&dry_run=true&atomic=false"),
        )
        .header("Content-Type", "text/csv")
        .header("Accept-Language", "zh-CN")
        .body(file.clone()),
    );
    assert!(
        zh.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("文本"),
        "{}",
        zh.body
    );
    assert_eq!(zh.body["outcome"], "would_write");
    // A value the column does not take: what was found and what is allowed.
    let oversized = ROW_HELAN.replace(",小型,", ",特大,");
    let said = |lang: &str| {
        let res = Resp::send(
            city.req(
                reqwest::Method::POST,
                &format!("/enterprises/import?program_id={yinchuan}&dry_run=true"),
            )
            .header("Content-Type", "text/csv")
            .header("Accept-Language", lang)
            .body(csv(&[&oversized])),
        );
        assert_eq!(res.body["errors"][0]["column"], "企业规模", "{}", res.body);
        res.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let en = said("en");
    assert!(
        en.contains("`特大`") && en.contains("micro, small or medium"),
        "{en}"
    );
    let zh_text = said("zh-CN");
    assert!(
        zh_text.contains("`特大`") && zh_text.contains("微型、小型或中型"),
        "{zh_text}"
    );
    assert_eq!(zh.body["created"], 1, "the good row would be written");
    assert_eq!(count(&city), 0, "a dry run writes nothing");
    // Without the programme, region names mean nothing: one answer for
    // the file, not an error per row.
    let unplaced = import(
        &app.admin(),
        "dry_run=true",
        "text/csv",
        csv(&[ROW_HELAN, ROW_YONGNING]).into_bytes(),
    );
    unplaced.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(unplaced.error_fields(), ["program_id"]);
    assert_eq!(unplaced.body["errors"][0]["code"], "program_required");
    let real = import(
        &city,
        &format!("program_id={yinchuan}&atomic=false"),
        "text/csv",
        file.into_bytes(),
    );
    assert_eq!(
        (real.body["outcome"].as_str(), real.body["created"].as_u64()),
        (Some("written"), Some(1)),
        "{}",
        real.body
    );
}
