//! The project lifecycle over HTTP (issue 6, DOMAIN.md §4): each seed
//! programme from application to the last step its policy allows, scope,
//! rectification, withdrawal, disqualification, required documents,
//! closed batches and concurrent transitions.

use serde_json::{Value, json};
use shuzhuan_tests::{As, Resp, StatusCode, TestApp, both_backends, uscc};

use crate::http::assessments::{SET, level_two_body, zero_answers};

both_backends!(
    every_seed_programme_walks_a_project_as_far_as_its_policy_allows,
    callers_act_only_on_projects_in_their_scope,
    a_failed_acceptance_goes_to_rectification_and_back,
    the_pass_level_is_the_programmes,
    withdrawal_and_disqualification_end_a_project,
    jinan_requires_its_pre_assessment_documents,
    a_closed_batch_takes_only_withdrawals_and_disqualifications,
    a_batch_takes_applications_within_its_dates_until_extended,
    closing_a_batch_keeps_auditing_and_paying_what_was_accepted,
    of_two_concurrent_transitions_exactly_one_wins,
    steps_check_their_fields_and_the_plan_its_totals,
    the_policy_pinned_at_plan_approval_pays_after_a_newer_one,
);

pub(crate) const YUAN: i64 = 100;

/// A programme with its offices, a batch open for applications, an
/// admitted provider and its staff, an evaluator and an auditor.
pub(crate) struct Pilot<'a> {
    pub app: &'a TestApp,
    pub code: String,
    pub program: String,
    pub region: String,
    pub industry: String,
    pub batch: String,
    pub city: As<'a>,
    pub county: As<'a>,
    pub finance: As<'a>,
    pub evaluator: As<'a>,
    pub auditor: As<'a>,
    pub provider: As<'a>,
    pub provider_id: String,
    /// The programme's required documents: (action, kinds).
    pub requirements: Vec<(String, Vec<String>)>,
}

pub(crate) fn user_id(who: &As<'_>) -> String {
    who.get("/me").body["id"].as_str().unwrap().to_owned()
}

pub(crate) fn ok(res: Resp) -> Value {
    assert!(res.status.is_success(), "{} {}", res.status, res.body);
    res.body
}

impl<'a> Pilot<'a> {
    pub(crate) fn new(app: &'a TestApp, code: &str) -> Self {
        let program = app.program_id(code);
        let grant = |role: &str| json!([{"role": role, "program_id": program}]);
        let city = app.user_with_grants(&format!("{code}.city"), grant("city_admin"));
        let region = ok(city.get(&format!("/programs/{program}/regions")))["items"][0]["code"]
            .as_str()
            .unwrap()
            .to_owned();
        let industry = ok(city.get(&format!("/programs/{program}/industries")))["items"][0]["code"]
            .as_str()
            .unwrap()
            .to_owned();
        let county = app.user_with_grants(
            &format!("{code}.county"),
            json!([{"role": "county_admin", "program_id": program, "region_codes": [region]}]),
        );
        let batch = ok(city.post(
            &format!("/programs/{program}/batches"),
            json!({"number": 90, "name": "测试批次"}),
        ))["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let pilot_batch = format!("/programs/{program}/batches/{batch}/transitions");
        ok(city.post_if_match(&pilot_batch, 1, json!({"action": "open"})));
        let provider_id = ok(city.post(
            "/providers",
            json!({"uscc": uscc("110108", 900 + code.len() as u32 * 7 + u32::from(code.as_bytes()[0])), "name": format!("{code}数字科技有限公司"),
                   "kind": "scenario", "specialty": "specialist", "local": true,
                   "scenarios": ["production_control"]}),
        ))["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let provider = app.user_with_grants(
            &format!("{code}.provider"),
            json!([{"role": "provider", "provider_id": provider_id}]),
        );
        let pool = format!("/programs/{program}/provider-pool");
        ok(provider.post(&pool, json!({"provider_id": provider_id})));
        ok(city.patch(
            &format!("{pool}/{provider_id}"),
            1,
            json!({"status": "admitted"}),
        ));
        let requirements =
            ok(city.get(&format!("/programs/{program}/document-requirements")))["requirements"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    (
                        r["action"].as_str().unwrap().to_owned(),
                        r["kinds"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|k| k.as_str().unwrap().to_owned())
                            .collect(),
                    )
                })
                .collect();
        Pilot {
            app,
            requirements,
            code: code.to_owned(),
            region,
            industry,
            batch,
            finance: app.user_with_grants(&format!("{code}.finance"), grant("finance")),
            evaluator: app.user_with_grants(&format!("{code}.evaluator"), grant("evaluator")),
            auditor: app.user_with_grants(&format!("{code}.auditor"), grant("auditor")),
            program,
            city,
            county,
            provider,
            provider_id,
        }
    }

    /// A registered enterprise of the programme's first region and a user
    /// acting for it.
    pub(crate) fn enterprise(&self, n: u32) -> (String, As<'a>) {
        let id = ok(self.city.post(
            "/enterprises",
            json!({"uscc": uscc("110108", n), "name": format!("{}示例制造有限公司{n}", self.code),
                   "program_id": self.program, "region_code": self.region,
                   "industry_code": self.industry, "size_class": "small"}),
        ))["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let user = self.app.user_with_grants(
            &format!("{}.ent{n}", self.code),
            json!([{"role": "enterprise", "enterprise_id": id}]),
        );
        (id, user)
    }

    /// A draft project of `ent`, submitted.
    pub(crate) fn submitted(&self, ent: &As<'_>) -> String {
        let p = ok(ent.post(
            &format!("/programs/{}/projects", self.program),
            json!({"batch_id": self.batch, "title": "数字化车间改造"}),
        ));
        assert_eq!(p["state"], "draft");
        assert_eq!(p["next_actions"], json!(["submit", "withdraw"]));
        let id = p["id"].as_str().unwrap().to_owned();
        self.step(ent, &id, "submit", json!({}));
        id
    }

