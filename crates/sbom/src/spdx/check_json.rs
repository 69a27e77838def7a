//! Strict mode's own checks of an SPDX 2.2 / 2.3 JSON document: what the
//! specification states and the JSON schema cannot say (the document's
//! SPDXID and data licence, identifier syntax and uniqueness, date forms,
//! checksum values, relationships naming elements that exist). They run
//! after the reader's checks and before the schema, and name the JSON
//! pointer of the first violation.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use super::rules::{self, Version};
use crate::error::{Location, SbomError};
use crate::json::{idx, ptr};

fn invalid(at: &str, message: String) -> SbomError {
    SbomError::Invalid {
        at: Location::Pointer(at.to_string()),
        message,
    }
}

/// Applies `rule` to the string at `obj[key]`, if it is one (types are the
/// schema's business).
fn field(
    obj: &Map<String, Value>,
    key: &str,
    base: &str,
    rule: impl FnOnce(&str) -> Result<(), String>,
) -> Result<(), SbomError> {
    match obj.get(key).and_then(Value::as_str) {
        Some(s) => rule(s).map_err(|m| invalid(&ptr(base, key), m)),
        None => Ok(()),
    }
}

/// The objects of the array at `obj[key]`, each with its pointer.
fn objects<'v>(
    obj: &'v Map<String, Value>,
    key: &str,
    base: &str,
) -> Vec<(String, &'v Map<String, Value>)> {
    let list = obj.get(key).and_then(Value::as_array);
    list.into_iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, v)| Some((idx(&ptr(base, key), i), v.as_object()?)))
        .collect()
}

/// The strings of the array at `obj[key]`, each with its pointer.
fn strings<'v>(obj: &'v Map<String, Value>, key: &str, base: &str) -> Vec<(String, &'v str)> {
    let list = obj.get(key).and_then(Value::as_array);
    list.into_iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, v)| Some((idx(&ptr(base, key), i), v.as_str()?)))
        .collect()
}

/// Checks a document of `spdx_version`; one of another version is left to
/// the reader, which refuses it in strict mode.
pub(crate) fn check(root: &Map<String, Value>, spdx_version: &str) -> Result<(), SbomError> {
    let Some(version) = Version::from_spdx_version(spdx_version) else {
        return Ok(());
    };
    document(root)?;
    let external_docs = external_documents(root, version)?;
    let elements = element_ids(root)?;
    for (base, p) in objects(root, "packages", "") {
        package(p, &base, version)?;
    }
    for (base, f) in objects(root, "files", "") {
        checksums(f, &base, version)?;
    }
    references(root, &elements, &external_docs)?;
    annotations(root)
}

fn document(root: &Map<String, Value>) -> Result<(), SbomError> {
    field(root, "SPDXID", "", |id| {
        if id == rules::DOCUMENT_ID {
            Ok(())
        } else {
            Err(format!(
                "the document's SPDXID is `{id}`, not `{}`",
                rules::DOCUMENT_ID
            ))
        }
    })?;
    field(root, "dataLicense", "", |l| {
        if l == rules::DATA_LICENSE {
            Ok(())
        } else {
            Err(format!(
                "data licence `{l}`; SPDX documents are `{}`",
                rules::DATA_LICENSE
            ))
        }
    })?;
    field(root, "documentNamespace", "", rules::namespace)?;
    if let Some(info) = root.get("creationInfo").and_then(Value::as_object) {
        field(info, "created", "/creationInfo", rules::date_time)?;
        for (at, creator) in strings(info, "creators", "/creationInfo") {
            rules::agent(creator).map_err(|m| invalid(&at, m))?;
        }
    }
    for (at, review) in objects(root, "revieweds", "") {
        field(review, "reviewer", &at, rules::agent)?;
        field(review, "reviewDate", &at, rules::date_time)?;
    }
    Ok(())
}

/// Checks the external document references; returns their ids.
fn external_documents(
    root: &Map<String, Value>,
    version: Version,
) -> Result<HashSet<&str>, SbomError> {
    let mut ids = HashSet::new();
    for (base, r) in objects(root, "externalDocumentRefs", "") {
        field(r, "externalDocumentId", &base, rules::document_ref)?;
        if let Some(id) = r.get("externalDocumentId").and_then(Value::as_str) {
            ids.insert(id);
        }
        if let Some(c) = r.get("checksum").and_then(Value::as_object) {
            checksum(c, &ptr(&base, "checksum"), version)?;
        }
    }
    Ok(ids)
}

