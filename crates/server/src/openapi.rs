//! The OpenAPI 3 document of `/api/v1`, generated from the handlers'
//! annotations (utoipa), so it cannot drift from the routes.

use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::api;

#[derive(OpenApi)]
#[openapi(
    info(title = "Kensa team server API", description = "Products, findings, assessments, VEX, the team's aliases, the queue and the audit trail. Authenticate with `Authorization: Bearer TOKEN` (`kensa token create USER`). Errors are RFC 9457 problem details; lists are `{items, next_cursor}`."),
    paths(
        api::system::healthz, api::system::readyz, api::system::openapi,
        api::products::list, api::products::get, api::products::upload_sbom,
        api::products::findings, api::products::job,
        api::system::queue, api::system::vulnerability, api::system::checklist,
        api::assessments::put, api::assessments::get, api::assessments::approve,
        api::assessments::history, api::assessments::vex,
        api::system::audit, api::alerts::receive, api::alerts::list,
        api::aliases::list, api::aliases::get, api::aliases::add, api::aliases::remove,
    ),
    components(schemas(api::assessments::AssessmentBody, api::aliases::AliasBody)),
    modifiers(&BearerAuth),
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    doc
}
