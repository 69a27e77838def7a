//! Assessment: the Boolean trigger conditions of a vulnerability.
//!
//! A vulnerability's prose ("when the X option is enabled, remote attackers
//! can ...") becomes an explicit AND/OR tree of checkable conditions
//! ([`Conditions`], the `kensa.conditions/v1` contract in
//! `docs/conditions.schema.json`). Extractors build the tree ([`extract`]
//! offline, [`llm`] through a chat-completions API); [`checklist`] renders it
//! for people; [`answers`] and [`verdict`] evaluate their answers into a
//! verdict; [`vex`] carries the verdict to others and applies others' VEX
//! to scan findings.

pub mod answers;
pub mod auto;
pub mod checklist;
pub mod conditions;
pub mod document;
pub mod extract;
pub mod fingerprint;
pub mod llm;
pub mod propose;
pub mod verdict;
pub mod vex;

pub use conditions::{
    Condition, ConditionClass, ConditionKind, ConditionSource, Conditions, Group, GroupOp, Node,
};
