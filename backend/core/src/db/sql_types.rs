//! Two column types that mean the same on both backends but are stored in each one's native way:
//!
//! * [`JsonDoc`]: `jsonb` on PostgreSQL; JSON text on SQLite (readable by every SQLite tool,
//!   unlike SQLite's binary JSONB, and checked by `json_valid` in the migrations).
//! * [`UtcTimestamp`]: `timestamptz` on PostgreSQL; ISO 8601 UTC text with exactly six
//!   fractional digits on SQLite, so that text order is time order for keyset pagination.
//!
//! Diesel's derived `MultiBackend` only knows the SQL types common to all backends, so each type
//! also gets the three small impls that route it through the multi-backend (see
//! ../shared/stack-notes.md). Diesel already maps `serde_json::Value` and `DateTime<Utc>` to its
//! own types, so the Rust side of these columns is two newtypes, [`Json`] and [`UtcTime`], that
//! serialise exactly like the values they wrap.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::deserialize::{self, FromSql};
use diesel::pg::Pg;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{HasSqlType, Jsonb, Text, Timestamptz};
use diesel::sqlite::Sqlite;

use super::connection::MultiBackend;

/// A JSON document column (`jsonb` on PostgreSQL, JSON text on SQLite).
#[derive(
    Debug, Clone, Copy, Default, diesel::sql_types::SqlType, diesel::query_builder::QueryId,
)]
#[diesel(postgres_type(oid = 3802, array_oid = 3807))]
#[diesel(sqlite_type(name = "Text"))]
pub struct JsonDoc;

/// A point in time in UTC (`timestamptz` on PostgreSQL, ISO 8601 text on SQLite).
#[derive(
    Debug, Clone, Copy, Default, diesel::sql_types::SqlType, diesel::query_builder::QueryId,
)]
#[diesel(postgres_type(oid = 1184, array_oid = 1185))]
#[diesel(sqlite_type(name = "Text"))]
pub struct UtcTimestamp;

/// A JSON value stored in a [`JsonDoc`] column.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Default,
    serde::Serialize,
    serde::Deserialize,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[serde(transparent)]
#[diesel(sql_type = JsonDoc)]
pub struct Json(pub serde_json::Value);

/// A UTC instant stored in a [`UtcTimestamp`] column, truncated to microseconds (the precision
/// of both backends) so that what is read back equals what was written.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Deserialize,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[serde(transparent)]
#[diesel(sql_type = UtcTimestamp)]
pub struct UtcTime(DateTime<Utc>);

impl UtcTime {
    pub fn new(at: DateTime<Utc>) -> Self {
        use chrono::{DurationRound, TimeDelta};
        Self(at.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(at))
    }

    pub fn now() -> Self {
        Self::new(Utc::now())
    }

    pub fn get(self) -> DateTime<Utc> {
        self.0
    }
}

impl From<DateTime<Utc>> for UtcTime {
    fn from(at: DateTime<Utc>) -> Self {
        Self::new(at)
    }
}

/// Always six fractional digits and `Z`, so that API timestamps also sort as text.
impl std::fmt::Display for UtcTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
    }
}

impl serde::Serialize for UtcTime {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl From<serde_json::Value> for Json {
    fn from(value: serde_json::Value) -> Self {
        Self(value)
    }
}

impl std::ops::Deref for Json {
    type Target = serde_json::Value;
    fn deref(&self) -> &serde_json::Value {
        &self.0
    }
}

impl utoipa::PartialSchema for UtcTime {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
            .description(Some(
                "A UTC instant in RFC 3339 form, with up to microsecond precision.",
            ))
            .examples([serde_json::json!("2026-11-29T08:15:00.123456Z")])
            .into()
    }
}

impl utoipa::ToSchema for UtcTime {}

impl utoipa::PartialSchema for Json {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, SchemaType};
        ObjectBuilder::new()
            .schema_type(SchemaType::AnyValue)
            .description(Some("Any JSON value."))
            .into()
    }
}

impl utoipa::ToSchema for Json {}

/// The SQLite text form of a [`UtcTimestamp`].
const SQLITE_TIMESTAMP_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

// ---- JsonDoc ----------------------------------------------------------------------------------

impl ToSql<JsonDoc, Pg> for Json {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <serde_json::Value as ToSql<Jsonb, Pg>>::to_sql(&self.0, out)
    }
}

impl FromSql<JsonDoc, Pg> for Json {
    fn from_sql(
        value: <Pg as diesel::backend::Backend>::RawValue<'_>,
    ) -> deserialize::Result<Self> {
        <serde_json::Value as FromSql<Jsonb, Pg>>::from_sql(value).map(Json)
    }
}

