//! Red, yellow, green, and the thresholds a programme sets for them.

use serde::{Deserialize, Serialize};

/// A monitoring colour; ordered so that the worst is the greatest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Colour {
    Green,
    Yellow,
    Red,
}

impl Colour {
    /// What the value means, for people reading the API contract.
    pub fn meaning(self) -> &'static str {
        match self {
            Colour::Green => "On track (绿).",
            Colour::Yellow => "Lagging: watch it (黄).",
            Colour::Red => "Off track: act (红).",
        }
    }

    pub const ALL: [Colour; 3] = [Colour::Green, Colour::Yellow, Colour::Red];

    pub fn as_str(self) -> &'static str {
        match self {
            Colour::Green => "green",
            Colour::Yellow => "yellow",
            Colour::Red => "red",
        }
    }
}

/// The programme's monitoring settings. Seed 004 item 16 asks for ten core
/// indicators in red, yellow and green and names three of them (项目进度,
/// 资金使用, 服务商管理) but no threshold: the other indicators and every
/// default below are ours, not the seed's — yellow when progress lags the
/// planned pace by 10 to 30 percentage points, red beyond 30, the others
/// set in the same spirit. Each programme sets its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Thresholds {
    /// Progress behind the planned pace (percentage points).
    pub progress_lag_yellow_pp: i64,
    pub progress_lag_red_pp: i64,
    /// Days a project may wait in one state.
    pub state_days_yellow: i64,
    pub state_days_red: i64,
    /// Days left in the batch window under which unfinished work is yellow
    /// (past the window it is red).
    pub window_days_yellow: i64,
    /// Audited amount off the contract amount (percent).
    pub amount_deviation_yellow_pct: i64,
    pub amount_deviation_red_pct: i64,
    /// Days an approved subsidy may stay unpaid.
    pub unpaid_days_yellow: i64,
    pub unpaid_days_red: i64,
    /// Active projects of one provider.
    pub provider_load_yellow: i64,
    pub provider_load_red: i64,
    /// Share of a provider's projects that are red (percent).
    pub provider_red_share_yellow_pct: i64,
    pub provider_red_share_red_pct: i64,
    /// Days before a rectification deadline that turn it yellow.
    pub rectification_due_days_yellow: i64,
    /// For aggregates and the dashboard: shares (percent) of red, and of
    /// red or yellow, above which a group is red or yellow.
    pub group_red_share_pct: i64,
    pub group_yellow_share_pct: i64,
    /// Risk scores (0–100) from which a project is yellow or red on the
    /// risk indicator: by default one strong flag (a tie or a copy, 25–30
    /// points) is yellow, two are red.
    pub risk_score_yellow: i64,
    pub risk_score_red: i64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            progress_lag_yellow_pp: 10,
            progress_lag_red_pp: 30,
            state_days_yellow: 30,
            state_days_red: 60,
            window_days_yellow: 30,
            amount_deviation_yellow_pct: 10,
            amount_deviation_red_pct: 30,
            unpaid_days_yellow: 30,
            unpaid_days_red: 90,
            provider_load_yellow: 20,
            provider_load_red: 40,
            provider_red_share_yellow_pct: 10,
            provider_red_share_red_pct: 30,
            rectification_due_days_yellow: 7,
            group_red_share_pct: 30,
            group_yellow_share_pct: 10,
            risk_score_yellow: 25,
            risk_score_red: 50,
        }
    }
}

/// A threshold pair the wrong way round, or out of range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThresholdError {
    pub field: &'static str,
    pub message: &'static str,
}

impl Thresholds {
    /// The largest value any threshold may take: far beyond any sensible
    /// number of days, projects or percent, and small enough that no
    /// arithmetic on it can overflow.
    pub const MAX: i64 = 100_000;

