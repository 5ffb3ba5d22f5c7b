//! `shuzhuan demo-data`: realistic synthetic data for demos and benchmarks
//! — enterprises with valid credit codes and Chinese names in a
//! programme's districts and industries, providers admitted to its pool,
//! and their products listed in its library. Deterministic for a seed; a
//! record whose code exists already is left as it is, so running it twice
//! adds nothing.
//!
//! Everything goes through the same units of work as the API: every row
//! has its audit entry and change event.

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use shuzhuan_lifecycle::{AdmissionKind, AdmissionStatus};
use shuzhuan_persistence::repo::{enterprises, programs, providers};
use shuzhuan_persistence::rows::{EnterpriseRow, IndustryRow, ProgramRow, RegionRow};
use shuzhuan_persistence::{Actor, Coded, Db, Json, RepoError, new_id};
use shuzhuan_types::{Deployment, ProviderKind, SizeClass, Specialty, Tier, check_character};

use crate::error::{AppError, Text};
use crate::{admissions, enterprises as enterprise, products as product, providers as provider};

/// What to generate.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The programme's code (`yinchuan`, …).
    pub program: String,
    pub enterprises: usize,
    pub seed: u64,
}

/// What was written.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub enterprises: usize,
    pub providers: usize,
    pub products: usize,
    /// Records whose codes existed already (left unchanged).
    pub existing: usize,
}

const SHOP_NAMES: [&str; 24] = [
    "鑫泰", "宏达", "恒盛", "德润", "瑞丰", "嘉禾", "万通", "永信", "金桥", "天成", "中兴", "长盛",
    "隆昌", "安泰", "华誉", "博远", "新元", "正和", "汇丰", "立诚", "众创", "同舟", "凯旋", "明德",
];
const PROVIDER_TRADES: [&str; 5] = ["数字科技", "工业互联网", "智能装备", "软件", "信息技术"];
const SURNAMES: [&str; 12] = [
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "马", "何",
];
const PRODUCTS: [(&str, &[&str]); 10] = [
    ("轻量化 MES", &["production_control", "quality"]),
    ("设备物联平台", &["equipment", "energy"]),
    ("质量追溯系统", &["quality"]),
    ("能耗监测系统", &["energy"]),
    ("智能排产 APS", &["planning_scheduling"]),
    ("仓储管理 WMS", &["warehousing_logistics"]),
    ("供应链协同平台", &["purchasing", "collaboration"]),
    ("业财一体化", &["finance"]),
    ("安全生产巡检", &["work_safety"]),
    ("经营数据驾驶舱", &["decision_support"]),
];

/// Rows per unit of work.
const CHUNK: usize = 2_000;

/// A valid credit code: `91` (enterprise, industry and commerce), the
/// region's 6-digit division, a 9-character serial, the check character.
fn credit_code(division: &str, serial: u64) -> String {
    let division = if division.len() >= 6 && division[..6].bytes().all(|b| b.is_ascii_digit()) {
        &division[..6]
    } else {
        "000000"
    };
    let first17 = format!("91{division}{:09}", serial % 1_000_000_000);
    let check = first17
        .as_bytes()
        .try_into()
        .ok()
        .and_then(check_character)
        .unwrap_or('0');
    format!("{first17}{check}")
}

/// The city without 市 (银川市 → 银川), for company names.
fn city_short(program: &ProgramRow) -> &str {
    program.city.trim_end_matches('市')
}

/// An industry's short trade word for a company name (新型材料制造 → 新型材料).
fn trade(industry: &IndustryRow) -> String {
    industry
        .name
        .trim_end_matches("制造")
        .trim_end_matches("产业")
        .chars()
        .take(6)
        .collect()
}