impl ToSql<JsonDoc, Sqlite> for Json {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(serde_json::to_string(&self.0)?);
        Ok(IsNull::No)
    }
}

impl FromSql<JsonDoc, Sqlite> for Json {
    fn from_sql(
        value: <Sqlite as diesel::backend::Backend>::RawValue<'_>,
    ) -> deserialize::Result<Self> {
        let text = <String as FromSql<Text, Sqlite>>::from_sql(value)?;
        Ok(Json(serde_json::from_str(&text)?))
    }
}

impl HasSqlType<JsonDoc> for MultiBackend {
    fn metadata(lookup: &mut Self::MetadataLookup) -> Self::TypeMetadata {
        MultiBackend::lookup_sql_type::<JsonDoc>(lookup)
    }
}

impl ToSql<JsonDoc, MultiBackend> for Json {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
        out.set_value((JsonDoc, self));
        Ok(IsNull::No)
    }
}

impl FromSql<JsonDoc, MultiBackend> for Json {
    fn from_sql(
        value: <MultiBackend as diesel::backend::Backend>::RawValue<'_>,
    ) -> deserialize::Result<Self> {
        value.from_sql::<Self, JsonDoc>()
    }
}

// ---- UtcTimestamp -----------------------------------------------------------------------------

impl ToSql<UtcTimestamp, Pg> for UtcTime {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <DateTime<Utc> as ToSql<Timestamptz, Pg>>::to_sql(&self.0, out)
    }
}

impl FromSql<UtcTimestamp, Pg> for UtcTime {
    fn from_sql(
        value: <Pg as diesel::backend::Backend>::RawValue<'_>,
    ) -> deserialize::Result<Self> {
        <DateTime<Utc> as FromSql<Timestamptz, Pg>>::from_sql(value).map(UtcTime)
    }
}

impl ToSql<UtcTimestamp, Sqlite> for UtcTime {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.0.format(SQLITE_TIMESTAMP_FORMAT).to_string());
        Ok(IsNull::No)
    }
}

impl FromSql<UtcTimestamp, Sqlite> for UtcTime {
    fn from_sql(
        value: <Sqlite as diesel::backend::Backend>::RawValue<'_>,
    ) -> deserialize::Result<Self> {
        let text = <String as FromSql<Text, Sqlite>>::from_sql(value)?;
        parse_sqlite_timestamp(&text)
            .map(UtcTime)
            .ok_or_else(|| format!("invalid timestamp in the database: {text:?}").into())
    }
}

fn parse_sqlite_timestamp(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(parsed) = DateTime::parse_from_rfc3339(text) {
        return Some(parsed.with_timezone(&Utc));
    }
    // Rows written by hand with SQLite's own `CURRENT_TIMESTAMP` ('YYYY-MM-DD HH:MM:SS').
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
        .ok()
        .map(|naive| naive.and_utc())
}

impl HasSqlType<UtcTimestamp> for MultiBackend {
    fn metadata(lookup: &mut Self::MetadataLookup) -> Self::TypeMetadata {
        MultiBackend::lookup_sql_type::<UtcTimestamp>(lookup)
    }
}

impl ToSql<UtcTimestamp, MultiBackend> for UtcTime {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
        out.set_value((UtcTimestamp, self));
        Ok(IsNull::No)
    }
}

impl FromSql<UtcTimestamp, MultiBackend> for UtcTime {
    fn from_sql(
        value: <MultiBackend as diesel::backend::Backend>::RawValue<'_>,
    ) -> deserialize::Result<Self> {
        value.from_sql::<Self, UtcTimestamp>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_timestamps_sort_as_text_in_time_order() {
        let early = DateTime::parse_from_rfc3339("2026-11-29T08:15:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let later = early + chrono::Duration::microseconds(1);
        let a = early.format(SQLITE_TIMESTAMP_FORMAT).to_string();
        let b = later.format(SQLITE_TIMESTAMP_FORMAT).to_string();
        assert_eq!(a, "2026-11-29T08:15:00.000000Z");
        assert!(a < b);
        assert_eq!(parse_sqlite_timestamp(&b), Some(later));
    }

    #[test]
    fn sqlite_current_timestamp_text_is_read_as_utc() {
        let parsed = parse_sqlite_timestamp("2026-11-29 08:15:00").unwrap();
        assert_eq!(parsed.to_rfc3339(), "2026-11-29T08:15:00+00:00");
    }
}
