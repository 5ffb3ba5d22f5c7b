//! Risk flags (风险线索): where trouble is likely, each flag with its
//! evidence and a reason in both languages, and a score per project from
//! documented weights. Pure: what Shuzhuan holds of each project in, flags
//! out; the thresholds and weights are each programme's, with defaults.
//!
//! What the rules look for (issue 22): ties between an enterprise and its
//! provider or between enterprises of one provider (the same contact phone
//! or name, the same credit-code root, the same document), plans copied
//! across enterprises, prices far above the programme's others, contract
//! amounts placed where the subsidy formula pays the most, implausible
//! level jumps, contracts signed before enrolment, acceptance requested
//! early with little progress, many projects of one provider moved on the
//! same day, a provider's share of a batch or region far above the rest,
//! contracts far above the product library's listed prices, acceptance
//! assessments copied from the diagnosis but for the answers that lift
//! the level, and evaluators whose acceptances gain far more than the
//! others'.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// An enterprise or a provider as the rules compare them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    pub id: String,
    /// The unified social credit code (统一社会信用代码), 18 characters.
    pub uscc: String,
    pub contact_name: String,
    pub contact_phone: String,
}

impl Party {
    /// The credit code's root: characters 9–17, the organisation code
    /// (组织机构代码) that stays with an organisation's entities.
    pub fn credit_root(&self) -> Option<&str> {
        self.uscc.get(8..17).filter(|r| r.len() == 9)
    }
}

/// What the rules read of one project.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskProject {
    pub project_id: String,
    pub enterprise: Party,
    pub provider: Option<Party>,
    pub batch_id: String,
    pub region_code: String,
    /// SHA-256 of each document uploaded to the project.
    pub documents: Vec<String>,
    /// The plan's goals and content, as written.
    pub plan_text: String,
    /// The plan's line items: (expense category code, amount in fen).
    pub line_items: Vec<(String, i64)>,
    pub contract_fen: Option<i64>,
    /// The sum of the listed prices (产品库挂牌价) of the library products
    /// the plan names, where they have one.
    pub listed_prices_fen: Option<i64>,
    /// The contract amount at which the subsidy formula pays the most (the
    /// cap divided by the rate), under the project's policy.
    pub subsidy_sweet_spot_fen: Option<i64>,
    pub enrolled_on: Option<NaiveDate>,
    pub contract_signed_on: Option<NaiveDate>,
    pub plan_ends_on: Option<NaiveDate>,
    pub acceptance_requested_on: Option<NaiveDate>,
    /// Progress last reported when acceptance was requested, percent.
    pub progress_percent: i64,
    /// The diagnosis level and its day, and the acceptance level and its.
    pub level_before: Option<(i32, NaiveDate)>,
    pub level_after: Option<(i32, NaiveDate)>,
    /// The answers of the diagnosis and of the acceptance assessment
    /// (question → options chosen; empty when not recorded).
    pub answers_before: BTreeMap<String, Vec<String>>,
    pub answers_after: BTreeMap<String, Vec<String>>,
    /// Who recorded the acceptance assessment.
    pub acceptance_evaluator: Option<String>,
    /// Each step taken: (action, day).
    pub steps: Vec<(String, NaiveDate)>,
}

/// The thresholds and weights of the rules (each programme's; these
/// defaults are ours, chosen to flag few projects on clean data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RiskSettings {
    /// Plans at least this similar (Jaccard of word shingles, basis
    /// points) are copies.
    pub copied_plan_bp: u32,
    /// A line item this many percent of its category's median or more is
    /// an outlier (with at least `price_min_peers` items to compare).
    pub price_outlier_pct: u32,
    pub price_min_peers: usize,
    /// A contract this many percent of the listed prices of the library
    /// products it names, or more.
    pub list_price_pct: u32,
    /// A contract within this many basis points of the subsidy's sweet
    /// spot is placed there.
    pub sweet_spot_band_bp: u32,
    /// A gain of this many levels or more within `level_jump_days` is
    /// implausible.
    pub level_jump_levels: i32,
    pub level_jump_days: i64,
    /// Acceptance requested before the plan ends with less progress than
    /// this percent.
    pub early_acceptance_progress_pct: i64,
    /// This many projects of one provider or more moved by one action on
    /// one day.
    pub same_day_projects: usize,
    /// A provider's share of a batch this many percent of the mean share
    /// or more (with at least `concentration_min_providers`).
    pub concentration_pct: u32,
    pub concentration_min_providers: usize,
    /// An acceptance with at least this share of its answers (basis
    /// points) the diagnosis's and a higher level is a copy.
    pub copied_assessment_bp: u32,
    /// An evaluator whose acceptances gain on average at least this many
    /// hundredths of a level more than the other evaluators' (each side
    /// with at least `evaluator_min_assessments`).
    pub evaluator_excess_x100: u32,
    pub evaluator_min_assessments: usize,
    /// Points per flag kind towards the 0–100 score; the kinds a
    /// programme leaves out keep their default points.
    #[serde(deserialize_with = "weights_over_defaults")]
    pub weights: BTreeMap<FlagKind, u32>,
}

/// The weights given, over every kind's default.
fn weights_over_defaults<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<FlagKind, u32>, D::Error> {
    let given = BTreeMap::<FlagKind, u32>::deserialize(d)?;
    let mut weights = RiskSettings::default().weights;
    weights.extend(given);
    Ok(weights)
}

impl Default for RiskSettings {
    fn default() -> Self {
        RiskSettings {
            copied_plan_bp: 8000,
            price_outlier_pct: 300,
            price_min_peers: 5,
            list_price_pct: 300,
            sweet_spot_band_bp: 100,
            level_jump_levels: 2,
            level_jump_days: 180,
            early_acceptance_progress_pct: 50,
            same_day_projects: 5,
            concentration_pct: 300,
            concentration_min_providers: 3,
            copied_assessment_bp: 9000,
            evaluator_excess_x100: 100,
            evaluator_min_assessments: 3,
            weights: FlagKind::ALL
                .iter()
                .map(|k| (*k, k.default_weight()))
                .collect(),
        }
    }
}

