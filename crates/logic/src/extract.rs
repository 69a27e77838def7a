//! Extractors: vulnerability records in, condition trees out.

use kensa_model::VulnRecord;

use crate::conditions::{Conditions, Group, GroupOp, Node};

/// The offline, deterministic extractor. `records` are every source's record
/// of one vulnerability (NVD, CVE 5 CNA/ADP, CSAF); the first one's id names
/// the document.
///
/// Placeholder until the rules extractor lands: an empty `all` group.
pub fn rules(records: &[VulnRecord]) -> Conditions {
    let id = records.first().map(|r| r.id.clone()).unwrap_or_default();
    Conditions::new(
        id,
        Node::Group(Group {
            op: GroupOp::All,
            children: Vec::new(),
        }),
    )
}
