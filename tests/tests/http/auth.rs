//! Login, tokens and their refusal: DOMAIN.md §2, API.md "Auth".

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::json;
use sha2::{Digest, Sha256};
use shuzhuan_tests::{ADMIN_PASSWORD, JWT_SECRET, StatusCode, TestApp, both_backends};

both_backends!(
    login_gives_tokens_and_me_shows_the_grants,
    wrong_password_and_unknown_user_are_401_alike,
    expired_tampered_unsigned_and_foreign_tokens_are_401,
    refresh_rotates_and_a_spent_refresh_token_is_refused,
    api_token_is_shown_once_works_and_stops_when_revoked,
    deactivated_user_can_neither_log_in_nor_use_tokens,
);

fn login_gives_tokens_and_me_shows_the_grants(app: TestApp) {
    let res = app.anonymous().post(
        "/auth/token",
        json!({"username": "admin", "password": ADMIN_PASSWORD}),
    );
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["token_type"], "Bearer");
    assert_eq!(res.body["expires_in"], 900);
    assert!(
        res.body["refresh_token"]
            .as_str()
            .unwrap()
            .starts_with("szr_")
    );
    let me = app
        .with_token(res.body["access_token"].as_str().unwrap())
        .get("/me");
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["username"], "admin");
    assert_eq!(
        me.body["grants"],
        json!([{"role": "platform_admin", "program_id": null, "region_codes": [], "enterprise_id": null, "provider_id": null}])
    );
    assert!(me.body.get("password_hash").is_none());
}

fn wrong_password_and_unknown_user_are_401_alike(app: TestApp) {
    let wrong = app.anonymous().post(
        "/auth/token",
        json!({"username": "admin", "password": "not the password"}),
    );
    wrong.assert_problem(StatusCode::UNAUTHORIZED, "invalid_credentials");
    let unknown = app.anonymous().post(
        "/auth/token",
        json!({"username": "nobody", "password": "whatever"}),
    );
    unknown.assert_problem(StatusCode::UNAUTHORIZED, "invalid_credentials");
    assert_eq!(wrong.body["detail"], unknown.body["detail"]);
    app.anonymous()
        .get("/me")
        .assert_problem(StatusCode::UNAUTHORIZED, "missing_token");
}

fn kid() -> String {
    hex::encode(&Sha256::digest(JWT_SECRET.as_bytes())[..8])
}

fn claims(sub: &str, exp: i64) -> serde_json::Value {
    let now = chrono::Utc::now().timestamp();
    json!({"sub": sub, "iss": "shuzhuan", "aud": "shuzhuan-api", "exp": exp, "iat": now,
           "jti": "x", "username": "admin", "grants": []})
}

fn forge(alg: Algorithm, secret: &str, claims: &serde_json::Value) -> String {
    let mut header = Header::new(alg);
    header.kid = Some(kid());
    encode(
        &header,
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn expired_tampered_unsigned_and_foreign_tokens_are_401(app: TestApp) {
    let admin = app.admin();
    let sub = admin.get("/me").body["id"].as_str().unwrap().to_owned();
    let now = chrono::Utc::now().timestamp();

    // The same key and claims, freshly forged, work: the refusals below are
    // about what was changed, not about forging as such.
    let good = forge(Algorithm::HS256, JWT_SECRET, &claims(&sub, now + 60));
    assert_eq!(app.with_token(&good).get("/me").status, StatusCode::OK);

    let expired = forge(Algorithm::HS256, JWT_SECRET, &claims(&sub, now - 5));
    app.with_token(&expired)
        .get("/me")
        .assert_problem(StatusCode::UNAUTHORIZED, "token_expired");

    let other_alg = forge(Algorithm::HS384, JWT_SECRET, &claims(&sub, now + 60));
    app.with_token(&other_alg)
        .get("/me")
        .assert_problem(StatusCode::UNAUTHORIZED, "invalid_token");

    let other_key = forge(
        Algorithm::HS256,
        "another-secret-0123456789abcdef0123456789",
        &claims(&sub, now + 60),
    );
    app.with_token(&other_key)
        .get("/me")
        .assert_problem(StatusCode::UNAUTHORIZED, "invalid_token");

    // Tampered: the payload of a valid token with another subject.
    let mut parts: Vec<String> = admin.token.split('.').map(str::to_owned).collect();
    let mut payload: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
    payload["username"] = json!("mallory");
    parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&payload).unwrap());
    app.with_token(&parts.join("."))
        .get("/me")
        .assert_problem(StatusCode::UNAUTHORIZED, "invalid_token");

    // alg: none, unsigned.
    let header =
        URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "JWT", "kid": kid()}).to_string());
    let body = URL_SAFE_NO_PAD.encode(claims(&sub, now + 60).to_string());
    app.with_token(&format!("{header}.{body}."))
        .get("/me")
        .assert_problem(StatusCode::UNAUTHORIZED, "invalid_token");

    app.with_token("garbage")
        .get("/me")
        .assert_problem(StatusCode::UNAUTHORIZED, "invalid_token");
}

