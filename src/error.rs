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
    /// A transient failure (the database busy, the pool exhausted, a serialisation conflict):
    /// nothing was written, and the same request may succeed if retried.
    #[error("the service is busy; retry shortly")]
    Unavailable(Arc<DbErr>),
    /// Too many attempts (sign-ins, training runs): wait this long before the next.
    #[error("too many attempts; retry in {} s", .0.as_secs().max(1))]
    RateLimited(std::time::Duration),
    #[error(transparent)]
    Db(#[from] Arc<DbErr>),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<DbErr> for AppError {
    fn from(e: DbErr) -> Self {
        if is_transient(&e) {
            Self::Unavailable(Arc::new(e))
        } else {
            Self::Db(Arc::new(e))
        }
    }
}

/// Whether a database error is worth retrying: the database or the pool was busy, or the
/// transaction lost a race. Such a failure rolled back whatever it was doing.
pub fn is_transient(e: &DbErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    use sea_orm::RuntimeErr;
    let sqlx = match e {
        DbErr::ConnectionAcquire(_) => return true,
        DbErr::Conn(RuntimeErr::SqlxError(s))
        | DbErr::Exec(RuntimeErr::SqlxError(s))
        | DbErr::Query(RuntimeErr::SqlxError(s)) => s,
        _ => return false,
    };
    match sqlx.as_ref() {
        Sqlx::PoolTimedOut | Sqlx::PoolClosed | Sqlx::Io(_) | Sqlx::WorkerCrashed => true,
        Sqlx::Database(d) => matches!(
            d.code().as_deref(),
            // SQLite: SQLITE_BUSY and its extended codes (5, 261, 517, 773), SQLITE_LOCKED (6, 262).
            Some("5" | "261" | "517" | "773" | "6" | "262")
            // PostgreSQL: serialization failure, deadlock, lock not available, too many
            // connections, the server starting up or shutting down.
            | Some("40001" | "40P01" | "55P03" | "53300" | "57P03" | "57P01")
        ),
        _ => false,
    }
}

/// How long a client should wait before retrying an UNAVAILABLE answer, in milliseconds.
pub const RETRY_AFTER_MS: u64 = 200;

/// Logs a transient failure at most once a second (with the number of others since), so a
/// burst of contention cannot flood the log.
fn log_transient(e: &DbErr) {
    use std::sync::atomic::{AtomicU64, Ordering};
    static LAST_SECOND: AtomicU64 = AtomicU64::new(0);
    static SUPPRESSED: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let last = LAST_SECOND.load(Ordering::Relaxed);
    if now > last
        && LAST_SECOND
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    {
        let suppressed = SUPPRESSED.swap(0, Ordering::Relaxed);
        tracing::warn!(error = %e, suppressed, "transient database failure (answered UNAVAILABLE)");
    } else {
        SUPPRESSED.fetch_add(1, Ordering::Relaxed);
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
            Self::Unavailable(e) => Self::Unavailable(e.clone()),
            Self::RateLimited(d) => Self::RateLimited(*d),
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

    /// Whether retrying the same request may succeed (UNAVAILABLE, RATE_LIMITED).
    pub fn is_retryable(&self) -> bool {
        self.retry_after_ms().is_some()
    }

    /// How long to wait before retrying, when retrying may succeed.
    pub fn retry_after_ms(&self) -> Option<u64> {
        match self {
            Self::Unavailable(_) => Some(RETRY_AFTER_MS),
            Self::RateLimited(d) => Some((d.as_millis() as u64).max(1)),
            _ => None,
        }
    }

    /// The stable code and HTTP status of this error.
    pub fn code(&self) -> (&'static str, StatusCode) {
        match self {
            Self::NotFound(_) => ("NOT_FOUND", StatusCode::NOT_FOUND),
            Self::Unauthenticated => ("UNAUTHENTICATED", StatusCode::UNAUTHORIZED),
            Self::Forbidden => ("FORBIDDEN", StatusCode::FORBIDDEN),
            Self::BadInput(_) => ("BAD_USER_INPUT", StatusCode::BAD_REQUEST),
            Self::Conflict(_) => ("CONFLICT", StatusCode::CONFLICT),
            Self::Unavailable(_) => ("UNAVAILABLE", StatusCode::SERVICE_UNAVAILABLE),
            Self::RateLimited(_) => ("RATE_LIMITED", StatusCode::TOO_MANY_REQUESTS),
            Self::Db(_) | Self::Unexpected(_) => ("INTERNAL", StatusCode::INTERNAL_SERVER_ERROR),
        }
    }

    /// The message shown to clients: internal errors are logged with their chain and hidden.
    pub fn public_message(&self) -> String {
        match self {
            Self::Unavailable(e) => {
                log_transient(e);
                self.to_string()
            }
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
        let retry_after = self.retry_after_ms();
        async_graphql::Error::new(self.public_message()).extend_with(|_, e| {
            e.set("code", code);
            if let Some(ms) = retry_after {
                e.set("retryable", true);
                e.set("retryAfterMs", ms);
            }
        })
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.code().1
    }

    fn error_response(&self) -> HttpResponse {
        let mut r = HttpResponse::build(self.status_code());
        if let Some(ms) = self.retry_after_ms() {
            let secs = ms.div_ceil(1000).max(1).to_string();
            r.insert_header((actix_web::http::header::RETRY_AFTER, secs));
        }
        r.json(serde_json::json!({ "code": self.code().0, "message": self.public_message() }))
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
    fn a_busy_pool_is_a_retryable_unavailable_error() {
        let e = AppError::from(DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout));
        assert_eq!(e.code(), ("UNAVAILABLE", StatusCode::SERVICE_UNAVAILABLE));
        assert!(e.is_retryable());
        let g = e.extend();
        let ext = g.extensions.expect("extensions");
        assert_eq!(
            ext.get("retryable"),
            Some(&async_graphql::Value::from(true))
        );
        assert!(!AppError::from(DbErr::Custom("x".into())).is_retryable());
    }

    #[test]
    fn user_errors_keep_their_message_and_code() {
        let e = AppError::bad_input("score must be between 0.5 and 5");
        assert_eq!(e.code(), ("BAD_USER_INPUT", StatusCode::BAD_REQUEST));
        assert!(e.public_message().contains("score"));
    }
}
