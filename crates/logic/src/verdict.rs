//! Evaluating answers against a condition tree with three-valued logic.
//!
//! A condition answered yes is true, no is false, unknown or unanswered is
//! unknown. An `all` group is false as soon as one child is false (true
//! only when every child is true); an `any` group is true as soon as one
//! child is true (false only when every child is false); otherwise unknown.
//! An empty group is unknown: a tree without conditions decides nothing.
//!
//! The root decides: false → not_affected, true → affected, unknown →
//! under_investigation. The verdict names the conditions that decided it
//! (a small set of answers that alone fix the root's value) or, when
//! undecided, the open questions that could still decide it.

use serde::{Deserialize, Serialize};

use crate::answers::{Answer, AnswerValue, Answers, AnswersError};
use crate::conditions::{Condition, ConditionKind, Conditions, GroupOp, Node};
use crate::fingerprint::{fingerprint, origin};
use crate::vex::Justification;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Affected,
    NotAffected,
    UnderInvestigation,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Affected => "affected",
            Status::NotAffected => "not_affected",
            Status::UnderInvestigation => "under_investigation",
        }
    }
}

/// A condition whose answer decided the verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decisive {
    pub id: String,
    pub kind: ConditionKind,
    pub text: String,
    pub answer: AnswerValue,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}

/// A question whose answer could still decide the verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpenQuestion {
    pub id: String,
    pub kind: ConditionKind,
    pub question: String,
    /// `unknown` when someone answered "unknown", `unanswered` otherwise.
    pub state: &'static str,
}

/// A verdict reads back from JSON (a stored assessment) as it was written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub vulnerability: String,
    pub status: Status,
    /// The logical basis, in words.
    pub basis: String,
    /// not_affected: the "no" answers that falsify the tree; affected: the
    /// "yes" answers that satisfy it.
    pub deciding: Vec<Decisive>,
    /// under_investigation: what is still to be answered.
    pub open: Vec<OpenQuestion>,
    /// The VEX justification the deciding "no" answers support.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification: Option<Justification>,
    /// [`crate::fingerprint`] of the tree the verdict was made on.
    pub conditions_fingerprint: String,
    /// [`crate::fingerprint::origin`] of that tree: `rules`, `llm` or `analyst`.
    pub conditions_origin: &'static str,
    pub conditions: usize,
    pub answered: usize,
}

// The `'static` strings above read back as the values the writer used
// (serde would otherwise borrow them from the input).

/// `s` as one of `known`.
fn one_of(s: String, known: &[&'static str], field: &str) -> Result<&'static str, String> {
    known
        .iter()
        .find(|k| **k == s)
        .copied()
        .ok_or_else(|| format!("{field}: unknown value `{s}`"))
}

#[derive(Deserialize)]
struct OpenQuestionWire {
    id: String,
    kind: ConditionKind,
    question: String,
    state: String,
}

impl TryFrom<OpenQuestionWire> for OpenQuestion {
    type Error = String;
    fn try_from(w: OpenQuestionWire) -> Result<Self, String> {
        Ok(OpenQuestion {
            id: w.id,
            kind: w.kind,
            question: w.question,
            state: one_of(w.state, &["unknown", "unanswered"], "state")?,
        })
    }
}

impl<'de> Deserialize<'de> for OpenQuestion {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        OpenQuestionWire::deserialize(d)?
            .try_into()
            .map_err(serde::de::Error::custom)
    }
}

impl<'de> Deserialize<'de> for Verdict {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        VerdictWire::deserialize(d)?
            .try_into()
            .map_err(serde::de::Error::custom)
    }
}

#[derive(Deserialize)]
struct VerdictWire {
    vulnerability: String,
    status: Status,
    basis: String,
    deciding: Vec<Decisive>,
    open: Vec<OpenQuestion>,
    #[serde(default)]
    justification: Option<Justification>,
    conditions_fingerprint: String,
    conditions_origin: String,
    conditions: usize,
    answered: usize,
}

