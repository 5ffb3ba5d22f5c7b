//! Self-evaluation reports and the provider evaluation over HTTP (issue
//! 21): a small programme walked by hand, its provider's figures counted
//! by hand, a report issued, the data changed, the report read again byte
//! for byte, its hash found in the audit chain and the feed, a correction
//! with its differences, the workbook and the printable page.

use std::io::Cursor;

use calamine::{Reader, Xlsx};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use shuzhuan_tests::{As, StatusCode, TestApp, both_backends};

use crate::http::projects::{Pilot, YUAN, ok, plan};

both_backends!(
    the_provider_evaluation_counts_as_computed_by_hand,
    a_report_is_frozen_hashed_corrected_and_rendered,
    every_seed_programme_issues_its_mid_term_report,
);

/// Three projects of one provider in Xuchang (pass level 2): one accepted
/// at first try within its plan's dates, one accepted after a failed
/// acceptance and rectification (late), one still implementing with an
/// adverse spot-check finding.
fn walk<'a>(pilot: &Pilot<'a>) -> (Vec<String>, Vec<As<'a>>) {
    let ents: Vec<As<'a>> = (0..3).map(|n| pilot.enterprise(210 + n).1).collect();
    let ids: Vec<String> = ents.iter().map(|e| pilot.submitted(e)).collect();
    let mut long = plan(600_000 * YUAN);
    long["ends_on"] = json!("2027-06-30");
    pilot.walk_with_plan(&ents[0], &ids[0], long);
    pilot.walk_to_implementing(&ents[1], &ids[1]);
    pilot.walk_to_implementing(&ents[2], &ids[2]);
    pilot.batch_to("implementing");
    for (ent, id) in ents.iter().zip(&ids).take(2) {
        pilot.prechecked(ent, id);
        pilot.assign(id, "evaluator", &pilot.evaluator);
    }
    pilot.batch_to("accepting");
    pilot.accept(&ids[0], true, json!({"satisfaction": {"score": 5}}));
    assert_eq!(
        pilot.accept(&ids[1], false, json!({}))["state"],
        "rectification"
    );
    let deadline = (chrono::Utc::now().date_naive() + chrono::Days::new(30)).to_string();
    pilot.step(
        &pilot.city,
        &ids[1],
        "resume",
        json!({"deadline": deadline}),
    );
    pilot.prechecked(&ents[1], &ids[1]);
    pilot.accept(&ids[1], true, json!({"satisfaction": {"score": 3}}));
    // The first is audited, approved (50 % of 600,000 yuan) and paid.
    pilot.audit_and_approve(&ids[0], 600_000 * YUAN);
    pilot.step(
        &pilot.finance,
        &ids[0],
        "disburse",
        json!({"reference": "xc-eval-1", "paid_on": chrono::Utc::now().date_naive().to_string()}),
    );
    // A spot check of the three, and an adverse finding on the third.
    let check = ok(pilot.city.post(
        &format!("/programs/{}/spot-checks", pilot.program),
        json!({"title": "中期抽查", "sample_size": 3,
               "population": {"states": ["implementing", "accepted", "disbursed"]},
               "inspector_user_ids": [crate::http::projects::user_id(&pilot.evaluator)]}),
    ));
    ok(pilot.city.post(
        &format!("/spot-checks/{}/findings", check["id"].as_str().unwrap()),
        json!({"project_id": ids[2], "outcome": "built_but_unused", "note": "系统未上线"}),
    ));
    (ids, ents)
}

fn ours<'v>(ranking: &'v Value, provider: &str) -> &'v Value {
    ranking["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["provider_id"] == provider)
        .unwrap()
}