fn enterprise_row(
    rng: &mut StdRng,
    program: &ProgramRow,
    regions: &[RegionRow],
    industries: &[IndustryRow],
    serial: u64,
) -> EnterpriseRow {
    let region = regions.choose(rng);
    let industry = industries.choose(rng);
    let code = credit_code(region.map_or("", |r| r.code.as_str()), serial);
    let mut row = enterprise::blank(new_id(), code);
    row.name = format!(
        "{}{}{}有限公司",
        city_short(program),
        SHOP_NAMES.choose(rng).copied().unwrap_or("鑫泰"),
        industry.map(trade).unwrap_or_default(),
    );
    // A serial suffix keeps names distinct, as real registers are.
    row.name = format!("{}（{}）", row.name, serial % 100_000);
    row.program_id = Some(program.id.clone());
    row.region_code = region.map(|r| r.code.clone());
    row.industry_code = industry.map(|i| i.code.clone());
    row.above_designated_size = rng.random_bool(0.3);
    row.size_class = Coded(
        [
            SizeClass::Micro,
            SizeClass::Small,
            SizeClass::Small,
            SizeClass::Medium,
        ]
        .choose(rng)
        .copied()
        .unwrap_or(SizeClass::Small),
    );
    row.specialised = rng.random_bool(0.15);
    row.little_giant = row.specialised && rng.random_bool(0.2);
    row.innovative = rng.random_bool(0.2);
    row.chain_master = rng.random_bool(0.01);
    row.employees = Some(rng.random_range(8..800));
    row.revenue_fen = Some(rng.random_range(100..50_000) * 1_000_000);
    row.contact_name = format!("{}经理", SURNAMES.choose(rng).copied().unwrap_or("王"));
    row.contact_phone = format!("13{:09}", rng.random_range(0..1_000_000_000u64));
    row.cloud_adopted = rng.random_bool(0.4);
    row.tier = Coded(
        [
            Tier::Reserve,
            Tier::Reserve,
            Tier::Pilot,
            Tier::Demonstration,
        ]
        .choose(rng)
        .copied()
        .unwrap_or(Tier::Reserve),
    );
    row
}