fn refresh_rotates_and_a_spent_refresh_token_is_refused(app: TestApp) {
    let login = app.anonymous().post(
        "/auth/token",
        json!({"username": "admin", "password": ADMIN_PASSWORD}),
    );
    let refresh = login.body["refresh_token"].as_str().unwrap().to_owned();
    let next = app
        .anonymous()
        .post("/auth/refresh", json!({"refresh_token": refresh}));
    assert_eq!(next.status, StatusCode::OK, "{}", next.body);
    assert_ne!(next.body["refresh_token"], login.body["refresh_token"]);
    let token = next.body["access_token"].as_str().unwrap();
    assert_eq!(app.with_token(token).get("/me").status, StatusCode::OK);
    app.anonymous()
        .post("/auth/refresh", json!({"refresh_token": refresh}))
        .assert_problem(StatusCode::UNAUTHORIZED, "invalid_refresh_token");
    app.anonymous()
        .post("/auth/refresh", json!({"refresh_token": "szr_unknown"}))
        .assert_problem(StatusCode::UNAUTHORIZED, "invalid_refresh_token");
}

fn api_token_is_shown_once_works_and_stops_when_revoked(app: TestApp) {
    let admin = app.admin();
    let created = admin.post("/api-tokens", json!({"name": "nightly import"}));
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let secret = created.body["secret"].as_str().unwrap().to_owned();
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("szt_"));

    let me = app.with_token(&secret).get("/me");
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["username"], "admin");

    let listed = admin.get("/api-tokens");
    let item = &listed.body["items"][0];
    assert_eq!(item["id"], id.as_str());
    assert!(
        item.get("secret").is_none(),
        "the secret is shown only once"
    );
    assert!(!listed.body.to_string().contains(&secret));

    // Someone else cannot revoke it: to them it does not exist.
    let other = app.user_with_grants("sync.bot", json!([{"role": "sync_client"}]));
    other
        .delete(&format!("/api-tokens/{id}"))
        .assert_problem(StatusCode::NOT_FOUND, "not_found");

    assert_eq!(
        admin.delete(&format!("/api-tokens/{id}")).status,
        StatusCode::NO_CONTENT
    );
    app.with_token(&secret)
        .get("/me")
        .assert_problem(StatusCode::UNAUTHORIZED, "invalid_token");
    assert!(admin.get("/api-tokens").body["items"][0]["revoked_at"].is_string());

    let past = admin.post(
        "/api-tokens",
        json!({"name": "old", "expires_at": "2020-01-01T00:00:00Z"}),
    );
    past.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(past.error_fields(), ["expires_at"]);
}

fn deactivated_user_can_neither_log_in_nor_use_tokens(app: TestApp) {
    let officer = app.user_with_grants(
        "observer.one",
        json!([{"role": "observer", "program_id": app.program_id("jinan")}]),
    );
    assert_eq!(officer.get("/me").status, StatusCode::OK);
    let admin = app.admin();
    let me = officer.get("/me");
    let id = me.body["id"].as_str().unwrap();
    let version = me.body["version"].as_i64().unwrap();
    let res = admin.patch(&format!("/users/{id}"), version, json!({"active": false}));
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    officer
        .get("/me")
        .assert_problem(StatusCode::UNAUTHORIZED, "invalid_token");
    app.anonymous()
        .post(
            "/auth/token",
            json!({"username": "observer.one", "password": "password-of-a-test-user"}),
        )
        .assert_problem(StatusCode::UNAUTHORIZED, "invalid_credentials");
}
