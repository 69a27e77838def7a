//! Errors as RFC 9457 problem details (`application/problem+json`), with
//! the field at fault named where there is one.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kensa_app::AppError;
use serde::Serialize;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub detail: String,
    /// The field, parameter or header at fault.
    pub field: Option<String>,
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'a str,
    status: u16,
    detail: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl ApiError {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> ApiError {
        ApiError {
            status,
            detail: detail.into(),
            field: None,
        }
    }

    pub fn field(
        status: StatusCode,
        field: impl Into<String>,
        detail: impl Into<String>,
    ) -> ApiError {
        ApiError {
            status,
            detail: detail.into(),
            field: Some(field.into()),
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, detail)
    }

    pub fn invalid(field: impl Into<String>, detail: impl Into<String>) -> ApiError {
        let field = field.into();
        let detail = format!("{field}: {}", detail.into());
        ApiError::field(StatusCode::UNPROCESSABLE_ENTITY, field, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, detail)
    }

    pub fn unauthenticated(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, detail)
    }

    pub fn unavailable(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, detail)
    }

    pub fn internal(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, detail)
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> ApiError {
        match e {
            AppError::NotFound(m) => ApiError::not_found(m),
            AppError::Forbidden(m) => ApiError::new(StatusCode::FORBIDDEN, m),
            AppError::Unauthenticated(m) => ApiError::unauthenticated(m),
            AppError::Invalid { field, message } => ApiError::invalid(field, message),
            AppError::BadInput(m) => ApiError::bad_request(m),
            AppError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, m),
            e @ AppError::Stale { .. } => {
                ApiError::field(StatusCode::PRECONDITION_FAILED, "If-Match", e.to_string())
            }
            AppError::Store(e) => store_error(e),
        }
    }
}

/// A database that is busy, locked or gone is unavailable (retry later);
/// anything else is the server's fault.
fn store_error(e: kensa_store::StoreError) -> ApiError {
    if e.is_transient() {
        ApiError::unavailable(format!("the database is unavailable: {e}"))
    } else {
        eprintln!("kensa serve: internal error: {e}");
        ApiError::internal("internal error; the server's log has the details")
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.status, self.detail)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Problem {
            kind: "about:blank",
            title: self.status.canonical_reason().unwrap_or("Error"),
            status: self.status.as_u16(),
            detail: &self.detail,
            field: self.field.as_deref(),
        };
        let json = serde_json::to_vec(&body).unwrap_or_default();
        let mut response = (self.status, json).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"kensa\""),
            );
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }
}
