//! Extractors: vulnerability records in, condition trees out.
//!
//! The rules extractor ([`rules`]) is offline and deterministic. It reads
//! four kinds of evidence and merges them into one tree, one condition per
//! fact:
//!
//! - [`description`]: clause rules over the English description ("when X
//!   is enabled", "with X enabled", "via a crafted …", "on the x86
//!   platform", "remote authenticated users", enumerations as OR groups);
//! - [`cvss`]: attack vector, privileges, user interaction and attack
//!   requirements of the most recent CVSS vector;
//! - [`services`]: services, interfaces, protocol versions and components
//!   named in every description, the CSAF notes and mitigations, and CVE 5
//!   `modules` / `programRoutines` (issue #17);
//! - [`kernel`]: for the kernel CNA's records, the subsystem and the files
//!   the fix touches (the code must be compiled in);
//! - [`platform`]: NVD AND configurations (the platform the software runs
//!   on), CVE 5 `affected`, CSAF product status (at most one version
//!   condition);
//! - [`merge`]: folds the access facts of description and vector into one
//!   network, one privileges and one user-interaction condition, folds
//!   structured platforms into the description's platform words, and builds
//!   the `all`/`any` tree with checklist questions in English and Japanese.

mod cvss;
mod description;
mod ja;
mod kernel;
mod merge;
mod phrase;
mod platform;
mod services;
pub(crate) mod text;

use kensa_model::{SourceKind, VulnRecord};

use crate::conditions::{ConditionClass, ConditionKind, ConditionSource, Conditions};

/// What the rules extractor calls itself in `extractor`.
pub const RULES_EXTRACTOR: &str = concat!("rules@", env!("CARGO_PKG_VERSION"));

/// A tree plus what the extractor wants a reader to know about how it was
/// built (e.g. that no English description was available).
#[derive(Debug, Clone)]
pub struct Extraction {
    pub conditions: Conditions,
    pub notes: Vec<String>,
}

/// The offline, deterministic extractor. `records` are every source's record
/// of one vulnerability (NVD, CVE 5 CNA/ADP, CSAF); the first one's id names
/// the document. Always returns a schema-valid tree; see [`rules_explained`]
/// for the notes on fallbacks.
pub fn rules(records: &[VulnRecord]) -> Conditions {
    rules_explained(records).conditions
}

/// [`rules`] with its notes. A record without an English description
/// yields a tree from CVSS, configurations and `affected` only, and a note
/// that says so; a record with nothing checkable at all yields one `other`
/// condition asking whether the vulnerable component is in use.
pub fn rules_explained(records: &[VulnRecord]) -> Extraction {
    let id = records.first().map(|r| r.id.clone()).unwrap_or_default();
    let mut notes = Vec::new();
    let mut facts = Facts::default();

    match english_description(records) {
        // A kernel CNA description is a commit message: only its title
        // line is in the words of an advisory.
        Some(text) => description::read(kernel::title_line(text).unwrap_or(text), &mut facts),
        None => notes.push(
            "no English description: conditions come from the CVSS vector, configurations and affected data only"
                .to_string(),
        ),
    }
    if let Some(metric) = cvss::best(records) {
        cvss::read(metric, &mut facts);
    }
    services::read(records, &mut facts);
    kernel::read(records, &mut facts);
    let component = platform::read(records, &mut facts);

    let mut conditions = merge::build(&id, facts);
    conditions.component = component;
    conditions.extractor = Some(RULES_EXTRACTOR.to_string());
    Extraction { conditions, notes }
}

/// The English description, preferring NVD's, then the CVE 5 CNA's, then
/// any other source's. `None` when no record has one in English.
fn english_description(records: &[VulnRecord]) -> Option<&str> {
    let rank = |kind: SourceKind| match kind {
        SourceKind::Nvd => 0,
        SourceKind::Cve5Cna => 1,
        SourceKind::Csaf => 2,
        SourceKind::Osv => 3,
        SourceKind::Cve5Adp => 4,
        SourceKind::NvdOverride => 5,
    };
    records
        .iter()
        .filter_map(|r| {
            r.descriptions
                .iter()
                .find(|d| {
                    let lang = d.lang.to_ascii_lowercase();
                    (lang == "en" || lang.starts_with("en-") || lang.starts_with("en_"))
                        && !d.value.trim().is_empty()
                })
                .map(|d| (rank(r.source.kind), d.value.as_str()))
        })
        .min_by_key(|(rank, _)| *rank)
        .map(|(_, text)| text)
}

/// One checkable statement before it gets its id.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fact {
    pub kind: ConditionKind,
    pub class: Option<ConditionClass>,
    pub text: String,
    pub question: String,
    pub question_ja: String,
    pub source: ConditionSource,
    pub evidence: String,
}

/// A fact, or alternatives of which any one suffices.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Item {
    One(Fact),
    Any(Vec<Fact>),
}

/// How an attacker must stand toward the product: the facts that the
/// description's actor phrases and the CVSS vector both state, merged into
/// one condition each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Access {
    /// Reachable over the network (AV:N, "remote attackers").
    Remote,
    /// Same network segment (AV:A, "adjacent network").
    Adjacent,
    /// On the traffic's path (man-in-the-middle, sniffing).
    OnPath,
    /// Local access (AV:L, "local users").
    Local,
    /// Physical access (AV:P, "physically proximate attackers").
    Physical,
    /// Authenticated with low privileges (Au:S/M, PR:L, "authenticated users").
    Authenticated,
    /// High privileges (PR:H, "administrators").
    Admin,
    /// A user must act (UI:R/P/A, "user-assisted", "trick a user").
    UserInteraction,
    /// CVSS 4.0 AT:P: deployment conditions beyond the attacker's control.
    AttackRequirements,
}

/// One statement about access, with where it was read.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cue {
    pub access: Access,
    pub source: ConditionSource,
    pub evidence: String,
}

/// Everything the readers found, before merging.
#[derive(Debug, Default)]
pub(crate) struct Facts {
    /// Description items in text order (configuration, platform, input …).
    pub items: Vec<Item>,
    pub cues: Vec<Cue>,
    /// Platforms from structured data (AND configurations, CVE 5 platforms).
    pub platforms: Vec<StructuredPlatform>,
    /// At most one version fact.
    pub version: Option<Fact>,
}

/// A platform named by structured data, with the words that identify it in
/// prose (vendor and product tokens) for merging with the description.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StructuredPlatform {
    pub name: String,
    pub tokens: Vec<String>,
    pub source: ConditionSource,
    pub evidence: String,
}
