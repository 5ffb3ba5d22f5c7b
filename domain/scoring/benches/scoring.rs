//! Assessments scored per second in the pure crate: a full 2024
//! manufacturing answer set (15 questions, 16 scenarios), validated and
//! scored with its level and gaps.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use shuzhuan_scoring::{Answers, builtin, score};

fn full_answers() -> Answers {
    let set = &builtin()[0];
    let mut a = Answers::default();
    for (i, q) in set.questions().enumerate() {
        let option = &q.options[i % q.options.len()];
        a.answers.insert(q.code.clone(), vec![option.code.clone()]);
    }
    for (i, s) in set.operations.scenarios.iter().enumerate() {
        a.scenarios.insert(s.code.clone(), (i % 5) as i64);
    }
    a
}

fn bench(c: &mut Criterion) {
    let set = builtin().remove(0);
    let answers = full_answers();
    let mut group = c.benchmark_group("scoring");
    group.throughput(Throughput::Elements(1));
    group.bench_function("score_full_assessment", |b| {
        b.iter(|| score(&set, std::hint::black_box(&answers)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
