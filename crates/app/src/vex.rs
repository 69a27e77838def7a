//! A product's stored verdicts as one VEX document.

use kensa_logic::verdict::Verdict;
use kensa_logic::vex::write::{Issuer, Subject, VexFormat, write_product};
use kensa_model::team::Role;
use kensa_store::Store;
use serde_json::Value;

use crate::access::{self, Actor};
use crate::{AppError, Result};

/// A VEX format from its name.
pub fn format(name: Option<&str>) -> Result<VexFormat> {
    match name.unwrap_or("openvex") {
        "openvex" => Ok(VexFormat::OpenVex),
        "cyclonedx" => Ok(VexFormat::CycloneDx),
        "csaf" => Ok(VexFormat::Csaf),
        other => Err(AppError::invalid(
            "format",
            format!("`{other}` is not a VEX format; use openvex, cyclonedx or csaf"),
        )),
    }
}

/// Who states the VEX: the organisation's name and URI.
#[derive(Debug, Clone)]
pub struct Publisher {
    pub name: String,
    pub namespace: String,
}

impl Default for Publisher {
    fn default() -> Publisher {
        Publisher {
            name: "Unknown author".into(),
            namespace: "urn:x-kensa:unconfigured".into(),
        }
    }
}

/// The product's verdicts as one document. `final_doc` states only
/// approved verdicts (their approved revision) and needs the approver
/// role; a draft states every current verdict, approved or not, and any
/// reader may take it.
pub fn product_vex(
    store: &Store,
    actor: &Actor,
    product: &str,
    format: VexFormat,
    final_doc: bool,
    publisher: &Publisher,
) -> Result<Value> {
    let need = if final_doc {
        Role::Approver
    } else {
        Role::Viewer
    };
    let (p, _) = access::product(store, actor, product, need)?;
    let stored: Vec<(String, Value)> = if final_doc {
        store.approved_verdicts(p.id)?
    } else {
        store
            .assessments_of(p.id)?
            .into_iter()
            .map(|a| (a.vulnerability, a.verdict))
            .collect()
    };
    if stored.is_empty() {
        return Err(AppError::Conflict(format!(
            "nothing to state: {product} has no {}assessments; save (and approve) some first",
            if final_doc { "approved " } else { "" }
        )));
    }
    let verdicts = stored
        .into_iter()
        .map(|(id, v)| {
            serde_json::from_value::<Verdict>(v).map_err(|e| {
                AppError::Store(kensa_store::StoreError::Corrupt {
                    what: format!("verdict on {id}"),
                    message: e.to_string(),
                })
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let subject = Subject {
        name: p.name.clone(),
        version: None,
        purl: None,
    };
    let issuer = Issuer {
        timestamp: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        author: publisher.name.clone(),
        namespace: publisher.namespace.clone(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        action: None,
    };
    Ok(write_product(
        format, &verdicts, &subject, &issuer, !final_doc,
    ))
}
