//! Health, readiness, the OpenAPI document, the queue, vulnerabilities and
//! the audit trail.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::response::IntoResponse;
use kensa_app::queue::QueueFilter;
use serde_json::{Value, json};

use crate::extract::{ApiUser, Params};
use crate::problem::ApiError;
use crate::state::AppState;

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "system",
    responses((status = 200, description = "The process is alive")))]
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// Readiness: the database answers with the schema this build knows.
#[utoipa::path(get, path = "/readyz", tag = "system",
    responses((status = 200, description = "Ready to serve"),
              (status = 503, description = "The database is unavailable")))]
pub async fn readyz(State(state): State<Arc<AppState>>) -> Result<Json<Value>, ApiError> {
    let imports = state
        .pool
        .run(|store| store.latest_import())
        .await?
        .map_err(|e| ApiError::unavailable(format!("the database does not answer: {e}")))?;
    Ok(Json(json!({"status": "ready", "latest_import": imports})))
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "system",
    responses((status = 200, description = "The OpenAPI 3 description of this API")))]
pub async fn openapi() -> impl IntoResponse {
    Json(crate::openapi::document())
}

/// The portfolio's backlog the caller may see, most urgent first.
#[utoipa::path(get, path = "/api/v1/queue", tag = "portfolio",
    params(
        ("product" = Option<String>, Query, description = "Only this product (repeatable)"),
        ("min_priority" = Option<u8>, Query, description = "Only findings with at least this priority (0-100)"),
        ("decision" = Option<String>, Query, description = "Only these SSVC decisions (repeatable or comma-separated)"),
        ("kev" = Option<bool>, Query, description = "Only known-exploited vulnerabilities"),
        ("vulnerability" = Option<String>, Query, description = "Only this vulnerability"),
        ("limit" = Option<usize>, Query, description = "Items per page, 1-1000 (default 100)"),
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page"),
    ),
    responses((status = 200, description = "{items, next_cursor}"), (status = 401), (status = 404), (status = 422)),
    security(("bearer" = [])))]
pub async fn queue(
    State(state): State<Arc<AppState>>,
    ApiUser(actor): ApiUser,
    RawQuery(query): RawQuery,
) -> Result<impl IntoResponse, ApiError> {
    let p = Params::from_query(
        query.as_deref(),
        &[
            "product",
            "min_priority",
            "decision",
            "kev",
            "vulnerability",
            "limit",
            "cursor",
        ],
    )?;
    let filter = QueueFilter {
        products: p.values("product"),
        min_priority: p
            .parse("min_priority", "a priority from 0 to 100")?
            .unwrap_or(0),
        decisions: p.all("decision"),
        kev_only: p.flag("kev")?.unwrap_or(false),
        vulnerability: p.get("vulnerability").map(str::to_string),
    };
    let limit = p.parse("limit", "a number")?;
    let cursor = p.get("cursor").map(str::to_string);
    let page = state
        .pool
        .run(move |store| kensa_app::queue::page(store, &actor, &filter, cursor.as_deref(), limit))
        .await??;
    Ok(Json(page))
}

/// Everything known about a vulnerability, and which source said what.
#[utoipa::path(get, path = "/api/v1/vulnerabilities/{id}", tag = "vulnerabilities",
    params(("id" = String, Path, description = "CVE-…, GHSA-… or any alias")),
    responses((status = 200), (status = 401), (status = 404)),
    security(("bearer" = [])))]
pub async fn vulnerability(
    State(state): State<Arc<AppState>>,
    ApiUser(_actor): ApiUser,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let view = state
        .pool
        .run(move |store| store.vuln(&id).map(|v| (id, v)))
        .await?;
    match view {
        Ok((_, Some(v))) => Ok(Json(serde_json::to_value(v).unwrap_or(Value::Null))),
        Ok((id, None)) => Err(ApiError::not_found(format!("{id} is not in the database"))),
        Err(e) => Err(kensa_app::AppError::from(e).into()),
    }
}

/// The vulnerability's trigger conditions as a checklist.
#[utoipa::path(get, path = "/api/v1/vulnerabilities/{id}/checklist", tag = "vulnerabilities",
    params(("id" = String, Path), ("lang" = Option<String>, Query, description = "en (default) or ja")),
    responses((status = 200), (status = 401), (status = 404), (status = 422)),
    security(("bearer" = [])))]
pub async fn checklist(
    State(state): State<Arc<AppState>>,
    ApiUser(_actor): ApiUser,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<impl IntoResponse, ApiError> {
    let p = Params::from_query(query.as_deref(), &["lang"])?;
    let lang = kensa_app::assessments::lang(p.get("lang"))?;
    let list = state
        .pool
        .run(move |store| kensa_app::assessments::checklist(store, &id, lang))
        .await??;
    Ok(Json(list))
}

/// Every write, newest first: all of it for global admins, a product's
/// part (`?product=`) for its admins.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit",
    params(("product" = Option<String>, Query), ("limit" = Option<usize>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, description = "{items, next_cursor}"), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn audit(
    State(state): State<Arc<AppState>>,
    ApiUser(actor): ApiUser,
    RawQuery(query): RawQuery,
) -> Result<impl IntoResponse, ApiError> {
    let p = Params::from_query(query.as_deref(), &["product", "limit", "cursor"])?;
    let product = p.get("product").map(str::to_string);
    let limit = p.parse("limit", "a number")?;
    let cursor = p.get("cursor").map(str::to_string);
    let page = state
        .pool
        .run(move |store| {
            kensa_app::audit::read(store, &actor, product.as_deref(), cursor.as_deref(), limit)
        })
        .await??;
    Ok(Json(page))
}
