//! Use cases called directly, without a server (issue 16): a principal, a
//! session on a database of the test's own (SQLite, and PostgreSQL when
//! `TEST_DATABASE_URL` is set), the input, and the view or `AppError` back.

// Test code: a panic is how a test fails.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use serde_json::{Value, json};
use shuzhuan_app::policy::Right;
use shuzhuan_app::{AppError, Body, Db, Expected, Page, Principal, enterprises, programs, subsidy};
use shuzhuan_tests::{Backend, TestDb, uscc};
use shuzhuan_types::{Grant, Role};

/// A bootstrapped database (migrations and the seed programmes).
fn database(backend: Backend) -> Option<(TestDb, Db)> {
    let test_db = TestDb::create(backend)?;
    let db = Db::connect(&test_db.url, 2).expect("connect");
    shuzhuan_app::bootstrap::run(&db, None).expect("bootstrap");
    Some((test_db, db))
}

fn principal(id: &str, role: Role, program: Option<&str>, enterprise: Option<&str>) -> Principal {
    let regions = if role == Role::CountyAdmin {
        vec!["640122".to_owned()]
    } else {
        Vec::new()
    };
    let grant = Grant::new(
        role,
        program.map(str::to_owned),
        regions,
        enterprise.map(str::to_owned),
        None,
    )
    .expect("a valid grant");
    Principal::for_tests(id, vec![grant])
}

fn body<T>(v: Value) -> Body<T> {
    Body::Json(serde_json::to_vec(&v).unwrap())
}

fn program_id(db: &Db, code: &str) -> String {
    let admin = principal("admin", Role::PlatformAdmin, None, None);
    let mut s = db.session().unwrap();
    programs::list(&mut s, &admin, &Page::default())
        .unwrap()
        .items
        .into_iter()
        .find(|p| p.code == code)
        .unwrap()
        .id
}

macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name(super::Backend::Sqlite) } )*
        }
        mod postgres {
            $( #[test] fn $name() { super::$name(super::Backend::Postgres) } )*
        }
    };
}

on_both!(
    risk_settings_and_rights_hold_without_a_server,
    enterprise_rights_follow_the_table,
    the_cap_holds_in_the_one_approval_path,
    the_list_condition_is_the_single_read_predicate,
    a_failed_round_pauses_the_receiver_once_and_an_answer_resumes_it,
    an_export_is_every_page_of_the_list_in_its_scope,
    every_seed_programme_reports_its_demo_data_at_mid_term,
);

/// Issue 21: each seed programme, filled with `demo-data` (enterprises,
/// providers admitted to its pool, products listed), issues its mid-term
/// self-evaluation without a server; the demo providers are evaluated,
/// the seed's targets reported; an observer reads it but cannot issue.
fn every_seed_programme_reports_its_demo_data_at_mid_term(backend: Backend) {
    use shuzhuan_app::demo;
    use shuzhuan_app::evaluations::{self, IssueEvaluation};
    let Some((_guard, db)) = database(backend) else {
        return;
    };
    for code in ["xuchang", "jinan", "changji", "shiyan", "yinchuan"] {
        let out = demo::load(
            &db,
            &demo::Spec {
                program: code.to_owned(),
                enterprises: 20,
                seed: 21,
            },
        )
        .unwrap();
        assert!(out.providers > 0, "{code}");
        let id = program_id(&db, code);
        let city = principal("city", Role::CityAdmin, Some(&id), None);
        let mut s = db.session().unwrap();
        let (report, new) =
            evaluations::issue(&mut s, &city, &id, body(json!({"period_kind": "mid_term"})))
                .unwrap();
        assert!(new, "{code}");
        let rows = |code: &str| {
            report
                .content
                .iter()
                .find(|s| s.code == code)
                .map(|s| s.rows.len())
                .unwrap()
        };
        assert!(rows("targets") > 0, "{code}: its seed targets");
        assert!(rows("providers") >= out.providers, "{code}: the demo pool");
        let observer = principal("observer", Role::Observer, Some(&id), None);
        let refused = evaluations::issue(
            &mut s,
            &observer,
            &id,
            Body::<IssueEvaluation>::Json(b"{}".to_vec()),
        );
        assert!(
            matches!(refused, Err(AppError::Forbidden(Right::IssueEvaluations))),
            "{refused:?}"
        );
        let read = evaluations::get(&mut s, &observer, &report.id).unwrap();
        assert_eq!(read.content_sha256, report.content_sha256);
    }
}