shuzhuan_types::code_enum! {
    /// What a risk flag points at.
    pub enum FlagKind ("risk flag") {
        /// The enterprise and its provider, or two enterprises of one
        /// provider, share a contact phone or contact name.
        SharedContact = "shared_contact",
        /// They share a credit-code root (组织机构代码).
        SharedCreditRoot = "shared_credit_root",
        /// Projects carry the same document (SHA-256).
        SharedDocument = "shared_document",
        /// Plans of different enterprises are near-identical.
        CopiedPlan = "copied_plan",
        /// A line item far above its category's median in the programme.
        PriceOutlier = "price_outlier",
        /// The contract amount sits where the subsidy formula pays the most.
        SubsidySweetSpot = "subsidy_sweet_spot",
        /// Two levels or more gained in a short time.
        LevelJump = "level_jump",
        /// The contract was signed before the project was enrolled.
        ContractBeforeEnrolment = "contract_before_enrolment",
        /// Acceptance requested before the plan ends, with little progress.
        EarlyAcceptance = "early_acceptance",
        /// Many projects of one provider moved on the same day.
        SameDayPush = "same_day_push",
        /// A provider's share of a batch or region far above the others'.
        Concentration = "concentration",
        /// The contract far above the listed prices of the library
        /// products it names.
        AboveListPrice = "above_list_price",
        /// The acceptance's answers are the diagnosis's but for those that
        /// lift the level.
        CopiedAssessment = "copied_assessment",
        /// Its evaluator's acceptances gain far more than the others'.
        LenientEvaluator = "lenient_evaluator",
    }
}

impl FlagKind {
    /// Our default points: ties and copies weigh most.
    pub fn default_weight(self) -> u32 {
        match self {
            FlagKind::SharedContact | FlagKind::CopiedPlan | FlagKind::SharedDocument => 30,
            FlagKind::SharedCreditRoot | FlagKind::LevelJump | FlagKind::CopiedAssessment => 25,
            FlagKind::PriceOutlier
            | FlagKind::ContractBeforeEnrolment
            | FlagKind::AboveListPrice => 20,
            FlagKind::SubsidySweetSpot | FlagKind::EarlyAcceptance | FlagKind::LenientEvaluator => {
                15
            }
            FlagKind::SameDayPush | FlagKind::Concentration => 10,
        }
    }
}

/// One flag on one project, with the other projects it ties it to and the
/// evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flag {
    pub kind: FlagKind,
    pub project_id: String,
    /// The other projects of the evidence (the copy, the shared phone …).
    pub related: Vec<String>,
    pub reason: String,
    pub reason_zh: String,
}

fn flag(
    kind: FlagKind,
    project: &str,
    related: Vec<String>,
    reason: String,
    reason_zh: String,
) -> Flag {
    Flag {
        kind,
        project_id: project.to_owned(),
        related,
        reason,
        reason_zh,
    }
}

/// Two parties (`who`, in English and Chinese) share the root of their
/// credit codes: one legal person behind both.
fn credit_root_flag(project: &str, related: Vec<String>, who: (&str, &str), root: &str) -> Flag {
    flag(
        FlagKind::SharedCreditRoot,
        project,
        related,
        format!("{} share the credit-code root {root}", who.0),
        format!("{}统一社会信用代码主体标识码相同：{root}", who.1),
    )
}

/// Word shingles of a text: hashes of each run of three words (Chinese
/// text without spaces: of each run of three characters), so a plan with
/// a few words changed stays close to its source.
pub fn shingles(text: &str) -> Vec<u64> {
    let words: Vec<String> = if text.split_whitespace().count() > 3 {
        text.split_whitespace().map(str::to_lowercase).collect()
    } else {
        text.chars()
            .filter(|c| !c.is_whitespace() && !c.is_ascii_punctuation())
            .map(String::from)
            .collect()
    };
    let mut set: Vec<u64> = words
        .windows(3)
        .map(|w| {
            let digest = Sha256::digest(w.join(" ").as_bytes());
            u64::from_be_bytes(digest[..8].try_into().unwrap_or([0; 8]))
        })
        .collect();
    set.sort_unstable();
    set.dedup();
    set
}

/// Jaccard similarity of two shingle sets (sorted, without repeats, as
/// [`shingles`] gives them), basis points (0 when either is empty).
pub fn similarity_bp(a: &[u64], b: &[u64]) -> u32 {
    if a.is_empty() || b.is_empty() {
        return 0;
    }
    let (mut i, mut j, mut both) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                both += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - both;
    u32::try_from(both * 10_000 / union).unwrap_or(0)
}

fn median(values: &mut [i64]) -> Option<i64> {
    values.sort_unstable();
    values.get(values.len() / 2).copied()
}

/// Every flag the projects raise.
pub fn flags(projects: &[RiskProject], s: &RiskSettings) -> Vec<Flag> {
    let mut out = Vec::new();
    ties(projects, &mut out);
    copies(projects, s, &mut out);
    prices(projects, s, &mut out);
    for p in projects {
        single(p, s, &mut out);
    }
    same_day(projects, s, &mut out);
    concentration(projects, s, &mut out);
    evaluators(projects, s, &mut out);
    out.sort_by(|a, b| (&a.project_id, a.kind).cmp(&(&b.project_id, b.kind)));
    out
}

/// Shared phones, names, credit roots and documents between a project's
/// enterprise and its provider, and between enterprises of one provider.
fn ties(projects: &[RiskProject], out: &mut Vec<Flag>) {
    for p in projects {
        if let Some(prov) = &p.provider {
            let e = &p.enterprise;
            if !e.contact_phone.is_empty() && e.contact_phone == prov.contact_phone {
                out.push(flag(
                    FlagKind::SharedContact,
                    &p.project_id,
                    vec![],
                    format!(
                        "the enterprise and its provider give the same contact phone {}",
                        e.contact_phone
                    ),
                    format!("企业与其服务商联系电话相同：{}", e.contact_phone),
                ));
            }
            if let Some(root) = e.credit_root().filter(|r| Some(*r) == prov.credit_root()) {
                out.push(credit_root_flag(
                    &p.project_id,
                    vec![],
                    ("the enterprise and its provider", "企业与其服务商"),
                    root,
                ));
            }
        }
    }
    // Between enterprises of one provider: the pairs within each
    // provider's projects, in the projects' order.
    let mut by_provider: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, p) in projects.iter().enumerate() {
        if let Some(prov) = &p.provider {
            by_provider.entry(prov.id.as_str()).or_default().push(i);
        }
    }
    let mut pairs: Vec<(usize, usize)> = by_provider
        .values()
        .flat_map(|ids| {
            ids.iter()
                .enumerate()
                .flat_map(move |(k, i)| ids[k + 1..].iter().map(move |j| (*i, *j)))
        })
        .collect();
    pairs.sort_unstable();
    for (i, j) in pairs {
        let (a, b) = (&projects[i], &projects[j]);
        if a.enterprise.id == b.enterprise.id {
            continue;
        }
        let (ea, eb) = (&a.enterprise, &b.enterprise);
        let phone = !ea.contact_phone.is_empty() && ea.contact_phone == eb.contact_phone;
        let name = !ea.contact_name.is_empty() && ea.contact_name == eb.contact_name;
        if phone || name {
            let what = if phone {
                ("contact phone", "联系电话", ea.contact_phone.as_str())
            } else {
                ("contact name", "联系人", ea.contact_name.as_str())
            };
            for (p, q) in [(a, b), (b, a)] {
                out.push(flag(
                    FlagKind::SharedContact,
                    &p.project_id,
                    vec![q.project_id.clone()],
                    format!(
                        "two enterprises of one provider give the same {} {}",
                        what.0, what.2
                    ),
                    format!("同一服务商的两家企业{}相同：{}", what.1, what.2),
                ));
            }
        }
        if let Some(root) = ea.credit_root().filter(|r| Some(*r) == eb.credit_root()) {
            for (p, q) in [(a, b), (b, a)] {
                out.push(credit_root_flag(
                    &p.project_id,
                    vec![q.project_id.clone()],
                    ("two enterprises of one provider", "同一服务商的两家企业"),
                    root,
                ));
            }
        }
    }
    shared_documents(projects, out);
}