    /// Takes `action` as `who` on the version `who` reads now.
    pub(crate) fn try_step(&self, who: &As<'_>, id: &str, action: &str, extra: Value) -> Resp {
        let version = who.get(&format!("/projects/{id}")).body["version"]
            .as_i64()
            .unwrap_or(1);
        let mut body = json!({"action": action, "comment": format!("{action} by test")});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        who.post_if_match(&format!("/projects/{id}/transitions"), version, body)
    }

    pub(crate) fn step(&self, who: &As<'_>, id: &str, action: &str, extra: Value) -> Value {
        let res = self.try_step(who, id, action, extra);
        assert_eq!(res.status, StatusCode::OK, "{action}: {}", res.body);
        res.body
    }

    pub(crate) fn assessment(&self, who: &As<'_>, id: &str, kind: &str, level_two: bool) -> String {
        let mut body = if level_two {
            level_two_body(who)
        } else {
            let (answers, scenarios) = zero_answers(who);
            json!({"indicator_set": SET, "answers": answers, "scenarios": scenarios})
        };
        body["kind"] = json!(kind);
        body["project_id"] = json!(id);
        ok(who.post("/assessments", body))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The assigned evaluator's acceptance assessment (level 2 when it
    /// `passes`) recorded by `record_acceptance` with `extra` (satisfaction).
    pub(crate) fn accept(&self, id: &str, passes: bool, mut extra: Value) -> Value {
        extra["assessment_id"] = json!(self.assessment(&self.evaluator, id, "acceptance", passes));
        self.step(&self.evaluator, id, "record_acceptance", extra)
    }

    pub(crate) fn assign(&self, id: &str, role: &str, who: &As<'_>) {
        ok(self.city.post(
            &format!("/projects/{id}/assignments"),
            json!({"role": role, "user_id": user_id(who)}),
        ));
    }

    /// The auditor's audit of software worth `audited_fen`, then finance's
    /// approval of the subsidy from a new pool: the project after it.
    pub(crate) fn audit_and_approve(&self, id: &str, audited_fen: i64) -> Value {
        self.assign(id, "auditor", &self.auditor);
        self.step(
            &self.auditor,
            id,
            "record_audit",
            json!({"audited_line_items": [{"category": "software", "amount_fen": audited_fen}]}),
        );
        let pool = ok(self.finance.post(
            &format!("/programs/{}/budget-pools", self.program),
            json!({"name": "中央资金", "source": "central", "amount_fen": 1_000_000 * YUAN}),
        ))["id"]
            .clone();
        self.step(
            &self.finance,
            id,
            "approve_subsidy",
            json!({"budget_pool_id": pool}),
        )
    }

    /// Uploads every document the programme requires before `action`.
    pub(crate) fn documents_for(&self, who: &As<'_>, id: &str, action: &str) {
        for (_, kinds) in self.requirements.iter().filter(|(a, _)| a == action) {
            for kind in kinds {
                self.upload(who, id, kind);
            }
        }
    }

    pub(crate) fn upload(&self, who: &As<'_>, id: &str, kind: &str) -> Value {
        let res = Resp::send(
            who.req(
                reqwest::Method::POST,
                &format!("/projects/{id}/documents?kind={kind}&filename={kind}.pdf"),
            )
            .header("Content-Type", "application/pdf")
            .body(format!("%PDF-1.7\n% {kind} of {id}\n%%EOF\n")),
        );
        ok(res)
    }

    /// From application to implementing, with the provider's diagnosis
    /// (level 0) and a 600,000-yuan plan; the batch then implements.
    pub(crate) fn implementing(&self, ent: &As<'_>) -> String {
        self.implementing_all(&[ent]).remove(0)
    }

    /// As [`Pilot::implementing`] for several enterprises: all apply while
    /// the batch is open.
    pub(crate) fn implementing_all(&self, ents: &[&As<'_>]) -> Vec<String> {
        let ids: Vec<String> = ents.iter().map(|e| self.submitted(e)).collect();
        for (id, ent) in ids.iter().zip(ents) {
            self.walk_to_implementing(ent, id);
        }
        self.batch_to("implementing");
        ids
    }

    pub(crate) fn walk_to_implementing(&self, ent: &As<'_>, id: &str) {
        self.walk_with_plan(ent, id, plan(600_000 * YUAN));
    }

    /// As [`Pilot::walk_to_implementing`], with the plan given.
    pub(crate) fn walk_with_plan(&self, ent: &As<'_>, id: &str, plan: Value) {
        let id = id.to_owned();
        self.step(&self.county, &id, "approve_enrolment", json!({}));
        self.step(
            ent,
            &id,
            "choose_provider",
            json!({"provider_id": self.provider_id}),
        );
        let diagnosis = self.assessment(&self.provider, &id, "diagnosis", false);
        self.documents_for(&self.provider, &id, "record_diagnosis");
        let p = self.step(
            &self.provider,
            &id,
            "record_diagnosis",
            json!({"assessment_id": diagnosis}),
        );
        assert_eq!(
            (p["state"].as_str(), p["level_before"].as_i64()),
            (Some("diagnosed"), Some(0))
        );
        let version = p["version"].as_i64().unwrap();
        ok(self.provider.req_put_plan(&id, version, plan));
        self.step(&self.provider, &id, "file_plan", json!({}));
        self.documents_for(ent, &id, "approve_plan");
        let p = self.step(&self.county, &id, "approve_plan", json!({}));
        assert_eq!(
            (p["state"].as_str(), p["county_approved_plan"].as_bool()),
            (Some("plan_filed"), Some(true))
        );
        let p = self.step(&self.city, &id, "approve_plan", json!({}));
        assert_eq!(p["state"], "implementing");
        assert_eq!(p["policy_version"], 1, "the policy in force is pinned");
    }

    pub(crate) fn batch_to(&self, state: &str) {
        let path = format!("/programs/{}/batches/{}", self.program, self.batch);
        let order = ["open", "implementing", "accepting", "closed"];
        let actions = ["open", "start_implementation", "start_acceptance", "close"];
        loop {
            let b = ok(self.city.get(&path));
            let now = b["state"].as_str().unwrap().to_owned();
            if now == state {
                return;
            }
            let at = order.iter().position(|s| *s == now).unwrap();
            ok(self.city.post_if_match(
                &format!("{path}/transitions"),
                b["version"].as_i64().unwrap(),
                json!({"action": actions[at + 1]}),
            ));
        }
    }

    /// From implementing to the county's pre-check of acceptance.
    pub(crate) fn prechecked(&self, ent: &As<'_>, id: &str) {
        ok(self.provider.post(
            &format!("/projects/{id}/progress-reports"),
            json!({"percent": 100, "milestone": "上线运行", "note": "全部完成"}),
        ));
        self.step(ent, id, "request_acceptance", json!({}));
        self.step(&self.county, id, "precheck_acceptance", json!({}));
    }
}

pub(crate) trait PutPlan {
    fn req_put_plan(&self, id: &str, version: i64, plan: Value) -> Resp;
}

impl PutPlan for As<'_> {
    fn req_put_plan(&self, id: &str, version: i64, plan: Value) -> Resp {
        Resp::send(
            self.req(reqwest::Method::PUT, &format!("/projects/{id}/plan"))
                .header("If-Match", format!("\"{version}\""))
                .json(&plan),
        )
    }
}

/// A plan of `amount_fen`, all eligible software.
pub(crate) fn plan(amount_fen: i64) -> Value {
    json!({"goals": "生产管控场景达到二级", "content": "部署轻量化 MES",
           "starts_on": "2026-03-01", "ends_on": "2026-09-30",
           "contract_amount_fen": amount_fen,
           "line_items": [{"category": "software", "description": "MES 订阅", "amount_fen": amount_fen}]})
}

/// Xuchang (seed 000 item 17) and Shiyan (003 附件1) pay at level 2:
/// 50 % capped at 500,000 yuan and 20 % capped at 200,000 yuan of a
/// 600,000-yuan audited investment: 300,000 and 120,000 yuan. Jinan (001),
/// Changji (002) and Yinchuan (004) set no rate: audited is the end, and
/// the subsidy step is refused for want of a rate, never paid as zero.
fn every_seed_programme_walks_a_project_as_far_as_its_policy_allows(app: TestApp) {
    for (n, (code, expected)) in [
        ("xuchang", Some(300_000 * YUAN)),
        ("shiyan", Some(120_000 * YUAN)),
        ("jinan", None),
        ("changji", None),
        ("yinchuan", None),
    ]
    .into_iter()
    .enumerate()
    {
        let pilot = Pilot::new(&app, code);
        let (_, ent) = pilot.enterprise(10 + n as u32);
        let id = pilot.implementing(&ent);
        pilot.prechecked(&ent, &id);
        pilot.assign(&id, "evaluator", &pilot.evaluator);
        let p = pilot.accept(
            &id,
            true,
            json!({"satisfaction": {"score": 5, "comment": "服务到位"}}),
        );
        assert_eq!(
            (
                p["state"].as_str(),
                p["level_after"].as_i64(),
                p["level_gain"].as_i64()
            ),
            (Some("accepted"), Some(2), Some(2)),
            "{code}"
        );
        assert_eq!(
            p["satisfaction"],
            json!({"score": 5, "comment": "服务到位"})
        );
        // The pre/post comparison: S from 0 to 40 (level_two_body).
        let cmp = &p["comparison"];
        assert_eq!(
            (
                cmp["level_gain"].as_i64(),
                cmp["total_points_before"].as_f64(),
                cmp["total_points_after"].as_f64(),
                cmp["total_points_delta"].as_f64()
            ),
            (Some(2), Some(0.0), Some(40.0), Some(40.0)),
            "{code}"
        );
        let dims = cmp["dimensions"].as_array().unwrap();
        assert_eq!(dims.len(), 3);
        let sum: f64 = dims.iter().map(|d| d["delta"].as_f64().unwrap()).sum();
        assert!((sum - 40.0).abs() < 1e-9, "{dims:?}");
        pilot.assign(&id, "auditor", &pilot.auditor);
        let p = pilot.step(
            &pilot.auditor,
            &id,
            "record_audit",
            json!({"audited_line_items": [{"category": "software", "amount_fen": 600_000 * YUAN}]}),
        );
        assert_eq!(p["state"], "audited");
        let pool = ok(pilot.finance.post(
            &format!("/programs/{}/budget-pools", pilot.program),
            json!({"name": "中央资金", "source": "central", "amount_fen": 10_000_000 * YUAN}),
        ))["id"]
            .clone();
        let res = pilot.try_step(
            &pilot.finance,
            &id,
            "approve_subsidy",
            json!({"budget_pool_id": pool}),
        );
        match expected {
            Some(amount) => {
                assert_eq!(res.status, StatusCode::OK, "{code}: {}", res.body);
                assert_eq!(
                    (res.body["state"].as_str(), res.body["subsidy_fen"].as_i64()),
                    (Some("subsidy_approved"), Some(amount)),
                    "{code}"
                );
                assert!(
                    !res.body["subsidy_quote"]["explanation"]
                        .as_array()
                        .unwrap()
                        .is_empty()
                );
                let p = pilot.step(
                    &pilot.finance,
                    &id,
                    "disburse",
                    json!({"reference": format!("{code}-0001"), "paid_on": "2026-11-20"}),
                );
                assert_eq!(
                    (
                        p["state"].as_str(),
                        p["disbursed_fen"].as_i64(),
                        p["next_actions"].clone()
                    ),
                    (Some("disbursed"), Some(amount), json!([])),
                    "{code}"
                );
                let pools = ok(pilot
                    .finance
                    .get(&format!("/programs/{}/budget-pools", pilot.program)));
                assert_eq!(pools["items"][0]["disbursed_fen"].as_i64(), Some(amount));
            }
            None => {
                res.assert_problem(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "policy_sets_no_rate_for_level",
                );
                assert_eq!(
                    ok(pilot.city.get(&format!("/projects/{id}")))["state"],
                    "audited"
                );
            }
        }
        let history = ok(pilot.city.get(&format!("/projects/{id}/history")))["items"].clone();
        let steps: Vec<&str> = history
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["action"].as_str().unwrap())
            .collect();
        let mut want = vec![
            "submit",
            "approve_enrolment",
            "choose_provider",
            "record_diagnosis",
            "file_plan",
            "approve_plan",
            "approve_plan",
            "request_acceptance",
            "precheck_acceptance",
            "record_acceptance",
            "record_audit",
        ];
        if expected.is_some() {
            want.extend(["approve_subsidy", "disburse"]);
        }
        assert_eq!(steps, want, "{code}");
        let first = &history[0];
        assert_eq!(
            (
                first["from"].as_str(),
                first["to"].as_str(),
                first["role"].as_str(),
                first["comment"].as_str()
            ),
            (
                Some("draft"),
                Some("submitted"),
                Some("enterprise"),
                Some("submit by test")
            )
        );
        // The rating at acceptance feeds the provider's record.
        let entry = ok(pilot
            .city
            .get(&format!("/programs/{}/provider-pool", pilot.program)))["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["provider_id"] == json!(pilot.provider_id))
            .unwrap()
            .clone();
        assert_eq!(
            entry["performance"],
            json!({"projects": 1, "contracts_signed": 1, "acceptances_passed": 1,
                   "satisfaction_ratings": 1, "satisfaction_average": 5.0}),
            "{code}"
        );
        let county_turn = &history[5];
        assert_eq!(
            (county_turn["role"].as_str(), county_turn["to"].as_str()),
            (Some("county_admin"), Some("plan_filed"))
        );
    }
}

fn callers_act_only_on_projects_in_their_scope(app: TestApp) {
    let pilot = Pilot::new(&app, "xuchang");
    let (_, ent) = pilot.enterprise(20);
    let (_, other) = pilot.enterprise(21);
    let id = pilot.submitted(&ent);
    let path = format!("/projects/{id}");
    // Another enterprise, a provider not serving it, an unassigned
    // evaluator, a county of another region: as if it did not exist.
    other
        .get(&path)
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    pilot
        .provider
        .get(&path)
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    pilot
        .evaluator
        .get(&path)
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    let far = app.user_with_grants(
        "xuchang.far.county",
        json!([{"role": "county_admin", "program_id": pilot.program,
                 "region_codes": [ok(pilot.city.get(&format!("/programs/{}/regions", pilot.program)))["items"][1]["code"]]}]),
    );
    far.get(&path)
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    other
        .post_if_match(
            &format!("{path}/transitions"),
            2,
            json!({"action": "withdraw", "reason": "x"}),
        )
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    let listed = ok(other.get(&format!("/programs/{}/projects", pilot.program)));
    assert_eq!(listed["items"], json!([]));
    let listed = ok(pilot.county.get(&format!(
        "/programs/{}/projects?state=submitted",
        pilot.program
    )));
    assert_eq!(listed["items"][0]["id"], json!(id));
    // In scope but not the right role: the enterprise cannot enrol itself.
    pilot
        .try_step(&ent, &id, "approve_enrolment", json!({}))
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    // Once matched, the provider sees it; an evaluator only once assigned.
    pilot.step(&pilot.county, &id, "approve_enrolment", json!({}));
    pilot.step(
        &ent,
        &id,
        "choose_provider",
        json!({"provider_id": pilot.provider_id}),
    );
    ok(pilot.provider.get(&path));
    pilot.assign(&id, "evaluator", &pilot.evaluator);
    ok(pilot.evaluator.get(&path));
    // An evaluator cannot record acceptance before the pre-check, nor for
    // a project not assigned to them.
    let (answers, scenarios) = zero_answers(&pilot.evaluator);
    let res = pilot.evaluator.post(
        "/assessments",
        json!({"indicator_set": SET, "kind": "acceptance",
        "project_id": id, "answers": answers, "scenarios": scenarios}),
    );
    res.assert_problem(StatusCode::CONFLICT, "project_not_due");
    // Assigning needs a user who holds the role in the programme.
    pilot
        .city
        .post(
            &format!("{path}/assignments"),
            json!({"role": "auditor", "user_id": user_id(&other)}),
        )
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    pilot
        .county
        .post(
            &format!("{path}/assignments"),
            json!({"role": "auditor", "user_id": user_id(&pilot.auditor)}),
        )
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
}

/// Each pack's pass level as its seed says (DOMAIN.md §4), and a changed
/// pass level decides the acceptances recorded after it.
fn the_pass_level_is_the_programmes(app: TestApp) {
    let admin = app.admin();
    for (code, level) in [
        ("xuchang", 2),
        ("yinchuan", 2),
        ("changji", 1),
        ("jinan", 1),
        ("shiyan", 1),
    ] {
        let p = ok(admin.get(&format!("/programs/{}", app.program_id(code))));
        assert_eq!(p["pass_level"], level, "{code}");
    }
    let pilot = Pilot::new(&app, "shiyan");
    let path = format!("/programs/{}", pilot.program);
    let version = ok(pilot.city.get(&path))["version"].as_i64().unwrap();
    let res = pilot.city.patch(&path, version, json!({"pass_level": 5}));
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(res.error_fields(), ["pass_level"]);
    let p = ok(pilot.city.patch(&path, version, json!({"pass_level": 3})));
    assert_eq!(p["pass_level"], 3);
    let (_, ent) = pilot.enterprise(31);
    let id = pilot.implementing(&ent);
    pilot.prechecked(&ent, &id);
    pilot.assign(&id, "evaluator", &pilot.evaluator);
    // Level 2 falls short of the programme's 3.
    let p = pilot.accept(&id, true, json!({}));
    assert_eq!(
        (p["state"].as_str(), p["level_after"].as_i64()),
        (Some("rectification"), Some(2))
    );
}

fn a_failed_acceptance_goes_to_rectification_and_back(app: TestApp) {
    let pilot = Pilot::new(&app, "shiyan");
    let (_, ent) = pilot.enterprise(30);
    let id = pilot.implementing(&ent);
    pilot.prechecked(&ent, &id);
    pilot.assign(&id, "evaluator", &pilot.evaluator);
    let p = pilot.accept(&id, false, json!({}));
    assert_eq!(
        (p["state"].as_str(), p["level_after"].as_i64()),
        (Some("rectification"), Some(0))
    );
    let res = pilot.try_step(&pilot.city, &id, "resume", json!({}));
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(res.error_fields(), ["deadline"]);
    // A deadline to rectify by lies ahead.
    let today = chrono::Utc::now().date_naive();
    for past in [today, today - chrono::Days::new(30)] {
        let res = pilot.try_step(&pilot.city, &id, "resume", json!({"deadline": past}));
        res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(res.body["errors"][0]["code"], "in_the_past", "{past}");
    }
    let deadline = (today + chrono::Days::new(60)).to_string();
    let p = pilot.step(&pilot.city, &id, "resume", json!({"deadline": deadline}));
    assert_eq!(
        (p["state"].as_str(), p["rectification_deadline"].as_str()),
        (Some("implementing"), Some(deadline.as_str()))
    );
    // The second round passes.
    pilot.prechecked(&ent, &id);
    let p = pilot.accept(&id, true, json!({}));
    assert_eq!(
        (p["state"].as_str(), p["level_after"].as_i64()),
        (Some("accepted"), Some(2))
    );
    let history = ok(pilot.city.get(&format!("/projects/{id}/history")))["items"].clone();
    let to: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["to"].as_str().unwrap())
        .collect();
    assert!(
        to.windows(2)
            .any(|w| w == ["rectification", "implementing"]),
        "{to:?}"
    );
}

