//! The indicator catalogue and assessments over HTTP (SCORING.md, issue 4).

use serde_json::{Map, Value, json};
use shuzhuan_tests::{As, Resp, StatusCode, TestApp, both_backends};

both_backends!(
    the_2024_manufacturing_catalogue_is_served_complete,
    an_enterprise_records_a_self_assessment_scored_to_its_level,
    answers_that_do_not_fit_are_refused_naming_each_field,
    only_the_roles_of_each_kind_record_it_and_anyone_may_dry_run,
);

pub(crate) const SET: &str = "miit-2024-manufacturing";

/// Every question answered with its zero option and every scenario at 0,
/// built from the catalogue as served.
pub(crate) fn zero_answers(caller: &As<'_>) -> (Map<String, Value>, Map<String, Value>) {
    let set = caller.get(&format!("/indicator-sets/{SET}")).body;
    let mut answers = Map::new();
    for d in set["dimensions"].as_array().unwrap() {
        for g in d["groups"].as_array().unwrap() {
            for i in g["indicators"].as_array().unwrap() {
                for q in i["questions"].as_array().unwrap() {
                    let zero = q["options"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|o| o["points"] == 0.0)
                        .unwrap();
                    answers.insert(q["code"].as_str().unwrap().into(), json!([zero["code"]]));
                }
            }
        }
    }
    let scenarios = set["operations"]["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["code"].as_str().unwrap().to_owned(), json!(0)))
        .collect();
    (answers, scenarios)
}

/// S = 40 exactly, six scenarios at level 2 of which three constraint.
pub(crate) fn level_two_body(caller: &As<'_>) -> Value {
    let (mut answers, mut scenarios) = zero_answers(caller);
    answers.insert("information_systems".into(), json!(["full_coverage"]));
    answers.insert(
        "network".into(),
        json!([
            "workshop_control_network",
            "application_network",
            "5g_network",
            "full_coverage"
        ]),
    );
    answers.insert("equipment_digitalisation".into(), json!(["gt_60"]));
    answers.insert("equipment_networking".into(), json!(["gt_60"]));
    answers.insert("green_low_carbon".into(), json!(["down"]));
    answers.insert("value".into(), json!(["down"]));
    for s in [
        "product_design",
        "marketing",
        "production_control",
        "process_design",
        "after_sales",
        "planning_scheduling",
    ] {
        scenarios.insert(s.into(), json!(2));
    }
    json!({"indicator_set": SET, "kind": "self", "answers": answers, "scenarios": scenarios})
}

fn the_2024_manufacturing_catalogue_is_served_complete(app: TestApp) {
    let admin = app.admin();
    let list = admin.get("/indicator-sets");
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(list.body["items"][0]["code"], SET);
    let set = admin.get(&format!("/indicator-sets/{SET}")).body;
    let maxima: Vec<f64> = set["dimensions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["max_points"].as_f64().unwrap())
        .collect();
    assert_eq!(maxima, [50.0, 30.0, 20.0]);
    let scenarios = set["operations"]["scenarios"].as_array().unwrap();
    assert_eq!(scenarios.len(), 16);
    assert_eq!(
        scenarios.iter().filter(|s| s["constraint"] == true).count(),
        10
    );
    assert_eq!(
        set["levels"][2],
        json!({"level": 2, "min_points": 40.0, "min_scenarios": 6, "min_constraint_scenarios": 3})
    );
    // Data collection: thirteen links at 0.7, HR at 0.9 (SCORING.md §1).
    let dc = &set["dimensions"][0]["groups"][1]["indicators"][0]["questions"][0]["options"];
    assert_eq!(
        dc.as_array()
            .unwrap()
            .iter()
            .filter(|o| o["points"] == 0.7)
            .count(),
        13
    );
    // The catalogue says which of its values the public sources leave open.
    let description = set["description"].as_str().unwrap();
    assert!(
        description.contains("Not settled by the public sources")
            && description.contains("final level rule"),
        "{description}"
    );
    admin
        .get("/indicator-sets/miit-2024-production-service")
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
}

fn an_enterprise_records_a_self_assessment_scored_to_its_level(app: TestApp) {
    let sme = app.user_with_grants(
        "sme.one",
        json!([{"role": "enterprise", "enterprise_id": "ent-1"}]),
    );
    let res = sme.post("/assessments", level_two_body(&sme));
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(res.body["total_points"], 40.0);
    assert_eq!(res.body["level"], 2);
    assert_eq!(res.body["binding_gate"], "both");
    assert_eq!(
        res.body["next_level_gaps"],
        json!({"level": 3, "points_short": 20.0, "scenarios_short": 8, "constraint_scenarios_short": 5})
    );
    assert_eq!(
        res.body["scenario_counts"][1],
        json!({"level": 2, "scenarios": 6, "constraint_scenarios": 3})
    );
    assert_eq!(res.body["enterprise_id"], "ent-1");
    assert_eq!(res.body["dimensions"][0]["points"], 30.0);
    let id = res.body["id"].as_str().unwrap();
    let fetched = sme.get(&format!("/assessments/{id}"));
    assert_eq!(fetched.status, StatusCode::OK);
    assert_eq!(fetched.body["level"], 2);
    assert_eq!(fetched.body["answers"]["value"], json!(["down"]));

    // Another enterprise does not see it; the platform admin does.
    let other = app.user_with_grants(
        "sme.two",
        json!([{"role": "enterprise", "enterprise_id": "ent-2"}]),
    );
    other
        .get(&format!("/assessments/{id}"))
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(
        app.admin().get(&format!("/assessments/{id}")).status,
        StatusCode::OK
    );
    let log = app
        .admin()
        .get(&format!("/audit-log?object_type=assessment&object_id={id}"));
    assert_eq!(log.body["items"][0]["action"], "assessment.create");

    // One constraint scenario a level lower: level 1, bound by the scenarios.
    let mut body = level_two_body(&sme);
    body["scenarios"]["production_control"] = json!(1);
    let res = sme.post("/assessments", body);
    assert_eq!(
        (
            res.body["level"].as_i64(),
            res.body["binding_gate"].as_str()
        ),
        (Some(1), Some("scenarios"))
    );
    // Naming an enterprise that is not yours.
    let mut body = level_two_body(&sme);
    body["enterprise_id"] = json!("ent-2");
    sme.post("/assessments", body)
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
}

fn answers_that_do_not_fit_are_refused_naming_each_field(app: TestApp) {
    let sme = app.user_with_grants(
        "sme.three",
        json!([{"role": "enterprise", "enterprise_id": "ent-3"}]),
    );
    let mut body = level_two_body(&sme);
    body["answers"]["network"] = json!(["none", "5g_network"]);
    body["answers"]["funding"] = json!(["le_10", "gt_60"]);
    body["answers"]["talent"] = json!(["juggling"]);
    body["answers"]["horoscope"] = json!(["leo"]);
    body["answers"].as_object_mut().unwrap().remove("value");
    body["scenarios"]["quality"] = json!(7);
    let res = sme.post("/assessments", body);
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let mut found: Vec<(String, String)> = res.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            (
                "answers.funding".to_owned(),
                "single_choice_with_many".to_owned()
            ),
            ("answers.horoscope".into(), "unknown_question".into()),
            (
                "answers.network".into(),
                "exclusive_option_with_others".into()
            ),
            ("answers.talent".into(), "unknown_option".into()),
            ("answers.value".into(), "missing_answer".into()),
            (
                "scenarios.quality".into(),
                "scenario_level_out_of_range".into()
            ),
        ]
    );
    let zh = Resp::send(
        sme.req(reqwest::Method::POST, "/assessments")
            .header("Accept-Language", "zh-CN")
            .json(&{
                let mut b = level_two_body(&sme);
                b["scenarios"]["quality"] = json!(-1);
                b
            }),
    );
    assert_eq!(
        zh.body["errors"][0]["message"],
        "场景等级应为 0 到 4，而不是 -1"
    );

    let mut body = level_two_body(&sme);
    body["indicator_set"] = json!("miit-2024-production-service");
    let res = sme.post("/assessments", body);
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(res.body["errors"][0]["code"], "indicator_set_not_loaded");
}