/// By hand: 3 contracts (the most: 20 points); 1 at first try and 1
/// after rectification: 25 × 1.5 / 3 = 12.5; satisfaction (5 + 3) / 2 = 4:
/// 15; both gained two levels (0 → 2): 10; one of the two on time: 5; one
/// adverse finding: −5; red points 15 × (1 − red / active); the 300,000
/// yuan paid to its client.
fn the_provider_evaluation_counts_as_computed_by_hand(app: TestApp) {
    let pilot = Pilot::new(&app, "xuchang");
    walk(&pilot);
    let ranking = ok(pilot
        .city
        .get(&format!("/programs/{}/provider-ranking", pilot.program)));
    let r = ours(&ranking, &pilot.provider_id);
    let n = |k: &str| r[k].as_i64().unwrap();
    let f = |k: &str| r[k].as_f64().unwrap();
    assert_eq!(
        [
            n("projects"),
            n("contracts"),
            n("acceptances_first_try"),
            n("acceptances_after_rectification"),
            n("acceptances_passed"),
            n("on_time"),
            n("adverse_findings"),
            n("subsidy_paid_fen"),
        ],
        [3, 3, 1, 1, 2, 1, 1, 300_000 * YUAN],
        "{r}"
    );
    assert_eq!((f("mean_satisfaction"), f("mean_level_gain")), (4.0, 2.0));
    assert_eq!(
        [
            f("contracts_points"),
            f("acceptance_points"),
            f("satisfaction_points"),
            f("gain_points"),
            f("on_time_points"),
            f("findings_penalty"),
        ],
        [20.0, 12.5, 15.0, 10.0, 5.0, 5.0]
    );
    let red = (15.0 * (1.0 - f("red_projects") / f("active_projects")) * 100.0).round() / 100.0;
    assert_eq!(f("red_points"), red);
    let total = 20.0 + 12.5 + 15.0 + 10.0 + 5.0 + red - 5.0;
    assert!((f("score") - total).abs() < 0.011, "{r}");
    assert_eq!(r["finding_ids"].as_array().unwrap().len(), 1);
    assert_eq!(r["rank"], 1);
    assert!(ranking["formula"].as_str().unwrap().contains("first-try"));
    // A period before anything happened counts nothing; a reversed one is 422.
    let before = ok(pilot.city.get(&format!(
        "/programs/{}/provider-ranking?from=2025-11-05&to=2025-12-31",
        pilot.program
    )));
    let early = ours(&before, &pilot.provider_id);
    assert_eq!(
        (early["contracts"].as_i64(), early["projects"].as_i64()),
        (Some(0), Some(0))
    );
    pilot
        .city
        .get(&format!(
            "/programs/{}/provider-ranking?from=2026-12-01&to=2026-01-01",
            pilot.program
        ))
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let finding_ids = r["finding_ids"].clone();
    // The evaluation feeds the pool decision, its evidence linked.
    let entry = format!(
        "/programs/{}/provider-pool/{}",
        pilot.program, pilot.provider_id
    );
    let version = ok(pilot.city.get(&entry))["version"].as_i64().unwrap();
    let res = pilot.city.patch(
        &entry,
        version,
        json!({"status": "suspended", "grade": "C", "reason": "抽查发现建而不用",
               "evidence": [finding_ids[0], "no-such-finding"]}),
    );
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(res.error_fields(), ["evidence[1]"]);
    assert_eq!(res.body["errors"][0]["code"], "unknown_evidence");
    let decided = ok(pilot.city.patch(
        &entry,
        version,
        json!({"status": "suspended", "grade": "C", "reason": "抽查发现建而不用",
               "evidence": finding_ids}),
    ));
    assert_eq!(
        (
            decided["status"].as_str(),
            decided["grade"].as_str(),
            &decided["evidence"]
        ),
        (Some("suspended"), Some("C"), &finding_ids)
    );
}

/// The raw bytes of a GET.
fn raw(who: &As<'_>, path: &str) -> (StatusCode, String, Vec<u8>) {
    let res = who.req(Method::GET, path).send().expect("sent");
    let status = res.status();
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (status, ct, res.bytes().expect("body").to_vec())
}

fn section<'v>(report: &'v Value, code: &str) -> &'v Value {
    report["content"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"] == code)
        .unwrap_or_else(|| panic!("no section {code}"))
}

