//! Programme packs: a whole programme (regions, industries, batches) as
//! one JSON document. The five seed cities ship as packs in `packs/`,
//! loaded on first start; `POST /programs` takes the same format.

use std::collections::HashSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use shuzhuan_lifecycle::{BatchState, Phase};
use shuzhuan_persistence::repo::programs::ProgramAggregate;
use shuzhuan_persistence::rows::{BatchRow, IndustryRow, ProgramRow, RegionRow};
use shuzhuan_persistence::{Coded, Json, new_id, now};
use shuzhuan_subsidy::Earmark;
use shuzhuan_types::RegionKind;
use utoipa::ToSchema;
use validator::{Validate, ValidationError};

use crate::documents::{RequirementSpec, Requirements};
use crate::error::{AppError, FieldError, Text};
use crate::subsidy::PolicySpec;
use crate::targets::TargetSpec;

/// The seed programmes, one per city work plan in `shared/seeds/`.
pub const SEED_PACKS: [(&str, &str); 5] = [
    ("xuchang", include_str!("../../packs/xuchang.json")),
    ("jinan", include_str!("../../packs/jinan.json")),
    ("changji", include_str!("../../packs/changji.json")),
    ("shiyan", include_str!("../../packs/shiyan.json")),
    ("yinchuan", include_str!("../../packs/yinchuan.json")),
];

pub(crate) fn validate_code(code: &str) -> Result<(), ValidationError> {
    let ok = !code.is_empty()
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new("code_format")
            .with_message("lowercase letters, digits, '-' and '_' only".into()))
    }
}

fn validate_region_code(code: &str) -> Result<(), ValidationError> {
    let ok = code
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new("code_format")
            .with_message("letters, digits, '-' and '_' only".into()))
    }
}

fn level_two() -> u8 {
    2
}

/// A whole programme as created by `POST /programs` or a seed pack.
#[derive(Debug, Clone, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgramPack {
    /// Short stable code, e.g. `yinchuan`.
    #[validate(
        length(
            min = 2,
            max = 40,
            message = "must be 2 to 40 characters",
            code = "length"
        ),
        custom(function = "validate_code")
    )]
    #[schema(min_length = 2, max_length = 40, pattern = r"^[a-z0-9_-]+$")]
    pub code: String,
    #[validate(length(
        min = 1,
        max = 200,
        message = "must be 1 to 200 characters",
        code = "length"
    ))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[validate(length(
        min = 1,
        max = 50,
        message = "must be 1 to 50 characters",
        code = "length"
    ))]
    #[schema(min_length = 1, max_length = 50)]
    pub city: String,
    #[validate(length(
        min = 1,
        max = 50,
        message = "must be 1 to 50 characters",
        code = "length"
    ))]
    #[schema(min_length = 1, max_length = 50)]
    pub province: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    #[serde(default)]
    #[validate(length(max = 4000, message = "at most 4000 characters", code = "length"))]
    #[schema(max_length = 4000)]
    pub description: String,
    /// Where the data comes from (a seed file and its clauses).
    #[serde(default)]
    #[validate(length(max = 2000, message = "at most 2000 characters", code = "length"))]
    #[schema(max_length = 2000)]
    pub source: String,
    /// The acceptance level an enterprise must reach to pass (验收达标等级),
    /// 1 to 4: 2 where the work plan says so (Xuchang item 11, Yinchuan
    /// item 17), 1 where it counts firms below level 2 among those
    /// transformed.
    #[serde(default = "level_two")]
    #[validate(range(min = 1, max = 4, message = "must be 1 to 4", code = "range"))]
    #[schema(minimum = 1, maximum = 4, default = 2)]
    pub pass_level: u8,
    /// Minimum shares of a source's money per purpose (资金用途比例), e.g.
    /// at least 80% of central funds to enterprise transformation.
    #[serde(default)]
    #[validate(length(max = 50, message = "at most 50 earmarks", code = "length"))]
    #[schema(value_type = Vec<crate::subsidy::EarmarkSchema>, max_items = 50)]
    pub earmarks: Vec<Earmark>,
    /// The plan's dated phases (实施步骤): preparation, implementation,
    /// mid-term review (中期考核), concentrated push (集中攻坚), acceptance.
    #[serde(default)]
    #[validate(length(max = 20, message = "at most 20 phases", code = "length"))]
    #[schema(value_type = Vec<crate::programs::PhaseSchema>, max_items = 20)]
    pub phases: Vec<Phase>,
    #[validate(
        nested,
        length(max = 200, message = "at most 200 regions", code = "length")
    )]
    #[schema(max_items = 200)]
    pub regions: Vec<RegionSpec>,
    #[validate(
        nested,
        length(max = 50, message = "at most 50 industries", code = "length")
    )]
    #[schema(max_items = 50)]
    pub industries: Vec<IndustrySpec>,
    #[serde(default)]
    #[validate(
        nested,
        length(max = 50, message = "at most 50 batches", code = "length")
    )]
    #[schema(max_items = 50)]
    pub batches: Vec<BatchSpec>,
    /// Subsidy policy versions, published in order as versions 1, 2, …
    #[serde(default)]
    #[validate(length(max = 20, message = "at most 20 versions", code = "length"))]
    #[schema(max_items = 20)]
    pub subsidy_policies: Vec<PolicySpec>,
    /// Document kinds required before project actions (Jinan: the
    /// pre-assessment report's photos, sign-in sheet and survey).
    #[serde(default)]
    #[validate(
        nested,
        length(max = 16, message = "at most one entry per action", code = "length")
    )]
    #[schema(max_items = 16)]
    pub document_requirements: Vec<RequirementSpec>,
    /// The work plan's targets (目标), each naming its source clause.
    #[serde(default)]
    #[validate(
        nested,
        length(max = 2000, message = "at most 2000 targets", code = "length")
    )]
    #[schema(max_items = 2000)]
    pub targets: Vec<TargetSpec>,
}

