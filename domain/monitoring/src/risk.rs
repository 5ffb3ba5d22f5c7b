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
//! same day, and a provider's share of a batch far above the rest.

use std::collections::{BTreeMap, BTreeSet};

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
    /// SHA-256 of each document uploaded to the project.
    pub documents: Vec<String>,
    /// The plan's goals and content, as written.
    pub plan_text: String,
    /// The plan's line items: (expense category code, amount in fen).
    pub line_items: Vec<(String, i64)>,
    pub contract_fen: Option<i64>,
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
    /// Points per flag kind towards the 0–100 score.
    pub weights: BTreeMap<FlagKind, u32>,
}

impl Default for RiskSettings {
    fn default() -> Self {
        RiskSettings {
            copied_plan_bp: 8000,
            price_outlier_pct: 300,
            price_min_peers: 5,
            sweet_spot_band_bp: 100,
            level_jump_levels: 2,
            level_jump_days: 180,
            early_acceptance_progress_pct: 50,
            same_day_projects: 5,
            concentration_pct: 300,
            concentration_min_providers: 3,
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
        /// A provider's share of a batch far above the others'.
        Concentration = "concentration",
    }
}

impl FlagKind {
    /// Our default points: ties and copies weigh most.
    pub fn default_weight(self) -> u32 {
        match self {
            FlagKind::SharedContact | FlagKind::CopiedPlan | FlagKind::SharedDocument => 30,
            FlagKind::SharedCreditRoot | FlagKind::LevelJump => 25,
            FlagKind::PriceOutlier | FlagKind::ContractBeforeEnrolment => 20,
            FlagKind::SubsidySweetSpot | FlagKind::EarlyAcceptance => 15,
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

/// Word shingles of a text: hashes of each run of three words (Chinese
/// text without spaces: of each run of three characters), so a plan with
/// a few words changed stays close to its source.
pub fn shingles(text: &str) -> BTreeSet<u64> {
    let words: Vec<String> = if text.split_whitespace().count() > 3 {
        text.split_whitespace().map(str::to_lowercase).collect()
    } else {
        text.chars()
            .filter(|c| !c.is_whitespace() && !c.is_ascii_punctuation())
            .map(String::from)
            .collect()
    };
    words
        .windows(3)
        .map(|w| {
            let digest = Sha256::digest(w.join(" ").as_bytes());
            u64::from_be_bytes(digest[..8].try_into().unwrap_or([0; 8]))
        })
        .collect()
}

/// Jaccard similarity of two shingle sets, basis points (0 when either is
/// empty).
pub fn similarity_bp(a: &BTreeSet<u64>, b: &BTreeSet<u64>) -> u32 {
    let union = a.union(b).count();
    if a.is_empty() || b.is_empty() || union == 0 {
        return 0;
    }
    u32::try_from(a.intersection(b).count() * 10_000 / union).unwrap_or(0)
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
            if e.credit_root().is_some() && e.credit_root() == prov.credit_root() {
                out.push(flag(
                    FlagKind::SharedCreditRoot,
                    &p.project_id,
                    vec![],
                    format!(
                        "the enterprise and its provider share the credit-code root {}",
                        e.credit_root().unwrap_or_default()
                    ),
                    format!(
                        "企业与其服务商统一社会信用代码主体标识码相同：{}",
                        e.credit_root().unwrap_or_default()
                    ),
                ));
            }
        }
    }
    // Between enterprises of one provider, and documents across projects.
    for (i, a) in projects.iter().enumerate() {
        for b in &projects[i + 1..] {
            if a.enterprise.id == b.enterprise.id {
                continue;
            }
            let same_provider = a.provider.as_ref().map(|p| &p.id)
                == b.provider.as_ref().map(|p| &p.id)
                && a.provider.is_some();
            if same_provider {
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
                if ea.credit_root().is_some() && ea.credit_root() == eb.credit_root() {
                    for (p, q) in [(a, b), (b, a)] {
                        out.push(flag(
                            FlagKind::SharedCreditRoot,
                            &p.project_id,
                            vec![q.project_id.clone()],
                            format!(
                                "two enterprises of one provider share the credit-code root {}",
                                ea.credit_root().unwrap_or_default()
                            ),
                            format!(
                                "同一服务商的两家企业统一社会信用代码主体标识码相同：{}",
                                ea.credit_root().unwrap_or_default()
                            ),
                        ));
                    }
                }
            }
            let shared: Vec<&String> = a
                .documents
                .iter()
                .filter(|d| b.documents.contains(d))
                .collect();
            if let Some(hash) = shared.first() {
                for (p, q) in [(a, b), (b, a)] {
                    out.push(flag(
                        FlagKind::SharedDocument,
                        &p.project_id,
                        vec![q.project_id.clone()],
                        format!("the same document (SHA-256 {}…) is filed by another enterprise's project", &hash[..hash.len().min(12)]),
                        format!("与另一企业的项目提交了相同的文件（SHA-256 {}…）", &hash[..hash.len().min(12)]),
                    ));
                }
            }
        }
    }
}

/// Near-identical plans of different enterprises.
fn copies(projects: &[RiskProject], s: &RiskSettings, out: &mut Vec<Flag>) {
    let sets: Vec<BTreeSet<u64>> = projects.iter().map(|p| shingles(&p.plan_text)).collect();
    for i in 0..projects.len() {
        for j in i + 1..projects.len() {
            let (a, b) = (&projects[i], &projects[j]);
            if a.enterprise.id == b.enterprise.id {
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

/// A provider's share of a batch far above the mean share.
fn concentration(projects: &[RiskProject], s: &RiskSettings, out: &mut Vec<Flag>) {
    let mut batches: BTreeMap<&str, BTreeMap<&str, Vec<&str>>> = BTreeMap::new();
    for p in projects {
        if let Some(prov) = &p.provider {
            batches
                .entry(p.batch_id.as_str())
                .or_default()
                .entry(prov.id.as_str())
                .or_default()
                .push(p.project_id.as_str());
        }
    }
    for providers in batches.values() {
        if providers.len() < s.concentration_min_providers {
            continue;
        }
        let total: usize = providers.values().map(Vec::len).sum();
        let mean_x100 = total * 100 / providers.len();
        for ids in providers.values() {
            let share_pct = ids.len() * 10_000 / mean_x100.max(1);
            if share_pct >= s.concentration_pct as usize {
                for id in ids {
                    out.push(flag(
                        FlagKind::Concentration,
                        id,
                        vec![],
                        format!("its provider holds {} of the batch's {total} projects, {share_pct}% of the mean provider's", ids.len()),
                        format!("其服务商承接本批次 {total} 个项目中的 {} 个，为平均水平的 {share_pct}%", ids.len()),
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
            documents: vec![format!("{n:064x}")],
            plan_text: format!(
                "企业{n}的改造方案：第{n}车间上线MES系统，设备联网{n}台，目标产能提升{n}个百分点"
            ),
            line_items: vec![("software".into(), 100_000 + i64::from(n) * 1000)],
            contract_fen: Some(300_000 + i64::from(n)),
            subsidy_sweet_spot_fen: Some(1_000_000),
            enrolled_on: Some(day(3, 1)),
            contract_signed_on: Some(day(3, 10)),
            plan_ends_on: Some(day(9, 30)),
            acceptance_requested_on: Some(day(10, 5)),
            progress_percent: 100,
            level_before: Some((1, day(3, 5))),
            level_after: Some((2, day(10, 20))),
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
