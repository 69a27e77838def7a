//! Administration (global admins): users, teams and grants.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kensa_app::accounts;
use kensa_model::team::{Role, Scope};

use super::{Nav, Tr, WebError, WebUser, html};
use crate::state::AppState;

pub struct GrantView {
    user: String,
    role: &'static str,
    scope: &'static str,
    target: String,
    scope_label: String,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    t: Tr,
    nav: Nav,
    message: Option<String>,
    error: Option<String>,
    users: Vec<(String, bool, String)>,
    teams: Vec<(String, String)>,
    grants: Vec<GrantView>,
    roles: Vec<&'static str>,
}

async fn render(
    state: &Arc<AppState>,
    user: &WebUser,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, WebError> {
    let actor = user.actor.clone();
    let (users, teams, grants) = state
        .pool
        .run(move |store| -> kensa_app::Result<_> {
            Ok((
                accounts::list_users(store, &actor)?,
                accounts::list_teams(store, &actor)?,
                accounts::list_grants(store, &actor)?,
            ))
        })
        .await
        .map_err(|e| user.fail(e, "/"))?
        .map_err(|e| user.fail(e, "/"))?;
    let page = AdminPage {
        t: user.t,
        nav: user.nav("admin"),
        message,
        error,
        users: users
            .iter()
            .map(|u| {
                let g: Vec<String> = u
                    .grants
                    .iter()
                    .map(|g| format!("{} · {}", g.role, g.scope))
                    .collect();
                (u.name.clone(), u.disabled, g.join(", "))
            })
            .collect(),
        teams: teams
            .iter()
            .map(|t| (t.name.clone(), t.products.join(", ")))
            .collect(),
        grants: grants
            .into_iter()
            .map(|g| {
                let (scope, target) = match &g.scope {
                    Scope::Global => ("global", String::new()),
                    Scope::Team(t) => ("team", t.clone()),
                    Scope::Product(p) => ("product", p.clone()),
                };
                GrantView {
                    user: g.user.clone().unwrap_or_default(),
                    role: g.role.as_str(),
                    scope,
                    scope_label: g.scope.to_string(),
                    target,
                }
            })
            .collect(),
        roles: Role::ALL.iter().map(|r| r.as_str()).collect(),
    };
    let status = if page.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(html(status, &page))
}

/// The page; `?done=` says what the last change did (after its redirect).
pub async fn page(
    State(state): State<Arc<AppState>>,
    user: WebUser,
    Query(q): Query<BTreeMap<String, String>>,
) -> Result<Response, WebError> {
    render(&state, &user, q.get("done").cloned(), None).await
}

type Fields = Form<BTreeMap<String, String>>;

/// A form field, trimmed; empty when absent.
fn field(f: &BTreeMap<String, String>, name: &str) -> String {
    f.get(name)
        .map(|v| v.trim().to_string())
        .unwrap_or_default()
}

/// Runs an admin change and shows the page with its outcome.
async fn change(
    state: &Arc<AppState>,
    user: &WebUser,
    fields: &BTreeMap<String, String>,
    done: String,
    f: impl FnOnce(&mut kensa_store::Store, &kensa_app::Actor) -> kensa_app::Result<()> + Send + 'static,
) -> Result<Response, WebError> {
    user.check_csrf(fields.get("csrf").map(String::as_str))?;
    let actor = user.actor.clone();
    let outcome = state
        .pool
        .run(move |store| f(store, &actor))
        .await
        .map_err(|e| user.fail(e, "/admin"))?;
    match outcome {
        Ok(()) => Ok(
            Redirect::to(&format!("/admin?done={}", super::session::urlencode(&done)))
                .into_response(),
        ),
        Err(e @ kensa_app::AppError::Forbidden(_)) => Err(user.fail(e, "/")),
        Err(e) => render(state, user, None, Some(e.to_string())).await,
    }
}

pub async fn add_user(
    State(state): State<Arc<AppState>>,
    user: WebUser,
    Form(f): Fields,
) -> Result<Response, WebError> {
    let name = field(&f, "name");
    let password = f.get("password").cloned().unwrap_or_default();
    let admin = f.get("admin").is_some_and(|v| v == "true");
    let done = format!("user {name} added");
    change(&state, &user, &f, done, move |s, a| {
        accounts::add_user(s, a, &name, Some(&password), admin)
    })
    .await
}

pub async fn user_state(
    State(state): State<Arc<AppState>>,
    user: WebUser,
    Path((name, action)): Path<(String, String)>,
    Form(f): Fields,
) -> Result<Response, WebError> {
    let disable = action == "disable";
    let done = format!(
        "user {name} {}",
        if disable { "disabled" } else { "enabled" }
    );
    change(&state, &user, &f, done, move |s, a| {
        accounts::set_user_disabled(s, a, &name, disable)
    })
    .await
}

pub async fn add_team(
    State(state): State<Arc<AppState>>,
    user: WebUser,
    Form(f): Fields,
) -> Result<Response, WebError> {
    let name = field(&f, "name");
    let done = format!("team {name} added");
    change(&state, &user, &f, done, move |s, a| {
        accounts::add_team(s, a, &name)
    })
    .await
}

fn scope_of(f: &BTreeMap<String, String>) -> Result<Scope, kensa_app::AppError> {
    let target = field(f, "target");
    match f.get("scope").map(String::as_str) {
        Some("global") => Ok(Scope::Global),
        Some("team") if !target.is_empty() => Ok(Scope::Team(target)),
        Some("product") if !target.is_empty() => Ok(Scope::Product(target)),
        Some("team" | "product") => Err(kensa_app::AppError::invalid(
            "target",
            "name the product or team",
        )),
        _ => Err(kensa_app::AppError::invalid(
            "scope",
            "choose product, team or global",
        )),
    }
}

pub async fn grant(
    State(state): State<Arc<AppState>>,
    user: WebUser,
    Form(f): Fields,
) -> Result<Response, WebError> {
    let who = field(&f, "user");
    let role = field(&f, "role");
    let scope = scope_of(&f);
    let done = format!("{who} is {role}");
    change(&state, &user, &f, done, move |s, a| {
        let role: Role = role.parse().map_err(|e: kensa_model::team::UnknownRole| {
            kensa_app::AppError::invalid("role", e.to_string())
        })?;
        accounts::grant(s, a, &who, role, &scope?)
    })
    .await
}

pub async fn revoke(
    State(state): State<Arc<AppState>>,
    user: WebUser,
    Form(f): Fields,
) -> Result<Response, WebError> {
    let who = field(&f, "user");
    let scope = scope_of(&f);
    let done = format!("grant of {who} revoked");
    change(&state, &user, &f, done, move |s, a| {
        accounts::revoke(s, a, &who, None, &scope?)
    })
    .await
}
