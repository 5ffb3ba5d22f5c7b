//! What a self-evaluation report holds, section by section, built from the
//! programme's data as of a day: the same figures the dashboard, the money
//! view, the provider evaluation, the spot checks and the risk list show.
//! Figures are integers (fen, basis points, hundredths) so the content's
//! JSON is the same for every reader that re-serialises it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Datelike, NaiveDate};
use shuzhuan_lifecycle::{BenchmarkStatus, ProjectAction, ProjectState};
use shuzhuan_monitoring::FindingOutcome;
use shuzhuan_monitoring::report::{Cell, CellUnit as U, PeriodKind, Section};
use shuzhuan_persistence::Session;
use shuzhuan_persistence::rows::ProjectRow;

use crate::error::{Lang, Result};
use crate::monitoring::{DashboardQuery, Loaded, dashboard, steps_by_project};

/// Each project's steps (action, state reached, day), as the monitor reads them.
type Steps<'l> = HashMap<&'l str, Vec<(ProjectAction, ProjectState, NaiveDate)>>;
use crate::principal::Principal;

/// The period and day a report is built for.
#[derive(Debug, Clone, Copy)]
pub struct Period {
    pub kind: PeriodKind,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub as_of: NaiveDate,
}

impl Period {
    fn within(&self, d: NaiveDate) -> bool {
        self.starts_on <= d && d <= self.as_of
    }
}

/// Hundredths of a ratio, rounded half up (0 without a base).
fn hundredths(num: i64, den: i64) -> i64 {
    if den <= 0 {
        0
    } else {
        (num * 200 + den) / (den * 2)
    }
}

/// Every section of the report, in the order it is printed.
pub fn sections(s: &mut Session, who: &Principal, l: &Loaded, p: Period) -> Result<Vec<Section>> {
    let steps = steps_by_project(&l.facts);
    let none = Vec::new();
    let reached = |project: &ProjectRow, action: ProjectAction, to: ProjectState| {
        steps
            .get(project.id.as_str())
            .unwrap_or(&none)
            .iter()
            .find(|(a, t, on)| *a == action && *t == to && *on <= p.as_of)
            .map(|(.., on)| *on)
    };
    let applied: Vec<&ProjectRow> = l
        .facts
        .projects
        .iter()
        .filter(|pr| {
            steps
                .get(pr.id.as_str())
                .and_then(|s| s.first())
                .is_some_and(|(.., on)| *on <= p.as_of)
        })
        .collect();
    let accepted: Vec<&ProjectRow> = applied
        .iter()
        .copied()
        .filter(|pr| {
            reached(pr, ProjectAction::RecordAcceptance, ProjectState::Accepted)
                .is_some_and(|d| p.within(d))
        })
        .collect();
    Ok(vec![
        overview(l, p, applied.len(), accepted.len()),
        targets(s, who, l, p)?,
        transformation(l, &applied, &accepted),
        funds(s, l)?,
        subsidy_by_level(l, p, &steps, &applied),
        providers(l, p),
        products(s, &applied, |pr| {
            reached(pr, ProjectAction::ApprovePlan, ProjectState::Implementing).is_some()
        })?,
        promotion(l, p),
        spot_checks(l, p),
        risks(s, l)?,
    ])
}

fn overview(l: &Loaded, p: Period, applied: usize, accepted: usize) -> Section {
    let mut s = Section::new(
        "overview",
        "概况",
        "Overview",
        &[
            ("item", "项目", "Item", U::Text),
            ("value", "内容", "Value", U::Text),
        ],
    );
    let pr = &l.program;
    for (item, value) in [
        ("试点", format!("{}（{}）", pr.name, pr.code)),
        ("地区", format!("{}{}", pr.province, pr.city)),
        ("试点期", format!("{} 至 {}", pr.starts_on, pr.ends_on)),
        ("评价类型", period_name(p.kind).to_owned()),
        ("评价期", format!("{} 至 {}", p.starts_on, p.ends_on)),
        ("数据截至", p.as_of.to_string()),
        ("验收达标等级", format!("{} 级", pr.pass_level)),
        ("申报项目数", applied.to_string()),
        ("评价期内验收通过", accepted.to_string()),
        (
            "说明",
            "目标、改造、奖补按数据截至日统计；资金池、资源池和风险线索为出具时的数据。".to_owned(),
        ),
    ] {
        s.row(vec![item.into(), value.into()]);
    }
    s
}

pub fn period_name(kind: PeriodKind) -> &'static str {
    match kind {
        PeriodKind::MidTerm => "中期绩效自评",
        PeriodKind::Final => "末期绩效自评",
        PeriodKind::Annual => "年度绩效自评",
        PeriodKind::Custom => "专项绩效自评",
    }
}

