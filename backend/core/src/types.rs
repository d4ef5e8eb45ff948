//! Small domain types with one parsing constructor each; raw strings stop at the edge.

/// A value that is not one of an enumeration's names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not one of {allowed}")]
pub struct UnknownValue {
    pub value: String,
    pub allowed: String,
}

/// Declares an enumeration stored as text, with serde, OpenAPI and Diesel support.
macro_rules! text_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:tt),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema,
            diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            fn as_static_ref(self) -> &'static &'static str {
                match self { $($name::$variant => &$text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::types::UnknownValue;
            fn from_str(raw: &str) -> Result<Self, $crate::types::UnknownValue> {
                match raw {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::types::UnknownValue {
                        value: raw.to_owned(),
                        allowed: [$($text),+].join(", "),
                    }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, $crate::db::connection::MultiBackend> for $name {
            fn to_sql<'b>(&'b self, out: &mut diesel::serialize::Output<'b, '_, $crate::db::connection::MultiBackend>) -> diesel::serialize::Result {
                out.set_value((diesel::sql_types::Text, self.as_static_ref()));
                Ok(diesel::serialize::IsNull::No)
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, $crate::db::connection::MultiBackend> for $name {
            fn from_sql(value: <$crate::db::connection::MultiBackend as diesel::backend::Backend>::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = <String as diesel::deserialize::FromSql<diesel::sql_types::Text, $crate::db::connection::MultiBackend>>::from_sql(value)?;
                Ok(text.parse()?)
            }
        }
    };
}

pub(crate) use text_enum;

text_enum! {
    /// Where a configuration comes from.
    pub enum Source {
        /// Entra ID through Microsoft Graph.
        Entra => "entra",
        /// Intune through Microsoft Graph.
        Intune => "intune",
        /// Azure Resource Manager through Resource Graph.
        Arm => "arm",
    }
}

text_enum! {
    /// What happened to a configuration.
    pub enum ChangeType {
        Created => "created",
        Updated => "updated",
        Deleted => "deleted",
    }
}

text_enum! {
    /// How much a change matters, from least to most.
    pub enum Severity {
        Info => "info",
        Low => "low",
        Medium => "medium",
        High => "high",
        Critical => "critical",
    }
}

/// An Entra tenant id: a GUID, kept in lower case so that uniqueness ignores case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AzureTenantId(String);

impl AzureTenantId {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let trimmed = raw.trim();
        let candidate = trimmed
            .strip_prefix('{')
            .and_then(|s| s.strip_suffix('}'))
            .unwrap_or(trimmed);
        let groups: Vec<&str> = candidate.split('-').collect();
        let lengths = [8, 4, 4, 4, 12];
        let well_formed = groups.len() == lengths.len()
            && groups.iter().zip(lengths).all(|(group, len)| {
                group.len() == len && group.chars().all(|c| c.is_ascii_hexdigit())
            });
        if well_formed {
            Ok(Self(candidate.to_ascii_lowercase()))
        } else {
            Err("must be a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn azure_tenant_ids_are_guids_in_lower_case() {
        let id = AzureTenantId::parse(" 72F988BF-86F1-41AF-91AB-2D7CD011DB47 ").unwrap();
        assert_eq!(id.as_str(), "72f988bf-86f1-41af-91ab-2d7cd011db47");
        assert_eq!(
            AzureTenantId::parse("{72f988bf-86f1-41af-91ab-2d7cd011db47}").unwrap(),
            id
        );
        for bad in [
            "",
            "contoso.onmicrosoft.com",
            "72f988bf86f141af91ab2d7cd011db47",
            "72f988bf-86f1-41af-91ab-2d7cd011db4g",
        ] {
            assert!(AzureTenantId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn severities_are_ordered_from_least_to_most() {
        assert!(Severity::Info < Severity::Low && Severity::High < Severity::Critical);
        assert_eq!("critical".parse::<Severity>().unwrap(), Severity::Critical);
        assert!("urgent".parse::<Severity>().is_err());
    }
}