/// Generates and stores the demo set for one programme.
pub fn load(db: &Db, spec: &Spec) -> Result<Outcome, AppError> {
    let (program, regions, industries) = db.read(|conn| -> Result<_, AppError> {
        let program = programs::find_by_code(conn, &spec.program).map_err(|e| match e {
            RepoError::NotFound => AppError::field(
                "program",
                "unknown_program",
                Text::new(
                    format!("no programme has the code `{}`", spec.program),
                    format!("没有代码为 `{}` 的试点", spec.program),
                ),
            ),
            other => other.into(),
        })?;
        let regions = programs::regions_of(conn, &program.id)?;
        let industries = programs::industries_of(conn, &program.id)?;
        Ok((program, regions, industries))
    })?;
    let mut rng = StdRng::seed_from_u64(spec.seed);
    let actor = Actor::system();
    let mut outcome = Outcome::default();
    let base = spec.seed.wrapping_mul(10_000_000);
    let mut serial = 0u64;
    while serial < spec.enterprises as u64 {
        let n = (spec.enterprises as u64 - serial).min(CHUNK as u64);
        let rows: Vec<EnterpriseRow> = (serial..serial + n)
            .map(|i| enterprise_row(&mut rng, &program, &regions, &industries, base + i))
            .collect();
        serial += n;
        let (created, existing) = db.write(&actor, |tx| -> Result<_, AppError> {
            let codes: Vec<String> = rows.iter().map(|r| r.uscc.clone()).collect();
            let known: Vec<String> = enterprises::find_by_usccs(tx.conn(), &codes)?
                .into_iter()
                .map(|e| e.uscc)
                .collect();
            let new: Vec<EnterpriseRow> = rows
                .into_iter()
                .filter(|r| !known.contains(&r.uscc))
                .collect();
            Ok((enterprise::store_many(tx, new)?, known.len()))
        })?;
        outcome.enterprises += usize::try_from(created).unwrap_or(0);
        outcome.existing += existing;
    }
    let provider_count = (spec.enterprises / 25).clamp(3, 2_000);
    for i in 0..provider_count as u64 {
        let region = regions.choose(&mut rng).map_or("", |r| r.code.as_str());
        let code = credit_code(region, 900_000_000 + base / 10 + i);
        let mut row = provider::blank(new_id(), code)?;
        row.name = format!(
            "{}{}{}有限公司",
            city_short(&program),
            SHOP_NAMES.choose(&mut rng).copied().unwrap_or("鑫泰"),
            PROVIDER_TRADES
                .choose(&mut rng)
                .copied()
                .unwrap_or("数字科技"),
        );
        row.name = format!("{}（{}）", row.name, i + 1);
        row.kind = Coded(if rng.random_bool(0.3) {
            ProviderKind::Comprehensive
        } else {
            ProviderKind::Scenario
        });
        row.specialty = Coded(if rng.random_bool(0.4) {
            Specialty::Integrator
        } else {
            Specialty::Specialist
        });
        row.local = rng.random_bool(0.6);
        row.contact_name = format!("{}工", SURNAMES.choose(&mut rng).copied().unwrap_or("李"));
        row.contact_phone = format!("13{:09}", rng.random_range(0..1_000_000_000u64));
        let offers: Vec<&(&str, &[&str])> = PRODUCTS.choose_multiple(&mut rng, 2).collect();
        let mut scenarios: Vec<String> = offers
            .iter()
            .flat_map(|(_, s)| s.iter().map(|c| (*c).to_owned()))
            .collect();
        scenarios.sort();
        scenarios.dedup();
        row.scenarios = Json::new(scenarios)?;
        let prices: Vec<i64> = offers
            .iter()
            .map(|_| rng.random_range(1..50) * 1_000_000)
            .collect();
        let made = db.write(&actor, |tx| -> Result<_, AppError> {
            if !providers::find_by_usccs(tx.conn(), std::slice::from_ref(&row.uscc))?.is_empty() {
                return Ok(None);
            }
            let provider_id = row.id.clone();
            provider::store_new(tx, row)?;
            let pool = (program.id.as_str(), provider_id.as_str());
            admissions::insert(
                tx,
                pool,
                AdmissionKind::ProviderPool,
                AdmissionStatus::Admitted,
                None,
            )?;
            for ((name, scenarios), price) in offers.iter().zip(&prices) {
                let mut p = product::blank(new_id(), provider_id.clone())?;
                p.name = (*name).to_owned();
                p.deployment = Coded(Deployment::Saas);
                p.scenarios = Json::new(scenarios.iter().map(|s| (*s).to_owned()).collect())?;
                p.industries =
                    Json::new(industries.iter().take(2).map(|i| i.code.clone()).collect())?;
                p.price_fen = Some(*price);
                let view = product::store_new(tx, p)?;
                let library = (program.id.as_str(), view.id.as_str());
                admissions::insert(
                    tx,
                    library,
                    AdmissionKind::ProductLibrary,
                    AdmissionStatus::Listed,
                    None,
                )?;
            }
            Ok(Some(offers.len()))
        })?;
        match made {
            Some(products) => {
                outcome.providers += 1;
                outcome.products += products;
            }
            None => outcome.existing += 1,
        }
    }
    for table in [
        shuzhuan_persistence::RegistryTable::Enterprises,
        shuzhuan_persistence::RegistryTable::Providers,
        shuzhuan_persistence::RegistryTable::Products,
    ] {
        db.analyze(table)?;
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shuzhuan_types::Uscc;

    #[test]
    fn codes_are_valid_for_any_division_and_serial() {
        for (division, serial) in [
            ("640122", 0),
            ("640100-ningdong", 123_456_789),
            ("", 42),
            ("370102", 999_999_999_999),
        ] {
            let code = credit_code(division, serial);
            assert!(Uscc::parse(&code).is_ok(), "{code}");
        }
        assert!(credit_code("640100-ningdong", 1).starts_with("91640100"));
    }
}
