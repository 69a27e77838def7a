//! "Ask the model" on an unresolved component of the product page: the
//! model's proposal among the database's products, with its reasoning and
//! the shortlist it was shown, and a confirm button. Nothing is stored
//! until a person confirms (the same form as "This is the same product").

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use kensa_logic::propose::Outcome;

use super::{Nav, Tr, WebError, WebUser, html};
use crate::problem::ApiError;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "proposal.html")]
struct ProposalPage {
    t: Tr,
    nav: Nav,
    name: String,
    component: String,
    version: String,
    /// `proposed`, `no_proposal`, `rejected`, `no_candidates`, `failed`.
    outcome: &'static str,
    /// `vendor:product` when proposed.
    target: String,
    confidence: String,
    reasoning: String,
    /// Why rejected, or the error.
    problem: String,
    note: String,
    /// The shortlist: `vendor:product`, records, why.
    shortlist: Vec<(String, u64, String)>,
    can_alias: bool,
}

pub async fn ask(
    State(state): State<Arc<AppState>>,
    user: WebUser,
    Path(name): Path<String>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Result<Response, WebError> {
    user.check_csrf(f.get("csrf").map(String::as_str))?;
    let back = format!("/products/{}", super::session::urlencode(&name));
    let Some(config) = state.config.llm.clone() else {
        return Err(user.fail(
            ApiError::new(
                StatusCode::NOT_FOUND,
                "no language model is configured on this server (kensa serve --llm-config FILE, or KENSA_LLM_BASE_URL and KENSA_LLM_MODEL)",
            ),
            &back,
        ));
    };
    let component = f
        .get("component")
        .map(|c| c.trim().to_string())
        .unwrap_or_default();
    // The database is held only to shortlist and to judge, not while the
    // model answers.
    let actor = user.actor.clone();
    let (n, c) = (name.clone(), component.clone());
    let prepared = state
        .pool
        .run(move |store| kensa_app::proposals::prepare_one(store, &actor, &n, None, &c))
        .await
        .map_err(|e| user.fail(e, &back))?
        .map_err(|e| user.fail(e, &back))?;
    let model = format!("llm:{}", config.model);
    let (answer, prepared) = tokio::task::spawn_blocking(move || {
        (kensa_app::proposals::ask_one(&prepared, &config), prepared)
    })
    .await
    .map_err(|e| {
        user.fail(
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
            &back,
        )
    })?;
    let proposal = match answer {
        None => prepared,
        Some(answer) => {
            let m = model.clone();
            state
                .pool
                .run(move |store| {
                    let mut p = prepared;
                    kensa_app::proposals::settle(store, &mut p, answer, &m);
                    p
                })
                .await
                .map_err(|e| user.fail(e, &back))?
        }
    };
    let mut page = ProposalPage {
        t: user.t,
        nav: user.nav("products"),
        name,
        component: proposal.component.name.clone(),
        version: proposal.component.version.clone().unwrap_or_default(),
        outcome: "",
        target: String::new(),
        confidence: String::new(),
        reasoning: String::new(),
        problem: String::new(),
        note: format!("proposed by {model}, confirmed by a person"),
        shortlist: proposal
            .shortlist
            .iter()
            .map(|c| {
                (
                    format!("{}:{}", c.vendor, c.product),
                    c.records,
                    c.why.clone(),
                )
            })
            .collect(),
        can_alias: kensa_app::aliases::may_change(&user.actor),
    };
    match proposal.outcome {
        Outcome::Proposed {
            vendor,
            product,
            confidence,
            reasoning,
            ..
        } => {
            page.outcome = "proposed";
            page.target = format!("{vendor}:{product}");
            page.confidence = format!("{confidence:.2}");
            page.reasoning = reasoning;
        }
        Outcome::NoProposal { reasoning } => {
            page.outcome = "no_proposal";
            page.reasoning = reasoning;
        }
        Outcome::Rejected { reasoning, why, .. } => {
            page.outcome = "rejected";
            page.reasoning = reasoning;
            page.problem = why;
        }
        Outcome::NoCandidates => page.outcome = "no_candidates",
        Outcome::Failed { error } => {
            page.outcome = "failed";
            page.problem = error;
        }
    }
    Ok(html(StatusCode::OK, &page))
}
