//! Dashboard, monitoring and risk latency (issues 7 and 22): a programme
//! with 1,000 implementing projects and 100,000 progress reports (PROJECTS
//! and REPORTS_EACH override; `PROJECTS=2000` is issue 22's scale), each
//! with a plan of its own words, on PostgreSQL when `TEST_DATABASE_URL` is set,
//! else SQLite. The projects are written straight through the persistence
//! layer (walking 1,000 projects through HTTP would measure the lifecycle,
//! not the reads); the reads go through the HTTP API.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use chrono::NaiveDate;
use serde_json::json;
use shuzhuan_lifecycle::{Plan, ProjectAction, ProjectState};
use shuzhuan_persistence::repo::projects;
use shuzhuan_persistence::rows::{ProgressReportRow, ProjectRow, TransitionRow};
use shuzhuan_persistence::{Actor, Db, Json, RepoError, new_id, now};
use shuzhuan_tests::{As, Backend, TestApp};
use shuzhuan_types::Role;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Every id of a paged list.
fn all_ids(who: &As<'_>, path: &str, field: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let sep = if path.contains('?') { '&' } else { '?' };
        let page = who.get(&format!("{path}{sep}limit=500{cursor}"));
        for item in page.body["items"].as_array().unwrap() {
            out.push((
                item["id"].as_str().unwrap_or_default().to_owned(),
                item[field].as_str().unwrap_or_default().to_owned(),
            ));
        }
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => return out,
        }
    }
}