fn targets(s: &mut Session, who: &Principal, l: &Loaded, p: Period) -> Result<Section> {
    let q = DashboardQuery {
        year: (p.kind == PeriodKind::Annual).then(|| p.starts_on.year()),
        industry: None,
        region: None,
        as_of: Some(p.as_of),
    };
    let board = dashboard(s, who, &l.program.id, &q, Lang::Zh)?;
    let mut sec = Section::new(
        "targets",
        "目标完成情况",
        "Targets",
        &[
            ("metric", "指标代码", "Metric", U::Text),
            ("name", "指标", "Name", U::Text),
            ("unit", "单位", "Unit", U::Text),
            ("target", "目标值", "Target", U::Count),
            ("actual", "完成值", "Actual", U::Count),
            ("share_bp", "完成率", "Share", U::Bp),
            ("colour", "预警", "Colour", U::Text),
            ("likely", "期末预计", "Likely at deadline", U::Count),
            ("low", "预计下限", "Low", U::Count),
            ("high", "预计上限", "High", U::Count),
            ("reaches_on", "按当前速度达成日", "Reached on", U::Date),
            ("short", "预计未达标", "Likely short", U::Text),
            ("explanation", "说明", "Explanation", U::Text),
        ],
    );
    // Every metric with a target, and every other that has moved.
    for r in board
        .items
        .iter()
        .filter(|r| r.target.is_some() || r.actual.unwrap_or(0) != 0)
    {
        let f = r.forecast.as_ref();
        sec.row(vec![
            r.metric.key().into(),
            r.metric_name.clone().into(),
            match r.unit.as_str() {
                "share_bp" => "基点",
                "amount_fen" => "分",
                _ => "个",
            }
            .into(),
            r.target.into(),
            r.actual.into(),
            r.share_bp.into(),
            r.colour.map(|c| c.as_str()).into(),
            f.map(|f| f.likely).into(),
            f.map(|f| f.low).into(),
            f.map(|f| f.high).into(),
            f.and_then(|f| f.reaches_target_on)
                .map(|d| d.to_string())
                .into(),
            f.map(|f| if f.short { "是" } else { "否" }).into(),
            f.map(|f| f.explanation.clone())
                .or_else(|| r.reason.clone())
                .into(),
        ]);
    }
    Ok(sec)
}

const LEVELS: std::ops::RangeInclusive<i32> = 0..=4;

