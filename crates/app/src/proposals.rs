//! Model proposals for components nothing resolves: for each, a shortlist
//! of the database's products ([`kensa_matching::shortlist`]) and the
//! model's choice among them ([`kensa_logic::propose`]), held against the
//! database. A proposal is a suggestion and writes nothing: it becomes an
//! alias, and so findings, only when a person confirms it
//! ([`crate::aliases::add`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use kensa_logic::llm::LlmConfig;
use kensa_logic::propose::{self, Candidate, ComponentFacts, Outcome};
use kensa_matching::shortlist::{ShortlistQuery, shortlist};
use kensa_model::names::normalize;
use kensa_store::Store;
use serde::Serialize;

use crate::access::Actor;
use crate::{AppError, Result};

/// One unresolved component to ask about.
#[derive(Debug, Clone)]
pub struct Unresolved {
    pub bom_ref: String,
    pub facts: ComponentFacts,
}

/// How to ask.
#[derive(Debug, Clone)]
pub struct ProposeOptions {
    /// Candidates shown to the model per component.
    pub shortlist: usize,
    /// Requests in flight at once.
    pub jobs: usize,
    /// Components asked about at most (the rest are counted, not asked).
    pub limit: usize,
}

impl Default for ProposeOptions {
    fn default() -> Self {
        ProposeOptions {
            shortlist: kensa_matching::shortlist::DEFAULT_SHORTLIST,
            jobs: 4,
            limit: 200,
        }
    }
}

/// One component, what the model was shown, and what became of it.
#[derive(Debug, Clone, Serialize)]
pub struct Proposal {
    pub bom_ref: String,
    pub component: ComponentFacts,
    pub shortlist: Vec<Candidate>,
    #[serde(flatten)]
    pub outcome: Outcome,
    /// The command that confirms a proposal (`kensa alias add …`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirm: Option<String>,
}

/// Every proposal of a run, and what was left out.
#[derive(Debug, Clone, Serialize)]
pub struct Proposals {
    /// `llm:MODEL`.
    pub model: String,
    pub proposals: Vec<Proposal>,
    /// Unresolved components beyond the limit, not asked about.
    pub not_asked: usize,
}

/// The unresolved components of a stored product's version (the newest
/// unless `version`); needs a viewer grant on the product.
pub fn unresolved_of_product(
    store: &Store,
    actor: &Actor,
    product: &str,
    version: Option<&str>,
) -> Result<Vec<Unresolved>> {
    let findings = crate::findings::product_findings(
        store,
        actor,
        product,
        version,
        &crate::findings::FindingFilter::default(),
    )?;
    Ok(findings
        .unresolved
        .into_iter()
        .map(|u| Unresolved {
            bom_ref: u.component.bom_ref,
            facts: ComponentFacts {
                name: u.component.name,
                version: u.component.version,
                purl: u.component.purl,
                ..Default::default()
            },
        })
        .collect())
}

/// One unresolved component of a stored product's version, by name, with
/// its shortlist: the first step of the web UI's "Ask the model" (then
/// [`ask_one`] without the database, then [`settle`]). Asking costs a
/// request to the model, and its only use is a confirmation, so it needs
/// what confirming needs (a global analyst grant).
pub fn prepare_one(
    store: &Store,
    actor: &Actor,
    product: &str,
    version: Option<&str>,
    component: &str,
) -> Result<Proposal> {
    if !crate::aliases::may_change(actor) {
        return Err(AppError::Forbidden(
            "asking the model needs a global analyst grant (or higher), as confirming does".into(),
        ));
    }
    let wanted = normalize(component);
    let one: Vec<Unresolved> = unresolved_of_product(store, actor, product, version)?
        .into_iter()
        .filter(|u| normalize(&u.facts.name) == wanted)
        .take(1)
        .collect();
    if one.is_empty() {
        return Err(AppError::NotFound(format!(
            "no unresolved component `{component}` in product {product}"
        )));
    }
    let (mut list, _) = shortlists(store, one, &ProposeOptions::default())?;
    list.pop()
        .ok_or_else(|| AppError::NotFound(format!("no unresolved component `{component}`")))
}

/// The model's answer for a prepared proposal (`None` when it has no
/// candidates, so nothing is asked); touches no database.
pub fn ask_one(
    proposal: &Proposal,
    config: &LlmConfig,
) -> Option<std::result::Result<propose::Answer, String>> {
    (!proposal.shortlist.is_empty()).then(|| {
        propose::ask(config, &proposal.component, &proposal.shortlist).map_err(|e| e.to_string())
    })
}

/// Holds an answer against the database and fills in the outcome and the
/// confirm command.
pub fn settle(
    store: &Store,
    proposal: &mut Proposal,
    answer: std::result::Result<propose::Answer, String>,
    model: &str,
) {
    proposal.outcome = match answer {
        Ok(a) => propose::judge(a, &proposal.shortlist, |v, p| in_database(store, v, p)),
        Err(error) => Outcome::Failed { error },
    };
    if let Outcome::Proposed {
        vendor, product, ..
    } = &proposal.outcome
    {
        proposal.confirm = Some(confirm_command(
            &proposal.component.name,
            vendor,
            product,
            model,
        ));
    }
}

