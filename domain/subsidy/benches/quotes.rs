//! Subsidy quotes per second in the pure crate (Xuchang's policy, three
//! line items, an enterprise that has received something already).

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use shuzhuan_subsidy::{ExpenseCategory, LevelTerms, LineItem, Policy, QuoteRequest, quote};

fn bench(c: &mut Criterion) {
    let terms = |rate_bp, cap_fen| LevelTerms {
        rate_bp: Some(rate_bp),
        cap_fen: Some(cap_fen),
    };
    let policy = Policy {
        levels: BTreeMap::from([
            (2, terms(5000, 50_000_000)),
            (3, terms(5000, 50_000_000)),
            (4, terms(5000, 100_000_000)),
        ]),
        eligible_categories: BTreeSet::from([
            ExpenseCategory::Software,
            ExpenseCategory::CloudService,
            ExpenseCategory::NetworkEquipment,
        ]),
        ..Policy::new(1, NaiveDate::from_ymd_opt(2025, 11, 5).unwrap_or_default())
    };
    let req = QuoteRequest {
        level: 3,
        line_items: vec![
            LineItem {
                category: ExpenseCategory::Software,
                amount_fen: 60_000_000,
            },
            LineItem {
                category: ExpenseCategory::Hardware,
                amount_fen: 20_000_000,
            },
            LineItem {
                category: ExpenseCategory::CloudService,
                amount_fen: 10_000_000,
            },
        ],
        already_received_fen: 10_000_000,
        rate_bp: None,
        pre_allocated_fen: None,
    };
    let mut group = c.benchmark_group("subsidy");
    group.throughput(Throughput::Elements(1));
    group.bench_function("quote", |b| {
        b.iter(|| quote(&policy, std::hint::black_box(&req)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
