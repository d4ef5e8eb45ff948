//! The error type of the domain layer. The API maps it to HTTP in one place.

use serde::Serialize;
use utoipa::ToSchema;

/// One input field that failed validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// Where the value is, as a dotted path with indexes: `channels[0].url`.
    pub field: String,
    /// A stable machine-readable code such as `length`, `range`, `email`, `required`.
    pub code: String,
    /// What is wrong, for a person.
    pub message: String,
}

impl FieldError {
    pub fn new(
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("{entity} {id} was not found")]
    NotFound { entity: &'static str, id: String },
    #[error("{0}")]
    Conflict(String),
    #[error("the request has invalid fields")]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    Malformed(String),
    #[error(transparent)]
    Auth(#[from] crate::auth::AuthError),
    /// The caller is known but their role does not allow this.
    #[error("{0}")]
    Forbidden(String),
    #[error("invalid cursor: {0}")]
    InvalidCursor(String),
    #[error("the database is unavailable")]
    Unavailable(#[source] r2d2::Error),
    #[error("database error")]
    Database(#[from] diesel::result::Error),
    #[error("stored data could not be read: {0}")]
    CorruptData(String),
    #[error("internal error: {0}")]
    Internal(String),
}

pub type CoreResult<T> = Result<T, CoreError>;

impl CoreError {
    pub fn not_found(entity: &'static str, id: impl ToString) -> Self {
        CoreError::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    pub fn invalid(
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        CoreError::Invalid(vec![FieldError::new(field, code, message)])
    }
}

impl From<r2d2::Error> for CoreError {
    fn from(err: r2d2::Error) -> Self {
        CoreError::Unavailable(err)
    }
}

impl From<validator::ValidationErrors> for CoreError {
    fn from(errors: validator::ValidationErrors) -> Self {
        let mut fields = Vec::new();
        flatten_validation_errors("", &errors, &mut fields);
        fields.sort_by(|a, b| a.field.cmp(&b.field));
        CoreError::Invalid(fields)
    }
}

/// Turns validator's nested error tree into a flat list with dotted paths.
fn flatten_validation_errors(
    prefix: &str,
    errors: &validator::ValidationErrors,
    out: &mut Vec<FieldError>,
) {
    use validator::ValidationErrorsKind;
    for (field, kind) in errors.errors() {
        let path = if field == "__all__" {
            prefix.to_owned()
        } else if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for err in list {
                    let message = err
                        .message
                        .as_ref()
                        .map(|m| m.to_string())
                        .unwrap_or_else(|| describe_validation_error(err));
                    out.push(FieldError::new(path.clone(), err.code.to_string(), message));
                }
            }
            ValidationErrorsKind::Struct(inner) => flatten_validation_errors(&path, inner, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    flatten_validation_errors(&format!("{path}[{index}]"), inner, out);
                }
            }
        }
    }
}

fn describe_validation_error(err: &validator::ValidationError) -> String {
    let param = |name: &str| err.params.get(name).map(|v| v.to_string());
    match err.code.as_ref() {
        "length" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => {
                format!("must be between {min} and {max} characters or items long")
            }
            (Some(min), None) => format!("must be at least {min} characters or items long"),
            (None, Some(max)) => format!("must be at most {max} characters or items long"),
            _ => "has the wrong length".into(),
        },
        "range" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be between {min} and {max}"),
            (Some(min), None) => format!("must be at least {min}"),
            (None, Some(max)) => format!("must be at most {max}"),
            _ => "is out of range".into(),
        },
        "email" => "must be an e-mail address".into(),
        "url" => "must be an absolute URL".into(),
        other => format!("is invalid ({other})"),
    }
}

/// Maps a unique-constraint violation to a conflict with the given message; other database
/// errors pass through.
pub(crate) fn conflict_on_unique(err: diesel::result::Error, message: &str) -> CoreError {
    use diesel::result::{DatabaseErrorKind, Error};
    match err {
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
            CoreError::Conflict(message.to_owned())
        }
        other => CoreError::Database(other),
    }
}
