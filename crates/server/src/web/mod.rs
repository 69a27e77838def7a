//! The web UI: pages rendered on the server (askama templates), the
//! CSS and htmx compiled into the binary, forms that work without
//! JavaScript (htmx only saves a reload).
//!
//! Sessions are a cookie holding a random secret (HttpOnly,
//! SameSite=Strict, Secure behind TLS), stored hashed; every form carries
//! a CSRF token derived from the session, checked on every POST.

mod admin;
mod browse;
mod files;
mod finding;
mod i18n;
mod products;
mod proposals;
mod session;
mod upload;

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};

pub use i18n::{Lang, Tr};
pub use session::WebUser;

use crate::problem::ApiError;
use crate::state::AppState;

const CSS: &str = include_str!("../../assets/kensa.css");
const HTMX: &str = include_str!("../../assets/htmx.min.js");

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/assets/kensa.css", get(css))
        .route("/assets/htmx.min.js", get(htmx))
        .route("/lang/{code}", get(switch_language))
        .route("/login", get(session::login_page).post(session::login))
        .route("/logout", post(session::logout))
        .route("/", get(products::dashboard))
        .route("/upload", post(upload::upload_new))
        .route("/queue", get(browse::queue))
        .route("/alerts", get(browse::alerts))
        .route("/jobs/{id}", get(upload::job))
        .route("/vulnerabilities/{id}", get(browse::vulnerability))
        .route("/products/{name}", get(products::product))
        .route("/products/{name}/upload", post(upload::upload_version))
        .route("/products/{name}/aliases", post(products::confirm_alias))
        .route("/products/{name}/proposals", post(proposals::ask))
        .route("/products/{name}/files", post(files::upload))
        .route("/products/{name}/files/remove", post(files::remove))
        .route("/products/{name}/findings.csv", get(products::findings_csv))
        .route("/products/{name}/vex", get(finding::vex))
        .route("/products/{name}/findings/{vuln}", get(finding::page))
        .route(
            "/products/{name}/findings/{vuln}/assessment",
            post(finding::save),
        )
        .route(
            "/products/{name}/findings/{vuln}/approve",
            post(finding::approve),
        )
        .route("/admin", get(admin::page))
        .route("/admin/users", post(admin::add_user))
        .route("/admin/users/{name}/{action}", post(admin::user_state))
        .route("/admin/teams", post(admin::add_team))
        .route("/admin/grants", post(admin::grant))
        .route("/admin/grants/revoke", post(admin::revoke))
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

async fn css() -> Response {
    asset("text/css; charset=utf-8", CSS)
}

async fn htmx() -> Response {
    asset("text/javascript; charset=utf-8", HTMX)
}

#[derive(serde::Deserialize)]
struct Next {
    next: Option<String>,
}

/// Sets the language cookie and goes back where the switch was pressed.
async fn switch_language(
    Path(code): Path<String>,
    Query(q): Query<Next>,
    jar: CookieJar,
) -> Response {
    let lang = Lang::parse(&code).unwrap_or(Lang::En);
    let cookie = Cookie::build((i18n::LANG_COOKIE, lang.code()))
        .path("/")
        .same_site(SameSite::Strict)
        .max_age(cookie_days(365));
    (
        jar.add(cookie),
        Redirect::to(&local_path(q.next.as_deref())),
    )
        .into_response()
}

pub fn cookie_days(days: i64) -> cookie::time::Duration {
    cookie::time::Duration::days(days)
}

/// A redirect target from a request: only paths on this server, so a
/// crafted link cannot send a user elsewhere after logging in.
pub fn local_path(next: Option<&str>) -> String {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p.to_string(),
        _ => "/".to_string(),
    }
}

/// What the page header shows.
pub struct Nav {
    pub user: String,
    pub csrf: String,
    pub admin: bool,
    /// A global grant: the network sensors' alerts are theirs to read.
    pub alerts: bool,
    pub section: &'static str,
    pub here: String,
}

impl Nav {
    pub fn anonymous(here: &str) -> Nav {
        Nav {
            user: String::new(),
            csrf: String::new(),
            admin: false,
            alerts: false,
            section: "",
            here: here.to_string(),
        }
    }
}

/// Renders a template as an HTML response.
pub fn html(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(body) => (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            body,
        )
            .into_response(),
        Err(e) => {
            eprintln!("kensa serve: rendering a page: {e}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be rendered",
            )
                .into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    t: Tr,
    nav: Nav,
    status: u16,
    title: &'a str,
    message: &'a str,
    back: &'a str,
}

/// An error as a page in the user's language.
pub struct WebError {
    pub t: Tr,
    pub error: ApiError,
    pub back: String,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let page = ErrorPage {
            t: self.t,
            nav: Nav::anonymous(&self.back),
            status: self.error.status.as_u16(),
            title: self.error.status.canonical_reason().unwrap_or("Error"),
            message: &self.error.detail,
            back: &self.back,
        };
        html(self.error.status, &page)
    }
}

/// Whether htmx sent the request (it then wants a fragment).
pub fn is_htmx(headers: &HeaderMap) -> bool {
    headers.get("hx-request").is_some_and(|v| v == "true")
}

/// Headers every response carries: no framing, no sniffing, scripts and
/// styles only from this server.
pub async fn security_headers(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    r
}

/// Priority band names, as the dashboard counts them.
pub fn band(priority: u8) -> &'static str {
    match priority {
        80.. => "critical",
        60..=79 => "high",
        40..=59 => "medium",
        _ => "low",
    }
}