#[derive(Debug, Clone, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegionSpec {
    /// GB/T 2260 code where the region has one, else a programme-local code.
    #[validate(
        length(
            min = 1,
            max = 40,
            message = "must be 1 to 40 characters",
            code = "length"
        ),
        custom(function = "validate_region_code")
    )]
    #[schema(min_length = 1, max_length = 40, pattern = r"^[A-Za-z0-9_-]+$")]
    pub code: String,
    /// The name as the seed writes it.
    #[validate(length(
        min = 1,
        max = 100,
        message = "must be 1 to 100 characters",
        code = "length"
    ))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    #[schema(schema_with = crate::view::code_schema::<RegionKind>)]
    pub kind: RegionKind,
    /// Code of the enclosing region of this programme, if any.
    #[serde(default)]
    pub parent_code: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndustrySpec {
    #[validate(
        length(
            min = 1,
            max = 60,
            message = "must be 1 to 60 characters",
            code = "length"
        ),
        custom(function = "validate_code")
    )]
    #[schema(min_length = 1, max_length = 60, pattern = r"^[a-z0-9_-]+$")]
    pub code: String,
    /// The segment's name as the seed writes it (细分行业).
    #[validate(length(
        min = 1,
        max = 100,
        message = "must be 1 to 100 characters",
        code = "length"
    ))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    #[serde(default)]
    #[validate(length(max = 1000, message = "at most 1000 characters", code = "length"))]
    #[schema(max_length = 1000)]
    pub description: String,
}

