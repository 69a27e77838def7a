//! Alerts from network sensors (`kensa ot monitor --server`).

use std::sync::Arc;

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::response::IntoResponse;
use serde_json::{Value, json};

use crate::extract::{ApiUser, JsonBody, Params};
use crate::problem::ApiError;
use crate::state::AppState;

/// Stores a sensor's alerts (a JSON array of alerts as `kensa ot monitor`
/// writes them; new ones added, known ones updated). Needs a global
/// analyst grant.
#[utoipa::path(post, path = "/api/v1/alerts", tag = "monitoring",
    params(("sensor" = String, Query, description = "The sensor's name (letters, digits, . _ - : @)")),
    request_body(content = Object, description = "A JSON array of alerts", content_type = "application/json"),
    responses((status = 200, description = "{stored, new, updated}"), (status = 400), (status = 401),
              (status = 403), (status = 413), (status = 415), (status = 422)),
    security(("bearer" = [])))]
pub async fn receive(
    State(state): State<Arc<AppState>>,
    ApiUser(actor): ApiUser,
    RawQuery(query): RawQuery,
    JsonBody(alerts): JsonBody<Value>,
) -> Result<impl IntoResponse, ApiError> {
    let p = Params::from_query(query.as_deref(), &["sensor"])?;
    let sensor = p
        .get("sensor")
        .ok_or_else(|| ApiError::invalid("sensor", "name the sensor: ?sensor=NAME"))?
        .to_string();
    let n = alerts.as_array().map_or(0, Vec::len);
    let (new, updated) = state
        .pool
        .run(move |store| kensa_app::alerts::receive(store, &actor, &sensor, &alerts))
        .await??;
    Ok(Json(json!({"stored": n, "new": new, "updated": updated})))
}

/// Alerts, most recently active first. Needs a global grant.
#[utoipa::path(get, path = "/api/v1/alerts", tag = "monitoring",
    params(("severity" = Option<String>, Query, description = "At least this severity: info, low, medium, high, critical"),
           ("sensor" = Option<String>, Query), ("limit" = Option<usize>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, description = "{items, next_cursor}"), (status = 401), (status = 403), (status = 422)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    ApiUser(actor): ApiUser,
    RawQuery(query): RawQuery,
) -> Result<impl IntoResponse, ApiError> {
    let p = Params::from_query(query.as_deref(), &["severity", "sensor", "limit", "cursor"])?;
    let severity = p.get("severity").map(str::to_string);
    let sensor = p.get("sensor").map(str::to_string);
    let limit = p.parse("limit", "a number")?;
    let cursor = p.get("cursor").map(str::to_string);
    let page = state
        .pool
        .run(move |store| {
            kensa_app::alerts::list(
                store,
                &actor,
                severity.as_deref(),
                sensor.as_deref(),
                cursor.as_deref(),
                limit,
            )
        })
        .await??;
    Ok(Json(page))
}
