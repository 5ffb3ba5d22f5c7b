//! The MIIT digital-level scoring engine (数字化水平评测, SCORING.md).
//!
//! Pure: catalogue in, answers in, points and a level out, with the gate
//! that bound the level and what the next level lacks. No IO: the
//! catalogues are data files compiled in (`catalogues/`).

use std::fmt;

pub mod catalogue;
mod kind;
mod points;
#[cfg(test)]
mod rule_tests;
mod score;

pub use catalogue::{CatalogueError, IndicatorSet, builtin};
pub use kind::AssessmentKind;
pub use points::{InvalidPoints, Points};
pub use score::{
    AnswerError, Answers, Comparison, DimensionScore, Gate, GroupScore, IndicatorScore, LevelGaps,
    ScenarioCount, Scorecard, compare, score,
};

use serde::{Deserialize, Serialize};

shuzhuan_types::impl_code!(
    AssessmentKind,
    "assessment kind",
    "Which assessment of the digital level (数字化水平评测), and so who records it."
);

/// A digital level 0–4 (SCORING.md §3). Only [`Level::new`] builds one, so a
/// level held anywhere is in range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Level(u8);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a digital level is 0 to 4, not {0}")]
pub struct LevelOutOfRange(pub i64);

impl Level {
    pub const MAX: Level = Level(4);

    pub fn new(value: i64) -> Result<Self, LevelOutOfRange> {
        u8::try_from(value)
            .ok()
            .filter(|v| *v <= Self::MAX.0)
            .map(Level)
            .ok_or(LevelOutOfRange(value))
    }

    pub fn get(self) -> u8 {
        self.0
    }

    /// Acceptance passes at level 2 or higher in all five seed cities
    /// (000 三(三)11, 001 二(三), 002 (八), 003 二, 004 item 17).
    pub fn passes_acceptance(self) -> bool {
        self.0 >= 2
    }
}

impl<'de> Deserialize<'de> for Level {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = i64::deserialize(d)?;
        Level::new(raw).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_zero_to_four() {
        for v in 0..=4 {
            assert_eq!(Level::new(v).map(Level::get), Ok(v as u8));
        }
        for v in [-1, 5, 256, i64::MAX] {
            assert_eq!(Level::new(v), Err(LevelOutOfRange(v)));
        }
    }

    #[test]
    fn acceptance_needs_level_two() {
        let pass: Vec<bool> = (0..=4)
            .map(|v| Level::new(v).unwrap().passes_acceptance())
            .collect();
        assert_eq!(pass, [false, false, true, true, true]);
    }
}