/// A batch (批次) as planned; dates the seed does not give stay null.
#[derive(Debug, Clone, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchSpec {
    #[validate(range(min = 1, max = 99, message = "must be 1 to 99", code = "range"))]
    #[schema(minimum = 1, maximum = 99)]
    pub number: i32,
    #[validate(length(
        min = 1,
        max = 100,
        message = "must be 1 to 100 characters",
        code = "length"
    ))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    pub applications_open_on: Option<NaiveDate>,
    pub applications_close_on: Option<NaiveDate>,
    pub implementation_ends_on: Option<NaiveDate>,
    pub acceptance_ends_on: Option<NaiveDate>,
    /// Planned number of enterprises.
    #[validate(range(min = 1, max = 100000, message = "must be 1 to 100000", code = "range"))]
    #[schema(minimum = 1, maximum = 100000)]
    pub capacity: Option<i32>,
    /// Where the window comes from, or why it is open.
    #[serde(default)]
    #[validate(length(max = 2000, message = "at most 2000 characters", code = "length"))]
    #[schema(max_length = 2000)]
    pub note: String,
}

impl BatchSpec {
    /// The window dates must not run backwards.
    pub fn check(&self, path: &str) -> Vec<FieldError> {
        let dates = [
            ("applications_open_on", self.applications_open_on),
            ("applications_close_on", self.applications_close_on),
            ("implementation_ends_on", self.implementation_ends_on),
            ("acceptance_ends_on", self.acceptance_ends_on),
        ];
        let mut errors = Vec::new();
        let mut last: Option<(&str, NaiveDate)> = None;
        for (name, date) in dates {
            let Some(date) = date else { continue };
            if let Some((prev_name, prev)) = last
                && date < prev
            {
                errors.push(FieldError::new(
                    format!("{path}{name}"),
                    "date_order",
                    Text::new(
                        format!("must not be before {prev_name}"),
                        format!("不能早于 {prev_name}"),
                    ),
                ));
            }
            last = Some((name, date));
        }
        errors
    }

    pub fn to_row(&self, program_id: &str) -> BatchRow {
        let at = now();
        BatchRow {
            id: new_id(),
            program_id: program_id.to_owned(),
            number: self.number,
            name: self.name.clone(),
            applications_open_on: self.applications_open_on,
            applications_close_on: self.applications_close_on,
            implementation_ends_on: self.implementation_ends_on,
            acceptance_ends_on: self.acceptance_ends_on,
            capacity: self.capacity,
            state: Coded(BatchState::Planned),
            note: self.note.clone(),
            version: 1,
            created_at: at,
            updated_at: at,
        }
    }
}

/// Collects duplicates of `key` among `items` as field errors.
fn duplicates<T>(
    items: &[T],
    list: &str,
    field: &str,
    key: impl Fn(&T) -> String,
) -> Vec<FieldError> {
    let mut seen = HashSet::new();
    items
        .iter()
        .enumerate()
        .filter(|(_, item)| !seen.insert(key(item)))
        .map(|(i, item)| {
            let k = key(item);
            FieldError::new(
                format!("{list}[{i}].{field}"),
                "duplicate",
                Text::new(format!("`{k}` appears twice"), format!("`{k}` 重复出现")),
            )
        })
        .collect()
}

