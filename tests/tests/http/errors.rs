//! Bad input gets a clear problem+json, never a 500: API.md "Errors".

use serde_json::json;
use shuzhuan_tests::{Resp, StatusCode, TestApp, both_backends};

both_backends!(
    problems_have_the_rfc9457_shape_and_speak_chinese_when_asked,
    malformed_wrongly_typed_oversized_and_unknown_bodies_are_4xx,
    unknown_routes_and_bad_query_parameters_are_problems,
    a_known_path_with_another_method_is_405_with_allow,
    health_readiness_metrics_and_docs_answer,
    served_openapi_equals_the_committed_document,
);

fn problems_have_the_rfc9457_shape_and_speak_chinese_when_asked(app: TestApp) {
    let admin = app.admin();
    let body = json!({"username": "x", "password": "short", "display_name": "x"});
    let en = admin.post("/users", body.clone());
    en.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(en.body["type"], "urn:shuzhuan:problem:validation_failed");
    assert_eq!(en.body["title"], "Validation failed");
    assert_eq!(en.header("content-language"), Some("en"));
    let first = &en.body["errors"][0];
    assert!(
        first["field"].is_string() && first["code"] == "length" && first["message"].is_string()
    );

    let zh = Resp::send(
        admin
            .req(reqwest::Method::POST, "/users")
            .header("Accept-Language", "zh-CN,zh;q=0.9,en;q=0.5")
            .json(&body),
    );
    zh.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(zh.body["title"], "数据校验未通过");
    assert!(
        zh.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("长度")
    );
    assert_eq!(zh.header("content-language"), Some("zh-CN"));
    assert_eq!(
        zh.body["code"], en.body["code"],
        "codes are stable across languages"
    );

    let unauth = Resp::send(
        app.anonymous()
            .req(reqwest::Method::GET, "/me")
            .header("Accept-Language", "zh"),
    );
    assert_eq!(unauth.body["title"], "需要身份认证");
    assert_eq!(unauth.header("www-authenticate"), Some("Bearer"));
}

fn malformed_wrongly_typed_oversized_and_unknown_bodies_are_4xx(app: TestApp) {
    let admin = app.admin();
    let raw = |ct: &str, body: Vec<u8>| {
        Resp::send(
            admin
                .req(reqwest::Method::POST, "/users")
                .header("Content-Type", ct)
                .body(body),
        )
    };

    raw("application/json", b"{\"username\": ".to_vec())
        .assert_problem(StatusCode::BAD_REQUEST, "malformed_json");
    raw("application/json", br#"{"username": "abc", "password": "a long enough password", "display_name": "x"} trailing"#.to_vec()).assert_problem(StatusCode::BAD_REQUEST, "malformed_json");
    raw("application/json", vec![0xff, 0xfe, 0x00])
        .assert_problem(StatusCode::BAD_REQUEST, "malformed_json");
    raw("text/plain", b"{}".to_vec())
        .assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    let big = format!("{{\"username\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
    raw("application/json", big.into_bytes())
        .assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");

    let unknown = admin.post("/users", json!({"username": "abc", "password": "a long enough password", "display_name": "x", "is_admin": true}));
    unknown.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(
        unknown.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("is_admin")
    );

    let typed = admin.post(
        "/users",
        json!({"username": 5, "password": "a long enough password", "display_name": "x"}),
    );
    typed.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(typed.error_fields(), ["username"]);

    let nested = admin.post(
        "/programs",
        json!({"code": "abc", "name": "n", "city": "c", "province": "p",
        "starts_on": "2026-01-01", "ends_on": "2026-02-30", "regions": [], "industries": []}),
    );
    nested.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(nested.error_fields(), ["ends_on"]);
    // None of it was written.
    assert_eq!(
        admin.get("/users").body["items"].as_array().unwrap().len(),
        1
    );
}

fn unknown_routes_and_bad_query_parameters_are_problems(app: TestApp) {
    let admin = app.admin();
    admin
        .get("/no-such-thing")
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    admin
        .get("/programs/does-not-exist")
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    let res = admin.get("/programs?limit=0");
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(res.error_fields(), ["limit"]);
    assert_eq!(admin.get("/programs?limit=abc").error_fields(), ["limit"]);
    // A cursor no list gave out is refused, not read as the end.
    admin
        .get("/programs?cursor=zzzz")
        .assert_problem(StatusCode::BAD_REQUEST, "malformed_cursor");
    assert_eq!(
        admin.get("/programs?colour=red").status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let page = admin.get("/programs?limit=2");
    assert_eq!(page.body["items"].as_array().unwrap().len(), 2);
    let mut seen = 2;
    let mut cursor = page.body["next_cursor"].as_str().map(str::to_owned);
    while let Some(c) = cursor {
        let next = admin.get(&format!("/programs?limit=2&cursor={c}"));
        seen += next.body["items"].as_array().unwrap().len();
        cursor = next.body["next_cursor"].as_str().map(str::to_owned);
    }
    assert_eq!(seen, 5);
}

fn a_known_path_with_another_method_is_405_with_allow(app: TestApp) {
    let admin = app.admin();
    let res = Resp::send(admin.req(reqwest::Method::DELETE, "/programs"));
    res.assert_problem(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    assert_eq!(res.header("allow"), Some("GET, POST"));
    let jinan = app.program_id("jinan");
    let res = Resp::send(admin.req(reqwest::Method::PUT, &format!("/programs/{jinan}")));
    assert_eq!(res.header("allow"), Some("GET, PATCH"));
    let res = Resp::send(app.anonymous().req(reqwest::Method::POST, "/healthz"));
    res.assert_problem(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
}

fn health_readiness_metrics_and_docs_answer(app: TestApp) {
    let anon = app.anonymous();
    assert_eq!(anon.get("/healthz").body, json!({"status": "ok"}));
    assert_eq!(anon.get("/readyz").status, StatusCode::OK);
    let _ = anon.get("/programs");
    let metrics = anon.get("/metrics");
    let text = metrics.body.as_str().unwrap();
    assert!(
        text.contains(
            "shuzhuan_http_requests_total{method=\"GET\",route=\"/api/v1/programs\",status=\"401\"}"
        ),
        "{text}"
    );
    let docs = anon.get("/docs/");
    assert_eq!(docs.status, StatusCode::OK);
    assert!(
        docs.body.as_str().unwrap().contains("swagger"),
        "docs are served from the binary"
    );
}

fn served_openapi_equals_the_committed_document(app: TestApp) {
    let served = app.anonymous().get("/openapi.json");
    assert_eq!(served.status, StatusCode::OK);
    let committed: serde_json::Value = serde_json::from_str(shuzhuan_openapi::COMMITTED).unwrap();
    assert!(
        served.body == committed,
        "openapi/openapi.json is stale: run `make openapi` and commit it"
    );
    assert_eq!(served.body["openapi"], "3.1.0");
    // OpenAPI requires a description on every response.
    for (path, item) in served.body["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (status, response) in op["responses"].as_object().unwrap() {
                let response = match response["$ref"].as_str() {
                    Some(r) => {
                        let name = r.strip_prefix("#/components/responses/").unwrap();
                        &served.body["components"]["responses"][name]
                    }
                    None => response,
                };
                assert!(
                    response["description"]
                        .as_str()
                        .is_some_and(|d| !d.is_empty()),
                    "{method} {path} {status} has no description"
                );
            }
        }
    }
}