fn timed(who: &As<'_>, path: &str, samples: usize) -> (f64, f64) {
    let mut ms: Vec<f64> = (0..samples)
        .map(|_| {
            let started = Instant::now();
            let res = who.get(path);
            assert!(res.status.is_success(), "{}", res.body);
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    (
        ms[ms.len() / 2],
        ms[(ms.len() * 99 / 100).min(ms.len() - 1)],
    )
}

fn main() {
    let backend = if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        Backend::Postgres
    } else {
        Backend::Sqlite
    };
    let count = env_usize("PROJECTS", 1000);
    let reports_each = env_usize("REPORTS_EACH", 100);
    let app = TestApp::start_with_workers(backend, 2).expect("app");
    let db = Db::connect(&app.db.url, 2).expect("db");
    shuzhuan_app::demo::load(
        &db,
        &shuzhuan_app::demo::Spec {
            program: "yinchuan".into(),
            enterprises: count,
            seed: 11,
        },
    )
    .expect("demo data");
    let program = app.program_id("yinchuan");
    let city = app.user_with_grants(
        "bench.city",
        json!([{"role": "city_admin", "program_id": program}]),
    );
    let enterprises = all_ids(
        &city,
        &format!("/enterprises?program_id={program}"),
        "region_code",
    );
    let providers: Vec<String> = city
        .get(&format!(
            "/programs/{program}/provider-pool?status=admitted"
        ))
        .body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["provider_id"].as_str().unwrap().to_owned())
        .collect();
    let batch = city.post(
        &format!("/programs/{program}/batches"),
        json!({"number": 77, "name": "基准批次",
        "implementation_ends_on": "2027-06-30", "acceptance_ends_on": "2027-09-30"}),
    );
    let batch_id = batch.body["id"].as_str().unwrap().to_owned();

    let started = Instant::now();
    let plan: Plan = serde_json::from_value(json!({"goals": "g", "content": "c", "starts_on": "2026-03-01", "ends_on": "2027-03-31",
        "contract_amount_fen": 60_000_000, "line_items": [{"category": "software", "description": "d", "amount_fen": 60_000_000}],
        "provider_ids": [], "product_ids": []}))
    .expect("plan");
    let plan = Json::new(plan).expect("plan text");
    use ProjectAction as A;
    use ProjectState as S;
    let steps = [
        (A::Submit, S::Draft, S::Submitted),
        (A::ApproveEnrolment, S::Submitted, S::Enrolled),
        (A::ChooseProvider, S::Enrolled, S::Matched),
        (A::RecordDiagnosis, S::Matched, S::Diagnosed),
        (A::FilePlan, S::Diagnosed, S::PlanFiled),
        (A::ApprovePlan, S::PlanFiled, S::Implementing),
    ];
    let words: Vec<&str> = "建设 生产管理系统 设备联网 数据采集 计划排产 质量追溯 订单交付 库存 能耗监测 看板 仓储管理 条码 财务系统 供应商协同 工艺 仿真 云平台 移动端 预测性维护 安全生产 视觉检测 能源管理 客户关系 报表".split(' ').collect();
    let plan_of = |i: usize| {
        let mut p = plan.get().clone();
        p.goals = (0..40)
            .map(|k| words[(i * 7 + k * k * 13 + k * i) % words.len()])
            .collect::<Vec<_>>()
            .join(" ");
        Json::new(p).expect("plan text")
    };
    for chunk in enterprises
        .iter()
        .take(count)
        .enumerate()
        .collect::<Vec<_>>()
        .chunks(50)
    {
        db.write(&Actor::system(), |tx| -> Result<(), RepoError> {
            for (i, (enterprise_id, region)) in chunk {
                let at = now();
                let progress = i32::try_from(i * 7 % 101).unwrap_or(0);
                let row = ProjectRow {
                    id: new_id(),
                    program_id: program.clone(),
                    batch_id: batch_id.clone(),
                    enterprise_id: enterprise_id.clone(),
                    region_code: region.clone(),
                    title: format!("改造项目{i}"),
                    state: S::Implementing.into(),
                    provider_id: providers.get(i % providers.len().max(1)).cloned(),
                    diagnosis_id: None,
                    level_before: Some(1),
                    acceptance_id: None,
                    level_after: None,
                    plan: Some(plan_of(*i)),
                    county_approved_plan: true,
                    policy_version: Some(1),
                    rectification_deadline: None,
                    audited_line_items: None,
                    subsidy_fen: None,
                    subsidy_quote: None,
                    decision_id: None,
                    disbursed_fen: 0,
                    progress_percent: progress,
                    satisfaction: None,
                    satisfaction_comment: None,
                    version: 7,
                    created_at: at,
                    updated_at: at,
                };
                projects::insert(tx.conn(), &row)?;
                for (seq, (action, from, to)) in steps.iter().enumerate() {
                    projects::insert_transition(
                        tx.conn(),
                        &TransitionRow {
                            project_id: row.id.clone(),
                            seq: seq as i64 + 2,
                            action: (*action).into(),
                            from_state: (*from).into(),
                            to_state: (*to).into(),
                            actor_id: "bench".into(),
                            actor_name: "bench".into(),
                            role: Role::CityAdmin.into(),
                            comment: String::new(),
                            data: "{}".into(),
                            at,
                        },
                    )?;
                }
                for r in 0..reports_each {
                    projects::insert_progress(
                        tx.conn(),
                        &ProgressReportRow {
                            id: new_id(),
                            project_id: row.id.clone(),
                            percent: progress * i32::try_from(r + 1).unwrap_or(1)
                                / i32::try_from(reports_each).unwrap_or(1),
                            milestone: format!("第{r}次"),
                            note: String::new(),
                            evidence: Json::new(Vec::new()).expect("evidence"),
                            reported_on: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
                            reported_by: "bench".into(),
                            created_at: at,
                        },
                    )?;
                }
            }
            Ok(())
        })
        .expect("projects written");
    }
    println!(
        "monitoring ({backend:?}): {count} implementing projects and {} progress reports written in {:.0} s",
        count * reports_each,
        started.elapsed().as_secs_f64()
    );
    // Risks: the first read after a write runs the rules over the whole
    // programme (cold); the next reads find them cached by the audit head.
    let risks = format!("/programs/{program}/risks");
    let settings = format!("/programs/{program}/monitoring-settings");
    let mut cold: Vec<f64> = (0..5)
        .map(|n| {
            let version = city.get(&settings).body["version"].as_i64().unwrap();
            let res = city.put_if_match(
                &settings,
                version,
                json!({"thresholds": {}, "risk": {"copied_plan_bp": 8000 + n}}),
            );
            assert!(res.status.is_success(), "{}", res.body);
            timed(&city, &risks, 1).0
        })
        .collect();
    cold.sort_by(f64::total_cmp);
    println!(
        "risks, first read after a write ({backend:?}, {count} projects): median {:.1} ms, slowest {:.1} ms",
        cold[cold.len() / 2],
        cold[cold.len() - 1]
    );
    let some_project = city
        .get(&format!("/programs/{program}/projects?limit=1"))
        .body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (label, path) in [
        ("risks (cached)", risks.clone()),
        (
            "project with its risk (cached)",
            format!("/projects/{some_project}"),
        ),
        ("dashboard", format!("/programs/{program}/dashboard")),
        (
            "dashboard ?year=2026",
            format!("/programs/{program}/dashboard?year=2026"),
        ),
        ("monitoring", format!("/programs/{program}/monitoring")),
        (
            "monitoring ?colour=red",
            format!("/programs/{program}/monitoring?colour=red"),
        ),
        (
            "provider-ranking",
            format!("/programs/{program}/provider-ranking"),
        ),
    ] {
        let (median, p99) = timed(&city, &path, 50);
        println!("{label} ({backend:?}, {count} projects): median {median:.1} ms, p99 {p99:.1} ms");
    }
    // A self-evaluation report: built from everything (each issue is a
    // write, so the next one meets the risk rules cold), then read frozen.
    let issue = format!("/programs/{program}/evaluations");
    let mut built: Vec<f64> = (0..5)
        .map(|_| {
            let started = Instant::now();
            let res = city.post(&issue, json!({"period_kind": "mid_term"}));
            assert!(res.status.is_success(), "{}", res.body);
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    built.sort_by(f64::total_cmp);
    println!(
        "evaluation report issued ({backend:?}, {count} projects): median {:.1} ms, slowest {:.1} ms",
        built[built.len() / 2],
        built[built.len() - 1]
    );
    let id = city.get(&format!("{issue}?limit=1")).body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (label, path, samples) in [
        ("evaluation report read", format!("/evaluations/{id}"), 50),
        (
            "evaluation workbook",
            format!("/evaluations/{id}?format=xlsx"),
            10,
        ),
        (
            "evaluation page",
            format!("/evaluations/{id}?format=html"),
            10,
        ),
    ] {
        let (median, p99) = timed(&city, &path, samples);
        println!("{label} ({backend:?}, {count} projects): median {median:.1} ms, p99 {p99:.1} ms");
    }
}