/// The components' shortlists (at most `opts.limit` components), each an
/// unasked proposal; and how many were left out.
pub fn shortlists(
    store: &Store,
    components: Vec<Unresolved>,
    opts: &ProposeOptions,
) -> Result<(Vec<Proposal>, usize)> {
    if opts.shortlist == 0 {
        return Err(AppError::invalid("shortlist", "must be at least 1"));
    }
    store.refresh_product_names()?;
    let not_asked = components.len().saturating_sub(opts.limit);
    let mut proposals = Vec::new();
    for u in components.into_iter().take(opts.limit) {
        let list = shortlist(
            store,
            &ShortlistQuery {
                name: &u.facts.name,
                purl: u.facts.purl.as_deref(),
                supplier: u.facts.supplier.as_deref(),
                group: u.facts.group.as_deref(),
            },
            opts.shortlist,
        )?;
        proposals.push(Proposal {
            bom_ref: u.bom_ref,
            component: u.facts,
            shortlist: list
                .into_iter()
                .map(|n| Candidate {
                    vendor: n.vendor,
                    product: n.product,
                    records: n.records,
                    why: n.reason,
                })
                .collect(),
            outcome: Outcome::NoCandidates,
            confirm: None,
        });
    }
    Ok((proposals, not_asked))
}

/// Asks the model about each component (at most `opts.limit`), `opts.jobs`
/// requests at a time; `progress(done, total, proposal)` hears of each as
/// it is judged. One failed request fails only its component. Components
/// with the same facts and shortlist are asked once.
pub fn propose(
    store: &Store,
    components: Vec<Unresolved>,
    config: &LlmConfig,
    opts: &ProposeOptions,
    mut progress: impl FnMut(usize, usize, &Proposal),
) -> Result<Proposals> {
    if opts.jobs == 0 {
        return Err(AppError::invalid("jobs", "must be at least 1"));
    }
    let (mut proposals, not_asked) = shortlists(store, components, opts)?;
    // One question per distinct prompt.
    let mut questions: Vec<usize> = Vec::new();
    let mut asked: HashMap<String, usize> = HashMap::new();
    let mut same_as: Vec<Option<usize>> = vec![None; proposals.len()];
    for (i, p) in proposals.iter().enumerate() {
        if p.shortlist.is_empty() {
            continue;
        }
        let key = propose::prompt(&p.component, &p.shortlist);
        match asked.get(&key) {
            Some(&q) => same_as[i] = Some(q),
            None => {
                asked.insert(key, questions.len());
                same_as[i] = Some(questions.len());
                questions.push(i);
            }
        }
    }
    let total = proposals.len();
    let model = format!("llm:{}", config.model);
    let mut done = 0;
    for p in proposals.iter().filter(|p| p.shortlist.is_empty()) {
        done += 1;
        progress(done, total, p);
    }
    let asking: Vec<(ComponentFacts, Vec<Candidate>)> = questions
        .iter()
        .map(|&i| {
            (
                proposals[i].component.clone(),
                proposals[i].shortlist.clone(),
            )
        })
        .collect();
    ask_all(&asking, config, opts.jobs, |q, answer| {
        for (i, p) in proposals.iter_mut().enumerate() {
            if same_as[i] != Some(q) {
                continue;
            }
            settle(store, p, answer.clone(), &model);
            done += 1;
            progress(done, total, p);
        }
    });
    Ok(Proposals {
        model,
        proposals,
        not_asked,
    })
}

/// Asks each question from `jobs` threads; `answered(index, answer)` runs
/// on the calling thread as each answer arrives (errors as text).
fn ask_all(
    questions: &[(ComponentFacts, Vec<Candidate>)],
    config: &LlmConfig,
    jobs: usize,
    mut answered: impl FnMut(usize, std::result::Result<propose::Answer, String>),
) {
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|s| {
        for _ in 0..jobs.min(questions.len()) {
            let tx = tx.clone();
            let next = &next;
            s.spawn(move || {
                loop {
                    let q = next.fetch_add(1, Ordering::Relaxed);
                    let Some((facts, list)) = questions.get(q) else {
                        break;
                    };
                    let answer = propose::ask(config, facts, list).map_err(|e| e.to_string());
                    if tx.send((q, answer)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        for (q, answer) in rx {
            answered(q, answer);
        }
    });
}

/// Whether a record in the database names `vendor:product`.
fn in_database(store: &Store, vendor: &str, product: &str) -> bool {
    store
        .products_named(&normalize(product))
        .map(|ps| {
            ps.iter()
                .any(|p| p.vendor == vendor && p.product == product)
        })
        .unwrap_or(false)
}

/// `kensa alias add NAME VENDOR:PRODUCT --note '…'`, quoted for a POSIX shell.
pub fn confirm_command(component: &str, vendor: &str, product: &str, model: &str) -> String {
    format!(
        "kensa alias add {} {}:{} --note {}",
        shell_quote(component),
        vendor,
        product,
        shell_quote(&format!("proposed by {model}, confirmed by a person"))
    )
}

fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._+-@/=:".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_confirm_command_is_quoted_for_a_shell() {
        assert_eq!(
            confirm_command("lightttpd", "lighttpd", "lighttpd", "llm:m"),
            "kensa alias add lightttpd lighttpd:lighttpd --note 'proposed by llm:m, confirmed by a person'"
        );
        assert!(
            confirm_command("it's x", "a", "b", "m")
                .starts_with(r"kensa alias add 'it'\''s x' a:b")
        );
    }
}
