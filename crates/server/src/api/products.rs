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
use kensa_app::products::{self, AddVersion};
use kensa_store::Store;
use kensa_store::team::JobState;
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

/// Checks the upload, records a job and runs it in the background (one
/// scan at a time). Returns the job id and a receiver for its outcome.
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
    // Refuse what cannot succeed before taking the job: names, rights.
    let check_actor = actor.clone();
    let (product, team) = (upload.product.clone(), upload.team.clone());
    let version = upload.version.clone();
    let job = state
        .pool
        .run(move |store| -> Result<i64, kensa_app::AppError> {
            products::check_label("product", &product)?;
            products::check_label("version", &version)?;
            products::authorise_add(store, &check_actor, &product, team.as_deref())?;
            let product_id = store.product_ref(&product)?.map(|p| p.id);
            Ok(store.create_job("sbom-upload", product_id, &check_actor.name)?)
        })
        .await??;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let state = state.clone();
    tokio::spawn(async move {
        let _one_at_a_time = state.scan_lock.lock().await;
        let pool = state.pool.clone();
        let outcome = state
            .pool
            .run(move |store| run_upload(store, &pool, job, &actor, &upload))
            .await
            .and_then(|r| r.map_err(ApiError::from));
        let _ = tx.send(outcome);
    });
    Ok((job, rx))
}

fn run_upload(
    store: &mut Store,
    pool: &crate::pool::Pool,
    job: i64,
    actor: &Actor,
    upload: &Upload,
) -> Result<kensa_app::products::Added, kensa_app::AppError> {
    store.update_job(job, JobState::Running, None)?;
    // Progress goes through a connection of its own: the scan holds this one.
    let progress_store = std::sync::Mutex::new(pool.open_extra().ok());
    let progress = |p: kensa_app::products::Progress| {
        if let Ok(guard) = progress_store.lock()
            && let Some(s) = guard.as_ref()
        {
            let _ = s.update_job(job, JobState::Running, Some(&json!(p)));
        }
    };
    let new = AddVersion {
        product: &upload.product,
        version: &upload.version,
        sbom: &upload.sbom,
        origin: &upload.origin,
        team: upload.team.as_deref(),
        replace: upload.replace,
        strict: upload.strict,
        parsed: None,
    };
    let result = products::add_version(store, actor, &new, true, &progress);
    match &result {
        Ok(added) => {
            let summary = json!({"product": added.product, "version": added.version,
                "components": added.components, "new_components": added.new_components,
                "warnings": added.warnings});
            store.finish_job(job, Ok(&summary))?;
        }
        Err(e) => store.finish_job(job, Err(&e.to_string()))?,
    }
    result
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