/// `exports::export_list` runs a list's use case to its last page: every
/// row in the caller's scope, none outside it, the right checked first.
fn an_export_is_every_page_of_the_list_in_its_scope(backend: Backend) {
    use shuzhuan_app::Lang;
    use shuzhuan_app::exports::{self, SheetFormat, tables};
    use std::io::Read;
    let Some((_guard, db)) = database(backend) else {
        return;
    };
    let yinchuan = program_id(&db, "yinchuan");
    let city = principal("city", Role::CityAdmin, Some(&yinchuan), None);
    let mut s = db.session().unwrap();
    // More than one page of the largest size (500).
    for n in 0..503 {
        enterprises::create(
            &mut s,
            &city,
            body(json!({"uscc": uscc("640122", 10_000 + n), "name": format!("导出企业{n}"),
                        "program_id": yinchuan, "region_code": if n % 2 == 0 { "640122" } else { "640121" },
                        "industry_code": "new_materials", "size_class": "small"})),
        )
        .unwrap();
    }
    let query = enterprises::EnterpriseQuery {
        q: None,
        program_id: None,
        region_code: None,
        industry_code: None,
        above_designated_size: None,
        specialised: None,
        little_giant: None,
        tier: None,
        limit: Some(7),
        cursor: None,
    };
    let rows = |who: &Principal, s: &mut shuzhuan_app::Session| {
        let mut file = exports::export_list(
            &tables::ENTERPRISES,
            SheetFormat::Csv,
            Lang::Zh,
            query.clone(),
            |q| enterprises::list(s, who, q),
        )
        .unwrap();
        let mut text = String::new();
        file.read_to_string(&mut text).unwrap();
        text.lines().count() - 1
    };
    assert_eq!(
        rows(&city, &mut s),
        503,
        "every page, not the 7 asked for one"
    );
    // A county office exports its own region's only.
    let county = principal("county", Role::CountyAdmin, Some(&yinchuan), None);
    assert_eq!(rows(&county, &mut s), 252);
    // No right, no file: the list's own refusal.
    let nobody = Principal::for_tests("nobody", vec![]);
    let refused = exports::export_list(
        &tables::ENTERPRISES,
        SheetFormat::Xlsx,
        Lang::Zh,
        query.clone(),
        |q| enterprises::list(&mut s, &nobody, q),
    );
    assert!(matches!(
        refused,
        Err(AppError::Forbidden(Right::ReadEnterprise))
    ));
}

