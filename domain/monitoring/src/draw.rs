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
/// each (none when the inspector list is empty).
pub fn draw(seed: &[u8], candidates: &[String], inspectors: &[String], n: usize) -> Vec<Drawn> {
    let mut left: Vec<&String> = candidates.iter().collect();
    let mut out = Vec::with_capacity(n.min(left.len()));
    let mut i = 0u64;
    while out.len() < n && !left.is_empty() {
        let picked = left.remove(index(u(seed, "project", i), left.len()));
        let inspector_id = (!inspectors.is_empty())
            .then(|| inspectors[index(u(seed, "inspector", i), inspectors.len())].clone());
        out.push(Drawn {
            project_id: picked.clone(),
            inspector_id,
        });
        i += 1;
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
    fn another_seed_gives_another_draw() {
        let c = ids(100, "p");
        let a = draw(&[1u8; 32], &c, &[], 10);
        let b = draw(&[2u8; 32], &c, &[], 10);
        assert_ne!(a, b);
    }
}
