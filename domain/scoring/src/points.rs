//! Exact points: every option of the MIIT tables is a multiple of 0.025, so
//! points are kept as integer thousandths and never drift.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, Sub};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Points in thousandths (`Points(39_975)` is 39.975 points).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Points(i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a decimal number of points with at most three decimals")]
pub struct InvalidPoints(pub String);

impl Points {
    pub const ZERO: Points = Points(0);

    pub const fn from_thousandths(t: i64) -> Self {
        Points(t)
    }

    pub const fn thousandths(self) -> i64 {
        self.0
    }

    /// The points as the nearest `f64`, whose shortest decimal form is the
    /// exact value (for JSON output).
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }
}

impl FromStr for Points {
    type Err = InvalidPoints;

    /// Parses `"7.5"`, `"1.875"`, `"40"`: no floats on the way.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || InvalidPoints(s.to_owned());
        let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
        if whole.is_empty() || frac.len() > 3 || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        if !frac.bytes().all(|b| b.is_ascii_digit()) || (s.contains('.') && frac.is_empty()) {
            return Err(err());
        }
        let whole: i64 = whole.parse().map_err(|_| err())?;
        let frac: i64 = format!("{frac:0<3}").parse().map_err(|_| err())?;
        whole
            .checked_mul(1000)
            .and_then(|w| w.checked_add(frac))
            .map(Points)
            .ok_or_else(err)
    }
}

impl fmt::Display for Points {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 < 0 {
            f.write_str("-")?;
        }
        let abs = self.0.unsigned_abs();
        let (w, t) = (abs / 1000, abs % 1000);
        if t == 0 {
            write!(f, "{w}")
        } else {
            let frac = format!("{t:03}");
            write!(f, "{w}.{}", frac.trim_end_matches('0'))
        }
    }
}

impl Add for Points {
    type Output = Points;
    fn add(self, o: Points) -> Points {
        Points(self.0 + o.0)
    }
}

impl Sub for Points {
    type Output = Points;
    fn sub(self, o: Points) -> Points {
        Points(self.0 - o.0)
    }
}

impl Sum for Points {
    fn sum<I: Iterator<Item = Points>>(iter: I) -> Points {
        iter.fold(Points::ZERO, Add::add)
    }
}

/// In catalogue files points are decimal strings (`"1.875"`), read exactly.
impl<'de> Deserialize<'de> for Points {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// On the wire points are JSON numbers written exactly (`39.975`).
impl Serialize for Points {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.as_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_table_values_exactly() {
        for (text, t) in [
            ("0", 0),
            ("0.7", 700),
            ("0.9", 900),
            ("1.25", 1250),
            ("1.875", 1875),
            ("7.5", 7500),
            ("40", 40_000),
            ("39.975", 39_975),
        ] {
            assert_eq!(text.parse::<Points>(), Ok(Points(t)), "{text}");
            assert_eq!(Points(t).to_string(), text);
        }
        assert_eq!(Points(-25).to_string(), "-0.025");
        assert_eq!(Points(-1500).to_string(), "-1.5");
        for bad in ["", ".5", "1.", "1.2345", "-1", "1e3", "abc", "1.2.3"] {
            assert!(bad.parse::<Points>().is_err(), "{bad}");
        }
    }

    #[test]
    fn fourteen_data_collection_links_make_exactly_ten() {
        let seven_tenths: Points = "0.7".parse().unwrap();
        let total: Points =
            std::iter::repeat_n(seven_tenths, 13).sum::<Points>() + "0.9".parse().unwrap();
        assert_eq!(total, Points(10_000));
    }

    proptest! {
        /// What is printed reads back as the same points, and as a JSON
        /// number prints the same decimal.
        #[test]
        fn display_parse_and_json_round_trip(t in 0i64..=100_000) {
            let p = Points(t);
            prop_assert_eq!(p.to_string().parse::<Points>(), Ok(p));
            let json = serde_json::to_string(&p).unwrap();
            let back: f64 = json.parse().unwrap();
            prop_assert_eq!((back * 1000.0).round() as i64, t);
            prop_assert_eq!(json.trim_end_matches(".0"), p.to_string());
        }
    }
}
