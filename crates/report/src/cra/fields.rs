//! The fields each stage report asks, kept as versioned data
//! (`data/cra-fields-v1.json`), and a draft filled from what Kensa knows.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::{Kind, Stage};

/// The field list and its version.
#[derive(Debug, Clone, Deserialize)]
pub struct FieldSet {
    pub version: String,
    pub basis: String,
    pub fields: Vec<Field>,
}

/// One field of the reporting platform's form.
#[derive(Debug, Clone, Deserialize)]
pub struct Field {
    pub id: String,
    pub label: String,
    pub stages: Vec<Stage>,
    pub kinds: Vec<Kind>,
    pub max_chars: usize,
    /// The fact Kensa fills it from (`product`, `member_states`, …); null
    /// when only a person can.
    pub source: Option<String>,
}

/// The bundled field list (parsed once; the data is tested).
pub fn fields() -> &'static FieldSet {
    static SET: OnceLock<FieldSet> = OnceLock::new();
    SET.get_or_init(|| {
        serde_json::from_str(include_str!("../../data/cra-fields-v1.json"))
            .expect("data/cra-fields-v1.json is valid (see the tests)")
    })
}

/// One field of a draft.
#[derive(Debug, Clone, Serialize)]
pub struct Filled {
    pub id: String,
    pub label: String,
    pub max_chars: usize,
    /// None: "to be completed".
    pub value: Option<String>,
    /// The known text was longer than the limit: its length in characters
    /// (the value holds the first `max_chars`, to be shortened by a person).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub over_limit: Option<usize>,
}

/// A stage report's draft.
#[derive(Debug, Clone, Serialize)]
pub struct StageReport {
    pub stage: Stage,
    pub kind: Kind,
    pub fields_version: String,
    pub fields: Vec<Filled>,
}

impl StageReport {
    /// The fields still to be completed (empty, or over their limit).
    pub fn to_complete(&self) -> impl Iterator<Item = &Filled> {
        self.fields
            .iter()
            .filter(|f| f.value.is_none() || f.over_limit.is_some())
    }
}

/// The draft of `stage` for a case of `kind`: each field the stage asks,
/// filled from `known` (source name → text) where Kensa knows it.
pub fn draft(
    set: &FieldSet,
    stage: Stage,
    kind: Kind,
    known: &BTreeMap<String, String>,
) -> StageReport {
    let fields = set
        .fields
        .iter()
        .filter(|f| f.stages.contains(&stage) && f.kinds.contains(&kind))
        .map(|f| {
            let text = f
                .source
                .as_ref()
                .and_then(|s| known.get(s))
                .map(|t| t.trim())
                .filter(|t| !t.is_empty());
            let (value, over_limit) = match text {
                Some(t) => {
                    let n = t.chars().count();
                    if n > f.max_chars {
                        (Some(t.chars().take(f.max_chars).collect()), Some(n))
                    } else {
                        (Some(t.to_string()), None)
                    }
                }
                None => (None, None),
            };
            Filled {
                id: f.id.clone(),
                label: f.label.clone(),
                max_chars: f.max_chars,
                value,
                over_limit,
            }
        })
        .collect();
    StageReport {
        stage,
        kind,
        fields_version: set.version.clone(),
        fields,
    }
}
