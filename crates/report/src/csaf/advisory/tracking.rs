//! The advisory's tracking: a new advisory's, or an update's (same id and
//! initial release date, the version bumped, a revision saying what
//! changed).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{AdvisoryError, Product, Request};

/// The tracking object: a new advisory starts at version 1; an update
/// keeps the id and initial release date, and adds a revision.
pub(super) fn tracking(req: &Request, now: &str, vulns: &[Value]) -> Result<Value, AdvisoryError> {
    let generator = json!({"date": now, "engine": {"name": "Kensa", "version": req.tool_version}});
    let Some(prev) = req.previous else {
        let id = req
            .tracking_id
            .map_or_else(|| default_id(req.product), str::to_string);
        return Ok(json!({
            "id": id,
            "status": req.status.as_str(),
            "version": "1",
            "initial_release_date": now,
            "current_release_date": now,
            "revision_history": [{"date": now, "number": "1", "summary": "Initial version."}],
            "generator": generator,
        }));
    };
    let t = &prev["document"]["tracking"];
    let field = |k: &str| {
        t[k].as_str()
            .ok_or_else(|| AdvisoryError::Previous(format!("has no /document/tracking/{k}")))
    };
    let id = field("id")?;
    if let Some(wanted) = req.tracking_id
        && wanted != id
    {
        return Err(AdvisoryError::Previous(format!(
            "has tracking id {id}, not {wanted}"
        )));
    }
    let version: u64 = field("version")?.parse().map_err(|_| {
        AdvisoryError::Previous("does not use integer versioning, which Kensa writes".into())
    })?;
    if prev["document"]["category"] != "csaf_security_advisory" {
        return Err(AdvisoryError::Previous(
            "is not a csaf_security_advisory".into(),
        ));
    }
    let mut history = t["revision_history"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let next = (version + 1).to_string();
    history.push(json!({"date": now, "number": next, "summary": changes(prev, vulns)}));
    Ok(json!({
        "id": id,
        "status": req.status.as_str(),
        "version": next,
        "initial_release_date": field("initial_release_date")?,
        "current_release_date": now,
        "revision_history": history,
        "generator": generator,
    }))
}

fn default_id(p: &Product) -> String {
    let slug = |s: &str| -> String {
        s.to_uppercase()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' {
                    c
                } else {
                    '-'
                }
            })
            .collect()
    };
    format!("KENSA-{}-{}", slug(&p.name), slug(&p.version))
}

/// Each vulnerability's id and status key, from a written advisory.
fn statuses(vulns: &[Value]) -> BTreeMap<String, String> {
    vulns
        .iter()
        .filter_map(|v| {
            let id = v["cve"].as_str().or_else(|| v["ids"][0]["text"].as_str())?;
            let status = v["product_status"]
                .as_object()?
                .keys()
                .find(|k| *k != "fixed")?;
            Some((id.to_string(), status.clone()))
        })
        .collect()
}

/// The revision summary of an update: what was added, removed, changed.
fn changes(prev: &Value, vulns: &[Value]) -> String {
    let before = statuses(
        prev["vulnerabilities"]
            .as_array()
            .map_or(&[][..], Vec::as_slice),
    );
    let after = statuses(vulns);
    let mut parts = Vec::new();
    for (id, status) in &after {
        match before.get(id) {
            None => parts.push(format!("added {id} ({status})")),
            Some(old) if old != status => parts.push(format!("{id}: {old} → {status}")),
            Some(_) => {}
        }
    }
    for id in before.keys().filter(|id| !after.contains_key(*id)) {
        parts.push(format!("removed {id}"));
    }
    if parts.is_empty() {
        "Republished; no status changed.".into()
    } else {
        let mut s = parts.join("; ");
        s.push('.');
        let mut chars = s.chars();
        chars
            .next()
            .map_or(s.clone(), |c| c.to_uppercase().chain(chars).collect())
    }
}
