//! Logging in and out, and the user behind a page request.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::{HeaderMap, StatusCode, request::Parts};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use kensa_app::{Actor, AppError, accounts, secret};
use serde::Deserialize;

use super::{Lang, Nav, Tr, WebError, html, local_path};
use crate::extract::client_address;
use crate::problem::ApiError;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "kensa_session";
/// Double-submit token of the login form (there is no session yet).
const LOGIN_CSRF_COOKIE: &str = "kensa_login_csrf";

/// The logged-in user of a page request; without a valid session the
/// request is redirected to the login page.
pub struct WebUser {
    pub actor: Actor,
    pub csrf: String,
    pub t: Tr,
    /// The path and query asked for.
    pub here: String,
}

impl WebUser {
    pub fn nav(&self, section: &'static str) -> Nav {
        Nav {
            user: self.actor.name.clone(),
            csrf: self.csrf.clone(),
            admin: self.actor.is_global_admin(),
            alerts: self.actor.global_role().is_some(),
            section,
            here: self.here.clone(),
        }
    }

    /// An error as a page, with a link back.
    pub fn fail(&self, error: impl Into<ApiError>, back: &str) -> WebError {
        WebError {
            t: self.t,
            error: error.into(),
            back: back.to_string(),
        }
    }

    /// Checks a form's CSRF token.
    pub fn check_csrf(&self, token: Option<&str>) -> Result<(), WebError> {
        if token.is_some_and(|t| secret::same_secret(t, &self.csrf)) {
            Ok(())
        } else {
            Err(self.fail(
                ApiError::new(
                    StatusCode::FORBIDDEN,
                    "the form's security token is missing or stale; reload the page and try again",
                ),
                &self.here,
            ))
        }
    }
}

impl FromRequestParts<Arc<AppState>> for WebUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Response> {
        let jar = CookieJar::from_headers(&parts.headers);
        let t = Tr(Lang::of(&jar, &parts.headers));
        let here = parts
            .uri
            .path_and_query()
            .map_or_else(|| "/".to_string(), |p| p.to_string());
        let to_login = || {
            let next = if parts.method == axum::http::Method::GET {
                here.as_str()
            } else {
                "/"
            };
            Redirect::to(&format!("/login?next={}", urlencode(next))).into_response()
        };
        let Some(secret) = jar.get(SESSION_COOKIE).map(|c| c.value().to_string()) else {
            return Err(to_login());
        };
        let client = client_address(parts, state);
        let s = secret.clone();
        match state
            .pool
            .run(move |store| accounts::session_actor(store, &s, client))
            .await
        {
            Ok(Ok(actor)) => Ok(WebUser {
                actor,
                csrf: secret::csrf_token(&secret),
                t,
                here,
            }),
            Ok(Err(AppError::Unauthenticated(_))) => Err(to_login()),
            Ok(Err(e)) => Err(WebError {
                t,
                error: e.into(),
                back: "/".into(),
            }
            .into_response()),
            Err(e) => Err(WebError {
                t,
                error: e,
                back: "/".into(),
            }
            .into_response()),
        }
    }
}

pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    t: Tr,
    nav: Nav,
    csrf: &'a str,
    next: &'a str,
    username: &'a str,
    error: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

fn login_cookie(secure: bool, value: String) -> Cookie<'static> {
    Cookie::build((LOGIN_CSRF_COOKIE, value))
        .path("/login")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .build()
}

fn render_login(
    state: &AppState,
    jar: CookieJar,
    t: Tr,
    next: &str,
    username: &str,
    error: Option<&'static str>,
    status: StatusCode,
) -> Response {
    let token = secret::new_secret().unwrap_or_default();
    let page = LoginPage {
        t,
        nav: Nav::anonymous("/login"),
        csrf: &token,
        next,
        username,
        error,
    };
    let jar = jar.add(login_cookie(state.config.secure_cookies, token.clone()));
    (jar, html(status, &page)).into_response()
}

pub async fn login_page(
    State(state): State<Arc<AppState>>,
    Query(q): Query<LoginQuery>,
    jar: CookieJar,
    headers: HeaderMap,
) -> Response {
    let t = Tr(Lang::of(&jar, &headers));
    let next = local_path(q.next.as_deref());
    render_login(&state, jar, t, &next, "", None, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    csrf: Option<String>,
    next: Option<String>,
}

pub async fn login(
    State(state): State<Arc<AppState>>,
    jar: CookieJar,
    headers: HeaderMap,
    parts_client: crate::extract::Client,
    Form(form): Form<LoginForm>,
) -> Response {
    let t = Tr(Lang::of(&jar, &headers));
    let next = local_path(form.next.as_deref());
    let expected = jar.get(LOGIN_CSRF_COOKIE).map(|c| c.value().to_string());
    let csrf_ok =
        matches!((&expected, &form.csrf), (Some(a), Some(b)) if secret::same_secret(a, b));
    if !csrf_ok {
        return render_login(
            &state,
            jar,
            t,
            &next,
            &form.username,
            Some("The login form expired; please try again."),
            StatusCode::FORBIDDEN,
        );
    }
    let (name, password) = (form.username.clone(), form.password);
    let client = parts_client.0;
    let result = state
        .pool
        .run(move |store| accounts::login(store, &name, &password, client))
        .await;
    match result {
        Ok(Ok(login)) => {
            let session = Cookie::build((SESSION_COOKIE, login.secret))
                .path("/")
                .http_only(true)
                .secure(state.config.secure_cookies)
                .same_site(SameSite::Strict)
                .max_age(cookie::time::Duration::hours(accounts::SESSION_HOURS))
                .build();
            let jar = jar
                .remove(Cookie::build(LOGIN_CSRF_COOKIE).path("/login"))
                .add(session);
            (jar, Redirect::to(&next)).into_response()
        }
        Ok(Err(AppError::Unauthenticated(_))) => render_login(
            &state,
            jar,
            t,
            &next,
            &form.username,
            Some("Wrong user name or password."),
            StatusCode::UNAUTHORIZED,
        ),
        Ok(Err(e)) => WebError {
            t,
            error: e.into(),
            back: "/login".into(),
        }
        .into_response(),
        Err(e) => WebError {
            t,
            error: e,
            back: "/login".into(),
        }
        .into_response(),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: Option<String>,
}

pub async fn logout(
    State(state): State<Arc<AppState>>,
    user: WebUser,
    jar: CookieJar,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    user.check_csrf(form.csrf.as_deref())?;
    if let Some(secret) = jar.get(SESSION_COOKIE).map(|c| c.value().to_string()) {
        let actor = user.actor.clone();
        state
            .pool
            .run(move |store| accounts::logout(store, &actor, &secret))
            .await
            .map_err(|e| user.fail(e, "/"))?
            .map_err(|e| user.fail(e, "/"))?;
    }
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok((jar, Redirect::to("/login")).into_response())
}