/// The cell of `column` in the row whose first cell is `row`.
fn cell(report: &Value, code: &str, row: &str, column: &str) -> Value {
    let s = section(report, code);
    let at = s["columns"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c["key"] == column)
        .unwrap_or_else(|| panic!("no column {column}"));
    s["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r[0] == row)
        .unwrap_or_else(|| panic!("no row {row} in {code}: {s}"))[at]
        .clone()
}

fn a_report_is_frozen_hashed_corrected_and_rendered(app: TestApp) {
    let pilot = Pilot::new(&app, "xuchang");
    let (ids, ents) = walk(&pilot);
    let program = pilot.program.clone();
    let path = format!("/programs/{program}/evaluations");
    let observer = app.user_with_grants(
        "xuchang.observer",
        json!([{"role": "observer", "program_id": program}]),
    );
    let (_, ent) = pilot.enterprise(299);

    // Only the office issues; the enterprise does not even read.
    observer
        .post(&path, json!({"period_kind": "mid_term"}))
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    ent.get(&path)
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    for (body, field) in [
        (json!({"period_kind": "quarterly"}), "period_kind"),
        (json!({"period_kind": "annual"}), "year"),
        (
            json!({"period_kind": "mid_term", "as_of": "2099-01-01"}),
            "as_of",
        ),
        (
            json!({"period_kind": "custom", "starts_on": "2026-06-01", "ends_on": "2026-01-01"}),
            "ends_on",
        ),
    ] {
        let res = pilot.city.post(&path, body);
        res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert!(
            res.error_fields().contains(&field.to_owned()),
            "{}",
            res.body
        );
    }

    let issued = pilot.city.post(&path, json!({"period_kind": "mid_term"}));
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.body);
    let report = issued.body;
    let id = report["id"].as_str().unwrap().to_owned();
    assert_eq!(
        issued.headers["location"].to_str().unwrap(),
        format!("/api/v1/evaluations/{id}")
    );
    assert_eq!(
        (report["report_no"].as_i64(), report["version"].as_i64()),
        (Some(1), Some(1))
    );
    // What the report says of the walked programme.
    assert_eq!(cell(&report, "transformation", "total", "transformed"), 2);
    assert_eq!(cell(&report, "transformation", "total", "before_0"), 2);
    assert_eq!(cell(&report, "transformation", "total", "after_2"), 2);
    assert_eq!(cell(&report, "transformation", "total", "mean_gain"), 200);
    assert_eq!(
        cell(&report, "subsidy_by_level", "2 级", "paid_fen"),
        300_000 * YUAN
    );
    assert_eq!(
        cell(
            &report,
            "providers",
            &pilot.provider_id,
            "after_rectification"
        ),
        1
    );
    assert_eq!(
        cell(&report, "providers", &pilot.provider_id, "findings"),
        1
    );
    let transformed = cell(&report, "targets", "enterprises_transformed", "actual");
    assert!(transformed.as_i64().unwrap() >= 2, "{transformed}");
    assert!(
        section(&report, "spot_checks")["rows"]
            .as_array()
            .unwrap()
            .len()
            == 1
    );
    // The three identical test plans are flagged as copies of each other.
    assert!(
        cell(&report, "risks", "copied_plan", "projects")
            .as_i64()
            .unwrap()
            >= 2
    );

    // Issued again with nothing changed: the same report, not a second.
    let again = pilot.city.post(&path, json!({"period_kind": "mid_term"}));
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["id"], json!(id));

    // Frozen: the bytes read now and after the data moved on are the same.
    let one = format!("/evaluations/{id}");
    let (status, _, first) = raw(&pilot.city, &one);
    assert_eq!(status, StatusCode::OK);
    let third = &ids[2];
    pilot.prechecked(&ents[2], third);
    pilot.assign(third, "evaluator", &pilot.evaluator);
    pilot.accept(third, true, json!({"satisfaction": {"score": 4}}));
    let (_, _, later) = raw(&pilot.city, &one);
    assert_eq!(first, later, "a frozen report never changes");
    let (_, _, by_observer) = raw(&observer, &one);
    assert_eq!(first, by_observer);

    // Its hash is SHA-256 of the content as served, and in the audit chain.
    let text = String::from_utf8(first).unwrap();
    let at = text.find(",\"content\":").unwrap() + ",\"content\":".len();
    let content = &text[at..text.len() - 1];
    let hash = hex::encode(Sha256::digest(content.as_bytes()));
    assert_eq!(report["content_sha256"], json!(hash));
    let audit = ok(pilot.city.get(&format!(
        "/audit-log?program_id={program}&object_type=evaluation_report&object_id={id}"
    )));
    let entry = &audit["items"][0];
    assert_eq!(entry["action"], "evaluation.issue");
    assert_eq!(entry["after"]["content_sha256"], json!(hash));
    let verified = ok(app.admin().get("/audit-log/verify"));
    assert_eq!(verified["intact"], true, "{verified}");
    // The national platform receives it through the feed.
    let feed = ok(app.admin().get(&format!(
        "/sync/changes?program_id={program}&object_type=evaluation_report"
    )));
    let event = &feed["items"][0];
    assert_eq!(
        (
            event["object_id"].as_str(),
            event["snapshot"]["content_sha256"].as_str()
        ),
        (Some(id.as_str()), Some(hash.as_str()))
    );
    assert!(report["feed_seq"].as_i64().unwrap() < event["seq"].as_i64().unwrap());

    // A correction: version 2 from the data as it stands, with what changed.
    let fixed = pilot.city.post(
        &format!("/evaluations/{id}/corrections"),
        json!({"reason": "第三家企业验收结果补录"}),
    );
    assert_eq!(fixed.status, StatusCode::CREATED, "{}", fixed.body);
    let v2 = fixed.body;
    assert_eq!(
        (v2["report_no"].as_i64(), v2["version"].as_i64()),
        (Some(1), Some(2))
    );
    assert_eq!(v2["correction_reason"], "第三家企业验收结果补录");
    let diffs = v2["differences"].as_array().unwrap();
    assert!(
        diffs.iter().any(|d| d["section"] == "transformation"
            && d["row"] == "total"
            && d["column"] == "transformed"
            && d["before"] == 2
            && d["after"] == 3),
        "{diffs:?}"
    );
    assert_ne!(v2["content_sha256"], report["content_sha256"]);
    pilot
        .city
        .post(
            &format!("/evaluations/{id}/corrections"),
            json!({"reason": "再改"}),
        )
        .assert_problem(StatusCode::CONFLICT, "not_latest_version");
    observer
        .post(
            &format!("/evaluations/{}/corrections", v2["id"].as_str().unwrap()),
            json!({"reason": "x"}),
        )
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let (_, _, still) = raw(&pilot.city, &one);
    assert_eq!(
        text.as_bytes(),
        still.as_slice(),
        "version 1 stays as it was"
    );
    let listed = ok(observer.get(&path));
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
    let corrections = ok(pilot.city.get(&format!(
        "/audit-log?program_id={program}&object_type=evaluation_report&object_id={}",
        v2["id"].as_str().unwrap()
    )));
    assert_eq!(corrections["items"][0]["action"], "evaluation.correct");

    // The workbook: one sheet per section under its Chinese title.
    let v2_path = format!("/evaluations/{}", v2["id"].as_str().unwrap());
    let (status, ct, bytes) = raw(&pilot.city, &format!("{v2_path}?format=xlsx"));
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("application/vnd.openxmlformats"), "{ct}");
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
    let names = book.sheet_names();
    for title in [
        "报告信息",
        "目标完成情况",
        "企业改造情况",
        "资金来源与用途",
        "服务商绩效评价",
        "抽查情况",
        "风险线索",
        "版本变更",
    ] {
        assert!(names.iter().any(|n| n == title), "{title} in {names:?}");
    }
    let sheet = book.worksheet_range("企业改造情况").unwrap();
    assert_eq!(sheet.get_value((0, 0)).unwrap().to_string(), "分组");
    // The printable page.
    let (status, ct, page) = raw(&pilot.city, &format!("{v2_path}?format=html"));
    assert_eq!(status, StatusCode::OK);
    assert!(ct.starts_with("text/html"), "{ct}");
    let page = String::from_utf8(page).unwrap();
    for needle in [
        "企业改造情况",
        "版本变更",
        v2["content_sha256"].as_str().unwrap(),
    ] {
        assert!(page.contains(needle), "{needle}");
    }
    pilot
        .city
        .get(&format!("{v2_path}?format=pdf"))
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    // Out of scope: another programme's office does not see it.
    let other = app.user_with_grants(
        "jinan.city.eval",
        json!([{"role": "city_admin", "program_id": app.program_id("jinan")}]),
    );
    other
        .get(&one)
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
}

