//! Who records which kind of assessment (SCORING.md §4, DOMAIN.md §2).

use serde::{Deserialize, Serialize};
use shuzhuan_types::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssessmentKind {
    #[serde(rename = "self")]
    SelfAssessment,
    Diagnosis,
    Acceptance,
}

impl AssessmentKind {
    /// What the value means, for people reading the API contract.
    pub fn meaning(self) -> &'static str {
        match self {
            AssessmentKind::SelfAssessment => {
                "线上自评: the enterprise, any time; informs, decides nothing."
            }
            AssessmentKind::Diagnosis => {
                "诊断 (改造前): the provider, before the plan; the baseline."
            }
            AssessmentKind::Acceptance => {
                "验收评测 (改造后, 现场评定): the third-party evaluator, on site."
            }
        }
    }

    pub const ALL: [AssessmentKind; 3] = [
        AssessmentKind::SelfAssessment,
        AssessmentKind::Diagnosis,
        AssessmentKind::Acceptance,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AssessmentKind::SelfAssessment => "self",
            AssessmentKind::Diagnosis => "diagnosis",
            AssessmentKind::Acceptance => "acceptance",
        }
    }

    /// The only role that may record this kind.
    pub fn recorder(self) -> Role {
        match self {
            AssessmentKind::SelfAssessment => Role::Enterprise,
            AssessmentKind::Diagnosis => Role::Provider,
            AssessmentKind::Acceptance => Role::Evaluator,
        }
    }

    /// Diagnosis and acceptance belong to a transformation project.
    pub fn needs_project(self) -> bool {
        self != AssessmentKind::SelfAssessment
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_one_recorder_and_its_code() {
        let recorders: Vec<Role> = AssessmentKind::ALL.iter().map(|k| k.recorder()).collect();
        assert_eq!(
            recorders,
            [Role::Enterprise, Role::Provider, Role::Evaluator]
        );
        for k in AssessmentKind::ALL {
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.as_str()));
            assert_eq!(k.needs_project(), k != AssessmentKind::SelfAssessment);
        }
    }
}
