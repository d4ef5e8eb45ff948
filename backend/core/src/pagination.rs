//! Keyset (cursor) pagination shared by every list.
//!
//! A cursor is opaque to clients: base64url of a small JSON object holding the sort it was made
//! for, the sort key of the last row returned and that row's id. The next page continues strictly
//! after that (key, id) pair, so rows inserted or deleted meanwhile never shift a page.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::CoreError;

pub const DEFAULT_PAGE_SIZE: i64 = 50;
pub const MAX_PAGE_SIZE: i64 = 500;

/// A requested page: how many rows and where to continue.
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

impl PageRequest {
    /// The page size, checked against the allowed range.
    pub fn limit(&self) -> Result<i64, CoreError> {
        match self.limit {
            None => Ok(DEFAULT_PAGE_SIZE),
            Some(n) if (1..=MAX_PAGE_SIZE).contains(&n) => Ok(n),
            Some(_) => Err(CoreError::invalid(
                "limit",
                "range",
                format!("must be between 1 and {MAX_PAGE_SIZE}"),
            )),
        }
    }

    /// Decodes the cursor, if any, for the given sort, returning the last key and id.
    pub fn after<K: DeserializeOwned>(&self, sort: &str) -> Result<Option<(K, i64)>, CoreError> {
        let Some(raw) = &self.cursor else {
            return Ok(None);
        };
        let cursor = Cursor::decode(raw)?;
        if cursor.sort != sort {
            return Err(CoreError::InvalidCursor(format!(
                "this cursor belongs to sort={}, not sort={sort}",
                cursor.sort
            )));
        }
        let key = serde_json::from_value(cursor.key).map_err(|_| {
            CoreError::InvalidCursor("the cursor's sort key has the wrong type".into())
        })?;
        Ok(Some((key, cursor.id)))
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Cursor {
    #[serde(rename = "s")]
    sort: String,
    #[serde(rename = "k")]
    key: serde_json::Value,
    #[serde(rename = "i")]
    id: i64,
}

impl Cursor {
    fn encode(&self) -> String {
        let json = serde_json::to_vec(self).expect("a cursor always serialises");
        URL_SAFE_NO_PAD.encode(json)
    }

    fn decode(raw: &str) -> Result<Self, CoreError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(raw.trim_end_matches('='))
            .map_err(|_| CoreError::InvalidCursor("not a cursor returned by this API".into()))?;
        serde_json::from_slice(&bytes)
            .map_err(|_| CoreError::InvalidCursor("not a cursor returned by this API".into()))
    }
}

/// One page of a list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows fetched in order: the extra row, if present,
    /// only says that another page exists.
    pub fn from_rows<K: Serialize>(
        mut rows: Vec<T>,
        limit: i64,
        sort: &str,
        key_of: impl Fn(&T) -> (K, i64),
    ) -> Self {
        let has_more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = match rows.last() {
            Some(last) if has_more => {
                let (key, id) = key_of(last);
                Some(
                    Cursor {
                        sort: sort.to_owned(),
                        key: serde_json::to_value(key).expect("sort keys always serialise"),
                        id,
                    }
                    .encode(),
                )
            }
            _ => None,
        };
        Page {
            items: rows,
            next_cursor,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

/// Orders a boxed query by `column` then `id` and, given the last (key, id) of the previous
/// page, keeps only the rows strictly after it in that order.
#[macro_export]
macro_rules! keyset {
    ($query:expr, $column:expr, $id:expr, $descending:expr, $after:expr) => {{
        use diesel::{BoolExpressionMethods, ExpressionMethods, QueryDsl};
        let query = if $descending {
            $query.order(($column.desc(), $id.desc()))
        } else {
            $query.order(($column.asc(), $id.asc()))
        };
        match $after {
            None => query,
            // `col <= k AND (col < k OR id < last)` rather than `col < k OR (col = k AND …)`:
            // the same rows, but the leading bound lets both databases start an index range
            // scan at the cursor instead of scanning from the first row.
            Some((key, last_id)) if $descending => query.filter(
                $column
                    .le(key.clone())
                    .and($column.lt(key).or($id.lt(last_id))),
            ),
            Some((key, last_id)) => query.filter(
                $column
                    .ge(key.clone())
                    .and($column.gt(key).or($id.gt(last_id))),
            ),
        }
    }};
}

/// Declares a list's sort orders: a `snake_case` field name for ascending order and the same
/// name behind `-` for descending order, as clients write them in `?sort=`.
#[macro_export]
macro_rules! sort_orders {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $field:literal),+ $(,)? } default $default:ident $descending:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn field(self) -> &'static str {
                match self { $($name::$variant => $field),+ }
            }
        }

        /// Documents the `sort` query parameter with every accepted value. `sort` is always in
        /// the query; utoipa's default location (path) would put it where no client looks.
        impl utoipa::IntoParams for $name {
            fn into_params(
                parameter_in_provider: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
            ) -> Vec<utoipa::openapi::path::Parameter> {
                use utoipa::openapi::schema::{ObjectBuilder, Type};
                let mut values: Vec<String> = Vec::new();
                for field in $name::ALL {
                    values.push(field.field().to_owned());
                    values.push(format!("-{}", field.field()));
                }
                let default = $crate::pagination::sort_key_text($name::$default.field(), $descending);
                vec![utoipa::openapi::path::ParameterBuilder::new()
                    .name("sort")
                    .parameter_in(parameter_in_provider().unwrap_or(utoipa::openapi::path::ParameterIn::Query))
                    .required(utoipa::openapi::Required::False)
                    .description(Some("The field to sort by; a leading `-` sorts in descending order. Ties are broken by id."))
                    .schema(Some(
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .enum_values(Some(values))
                            .default(Some(serde_json::Value::String(default))),
                    ))
                    .build()]
            }
        }

        impl Default for $crate::pagination::Sort<$name> {
            fn default() -> Self {
                $crate::pagination::Sort { field: $name::$default, descending: $descending }
            }
        }

        impl std::str::FromStr for $crate::pagination::Sort<$name> {
            type Err = $crate::error::CoreError;
            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                let (descending, field) = match raw.strip_prefix('-') {
                    Some(rest) => (true, rest),
                    None => (false, raw),
                };
                $name::ALL
                    .iter()
                    .find(|candidate| candidate.field() == field)
                    .map(|&field| $crate::pagination::Sort { field, descending })
                    .ok_or_else(|| {
                        let allowed: Vec<&str> = $name::ALL.iter().map(|f| f.field()).collect();
                        $crate::error::CoreError::invalid(
                            "sort",
                            "unknown_sort",
                            format!("must be one of {} (prefix - for descending order)", allowed.join(", ")),
                        )
                    })
            }
        }
    };
}