fn only_the_roles_of_each_kind_record_it_and_anyone_may_dry_run(app: TestApp) {
    let jinan = app.program_id("jinan");
    let city = app.user_with_grants(
        "jinan.office",
        json!([{"role": "city_admin", "program_id": jinan}]),
    );
    let body = level_two_body(&city);
    city.post("/assessments", body.clone())
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let dry = city.post("/assessments?dry_run=true", body.clone());
    assert_eq!(dry.status, StatusCode::OK, "{}", dry.body);
    assert_eq!(
        (dry.body["level"].as_i64(), dry.body["id"].is_null()),
        (Some(2), true)
    );

    let mut diagnosis = body.clone();
    diagnosis["kind"] = json!("diagnosis");
    let sme = app.user_with_grants(
        "sme.four",
        json!([{"role": "enterprise", "enterprise_id": "ent-4"}]),
    );
    sme.post("/assessments", diagnosis.clone())
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let provider = app.user_with_grants(
        "provider.one",
        json!([{"role": "provider", "provider_id": "prov-1"}]),
    );
    let res = provider.post("/assessments", diagnosis);
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(res.body["errors"][0]["field"], "project_id");
    let mut acceptance = body;
    acceptance["kind"] = json!("acceptance");
    provider
        .post("/assessments", acceptance.clone())
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    app.anonymous()
        .post("/assessments", acceptance)
        .assert_problem(StatusCode::UNAUTHORIZED, "missing_token");
}