/// Projects of different enterprises carrying the same document: each pair
/// once, by the first of its documents (in the earlier project's order)
/// the other also carries.
fn shared_documents(projects: &[RiskProject], out: &mut Vec<Flag>) {
    let mut carriers: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, p) in projects.iter().enumerate() {
        for d in &p.documents {
            let list = carriers.entry(d.as_str()).or_default();
            if list.last() != Some(&i) {
                list.push(i);
            }
        }
    }
    let mut pairs: BTreeMap<(usize, usize), &str> = BTreeMap::new();
    for (i, a) in projects.iter().enumerate() {
        for d in &a.documents {
            for j in carriers[d.as_str()].iter().filter(|j| **j > i) {
                if a.enterprise.id != projects[*j].enterprise.id {
                    pairs.entry((i, *j)).or_insert(d.as_str());
                }
            }
        }
    }
    for ((i, j), hash) in pairs {
        let (a, b) = (&projects[i], &projects[j]);
        for (p, q) in [(a, b), (b, a)] {
            out.push(flag(
                FlagKind::SharedDocument,
                &p.project_id,
                vec![q.project_id.clone()],
                format!(
                    "the same document (SHA-256 {}…) is filed by another enterprise's project",
                    &hash[..hash.len().min(12)]
                ),
                format!(
                    "与另一企业的项目提交了相同的文件（SHA-256 {}…）",
                    &hash[..hash.len().min(12)]
                ),
            ));
        }
    }
}

/// Near-identical plans of different enterprises.
fn copies(projects: &[RiskProject], s: &RiskSettings, out: &mut Vec<Flag>) {
    let sets: Vec<Vec<u64>> = projects.iter().map(|p| shingles(&p.plan_text)).collect();
    for i in 0..projects.len() {
        for j in i + 1..projects.len() {
            let (a, b) = (&projects[i], &projects[j]);
            // Jaccard ≥ t needs the smaller set ≥ t × the larger: skip
            // pairs whose sizes alone rule it out.
            let (small, large) = (
                sets[i].len().min(sets[j].len()),
                sets[i].len().max(sets[j].len()),
            );
            if small * 10_000 < large * s.copied_plan_bp as usize
                || a.enterprise.id == b.enterprise.id
            {
                continue;
            }
            let bp = similarity_bp(&sets[i], &sets[j]);
            if bp >= s.copied_plan_bp {
                for (p, q) in [(a, b), (b, a)] {
                    out.push(flag(
                        FlagKind::CopiedPlan,
                        &p.project_id,
                        vec![q.project_id.clone()],
                        format!(
                            "its plan is {}.{:02}% the same as another enterprise's (three-word shingles, Jaccard)",
                            bp / 100,
                            bp % 100
                        ),
                        format!("方案与另一企业的方案相似度 {}.{:02}%（三词片段 Jaccard）", bp / 100, bp % 100),
                    ));
                }
            }
        }
    }
}

/// Line items far above their category's median in the programme.
fn prices(projects: &[RiskProject], s: &RiskSettings, out: &mut Vec<Flag>) {
    let mut by_category: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for p in projects {
        for (c, a) in &p.line_items {
            by_category.entry(c.as_str()).or_default().push(*a);
        }
    }
    let medians: BTreeMap<&str, i64> = by_category
        .iter_mut()
        .filter(|(_, v)| v.len() >= s.price_min_peers)
        .filter_map(|(c, v)| Some((*c, median(v)?)))
        .filter(|(_, m)| *m > 0)
        .collect();
    for p in projects {
        let worst = p
            .line_items
            .iter()
            .filter_map(|(c, a)| {
                let m = *medians.get(c.as_str())?;
                (i128::from(*a) * 100 >= i128::from(m) * i128::from(s.price_outlier_pct))
                    .then_some((c, *a, m))
            })
            .max_by_key(|(_, a, m)| i128::from(*a) * 1000 / i128::from(*m));
        if let Some((c, a, m)) = worst {
            out.push(flag(
                FlagKind::PriceOutlier,
                &p.project_id,
                vec![],
                format!(
                    "a {c} line item of {} fen is {}% of the category's median {m} fen",
                    a,
                    i128::from(a) * 100 / i128::from(m)
                ),
                format!(
                    "{c} 类支出 {a} 分，为该类中位数 {m} 分的 {}%",
                    i128::from(a) * 100 / i128::from(m)
                ),
            ));
        }
    }
}

/// The rules that read one project alone.
fn single(p: &RiskProject, s: &RiskSettings, out: &mut Vec<Flag>) {
    if let (Some(contract), Some(spot)) = (p.contract_fen, p.subsidy_sweet_spot_fen)
        && spot > 0
        && (i128::from(contract) - i128::from(spot)).abs() * 10_000
            <= i128::from(spot) * i128::from(s.sweet_spot_band_bp)
    {
        out.push(flag(
            FlagKind::SubsidySweetSpot,
            &p.project_id,
            vec![],
            format!("the contract of {contract} fen sits at the amount where the subsidy formula pays the most ({spot} fen: the cap divided by the rate)"),
            format!("合同金额 {contract} 分恰在补贴公式给付最多之处（{spot} 分：上限除以比例）"),
        ));
    }
    if let (Some((before, on)), Some((after, accepted))) = (p.level_before, p.level_after) {
        let days = (accepted - on).num_days();
        if after - before >= s.level_jump_levels && days <= s.level_jump_days {
            out.push(flag(
                FlagKind::LevelJump,
                &p.project_id,
                vec![],
                format!("from level {before} to level {after} in {days} days"),
                format!("{days} 天内由 {before} 级升至 {after} 级"),
            ));
        }
    }
    if let (Some(contract), Some(listed)) = (p.contract_fen, p.listed_prices_fen)
        && listed > 0
        && i128::from(contract) * 100 >= i128::from(listed) * i128::from(s.list_price_pct)
    {
        let pct = i128::from(contract) * 100 / i128::from(listed);
        out.push(flag(
            FlagKind::AboveListPrice,
            &p.project_id,
            vec![],
            format!("the contract of {contract} fen is {pct}% of the listed prices ({listed} fen) of the library products it names"),
            format!("合同金额 {contract} 分，为所列产品库产品挂牌价合计 {listed} 分的 {pct}%"),
        ));
    }
    copied_assessment(p, s, out);
    if let (Some(signed), Some(enrolled)) = (p.contract_signed_on, p.enrolled_on)
        && signed < enrolled
    {
        out.push(flag(
            FlagKind::ContractBeforeEnrolment,
            &p.project_id,
            vec![],
            format!("the contract was signed on {signed}, before the enrolment on {enrolled}"),
            format!("合同签订于 {signed}，早于入库 {enrolled}"),
        ));
    }
    if let (Some(requested), Some(ends)) = (p.acceptance_requested_on, p.plan_ends_on)
        && requested < ends
        && p.progress_percent < s.early_acceptance_progress_pct
    {
        out.push(flag(
            FlagKind::EarlyAcceptance,
            &p.project_id,
            vec![],
            format!("acceptance requested on {requested}, before the plan ends on {ends}, at {}% progress", p.progress_percent),
            format!("方案期满（{ends}）前于 {requested} 申请验收，进度仅 {}%", p.progress_percent),
        ));
    }
}

