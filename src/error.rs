//! The application error: user errors and internal errors, each with one stable code.
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use async_graphql::ErrorExtensions;
use sea_orm::DbErr;

/// Every error a request can end with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("authentication required")]
    Unauthenticated,
    #[error("not allowed")]
    Forbidden,
    #[error("{0}")]
    BadInput(String),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Db(#[from] Arc<DbErr>),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<DbErr> for AppError {
    fn from(e: DbErr) -> Self {
        Self::Db(Arc::new(e))
    }
}

/// DataLoaders share one error among every caller of a batch, so their errors are
/// `Arc<AppError>`; a resolver turns its copy back into an error of its own.
impl From<Arc<AppError>> for AppError {
    fn from(e: Arc<AppError>) -> Self {
        Arc::try_unwrap(e).unwrap_or_else(|shared| match &*shared {
            Self::NotFound(what) => Self::NotFound(what),
            Self::Unauthenticated => Self::Unauthenticated,
            Self::Forbidden => Self::Forbidden,
            Self::BadInput(m) => Self::BadInput(m.clone()),
            Self::Conflict(m) => Self::Conflict(m.clone()),
            Self::Db(e) => Self::Db(e.clone()),
            // anyhow errors cannot be cloned; the chain survives as text for the log.
            Self::Unexpected(e) => Self::Unexpected(anyhow::anyhow!("{e:#}")),
        })
    }
}

impl AppError {
    /// Shorthand for a bad-input error.
    pub fn bad_input(msg: impl Into<String>) -> Self {
        Self::BadInput(msg.into())
    }

    /// The stable code and HTTP status of this error.
    pub fn code(&self) -> (&'static str, StatusCode) {
        match self {
            Self::NotFound(_) => ("NOT_FOUND", StatusCode::NOT_FOUND),
            Self::Unauthenticated => ("UNAUTHENTICATED", StatusCode::UNAUTHORIZED),
            Self::Forbidden => ("FORBIDDEN", StatusCode::FORBIDDEN),
            Self::BadInput(_) => ("BAD_USER_INPUT", StatusCode::BAD_REQUEST),
            Self::Conflict(_) => ("CONFLICT", StatusCode::CONFLICT),
            Self::Db(_) | Self::Unexpected(_) => ("INTERNAL", StatusCode::INTERNAL_SERVER_ERROR),
        }
    }

    /// The message shown to clients: internal errors are logged with their chain and hidden.
    pub fn public_message(&self) -> String {
        match self {
            Self::Db(_) | Self::Unexpected(_) => {
                tracing::error!(error = ?self, "internal error");
                "internal error".to_owned()
            }
            other => other.to_string(),
        }
    }
}

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        let code = self.code().0;
        async_graphql::Error::new(self.public_message()).extend_with(|_, e| e.set("code", code))
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.code().1
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code())
            .json(serde_json::json!({ "code": self.code().0, "message": self.public_message() }))
    }
}

/// Converts any error that becomes an [`AppError`] into a GraphQL error with `extensions.code`.
pub trait GqlResult<T> {
    /// Maps the error into an `async_graphql::Error` carrying its code.
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T, E: Into<AppError>> GqlResult<T> for Result<T, E> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|e| e.into().extend())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_hide_their_details() {
        let e = AppError::from(DbErr::Custom("secret table name".into()));
        assert_eq!(e.code().0, "INTERNAL");
        assert_eq!(e.public_message(), "internal error");
    }

    #[test]
    fn shared_loader_errors_keep_their_code() {
        let shared = Arc::new(AppError::from(DbErr::Custom("x".into())));
        let _other_caller = shared.clone();
        assert_eq!(AppError::from(shared).code().0, "INTERNAL");
        let alone = Arc::new(AppError::NotFound("movie"));
        assert_eq!(AppError::from(alone).code().0, "NOT_FOUND");
    }

    #[test]
    fn user_errors_keep_their_message_and_code() {
        let e = AppError::bad_input("score must be between 0.5 and 5");
        assert_eq!(e.code(), ("BAD_USER_INPUT", StatusCode::BAD_REQUEST));
        assert!(e.public_message().contains("score"));
    }
}
