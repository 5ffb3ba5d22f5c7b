//! The unified social credit code (统一社会信用代码, GB 32100-2015): 18
//! characters from a 31-character alphabet, the last a check character.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

/// The alphabet of GB 32100: digits and capitals without I, O, Z, S, V.
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// Weights of positions 1–17.
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A credit code whose check character holds. Only [`Uscc::parse`] builds
/// one, so every `Uscc` in the system is valid.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Uscc(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsccError {
    #[error("a unified social credit code has 18 characters, not {0}")]
    Length(usize),
    #[error(
        "character {position} (`{character}`) is not allowed (GB 32100 uses 0-9 and A-Y without I, O, S, V, Z)"
    )]
    Character { position: usize, character: char },
    #[error("the check character is `{found}`, the code computes `{expected}`")]
    Check { expected: char, found: char },
    /// A spreadsheet stored the code as a number (`9.16401E+17`,
    /// `916401000000000000.0`): its digits are lost, only re-entering the
    /// column as text recovers them.
    #[error(
        "`{0}` is a number, not a credit code: the spreadsheet turned the column into numbers; format it as text and enter the codes again"
    )]
    Number(String),
}

impl UsccError {
    /// Stable code for clients.
    pub fn code(&self) -> &'static str {
        match self {
            UsccError::Length(_) => "uscc_length",
            UsccError::Character { .. } => "uscc_character",
            UsccError::Check { .. } => "uscc_check_character",
            UsccError::Number(_) => "uscc_as_number",
        }
    }

    pub fn message_zh(&self) -> String {
        match self {
            UsccError::Length(n) => format!("统一社会信用代码应为 18 位，而不是 {n} 位"),
            UsccError::Character {
                position,
                character,
            } => format!("第 {position} 位字符 `{character}` 不合规（不得使用 I、O、S、V、Z）"),
            UsccError::Check { expected, found } => {
                format!("校验码应为 `{expected}`，而不是 `{found}`")
            }
            UsccError::Number(raw) => format!(
                "`{raw}` 是数字而非统一社会信用代码：表格把该列转成了数字（科学计数法），请将该列设为“文本”格式后重新录入代码"
            ),
        }
    }
}

/// What a spreadsheet makes of a long code it took for a number:
/// scientific notation (`9.16401E+17`) or a decimal point (`…0.0`). Plain
/// digits can be a real code and are left to the other checks.
fn looks_like_a_number(code: &str) -> bool {
    let (mantissa, exponent) = match code.split_once('E') {
        Some((m, e)) => (m, Some(e)),
        None => (code, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((whole, fraction)) => digits(whole) && (fraction.is_empty() || digits(fraction)),
        None => digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.trim_start_matches(['+', '-'])));
    mantissa_ok && exponent_ok && (exponent.is_some() || mantissa.contains('.'))
}

fn value_of(c: u8) -> Option<u32> {
    ALPHABET
        .iter()
        .position(|a| *a == c)
        .and_then(|p| u32::try_from(p).ok())
}

/// The check character for the first 17 characters.
pub fn check_character(first17: &[u8; 17]) -> Option<char> {
    let mut sum = 0;
    for (c, w) in first17.iter().zip(WEIGHTS) {
        sum += value_of(*c)? * w;
    }
    let r = (31 - sum % 31) % 31;
    ALPHABET.get(r as usize).map(|b| char::from(*b))
}

impl Uscc {
    /// Accepts lower case and surrounding spaces as officials type them.
    pub fn parse(raw: &str) -> Result<Self, UsccError> {
        let code = raw.trim().to_ascii_uppercase();
        if looks_like_a_number(&code) {
            return Err(UsccError::Number(raw.trim().to_owned()));
        }
        let chars: Vec<char> = code.chars().collect();
        if chars.len() != 18 {
            return Err(UsccError::Length(chars.len()));
        }
        for (i, c) in chars.iter().enumerate() {
            if !c.is_ascii() || value_of(*c as u8).is_none() {
                return Err(UsccError::Character {
                    position: i + 1,
                    character: *c,
                });
            }
        }
        let bytes = code.as_bytes();
        let mut first17 = [0u8; 17];
        first17.copy_from_slice(&bytes[..17]);
        let expected = check_character(&first17).unwrap_or('?');
        let found = chars[17];
        if expected != found {
            return Err(UsccError::Check { expected, found });
        }
        Ok(Uscc(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The administrative division code (positions 3–8).
    pub fn division_code(&self) -> &str {
        &self.0[2..8]
    }
}

impl FromStr for Uscc {
    type Err = UsccError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uscc::parse(s)
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Uscc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Uscc::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn codes_a_spreadsheet_turned_into_numbers_say_so() {
        for raw in [
            "9.16401E+17",
            "9.16401e+17",
            "916401000000000000.0",
            "9E17",
            "6.40E+17",
        ] {
            assert_eq!(
                Uscc::parse(raw).unwrap_err().code(),
                "uscc_as_number",
                "{raw}"
            );
        }
        // Digits alone may be a real code: the other checks decide.
        assert_ne!(
            Uscc::parse("916401000000000000").map_err(|e| e.code()),
            Err("uscc_as_number")
        );
        assert_eq!(
            Uscc::parse("91640100MA7ABCDEIX").unwrap_err().code(),
            "uscc_character"
        );
    }

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn real_codes_pass() {
        for code in [
            "91350100M000100Y43",
            "91110000600037341L",
            "91440300708461136T",
            "9144030071526726XG",
        ] {
            assert_eq!(
                Uscc::parse(code).map(|u| u.to_string()),
                Ok(code.to_owned())
            );
        }
        assert_eq!(
            Uscc::parse(" 9144030071526726xg ").unwrap().as_str(),
            "9144030071526726XG"
        );
        assert_eq!(
            Uscc::parse("916401223A000H0C6X").unwrap().division_code(),
            "640122"
        );
    }

    #[test]
    fn each_fault_is_named() {
        assert_eq!(Uscc::parse("9135010"), Err(UsccError::Length(7)));
        assert_eq!(
            Uscc::parse("91350100M000100I43"),
            Err(UsccError::Character {
                position: 16,
                character: 'I'
            })
        );
        assert_eq!(
            Uscc::parse("91350100M000100Y44"),
            Err(UsccError::Check {
                expected: '3',
                found: '4'
            })
        );
        assert_eq!(
            Uscc::parse("统一社会信用代码统一社会信用代码一二")
                .unwrap_err()
                .code(),
            "uscc_character"
        );
    }

    fn alphabet_char() -> impl Strategy<Value = u8> {
        (0usize..31).prop_map(|i| ALPHABET[i])
    }

    proptest! {
        /// Any 17 characters with their computed check character form a
        /// valid code; changing any one character breaks it.
        #[test]
        fn the_check_character_catches_any_single_change(
            body in proptest::collection::vec(alphabet_char(), 17),
            position in 0usize..18,
            replacement in alphabet_char(),
        ) {
            let mut first17 = [0u8; 17];
            first17.copy_from_slice(&body);
            let check = check_character(&first17).unwrap();
            let code: String = body.iter().map(|b| char::from(*b)).chain([check]).collect();
            prop_assert!(Uscc::parse(&code).is_ok());
            let mut changed: Vec<u8> = code.bytes().collect();
            prop_assume!(changed[position] != replacement);
            changed[position] = replacement;
            let changed = String::from_utf8(changed).unwrap();
            prop_assert!(Uscc::parse(&changed).is_err());
        }
    }
}