/// `enterprises::reach_condition` (the SQL of every list) selects exactly
/// the rows `Reach::contains` (every single read) admits, for reaches of
/// every kind of clause over enterprises of two programmes, several
/// regions and none.
fn the_list_condition_is_the_single_read_predicate(backend: Backend) {
    use shuzhuan_persistence::repo::enterprises as repo;
    use shuzhuan_types::Reach;
    let Some((_guard, db)) = database(backend) else {
        return;
    };
    let admin = principal("admin", Role::PlatformAdmin, None, None);
    let yinchuan = program_id(&db, "yinchuan");
    let xuchang = program_id(&db, "xuchang");
    let mut s = db.session().unwrap();
    let mut n = 0;
    let mut register =
        |s: &mut shuzhuan_app::Session, program: Option<&str>, region: &str, industry: &str| {
            n += 1;
            let mut fields = json!({"uscc": uscc("640122", n), "name": format!("企业{n}"),
                                "size_class": "small"});
            if let Some(p) = program {
                fields["program_id"] = json!(p);
                fields["region_code"] = json!(region);
                fields["industry_code"] = json!(industry);
            }
            enterprises::create(s, &admin, body(fields)).unwrap().id
        };
    let xc_region = programs::regions(&mut s, &admin, &xuchang, &Page::default())
        .unwrap()
        .items[0]
        .code
        .clone();
    let xc_industry = programs::industries(&mut s, &admin, &xuchang, &Page::default())
        .unwrap()
        .items[0]
        .code
        .clone();
    let ids = [
        register(&mut s, Some(&yinchuan), "640122", "new_materials"),
        register(&mut s, Some(&yinchuan), "640104", "new_materials"),
        register(&mut s, Some(&xuchang), &xc_region, &xc_industry),
        register(&mut s, None, "", ""),
    ];
    let reaches = [
        Reach {
            all: true,
            ..Reach::none("u")
        },
        Reach::none("u"),
        Reach {
            programmes: vec![yinchuan.clone()],
            ..Reach::none("u")
        },
        Reach {
            regions: vec![(yinchuan.clone(), vec!["640122".into()])],
            ..Reach::none("u")
        },
        Reach {
            regions: vec![(xuchang.clone(), vec!["640122".into()])],
            ..Reach::none("u")
        },
        Reach {
            enterprises: vec![ids[1].clone(), ids[3].clone()],
            ..Reach::none("u")
        },
        Reach {
            unclaimed: true,
            ..Reach::none("u")
        },
        Reach {
            programmes: vec![xuchang.clone()],
            enterprises: vec![ids[0].clone()],
            unclaimed: true,
            ..Reach::none("u")
        },
    ];
    for reach in reaches {
        let conn = s.conn();
        let listed: Vec<String> = repo::list(conn, &reach, &Default::default(), None, 500)
            .unwrap()
            .items
            .into_iter()
            .map(|e| e.id)
            .collect();
        let mut admitted = Vec::new();
        for id in &ids {
            let row = repo::find(conn, id).unwrap();
            let ties = repo::project_ties(conn, id).unwrap();
            if reach.contains(&repo::target(&row, &ties)) {
                admitted.push(id.clone());
            }
        }
        let listed: Vec<String> = listed.into_iter().filter(|id| ids.contains(id)).collect();
        assert_eq!(listed, admitted, "{reach:?}");
    }
}

fn enterprise_rights_follow_the_table(backend: Backend) {
    let Some((_guard, db)) = database(backend) else {
        return;
    };
    let yinchuan = program_id(&db, "yinchuan");
    let city = principal("city", Role::CityAdmin, Some(&yinchuan), None);
    let mut s = db.session().unwrap();
    let created = enterprises::create(
        &mut s,
        &city,
        body(
            json!({"uscc": uscc("640122", 1), "name": "宁夏某材料有限公司",
                    "program_id": yinchuan, "region_code": "640122",
                    "industry_code": "new_materials", "size_class": "small"}),
        ),
    )
    .unwrap();
    assert_eq!(created.version, 1);

    // The observer reads it, in the list and alone, and changes nothing.
    let observer = principal("observer", Role::Observer, Some(&yinchuan), None);
    let read = enterprises::get(&mut s, &observer, &created.id).unwrap();
    assert_eq!(read.id, created.id);
    let q = |program: &str| enterprises::EnterpriseQuery {
        q: None,
        program_id: Some(program.to_owned()),
        region_code: None,
        industry_code: None,
        above_designated_size: None,
        specialised: None,
        little_giant: None,
        tier: None,
        limit: None,
        cursor: None,
    };
    let listed = enterprises::list(&mut s, &observer, q(&yinchuan)).unwrap();
    assert_eq!(listed.items.len(), 1);
    let refused = enterprises::update(
        &mut s,
        &observer,
        &created.id,
        Expected::Version(1),
        body(json!({"name": "x"})),
    );
    assert!(
        matches!(
            refused,
            Err(AppError::Forbidden(Right::EditEnterpriseProfile))
        ),
        "{refused:?}"
    );
    // The right comes first: a body that is not even JSON changes nothing
    // of the answer.
    let refused = enterprises::update(
        &mut s,
        &observer,
        &created.id,
        Expected::Version(1),
        Body::Json(b"{not json".to_vec()),
    );
    assert!(
        matches!(refused, Err(AppError::Forbidden(_))),
        "{refused:?}"
    );

    // Another programme's observer: not found, and not listed.
    let jinan = program_id(&db, "jinan");
    let stranger = principal("stranger", Role::Observer, Some(&jinan), None);
    assert!(matches!(
        enterprises::get(&mut s, &stranger, &created.id),
        Err(AppError::NotFound)
    ));
    assert!(
        enterprises::list(&mut s, &stranger, q(&yinchuan))
            .unwrap()
            .items
            .is_empty()
    );

    // Staff: contact yes, figures no.
    let staff = principal("staff", Role::Enterprise, None, Some(&created.id));
    let changed = enterprises::update(
        &mut s,
        &staff,
        &created.id,
        Expected::Version(1),
        body(json!({"contact_name": "李经理"})),
    )
    .unwrap();
    assert_eq!(changed.version, 2);
    assert!(matches!(
        enterprises::update(
            &mut s,
            &staff,
            &created.id,
            Expected::Version(2),
            body(json!({"employees": 9}))
        ),
        Err(AppError::Forbidden(Right::EditEnterpriseEnrolment))
    ));
    // The programme never changes by an edit.
    let moved = enterprises::update(
        &mut s,
        &city,
        &created.id,
        Expected::Version(2),
        body(json!({"program_id": jinan})),
    );
    match moved {
        Err(AppError::Validation(errors)) => assert_eq!(errors[0].code, "program_immutable"),
        other => panic!("{other:?}"),
    }
}

