//! The risk rules over a programme of 2,000 projects (issue 22 asks for
//! seconds, not minutes): 40 providers, 2,000 enterprises with their own
//! contacts, plans of about forty words drawn from a shared vocabulary,
//! three line items each, a dozen steps, sixty answers before and after,
//! ten evaluators.

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use shuzhuan_monitoring::risk::{Party, RiskProject, RiskSettings, flags, scores};

/// The vocabulary plans are drawn from (24 words).
const WORDS: &str = "建设 生产管理系统 设备联网 数据采集 计划排产 质量追溯 订单交付 库存 能耗监测 看板 仓储管理 条码 财务系统 供应商协同 工艺 仿真 云平台 移动端 预测性维护 安全生产 视觉检测 能源管理 客户关系 报表";

fn party(id: String, n: u64) -> Party {
    Party {
        id,
        uscc: format!("91640100{n:09}X"),
        contact_name: format!("联系人{n}"),
        contact_phone: format!("139{n:08}"),
    }
}

fn programme(n: u64) -> Vec<RiskProject> {
    let day = |d: u64| {
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default() + chrono::Days::new(d % 300)
    };
    let words: Vec<&str> = WORDS.split(' ').collect();
    (0..n)
        .map(|i| {
            // A deterministic, varied plan: forty words picked by i.
            let plan: Vec<&str> = (0..40)
                .map(|k| words[((i * 7 + k * k * 13 + k * i) % 24) as usize])
                .collect();
            RiskProject {
                project_id: format!("p{i:05}"),
                enterprise: party(format!("e{i}"), i),
                provider: Some(party(format!("v{}", i % 40), 900_000 + i % 40)),
                batch_id: format!("b{}", i % 3),
                region_code: format!("r{}", i % 7),
                documents: (0..4).map(|d| format!("{:064x}", i * 10 + d)).collect(),
                plan_text: plan.join(" "),
                line_items: vec![
                    ("software".into(), 100_000 + (i as i64 % 97) * 1_000),
                    ("hardware".into(), 200_000 + (i as i64 % 89) * 1_000),
                    ("consulting".into(), 50_000 + (i as i64 % 83) * 1_000),
                ],
                contract_fen: Some(350_000 + i as i64),
                listed_prices_fen: Some(200_000),
                subsidy_sweet_spot_fen: Some(1_000_000),
                enrolled_on: Some(day(i)),
                contract_signed_on: Some(day(i + 5)),
                plan_ends_on: Some(day(i + 200)),
                acceptance_requested_on: Some(day(i + 210)),
                progress_percent: 100,
                level_before: Some((1, day(i + 3))),
                level_after: Some((2, day(i + 220))),
                // Sixty questions, a fifth answered better at acceptance.
                answers_before: (0..60)
                    .map(|q| (format!("q{q}"), vec![format!("o{}", (q + i) % 3)]))
                    .collect(),
                answers_after: (0..60)
                    .map(|q| {
                        (
                            format!("q{q}"),
                            vec![format!("o{}", (q + i) % 3 + u64::from(q % 5 == 0))],
                        )
                    })
                    .collect(),
                acceptance_evaluator: Some(format!("ev{}", i % 10)),
                steps: (0..12)
                    .map(|s| (format!("action{s}"), day(i + s * 7)))
                    .collect(),
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let projects = programme(2_000);
    let settings = RiskSettings::default();
    let mut group = c.benchmark_group("risk");
    group.sample_size(10);
    group.bench_function("2000 projects", |b| {
        b.iter(|| {
            let f = flags(&projects, &settings);
            scores(&f, &settings)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