/// The acceptance's answers are the diagnosis's except for a few, and the
/// level rose: the few changed answers are what lifted it.
fn copied_assessment(p: &RiskProject, s: &RiskSettings, out: &mut Vec<Flag>) {
    let (Some((before, _)), Some((after, _))) = (p.level_before, p.level_after) else {
        return;
    };
    let asked = p.answers_after.len();
    if after <= before || asked == 0 || p.answers_before.is_empty() {
        return;
    }
    let same = p
        .answers_after
        .iter()
        .filter(|(q, a)| p.answers_before.get(*q) == Some(*a))
        .count();
    let bp = same * 10_000 / asked;
    if bp >= s.copied_assessment_bp as usize {
        let changed = asked - same;
        out.push(flag(
            FlagKind::CopiedAssessment,
            &p.project_id,
            vec![],
            format!("{same} of the acceptance's {asked} answers are the diagnosis's; the {changed} changed ones lift it from level {before} to {after}"),
            format!("验收评估 {asked} 题中 {same} 题与诊断相同，仅改动的 {changed} 题使等级由 {before} 级升至 {after} 级"),
        ));
    }
}

/// Evaluators whose acceptances gain on average far more levels than the
/// other evaluators' acceptances in the programme.
fn evaluators(projects: &[RiskProject], s: &RiskSettings, out: &mut Vec<Flag>) {
    let mut gains: BTreeMap<&str, Vec<(&str, i64)>> = BTreeMap::new();
    for p in projects {
        if let (Some(who), Some((before, _)), Some((after, _))) =
            (&p.acceptance_evaluator, p.level_before, p.level_after)
        {
            gains
                .entry(who.as_str())
                .or_default()
                .push((p.project_id.as_str(), i64::from(after - before)));
        }
    }
    let total: i64 = gains.values().flatten().map(|(_, g)| g).sum();
    let count: usize = gains.values().map(Vec::len).sum();
    for (who, own) in &gains {
        let others = count - own.len();
        if own.len() < s.evaluator_min_assessments || others < s.evaluator_min_assessments {
            continue;
        }
        let own_sum: i64 = own.iter().map(|(_, g)| g).sum();
        // Means in hundredths of a level.
        let own_x100 = own_sum * 100 / own.len() as i64;
        let others_x100 = (total - own_sum) * 100 / others as i64;
        if own_x100 - others_x100 < i64::from(s.evaluator_excess_x100) {
            continue;
        }
        let (m, o) = (
            format!("{}.{:02}", own_x100 / 100, own_x100 % 100),
            format!("{}.{:02}", others_x100 / 100, others_x100 % 100),
        );
        for (id, gain) in own {
            if gain * 100 > others_x100 {
                out.push(flag(
                    FlagKind::LenientEvaluator,
                    id,
                    own.iter()
                        .filter(|(o, _)| o != id)
                        .map(|(o, _)| (*o).to_owned())
                        .collect(),
                    format!("its evaluator {who}'s {} acceptances gain {m} levels on average, the other evaluators' {others} gain {o}", own.len()),
                    format!("其验收评估人 {who} 的 {} 个验收平均提升 {m} 级，其他评估人的 {others} 个平均提升 {o} 级", own.len()),
                ));
            }
        }
    }
}

/// Many projects of one provider moved by one action on one day.
fn same_day(projects: &[RiskProject], s: &RiskSettings, out: &mut Vec<Flag>) {
    // Distinct projects per (provider, action, day): a plan approved by
    // the county and the city the same day is one project, not two.
    let mut groups: BTreeMap<(&str, &str, NaiveDate), BTreeSet<&str>> = BTreeMap::new();
    for p in projects {
        let Some(prov) = &p.provider else { continue };
        for (action, on) in &p.steps {
            groups
                .entry((prov.id.as_str(), action.as_str(), *on))
                .or_default()
                .insert(p.project_id.as_str());
        }
    }
    let mut seen = BTreeSet::new();
    for ((_, action, on), ids) in groups {
        if ids.len() < s.same_day_projects {
            continue;
        }
        for id in &ids {
            if seen.insert((*id, action)) {
                out.push(flag(
                    FlagKind::SameDayPush,
                    id,
                    ids.iter()
                        .filter(|o| *o != id)
                        .map(|o| (*o).to_owned())
                        .collect(),
                    format!(
                        "{} projects of its provider took `{action}` on {on}",
                        ids.len()
                    ),
                    format!("其服务商的 {} 个项目于 {on} 同日执行 `{action}`", ids.len()),
                ));
            }
        }
    }
}

/// A provider's share of a batch, or of a region, far above the mean
/// share.
fn concentration(projects: &[RiskProject], s: &RiskSettings, out: &mut Vec<Flag>) {
    let by = |key: fn(&RiskProject) -> &str| {
        let mut groups: BTreeMap<&str, BTreeMap<&str, Vec<&str>>> = BTreeMap::new();
        for p in projects {
            if let Some(prov) = &p.provider {
                groups
                    .entry(key(p))
                    .or_default()
                    .entry(prov.id.as_str())
                    .or_default()
                    .push(p.project_id.as_str());
            }
        }
        groups
    };
    let mut seen = BTreeSet::new();
    for (what, groups) in [
        (("batch", "本批次"), by(|p| p.batch_id.as_str())),
        (("region", "本区县"), by(|p| p.region_code.as_str())),
    ] {
        concentrated(&groups, what, s, &mut seen, out);
    }
}