/// Enterprises transformed by batch, region, industry and size, with the
/// level distribution before (diagnosis) and after (acceptance).
fn transformation(l: &Loaded, applied: &[&ProjectRow], accepted: &[&ProjectRow]) -> Section {
    let mut columns = vec![
        ("group", "分组", "Group", U::Text),
        ("name", "名称", "Name", U::Text),
        ("enterprises", "申报企业", "Enterprises applied", U::Count),
        ("transformed", "验收通过企业", "Transformed", U::Count),
    ];
    let keys: Vec<(String, String, String)> = LEVELS
        .flat_map(|lv| {
            [
                (
                    format!("before_{lv}"),
                    format!("改造前{lv}级"),
                    format!("Level {lv} before"),
                ),
                (
                    format!("after_{lv}"),
                    format!("改造后{lv}级"),
                    format!("Level {lv} after"),
                ),
            ]
        })
        .collect();
    columns.extend(
        keys.iter()
            .map(|(k, t, e)| (k.as_str(), t.as_str(), e.as_str(), U::Count)),
    );
    columns.push((
        "mean_gain",
        "平均提升（百分之一级）",
        "Mean gain (hundredths of a level)",
        U::Count,
    ));
    let mut sec = Section::new(
        "transformation",
        "企业改造情况",
        "Enterprises transformed",
        &columns,
    );
    let flags: HashMap<&str, _> = l
        .facts
        .enterprises
        .iter()
        .map(|e| (e.id.as_str(), e))
        .collect();
    let batch_names: HashMap<&str, &str> = l
        .facts
        .batches
        .iter()
        .map(|b| (b.id.as_str(), b.name.as_str()))
        .collect();
    let groups_of = |pr: &ProjectRow| -> Vec<(String, String)> {
        let e = flags.get(pr.enterprise_id.as_str());
        let industry = e.and_then(|e| e.industry_code.clone()).unwrap_or_default();
        let above = e.is_some_and(|e| e.above_designated_size);
        vec![
            ("total".to_owned(), "合计".to_owned()),
            (
                format!("batch:{}", pr.batch_id),
                batch_names
                    .get(pr.batch_id.as_str())
                    .copied()
                    .unwrap_or_default()
                    .to_owned(),
            ),
            (format!("region:{}", pr.region_code), pr.region_code.clone()),
            (format!("industry:{industry}"), industry),
            (
                format!("size:{}", if above { "above" } else { "below" }),
                if above {
                    "规模以上"
                } else {
                    "规模以下"
                }
                .to_owned(),
            ),
        ]
    };
    #[derive(Default)]
    struct Tally {
        name: String,
        enterprises: BTreeSet<String>,
        transformed: BTreeSet<String>,
        before: BTreeMap<i32, i64>,
        after: BTreeMap<i32, i64>,
        gain: (i64, i64),
    }
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    tallies.insert(
        "total".to_owned(),
        Tally {
            name: "合计".to_owned(),
            ..Tally::default()
        },
    );
    for pr in applied {
        for (key, name) in groups_of(pr) {
            let t = tallies.entry(key).or_default();
            t.name = name;
            t.enterprises.insert(pr.enterprise_id.clone());
        }
    }
    for pr in accepted {
        for (key, _) in groups_of(pr) {
            let t = tallies.entry(key).or_default();
            t.transformed.insert(pr.enterprise_id.clone());
            if let Some(b) = pr.level_before {
                *t.before.entry(b).or_default() += 1;
            }
            if let Some(a) = pr.level_after {
                *t.after.entry(a).or_default() += 1;
            }
            if let (Some(b), Some(a)) = (pr.level_before, pr.level_after) {
                t.gain.0 += i64::from(a - b);
                t.gain.1 += 1;
            }
        }
    }
    // The total first, then the groups in key order.
    let total = tallies.remove("total");
    for (key, t) in total
        .map(|t| ("total".to_owned(), t))
        .into_iter()
        .chain(tallies)
    {
        let mut row: Vec<Cell> = vec![
            key.into(),
            t.name.into(),
            t.enterprises.len().into(),
            t.transformed.len().into(),
        ];
        for lv in LEVELS {
            row.push(t.before.get(&lv).copied().unwrap_or(0).into());
            row.push(t.after.get(&lv).copied().unwrap_or(0).into());
        }
        row.push(
            (t.gain.1 > 0)
                .then(|| hundredths(t.gain.0, t.gain.1))
                .into(),
        );
        sec.row(row);
    }
    sec
}

fn funds(s: &mut Session, l: &Loaded) -> Result<Section> {
    let view = crate::subsidy::funds_of(s.conn(), &l.program)?;
    let mut sec = Section::new(
        "funds",
        "资金来源与用途",
        "Money by source and purpose",
        &[
            ("line", "资金", "Line", U::Text),
            ("allocated_fen", "安排", "Allocated", U::Fen),
            ("committed_fen", "已承诺", "Committed", U::Fen),
            ("disbursed_fen", "已拨付", "Disbursed", U::Fen),
            ("share_bp", "占来源比例", "Share of the source", U::Bp),
            ("min_share_bp", "最低比例要求", "Earmark minimum", U::Bp),
            ("met", "是否达到", "Met", U::Text),
        ],
    );
    sec.row(vec![
        "total".into(),
        view.total.allocated_fen.into(),
        view.total.committed_fen.into(),
        view.total.disbursed_fen.into(),
        10_000i64.into(),
    ]);
    for line in &view.lines {
        let name = match line.purpose {
            None => line.source.as_str().to_owned(),
            Some(p) => format!("{}/{}", line.source.as_str(), p.as_str()),
        };
        let earmark = line.purpose.and_then(|p| {
            view.earmarks
                .iter()
                .find(|e| e.source == line.source && e.purpose == p)
        });
        sec.row(vec![
            name.into(),
            line.sums.allocated_fen.into(),
            line.sums.committed_fen.into(),
            line.sums.disbursed_fen.into(),
            i64::from(line.share_bp).into(),
            earmark.map(|e| i64::from(e.min_share_bp)).into(),
            earmark.map(|e| if e.met { "是" } else { "否" }).into(),
        ]);
    }
    Ok(sec)
}

