//! The indicator catalogue as data: any table and edition in one format.
//! The tables ship as JSON files in `domain/scoring/catalogues/`.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::Points;

/// One evaluation table (指标体系), e.g. `miit-2024-manufacturing`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorSet {
    pub code: String,
    pub name: String,
    pub name_zh: String,
    pub edition: String,
    pub industry: String,
    /// Where the numbers come from.
    pub source: String,
    /// What the public sources leave unsettled, and which values here are
    /// therefore documented defaults.
    pub description: String,
    /// The dimensions scored in points.
    pub dimensions: Vec<Dimension>,
    /// The dimension judged per scenario (数字化经营).
    pub operations: Operations,
    /// Level rules, evaluated from the highest level down.
    pub levels: Vec<LevelRule>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dimension {
    pub code: String,
    pub name: String,
    pub name_zh: String,
    pub max_points: Points,
    pub groups: Vec<Group>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub code: String,
    pub name: String,
    pub name_zh: String,
    pub max_points: Points,
    pub indicators: Vec<Indicator>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    pub code: String,
    pub name: String,
    pub name_zh: String,
    pub max_points: Points,
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// One option; it scores its points.
    Single,
    /// Several options; they score the sum. An exclusive option ("none")
    /// scores 0 and excludes the others.
    Multi,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub code: String,
    pub text: String,
    pub text_zh: String,
    pub kind: QuestionKind,
    pub options: Vec<AnswerOption>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerOption {
    pub code: String,
    pub text: String,
    pub text_zh: String,
    pub points: Points,
    /// Chosen alone or not at all ("none", 无).
    #[serde(default)]
    pub exclusive: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operations {
    pub code: String,
    pub name: String,
    pub name_zh: String,
    pub scenario_groups: Vec<ScenarioGroup>,
    pub scenarios: Vec<Scenario>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioGroup {
    pub code: String,
    pub name: String,
    pub name_zh: String,
}

/// A business scenario judged at level 0–4 (场景等级).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub code: String,
    pub name: String,
    pub name_zh: String,
    pub group: String,
    /// Constraint scenario (约束性场景) as opposed to guidance (指导性场景).
    pub constraint: bool,
    /// What levels 1, 2, 3 and 4 look like.
    pub level_descriptors: Vec<String>,
}

/// The three gates of one level (SCORING.md §3): points S, scenarios at
/// that level or above n(k), constraint scenarios among them c(k).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelRule {
    pub level: u8,
    pub min_points: Points,
    pub min_scenarios: u32,
    pub min_constraint_scenarios: u32,
}

/// What makes a catalogue file unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogueError {
    #[error("catalogue is not valid JSON for the format: {0}")]
    Format(String),
    #[error("{0}")]
    Inconsistent(String),
}

const BUILTIN: [&str; 1] = [include_str!("../catalogues/miit-2024-manufacturing.json")];

/// The loaded tables. A shipped file that does not load is left out here
/// and fails the crate's tests.
pub fn builtin() -> Vec<IndicatorSet> {
    BUILTIN
        .iter()
        .filter_map(|text| IndicatorSet::parse(text).ok())
        .collect()
}

impl IndicatorSet {
    /// Reads and checks a catalogue.
    pub fn parse(text: &str) -> Result<Self, CatalogueError> {
        let set: IndicatorSet =
            serde_json::from_str(text).map_err(|e| CatalogueError::Format(e.to_string()))?;
        set.check()?;
        Ok(set)
    }