/// Flags the projects of each provider holding a share of its group far
/// above the mean (a project once, by the first group that flags it).
fn concentrated<'a>(
    groups: &BTreeMap<&str, BTreeMap<&str, Vec<&'a str>>>,
    (en, zh): (&str, &str),
    s: &RiskSettings,
    seen: &mut BTreeSet<&'a str>,
    out: &mut Vec<Flag>,
) {
    for providers in groups.values() {
        if providers.len() < s.concentration_min_providers {
            continue;
        }
        let total: usize = providers.values().map(Vec::len).sum();
        let mean_x100 = total * 100 / providers.len();
        for ids in providers.values() {
            let share_pct = ids.len() * 10_000 / mean_x100.max(1);
            if share_pct >= s.concentration_pct as usize {
                for id in ids.iter().filter(|id| seen.insert(**id)) {
                    out.push(flag(
                        FlagKind::Concentration,
                        id,
                        vec![],
                        format!("its provider holds {} of the {en}'s {total} projects, {share_pct}% of the mean provider's", ids.len()),
                        format!("其服务商承接{zh} {total} 个项目中的 {} 个，为平均水平的 {share_pct}%", ids.len()),
                    ));
                }
            }
        }
    }
}

/// Each project's score, 0–100: the points of its flag kinds (each kind
/// once), capped at 100.
pub fn scores(flags: &[Flag], s: &RiskSettings) -> BTreeMap<String, u32> {
    let mut kinds: BTreeMap<&str, BTreeSet<FlagKind>> = BTreeMap::new();
    for f in flags {
        kinds
            .entry(f.project_id.as_str())
            .or_default()
            .insert(f.kind);
    }
    kinds
        .into_iter()
        .map(|(id, ks)| {
            let points: u32 = ks
                .iter()
                .map(|k| s.weights.get(k).copied().unwrap_or(0))
                .sum();
            (id.to_owned(), points.min(100))
        })
        .collect()
}

/// A provider's risk: the mean of its applied projects' scores (a project
/// without a flag counts 0), so one bad project of twenty weighs little
/// and a provider whose every project is flagged scores as they do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProviderRisk {
    pub provider_id: String,
    pub score: u32,
    pub projects: usize,
    pub flagged: usize,
}

/// Each provider's risk from its projects' scores, highest first (ties by
/// provider id).
pub fn provider_scores(
    projects: &[RiskProject],
    scores: &BTreeMap<String, u32>,
) -> Vec<ProviderRisk> {
    let mut by: BTreeMap<&str, (u64, usize, usize)> = BTreeMap::new();
    for p in projects {
        if let Some(prov) = &p.provider {
            let score = scores.get(&p.project_id).copied().unwrap_or(0);
            let e = by.entry(prov.id.as_str()).or_default();
            e.0 += u64::from(score);
            e.1 += 1;
            e.2 += usize::from(score > 0);
        }
    }
    let mut out: Vec<ProviderRisk> = by
        .into_iter()
        .map(|(id, (sum, n, flagged))| ProviderRisk {
            provider_id: id.to_owned(),
            score: u32::try_from(sum / n.max(1) as u64).unwrap_or(100),
            projects: n,
            flagged,
        })
        .collect();
    out.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then(a.provider_id.cmp(&b.provider_id))
    });
    out
}

/// One inspected project: whether the inspection found against it, and
/// whether it was drawn at random (a uniform draw, or the random stratum
/// of a stratified one) rather than for its risk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    pub project_id: String,
    pub adverse: bool,
    pub at_random: bool,
}

/// Of some inspected projects, how many had findings against them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct HitRate {
    pub inspected: usize,
    pub with_findings: usize,
    /// `with_findings / inspected` in basis points; None before any
    /// inspection.
    pub rate_bp: Option<u32>,
}

impl HitRate {
    fn add(&mut self, adverse: bool) {
        self.inspected += 1;
        self.with_findings += usize::from(adverse);
        self.rate_bp = u32::try_from(self.with_findings * 10_000 / self.inspected).ok();
    }
}

/// How well the flags point at trouble (精准度): per flag kind and for any
/// flag, the inspected flagged projects with findings, against the
/// projects drawn at random — the base rate a flag should beat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Precision {
    pub at_random: HitRate,
    pub any_flag: HitRate,
    pub by_kind: BTreeMap<FlagKind, HitRate>,
}

/// The flags' precision from the inspections so far; a project inspected
/// twice counts once, adverse if either found against it.
pub fn precision(flags: &[Flag], inspections: &[Inspection]) -> Precision {
    let mut kinds: BTreeMap<&str, BTreeSet<FlagKind>> = BTreeMap::new();
    for f in flags {
        kinds
            .entry(f.project_id.as_str())
            .or_default()
            .insert(f.kind);
    }
    let mut once: BTreeMap<&str, (bool, bool)> = BTreeMap::new();
    for i in inspections {
        let e = once.entry(i.project_id.as_str()).or_default();
        e.0 |= i.adverse;
        e.1 |= i.at_random;
    }
    let mut out = Precision {
        at_random: HitRate::default(),
        any_flag: HitRate::default(),
        by_kind: FlagKind::ALL
            .iter()
            .map(|k| (*k, HitRate::default()))
            .collect(),
    };
    for (id, (adverse, at_random)) in once {
        if at_random {
            out.at_random.add(adverse);
        }
        if let Some(ks) = kinds.get(id) {
            out.any_flag.add(adverse);
            for k in ks {
                out.by_kind.entry(*k).or_default().add(adverse);
            }
        }
    }
    out
}

/// A setting out of its range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingError {
    pub field: String,
    pub message: &'static str,
    pub message_zh: &'static str,
}

