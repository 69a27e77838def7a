//! A finding: why it matched, its triage, the checklist as a form whose
//! answers save and show the verdict at once, the assessment's history,
//! and VEX downloads. The checklist comes pre-filled with the answers the
//! product's data gives (`kensa_app::auto_answers`), each with its source
//! and evidence; a person may change any, and saving stores which were
//! kept as automatic.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use kensa_app::assessments::{AssessmentView, SaveAssessment};
use kensa_app::auto_answers::AutoSave;
use kensa_app::findings::FindingDetail;
use kensa_logic::answers::AnswerValue;
use kensa_logic::checklist::{self, Checklist, Entry, Section};
use kensa_model::team::Role;
use serde_json::{Value, json};

use super::session::urlencode;
use super::{Lang, Nav, Tr, WebError, WebUser, band, html, is_htmx};
use crate::extract::Params;
use crate::problem::ApiError;
use crate::state::AppState;

pub struct MatchView {
    component: String,
    method: String,
    confidence: String,
    matched: String,
    evidence: String,
    platform: String,
    sources: String,
}

pub struct TriageView {
    priority: u8,
    band: &'static str,
    decision: String,
    kev: bool,
    reasons: Vec<String>,
    breakdown: Vec<(String, String, String)>,
}

/// A checklist entry flattened for the form: a group heading or a
/// question, indented by depth.
pub struct QuestionView {
    is_group: bool,
    depth: usize,
    number: String,
    id: String,
    text: String,
    hint: String,
    evidence: String,
    answer: String,
    note: String,
    /// Kensa's own answer (yes, no, unknown; empty: none), its source
    /// (sbom, profile, facts, config) and evidence.
    auto_answer: String,
    auto_source: String,
    auto_evidence: String,
    /// The stored answer is Kensa's, kept by whoever saved.
    auto_kept: bool,
}

#[derive(Template)]
#[template(path = "finding.html")]
struct FindingPage {
    t: Tr,
    nav: Nav,
    product: String,
    version: String,
    vuln: String,
    description: String,
    matches: Vec<MatchView>,
    triage: Option<TriageView>,
    checklist_lang: &'static str,
    intro: String,
    empty_note: String,
    questions: Vec<QuestionView>,
    revision: i64,
    note: String,
    can_answer: bool,
    panel: String,
}

pub struct VerdictView {
    status: String,
    revision: i64,
    saved_by: String,
    saved_at: String,
    approved: bool,
    approved_by: String,
    basis: String,
    deciding: Vec<(String, String, String)>,
    open: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "verdict.html")]
struct VerdictPanel {
    t: Tr,
    product: String,
    vuln: String,
    csrf: String,
    verdict: Option<VerdictView>,
    error: Option<String>,
    can_approve: bool,
    history: Vec<(String, String, String, i64, String)>,
    revision: i64,
    oob: bool,
}

fn verdict_view(a: &AssessmentView) -> VerdictView {
    VerdictView {
        status: a.verdict.clone(),
        revision: a.version,
        saved_by: a.saved_by.clone(),
        saved_at: a.saved_at.chars().take(19).collect(),
        approved: a.approved,
        approved_by: a.approved_by.clone().unwrap_or_default(),
        basis: a.basis.clone(),
        deciding: a
            .deciding
            .iter()
            .map(|d| (d.id.clone(), d.answer.as_str().to_string(), d.text.clone()))
            .collect(),
        open: a
            .open
            .iter()
            .map(|o| (o.id.clone(), o.question.clone()))
            .collect(),
    }
}

fn flatten(section: &Section, depth: usize, answers: &Value, out: &mut Vec<QuestionView>) {
    if depth > 0 {
        out.push(QuestionView {
            is_group: true,
            depth: depth.min(3),
            number: section.number.clone(),
            id: String::new(),
            text: section.heading.clone(),
            hint: String::new(),
            evidence: String::new(),
            answer: String::new(),
            note: String::new(),
            auto_answer: String::new(),
            auto_source: String::new(),
            auto_evidence: String::new(),
            auto_kept: false,
        });
    }
    for e in &section.entries {
        match e {
            Entry::Group(g) => flatten(g, depth + 1, answers, out),
            Entry::Question(q) => {
                let stored = &answers[&q.id];
                let note = stored["note"].as_str().unwrap_or("");
                // Stored automatic answers carry "automatic (SOURCE)" as
                // their note: not the person's words to edit.
                let auto_kept = note.starts_with("automatic (");
                let proposed = q
                    .auto
                    .as_ref()
                    .filter(|a| a.answer != AnswerValue::Unknown)
                    .map_or("", |a| a.answer.as_str());
                out.push(QuestionView {
                    is_group: false,
                    depth: depth.min(3),
                    number: q.number.clone(),
                    id: q.id.clone(),
                    text: q.question.clone(),
                    hint: q.hint.clone(),
                    evidence: q.evidence.clone().unwrap_or_default(),
                    answer: stored["answer"].as_str().unwrap_or(proposed).to_string(),
                    note: if auto_kept { "" } else { note }.to_string(),
                    auto_answer: q
                        .auto
                        .as_ref()
                        .map_or("", |a| a.answer.as_str())
                        .to_string(),
                    auto_source: q
                        .auto
                        .as_ref()
                        .map_or("", |a| a.source.as_str())
                        .to_string(),
                    auto_evidence: q
                        .auto
                        .as_ref()
                        .map_or_else(String::new, |a| a.evidence.clone()),
                    auto_kept,
                });
            }
        }
    }
}