/// Each seed programme issues its mid-term report from what it holds
/// (its seed targets, pools and library): every section present, every
/// seed target on it.
fn every_seed_programme_issues_its_mid_term_report(app: TestApp) {
    let admin = app.admin();
    for code in ["xuchang", "jinan", "changji", "shiyan", "yinchuan"] {
        let program = app.program_id(code);
        let res = admin.post(
            &format!("/programs/{program}/evaluations"),
            json!({"period_kind": "mid_term"}),
        );
        assert_eq!(res.status, StatusCode::CREATED, "{code}: {}", res.body);
        let codes: Vec<&str> = res.body["content"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["code"].as_str().unwrap())
            .collect();
        assert_eq!(
            codes,
            [
                "overview",
                "targets",
                "transformation",
                "funds",
                "subsidy_by_level",
                "providers",
                "products",
                "promotion",
                "spot_checks",
                "risks"
            ],
            "{code}"
        );
        let rows = section(&res.body, "targets")["rows"]
            .as_array()
            .unwrap()
            .len();
        assert!(rows > 0, "{code}: the seed's targets are reported");
        assert!(
            res.body["title"].as_str().unwrap().contains("中期绩效自评"),
            "{code}"
        );
    }
    // An annual report reads that year's targets; a final one the whole
    // programme (Yinchuan runs to 2027-09-30: as of today).
    let yinchuan = app.program_id("yinchuan");
    let year = chrono::Utc::now().format("%Y").to_string();
    let annual = ok(admin.post(
        &format!("/programs/{yinchuan}/evaluations"),
        json!({"period_kind": "annual", "year": year.parse::<i32>().unwrap()}),
    ));
    assert_eq!(
        (annual["starts_on"].as_str(), annual["ends_on"].as_str()),
        (
            Some(format!("{year}-01-01").as_str()),
            Some(format!("{year}-12-31").as_str())
        )
    );
    assert!(annual["title"].as_str().unwrap().contains("年度绩效自评"));
    let final_report = ok(admin.post(
        &format!("/programs/{yinchuan}/evaluations"),
        json!({"period_kind": "final"}),
    ));
    assert_eq!(
        (
            final_report["ends_on"].as_str(),
            final_report["report_no"].as_i64()
        ),
        (Some("2027-09-30"), Some(3))
    );
}
