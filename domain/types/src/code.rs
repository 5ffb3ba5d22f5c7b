//! Closed sets of values that travel and are stored as short text codes
//! (`draft`, `city_admin`, `software`): one trait every such enum
//! implements, so persistence stores any of them the same way and nothing
//! else spells a code as a string literal.

use std::fmt;

/// A domain enum with a stable text code per value.
pub trait Code: Copy + Eq + fmt::Debug + Send + Sync + 'static {
    /// What the values are, for messages (`project state`).
    const WHAT: &'static str;
    /// The set's name in the API contract (`ProjectState`).
    const NAME: &'static str;
    /// What the set is, for the contract's description.
    const ABOUT: &'static str = "";
    /// Every value, in the order the domain lists them.
    const VALUES: &'static [Self];

    fn code(self) -> &'static str;

    /// What this value means, for the contract's description (may be
    /// empty where the code says it all).
    fn meaning(self) -> &'static str {
        ""
    }

    fn from_code(code: &str) -> Option<Self> {
        Self::VALUES.iter().copied().find(|v| v.code() == code)
    }

    /// Every code, joined for a message (`micro, small, medium`).
    fn codes(separator: &str) -> String {
        Self::VALUES
            .iter()
            .map(|v| v.code())
            .collect::<Vec<_>>()
            .join(separator)
    }
}

/// A code that names no value of the set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{given}` is not a {what}")]
pub struct UnknownCode {
    pub what: &'static str,
    pub given: String,
}

/// Parses a code of `T`, naming the set in the error.
pub fn parse_code<T: Code>(given: &str) -> Result<T, UnknownCode> {
    T::from_code(given).ok_or_else(|| UnknownCode {
        what: T::WHAT,
        given: given.to_owned(),
    })
}

/// Declares an enum whose values are text codes (documented by doc
/// comments only, which become the contract's description): serde, `as_str`, `ALL`,
/// `Display`, `FromStr` and [`Code`], from one list of `Variant = "code"`.
#[macro_export]
macro_rules! code_enum {
    (
        $(#[doc = $doc:literal])*
        $vis:vis enum $name:ident ($what:literal) {
            $( $(#[doc = $vdoc:literal])* $variant:ident = $code:literal ),+ $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
        )]
        $vis enum $name {
            $( $(#[doc = $vdoc])* #[serde(rename = $code)] $variant ),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }
        }

        impl $crate::Code for $name {
            const WHAT: &'static str = $what;
            const NAME: &'static str = stringify!($name);
            const ABOUT: &'static str = concat!($($doc, "\n"),*);
            const VALUES: &'static [Self] = $name::ALL;

            fn code(self) -> &'static str {
                self.as_str()
            }

            fn meaning(self) -> &'static str {
                match self { $($name::$variant => concat!($($vdoc, " "),*)),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::UnknownCode;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $crate::parse_code(s)
            }
        }
    };
}

/// Implements [`Code`] for an enum that already has `ALL` (an array),
/// `as_str` and `meaning`.
#[macro_export]
macro_rules! impl_code {
    ($t:ident, $what:literal, $about:literal) => {
        impl $crate::Code for $t {
            const WHAT: &'static str = $what;
            const NAME: &'static str = stringify!($t);
            const ABOUT: &'static str = $about;
            const VALUES: &'static [Self] = &<$t>::ALL;

            fn code(self) -> &'static str {
                self.as_str()
            }

            fn meaning(self) -> &'static str {
                <$t>::meaning(self)
            }
        }
    };
}
