//! The spot-check draw (双随机、一公开): a random sample of projects and a
//! random inspector for each, reproducible by anyone from what is
//! published — the seed and the two candidate lists in their order.
//!
//! The algorithm, SHA-256 in counter mode:
//!
//! 1. `u(label, i)` is the first 8 bytes, read as a big-endian unsigned
//!    integer, of `SHA-256(seed ‖ label ‖ i)`, where `seed` is the 32 seed
//!    bytes (published as 64 hex digits), `label` the ASCII text `project`
//!    or `inspector`, and `i` an 8-byte big-endian counter from 0.
//! 2. Projects: start from the candidate list as published. For
//!    i = 0, 1, … n−1 take the candidate at position `u("project", i) mod
//!    (candidates left)` and remove it from the list (later ones move up).
//! 3. Inspectors: the k-th drawn project (k from 0) gets the inspector at
//!    position `u("inspector", k) mod (number of inspectors)`.
//!
//! The modulo bias is below 2⁻⁴⁰ for lists under 2²⁴ entries.
//!
//! A draw weighted by risk ([`draw_strata`]) publishes each candidate's
//! weight (a positive integer) and the strata; step 2 then takes, for the
//! i-th draw counted across the strata in order, the first candidate left
//! in its stratum whose running sum of weights exceeds `u("project", i)
//! mod (the weights left)`. With every weight 1 and one stratum this is
//! the uniform draw above, to the bit.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

fn u(seed: &[u8], label: &str, i: u64) -> u64 {
    let mut h = Sha256::new();
    h.update(seed);
    h.update(label.as_bytes());
    h.update(i.to_be_bytes());
    let digest = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

/// A position in a list of `len` (> 0) from a 64-bit draw.
fn index(x: u64, len: usize) -> usize {
    // `len` fits in u64 and the result is below `len`.
    usize::try_from(x % len as u64).unwrap_or(0)
}

/// One drawn project and its inspector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drawn {
    pub project_id: String,
    pub inspector_id: Option<String>,
}

/// Draws `n` of `candidates` (all of them if fewer) and an inspector for
/// each (none when the inspector list is empty): the weighted draw with
/// every weight 1, one stratum.
pub fn draw(seed: &[u8], candidates: &[String], inspectors: &[String], n: usize) -> Vec<Drawn> {
    let stratum = Stratum {
        name: String::new(),
        candidates: candidates.iter().map(|c| (c.clone(), 1)).collect(),
        sample_size: n,
    };
    draw_strata(seed, std::slice::from_ref(&stratum), inspectors)
}

shuzhuan_types::code_enum! {
    /// How a spot check weighs its candidates.
    pub enum Weighting ("weighting") {
        /// Every candidate alike (the draw of 双随机).
        Uniform = "uniform",
        /// Each candidate weighted 1 + its risk score (0–100), published.
        Risk = "risk",
        /// A share of the sample from the candidates scoring at least a
        /// threshold, the rest from the others, each stratum uniformly
        /// (only the membership is published, not the scores).
        Stratified = "stratified",
    }
}

#[allow(clippy::derivable_impls)] // code_enum! owns the derive list
impl Default for Weighting {
    fn default() -> Self {
        Weighting::Uniform
    }
}

/// A part of the population drawn from on its own (a risk stratum, or the
/// rest drawn uniformly), with each candidate's weight as published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stratum {
    pub name: String,
    /// Candidates in their published order with positive integer weights
    /// (a candidate of weight 0 is never drawn).
    pub candidates: Vec<(String, u64)>,
    pub sample_size: usize,
}

