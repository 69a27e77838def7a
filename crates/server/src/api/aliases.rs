//! The team's aliases ("components named X are the CPE product V:P"), as
//! `kensa alias add|list|remove` and the web UI's "this is the same
//! product" keep them. Reading needs any grant; adding and removing a
//! global analyst grant (an alias changes every product's findings).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kensa_app::aliases::{self, AliasRequest};
use kensa_app::{AppError, Page};
use serde::Deserialize;

use crate::extract::{ApiUser, JsonBody, Params};
use crate::problem::ApiError;
use crate::state::AppState;

/// A new alias. `component`, `vendor` and `product` are required; the
/// product must be one the database knows.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AliasBody {
    /// The component's name as SBOMs write it (`lightttpd`, `ssh-server`).
    #[schema(required = true, value_type = String)]
    #[serde(default)]
    component: Option<String>,
    /// The CPE vendor (`lighttpd`).
    #[schema(required = true, value_type = String)]
    #[serde(default)]
    vendor: Option<String>,
    /// The CPE product (`lighttpd`).
    #[schema(required = true, value_type = String)]
    #[serde(default)]
    product: Option<String>,
    /// Only components whose purl has this type (`deb`, `rpm`, `generic`).
    #[serde(default)]
    purl_type: Option<String>,
    /// Why, in the team's words; cited in each finding's evidence.
    #[serde(default)]
    note: Option<String>,
}

/// A required field of the body (serde would only name the body).
fn required(field: &str, value: Option<String>) -> Result<String, ApiError> {
    value.ok_or_else(|| ApiError::invalid(field, "is required"))
}

/// An id in a path: one that is not a number names no alias.
fn alias_id(id: &str) -> Result<i64, ApiError> {
    id.parse()
        .map_err(|_| ApiError::not_found(format!("no alias {id}")))
}

/// `?rescan=false` leaves the findings to a later rescan (`kensa portfolio
/// rescan`), as `--no-rescan` does.
fn rescan_wanted(query: Option<&str>) -> Result<bool, ApiError> {
    Ok(Params::from_query(query, &["rescan"])?
        .flag("rescan")?
        .unwrap_or(true))
}

/// Brings every product's findings up to date with the aliases, one scan
/// at a time on this node (as uploads run). The change itself is stored
/// already, which a failure says.
async fn rescan(state: &Arc<AppState>, done: &str) -> Result<(), ApiError> {
    let _one_at_a_time = state.scan_lock.lock().await;
    let outcome = state
        .pool
        .run(kensa_app::products::rescan_portfolio)
        .await
        .and_then(|r| r.map_err(ApiError::from));
    outcome.map(drop).map_err(|mut e| {
        e.detail = format!(
            "{done}, but rescanning the products failed ({}); `kensa portfolio rescan` brings the findings up to date",
            e.detail
        );
        e
    })
}

/// Every alias, by component name (one page: the team's aliases are few).
#[utoipa::path(get, path = "/api/v1/aliases", tag = "matching",
    responses((status = 200, description = "{items, next_cursor}: id, component, purl_type, vendor, product, note, created_by, created_at"),
              (status = 401), (status = 403)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    ApiUser(actor): ApiUser,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    Params::from_query(query.as_deref(), &[])?;
    let items = state
        .pool
        .run(move |store| aliases::list(store, &actor))
        .await??;
    let page = Page {
        items,
        next_cursor: None,
    };
    Ok(Json(page).into_response())
}

/// One alias.
#[utoipa::path(get, path = "/api/v1/aliases/{id}", tag = "matching",
    params(("id" = i64, Path)),
    responses((status = 200), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<Arc<AppState>>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = alias_id(&id)?;
    let row = state
        .pool
        .run(move |store| aliases::get(store, &actor, id))
        .await??;
    Ok(Json(row).into_response())
}

/// Confirms that components of a name are a product (audited as
/// `alias.add`), then rescans the stored products so that their findings
/// use it. Needs a global analyst grant.
#[utoipa::path(post, path = "/api/v1/aliases", tag = "matching",
    params(("rescan" = Option<bool>, Query, description = "false: leave the findings to a later rescan (default true)")),
    request_body = AliasBody,
    responses((status = 201, description = "The stored alias, with its URL in Location"),
              (status = 400), (status = 401), (status = 403), (status = 409, description = "The same alias exists"),
              (status = 413), (status = 415), (status = 422)),
    security(("bearer" = [])))]
pub async fn add(
    State(state): State<Arc<AppState>>,
    ApiUser(actor): ApiUser,
    RawQuery(query): RawQuery,
    JsonBody(body): JsonBody<AliasBody>,
) -> Result<Response, ApiError> {
    let rescan_after = rescan_wanted(query.as_deref())?;
    let component = required("component", body.component)?;
    let vendor = required("vendor", body.vendor)?;
    let product = required("product", body.product)?;
    let target = aliases::target_of(&vendor, &product)?;
    let row = state
        .pool
        .run(move |store| {
            let req = AliasRequest {
                component: &component,
                target: &target,
                purl_type: body.purl_type.as_deref(),
                note: body.note.as_deref(),
            };
            aliases::add(store, &actor, &req).map_err(target_is_product)
        })
        .await??;
    if rescan_after {
        rescan(&state, &format!("alias {} is stored", row.id)).await?;
    }
    let location = format!("/api/v1/aliases/{}", row.id);
    let mut r = (StatusCode::CREATED, Json(row)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    Ok(r)
}

/// The body has no `target`: what the use case says of the vendor:product
/// pair (that the database names no such product) is said of `product`.
fn target_is_product(e: AppError) -> AppError {
    match e {
        AppError::Invalid { field, message } if field == "target" => AppError::Invalid {
            field: "product".into(),
            message,
        },
        e => e,
    }
}

/// Removes an alias (audited as `alias.remove`), then rescans the stored
/// products. Needs a global analyst grant.
#[utoipa::path(delete, path = "/api/v1/aliases/{id}", tag = "matching",
    params(("id" = i64, Path),
           ("rescan" = Option<bool>, Query, description = "false: leave the findings to a later rescan (default true)")),
    responses((status = 204, description = "Removed"), (status = 401), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
pub async fn remove(
    State(state): State<Arc<AppState>>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let id = alias_id(&id)?;
    let rescan_after = rescan_wanted(query.as_deref())?;
    state
        .pool
        .run(move |store| aliases::remove(store, &actor, id))
        .await??;
    if rescan_after {
        rescan(&state, &format!("alias {id} is removed")).await?;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
