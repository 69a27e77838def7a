//! A product version's facts file and build configurations, uploaded from
//! the product page and kept with the version for automatic answers
//! (`kensa_app::auto_answers::{attach, detach}`, as `kensa product files`).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use kensa_store::team::InputKind;

use super::session::urlencode;
use super::{WebError, WebUser};
use crate::problem::ApiError;
use crate::state::AppState;

fn kind_of(field: Option<&str>) -> Result<InputKind, ApiError> {
    match field {
        Some("facts") => Ok(InputKind::Facts),
        Some("config") => Ok(InputKind::Config),
        _ => Err(ApiError::invalid(
            "kind",
            "choose a facts file or a build configuration",
        )),
    }
}

/// `POST /products/{name}/files`: fields csrf, version, kind, file.
pub async fn upload(
    State(state): State<Arc<AppState>>,
    user: WebUser,
    Path(name): Path<String>,
    mut form: Multipart,
) -> Result<Response, WebError> {
    let back = format!("/products/{}#files", urlencode(&name));
    let mut fields = BTreeMap::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(field) = form.next_field().await.map_err(|e| {
        user.fail(
            ApiError::bad_request(format!("the upload could not be read: {e}")),
            &back,
        )
    })? {
        let field_name = field.name().unwrap_or("").to_string();
        if field_name == "file" {
            let origin = field.file_name().unwrap_or("").to_string();
            let bytes = field.bytes().await.map_err(|e| {
                user.fail(
                    ApiError::bad_request(format!("the file could not be read: {e}")),
                    &back,
                )
            })?;
            file = Some((origin, bytes.to_vec()));
        } else {
            let text = field.text().await.map_err(|e| {
                user.fail(
                    ApiError::bad_request(format!("field {field_name}: {e}")),
                    &back,
                )
            })?;
            fields.insert(field_name, text);
        }
    }
    user.check_csrf(fields.get("csrf").map(String::as_str))?;
    let kind = kind_of(fields.get("kind").map(String::as_str)).map_err(|e| user.fail(e, &back))?;
    let (origin, bytes) = file
        .filter(|(_, b)| !b.is_empty())
        .ok_or_else(|| user.fail(ApiError::invalid("file", "choose a file to upload"), &back))?;
    let text = String::from_utf8(bytes).map_err(|_| {
        user.fail(
            ApiError::invalid("file", format!("{origin} is not UTF-8 text")),
            &back,
        )
    })?;
    let version = fields
        .get("version")
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty());
    let actor = user.actor.clone();
    let product = name.clone();
    state
        .pool
        .run(move |store| {
            kensa_app::auto_answers::attach(
                store,
                &actor,
                &product,
                version.as_deref(),
                kind,
                &origin,
                &text,
            )
        })
        .await
        .map_err(|e| user.fail(e, &back))?
        .map_err(|e| user.fail(e, &back))?;
    Ok(Redirect::to(&back).into_response())
}

/// `POST /products/{name}/files/remove`: fields csrf, version, kind, origin.
pub async fn remove(
    State(state): State<Arc<AppState>>,
    user: WebUser,
    Path(name): Path<String>,
    Form(form): Form<BTreeMap<String, String>>,
) -> Result<Response, WebError> {
    let back = format!("/products/{}#files", urlencode(&name));
    user.check_csrf(form.get("csrf").map(String::as_str))?;
    let kind = kind_of(form.get("kind").map(String::as_str)).map_err(|e| user.fail(e, &back))?;
    let version = form.get("version").cloned().filter(|v| !v.is_empty());
    let origin = form.get("origin").cloned().filter(|v| !v.is_empty());
    let actor = user.actor.clone();
    let product = name.clone();
    state
        .pool
        .run(move |store| {
            kensa_app::auto_answers::detach(
                store,
                &actor,
                &product,
                version.as_deref(),
                kind,
                origin.as_deref(),
            )
        })
        .await
        .map_err(|e| user.fail(e, &back))?
        .map_err(|e| user.fail(e, &back))?;
    Ok(Redirect::to(&back).into_response())
}