/// A field to sort by and its direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort<F> {
    pub field: F,
    pub descending: bool,
}

impl<F: Copy> Sort<F> {
    /// Parses `?sort=`; absent means the list's default order.
    pub fn parse_or_default(raw: Option<&str>) -> Result<Self, CoreError>
    where
        Self: std::str::FromStr<Err = CoreError> + Default,
    {
        match raw {
            None | Some("") => Ok(Self::default()),
            Some(raw) => raw.parse(),
        }
    }
}

/// The canonical text of a sort order, as stored in cursors.
pub fn sort_key_text(field: &str, descending: bool) -> String {
    if descending {
        format!("-{field}")
    } else {
        field.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_is_tied_to_its_sort() {
        let page = Page::from_rows(vec![(1, "a"), (2, "b"), (3, "c")], 2, "name", |row| {
            (row.1, row.0)
        });
        assert_eq!(page.items.len(), 2);
        let cursor = page.next_cursor.expect("a next page exists");
        let request = PageRequest {
            limit: None,
            cursor: Some(cursor),
        };
        let after: Option<(String, i64)> = request.after("name").unwrap();
        assert_eq!(after, Some(("b".to_owned(), 2)));
        assert!(matches!(
            request.after::<String>("-name"),
            Err(CoreError::InvalidCursor(_))
        ));
    }

    #[test]
    fn the_last_page_has_no_cursor() {
        let page = Page::from_rows(vec![1, 2], 2, "id", |row| (*row, *row as i64));
        assert!(page.next_cursor.is_none());
    }

    #[test]
    fn garbage_cursors_are_rejected() {
        for raw in ["", "!!!", "bm90IGpzb24", "eyJzIjoxfQ"] {
            let request = PageRequest {
                limit: None,
                cursor: Some(raw.to_owned()),
            };
            assert!(
                matches!(request.after::<i64>("id"), Err(CoreError::InvalidCursor(_))),
                "{raw}"
            );
        }
    }

    #[test]
    fn limits_outside_the_range_are_invalid() {
        for bad in [0, -1, MAX_PAGE_SIZE + 1] {
            assert!(PageRequest {
                limit: Some(bad),
                cursor: None
            }
            .limit()
            .is_err());
        }
        assert_eq!(PageRequest::default().limit().unwrap(), DEFAULT_PAGE_SIZE);
    }
}