fn the_cap_holds_in_the_one_approval_path(backend: Backend) {
    let Some((_guard, db)) = database(backend) else {
        return;
    };
    let xuchang = program_id(&db, "xuchang");
    let admin = principal("admin", Role::PlatformAdmin, None, None);
    let city = principal("city", Role::CityAdmin, Some(&xuchang), None);
    let finance = principal("finance", Role::Finance, Some(&xuchang), None);
    let mut s = db.session().unwrap();
    let regions = programs::regions(&mut s, &admin, &xuchang, &Page::default()).unwrap();
    let industries = programs::industries(&mut s, &admin, &xuchang, &Page::default()).unwrap();
    let enterprise = enterprises::create(
        &mut s,
        &admin,
        body(
            json!({"uscc": uscc("410000", 1), "name": "许昌某电气有限公司",
                    "program_id": xuchang, "region_code": regions.items[0].code,
                    "industry_code": industries.items[0].code, "size_class": "small"}),
        ),
    )
    .unwrap();
    let pool = subsidy::create_pool(
        &mut s,
        &finance,
        &xuchang,
        body(json!({"name": "专项", "source": "central", "amount_fen": 1_000_000_000})),
    )
    .unwrap();
    let propose = |s: &mut shuzhuan_app::Session| {
        subsidy::create_decision(
            s,
            &city,
            &xuchang,
            body(json!({"pool_id": pool.id, "payee": "许昌某电气有限公司",
                        "quote": {"enterprise_id": enterprise.id, "level": 3, "as_of": "2026-11-01",
                                  "line_items": [{"category": "software", "amount_fen": 120_000_000}]}})),
        )
        .unwrap()
    };
    let first = propose(&mut s);
    let second = propose(&mut s);
    assert_eq!(
        (first.amount_fen, second.amount_fen),
        (50_000_000, 50_000_000)
    );
    // Proposing is not approving: the city holds no approval right.
    assert!(matches!(
        subsidy::approve_decision(&mut s, &city, (&xuchang, &first.id), Expected::Version(1)),
        Err(AppError::Forbidden(Right::ApproveSubsidy))
    ));
    subsidy::approve_decision(
        &mut s,
        &finance,
        (&xuchang, &first.id),
        Expected::Version(1),
    )
    .unwrap();
    match subsidy::approve_decision(
        &mut s,
        &finance,
        (&xuchang, &second.id),
        Expected::Version(1),
    ) {
        Err(AppError::Conflict { code, .. }) => assert_eq!(code, "enterprise_cap_exceeded"),
        other => panic!("{other:?}"),
    }
    let ledger = subsidy::ledger(
        &mut s,
        &finance,
        (&xuchang, &enterprise.id),
        &subsidy::LedgerQuery { as_of: None },
    )
    .unwrap();
    assert_eq!((ledger.approved_fen, ledger.overrun_fen), (50_000_000, 0));
    let pool = subsidy::get_pool(&mut s, &finance, &xuchang, &pool.id).unwrap();
    assert_eq!(pool.committed_fen, 50_000_000);
}

