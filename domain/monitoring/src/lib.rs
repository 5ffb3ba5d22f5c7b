//! Targets, monitoring and supervision (DOMAIN.md §6–7) as pure functions:
//! plain data in, data out, no IO.
//!
//! - [`targets`]: the metrics a programme sets targets for, and the check
//!   that a table's parts add up to its totals;
//! - [`colour`]: red/yellow/green and the programme's thresholds;
//! - [`indicators`]: the ten monitoring indicators of a project;
//! - [`draw`]: the reproducible spot-check draw (双随机);
//! - [`ranking`]: the provider ranking (赛马);
//! - [`risk`]: risk flags with their evidence and a score per project;
//! - [`report`]: the self-evaluation report's tables and the differences
//!   between two versions;
//! - [`forecast`]: each target's value at its deadline, and the pace rule
//!   that fits its metric.

pub mod colour;
pub mod dashboard;
pub mod draw;
pub mod forecast;
pub mod indicators;
pub mod ranking;
pub mod report;
pub mod risk;
pub mod supervision;
pub mod targets;

pub use colour::{Colour, Thresholds};
pub use supervision::{EventKind, FinanceKind, FindingOutcome};

shuzhuan_types::impl_code!(
    Colour,
    "colour",
    "A monitoring colour (红黄绿); ordered so that the worst is the greatest."
);

impl shuzhuan_types::Code for targets::Metric {
    const WHAT: &'static str = "metric";
    const NAME: &'static str = "Metric";
    const ABOUT: &'static str = "A metric a programme sets targets for (DOMAIN.md §6); the meaning is the seed tables' Chinese name.";
    const VALUES: &'static [Self] = targets::Metric::ALL;

    fn code(self) -> &'static str {
        self.key()
    }

    fn meaning(self) -> &'static str {
        self.name_zh()
    }
}
