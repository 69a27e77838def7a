//! Strict mode's schema check for CycloneDX XML: a document against the
//! official XSD of its namespace's version (shipped in `schemas/`, from the
//! CycloneDX specification, Apache-2.0).
//!
//! A small validator of its own, for the subset of XML Schema 1.0 those
//! XSDs use: complex types with `sequence`/`choice` content models,
//! occurrence bounds, `xs:any`/`xs:anyAttribute` wildcards (lax or skip),
//! simple content extensions, attribute groups, required attributes,
//! simple types by restriction (enumeration, pattern, length, inclusive
//! bounds) or union, the built-in types they name, and `xs:unique` over
//! `.//*`. Compiling refuses any other construct, naming it.
//!
//! Each version's schema is compiled once per process, on first use.

mod compile;
mod content;
mod model;
mod simple;
mod validate;

use std::sync::OnceLock;

use crate::error::{Location, SbomError};
use crate::xml::Doc;

/// At most this many violations are named in one error.
const MAX_REPORTED: usize = 5;

const SPDX: (&str, &str) = ("spdx.xsd", include_str!("../../schemas/spdx.xsd"));

const VERSIONS: &[(&str, &str, &str)] = &[
    (
        "1.2",
        "bom-1.2.xsd",
        include_str!("../../schemas/bom-1.2.xsd"),
    ),
    (
        "1.3",
        "bom-1.3.xsd",
        include_str!("../../schemas/bom-1.3.xsd"),
    ),
    (
        "1.4",
        "bom-1.4.xsd",
        include_str!("../../schemas/bom-1.4.xsd"),
    ),
    (
        "1.5",
        "bom-1.5.xsd",
        include_str!("../../schemas/bom-1.5.xsd"),
    ),
    (
        "1.6",
        "bom-1.6.xsd",
        include_str!("../../schemas/bom-1.6.xsd"),
    ),
    (
        "1.7",
        "bom-1.7.xsd",
        include_str!("../../schemas/bom-1.7.xsd"),
    ),
];

type Compiled = Result<model::Schema, String>;

static COMPILED: [OnceLock<Compiled>; 6] = [const { OnceLock::new() }; 6];

fn schema(slot: usize) -> &'static Compiled {
    COMPILED[slot].get_or_init(|| {
        let (_, file, text) = VERSIONS[slot];
        compile::compile(&[(file, text), SPDX])
    })
}

/// Checks `doc` against the XSD of CycloneDX `version`; `Ok` for a version
/// without one shipped (1.0, 1.1), which strict mode refuses elsewhere when
/// unknown.
pub(crate) fn validate_cyclonedx(doc: &Doc<'_>, version: &str) -> Result<(), SbomError> {
    let Some(slot) = VERSIONS.iter().position(|(v, ..)| *v == version) else {
        return Ok(());
    };
    let schema = schema(slot).as_ref().map_err(|e| SbomError::Invalid {
        at: Location::Document,
        message: format!("the CycloneDX {version} XSD does not compile: {e}"),
    })?;
    // One more than is shown, to say whether there are more.
    let violations = validate::validate(schema, doc, MAX_REPORTED + 1);
    let Some(first) = violations.first() else {
        return Ok(());
    };
    // The error's place is the first violation's; the others name theirs.
    let shown: Vec<String> = violations
        .iter()
        .take(MAX_REPORTED)
        .enumerate()
        .map(|(i, v)| match i {
            0 => v.message.clone(),
            _ => format!("{}: {}", v.at, v.message),
        })
        .collect();
    let mut message = format!(
        "not valid against the CycloneDX {version} XSD: {}",
        shown.join("; ")
    );
    if violations.len() > MAX_REPORTED {
        message.push_str("; and more");
    }
    Err(SbomError::Invalid {
        at: first.at.clone(),
        message,
    })
}

#[cfg(test)]
mod tests;
