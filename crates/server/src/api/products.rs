//! Products: lists, one product, SBOM uploads (scanned as a job), findings.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kensa_app::Actor;
use kensa_app::findings::{FindingFilter, FindingSort};
use kensa_app::page;
use serde_json::json;

use crate::extract::{ApiUser, Params, read_body};
use crate::problem::ApiError;
use crate::state::AppState;

/// The products the caller may see, with finding counts of their newest
/// version.
#[utoipa::path(get, path = "/api/v1/products", tag = "products",
    params(("limit" = Option<usize>, Query, description = "1-1000 (default 100)"),
           ("cursor" = Option<String>, Query, description = "next_cursor of the previous page")),
    responses((status = 200, description = "{items, next_cursor}"), (status = 401), (status = 422)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    ApiUser(actor): ApiUser,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::from_query(query.as_deref(), &["limit", "cursor"])?;
    let limit = p.parse("limit", "a number")?;
    let after = p
        .get("cursor")
        .map(|c| page::decode_cursor(c, 1).map(|mut v| v.remove(0)))
        .transpose()?;
    let page = state
        .pool
        .run(move |store| kensa_app::products::list(store, &actor, after.as_deref(), limit))
        .await??;
    Ok(Json(page).into_response())
}

/// One product: its team, versions, and finding counts.
#[utoipa::path(get, path = "/api/v1/products/{name}", tag = "products",
    params(("name" = String, Path)),
    responses((status = 200), (status = 401), (status = 404)),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<Arc<AppState>>,
    ApiUser(actor): ApiUser,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let product = state
        .pool
        .run(move |store| kensa_app::products::get(store, &actor, &name))
        .await??;
    Ok(Json(product).into_response())
}

/// Content types an SBOM may come as.
const SBOM_TYPES: &[&str] = &[
    "application/json",
    "application/xml",
    "text/xml",
    "text/plain",
    "text/spdx",
    "application/octet-stream",
];

fn sbom_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let ct = crate::extract::media_type(headers);
    let ok = match &ct {
        None => true,
        Some(ct) => {
            SBOM_TYPES.contains(&ct.as_str()) || ct.ends_with("+json") || ct.ends_with("+xml")
        }
    };
    if ok {
        Ok(())
    } else {
        Err(ApiError::field(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type",
            format!(
                "`{}` is not a content type an SBOM comes as; send the file as is with one of {} (or a +json / +xml type)",
                ct.unwrap_or_default(),
                SBOM_TYPES.join(", ")
            ),
        ))
    }
}

/// Stores the SBOM as a version of the product (created if new) and
/// matches it. Answers 201 with what was found when the scan ends within
/// the server's wait, else 202 with the job to poll.
#[utoipa::path(post, path = "/api/v1/products/{name}/versions/{version}/sbom", tag = "products",
    params(("name" = String, Path), ("version" = String, Path),
           ("team" = Option<String>, Query, description = "Put the product in this team"),
           ("replace" = Option<bool>, Query, description = "Replace a version already stored"),
           ("strict" = Option<bool>, Query, description = "Validate against the SBOM format's schema")),
    request_body(content = String, description = "The SBOM: CycloneDX (JSON, XML) or SPDX 2.2/2.3 (JSON, tag-value)",
                 content_type = "application/json"),
    responses((status = 201, description = "Stored and matched"),
              (status = 202, description = "Stored; matching continues as the job in Location"),
              (status = 400), (status = 401), (status = 403), (status = 404), (status = 409),
              (status = 413), (status = 415), (status = 422)),
    security(("bearer" = [])))]
