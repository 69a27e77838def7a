//! Strict mode's schema check: a CycloneDX JSON document against the
//! official JSON schema of its `specVersion` (shipped in `schemas/`, from
//! the CycloneDX specification, Apache-2.0), and an SPDX 2.2 / 2.3 JSON
//! document against the official SPDX JSON schema of its `spdxVersion`
//! (shipped in `schemas/spdx-document-*.schema.json`, from the SPDX
//! specification, see `schemas/README.md`).
//!
//! Each version's schema is compiled once per process, on first use.

use std::sync::OnceLock;

use serde_json::Value;

use crate::error::{Location, SbomError};

/// Where the schemas' relative references (`spdx.schema.json`, …) point.
const BASE: &str = "http://cyclonedx.org/schema/";

const SHARED: &[(&str, &str)] = &[
    (
        "spdx.schema.json",
        include_str!("../schemas/spdx.schema.json"),
    ),
    (
        "jsf-0.82.schema.json",
        include_str!("../schemas/jsf-0.82.schema.json"),
    ),
    (
        "cryptography-defs.schema.json",
        include_str!("../schemas/cryptography-defs.schema.json"),
    ),
];

const VERSIONS: &[(&str, &str)] = &[
    ("1.2", include_str!("../schemas/bom-1.2.schema.json")),
    ("1.3", include_str!("../schemas/bom-1.3.schema.json")),
    ("1.4", include_str!("../schemas/bom-1.4.schema.json")),
    ("1.5", include_str!("../schemas/bom-1.5.schema.json")),
    ("1.6", include_str!("../schemas/bom-1.6.schema.json")),
    ("1.7", include_str!("../schemas/bom-1.7.schema.json")),
];

/// At most this many characters of one violation's message.
const MAX_MESSAGE: usize = 160;

/// At most this many violations are named in one error.
const MAX_REPORTED: usize = 5;

type Compiled = Result<(boon::Schemas, boon::SchemaIndex), String>;

static COMPILED: [OnceLock<Compiled>; 6] = [const { OnceLock::new() }; 6];

/// Checks `doc` against the schema of `version`; `Ok` for a version without
/// a JSON schema (1.0, 1.1 had XML only), which strict mode refuses
/// elsewhere when unknown.
pub(crate) fn validate_cyclonedx(doc: &Value, version: &str) -> Result<(), SbomError> {
    let Some(slot) = VERSIONS.iter().position(|(v, _)| *v == version) else {
        return Ok(());
    };
    let compiled = COMPILED[slot].get_or_init(|| compile(VERSIONS[slot].1, version));
    let (schemas, index) = compiled.as_ref().map_err(|e| SbomError::Invalid {
        at: Location::Document,
        message: format!("the CycloneDX {version} schema does not compile: {e}"),
    })?;
    check(schemas, *index, doc, &format!("CycloneDX {version}"))
}

/// The SPDX JSON schemas, by `spdxVersion`. 2.2 is the 2.2.2 revision of
/// the 2.2 schema (it fixes 2.2.1's; the JSON format of 2.2 is unchanged).
const SPDX_VERSIONS: &[(&str, &str, &str)] = &[
    (
        "SPDX-2.2",
        "spdx-document-2.2.schema.json",
        include_str!("../schemas/spdx-document-2.2.schema.json"),
    ),
    (
        "SPDX-2.3",
        "spdx-document-2.3.schema.json",
        include_str!("../schemas/spdx-document-2.3.schema.json"),
    ),
];

/// Where the SPDX schemas are registered (they reference nothing; their own
/// `$id`s are replaced so that the two never meet on one id).
const SPDX_BASE: &str = "https://kensa.invalid/schemas/";

static SPDX_COMPILED: [OnceLock<Compiled>; 2] = [const { OnceLock::new() }; 2];