    /// Each question belongs to exactly one indicator; all question and
    /// scenario codes are unique; the best answers add up to each level of
    /// the tree's maximum; levels run from high to low.
    pub fn check(&self) -> Result<(), CatalogueError> {
        let bad = |m: String| Err(CatalogueError::Inconsistent(m));
        let mut codes = HashSet::new();
        let mut total = Points::ZERO;
        for d in &self.dimensions {
            let mut dim_sum = Points::ZERO;
            for g in &d.groups {
                let mut group_sum = Points::ZERO;
                for i in &g.indicators {
                    let best: Points = i.questions.iter().map(Question::best_points).sum();
                    if best != i.max_points {
                        return bad(format!(
                            "indicator {}: best answers give {best}, max is {}",
                            i.code, i.max_points
                        ));
                    }
                    for q in &i.questions {
                        if !codes.insert(q.code.clone()) {
                            return bad(format!("question code {} appears twice", q.code));
                        }
                        let mut options = HashSet::new();
                        if q.options.iter().any(|o| !options.insert(o.code.as_str())) {
                            return bad(format!("question {} repeats an option code", q.code));
                        }
                    }
                    group_sum = group_sum + i.max_points;
                }
                if group_sum != g.max_points {
                    return bad(format!(
                        "group {}: indicators give {group_sum}, max is {}",
                        g.code, g.max_points
                    ));
                }
                dim_sum = dim_sum + group_sum;
            }
            if dim_sum != d.max_points {
                return bad(format!(
                    "dimension {}: groups give {dim_sum}, max is {}",
                    d.code, d.max_points
                ));
            }
            total = total + dim_sum;
        }
        if total != Points::from_thousandths(100_000) {
            return bad(format!("the scored dimensions give {total}, not 100"));
        }
        let mut scenarios = HashSet::new();
        for s in &self.operations.scenarios {
            if !scenarios.insert(s.code.as_str()) {
                return bad(format!("scenario code {} appears twice", s.code));
            }
            if s.level_descriptors.len() != 4 {
                return bad(format!(
                    "scenario {} needs descriptors for levels 1 to 4",
                    s.code
                ));
            }
        }
        let levels: Vec<u8> = self.levels.iter().map(|l| l.level).collect();
        if levels.is_empty()
            || levels.windows(2).any(|w| w[0] <= w[1])
            || levels.iter().any(|l| !(1..=4).contains(l))
        {
            return bad("levels must run from high to low within 1..4".into());
        }
        Ok(())
    }

    pub fn questions(&self) -> impl Iterator<Item = &Question> {
        self.dimensions
            .iter()
            .flat_map(|d| &d.groups)
            .flat_map(|g| &g.indicators)
            .flat_map(|i| &i.questions)
    }
}

impl Question {
    /// The most this question can score.
    pub fn best_points(&self) -> Points {
        match self.kind {
            QuestionKind::Single => self
                .options
                .iter()
                .map(|o| o.points)
                .max()
                .unwrap_or_default(),
            QuestionKind::Multi => self
                .options
                .iter()
                .filter(|o| !o.exclusive)
                .map(|o| o.points)
                .sum(),
        }
    }

    pub fn option(&self, code: &str) -> Option<&AnswerOption> {
        self.options.iter().find(|o| o.code == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_2024_manufacturing_table_loads_and_is_consistent() {
        let sets = builtin();
        assert_eq!(sets.len(), BUILTIN.len(), "every shipped catalogue loads");
        let set = &sets[0];
        assert_eq!(set.code, "miit-2024-manufacturing");
        let maxima: Vec<(String, Points)> = set
            .dimensions
            .iter()
            .map(|d| (d.code.clone(), d.max_points))
            .collect();
        assert_eq!(
            maxima,
            [
                ("foundation".into(), Points::from_thousandths(50_000)),
                ("management".into(), Points::from_thousandths(30_000)),
                ("results".into(), Points::from_thousandths(20_000))
            ]
        );
        assert_eq!(set.operations.scenarios.len(), 16);
        assert_eq!(
            set.operations
                .scenarios
                .iter()
                .filter(|s| s.constraint)
                .count(),
            10
        );
        assert_eq!(set.questions().count(), 15);
        // Against the MIIT system's own data (issue 20, item 12): one group
        // 市场效益 (6) holds 市场表现 (3) and 价值效益 (3).
        let results = &set.dimensions[2];
        let groups: Vec<(&str, Points, usize)> = results
            .groups
            .iter()
            .map(|g| (g.code.as_str(), g.max_points, g.indicators.len()))
            .collect();
        assert_eq!(
            groups,
            [
                ("green_low_carbon", Points::from_thousandths(7_000), 1),
                ("product_quality", Points::from_thousandths(7_000), 1),
                ("market_benefit", Points::from_thousandths(6_000), 2)
            ]
        );
        let descriptors = |code: &str| {
            set.operations
                .scenarios
                .iter()
                .find(|s| s.code == code)
                .map(|s| s.level_descriptors.clone())
                .unwrap()
        };
        assert!(descriptors("product_design")[2].contains("library"));
        assert!(descriptors("product_design")[3].contains("Simulation"));
        assert!(descriptors("work_safety")[2].contains("危险废物"));
        assert!(descriptors("finance")[0].contains("information system"));
    }

    #[test]
    fn an_inconsistent_catalogue_is_refused() {
        let text = BUILTIN[0].replacen("\"max_points\": \"8\"", "\"max_points\": \"9\"", 1);
        assert!(
            matches!(IndicatorSet::parse(&text), Err(CatalogueError::Inconsistent(m)) if m.contains("network"))
        );
        assert!(matches!(
            IndicatorSet::parse("{}"),
            Err(CatalogueError::Format(_))
        ));
    }
}
