//! Typed columns: a domain enum stored as its text code ([`Coded`]) and a
//! value stored as JSON text ([`Json`]). Rows hold these instead of
//! strings, so a state, role, kind or colour is an enum from the moment it
//! is read, and a JSON column is read through one type.

use std::fmt;
use std::ops::Deref;

use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::Pg;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;
use diesel::sqlite::Sqlite;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{MultiBackend, RepoError};

/// A domain enum in a text column, as its code (`draft`, `city_admin`).
/// A stored code that names no value is corrupt data, refused on read.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub struct Coded<T: shuzhuan_types::Code>(pub T);

impl<T: shuzhuan_types::Code> Deref for Coded<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: shuzhuan_types::Code> From<T> for Coded<T> {
    fn from(v: T) -> Self {
        Coded(v)
    }
}

impl<T: shuzhuan_types::Code> fmt::Debug for Coded<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

fn parse<T: shuzhuan_types::Code>(text: &str) -> deserialize::Result<Coded<T>> {
    T::from_code(text)
        .map(Coded)
        .ok_or_else(|| format!("stored {} `{text}` is unknown", T::WHAT).into())
}

impl<T: shuzhuan_types::Code> FromSql<Text, MultiBackend> for Coded<T> {
    fn from_sql(
        bytes: <MultiBackend as diesel::backend::Backend>::RawValue<'_>,
    ) -> deserialize::Result<Self> {
        parse(&bytes.from_sql::<String, Text>()?)
    }
}

impl<T: shuzhuan_types::Code> ToSql<Text, MultiBackend> for Coded<T> {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
        out.set_value((Text, self.0.code()));
        Ok(serialize::IsNull::No)
    }
}

impl<T: shuzhuan_types::Code> ToSql<Text, Pg> for Coded<T> {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <str as ToSql<Text, Pg>>::to_sql(self.0.code(), &mut out.reborrow())
    }
}

impl<T: shuzhuan_types::Code> ToSql<Text, Sqlite> for Coded<T> {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.0.code());
        Ok(serialize::IsNull::No)
    }
}

impl<T: shuzhuan_types::Code> FromSql<Text, Pg> for Coded<T> {
    fn from_sql(
        bytes: <Pg as diesel::backend::Backend>::RawValue<'_>,
    ) -> deserialize::Result<Self> {
        parse(&<String as FromSql<Text, Pg>>::from_sql(bytes)?)
    }
}

impl<T: shuzhuan_types::Code> FromSql<Text, Sqlite> for Coded<T> {
    fn from_sql(
        bytes: <Sqlite as diesel::backend::Backend>::RawValue<'_>,
    ) -> deserialize::Result<Self> {
        parse(&<String as FromSql<Text, Sqlite>>::from_sql(bytes)?)
    }
}

/// A value in a text column as JSON, kept with its text: rendered once
/// when built, parsed once when read.
#[derive(Clone, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub struct Json<T> {
    value: T,
    text: String,
}

impl<T: Serialize> Json<T> {
    pub fn new(value: T) -> Result<Self, RepoError> {
        let text = serde_json::to_string(&value)
            .map_err(|e| RepoError::Corrupt(format!("cannot render JSON: {e}")))?;
        Ok(Json { value, text })
    }
}

impl<T> Json<T> {
    pub fn get(&self) -> &T {
        &self.value
    }

    pub fn into_inner(self) -> T {
        self.value
    }

    /// The stored text.
    pub fn text(&self) -> &str {
        &self.text
    }
}

impl<T> Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// Equal when the stored text is: what "changed" means for a row.
impl<T> PartialEq for Json<T> {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl<T> Eq for Json<T> {}

impl<T> fmt::Debug for Json<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn parse_json<T: DeserializeOwned>(text: String) -> deserialize::Result<Json<T>> {
    let value = serde_json::from_str(&text).map_err(|e| format!("stored JSON: {e}"))?;
    Ok(Json { value, text })
}

impl<T: DeserializeOwned> FromSql<Text, MultiBackend> for Json<T> {
    fn from_sql(
        bytes: <MultiBackend as diesel::backend::Backend>::RawValue<'_>,
    ) -> deserialize::Result<Self> {
        parse_json(bytes.from_sql::<String, Text>()?)
    }
}

impl<T> ToSql<Text, MultiBackend> for Json<T> {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
        out.set_value((Text, self.text.as_str()));
        Ok(serialize::IsNull::No)
    }
}

impl<T> ToSql<Text, Pg> for Json<T> {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <str as ToSql<Text, Pg>>::to_sql(self.text.as_str(), out)
    }
}

impl<T> ToSql<Text, Sqlite> for Json<T> {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.text.as_str());
        Ok(serialize::IsNull::No)
    }
}

impl<T: DeserializeOwned> FromSql<Text, Pg> for Json<T> {
    fn from_sql(
        bytes: <Pg as diesel::backend::Backend>::RawValue<'_>,
    ) -> deserialize::Result<Self> {
        parse_json(<String as FromSql<Text, Pg>>::from_sql(bytes)?)
    }
}

impl<T: DeserializeOwned> FromSql<Text, Sqlite> for Json<T> {
    fn from_sql(
        bytes: <Sqlite as diesel::backend::Backend>::RawValue<'_>,
    ) -> deserialize::Result<Self> {
        parse_json(<String as FromSql<Text, Sqlite>>::from_sql(bytes)?)
    }
}
