//! The conventions every endpoint shares (issue 18): conditional reads,
//! HEAD, compression, the docs' address, one cursor name.

use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::json;
use shuzhuan_tests::{TestApp, both_backends};

both_backends!(
    a_read_whose_etag_is_known_is_not_sent_again,
    head_answers_what_get_would_without_a_body,
    answers_are_compressed_on_request_and_docs_redirect,
    the_feed_takes_cursor_like_every_list,
    every_collection_pages_with_limit_and_cursor,
    chinese_answers_are_chinese_from_end_to_end,
);

fn a_read_whose_etag_is_known_is_not_sent_again(app: TestApp) {
    let admin = app.admin();
    let path = format!("/programs/{}", app.program_id("jinan"));
    let first = admin.get(&path);
    assert_eq!(first.status, StatusCode::OK);
    let etag = first.header("etag").expect("an ETag").to_owned();
    let ask = |if_none_match: &str| {
        admin
            .req(reqwest::Method::GET, &path)
            .header("If-None-Match", if_none_match)
            .send()
            .unwrap()
    };
    for same in [
        etag.clone(),
        format!("W/{etag}"),
        format!("\"0\", {etag}"),
        "*".to_owned(),
    ] {
        let res = ask(&same);
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED, "{same}");
        assert_eq!(res.headers().get("etag").unwrap().to_str().unwrap(), etag);
        assert!(res.bytes().unwrap().is_empty());
    }
    let changed = ask("\"999999\"");
    assert_eq!(changed.status(), StatusCode::OK);
    assert!(!changed.bytes().unwrap().is_empty());

    // A list (or any read without a version) carries a weak tag of its
    // body: the same page, the same tag, until something on it changes.
    let regions = format!("/programs/{}/regions", app.program_id("jinan"));
    let first = admin.get(&regions);
    let tag = first.header("etag").expect("a list has an ETag").to_owned();
    assert!(tag.starts_with("W/\""), "{tag}");
    assert_eq!(admin.get(&regions).header("etag"), Some(tag.as_str()));
    let again = admin
        .req(reqwest::Method::GET, &regions)
        .header("If-None-Match", &tag)
        .send()
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let programs = admin.get("/programs");
    let before = programs.header("etag").unwrap().to_owned();
    let version = admin.get(&path).body["version"].as_i64().unwrap();
    let renamed = admin.patch(&path, version, json!({"description": "changed"}));
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    assert_ne!(admin.get("/programs").header("etag"), Some(before.as_str()));
}

fn head_answers_what_get_would_without_a_body(app: TestApp) {
    let admin = app.admin();
    let head = admin
        .req(reqwest::Method::HEAD, "/programs")
        .send()
        .unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert!(head.bytes().unwrap().is_empty());
    let missing = admin
        .req(reqwest::Method::HEAD, "/enterprises/no-such-id")
        .send()
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let anonymous = app
        .request(reqwest::Method::HEAD, "/programs")
        .send()
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

fn answers_are_compressed_on_request_and_docs_redirect(app: TestApp) {
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let plain = client.get(app.url("/openapi.json")).send().unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    let plain_len = plain.bytes().unwrap().len();
    for encoding in ["gzip", "br"] {
        let packed = client
            .get(app.url("/openapi.json"))
            .header("Accept-Encoding", encoding)
            .send()
            .unwrap();
        assert_eq!(
            packed
                .headers()
                .get("content-encoding")
                .map(|v| v.to_str().unwrap()),
            Some(encoding)
        );
        let packed_len = packed.bytes().unwrap().len();
        assert!(
            packed_len * 4 < plain_len,
            "{encoding}: {packed_len} of {plain_len} bytes"
        );
    }
    let docs = client.get(app.url("/docs")).send().unwrap();
    assert_eq!(docs.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(docs.headers().get("location").unwrap(), "/docs/");
}

fn the_feed_takes_cursor_like_every_list(app: TestApp) {
    let sync = app.user_with_grants("national.platform", json!([{"role": "sync_client"}]));
    let first = sync.get("/sync/changes?limit=3");
    let next = first.body["next_cursor"].as_str().unwrap().to_owned();
    let by_cursor = sync.get(&format!("/sync/changes?limit=3&cursor={next}"));
    let by_after = sync.get(&format!("/sync/changes?limit=3&after={next}"));
    assert_eq!(by_cursor.status, StatusCode::OK, "{}", by_cursor.body);
    assert_eq!(by_cursor.body, by_after.body);
    assert_ne!(by_cursor.body["items"], first.body["items"]);
    let both = sync.get(&format!("/sync/changes?limit=3&cursor={next}&after=1"));
    assert_eq!(both.body, by_cursor.body, "cursor wins over its old name");
}

/// Walks a list two at a time and returns every item seen.
pub(crate) fn walk(who: &shuzhuan_tests::As<'_>, path: &str) -> Vec<serde_json::Value> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            None => format!("{path}{sep}limit=2"),
            Some(c) => format!("{path}{sep}limit=2&cursor={c}"),
        };
        let page = who.get(&url);
        assert_eq!(page.status, StatusCode::OK, "{url}: {}", page.body);
        let items = page.body["items"].as_array().unwrap();
        assert!(items.len() <= 2, "{url}: limit ignored");
        seen.extend(items.iter().cloned());
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return seen,
        }
        assert!(seen.len() < 1000, "{path} does not end");
    }
}

