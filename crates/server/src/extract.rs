//! What handlers take from a request: the actor behind a token, the
//! client's address, query parameters and JSON bodies, each refused with a
//! problem that names what is wrong.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request, State};
use axum::http::{HeaderMap, StatusCode, header, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kensa_app::Actor;
use serde::de::DeserializeOwned;

use crate::problem::ApiError;
use crate::state::AppState;

/// The client's address: the peer, or with `--trust-proxy` the first
/// address of `X-Forwarded-For`.
#[derive(Debug, Clone)]
pub struct Client(pub Option<String>);

impl FromRequestParts<Arc<AppState>> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        Ok(Client(client_address(parts, state)))
    }
}

pub fn client_address(parts: &Parts, state: &AppState) -> Option<String> {
    if state.config.trust_proxy
        && let Some(forwarded) = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
    {
        return Some(forwarded.trim().chars().take(64).collect());
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
}

/// The user behind `Authorization: Bearer TOKEN`, with their current grants.
pub struct ApiUser(pub Actor);

impl FromRequestParts<Arc<AppState>> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        let token = bearer(&parts.headers)?;
        let client = client_address(parts, state);
        let actor = state
            .pool
            .run(move |store| kensa_app::accounts::authenticate_token(store, &token, client))
            .await??;
        Ok(ApiUser(actor))
    }
}

fn bearer(headers: &HeaderMap) -> Result<String, ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthenticated("this needs an API token: Authorization: Bearer TOKEN (`kensa token create USER` makes one)"))?;
    let value = value
        .to_str()
        .map_err(|_| ApiError::unauthenticated("the Authorization header is not text"))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim().to_string())
        }
        _ => Err(ApiError::unauthenticated(
            "the Authorization header must be `Bearer TOKEN`",
        )),
    }
}

/// Query parameters, checked against the names a route accepts.
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn from_query(query: Option<&str>, allowed: &[&str]) -> Result<Params, ApiError> {
        let pairs: Vec<(String, String)> = match query {
            Some(q) => serde_urlencoded::from_str(q).map_err(|e| {
                ApiError::bad_request(format!("the query string cannot be read: {e}"))
            })?,
            None => Vec::new(),
        };
        if let Some((name, _)) = pairs.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
            return Err(ApiError::invalid(
                name.clone(),
                format!("unknown parameter; this route takes {}", allowed.join(", ")),
            ));
        }
        Ok(Params(pairs))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeatable parameter, as given.
    pub fn values(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Every value of a repeatable parameter, commas splitting too, in
    /// lower case (for keywords).
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .flat_map(|(_, v)| v.split(','))
            .map(|v| v.trim().to_lowercase())
            .filter(|v| !v.is_empty())
            .collect()
    }

    pub fn parse<T: std::str::FromStr>(
        &self,
        name: &str,
        what: &str,
    ) -> Result<Option<T>, ApiError> {
        self.get(name)
            .map(|v| {
                v.trim()
                    .parse()
                    .map_err(|_| ApiError::invalid(name, format!("`{v}` is not {what}")))
            })
            .transpose()
    }

    /// The non-empty given parameters as a query string, for links that
    /// keep a page's filters.
    pub fn kept(&self, names: &[&str]) -> String {
        names
            .iter()
            .filter_map(|k| {
                self.get(k)
                    .filter(|v| !v.is_empty())
                    .and_then(|v| serde_urlencoded::to_string([(k, v)]).ok())
            })
            .collect::<Vec<_>>()
            .join("&")
    }

    pub fn flag(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.get(name).map(str::to_ascii_lowercase).as_deref() {
            None => Ok(None),
            Some("true" | "1" | "yes") => Ok(Some(true)),
            Some("false" | "0" | "no") => Ok(Some(false)),
            Some(v) => Err(ApiError::invalid(
                name,
                format!("`{v}` is not true or false"),
            )),
        }
    }
}

/// A JSON body: `Content-Type: application/json` (415 otherwise), read
/// within the body limit (413), well-formed (400), and of the expected
/// shape (422, naming the field).
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<Arc<AppState>> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &Arc<AppState>) -> Result<Self, ApiError> {
        let json = media_type(req.headers())
            .is_some_and(|ct| ct == "application/json" || ct.ends_with("+json"));
        if !json {
            return Err(ApiError::field(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Content-Type",
                "the body must be JSON: send Content-Type: application/json",
            ));
        }
        let bytes = read_body(req.into_body(), state.config.max_body).await?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// The request's media type, lower case, without parameters.
pub fn media_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
}

/// Parses JSON, telling malformed text (400) from a wrong shape (422).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize(&mut de) {
        Ok(v) => {
            de.end()
                .map_err(|e| ApiError::bad_request(format!("malformed JSON: {e}")))?;
            Ok(v)
        }
        Err(e) => {
            let inner = e.inner();
            if inner.is_syntax() || inner.is_eof() {
                Err(ApiError::bad_request(format!("malformed JSON: {inner}")))
            } else {
                let path = e.path().to_string();
                let field = if path == "." {
                    "body".to_string()
                } else {
                    path
                };
                Err(ApiError::invalid(field, inner.to_string()))
            }
        }
    }
}

/// Reads a body of at most `limit` bytes (413 beyond).
pub async fn read_body(body: Body, limit: usize) -> Result<axum::body::Bytes, ApiError> {
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        let text = e.to_string();
        if text.contains("length limit") {
            too_large(limit)
        } else {
            ApiError::bad_request(format!("the body could not be read: {text}"))
        }
    })
}

pub fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("the body is larger than the server's limit of {limit} bytes (--max-body)"),
    )
}

/// Refuses a request whose declared length is over the limit before any
/// of its body is read.
pub async fn refuse_large_bodies(
    State(state): State<Arc<AppState>>,
    req: Request,
    next: Next,
) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > state.config.max_body as u64) {
        return too_large(state.config.max_body).into_response();
    }
    next.run(req).await
}