impl RiskSettings {
    /// Shares are at most 100% (10000 bp), weights at most 100 points,
    /// the counts and percentages at least 1.
    pub fn check(&self) -> Result<(), Vec<SettingError>> {
        let mut errors = Vec::new();
        let mut at_most = |field: &str, value: u64, max: u64| {
            if value > max {
                errors.push(SettingError {
                    field: field.to_owned(),
                    message: "out of its range (shares at most 10000 bp or 100%, weights at most 100)",
                    message_zh: "超出允许范围（比例不超过 10000 个基点或 100%，权重不超过 100）",
                });
            }
        };
        at_most("copied_plan_bp", self.copied_plan_bp.into(), 10_000);
        at_most("sweet_spot_band_bp", self.sweet_spot_band_bp.into(), 10_000);
        at_most(
            "copied_assessment_bp",
            self.copied_assessment_bp.into(),
            10_000,
        );
        at_most(
            "early_acceptance_progress_pct",
            u64::try_from(self.early_acceptance_progress_pct).unwrap_or(u64::MAX),
            100,
        );
        for (kind, w) in &self.weights {
            at_most(&format!("weights.{kind}"), (*w).into(), 100);
        }
        let mut at_least_one = |field: &str, value: i64| {
            if value < 1 {
                errors.push(SettingError {
                    field: field.to_owned(),
                    message: "must be at least 1",
                    message_zh: "不得小于 1",
                });
            }
        };
        for (field, value) in [
            ("price_min_peers", self.price_min_peers as i64),
            ("price_outlier_pct", self.price_outlier_pct.into()),
            ("list_price_pct", self.list_price_pct.into()),
            ("level_jump_levels", self.level_jump_levels.into()),
            ("level_jump_days", self.level_jump_days),
            ("same_day_projects", self.same_day_projects as i64),
            ("concentration_pct", self.concentration_pct.into()),
            (
                "concentration_min_providers",
                self.concentration_min_providers as i64,
            ),
            (
                "evaluator_min_assessments",
                self.evaluator_min_assessments as i64,
            ),
        ] {
            at_least_one(field, value);
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    fn party(id: &str, n: u32) -> Party {
        Party {
            id: id.into(),
            uscc: format!("91640100{n:09}X"),
            contact_name: format!("联系人{n}"),
            contact_phone: format!("1390000{n:04}"),
        }
    }

    /// A clean project of enterprise `n` with provider `prov`.
    fn project(n: u32, prov: &str) -> RiskProject {
        RiskProject {
            project_id: format!("p{n}"),
            enterprise: party(&format!("e{n}"), n),
            provider: Some(party(prov, 900 + u32::from(prov.as_bytes()[0]))),
            batch_id: "b1".into(),
            region_code: String::from("r1"),
            documents: vec![format!("{n:064x}")],
            plan_text: format!(
                "企业{n}的改造方案：第{n}车间上线MES系统，设备联网{n}台，目标产能提升{n}个百分点"
            ),
            line_items: vec![("software".into(), 100_000 + i64::from(n) * 1000)],
            contract_fen: Some(300_000 + i64::from(n)),
            listed_prices_fen: Some(400_000),
            subsidy_sweet_spot_fen: Some(1_000_000),
            enrolled_on: Some(day(3, 1)),
            contract_signed_on: Some(day(3, 10)),
            plan_ends_on: Some(day(9, 30)),
            acceptance_requested_on: Some(day(10, 5)),
            progress_percent: 100,
            level_before: Some((1, day(3, 5))),
            level_after: Some((2, day(10, 20))),
            // Ten questions, four of them answered better at acceptance.
            answers_before: (0..10)
                .map(|q| (format!("q{q}"), vec![format!("{}", q % 3)]))
                .collect(),
            answers_after: (0..10)
                .map(|q| {
                    (
                        format!("q{q}"),
                        vec![format!("{}", q % 3 + u32::from(q < 4))],
                    )
                })
                .collect(),
            acceptance_evaluator: Some(format!("ev{}", n % 3)),
            steps: vec![("approve_plan".into(), day(3, 10 + n % 15))],
        }
    }

    fn kinds(projects: &[RiskProject], id: &str) -> Vec<FlagKind> {
        flags(projects, &RiskSettings::default())
            .into_iter()
            .filter(|f| f.project_id == id)
            .map(|f| f.kind)
            .collect()
    }

    fn clean() -> Vec<RiskProject> {
        (1..=6)
            .map(|n| project(n, if n % 2 == 0 { "a" } else { "b" }))
            .collect()
    }

    #[test]
    fn clean_projects_raise_nothing() {
        assert_eq!(flags(&clean(), &RiskSettings::default()), vec![]);
    }

    #[test]
    fn a_phone_shared_with_the_provider_fires_a_different_one_does_not() {
        let mut ps = clean();
        let provider_phone = ps[0].provider.as_ref().unwrap().contact_phone.clone();
        ps[0].enterprise.contact_phone = provider_phone.clone();
        ps[1].enterprise.contact_phone = format!("{provider_phone}9");
        assert_eq!(kinds(&ps, "p1"), [FlagKind::SharedContact]);
        assert_eq!(kinds(&ps, "p2"), []);
    }

    #[test]
    fn enterprises_of_one_provider_sharing_a_contact_or_root_fire() {
        let mut ps = clean();
        // p2 and p4 share provider a; p1 (provider b) gets the same name.
        ps[3].enterprise.contact_name = ps[1].enterprise.contact_name.clone();
        ps[0].enterprise.contact_name = ps[1].enterprise.contact_name.clone();
        assert_eq!(kinds(&ps, "p2"), [FlagKind::SharedContact]);
        assert_eq!(kinds(&ps, "p4"), [FlagKind::SharedContact]);
        assert_eq!(kinds(&ps, "p1"), [], "another provider's enterprise");
        let mut ps = clean();
        ps[5].enterprise.uscc = format!("92{}", &ps[1].enterprise.uscc[2..]);
        assert_eq!(kinds(&ps, "p6"), [FlagKind::SharedCreditRoot]);
        ps[5].enterprise.uscc = format!(
            "{}Y",
            &ps[1].enterprise.uscc[..17].replace("00000000", "00000001")
        );
        assert_eq!(kinds(&ps, "p6"), []);
    }

    #[test]
    fn the_same_document_across_enterprises_fires() {
        let mut ps = clean();
        let copy = ps[4].documents[0].clone();
        ps[2].documents.push(copy);
        assert_eq!(kinds(&ps, "p3"), [FlagKind::SharedDocument]);
        assert_eq!(kinds(&ps, "p5"), [FlagKind::SharedDocument]);
        assert_eq!(kinds(&ps, "p1"), []);
    }

    #[test]
    fn a_copied_plan_fires_a_different_plan_of_the_same_template_does_not() {
        let mut ps = clean();
        let text = "本项目建设生产管理系统 实现设备联网与数据采集 打通计划排产与质量追溯 提升订单交付能力 降低库存占用 建立能耗监测看板 推动管理层数据决策";
        ps[0].plan_text = text.into();
        ps[2].plan_text = format!("{text} 另增设备巡检");
        ps[4].plan_text = "本项目建设仓储管理系统 实现库位数字化 引入条码扫描出入库 对接财务系统 缩短盘点周期 建立供应商协同门户".into();
        assert_eq!(kinds(&ps, "p1"), [FlagKind::CopiedPlan]);
        assert_eq!(kinds(&ps, "p3"), [FlagKind::CopiedPlan]);
        assert_eq!(kinds(&ps, "p5"), []);
        let (a, b) = (shingles(text), shingles(&ps[2].plan_text));
        assert!(similarity_bp(&a, &b) >= 8000);
        assert_eq!(similarity_bp(&a, &a), 10_000);
    }

    #[test]
    fn a_price_three_times_the_median_fires_just_below_does_not() {
        let mut ps = clean();
        // The six software items sorted: 102,000 … 106,000 and p1's; the
        // median (index 3) is 105,000, so 315,000 is 300% of it.
        ps[0].line_items[0].1 = 315_000;
        assert_eq!(kinds(&ps, "p1"), [FlagKind::PriceOutlier]);
        ps[0].line_items[0].1 = 314_999;
        assert_eq!(kinds(&ps, "p1"), []);
    }

    #[test]
    fn a_contract_at_the_subsidy_sweet_spot_fires_one_percent_off_does_not() {
        let mut ps = clean();
        ps[0].contract_fen = Some(1_010_000);
        assert_eq!(kinds(&ps, "p1"), [FlagKind::SubsidySweetSpot]);
        ps[0].contract_fen = Some(1_010_001);
        assert_eq!(kinds(&ps, "p1"), []);
    }

    #[test]
    fn two_levels_in_half_a_year_fire_one_level_or_a_longer_time_does_not() {
        let mut ps = clean();
        ps[0].level_before = Some((1, day(3, 5)));
        ps[0].level_after = Some((3, day(9, 1)));
        assert_eq!(kinds(&ps, "p1"), [FlagKind::LevelJump]);
        ps[0].level_after = Some((3, day(9, 2)));
        assert_eq!(kinds(&ps, "p1"), [], "181 days");
        ps[0].level_after = Some((2, day(4, 1)));
        assert_eq!(kinds(&ps, "p1"), []);
    }

    #[test]
    fn timing_rules_fire_at_their_edges() {
        let mut ps = clean();
        ps[0].contract_signed_on = Some(day(2, 28));
        assert_eq!(kinds(&ps, "p1"), [FlagKind::ContractBeforeEnrolment]);
        ps[0].contract_signed_on = Some(day(3, 1));
        assert_eq!(kinds(&ps, "p1"), []);
        ps[0].acceptance_requested_on = Some(day(9, 1));
        ps[0].progress_percent = 49;
        assert_eq!(kinds(&ps, "p1"), [FlagKind::EarlyAcceptance]);
        ps[0].progress_percent = 50;
        assert_eq!(kinds(&ps, "p1"), []);
    }

    #[test]
    fn five_projects_of_a_provider_on_one_day_fire_four_do_not() {
        let mut ps: Vec<RiskProject> = (1..=8).map(|n| project(n, "a")).collect();
        for p in ps.iter_mut().take(5) {
            // The county's and the city's approval: one project each.
            p.steps = vec![
                ("approve_plan".into(), day(4, 1)),
                ("approve_plan".into(), day(4, 1)),
            ];
        }
        assert_eq!(kinds(&ps, "p1"), [FlagKind::SameDayPush]);
        ps[4].steps = vec![
            ("approve_plan".into(), day(4, 2)),
            ("approve_plan".into(), day(4, 2)),
        ];
        assert_eq!(kinds(&ps, "p1"), []);
    }

    #[test]
    fn a_provider_holding_three_times_the_mean_share_fires() {
        // Providers a (7 projects), b, c, d (1 each): mean 2.5, a at 280%.
        let mut ps: Vec<RiskProject> = (1..=7).map(|n| project(n, "a")).collect();
        ps.extend([project(8, "b"), project(9, "c"), project(10, "d")]);
        for (i, p) in ps.iter_mut().enumerate() {
            p.steps = vec![("approve_plan".into(), day(4, 1 + i as u32))];
        }
        assert_eq!(kinds(&ps, "p1"), []);
        ps.push(project(11, "a"));
        ps[10].steps = vec![("approve_plan".into(), day(5, 1))];
        // a holds 8 of 11, mean 2.75: 290%; one more makes 9 of 12, 300%.
        assert_eq!(kinds(&ps, "p1"), []);
        ps.push(project(12, "a"));
        ps[11].steps = vec![("approve_plan".into(), day(5, 2))];
        assert_eq!(kinds(&ps, "p1"), [FlagKind::Concentration]);
        assert_eq!(kinds(&ps, "p8"), []);
    }

    #[test]
    fn a_contract_three_times_the_listed_prices_fires_just_below_does_not() {
        let mut ps = clean();
        ps[0].contract_fen = Some(1_200_000);
        assert_eq!(kinds(&ps, "p1"), [FlagKind::AboveListPrice]);
        ps[0].contract_fen = Some(1_199_999);
        assert_eq!(kinds(&ps, "p1"), []);
        ps[0].contract_fen = Some(900_000);
        ps[0].listed_prices_fen = None;
        assert_eq!(kinds(&ps, "p1"), [], "no priced product named");
    }

    #[test]
    fn an_acceptance_copied_but_for_the_lifting_answers_fires() {
        let mut ps = clean();
        // Nine of ten answers the diagnosis's: 90%.
        ps[0].answers_after = ps[0].answers_before.clone();
        ps[0].answers_after.insert("q0".into(), vec!["2".into()]);
        assert_eq!(kinds(&ps, "p1"), [FlagKind::CopiedAssessment]);
        // Eight of ten: 80%, an ordinary transformation.
        ps[0].answers_after.insert("q1".into(), vec!["2".into()]);
        assert_eq!(kinds(&ps, "p1"), []);
        // The same nine of ten without a level gain copies nothing useful.
        let mut ps = clean();
        ps[0].answers_after = ps[0].answers_before.clone();
        ps[0].answers_after.insert("q0".into(), vec!["2".into()]);
        ps[0].level_after = Some((1, day(10, 20)));
        assert_eq!(kinds(&ps, "p1"), []);
    }

    #[test]
    fn an_evaluator_a_level_above_the_others_fires_just_below_does_not() {
        // ev0 accepts p3 and p6 (gain 1 each) and ev1, ev2 the others.
        let mut ps: Vec<RiskProject> = (1..=9).map(|n| project(n, "a")).collect();
        for (i, p) in ps.iter_mut().enumerate() {
            p.steps = vec![("approve_plan".into(), day(4, 1 + i as u32))];
        }
        assert!(flags(&ps, &RiskSettings::default()).is_empty());
        // ev0's three acceptances gain 2 (level 3, a year apart: no jump
        // flag), the six others 1: one level above them.
        for p in ps
            .iter_mut()
            .filter(|p| p.acceptance_evaluator.as_deref() == Some("ev0"))
        {
            p.level_before = Some((1, day(1, 1)));
            p.level_after = Some((3, day(12, 31)));
        }
        let s = RiskSettings::default();
        let lenient: Vec<_> = flags(&ps, &s)
            .into_iter()
            .filter(|f| f.kind == FlagKind::LenientEvaluator)
            .map(|f| f.project_id)
            .collect();
        assert_eq!(lenient, ["p3", "p6", "p9"]);
        let s = RiskSettings {
            evaluator_excess_x100: 101,
            ..RiskSettings::default()
        };
        assert!(
            flags(&ps, &s)
                .iter()
                .all(|f| f.kind != FlagKind::LenientEvaluator)
        );
    }

    #[test]
    fn a_provider_holding_a_region_fires_across_batches() {
        // Providers a (6), b, c, d (1 each), each project in its own batch
        // but all in region r1: a holds 6 of 9, mean 2.25, 266%; with a
        // seventh, 7 of 10, mean 2.5, 280%; an eighth, 8 of 11: 290%; a
        // ninth, 9 of 12: 300%.
        let mut ps: Vec<RiskProject> = (1..=9).map(|n| project(n, "a")).collect();
        ps.extend([project(10, "b"), project(11, "c"), project(12, "d")]);
        for (i, p) in ps.iter_mut().enumerate() {
            p.batch_id = format!("b{i}");
            p.steps = vec![("approve_plan".into(), day(4, 1 + i as u32))];
        }
        let k = kinds(&ps, "p1");
        assert_eq!(k, [FlagKind::Concentration]);
        assert!(
            flags(&ps, &RiskSettings::default())[0]
                .reason
                .contains("region")
        );
        ps[8].region_code = String::from("r2");
        assert_eq!(kinds(&ps, "p1"), []);
    }

    #[test]
    fn provider_scores_are_the_mean_of_their_projects() {
        let mut ps = clean();
        ps[0].contract_fen = Some(1_200_000);
        let s = RiskSettings::default();
        let score = scores(&flags(&ps, &s), &s);
        assert_eq!(score.get("p1"), Some(&20));
        let providers = provider_scores(&ps, &score);
        // b has p1, p3, p5: (20 + 0 + 0) / 3 = 6; a has none flagged.
        assert_eq!(
            providers,
            vec![
                ProviderRisk {
                    provider_id: "b".into(),
                    score: 6,
                    projects: 3,
                    flagged: 1
                },
                ProviderRisk {
                    provider_id: "a".into(),
                    score: 0,
                    projects: 3,
                    flagged: 0
                },
            ]
        );
    }

    #[test]
    fn precision_counts_flagged_against_random_inspections() {
        let mut ps = clean();
        ps[0].contract_fen = Some(1_200_000);
        ps[1].contract_fen = Some(1_200_000);
        let fl = flags(&ps, &RiskSettings::default());
        let seen = |id: &str, adverse, at_random| Inspection {
            project_id: id.into(),
            adverse,
            at_random,
        };
        let p = precision(
            &fl,
            &[
                seen("p1", true, false),
                seen("p2", false, false),
                seen("p3", false, true),
                seen("p4", true, true),
                seen("p5", false, true),
                seen("p5", false, true),
                // Inspected twice: adverse once is adverse.
                seen("p2", true, false),
            ],
        );
        assert_eq!(
            p.any_flag,
            HitRate {
                inspected: 2,
                with_findings: 2,
                rate_bp: Some(10_000)
            }
        );
        assert_eq!(
            p.at_random,
            HitRate {
                inspected: 3,
                with_findings: 1,
                rate_bp: Some(3333)
            }
        );
        assert_eq!(p.by_kind[&FlagKind::AboveListPrice].inspected, 2);
        assert_eq!(p.by_kind[&FlagKind::CopiedPlan].rate_bp, None);
    }

    #[test]
    fn weights_left_out_keep_their_defaults() {
        let s: RiskSettings =
            serde_json::from_value(serde_json::json!({"weights": {"copied_plan": 5}})).unwrap();
        assert_eq!(s.weights[&FlagKind::CopiedPlan], 5);
        assert_eq!(s.weights[&FlagKind::SharedContact], 30);
        assert_eq!(s.weights.len(), FlagKind::ALL.len());
    }

    #[test]
    fn settings_out_of_range_are_named() {
        assert_eq!(RiskSettings::default().check(), Ok(()));
        let mut s = RiskSettings {
            copied_plan_bp: 10_001,
            same_day_projects: 0,
            ..RiskSettings::default()
        };
        s.weights.insert(FlagKind::LevelJump, 101);
        let fields: Vec<String> = s
            .check()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            ["copied_plan_bp", "weights.level_jump", "same_day_projects"]
        );
    }

    proptest::proptest! {
        /// The merge over sorted shingles is the Jaccard of the sets:
        /// symmetric, at most 10000, 10000 for a text with itself.
        #[test]
        fn similarity_is_the_jaccard_of_the_sets(
            a in "[甲乙丙丁 ]{0,40}",
            b in "[甲乙丙丁 ]{0,40}",
        ) {
            let (x, y) = (shingles(&a), shingles(&b));
            let (sx, sy): (BTreeSet<u64>, BTreeSet<u64>) =
                (x.iter().copied().collect(), y.iter().copied().collect());
            let union = sx.union(&sy).count();
            let expected = if x.is_empty() || y.is_empty() {
                0
            } else {
                (sx.intersection(&sy).count() * 10_000 / union) as u32
            };
            proptest::prop_assert_eq!(similarity_bp(&x, &y), expected);
            proptest::prop_assert_eq!(similarity_bp(&y, &x), expected);
            if !x.is_empty() {
                proptest::prop_assert_eq!(similarity_bp(&x, &x), 10_000);
            }
        }

        /// Scores stay within 0–100 and a project's score is the weights
        /// of its distinct flag kinds.
        #[test]
        fn scores_are_bounded_sums_of_distinct_kinds(
            kinds in proptest::collection::vec(0..FlagKind::ALL.len(), 0..30),
        ) {
            let s = RiskSettings::default();
            let fl: Vec<Flag> = kinds
                .iter()
                .map(|k| flag(FlagKind::ALL[*k], "p", vec![], String::new(), String::new()))
                .collect();
            let distinct: BTreeSet<FlagKind> = fl.iter().map(|f| f.kind).collect();
            let expected: u32 = distinct.iter().map(|k| s.weights[k]).sum::<u32>().min(100);
            let got = scores(&fl, &s).get("p").copied();
            proptest::prop_assert_eq!(got, (!fl.is_empty()).then_some(expected));
        }
    }

    /// Planted collusion (shared phones, a copied plan, a price outlier, a
    /// two-level jump) ranks the planted projects at the top.
    #[test]
    fn planted_collusion_ranks_first() {
        let s = RiskSettings::default();
        let mut ps: Vec<RiskProject> = (1..=20)
            .map(|n| project(n, if n % 3 == 0 { "a" } else { "b" }))
            .collect();
        let phone = ps[2].provider.as_ref().unwrap().contact_phone.clone();
        ps[2].enterprise.contact_phone = phone.clone();
        ps[5].enterprise.contact_phone = phone;
        let text = "本项目建设生产管理系统 实现设备联网与数据采集 打通计划排产与质量追溯 提升订单交付能力 降低库存占用 建立能耗监测看板";
        ps[2].plan_text = text.into();
        ps[5].plan_text = text.into();
        ps[5].line_items[0].1 = 900_000;
        ps[2].level_after = Some((3, day(6, 1)));
        let score = scores(&flags(&ps, &s), &s);
        let mut ranked: Vec<(&String, &u32)> = score.iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let top: BTreeSet<&str> = ranked.iter().take(2).map(|(id, _)| id.as_str()).collect();
        assert_eq!(top, BTreeSet::from(["p3", "p6"]));
        assert!(score.values().all(|v| *v <= 100));
    }
}