/// Checks the syntax and uniqueness of every element's SPDXID; returns
/// them, the document's included.
fn element_ids(root: &Map<String, Value>) -> Result<HashSet<&str>, SbomError> {
    let mut seen: HashMap<&str, String> = HashMap::new();
    if let Some(id) = root.get("SPDXID").and_then(Value::as_str) {
        seen.insert(id, "/SPDXID".into());
    }
    for list in ["packages", "files", "snippets"] {
        for (base, element) in objects(root, list, "") {
            let Some(id) = element.get("SPDXID").and_then(Value::as_str) else {
                continue;
            };
            let at = ptr(&base, "SPDXID");
            rules::spdx_id(id).map_err(|m| invalid(&at, m))?;
            if let Some(first) = seen.get(id) {
                return Err(invalid(
                    &at,
                    format!("SPDXID `{id}` is not unique (also at {first})"),
                ));
            }
            seen.insert(id, at);
        }
    }
    Ok(seen.into_keys().collect())
}

fn package(p: &Map<String, Value>, base: &str, version: Version) -> Result<(), SbomError> {
    checksums(p, base, version)?;
    if let Some(code) = p.get("packageVerificationCode").and_then(Value::as_object) {
        field(
            code,
            "packageVerificationCodeValue",
            &ptr(base, "packageVerificationCode"),
            rules::verification_code,
        )?;
    }
    for date in ["releaseDate", "builtDate", "validUntilDate"] {
        field(p, date, base, rules::date_time)?;
    }
    Ok(())
}

fn checksums(element: &Map<String, Value>, base: &str, version: Version) -> Result<(), SbomError> {
    for (at, c) in objects(element, "checksums", base) {
        checksum(c, &at, version)?;
    }
    Ok(())
}

/// A `{algorithm, checksumValue}` object.
fn checksum(c: &Map<String, Value>, base: &str, version: Version) -> Result<(), SbomError> {
    let (Some(algorithm), Some(value)) = (
        c.get("algorithm").and_then(Value::as_str),
        c.get("checksumValue").and_then(Value::as_str),
    ) else {
        return Ok(());
    };
    rules::checksum(version, algorithm, value).map_err(|m| {
        // Point at the algorithm when it is the algorithm that is wrong.
        let key = if m.starts_with("checksum algorithm") {
            "algorithm"
        } else {
            "checksumValue"
        };
        invalid(&ptr(base, key), m)
    })
}

/// Relationships, `documentDescribes`, `hasFiles` and `snippetFromFile`
/// name elements that exist.
fn references(
    root: &Map<String, Value>,
    elements: &HashSet<&str>,
    external_docs: &HashSet<&str>,
) -> Result<(), SbomError> {
    let exists = |id: &str, related: bool, at: &str| {
        rules::element_ref(id, related, elements, external_docs).map_err(|m| invalid(at, m))
    };
    for (base, r) in objects(root, "relationships", "") {
        if let Some(id) = r.get("spdxElementId").and_then(Value::as_str) {
            exists(id, false, &ptr(&base, "spdxElementId"))?;
        }
        if let Some(id) = r.get("relatedSpdxElement").and_then(Value::as_str) {
            exists(id, true, &ptr(&base, "relatedSpdxElement"))?;
        }
    }
    for (at, id) in strings(root, "documentDescribes", "") {
        exists(id, false, &at)?;
    }
    for (base, p) in objects(root, "packages", "") {
        for (at, id) in strings(p, "hasFiles", &base) {
            exists(id, false, &at)?;
        }
    }
    for (base, snippet) in objects(root, "snippets", "") {
        if let Some(id) = snippet.get("snippetFromFile").and_then(Value::as_str) {
            exists(id, false, &ptr(&base, "snippetFromFile"))?;
        }
    }
    Ok(())
}

/// Annotations of the document and of its elements: annotator and date.
fn annotations(root: &Map<String, Value>) -> Result<(), SbomError> {
    let mut holders = vec![(String::new(), root)];
    for list in ["packages", "files", "snippets"] {
        holders.extend(objects(root, list, ""));
    }
    for (base, holder) in holders {
        for (at, a) in objects(holder, "annotations", &base) {
            field(a, "annotator", &at, rules::agent)?;
            field(a, "annotationDate", &at, rules::date_time)?;
        }
    }
    Ok(())
}
