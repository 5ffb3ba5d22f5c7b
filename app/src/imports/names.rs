//! The programme an import's rows are about: its region and industry
//! codes and the names the seeds use for them, so a row may write either.

use shuzhuan_persistence::AnyConnection;
use shuzhuan_persistence::repo::programs;
use shuzhuan_persistence::rows::{IndustryRow, RegionRow};

use crate::error::{AppError, Text};

/// The programme the rows are about, with its codes and names.
pub(crate) struct Context {
    pub program_id: Option<String>,
    pub regions: Vec<RegionRow>,
    pub industries: Vec<IndustryRow>,
}

/// A name without its parenthesis: 贺兰县（含贺兰工业园） → 贺兰县.
fn short(name: &str) -> &str {
    name.split(['（', '(']).next().unwrap_or(name).trim()
}

/// The names a column takes, joined for a message (their codes serve too).
fn names<'a>(names: impl Iterator<Item = &'a str>, separator: &str) -> String {
    names.collect::<Vec<_>>().join(separator)
}

impl Context {
    pub fn region(&self, given: &str) -> Result<String, (&'static str, Text)> {
        if let Some(r) = self
            .regions
            .iter()
            .find(|r| r.code == given || r.name == given)
        {
            return Ok(r.code.clone());
        }
        let matches: Vec<&RegionRow> = self
            .regions
            .iter()
            .filter(|r| short(&r.name) == short(given))
            .collect();
        match matches.as_slice() {
            [one] => Ok(one.code.clone()),
            [] => Err((
                "unknown_region",
                Text::new(
                    format!(
                        "`{given}` is not a region of the programme: use one of {}",
                        names(self.regions.iter().map(|r| short(&r.name)), ", ")
                    ),
                    format!(
                        "`{given}` 不是该试点的区县，应为：{}",
                        names(self.regions.iter().map(|r| short(&r.name)), "、")
                    ),
                ),
            )),
            _ => Err((
                "ambiguous_region",
                Text::new(
                    format!("`{given}` names several regions; use the code"),
                    format!("`{given}` 对应多个区县，请填写代码"),
                ),
            )),
        }
    }

    pub fn industry(&self, given: &str) -> Result<String, (&'static str, Text)> {
        self.industries
            .iter()
            .find(|i| i.code == given || i.name == given || i.description == given)
            .map(|i| i.code.clone())
            .ok_or_else(|| {
                (
                    "unknown_industry",
                    Text::new(
                        format!(
                            "`{given}` is not an industry of the programme: use one of {}",
                            names(self.industries.iter().map(|i| i.name.as_str()), ", ")
                        ),
                        format!(
                            "`{given}` 不是该试点的细分行业，应为：{}",
                            names(self.industries.iter().map(|i| i.name.as_str()), "、")
                        ),
                    ),
                )
            })
    }
}

impl Context {
    /// The context of `program_id` (404 if there is no such programme), or
    /// an empty one that only takes codes as they are.
    pub fn load(conn: &mut AnyConnection, program_id: Option<&str>) -> Result<Self, AppError> {
        let Some(p) = program_id else {
            return Ok(Context {
                program_id: None,
                regions: vec![],
                industries: vec![],
            });
        };
        programs::find(conn, p)?;
        Ok(Context {
            program_id: Some(p.to_owned()),
            regions: programs::regions_of(conn, p)?,
            industries: programs::industries_of(conn, p)?,
        })
    }
}