fn panel(
    user: &WebUser,
    d: &FindingDetail,
    view: Option<&AssessmentView>,
    error: Option<String>,
    oob: bool,
) -> VerdictPanel {
    VerdictPanel {
        t: user.t,
        product: d.product.clone(),
        vuln: d.vulnerability.clone(),
        csrf: user.csrf.clone(),
        verdict: view.map(verdict_view),
        error,
        can_approve: d.role >= Role::Approver,
        history: d
            .history
            .iter()
            .map(|h| {
                (
                    h.at.chars().take(19).collect(),
                    h.actor.clone(),
                    h.action.clone(),
                    h.revision,
                    h.status.clone(),
                )
            })
            .collect(),
        revision: view.map_or(0, |v| v.version),
        oob,
    }
}

/// The finding, its checklist (in `lang`, with the product version's
/// automatic answers) and its assessment, read together.
async fn load(
    state: &Arc<AppState>,
    user: &WebUser,
    product: &str,
    vuln: &str,
    lang: Lang,
) -> Result<(FindingDetail, Checklist, Option<AssessmentView>), WebError> {
    let (actor, p, v) = (user.actor.clone(), product.to_string(), vuln.to_string());
    state
        .pool
        .run(move |store| -> kensa_app::Result<_> {
            let detail = kensa_app::findings::finding_detail(store, &actor, &p, &v)?;
            let auto = kensa_app::auto_answers::answer(
                store,
                &actor,
                &p,
                Some(&detail.version),
                &detail.vulnerability,
                Default::default(),
            )?;
            let mut list = checklist::build(&auto.tree, lang.checklist());
            checklist::attach_auto(&mut list, &auto.auto);
            let view = match &detail.assessment {
                Some(_) => Some(kensa_app::assessments::get(
                    store,
                    &actor,
                    &p,
                    &detail.vulnerability,
                )?),
                None => None,
            };
            Ok((detail, list, view))
        })
        .await
        .map_err(|e| user.fail(e, "/"))?
        .map_err(|e| user.fail(e, &format!("/products/{}", urlencode(product))))
}

pub async fn page(
    State(state): State<Arc<AppState>>,
    user: WebUser,
    Path((product, vuln)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, WebError> {
    let p = Params::from_query(query.as_deref(), &["checklist"]).map_err(|e| user.fail(e, "/"))?;
    let lang = p.get("checklist").and_then(Lang::parse).unwrap_or(user.t.0);
    let (detail, list, view) = load(&state, &user, &product, &vuln, lang).await?;
    let answers = view
        .as_ref()
        .map(|v| v.answers.clone())
        .unwrap_or(Value::Null);
    let mut questions = Vec::new();
    if let Some(root) = &list.root {
        flatten(root, 0, &answers, &mut questions);
    }
    let triage = detail.triage.as_ref().map(|t| TriageView {
        priority: t.priority,
        band: band(t.priority),
        decision: t.ssvc.decision.clone(),
        kev: t.kev.is_some(),
        reasons: t.reasons.clone(),
        breakdown: t
            .breakdown
            .iter()
            .map(|c| (c.signal.clone(), format!("{:+.1}", c.points), c.why.clone()))
            .collect(),
    });
    let matches = detail
        .findings
        .iter()
        .map(|f| {
            let m = &f.finding;
            MatchView {
                component: format!(
                    "{} {}",
                    m.component.name,
                    m.component.version.as_deref().unwrap_or("")
                ),
                method: super::products::method_name(m),
                confidence: format!("{:.2}", m.matched.confidence),
                matched: m.matched.matched.clone(),
                evidence: m.matched.evidence.clone(),
                platform: m.platform_conditions.join("; "),
                sources: m.sources.join(", "),
            }
        })
        .collect();
    let panel_html = panel(&user, &detail, view.as_ref(), None, false)
        .render()
        .unwrap_or_default();
    let page = FindingPage {
        t: user.t,
        nav: user.nav("products"),
        product: detail.product.clone(),
        version: detail.version.clone(),
        vuln: detail.vulnerability.clone(),
        description: detail.description.clone().unwrap_or_default(),
        matches,
        triage,
        checklist_lang: lang.code(),
        intro: list.intro.clone(),
        empty_note: list.empty_note.clone().unwrap_or_default(),
        questions,
        revision: view.as_ref().map_or(0, |v| v.version),
        note: view
            .as_ref()
            .and_then(|v| v.note.clone())
            .unwrap_or_default(),
        can_answer: detail.role >= Role::Analyst,
        panel: panel_html,
    };
    Ok(html(StatusCode::OK, &page))
}

/// The automatic answers the form showed pre-filled: `auto.cN` fields.
fn shown_of(form: &[(String, String)]) -> BTreeMap<String, AnswerValue> {
    form.iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("auto.")?.to_string(), AnswerValue::parse(v)?)))
        .collect()
}