    /// Each yellow threshold must be below its red one, every one within
    /// `0..=MAX`.
    pub fn check(&self) -> Result<(), Vec<ThresholdError>> {
        let pairs = [
            (
                "progress_lag_red_pp",
                self.progress_lag_yellow_pp,
                self.progress_lag_red_pp,
            ),
            (
                "state_days_red",
                self.state_days_yellow,
                self.state_days_red,
            ),
            (
                "amount_deviation_red_pct",
                self.amount_deviation_yellow_pct,
                self.amount_deviation_red_pct,
            ),
            (
                "unpaid_days_red",
                self.unpaid_days_yellow,
                self.unpaid_days_red,
            ),
            (
                "provider_load_red",
                self.provider_load_yellow,
                self.provider_load_red,
            ),
            (
                "provider_red_share_red_pct",
                self.provider_red_share_yellow_pct,
                self.provider_red_share_red_pct,
            ),
            (
                "group_red_share_pct",
                self.group_yellow_share_pct,
                self.group_red_share_pct,
            ),
            (
                "risk_score_red",
                self.risk_score_yellow,
                self.risk_score_red,
            ),
        ];
        let mut errors: Vec<ThresholdError> = pairs
            .iter()
            .filter(|(_, yellow, red)| yellow >= red)
            .map(|(field, _, _)| ThresholdError {
                field,
                message: "must be greater than its yellow threshold",
            })
            .collect();
        let out_of_range = |v: i64| !(0..=Self::MAX).contains(&v);
        if out_of_range(self.window_days_yellow)
            || out_of_range(self.rectification_due_days_yellow)
            || pairs
                .iter()
                .any(|(_, y, r)| out_of_range(*y) || out_of_range(*r))
        {
            errors.push(ThresholdError {
                field: "thresholds",
                message: "must be between 0 and 100000",
            });
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// A group (region, batch, provider, the dashboard) from its members'
    /// colours: red when the red share exceeds `group_red_share_pct`,
    /// yellow when red and yellow together exceed `group_yellow_share_pct`.
    pub fn group(&self, red: usize, yellow: usize, total: usize) -> Colour {
        if total == 0 {
            return Colour::Green;
        }
        let pct = |n: usize| (n * 100) as f64 / total as f64;
        if pct(red) > self.group_red_share_pct as f64 {
            Colour::Red
        } else if pct(red + yellow) > self.group_yellow_share_pct as f64 {
            Colour::Yellow
        } else {
            Colour::Green
        }
    }

    /// A lag behind a planned pace, in percentage points.
    pub fn lag(&self, lag_pp: i64) -> Colour {
        if lag_pp > self.progress_lag_red_pp {
            Colour::Red
        } else if lag_pp > self.progress_lag_yellow_pp {
            Colour::Yellow
        } else {
            Colour::Green
        }
    }
}

/// The share of the way from `start` to `end` that `today` has come, in
/// percent (0 before, 100 after).
pub fn elapsed_pct(
    start: chrono::NaiveDate,
    end: chrono::NaiveDate,
    today: chrono::NaiveDate,
) -> i64 {
    let total = (end - start).num_days();
    if total <= 0 {
        return if today >= end { 100 } else { 0 };
    }
    ((today - start).num_days() * 100 / total).clamp(0, 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn the_yinchuan_pace_rule() {
        let t = Thresholds::default();
        assert_eq!(t.lag(0), Colour::Green);
        assert_eq!(t.lag(10), Colour::Green);
        assert_eq!(t.lag(11), Colour::Yellow);
        assert_eq!(t.lag(30), Colour::Yellow);
        assert_eq!(t.lag(31), Colour::Red);
        assert_eq!(t.lag(-40), Colour::Green, "ahead of plan");
    }

    #[test]
    fn groups_and_checks() {
        let t = Thresholds::default();
        assert_eq!(t.group(0, 0, 0), Colour::Green);
        assert_eq!(t.group(0, 1, 10), Colour::Green);
        assert_eq!(t.group(0, 2, 10), Colour::Yellow);
        assert_eq!(t.group(4, 0, 10), Colour::Red);
        assert!(t.check().is_ok());
        let bad = Thresholds {
            progress_lag_red_pp: 5,
            ..Thresholds::default()
        };
        assert_eq!(bad.check().unwrap_err()[0].field, "progress_lag_red_pp");
        for too_big in [
            Thresholds {
                window_days_yellow: Thresholds::MAX + 1,
                ..Thresholds::default()
            },
            Thresholds {
                unpaid_days_red: Thresholds::MAX + 1,
                ..Thresholds::default()
            },
            Thresholds {
                rectification_due_days_yellow: -1,
                ..Thresholds::default()
            },
        ] {
            assert_eq!(too_big.check().unwrap_err()[0].field, "thresholds");
        }
    }

    #[test]
    fn elapsed_share_is_clamped() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap_or_default();
        assert_eq!(elapsed_pct(d(1, 1), d(1, 11), d(1, 6)), 50);
        assert_eq!(elapsed_pct(d(1, 1), d(1, 11), d(12, 1)), 100);
        assert_eq!(elapsed_pct(d(1, 1), d(1, 11), d(1, 1)), 0);
        assert_eq!(elapsed_pct(d(2, 1), d(1, 11), d(1, 1)), 0);
    }
}
