//! Assessment: the Boolean trigger conditions of a vulnerability.
//!
//! A vulnerability's prose ("when the X option is enabled, remote attackers
//! can ...") becomes an explicit AND/OR tree of checkable conditions
//! ([`Conditions`], the `kensa.conditions/v1` contract in
//! `docs/conditions.schema.json`). Extractors build the tree; checklists
//! render it for people; answers evaluate it into a verdict; VEX carries the
//! verdict to others.

pub mod conditions;
pub mod extract;

pub use conditions::{Condition, ConditionKind, ConditionSource, Conditions, Group, GroupOp, Node};