fn every_collection_pages_with_limit_and_cursor(app: TestApp) {
    let admin = app.admin();
    let yinchuan = app.program_id("yinchuan");
    for list in [
        "regions",
        "industries",
        "batches",
        "targets",
        "provider-pool",
        "subsidy-policies",
    ] {
        let path = format!("/programs/{yinchuan}/{list}");
        let whole = admin.get(&format!("{path}?limit=500"));
        assert_eq!(whole.status, StatusCode::OK, "{path}: {}", whole.body);
        let all = whole.body["items"].as_array().unwrap().clone();
        assert!(
            all.len() > 2 || matches!(list, "subsidy-policies" | "provider-pool"),
            "{path}"
        );
        assert_eq!(
            walk(&admin, &path),
            all,
            "{path}: pages add up to the whole"
        );
        admin
            .get(&format!("{path}?cursor=not-a-cursor"))
            .assert_problem(StatusCode::BAD_REQUEST, "malformed_cursor");
        admin
            .get(&format!("{path}?limit=501"))
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    }
    // The targets' roll-up warnings come with every page.
    let first = admin.get(&format!("/programs/{yinchuan}/targets?limit=1"));
    assert!(first.body["warnings"].is_array());
    for path in ["/enterprises", "/sync/changes", "/audit-log"] {
        admin
            .get(&format!("{path}?cursor=%E2%9C%97garbage"))
            .assert_problem(StatusCode::BAD_REQUEST, "malformed_cursor");
    }
}

fn chinese_answers_are_chinese_from_end_to_end(app: TestApp) {
    let admin = app.admin();
    let zh = |req: reqwest::blocking::RequestBuilder| {
        let res = shuzhuan_tests::Resp::send(req.header("Accept-Language", "zh-CN"));
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
        res.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let program = app.program_id("yinchuan");
    let wrong_type = zh(admin
        .req(reqwest::Method::POST, "/enterprises")
        .json(&json!({
            "program_id": program, "uscc": shuzhuan_tests::uscc("640122", 9), "name": "某企业",
            "region_code": "640122", "industry_code": "new_materials", "size_class": "small",
            "employees": "120"
        })));
    assert_eq!(wrong_type, "类型错误：应为整数，收到的是字符串 \"120\"");
    let unknown = zh(admin
        .req(reqwest::Method::POST, "/enterprises")
        .json(&json!({
            "program_id": program, "employee_count": 3
        })));
    assert!(
        unknown.starts_with("未知字段 `employee_count`，可用字段："),
        "{unknown}"
    );
    assert_eq!(
        zh(admin.req(reqwest::Method::GET, "/enterprises?limit=abc")),
        "应为范围内的整数"
    );
    assert_eq!(
        zh(admin.req(reqwest::Method::GET, "/enterprises?limit=1000")),
        "取值应在 1 至 500 之间"
    );
    let short = zh(admin.req(reqwest::Method::POST, "/users").json(&json!({
        "username": "ab", "password": "x", "display_name": "x"
    })));
    assert!(!short.chars().any(|c| c.is_ascii_alphabetic()), "{short}");
}
