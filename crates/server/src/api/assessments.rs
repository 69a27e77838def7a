//! Assessments: the product's verdict on a vulnerability (saved with
//! optimistic concurrency: `ETag` / `If-Match`), approval, history, VEX.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kensa_app::assessments::{AssessmentView, SaveAssessment};
use serde::Deserialize;
use serde_json::Value;

use crate::extract::{ApiUser, JsonBody, Params, read_body};
use crate::problem::ApiError;
use crate::state::AppState;

/// The body of a save: answers as an answers file has them.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessmentBody {
    /// Condition id → `yes` / `no` / `unknown`, or
    /// `{"answer": …, "note": …, "evidence": …}`.
    #[schema(value_type = Object)]
    answers: Value,
    /// Why, in the analyst's words.
    #[serde(default)]
    note: Option<String>,
}

/// `If-Match: "N"` → N; `*` or absent → none.
fn if_match(headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    let Some(v) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = v.to_str().unwrap_or("").trim();
    if text == "*" {
        return Ok(None);
    }
    text.trim_start_matches("W/")
        .trim_matches('"')
        .parse::<i64>()
        .map(Some)
        .map_err(|_| {
            ApiError::invalid(
                "If-Match",
                format!("`{text}` is not an ETag this API gave (a quoted revision number)"),
            )
        })
}

fn with_etag(view: AssessmentView, status: StatusCode) -> Response {
    let etag = format!("\"{}\"", view.version);
    let mut r = (status, Json(view)).into_response();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        r.headers_mut().insert(header::ETAG, v);
    }
    r
}

/// Saves the answers as the product's assessment of the vulnerability and
/// answers with the verdict and its logical basis.
#[utoipa::path(put, path = "/api/v1/products/{name}/assessments/{vuln}", tag = "assessments",
    params(("name" = String, Path), ("vuln" = String, Path),
           ("If-Match" = Option<String>, Header, description = "The ETag of the revision the change is based on")),
    request_body = AssessmentBody,
    responses((status = 200, description = "{verdict, basis, version, …} with an ETag"),
              (status = 400), (status = 401), (status = 403), (status = 404), (status = 412),
              (status = 413), (status = 415), (status = 422)),
    security(("bearer" = [])))]
pub async fn put(
    State(state): State<Arc<AppState>>,
    ApiUser(actor): ApiUser,
    Path((name, vuln)): Path<(String, String)>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<AssessmentBody>,
) -> Result<Response, ApiError> {
    let req = SaveAssessment {
        answers: body.answers,
        note: body.note,
        expected_revision: if_match(&headers)?,
    };
    let view = state
        .pool
        .run(move |store| kensa_app::assessments::save(store, &actor, &name, &vuln, &req))
        .await??;
    Ok(with_etag(view, StatusCode::OK))
}

/// The product's current assessment of the vulnerability.
#[utoipa::path(get, path = "/api/v1/products/{name}/assessments/{vuln}", tag = "assessments",
    params(("name" = String, Path), ("vuln" = String, Path)),
    responses((status = 200, description = "With an ETag"), (status = 401), (status = 404)),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<Arc<AppState>>,
    ApiUser(actor): ApiUser,
    Path((name, vuln)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let view = state
        .pool
        .run(move |store| kensa_app::assessments::get(store, &actor, &name, &vuln))
        .await??;
    Ok(with_etag(view, StatusCode::OK))
}

/// Approves the current revision (the approver role); with `If-Match`,
/// only if it is still that revision.
#[utoipa::path(post, path = "/api/v1/products/{name}/assessments/{vuln}/approve", tag = "assessments",
    params(("name" = String, Path), ("vuln" = String, Path),
           ("If-Match" = Option<String>, Header)),
    responses((status = 200), (status = 401), (status = 403), (status = 404), (status = 409), (status = 412)),
    security(("bearer" = [])))]
pub async fn approve(
    State(state): State<Arc<AppState>>,
    ApiUser(actor): ApiUser,
    Path((name, vuln)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    // The body carries nothing; an empty one or `{}` are both fine.
    let bytes = read_body(body, state.config.max_body).await?;
    if !bytes.iter().all(u8::is_ascii_whitespace) {
        let _: serde_json::Map<String, Value> = crate::extract::parse_json(&bytes)?;
    }
    let expected = if_match(&headers)?;
    let view = state
        .pool
        .run(move |store| kensa_app::assessments::approve(store, &actor, &name, &vuln, expected))
        .await??;
    Ok(with_etag(view, StatusCode::OK))
}

/// Every revision and approval of the assessment, newest first.
#[utoipa::path(get, path = "/api/v1/products/{name}/assessments/{vuln}/history", tag = "assessments",
    params(("name" = String, Path), ("vuln" = String, Path)),
    responses((status = 200), (status = 401), (status = 404)),
    security(("bearer" = [])))]
pub async fn history(
    State(state): State<Arc<AppState>>,
    ApiUser(actor): ApiUser,
    Path((name, vuln)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let rows = state
        .pool
        .run(move |store| kensa_app::assessments::history(store, &actor, &name, &vuln))
        .await??;
    Ok(Json(rows).into_response())
}

/// The product's stored verdicts as one VEX document: `status=final`
/// (default; approver role) states approved verdicts, `status=draft` every
/// current one.
#[utoipa::path(get, path = "/api/v1/products/{name}/vex", tag = "assessments",
    params(("name" = String, Path),
           ("format" = Option<String>, Query, description = "openvex (default), cyclonedx or csaf"),
           ("status" = Option<String>, Query, description = "final (default) or draft")),
    responses((status = 200), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
pub async fn vex(
    State(state): State<Arc<AppState>>,
    ApiUser(actor): ApiUser,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::from_query(query.as_deref(), &["format", "status"])?;
    let format = kensa_app::vex::format(p.get("format"))?;
    let final_doc = match p.get("status").unwrap_or("final") {
        "final" => true,
        "draft" => false,
        other => {
            return Err(ApiError::invalid(
                "status",
                format!("`{other}` is not a document status; use final or draft"),
            ));
        }
    };
    let publisher = state.config.publisher.clone();
    let product = name.clone();
    let doc = state
        .pool
        .run(move |store| {
            kensa_app::vex::product_vex(store, &actor, &name, format, final_doc, &publisher)
        })
        .await??;
    Ok(vex_download(
        &product,
        p.get("format").unwrap_or("openvex"),
        &doc,
    ))
}

/// A VEX document as a download.
pub fn vex_download(product: &str, format: &str, doc: &Value) -> Response {
    let file: String = product
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let body = serde_json::to_vec_pretty(doc).unwrap_or_default();
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{file}.{format}.vex.json\""
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}