/// Subsidy approved and paid in the period, by the level accepted: the
/// money per enterprise and per level.
fn subsidy_by_level(l: &Loaded, p: Period, steps: &Steps<'_>, applied: &[&ProjectRow]) -> Section {
    let mut sec = Section::new(
        "subsidy_by_level",
        "奖补按等级",
        "Subsidy by level",
        &[
            ("level", "验收等级", "Level accepted", U::Text),
            ("enterprises", "获补企业", "Enterprises", U::Count),
            ("approved_fen", "已批准", "Approved", U::Fen),
            ("paid_fen", "已拨付", "Paid", U::Fen),
            (
                "paid_per_enterprise_fen",
                "户均拨付",
                "Paid per enterprise",
                U::Fen,
            ),
        ],
    );
    let paid = crate::ranking::paid_by_decision(l, p.starts_on, p.as_of);
    let mut by_level: BTreeMap<String, (BTreeSet<&str>, i64, i64)> = BTreeMap::new();
    by_level.insert("合计".to_owned(), Default::default());
    for pr in applied {
        let approved = steps.get(pr.id.as_str()).is_some_and(|s| {
            s.iter()
                .any(|(a, _, on)| *a == ProjectAction::ApproveSubsidy && p.within(*on))
        });
        let paid_fen = pr
            .decision_id
            .as_deref()
            .and_then(|d| paid.get(d))
            .copied()
            .unwrap_or(0);
        if !approved && paid_fen == 0 {
            continue;
        }
        let level = pr.level_after.map_or("—".to_owned(), |l| format!("{l} 级"));
        for key in ["合计".to_owned(), level] {
            let e = by_level.entry(key).or_default();
            e.0.insert(pr.enterprise_id.as_str());
            if approved {
                e.1 += pr.subsidy_fen.unwrap_or(0);
            }
            e.2 += paid_fen;
        }
    }
    for (level, (enterprises, approved, paid)) in by_level {
        let n = enterprises.len() as i64;
        sec.row(vec![
            level.into(),
            n.into(),
            approved.into(),
            paid.into(),
            (n > 0).then(|| paid / n).into(),
        ]);
    }
    sec
}

fn providers(l: &Loaded, p: Period) -> Section {
    let ranking = crate::ranking::evaluate(l, p.starts_on, p.as_of);
    let mut sec = Section::new(
        "providers",
        "服务商绩效评价",
        "Provider evaluation",
        &[
            ("provider_id", "服务商编号", "Provider id", U::Text),
            ("name", "服务商", "Provider", U::Text),
            ("rank", "排名", "Rank", U::Count),
            (
                "score",
                "得分（百分之一分）",
                "Score (hundredths)",
                U::Count,
            ),
            ("projects", "项目数", "Projects", U::Count),
            ("contracts", "签约数", "Contracts", U::Count),
            (
                "first_try",
                "一次验收通过",
                "Accepted at first try",
                U::Count,
            ),
            (
                "after_rectification",
                "整改后通过",
                "Accepted after rectification",
                U::Count,
            ),
            (
                "mean_gain",
                "平均提升（百分之一级）",
                "Mean gain (hundredths)",
                U::Count,
            ),
            (
                "satisfaction",
                "满意度（百分之一）",
                "Satisfaction (hundredths)",
                U::Count,
            ),
            ("on_time", "按期验收", "On time", U::Count),
            ("findings", "抽查问题", "Adverse findings", U::Count),
            (
                "subsidy_paid_fen",
                "客户获拨付奖补",
                "Subsidy paid to clients",
                U::Fen,
            ),
        ],
    );
    let h = |x: Option<f64>| x.map(|v| (v * 100.0).round() as i64);
    for r in ranking.items {
        sec.row(vec![
            r.provider_id.into(),
            r.name.into(),
            r.rank.into(),
            h(Some(r.score)).into(),
            r.projects.into(),
            r.contracts.into(),
            r.acceptances_first_try.into(),
            r.acceptances_after_rectification.into(),
            h(r.mean_level_gain).into(),
            h(r.mean_satisfaction).into(),
            r.on_time.into(),
            r.adverse_findings.into(),
            r.subsidy_paid_fen.into(),
        ]);
    }
    sec
}

/// Library products named by the contracted plans.
fn products(
    s: &mut Session,
    applied: &[&ProjectRow],
    contracted: impl Fn(&ProjectRow) -> bool,
) -> Result<Section> {
    let mut sec = Section::new(
        "products",
        "产品使用情况",
        "Products used",
        &[
            ("product_id", "产品编号", "Product id", U::Text),
            ("name", "产品", "Product", U::Text),
            ("projects", "使用项目数", "Projects using it", U::Count),
        ],
    );
    let mut uses: BTreeMap<String, i64> = BTreeMap::new();
    for pr in applied.iter().filter(|pr| contracted(pr)) {
        for id in pr
            .plan
            .as_ref()
            .map(|p| p.get().product_ids.clone())
            .unwrap_or_default()
        {
            *uses.entry(id).or_default() += 1;
        }
    }
    let ids: Vec<String> = uses.keys().cloned().collect();
    let names: HashMap<String, String> =
        shuzhuan_persistence::repo::products::find_many(s.conn(), &ids)?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect();
    for (id, n) in uses {
        let name = names.get(&id).cloned().unwrap_or_default();
        sec.row(vec![id.into(), name.into(), n.into()]);
    }
    Ok(sec)
}