/// The weighted, stratified draw, from the same seeded stream: the draws
/// are counted i = 0, 1, … across the strata in their published order.
/// For the i-th draw, in its stratum, take `r = u("project", i) mod (the
/// sum of the weights left)` and walk the candidates left in order, adding
/// their weights, to the first whose running sum exceeds `r`; remove it;
/// its inspector is `inspectors[u("inspector", i) mod len]`. With every
/// weight 1 this is the uniform draw. A stratum with fewer candidates (of
/// positive weight) than its sample gives all of them.
pub fn draw_strata(seed: &[u8], strata: &[Stratum], inspectors: &[String]) -> Vec<Drawn> {
    let mut out = Vec::new();
    let mut i = 0u64;
    for stratum in strata {
        let mut left: Vec<&(String, u64)> =
            stratum.candidates.iter().filter(|(_, w)| *w > 0).collect();
        let mut taken = 0;
        while taken < stratum.sample_size && !left.is_empty() {
            let total: u128 = left.iter().map(|(_, w)| u128::from(*w)).sum();
            let r = u128::from(u(seed, "project", i)) % total;
            let mut running = 0u128;
            let at = left
                .iter()
                .position(|(_, w)| {
                    running += u128::from(*w);
                    running > r
                })
                .unwrap_or(left.len() - 1);
            let (picked, _) = left.remove(at);
            let inspector_id = (!inspectors.is_empty())
                .then(|| inspectors[index(u(seed, "inspector", i), inspectors.len())].clone());
            out.push(Drawn {
                project_id: picked.clone(),
                inspector_id,
            });
            taken += 1;
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ids(n: usize, prefix: &str) -> Vec<String> {
        (0..n).map(|i| format!("{prefix}{i}")).collect()
    }

    /// Fixed vectors, computed independently in Python (hashlib) from the
    /// documented algorithm with the all-zero seed, so it cannot drift.
    #[test]
    fn the_documented_algorithm_gives_the_independent_vectors() {
        let seed = [0u8; 32];
        assert_eq!(u(&seed, "project", 0), 1_971_057_361_327_464_620);
        assert_eq!(u(&seed, "inspector", 3), 12_121_111_346_481_516_759);
        let drawn = draw(&seed, &ids(10, "p"), &ids(3, "e"), 3);
        let pairs: Vec<(&str, &str)> = drawn
            .iter()
            .map(|d| {
                (
                    d.project_id.as_str(),
                    d.inspector_id.as_deref().unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(pairs, [("p0", "e1"), ("p4", "e1"), ("p7", "e0")]);
    }

    proptest! {
        #[test]
        fn draws_are_reproducible_distinct_and_from_the_lists(
            seed in proptest::collection::vec(any::<u8>(), 32),
            candidates in 0usize..60,
            inspectors in 0usize..6,
            n in 0usize..80,
        ) {
            let c = ids(candidates, "p");
            let i = ids(inspectors, "e");
            let a = draw(&seed, &c, &i, n);
            prop_assert_eq!(&a, &draw(&seed, &c, &i, n));
            prop_assert_eq!(a.len(), n.min(candidates));
            let mut seen = std::collections::HashSet::new();
            for d in &a {
                prop_assert!(c.contains(&d.project_id));
                prop_assert!(seen.insert(d.project_id.clone()), "drawn twice");
                prop_assert_eq!(d.inspector_id.is_some(), inspectors > 0);
                if let Some(e) = &d.inspector_id { prop_assert!(i.contains(e)); }
            }
            // A smaller sample is a prefix of a larger one.
            let fewer = draw(&seed, &c, &i, n / 2);
            prop_assert_eq!(&a[..fewer.len()], &fewer[..]);
        }
    }

    #[test]
    fn weights_of_one_are_the_uniform_draw_and_weights_are_recomputable() {
        let seed = [7u8; 32];
        let c = ids(12, "p");
        let uniform = draw(&seed, &c, &ids(2, "e"), 5);
        let ones = Stratum {
            name: "all".into(),
            candidates: c.iter().map(|x| (x.clone(), 1)).collect(),
            sample_size: 5,
        };
        assert_eq!(draw_strata(&seed, &[ones], &ids(2, "e")), uniform);
        // The documented walk, written again: weights 1..=12.
        let weighted: Vec<(String, u64)> = c.iter().cloned().zip(1u64..).collect();
        let mut left = weighted.clone();
        let mut want = Vec::new();
        for i in 0..4u64 {
            let total: u64 = left.iter().map(|x| x.1).sum();
            let r = u(&seed, "project", i) % total;
            let mut acc = 0;
            let at = left
                .iter()
                .position(|x| {
                    acc += x.1;
                    acc > r
                })
                .unwrap();
            want.push(left.remove(at).0);
        }
        let got: Vec<String> = draw_strata(
            &seed,
            &[Stratum {
                name: "risk".into(),
                candidates: weighted,
                sample_size: 4,
            }],
            &[],
        )
        .into_iter()
        .map(|d| d.project_id)
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn strata_draw_in_order_from_one_stream_and_skip_weight_zero() {
        let seed = [1u8; 32];
        let high = Stratum {
            name: "high".into(),
            candidates: vec![("h1".into(), 5), ("h2".into(), 0), ("h3".into(), 2)],
            sample_size: 5,
        };
        let rest = Stratum {
            name: "rest".into(),
            candidates: ids(10, "r").into_iter().map(|x| (x, 1)).collect(),
            sample_size: 2,
        };
        let out = draw_strata(&seed, &[high, rest], &[]);
        let got: Vec<&str> = out.iter().map(|d| d.project_id.as_str()).collect();
        assert_eq!(got.len(), 4, "h2 (weight 0) is never drawn: {got:?}");
        assert!(got[..2].iter().all(|p| p.starts_with('h')) && !got.contains(&"h2"));
        assert!(got[2..].iter().all(|p| p.starts_with('r')));
    }

    #[test]
    fn another_seed_gives_another_draw() {
        let c = ids(100, "p");
        let a = draw(&[1u8; 32], &c, &[], 10);
        let b = draw(&[2u8; 32], &c, &[], 10);
        assert_ne!(a, b);
    }
}
