//! Assessments: a vulnerability's trigger conditions as a checklist, the
//! answers as a verdict stored for a product, its revisions and approval.

use kensa_logic::Conditions;
use kensa_logic::answers::{self, Answers, AnswersError, MAX_TEXT_CHARS};
use kensa_logic::checklist::{self, Checklist, Lang};
use kensa_logic::verdict::{Decisive, OpenQuestion, Verdict, evaluate};
use kensa_logic::vex::Justification;
use kensa_model::VulnRecord;
use kensa_model::team::Role;
use kensa_store::Store;
use kensa_store::team::{AssessmentRecord, HistoryRow, NewAssessment};
use serde::Serialize;
use serde_json::{Value, json};

use crate::access::{self, Actor};
use crate::{AppError, Result};

/// The vulnerability's records, under its canonical id (aliases resolve).
pub fn records(store: &Store, id: &str) -> Result<(String, Vec<VulnRecord>)> {
    let view = store
        .vuln(id)?
        .ok_or_else(|| AppError::NotFound(format!("{id} is not in the database")))?;
    Ok((
        view.id,
        view.records.into_iter().map(|r| r.record).collect(),
    ))
}

/// The vulnerability's trigger conditions, by the offline rules extractor.
pub fn conditions(store: &Store, id: &str) -> Result<Conditions> {
    let (_, records) = records(store, id)?;
    Ok(kensa_logic::extract::rules(&records))
}

/// The conditions as questions, in English or Japanese.
pub fn checklist(store: &Store, id: &str, lang: Lang) -> Result<Checklist> {
    Ok(checklist::build(&conditions(store, id)?, lang))
}

/// A checklist language from its code.
pub fn lang(code: Option<&str>) -> Result<Lang> {
    match code.unwrap_or("en") {
        "en" => Ok(Lang::En),
        "ja" => Ok(Lang::Ja),
        other => Err(AppError::invalid(
            "lang",
            format!("`{other}` is not a checklist language; use en or ja"),
        )),
    }
}

/// Answers to save: as an answers file has them (`{"c2": "no"}` or
/// `{"c2": {"answer": "no", "note": …, "evidence": …}}`).
#[derive(Debug, Clone, Default)]
pub struct SaveAssessment {
    pub answers: Value,
    pub note: Option<String>,
    /// The revision the writer started from (0: none yet); a different
    /// stored revision refuses the save.
    pub expected_revision: Option<i64>,
}

/// A stored assessment as callers show it.
#[derive(Debug, Clone, Serialize)]
pub struct AssessmentView {
    pub product: String,
    pub vulnerability: String,
    /// `affected`, `not_affected` or `under_investigation`.
    pub verdict: String,
    /// The logical basis, in words.
    pub basis: String,
    /// The revision: the `ETag` to send back as `If-Match`.
    pub version: i64,
    pub approved: bool,
    pub approved_version: Option<i64>,
    pub approved_by: Option<String>,
    pub approved_at: Option<String>,
    pub saved_by: String,
    pub saved_at: String,
    pub note: Option<String>,
    pub answers: Value,
    pub deciding: Vec<Decisive>,
    pub open: Vec<OpenQuestion>,
    pub justification: Option<Justification>,
    pub conditions_fingerprint: String,
}

impl AssessmentView {
    fn of(product: &str, a: &AssessmentRecord) -> Result<AssessmentView> {
        let v: Verdict = serde_json::from_value(a.verdict.clone()).map_err(|e| {
            AppError::Store(kensa_store::StoreError::Corrupt {
                what: format!("assessment of {}", a.vulnerability),
                message: e.to_string(),
            })
        })?;
        Ok(AssessmentView {
            product: product.to_string(),
            vulnerability: a.vulnerability.clone(),
            verdict: a.status.clone(),
            basis: v.basis,
            version: a.revision,
            approved: a.is_approved(),
            approved_version: a.approved_revision,
            approved_by: a.approved_by.clone(),
            approved_at: a.approved_at.clone(),
            saved_by: a.saved_by.clone(),
            saved_at: a.saved_at.clone(),
            note: a.note.clone(),
            answers: a.answers.clone(),
            deciding: v.deciding,
            open: v.open,
            justification: v.justification,
            conditions_fingerprint: v.conditions_fingerprint,
        })
    }
}