/// The webhook outbox without a server: deliveries sent together that all
/// fail count as one failed round and pause the receiver (one probe after
/// the pause, nothing given up); when the probe is acknowledged the rest
/// is due at once; a receiver that fails for the whole disable period is
/// disabled, and its deliveries stay pending.
fn a_failed_round_pauses_the_receiver_once_and_an_answer_resumes_it(backend: Backend) {
    use shuzhuan_app::webhooks::{self, Outbound, outbox};
    use std::time::Duration;
    let Some((_guard, db)) = database(backend) else {
        return;
    };
    let admin = principal("admin", Role::PlatformAdmin, None, None);
    let mut s = db.session().unwrap();
    let user = shuzhuan_app::users::create(
        &mut s,
        &admin,
        body(json!({"username": "sync.national", "password": "a long enough password", "display_name": "national platform"})),
    )
    .unwrap();
    shuzhuan_app::users::put_grants(
        &mut s,
        &admin,
        &user.id,
        Expected::Any,
        body(json!([{"role": "sync_client"}])),
    )
    .unwrap();
    let owner = principal(&user.id, Role::SyncClient, None, None);
    let hook = webhooks::create(
        &mut s,
        &owner,
        &Outbound::new(&["127.0.0.0/8".to_owned()]),
        body(json!({"url": "http://127.0.0.1:9/hook", "event_types": ["enterprise.create"]})),
    )
    .unwrap();
    let yinchuan = program_id(&db, "yinchuan");
    let city = principal("city", Role::CityAdmin, Some(&yinchuan), None);
    for n in 0..5 {
        enterprises::create(
            &mut s,
            &city,
            body(
                json!({"uscc": uscc("640122", n), "name": format!("企业{n}"),
                        "program_id": yinchuan, "region_code": "640122",
                        "industry_code": "new_materials", "size_class": "small"}),
            ),
        )
        .unwrap();
    }
    let retry = outbox::Retry {
        base_ms: 60_000,
        max_ms: 600_000,
        max_attempts: 2,
        disable_after: Duration::from_secs(3600),
    };
    let lease = Duration::from_secs(30);
    let outcome = |jobs: Vec<outbox::Job>, status: u16| -> Vec<outbox::Sent> {
        jobs.into_iter()
            .map(|job| outbox::Sent {
                delivery: job.delivery,
                status_code: Some(status),
                error: (status != 200).then(|| format!("receiver answered {status}")),
                duration: Duration::from_millis(1),
            })
            .collect()
    };
    let read = |s: &mut shuzhuan_app::Session| webhooks::get(s, &owner, &hook.id).unwrap();

    outbox::fan_out(&db).unwrap();
    let jobs = outbox::claim(&db, "worker-1", lease, 32).unwrap();
    assert_eq!(jobs.len(), 5);
    outbox::record(&db, "worker-1", &retry, outcome(jobs, 503)).unwrap();
    let paused = read(&mut s);
    assert_eq!(
        paused.consecutive_failures, 1,
        "five failures sent together are one round"
    );
    assert!(paused.active && paused.failing_since.is_some() && paused.paused_until.is_some());
    assert!(
        outbox::claim(&db, "worker-1", lease, 32)
            .unwrap()
            .is_empty(),
        "nothing goes to a paused receiver"
    );
    // Twice the attempts allowed, yet nothing is given up while the
    // receiver is down.
    for round in 2..=4 {
        db.transaction(|conn| -> Result<(), shuzhuan_persistence::RepoError> {
            use diesel::RunQueryDsl;
            diesel::sql_query("UPDATE webhooks SET paused_until = NULL").execute(conn)?;
            Ok(())
        })
        .unwrap();
        let probe = outbox::claim(&db, "worker-1", lease, 32).unwrap();
        assert_eq!(probe.len(), 1, "one probe after the pause");
        outbox::record(&db, "worker-1", &retry, outcome(probe, 503)).unwrap();
        assert_eq!(read(&mut s).consecutive_failures, round);
    }
    let everything = webhooks::DeliveriesQuery {
        status: None,
        limit: None,
        cursor: None,
    };
    let log = webhooks::deliveries(&mut s, &owner, &hook.id, everything).unwrap();
    assert!(
        log.items
            .iter()
            .all(|d| d.status == shuzhuan_types::DeliveryStatus::Pending)
    );

    // The receiver answers the next probe: everything else is due at once.
    db.transaction(|conn| -> Result<(), shuzhuan_persistence::RepoError> {
        use diesel::RunQueryDsl;
        diesel::sql_query("UPDATE webhooks SET paused_until = NULL").execute(conn)?;
        Ok(())
    })
    .unwrap();
    let probe = outbox::claim(&db, "worker-1", lease, 32).unwrap();
    outbox::record(&db, "worker-1", &retry, outcome(probe, 200)).unwrap();
    let healthy = read(&mut s);
    assert_eq!(
        (
            healthy.consecutive_failures,
            healthy.failing_since,
            healthy.paused_until
        ),
        (0, None, None)
    );
    let rest = outbox::claim(&db, "worker-1", lease, 32).unwrap();
    assert_eq!(
        rest.len(),
        4,
        "the backlog is due at once, not at its backoff"
    );
    outbox::record(&db, "worker-1", &retry, outcome(rest, 200)).unwrap();
    assert_eq!(outbox::backlog(&db).unwrap().0, 0);
}