fn withdrawal_and_disqualification_end_a_project(app: TestApp) {
    let pilot = Pilot::new(&app, "changji");
    let (_, ent) = pilot.enterprise(40);
    let (_, ent2) = pilot.enterprise(41);
    let ids = pilot.implementing_all(&[&ent, &ent2]);
    let (id, id2) = (ids[0].clone(), ids[1].clone());
    pilot
        .try_step(&ent, &id, "withdraw", json!({}))
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let p = pilot.step(&ent, &id, "withdraw", json!({"reason": "企业经营调整"}));
    assert_eq!(
        (p["state"].as_str(), p["next_actions"].clone()),
        (Some("withdrawn"), json!([]))
    );
    pilot
        .try_step(&ent, &id, "request_acceptance", json!({}))
        .assert_problem(StatusCode::CONFLICT, "transition_not_allowed");
    // The change feed marks it gone.
    let sync = app.user_with_grants("changji.sync", json!([{"role": "sync_client"}]));
    let feed = ok(sync.get("/sync/changes?limit=500&object_type=project"));
    let last = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|e| e["object_id"] == json!(id))
        .unwrap()
        .clone();
    assert_eq!(last["op"], "tombstone");

    // Disqualified after acceptance on a spot-check finding; the city only.
    pilot.prechecked(&ent2, &id2);
    pilot.assign(&id2, "evaluator", &pilot.evaluator);
    pilot.accept(&id2, true, json!({}));
    pilot
        .try_step(&ent2, &id2, "withdraw", json!({"reason": "x"}))
        .assert_problem(StatusCode::CONFLICT, "transition_not_allowed");
    pilot
        .try_step(&pilot.county, &id2, "disqualify", json!({"reason": "x"}))
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    // Without a spot check (issue 22: this used to disqualify), and with one
    // that names no finding against the project, the city is refused.
    let res = pilot.try_step(&pilot.city, &id2, "disqualify", json!({"reason": "x"}));
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(res.error_fields(), ["spot_check_id"]);
    pilot
        .try_step(
            &pilot.city,
            &id2,
            "disqualify",
            json!({"reason": "x", "spot_check_id": "sc-2026-01"}),
        )
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let expert = app.user_with_grants(
        "changji.expert",
        json!([{"role": "expert", "program_id": pilot.program}]),
    );
    let check = ok(pilot.city.post(
        &format!("/programs/{}/spot-checks", pilot.program),
        json!({"title": "验收后抽查", "population": {"states": ["accepted"]},
               "sample_size": 1, "inspector_user_ids": [user_id(&expert)]}),
    ));
    assert_eq!(check["drawn"][0]["project_id"], json!(id2));
    let check_id = check["id"].as_str().unwrap().to_owned();
    ok(expert.post(
        &format!("/spot-checks/{check_id}/findings"),
        json!({"project_id": id2, "outcome": "built_but_unused", "note": "系统上线后无使用记录"}),
    ));
    let p = pilot.step(
        &pilot.city,
        &id2,
        "disqualify",
        json!({"reason": "抽查发现建而不用", "spot_check_id": check_id}),
    );
    assert_eq!(p["state"], "disqualified");
    let history = ok(pilot.city.get(&format!("/projects/{id2}/history")))["items"].clone();
    let last = history.as_array().unwrap().last().unwrap();
    assert_eq!(
        last["data"],
        json!({"reason": "抽查发现建而不用", "spot_check_id": check_id})
    );
}