/// Evaluates answers (as an answers file has them) against the tree.
pub fn verdict_of(tree: &Conditions, answers: &Value) -> Result<(Verdict, Value)> {
    if !answers.is_object() {
        return Err(AppError::invalid(
            "answers",
            "must be an object of condition id → answer (yes, no or unknown)",
        ));
    }
    let parsed = parse_answers(&tree.vulnerability, answers)?;
    let verdict = evaluate(tree, &parsed).map_err(answers_error)?;
    Ok((verdict, answers_value(&parsed)))
}

/// Answers as an answers file has them, parsed (not yet checked against a
/// tree).
pub(crate) fn parse_answers(vulnerability: &str, answers_value: &Value) -> Result<Answers> {
    let doc = json!({"vulnerability": vulnerability, "answers": answers_value});
    let bytes = serde_json::to_vec(&doc).map_err(|e| AppError::BadInput(e.to_string()))?;
    answers::parse(&bytes).map_err(answers_error)
}

/// Parsed answers back as an answers file's object.
pub(crate) fn answers_value(parsed: &Answers) -> Value {
    Value::Object(
        parsed
            .entries
            .iter()
            .map(|(id, a)| (id.clone(), serde_json::to_value(a).unwrap_or(Value::Null)))
            .collect(),
    )
}

fn answers_error(e: AnswersError) -> AppError {
    match &e {
        AnswersError::Invalid { path, message } => AppError::invalid(path.clone(), message.clone()),
        AnswersError::Duplicate { id } => AppError::invalid(format!("answers.{id}"), e.to_string()),
        AnswersError::UnknownIds { ids, .. } => AppError::invalid(
            format!("answers.{}", ids.first().map_or("", String::as_str)),
            e.to_string(),
        ),
        _ => AppError::invalid("answers", e.to_string()),
    }
}

/// Saves the answers as a new revision of the product's assessment of the
/// vulnerability, with its verdict.
pub fn save(
    store: &mut Store,
    actor: &Actor,
    product: &str,
    vuln: &str,
    req: &SaveAssessment,
) -> Result<AssessmentView> {
    let (p, _) = access::product(store, actor, product, Role::Analyst)?;
    if let Some(note) = &req.note
        && note.chars().count() > MAX_TEXT_CHARS
    {
        return Err(AppError::invalid(
            "note",
            format!("longer than {MAX_TEXT_CHARS} characters"),
        ));
    }
    let (id, records) = records(store, vuln)?;
    let tree = kensa_logic::extract::rules(&records);
    let (verdict, answers) = verdict_of(&tree, &req.answers)?;
    let verdict_json =
        serde_json::to_value(&verdict).map_err(|e| AppError::BadInput(e.to_string()))?;
    let record = store.save_assessment(
        &NewAssessment {
            product_id: p.id,
            vuln_id: &id,
            status: verdict.status.as_str(),
            answers: &answers,
            note: req.note.as_deref(),
            verdict: &verdict_json,
            actor: &actor.name,
            expected_revision: req.expected_revision,
        },
        actor.entry("assessment.save", format!("product:{}/{id}", p.name)),
    )?;
    AssessmentView::of(&p.name, &record)
}

/// The product's current assessment of the vulnerability.
pub fn get(store: &Store, actor: &Actor, product: &str, vuln: &str) -> Result<AssessmentView> {
    let (p, _) = access::product(store, actor, product, Role::Viewer)?;
    let id = canonical(store, vuln)?;
    let record = store
        .assessment(p.id, &id)?
        .ok_or_else(|| AppError::NotFound(format!("{product} has no assessment of {id}")))?;
    AssessmentView::of(&p.name, &record)
}

/// Approves the current revision (only if it is still `expected_revision`
/// when given).
pub fn approve(
    store: &mut Store,
    actor: &Actor,
    product: &str,
    vuln: &str,
    expected_revision: Option<i64>,
) -> Result<AssessmentView> {
    let (p, _) = access::product(store, actor, product, Role::Approver)?;
    let id = canonical(store, vuln)?;
    let record = store.approve_assessment(
        p.id,
        &id,
        expected_revision,
        &actor.name,
        actor.entry("assessment.approve", format!("product:{}/{id}", p.name)),
    )?;
    AssessmentView::of(&p.name, &record)
}

/// Every revision and approval of the assessment, newest first.
pub fn history(store: &Store, actor: &Actor, product: &str, vuln: &str) -> Result<Vec<HistoryRow>> {
    let (p, _) = access::product(store, actor, product, Role::Viewer)?;
    Ok(store.assessment_history(p.id, &canonical(store, vuln)?)?)
}

fn canonical(store: &Store, vuln: &str) -> Result<String> {
    Ok(store.vuln(vuln)?.map_or_else(|| vuln.to_string(), |v| v.id))
}