/// The answers of a checklist form: `answer.cN` and `note.cN` fields.
fn answers_of(form: &[(String, String)]) -> Value {
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim());
    let mut answers = serde_json::Map::new();
    for (key, value) in form {
        let Some(id) = key.strip_prefix("answer.") else {
            continue;
        };
        let mut a = json!({"answer": value});
        if let Some(note) = field(&format!("note.{id}")).filter(|n| !n.is_empty()) {
            a["note"] = json!(note);
        }
        answers.insert(id.to_string(), a);
    }
    Value::Object(answers)
}

pub async fn save(
    State(state): State<Arc<AppState>>,
    user: WebUser,
    headers: HeaderMap,
    Path((product, vuln)): Path<(String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    user.check_csrf(field("csrf").as_deref())?;
    let here = format!(
        "/products/{}/findings/{}",
        urlencode(&product),
        urlencode(&vuln)
    );
    let lang = field("checklist")
        .as_deref()
        .and_then(Lang::parse)
        .unwrap_or(user.t.0);
    let answers = answers_of(&form);
    let how = AutoSave {
        version: field("version"),
        inputs: Default::default(),
        shown: Some(shown_of(&form)),
    };
    let req = SaveAssessment {
        expected_revision: Some(field("revision").and_then(|r| r.parse().ok()).unwrap_or(0)),
        note: field("note").filter(|n| !n.trim().is_empty()),
        answers,
    };
    let empty = req.answers.as_object().is_some_and(|a| a.is_empty());
    let (actor, p, v) = (user.actor.clone(), product.clone(), vuln.clone());
    let saved = if empty {
        Ok(Err(kensa_app::AppError::invalid(
            "answers",
            "answer at least one question before saving",
        )))
    } else {
        state
            .pool
            .run(move |store| kensa_app::auto_answers::save(store, &actor, &p, &v, &req, how))
            .await
    };
    let error = match saved {
        Ok(Ok(_)) => None,
        Ok(Err(kensa_app::AppError::Stale { current })) => Some(format!(
            "{} ({current})",
            user.t.s("Someone saved a newer revision while you were answering; reload the page to see it before saving again")
        )),
        Ok(Err(e @ (kensa_app::AppError::Invalid { .. } | kensa_app::AppError::BadInput(_)))) => Some(e.to_string()),
        Ok(Err(e)) => return Err(user.fail(e, &here)),
        Err(e) => return Err(user.fail(e, &here)),
    };
    if !is_htmx(&headers) {
        return match error {
            Some(e) => Err(user.fail(ApiError::invalid("answers", e), &here)),
            None => Ok(
                Redirect::to(&format!("{here}?checklist={}#verdict", lang.code())).into_response(),
            ),
        };
    }
    // htmx swaps the verdict panel in place (its answers are 2xx only, so
    // a refused save shows its reason inside the panel).
    let (detail, _, view) = load(&state, &user, &product, &vuln, lang).await?;
    Ok(html(
        StatusCode::OK,
        &panel(&user, &detail, view.as_ref(), error, true),
    ))
}

pub async fn approve(
    State(state): State<Arc<AppState>>,
    user: WebUser,
    Path((product, vuln)): Path<(String, String)>,
    Form(form): Form<BTreeMap<String, String>>,
) -> Result<Response, WebError> {
    user.check_csrf(form.get("csrf").map(String::as_str))?;
    let here = format!(
        "/products/{}/findings/{}",
        urlencode(&product),
        urlencode(&vuln)
    );
    let expected = form.get("revision").and_then(|r| r.parse().ok());
    let (actor, p, v) = (user.actor.clone(), product.clone(), vuln.clone());
    state
        .pool
        .run(move |store| kensa_app::assessments::approve(store, &actor, &p, &v, expected))
        .await
        .map_err(|e| user.fail(e, &here))?
        .map_err(|e| user.fail(e, &here))?;
    Ok(Redirect::to(&format!("{here}#verdict")).into_response())
}

/// The product's VEX, for the logged-in user.
pub async fn vex(
    State(state): State<Arc<AppState>>,
    user: WebUser,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, WebError> {
    let back = format!("/products/{}", urlencode(&name));
    let p = Params::from_query(query.as_deref(), &["format", "status"])
        .map_err(|e| user.fail(e, &back))?;
    let format = kensa_app::vex::format(p.get("format")).map_err(|e| user.fail(e, &back))?;
    let final_doc = p.get("status") == Some("final");
    let (actor, n, publisher) = (
        user.actor.clone(),
        name.clone(),
        state.config.publisher.clone(),
    );
    let doc = state
        .pool
        .run(move |store| {
            kensa_app::vex::product_vex(store, &actor, &n, format, final_doc, &publisher)
        })
        .await
        .map_err(|e| user.fail(e, &back))?
        .map_err(|e| user.fail(e, &back))?;
    Ok(crate::api::assessments::vex_download(
        &name,
        p.get("format").unwrap_or("openvex"),
        &doc,
    ))
}