/// Seed 001: the pre-assessment report comes with 评估计划、现场图片、
/// 人员签到、满意度调查表; Jinan's pack requires them before the diagnosis
/// is recorded.
fn jinan_requires_its_pre_assessment_documents(app: TestApp) {
    let pilot = Pilot::new(&app, "jinan");
    let reqs = ok(pilot.city.get(&format!(
        "/programs/{}/document-requirements",
        pilot.program
    )));
    // 001 二(二)1: the pre-assessment report with its own 评估计划, then the
    // 实施方案 and the contract filing before the plan is approved.
    assert_eq!(
        reqs["requirements"],
        json!([
            {"action": "approve_plan", "kinds": ["contract_filing", "plan"]},
            {"action": "record_diagnosis", "kinds": ["assessment_plan", "diagnosis_report", "photo", "satisfaction_survey", "sign_in_sheet"]}
        ])
    );
    let (_, ent) = pilot.enterprise(50);
    let id = pilot.submitted(&ent);
    pilot.step(&pilot.county, &id, "approve_enrolment", json!({}));
    pilot.step(
        &ent,
        &id,
        "choose_provider",
        json!({"provider_id": pilot.provider_id}),
    );
    let diagnosis = pilot.assessment(&pilot.provider, &id, "diagnosis", false);
    pilot.upload(&pilot.provider, &id, "diagnosis_report");
    pilot.upload(&pilot.provider, &id, "assessment_plan");
    let photo = pilot.upload(&pilot.provider, &id, "photo");
    let res = pilot.try_step(
        &pilot.provider,
        &id,
        "record_diagnosis",
        json!({"assessment_id": diagnosis}),
    );
    res.assert_problem(StatusCode::CONFLICT, "documents_missing");
    let detail = res.body["detail"].as_str().unwrap();
    assert!(
        detail.contains("satisfaction_survey") && detail.contains("sign_in_sheet"),
        "{detail}"
    );
    assert!(!detail.contains("photo"), "{detail}");
    // The project says so before anyone tries: the button is missing, and why.
    let p = ok(pilot.provider.get(&format!("/projects/{id}")));
    assert_eq!(p["next_actions"], json!([]));
    let why = p["unavailable_actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["action"] == "record_diagnosis")
        .unwrap()
        .clone();
    assert_eq!(why["reason"], "documents_missing");
    assert_eq!(
        why["missing_documents"],
        json!(["satisfaction_survey", "sign_in_sheet"])
    );
    pilot.upload(&pilot.provider, &id, "sign_in_sheet");
    pilot.upload(&pilot.provider, &id, "satisfaction_survey");
    pilot.step(
        &pilot.provider,
        &id,
        "record_diagnosis",
        json!({"assessment_id": diagnosis}),
    );
    // The files: listed with their hashes, streamed to those in scope only.
    let docs = ok(ent.get(&format!("/projects/{id}/documents")));
    assert_eq!(docs["items"].as_array().unwrap().len(), 5);
    let content = format!("/documents/{}/content", photo["id"].as_str().unwrap());
    let res = Resp::send(ent.req(reqwest::Method::GET, &content));
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.header("content-type"), Some("application/pdf"));
    let body = res.body.as_str().unwrap().to_owned();
    assert!(body.starts_with("%PDF-1.7"));
    use sha2::Digest;
    assert_eq!(
        hex::encode(sha2::Sha256::digest(body.as_bytes())),
        photo["sha256"].as_str().unwrap()
    );
    let (_, stranger) = pilot.enterprise(51);
    stranger
        .get(&content)
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    // Bytes that are not what they claim, and types not accepted.
    let res = Resp::send(
        ent.req(
            reqwest::Method::POST,
            &format!("/projects/{id}/documents?kind=photo"),
        )
        .header("Content-Type", "image/png")
        .body("not a png"),
    );
    res.assert_problem(StatusCode::BAD_REQUEST, "content_mismatch");
    let res = Resp::send(
        ent.req(
            reqwest::Method::POST,
            &format!("/projects/{id}/documents?kind=photo"),
        )
        .header("Content-Type", "application/x-msdownload")
        .body("MZ"),
    );
    assert_eq!(res.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // Generic clients send octet-stream: the content says what it is.
    let octets = |body: Vec<u8>| {
        Resp::send(
            ent.req(
                reqwest::Method::POST,
                &format!("/projects/{id}/documents?kind=photo&filename=site.png"),
            )
            .header("Content-Type", "application/octet-stream")
            .body(body),
        )
    };
    let png = ok(octets(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()));
    assert_eq!(png["media_type"], "image/png");
    assert_eq!(
        octets(b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff".to_vec()).status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    // The requirements are the city's to change.
    pilot
        .county
        .put(
            &format!("/programs/{}/document-requirements", pilot.program),
            json!({"requirements": []}),
        )
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let res = pilot.city.put(
        &format!("/programs/{}/document-requirements", pilot.program),
        json!({"requirements": [{"action": "request_acceptance", "kinds": ["acceptance_report", "selfie"]}]}),
    );
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(res.error_fields(), ["requirements[0].kinds[1]"]);
}

fn a_closed_batch_takes_only_withdrawals_and_disqualifications(app: TestApp) {
    let pilot = Pilot::new(&app, "yinchuan");
    let (_, ent) = pilot.enterprise(60);
    let (_, late) = pilot.enterprise(61);
    let id = pilot.implementing(&ent);
    // Applications only while the batch is open.
    late.post(
        &format!("/programs/{}/projects", pilot.program),
        json!({"batch_id": pilot.batch, "title": "迟到的申报"}),
    )
    .assert_problem(StatusCode::CONFLICT, "batch_not_open");
    pilot.batch_to("closed");
    pilot
        .try_step(&ent, &id, "request_acceptance", json!({}))
        .assert_problem(StatusCode::CONFLICT, "batch_window_closed");
    let p = ok(ent.get(&format!("/projects/{id}")));
    assert_eq!(p["next_actions"], json!(["withdraw"]));
    let reasons: Vec<(String, String)> = p["unavailable_actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["action"].as_str().unwrap().to_owned(),
                u["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(reasons.contains(&("request_acceptance".into(), "batch_window".into())));
    assert!(reasons.contains(&("approve_plan".into(), "another_role".into())));
    assert!(reasons.contains(&("submit".into(), "wrong_state".into())));
    assert_eq!(reasons.len() + 1, 16, "every other action, each once");
    pilot.step(&ent, &id, "withdraw", json!({"reason": "批次已结束"}));
}

/// Changji's batch 1 (002: applications 2025-01..05) cannot be opened
/// today; the city office extends it, with its reason in the audit log,
/// and applications are taken until the new close date.
fn a_batch_takes_applications_within_its_dates_until_extended(app: TestApp) {
    let pilot = Pilot::new(&app, "changji");
    let batches = ok(pilot
        .city
        .get(&format!("/programs/{}/batches", pilot.program)));
    let first = batches["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["number"] == 1)
        .unwrap()
        .clone();
    let id = first["id"].as_str().unwrap();
    let path = format!("/programs/{}/batches/{id}", pilot.program);
    pilot
        .city
        .post_if_match(&format!("{path}/transitions"), 1, json!({"action": "open"}))
        .assert_problem(StatusCode::CONFLICT, "batch_window_passed");
    // An extension moves dates later only, and says why.
    let res = pilot.city.post_if_match(
        &format!("{path}/extensions"),
        1,
        json!({"acceptance_ends_on": "2025-05-01", "reason": "提前截止"}),
    );
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(res.body["errors"][0]["code"], "not_an_extension");
    let today = chrono::Utc::now().date_naive();
    let close = (today + chrono::Days::new(10)).to_string();
    let res = pilot.city.post_if_match(
        &format!("{path}/extensions"),
        1,
        json!({"applications_close_on": close}),
    );
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(res.error_fields(), ["reason"]);
    // Only the city office extends.
    pilot
        .county
        .post_if_match(
            &format!("{path}/extensions"),
            1,
            json!({"applications_close_on": close, "reason": "延期"}),
        )
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let reason = "昌州工信发〔2025〕8号：第一批申报延期";
    let b = ok(pilot.city.post_if_match(
        &format!("{path}/extensions"),
        1,
        json!({"applications_close_on": close,
               "implementation_ends_on": (today + chrono::Days::new(200)).to_string(),
               "acceptance_ends_on": (today + chrono::Days::new(300)).to_string(), "reason": reason}),
    ));
    assert_eq!(b["applications_close_on"], close.as_str());
    assert_eq!(b["version"], 2);
    let log = ok(app.admin().get(&format!("/audit-log?object_id={id}")));
    let entry = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "batch.extend")
        .unwrap_or_else(|| panic!("{log}"))
        .clone();
    assert!(entry.to_string().contains(reason), "{entry}");
    ok(pilot
        .city
        .post_if_match(&format!("{path}/transitions"), 2, json!({"action": "open"})));
    let (_, ent) = pilot.enterprise(62);
    let p = ok(ent.post(
        &format!("/programs/{}/projects", pilot.program),
        json!({"batch_id": id, "title": "延期后申报"}),
    ));
    pilot.step(&ent, p["id"].as_str().unwrap(), "submit", json!({}));
}

/// What was accepted before the batch closed is audited, approved and
/// paid after it closes (issue 20 item 11).
fn closing_a_batch_keeps_auditing_and_paying_what_was_accepted(app: TestApp) {
    let pilot = Pilot::new(&app, "xuchang");
    let (_, ent) = pilot.enterprise(63);
    let id = pilot.implementing(&ent);
    pilot.batch_to("accepting");
    pilot.prechecked(&ent, &id);
    pilot.assign(&id, "evaluator", &pilot.evaluator);
    assert_eq!(pilot.accept(&id, true, json!({}))["state"], "accepted");
    pilot.batch_to("closed");
    let p = pilot.audit_and_approve(&id, 100_000 * YUAN);
    assert_eq!(
        (p["state"].as_str(), p["subsidy_fen"].as_i64()),
        (Some("subsidy_approved"), Some(50_000 * YUAN))
    );
    let p = pilot.step(
        &pilot.finance,
        &id,
        "disburse",
        json!({"reference": "xc-closed-1", "paid_on": "2026-11-20"}),
    );
    assert_eq!(p["state"], "disbursed");
}

fn of_two_concurrent_transitions_exactly_one_wins(app: TestApp) {
    let pilot = Pilot::new(&app, "xuchang");
    let (_, ent) = pilot.enterprise(70);
    let id = pilot.submitted(&ent);
    let version = ok(pilot.city.get(&format!("/projects/{id}")))["version"]
        .as_i64()
        .unwrap();
    let path = format!("/projects/{id}/transitions");
    let statuses: Vec<StatusCode> = std::thread::scope(|s| {
        let a = s.spawn(|| {
            pilot
                .county
                .post_if_match(&path, version, json!({"action": "approve_enrolment"}))
                .status
        });
        let b = s.spawn(|| {
            pilot
                .city
                .post_if_match(
                    &path,
                    version,
                    json!({"action": "return", "reason": "材料不全"}),
                )
                .status
        });
        vec![a.join().unwrap(), b.join().unwrap()]
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::PRECONDITION_FAILED)
            .count(),
        1,
        "{statuses:?}"
    );
    let history = ok(pilot.city.get(&format!("/projects/{id}/history")))["items"].clone();
    assert_eq!(
        history.as_array().unwrap().len(),
        2,
        "submit and the one winner"
    );
}

fn steps_check_their_fields_and_the_plan_its_totals(app: TestApp) {
    let pilot = Pilot::new(&app, "xuchang");
    let (_, ent) = pilot.enterprise(80);
    let id = pilot.submitted(&ent);
    // A field the action does not take, and a missing one.
    let res = pilot.try_step(
        &pilot.county,
        &id,
        "approve_enrolment",
        json!({"deadline": "2026-12-31"}),
    );
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(res.error_fields(), ["deadline"]);
    let res = pilot.try_step(&pilot.county, &id, "return", json!({}));
    assert_eq!(res.error_fields(), ["reason"]);
    let res = ok(pilot.city.get(&format!("/projects/{id}")));
    pilot
        .city
        .post(
            &format!("/projects/{id}/transitions"),
            json!({"action": "approve_enrolment"}),
        )
        .assert_problem(StatusCode::PRECONDITION_REQUIRED, "if_match_required");
    pilot
        .county
        .post_if_match(
            &format!("/projects/{id}/transitions"),
            res["version"].as_i64().unwrap() - 1,
            json!({"action": "approve_enrolment"}),
        )
        .assert_problem(StatusCode::PRECONDITION_FAILED, "stale_version");
    let p = pilot.step(
        &pilot.county,
        &id,
        "return",
        json!({"reason": "补充营业执照"}),
    );
    assert_eq!(p["state"], "draft");
    pilot.step(&ent, &id, "submit", json!({}));
    pilot.step(&pilot.county, &id, "approve_enrolment", json!({}));
    // Only an admitted provider can be chosen.
    let res = pilot.try_step(
        &ent,
        &id,
        "choose_provider",
        json!({"provider_id": "nobody"}),
    );
    res.assert_problem(StatusCode::CONFLICT, "provider_not_admitted");
    pilot.step(
        &ent,
        &id,
        "choose_provider",
        json!({"provider_id": pilot.provider_id}),
    );
    // The plan waits for the diagnosis; the diagnosis must be this project's.
    let v = ok(ent.get(&format!("/projects/{id}")))["version"]
        .as_i64()
        .unwrap();
    ent.req_put_plan(&id, v, plan(100))
        .assert_problem(StatusCode::CONFLICT, "plan_locked");
    let res = pilot.try_step(
        &pilot.provider,
        &id,
        "record_diagnosis",
        json!({"assessment_id": "nope"}),
    );
    assert_eq!(res.error_fields(), ["assessment_id"]);
    let diagnosis = pilot.assessment(&pilot.provider, &id, "diagnosis", false);
    pilot.step(
        &pilot.provider,
        &id,
        "record_diagnosis",
        json!({"assessment_id": diagnosis}),
    );
    pilot
        .try_step(&pilot.provider, &id, "file_plan", json!({}))
        .assert_problem(StatusCode::CONFLICT, "plan_missing");
    let v = ok(ent.get(&format!("/projects/{id}")))["version"]
        .as_i64()
        .unwrap();
    let mut bad = plan(100_000);
    bad["contract_amount_fen"] = json!(90_000);
    bad["ends_on"] = json!("2026-01-01");
    bad["product_ids"] = json!(["no-such-product"]);
    let res = ent.req_put_plan(&id, v, bad);
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let mut fields = res.error_fields();
    fields.sort();
    assert_eq!(fields, ["ends_on", "line_items", "product_ids[0]"]);
    ok(ent.req_put_plan(&id, v, plan(100_000)));
    pilot.step(&ent, &id, "file_plan", json!({}));
    // The city approves only after the county.
    pilot
        .try_step(&pilot.city, &id, "approve_plan", json!({}))
        .assert_problem(StatusCode::CONFLICT, "county_approval_first");
    pilot.step(&pilot.county, &id, "approve_plan", json!({}));
    pilot
        .try_step(&pilot.county, &id, "approve_plan", json!({}))
        .assert_problem(StatusCode::CONFLICT, "already_approved");
    // Every step wrote its audit entry.
    let audit = ok(app.admin().get(&format!(
        "/audit-log?program_id={}&object_type=project&limit=500",
        pilot.program
    )));
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for want in [
        "project.create",
        "project.submit",
        "project.return",
        "project.plan",
        "project.approve_plan",
    ] {
        assert!(actions.contains(&want), "{want} in {actions:?}");
    }
}

/// Issue 5's rule: the version in force when the plan was approved is the
/// one used, even after the city publishes a newer one.
fn the_policy_pinned_at_plan_approval_pays_after_a_newer_one(app: TestApp) {
    let pilot = Pilot::new(&app, "xuchang");
    let (_, ent) = pilot.enterprise(90);
    let id = pilot.implementing(&ent);
    let v2 = ok(pilot.city.post(
        &format!("/programs/{}/subsidy-policies", pilot.program),
        json!({"effective_from": "2026-01-01",
               "levels": {"2": {"rate_bp": 3000, "cap_fen": 300_000 * YUAN}},
               "eligible_categories": ["software"], "note": "a newer version"}),
    ));
    assert_eq!(v2["version"], 2);
    pilot.prechecked(&ent, &id);
    pilot.assign(&id, "evaluator", &pilot.evaluator);
    pilot.accept(&id, true, json!({}));
    // Version 1 (000 item 17): 50 % of 600,000 = 300,000 yuan; version 2
    // would have paid 30 % = 180,000.
    let p = pilot.audit_and_approve(&id, 600_000 * YUAN);
    assert_eq!(
        (
            p["subsidy_fen"].as_i64(),
            p["subsidy_quote"]["policy_version"].as_i64()
        ),
        (Some(300_000 * YUAN), Some(1))
    );
    // A partial payment keeps it approved; the rest settles it.
    let p = pilot.step(
        &pilot.finance,
        &id,
        "disburse",
        json!({"amount_fen": 100_000 * YUAN, "reference": "XC-1", "paid_on": "2026-11-20"}),
    );
    assert_eq!(
        (p["state"].as_str(), p["disbursed_fen"].as_i64()),
        (Some("subsidy_approved"), Some(100_000 * YUAN))
    );
    pilot
        .try_step(
            &pilot.finance,
            &id,
            "disburse",
            json!({"amount_fen": 300_000 * YUAN, "reference": "XC-2", "paid_on": "2026-11-21"}),
        )
        .assert_problem(StatusCode::CONFLICT, "exceeds_decision");
    let p = pilot.step(
        &pilot.finance,
        &id,
        "disburse",
        json!({"reference": "XC-3", "paid_on": "2026-11-21"}),
    );
    assert_eq!(
        (p["state"].as_str(), p["disbursed_fen"].as_i64()),
        (Some("disbursed"), Some(300_000 * YUAN))
    );
    dossier_holds_the_record(&pilot, &ent, &id);
}

/// Issue 8's dossier (一企一档): the enterprise and its project's whole
/// record, as JSON or as a zip with the files; 404 outside the scope.
fn dossier_holds_the_record(pilot: &Pilot<'_>, ent: &As<'_>, id: &str) {
    let doc = pilot.upload(ent, id, "invoice");
    let enterprise_id = ok(ent.get(&format!("/projects/{id}")))["enterprise_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/enterprises/{enterprise_id}/dossier");
    let d = ok(pilot.city.get(&path));
    assert_eq!(d["enterprise"]["id"], json!(enterprise_id));
    let record = &d["projects"][0];
    assert_eq!(record["project"]["state"], "disbursed");
    assert_eq!(record["project"]["comparison"]["level_gain"], 2);
    assert_eq!(record["assessments"].as_array().unwrap().len(), 2);
    assert_eq!(record["history"].as_array().unwrap().len(), 14);
    assert_eq!(record["progress_reports"].as_array().unwrap().len(), 1);
    assert_eq!(record["subsidy_decision"]["amount_fen"], 300_000 * YUAN);
    assert_eq!(record["disbursements"].as_array().unwrap().len(), 2);
    assert_eq!(record["documents"][0]["sha256"], doc["sha256"]);
    let zip = Resp::send(ent.req(reqwest::Method::GET, &format!("{path}?format=zip")));
    assert_eq!(zip.status, StatusCode::OK);
    assert_eq!(zip.header("content-type"), Some("application/zip"));
    assert!(zip.body.as_str().unwrap().starts_with("PK"));
    let (_, stranger) = pilot.enterprise(99);
    stranger
        .get(&path)
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
}
