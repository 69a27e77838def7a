//! SBOM uploads from the browser and the job page that follows the scan.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::{Nav, Tr, WebError, WebUser, html};
use crate::api::products::{Upload, start_upload};
use crate::problem::ApiError;
use crate::state::AppState;

/// Reads an upload form: the SBOM file and its fields.
async fn read_upload_form(
    user: &WebUser,
    mut form: Multipart,
    back: &str,
) -> Result<(BTreeMap<String, String>, Vec<u8>), WebError> {
    let mut fields = BTreeMap::new();
    let mut sbom = Vec::new();
    while let Some(field) = form.next_field().await.map_err(|e| {
        user.fail(
            ApiError::bad_request(format!("the upload could not be read: {e}")),
            back,
        )
    })? {
        let name = field.name().unwrap_or("").to_string();
        if name == "sbom" {
            sbom = field
                .bytes()
                .await
                .map_err(|e| {
                    user.fail(
                        ApiError::bad_request(format!("the file could not be read: {e}")),
                        back,
                    )
                })?
                .to_vec();
        } else {
            let text = field.text().await.map_err(|e| {
                user.fail(ApiError::bad_request(format!("field {name}: {e}")), back)
            })?;
            fields.insert(name, text);
        }
    }
    user.check_csrf(fields.get("csrf").map(String::as_str))?;
    if sbom.is_empty() {
        return Err(user.fail(
            ApiError::invalid("sbom", "choose an SBOM file to upload"),
            back,
        ));
    }
    Ok((fields, sbom))
}

async fn upload(
    state: &Arc<AppState>,
    user: &WebUser,
    product: String,
    fields: &BTreeMap<String, String>,
    sbom: Vec<u8>,
    back: &str,
) -> Result<Response, WebError> {
    let upload = Upload {
        product,
        version: fields
            .get("version")
            .cloned()
            .unwrap_or_default()
            .trim()
            .to_string(),
        team: fields.get("team").filter(|t| !t.is_empty()).cloned(),
        replace: fields.get("replace").is_some_and(|v| v == "true"),
        strict: false,
        origin: format!("web upload by {}", user.actor.name),
        sbom,
    };
    let (job, _) = start_upload(state, user.actor.clone(), upload)
        .await
        .map_err(|e| user.fail(e, back))?;
    Ok(Redirect::to(&format!("/jobs/{job}")).into_response())
}

pub async fn upload_version(
    State(state): State<Arc<AppState>>,
    user: WebUser,
    Path(name): Path<String>,
    form: Multipart,
) -> Result<Response, WebError> {
    let back = format!("/products/{}", super::session::urlencode(&name));
    let (fields, sbom) = read_upload_form(&user, form, &back).await?;
    upload(&state, &user, name, &fields, sbom, &back).await
}

pub async fn upload_new(
    State(state): State<Arc<AppState>>,
    user: WebUser,
    form: Multipart,
) -> Result<Response, WebError> {
    let (fields, sbom) = read_upload_form(&user, form, "/").await?;
    let product = fields
        .get("product")
        .cloned()
        .unwrap_or_default()
        .trim()
        .to_string();
    upload(&state, &user, product, &fields, sbom, "/").await
}

#[derive(Template)]
#[template(path = "job.html")]
struct JobPage {
    t: Tr,
    nav: Nav,
    id: i64,
    running: bool,
    failed: bool,
    stage: String,
    done: u64,
    total: u64,
    error: String,
    summary: String,
    warnings: Vec<String>,
    back: String,
}

pub async fn job(
    State(state): State<Arc<AppState>>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let not_found = || ApiError::not_found(format!("no job {id}"));
    let job_id: i64 = id.parse().map_err(|_| user.fail(not_found(), "/"))?;
    let actor = user.actor.clone();
    let job = state
        .pool
        .run(move |store| store.job(job_id))
        .await
        .map_err(|e| user.fail(e, "/"))?
        .map_err(|e| user.fail(kensa_app::AppError::from(e), "/"))?
        .filter(|j| j.created_by == actor.name || actor.is_global_admin())
        .ok_or_else(|| user.fail(not_found(), "/"))?;
    use kensa_store::team::JobState;
    let progress = job.progress.clone().unwrap_or_default();
    let result = job.result.clone().unwrap_or_default();
    let product = result["product"].as_str().map(str::to_string);
    let back = match &product {
        Some(p) => format!("/products/{}", super::session::urlencode(p)),
        None => "/".to_string(),
    };
    let page = JobPage {
        t: user.t,
        nav: user.nav("products"),
        id: job.id,
        running: matches!(job.state, JobState::Queued | JobState::Running),
        failed: job.state == JobState::Failed,
        stage: progress["stage"]
            .as_str()
            .unwrap_or("waiting for an earlier scan")
            .to_string(),
        done: progress["done"].as_u64().unwrap_or(0),
        total: progress["total"].as_u64().unwrap_or(0),
        error: job.error.clone().unwrap_or_default(),
        summary: format!(
            "{} {}: {} components ({} new)",
            product.as_deref().unwrap_or(""),
            result["version"].as_str().unwrap_or(""),
            result["components"],
            result["new_components"]
        ),
        warnings: result["warnings"]
            .as_array()
            .map(|w| {
                w.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        back,
    };
    Ok(html(StatusCode::OK, &page))
}
