//! The REST API, `/api/v1`: JSON in and out, `Authorization: Bearer
//! TOKEN`, errors as problem details, lists as `{"items", "next_cursor"}`.

pub(crate) mod alerts;
pub(crate) mod aliases;
pub(crate) mod assessments;
pub(crate) mod products;
pub(crate) mod system;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/healthz", get(system::healthz))
        .route("/readyz", get(system::readyz))
        .route("/metrics", get(crate::metrics::endpoint))
        .route("/api/v1/openapi.json", get(system::openapi))
        .route("/api/v1/products", get(products::list))
        .route("/api/v1/products/{name}", get(products::get))
        .route(
            "/api/v1/products/{name}/versions/{version}/sbom",
            post(products::upload_sbom),
        )
        .route("/api/v1/products/{name}/findings", get(products::findings))
        .route("/api/v1/products/{name}/vex", get(assessments::vex))
        .route(
            "/api/v1/products/{name}/assessments/{vuln}",
            get(assessments::get).put(assessments::put),
        )
        .route(
            "/api/v1/products/{name}/assessments/{vuln}/approve",
            post(assessments::approve),
        )
        .route(
            "/api/v1/products/{name}/assessments/{vuln}/history",
            get(assessments::history),
        )
        .route("/api/v1/queue", get(system::queue))
        .route("/api/v1/vulnerabilities/{id}", get(system::vulnerability))
        .route(
            "/api/v1/vulnerabilities/{id}/checklist",
            get(system::checklist),
        )
        .route("/api/v1/audit", get(system::audit))
        .route("/api/v1/jobs/{id}", get(products::job))
        .route("/api/v1/alerts", get(alerts::list).post(alerts::receive))
        .route("/api/v1/aliases", get(aliases::list).post(aliases::add))
        .route(
            "/api/v1/aliases/{id}",
            get(aliases::get).delete(aliases::remove),
        )
}