/// Checks an SPDX JSON `doc` against the schema of `version` (`SPDX-2.3`);
/// `Ok` for a version without a schema here, which strict mode refuses
/// elsewhere.
pub(crate) fn validate_spdx(doc: &Value, version: &str) -> Result<(), SbomError> {
    let Some(slot) = SPDX_VERSIONS.iter().position(|(v, ..)| *v == version) else {
        return Ok(());
    };
    let (_, file, text) = SPDX_VERSIONS[slot];
    let compiled = SPDX_COMPILED[slot].get_or_init(|| compile_single(file, text));
    let (schemas, index) = compiled.as_ref().map_err(|e| SbomError::Invalid {
        at: Location::Document,
        message: format!("the {version} JSON schema does not compile: {e}"),
    })?;
    check(schemas, *index, doc, &version.replacen('-', " ", 1))
}

/// A schema that references no other.
fn compile_single(file: &str, text: &str) -> Compiled {
    let url = format!("{SPDX_BASE}{file}");
    let mut value: Value = serde_json::from_str(text).map_err(|e| format!("{file}: {e}"))?;
    if let Some(obj) = value.as_object_mut() {
        obj.insert("$id".into(), Value::String(url.clone()));
    }
    let mut compiler = boon::Compiler::new();
    compiler
        .add_resource(&url, value)
        .map_err(|e| format!("{file}: {e}"))?;
    let mut schemas = boon::Schemas::new();
    let index = compiler
        .compile(&url, &mut schemas)
        .map_err(|e| format!("{e}"))?;
    Ok((schemas, index))
}

/// Validates and, on failure, names the JSON pointer of each violation
/// (at most [`MAX_REPORTED`]); the error's location is the first one.
fn check(
    schemas: &boon::Schemas,
    index: boon::SchemaIndex,
    doc: &Value,
    label: &str,
) -> Result<(), SbomError> {
    let Err(e) = schemas.validate(doc, index) else {
        return Ok(());
    };
    let mut leaves = Vec::new();
    collect_leaves(&e, &mut leaves);
    let first = leaves.first().map(|(at, _)| at.clone()).unwrap_or_default();
    let mut message = format!("not valid against the {label} JSON schema: ");
    let shown: Vec<String> = leaves
        .iter()
        .take(MAX_REPORTED)
        .map(|(at, what)| format!("{} {what}", if at.is_empty() { "/" } else { at }))
        .collect();
    message.push_str(&shown.join("; "));
    if leaves.len() > MAX_REPORTED {
        message.push_str(&format!("; and {} more", leaves.len() - MAX_REPORTED));
    }
    Err(SbomError::Invalid {
        at: Location::Pointer(first),
        message,
    })
}

fn compile(text: &str, version: &str) -> Compiled {
    let mut compiler = boon::Compiler::new();
    let add = |compiler: &mut boon::Compiler, file: &str, text: &str| -> Result<String, String> {
        let url = format!("{BASE}{file}");
        let mut value: Value = serde_json::from_str(text).map_err(|e| format!("{file}: {e}"))?;
        // Register every schema under the URL its referrers resolve to
        // (1.2 states `bom-1.2b.schema.json` as its own id).
        if let Some(obj) = value.as_object_mut() {
            obj.insert("$id".into(), Value::String(url.clone()));
        }
        compiler
            .add_resource(&url, value)
            .map_err(|e| format!("{file}: {e}"))?;
        Ok(url)
    };
    for (file, text) in SHARED {
        add(&mut compiler, file, text)?;
    }
    let url = add(&mut compiler, &format!("bom-{version}.schema.json"), text)?;
    let mut schemas = boon::Schemas::new();
    let index = compiler
        .compile(&url, &mut schemas)
        .map_err(|e| format!("{e}"))?;
    Ok((schemas, index))
}

/// The innermost violations, each with the JSON pointer of the value.
fn collect_leaves(e: &boon::ValidationError<'_, '_>, out: &mut Vec<(String, String)>) {
    if e.causes.is_empty() {
        let mut what = match e.kind.to_string() {
            // boon's words for a failed `not` rule.
            k if k == "not failed" => "matches a form the schema forbids here".to_string(),
            k => k,
        };
        // An enumeration's message lists every value (SPDX licence ids: 700).
        if what.chars().count() > MAX_MESSAGE {
            what = what.chars().take(MAX_MESSAGE).collect::<String>() + "…";
        }
        out.push((e.instance_location.to_string(), what));
    } else {
        for c in &e.causes {
            collect_leaves(c, out);
        }
    }
}