pub async fn upload_sbom(
    State(state): State<Arc<AppState>>,
    ApiUser(actor): ApiUser,
    Path((name, version)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let p = Params::from_query(query.as_deref(), &["team", "replace", "strict"])?;
    sbom_content_type(&headers)?;
    let upload = Upload {
        product: name,
        version,
        team: p.get("team").map(str::to_string),
        replace: p.flag("replace")?.unwrap_or(false),
        strict: p.flag("strict")?.unwrap_or(false),
        origin: format!("upload by {}", actor.name),
        sbom: read_body(body, state.config.max_body).await?.to_vec(),
    };
    let (job, done) = start_upload(&state, actor, upload).await?;
    match tokio::time::timeout(state.config.upload_wait, done).await {
        Ok(Ok(Ok(added))) => {
            let location = format!("/api/v1/products/{}", added.product);
            let mut r = (
                StatusCode::CREATED,
                Json(json!({"job": job, "added": added})),
            )
                .into_response();
            if let Ok(v) = HeaderValue::from_str(&location) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            Ok(r)
        }
        Ok(Ok(Err(e))) => Err(e),
        Ok(Err(_)) => Err(ApiError::internal("the scan job stopped unexpectedly")),
        Err(_) => {
            let location = format!("/api/v1/jobs/{job}");
            let mut r = (
                StatusCode::ACCEPTED,
                Json(json!({"job": job, "state": "running", "status_url": location})),
            )
                .into_response();
            if let Ok(v) = HeaderValue::from_str(&location) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            Ok(r)
        }
    }
}

/// An SBOM to store as a product version.
pub struct Upload {
    pub product: String,
    pub version: String,
    pub team: Option<String>,
    pub replace: bool,
    pub strict: bool,
    pub origin: String,
    pub sbom: Vec<u8>,
}

type Outcome = Result<kensa_app::products::Added, ApiError>;

/// Checks the upload and records it as a job this node runs at once in
/// the background (one scan at a time); another node finishes it if this
/// one dies. Returns the job id and a receiver for its outcome.
pub(crate) async fn start_upload(
    state: &Arc<AppState>,
    actor: Actor,
    upload: Upload,
) -> Result<(i64, tokio::sync::oneshot::Receiver<Outcome>), ApiError> {
    if upload.sbom.is_empty() {
        return Err(ApiError::bad_request(
            "the body is empty: send the SBOM file as the body",
        ));
    }
    let user_id = actor.user_id.ok_or_else(|| {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "uploads need a signed-in user or a token",
        )
    })?;
    let queued = kensa_app::jobs::Upload {
        product: upload.product,
        version: upload.version,
        team: upload.team,
        replace: upload.replace,
        strict: upload.strict,
        origin: upload.origin,
        user_id,
        user: actor.name.clone(),
        via: actor.via.clone(),
        client: actor.client.clone(),
    };
    let (node, lease, sbom) = (state.node.clone(), state.config.job_lease, upload.sbom);
    let claimed = state
        .pool
        .run(move |store| {
            kensa_app::jobs::enqueue_upload(store, &actor, &queued, &sbom, &node, lease)
        })
        .await??;
    let job = claimed.job.id;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let state = state.clone();
    tokio::spawn(async move {
        let _ = tx.send(crate::jobs::run(&state, claimed).await);
    });
    Ok((job, rx))
}

/// A job: its state, progress, and result or error.
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "products",
    params(("id" = i64, Path)),
    responses((status = 200), (status = 401), (status = 404)),
    security(("bearer" = [])))]
pub async fn job(
    State(state): State<Arc<AppState>>,
    ApiUser(actor): ApiUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::not_found(format!("no job {id}")))?;
    let job = state
        .pool
        .run(move |store| -> Result<_, kensa_app::AppError> {
            let job = store.job(id)?;
            Ok(job.filter(|j| j.created_by == actor.name || actor.is_global_admin()))
        })
        .await??
        .ok_or_else(|| ApiError::not_found(format!("no job {id}")))?;
    Ok(Json(job).into_response())
}

/// Parses the findings filters of a query.
pub fn finding_filter(p: &Params) -> Result<FindingFilter, ApiError> {
    Ok(FindingFilter {
        min_priority: p.parse("min_priority", "a priority from 0 to 100")?,
        kev: p.flag("kev")?,
        decisions: p.all("decision"),
        verdicts: p.all("verdict"),
        sort: p
            .get("sort")
            .map(str::parse::<FindingSort>)
            .transpose()?
            .unwrap_or_default(),
    })
}

/// The product's findings: each as `kensa scan --format json` gives it,
/// with its triage and the stored verdict.
#[utoipa::path(get, path = "/api/v1/products/{name}/findings", tag = "products",
    params(("name" = String, Path),
           ("min_priority" = Option<u8>, Query), ("kev" = Option<bool>, Query),
           ("decision" = Option<String>, Query, description = "SSVC decisions (repeatable or comma-separated)"),
           ("verdict" = Option<String>, Query, description = "affected, not_affected, under_investigation or none"),
           ("sort" = Option<String>, Query, description = "priority (default), vulnerability or component"),
           ("limit" = Option<usize>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, description = "{items, next_cursor}"), (status = 401), (status = 404), (status = 422)),
    security(("bearer" = [])))]
pub async fn findings(
    State(state): State<Arc<AppState>>,
    ApiUser(actor): ApiUser,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::from_query(
        query.as_deref(),
        &[
            "min_priority",
            "kev",
            "decision",
            "verdict",
            "sort",
            "limit",
            "cursor",
        ],
    )?;
    let filter = finding_filter(&p)?;
    let limit = p.parse("limit", "a number")?;
    let cursor = p.get("cursor").map(str::to_string);
    let page = state
        .pool
        .run(move |store| {
            kensa_app::findings::findings_page(
                store,
                &actor,
                &name,
                &filter,
                cursor.as_deref(),
                limit,
            )
        })
        .await??;
    Ok(Json(page).into_response())
}