/// Benchmarks awarded, events held and talent certified in the period.
fn promotion(l: &Loaded, p: Period) -> Section {
    let mut sec = Section::new(
        "promotion",
        "标杆、活动与人才",
        "Benchmarks, events and talent",
        &[
            ("item", "项目", "Item", U::Text),
            ("count", "数量", "Count", U::Count),
            ("participants", "参与人次", "Participants", U::Count),
            ("certified", "认证人才", "Talent certified", U::Count),
        ],
    );
    let years = p.starts_on.year()..=p.as_of.year();
    let mut awarded: BTreeMap<&str, i64> = BTreeMap::new();
    for b in l
        .facts
        .benchmarks
        .iter()
        .filter(|b| *b.status == BenchmarkStatus::Awarded && years.contains(&b.year))
    {
        *awarded.entry(b.kind.as_str()).or_default() += 1;
    }
    for (kind, n) in awarded {
        sec.row(vec![format!("benchmark:{kind}").into(), n.into()]);
    }
    let mut events: BTreeMap<&str, (i64, i64, i64)> = BTreeMap::new();
    for e in l.facts.events.iter().filter(|e| p.within(e.held_on)) {
        let t = events.entry(e.kind.as_str()).or_default();
        t.0 += 1;
        t.1 += i64::from(e.participants);
        t.2 += i64::from(e.certified);
    }
    for (kind, (n, participants, certified)) in events {
        sec.row(vec![
            format!("event:{kind}").into(),
            n.into(),
            participants.into(),
            certified.into(),
        ]);
    }
    let finance = l
        .facts
        .finance_products
        .iter()
        .filter(|f| p.within(f.launched_on))
        .count();
    sec.row(vec!["finance_products".into(), finance.into()]);
    sec
}

fn spot_checks(l: &Loaded, p: Period) -> Section {
    let mut sec = Section::new(
        "spot_checks",
        "抽查情况",
        "Spot checks",
        &[
            ("spot_check_id", "抽查编号", "Spot check", U::Text),
            ("title", "名称", "Title", U::Text),
            ("drawn_on", "抽取日期", "Drawn on", U::Date),
            ("drawn", "抽取项目", "Projects drawn", U::Count),
            ("findings", "已录结论", "Findings", U::Count),
            ("adverse", "发现问题", "Adverse findings", U::Count),
        ],
    );
    for c in l
        .facts
        .spot_checks
        .iter()
        .filter(|c| p.within(c.created_at.date()))
    {
        let findings: Vec<_> = l
            .facts
            .findings
            .iter()
            .filter(|f| f.spot_check_id == c.id && f.created_at.date() <= p.as_of)
            .collect();
        sec.row(vec![
            c.id.clone().into(),
            c.title.clone().into(),
            c.created_at.date().to_string().into(),
            c.drawn.get().len().into(),
            findings.len().into(),
            findings
                .iter()
                .filter(|f| *f.outcome != FindingOutcome::Compliant)
                .count()
                .into(),
        ]);
    }
    sec
}

/// The risk flags open when the report is issued, by kind.
fn risks(s: &mut Session, l: &Loaded) -> Result<Section> {
    let assessed = crate::risks::assessed(s.conn(), &l.program.id)?;
    let mut sec = Section::new(
        "risks",
        "风险线索",
        "Open risks",
        &[
            ("kind", "线索类型", "Flag", U::Text),
            ("flags", "线索数", "Flags", U::Count),
            ("projects", "涉及项目", "Projects", U::Count),
        ],
    );
    let mut kinds: BTreeMap<&str, (i64, BTreeSet<&str>)> = BTreeMap::new();
    for f in &assessed.flags {
        let e = kinds.entry(f.kind.as_str()).or_default();
        e.0 += 1;
        e.1.insert(f.project_id.as_str());
    }
    let flagged: BTreeSet<&str> = assessed
        .flags
        .iter()
        .map(|f| f.project_id.as_str())
        .collect();
    sec.row(vec![
        "total".into(),
        (assessed.flags.len()).into(),
        flagged.len().into(),
    ]);
    for (kind, (n, projects)) in kinds {
        sec.row(vec![kind.into(), n.into(), projects.len().into()]);
    }
    Ok(sec)
}