impl TryFrom<VerdictWire> for Verdict {
    type Error = String;
    fn try_from(w: VerdictWire) -> Result<Self, String> {
        Ok(Verdict {
            vulnerability: w.vulnerability,
            status: w.status,
            basis: w.basis,
            deciding: w.deciding,
            open: w.open,
            justification: w.justification,
            conditions_fingerprint: w.conditions_fingerprint,
            conditions_origin: one_of(
                w.conditions_origin,
                &["rules", "llm", "analyst"],
                "conditions_origin",
            )?,
            conditions: w.conditions,
            answered: w.answered,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tri {
    True,
    False,
    Unknown,
}

/// Checks the answers against the tree and evaluates it.
pub fn evaluate(tree: &Conditions, answers: &Answers) -> Result<Verdict, AnswersError> {
    answers.check(tree)?;
    let by_id = answers.by_id();
    let lookup = |c: &Condition| by_id.get(c.id.as_str()).copied();
    let ev = Evaluator { lookup: &lookup };
    let root = ev.eval(&tree.logic);
    let all = tree.conditions();
    let answered = all
        .iter()
        .filter(|c| lookup(c).is_some_and(|a| a.answer != AnswerValue::Unknown))
        .count();
    let (status, deciding, open) = match root {
        Tri::False => (
            Status::NotAffected,
            ev.decisive(ev.falsifiers(&tree.logic)),
            Vec::new(),
        ),
        Tri::True => (
            Status::Affected,
            ev.decisive(ev.satisfiers(&tree.logic)),
            Vec::new(),
        ),
        Tri::Unknown => {
            let mut open = Vec::new();
            ev.open(&tree.logic, &mut open);
            let open = open
                .into_iter()
                .map(|c| OpenQuestion {
                    id: c.id.clone(),
                    kind: c.kind,
                    question: c.question.clone(),
                    state: if lookup(c).is_some() {
                        "unknown"
                    } else {
                        "unanswered"
                    },
                })
                .collect();
            (Status::UnderInvestigation, Vec::new(), open)
        }
    };
    let justification = match status {
        Status::NotAffected => Justification::for_kinds(deciding.iter().map(|d| d.kind)),
        _ => None,
    };
    let basis = basis(tree, status, &deciding, &open);
    Ok(Verdict {
        vulnerability: tree.vulnerability.clone(),
        status,
        basis,
        deciding,
        open,
        justification,
        conditions_fingerprint: fingerprint(tree),
        conditions_origin: origin(tree),
        conditions: all.len(),
        answered,
    })
}

struct Evaluator<'a> {
    lookup: &'a dyn Fn(&Condition) -> Option<&'a Answer>,
}

impl<'a> Evaluator<'a> {
    fn eval(&self, node: &Node) -> Tri {
        match node {
            Node::Condition(c) => match (self.lookup)(c).map(|a| a.answer) {
                Some(AnswerValue::Yes) => Tri::True,
                Some(AnswerValue::No) => Tri::False,
                _ => Tri::Unknown,
            },
            Node::Group(g) if g.children.is_empty() => Tri::Unknown,
            Node::Group(g) => {
                let values: Vec<Tri> = g.children.iter().map(|c| self.eval(c)).collect();
                let (dominant, other) = match g.op {
                    GroupOp::All => (Tri::False, Tri::True),
                    GroupOp::Any => (Tri::True, Tri::False),
                };
                if values.contains(&dominant) {
                    dominant
                } else if values.iter().all(|v| *v == other) {
                    other
                } else {
                    Tri::Unknown
                }
            }
        }
    }

    /// For a false node: "no" answers that alone make it false. An `all`
    /// needs one false child (the one with the fewest); an `any` needs
    /// every child false.
    fn falsifiers<'n>(&self, node: &'n Node) -> Vec<&'n Condition> {
        self.deciding_set(node, Tri::False, GroupOp::All)
    }

    /// For a true node: "yes" answers that alone make it true.
    fn satisfiers<'n>(&self, node: &'n Node) -> Vec<&'n Condition> {
        self.deciding_set(node, Tri::True, GroupOp::Any)
    }

    /// `one_suffices` is the group kind where a single child with `value`
    /// decides the group; in the other kind every child is needed.
    fn deciding_set<'n>(
        &self,
        node: &'n Node,
        value: Tri,
        one_suffices: GroupOp,
    ) -> Vec<&'n Condition> {
        match node {
            Node::Condition(c) => vec![c],
            Node::Group(g) => {
                let sets = g
                    .children
                    .iter()
                    .filter(|c| self.eval(c) == value)
                    .map(|c| self.deciding_set(c, value, one_suffices));
                if g.op == one_suffices {
                    sets.min_by_key(Vec::len).unwrap_or_default()
                } else {
                    sets.flatten().collect()
                }
            }
        }
    }

    /// For an unknown node: the conditions not answered yes or no in the
    /// parts that are still unknown (decided siblings cannot change it).
    fn open<'n>(&self, node: &'n Node, out: &mut Vec<&'n Condition>) {
        match node {
            Node::Condition(c) => out.push(c),
            Node::Group(g) => {
                for child in &g.children {
                    if self.eval(child) == Tri::Unknown {
                        self.open(child, out);
                    }
                }
            }
        }
    }

    fn decisive(&self, conditions: Vec<&Condition>) -> Vec<Decisive> {
        conditions
            .into_iter()
            .map(|c| {
                let a = (self.lookup)(c);
                Decisive {
                    id: c.id.clone(),
                    kind: c.kind,
                    text: c.text.clone(),
                    answer: a.map_or(AnswerValue::Unknown, |a| a.answer),
                    note: a.and_then(|a| a.note.clone()),
                    evidence: a.and_then(|a| a.evidence.clone()),
                }
            })
            .collect()
    }
}

/// The verdict in words: what was answered and why that settles it.
fn basis(
    tree: &Conditions,
    status: Status,
    deciding: &[Decisive],
    open: &[OpenQuestion],
) -> String {
    let cite = |d: &Decisive| {
        let mut s = format!("{} \"{}\" was answered {}", d.id, d.text, d.answer);
        if let Some(n) = &d.note {
            s.push_str(&format!(" ({n})"));
        }
        s
    };
    let list = |items: Vec<String>| items.join("; ");
    match status {
        Status::NotAffected => format!(
            "Not affected: {}. {} the trigger conditions of {} false whatever the other answers.",
            list(deciding.iter().map(cite).collect()),
            if deciding.len() == 1 {
                "This alone makes"
            } else {
                "Together these make"
            },
            tree.vulnerability
        ),
        Status::Affected => format!(
            "Affected: {}. {} the trigger conditions of {} true.",
            list(deciding.iter().map(cite).collect()),
            if deciding.len() == 1 {
                "This alone makes"
            } else {
                "Together these make"
            },
            tree.vulnerability
        ),
        Status::UnderInvestigation if tree.conditions().is_empty() => format!(
            "Under investigation: the condition tree of {} has no conditions, so no answer can decide it.",
            tree.vulnerability
        ),
        Status::UnderInvestigation => format!(
            "Under investigation: the answers neither rule {} out nor confirm it. Still open: {}.",
            tree.vulnerability,
            list(
                open.iter()
                    .map(|o| format!("{} ({}) \"{}\"", o.id, o.state, o.question))
                    .collect()
            )
        ),
    }
}
