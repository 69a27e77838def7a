//! What can go wrong in a use case, in classes a caller maps to its own
//! way of saying it (an exit code and a message; an HTTP status).

use kensa_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Absent, or outside the actor's grants (which must look the same).
    #[error("{0}")]
    NotFound(String),
    /// Visible, but the actor's role is too low for this.
    #[error("{0}")]
    Forbidden(String),
    /// No valid credentials.
    #[error("{0}")]
    Unauthenticated(String),
    /// A well-formed request with a value that cannot be used; `field`
    /// names it (a JSON pointer or a parameter name).
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// Input that cannot be read at all (malformed JSON, an unreadable SBOM).
    #[error("{0}")]
    BadInput(String),
    /// The change clashes with what is stored (a user that exists).
    #[error("{0}")]
    Conflict(String),
    /// The change was based on a revision that is no longer current.
    #[error("the stored revision is {current}; reload and apply the change again")]
    Stale { current: i64 },
    /// The database failed.
    #[error(transparent)]
    Store(StoreError),
}

impl AppError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> AppError {
        AppError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        match e {
            StoreError::NotFound(m) => AppError::NotFound(m),
            StoreError::Conflict(m) => AppError::Conflict(m),
            StoreError::Stale { current } => AppError::Stale { current },
            e => AppError::Store(e),
        }
    }
}