impl ProgramPack {
    /// Checks across fields that `validator` cannot express: date order,
    /// unique codes and numbers, parents that exist.
    pub fn check(&self) -> Vec<FieldError> {
        let mut errors = crate::subsidy::earmark_errors(&self.earmarks);
        for (i, phase) in self.phases.iter().enumerate() {
            if phase.ends_on < phase.starts_on {
                errors.push(FieldError::new(
                    format!("phases.{i}.ends_on"),
                    "date_order",
                    Text::new("must not be before starts_on", "不能早于 starts_on"),
                ));
            }
        }
        if self.ends_on < self.starts_on {
            errors.push(FieldError::new(
                "ends_on",
                "date_order",
                Text::new("must not be before starts_on", "不能早于 starts_on"),
            ));
        }
        errors.extend(duplicates(&self.regions, "regions", "code", |r| {
            r.code.clone()
        }));
        errors.extend(duplicates(&self.industries, "industries", "code", |i| {
            i.code.clone()
        }));
        errors.extend(duplicates(&self.batches, "batches", "number", |b| {
            b.number.to_string()
        }));
        let codes: HashSet<&str> = self.regions.iter().map(|r| r.code.as_str()).collect();
        for (i, r) in self.regions.iter().enumerate() {
            if let Some(parent) = &r.parent_code
                && (!codes.contains(parent.as_str()) || parent == &r.code)
            {
                errors.push(FieldError::new(
                    format!("regions[{i}].parent_code"),
                    "unknown_region",
                    Text::new(
                        format!("`{parent}` is not another region of this pack"),
                        format!("`{parent}` 不是本试点的其他区县"),
                    ),
                ));
            }
        }
        for (i, b) in self.batches.iter().enumerate() {
            errors.extend(b.check(&format!("batches[{i}].")));
        }
        if let Err(AppError::Validation(e)) = self.requirements().pairs() {
            errors.extend(e.into_iter().map(|mut e| {
                e.field = e.field.replacen("requirements", "document_requirements", 1);
                e
            }));
        }
        for (i, p) in self.subsidy_policies.iter().enumerate() {
            if let Err(AppError::Validation(policy_errors)) = p.to_policy(1) {
                errors.extend(policy_errors.into_iter().map(|mut e| {
                    e.field = format!("subsidy_policies[{i}].{}", e.field);
                    e
                }));
            }
        }
        errors
    }

    pub(crate) fn requirements(&self) -> Requirements {
        Requirements {
            requirements: self.document_requirements.clone(),
        }
    }

    /// Where the plan's text and its annex give a target differently: one
    /// line per target, for the loader's log (the targets table warns too).
    pub fn warnings(&self) -> Vec<String> {
        self.targets
            .iter()
            .filter_map(|t| {
                let text = t.text_value.filter(|v| *v != t.value)?;
                let metric = shuzhuan_monitoring::targets::Metric::parse(&t.metric)?;
                Some(crate::targets::text_and_annex(
                    metric, t.year, t.value, text,
                ))
            })
            .collect()
    }

    /// The rows to insert for this pack.
    pub fn to_aggregate(&self) -> Result<ProgramAggregate, shuzhuan_persistence::RepoError> {
        let at = now();
        let id = new_id();
        let position = |i: usize| i32::try_from(i).unwrap_or(i32::MAX);
        Ok(ProgramAggregate {
            program: ProgramRow {
                id: id.clone(),
                code: self.code.clone(),
                name: self.name.clone(),
                city: self.city.clone(),
                province: self.province.clone(),
                starts_on: self.starts_on,
                ends_on: self.ends_on,
                description: self.description.clone(),
                source: self.source.clone(),
                version: 1,
                created_at: at,
                updated_at: at,
                pass_level: i32::from(self.pass_level),
                earmarks: Json::new(self.earmarks.clone())?,
                phases: Json::new(self.phases.clone())?,
            },
            regions: self
                .regions
                .iter()
                .enumerate()
                .map(|(i, r)| RegionRow {
                    id: new_id(),
                    program_id: id.clone(),
                    code: r.code.clone(),
                    name: r.name.clone(),
                    kind: Coded(r.kind),
                    parent_code: r.parent_code.clone(),
                    position: position(i),
                })
                .collect(),
            industries: self
                .industries
                .iter()
                .enumerate()
                .map(|(i, ind)| IndustryRow {
                    id: new_id(),
                    program_id: id.clone(),
                    code: ind.code.clone(),
                    name: ind.name.clone(),
                    description: ind.description.clone(),
                    position: position(i),
                })
                .collect(),
            batches: self.batches.iter().map(|b| b.to_row(&id)).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every shipped pack parses, validates and passes the cross-checks.
    #[test]
    fn seed_packs_are_valid() {
        for (name, text) in SEED_PACKS {
            let pack: ProgramPack =
                serde_json::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(pack.code, name);
            pack.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
            let errors = pack.check();
            assert!(errors.is_empty(), "{name}: {errors:?}");
        }
    }
}