/// Risks without a server: the right first (an enterprise is refused
/// before anything is read, another programme's office gets nothing); the
/// programme's risk settings, written as one change, take effect at once
/// (the cached assessment is keyed by the audit head, which the write
/// moved); the precision starts at no inspection.
fn risk_settings_and_rights_hold_without_a_server(backend: Backend) {
    use shuzhuan_app::{Lang, monitoring, risks};
    let Some((_guard, db)) = database(backend) else {
        return;
    };
    let yinchuan = program_id(&db, "yinchuan");
    let xuchang = program_id(&db, "xuchang");
    let mut s = db.session().unwrap();
    let city = principal("city", Role::CityAdmin, Some(&yinchuan), None);
    let q = risks::RiskQuery::default();
    let listed = risks::list(&mut s, &city, &yinchuan, &q, Lang::En).unwrap();
    assert!(listed.items.is_empty());
    let enterprise = principal("ent", Role::Enterprise, None, Some("e1"));
    let refused = risks::list(&mut s, &enterprise, &yinchuan, &q, Lang::En);
    assert!(
        matches!(refused, Err(AppError::Forbidden(Right::ReadRisks))),
        "{refused:?}"
    );
    let elsewhere = risks::providers(&mut s, &city, &xuchang);
    assert!(
        matches!(elsewhere, Err(AppError::NotFound | AppError::Forbidden(_))),
        "{elsewhere:?}"
    );
    let put = |s: &mut shuzhuan_app::Session, version: i64, risk: Value| {
        monitoring::put_settings(
            s,
            &city,
            &yinchuan,
            Expected::Version(version),
            body(json!({"thresholds": {}, "risk": risk})),
        )
    };
    let set = put(&mut s, 0, json!({"weights": {"copied_plan": 5}})).unwrap();
    assert_eq!(set.risk["weights"]["copied_plan"], 5);
    assert_eq!(set.risk["weights"]["shared_contact"], 30, "the others kept");
    let bad = put(&mut s, 1, json!({"same_day_projects": 0}));
    match bad {
        Err(AppError::Validation(errors)) => {
            assert_eq!(errors[0].field, "risk.same_day_projects");
        }
        other => panic!("{other:?}"),
    }
    let read = monitoring::get_settings(&mut s, &city, &yinchuan).unwrap();
    assert_eq!(read.version, 1, "the refused write changed nothing");
    let precision = risks::precision(&mut s, &city, &yinchuan, Lang::Zh).unwrap();
    assert_eq!(precision.at_random.inspected, 0);
    assert_eq!(precision.at_random.rate_bp, None);
    assert_eq!(precision.by_kind.len(), 14, "every flag kind listed");
}
