//! Reads software bills of materials into Kensa's [`Sbom`] model.
//!
//! [`parse`] takes the bytes of a document and finds its format from the
//! content:
//!
//! - CycloneDX JSON (`"bomFormat": "CycloneDX"`, `specVersion` 1.2 to 1.6;
//!   1.7 read as best effort: its new fields are not read),
//! - CycloneDX XML (root `<bom>` in namespace
//!   `http://cyclonedx.org/schema/bom/1.x`, 1.0 to 1.7),
//! - SPDX 2.2 / 2.3 JSON (`spdxVersion`),
//! - SPDX 2.2 / 2.3 tag-value (`SPDXVersion: SPDX-2.3`).
//!
//! SPDX 3 (JSON-LD) is recognised and refused; SPDX RDF/XML and YAML,
//! CycloneDX protobuf and SWID tags are not read.
//!
//! # What is read
//!
//! Components (CycloneDX components at any depth, flattened, with `parent`
//! naming the component they were nested in; SPDX packages, with `parent`
//! from CONTAINS relationships), their bom-ref (SPDXID), name, version,
//! group, type (SPDX `primaryPackagePurpose`), purl, CPEs (2.2 URIs are
//! converted to 2.3), supplier, manufacturer, author (SPDX originator) and
//! properties (SPDX: annotations whose comment is one `name=value` line);
//! the subject (CycloneDX `metadata.component`, SPDX the described
//! package); dependencies (CycloneDX `dependencies`, SPDX DEPENDS_ON and
//! DEPENDENCY_OF; not the build, test, dev or optional kinds, nor the link
//! relationships, whose direction generators disagree on). The subject is
//! never also in `components`. A component
//! without a bom-ref gets `component-N`, N its index in `components`, and a
//! warning says so. SPDX files and snippets are not components. For SPDX the
//! serial number is the `documentNamespace`.
//!
//! # Lenient and strict
//!
//! By default the reader is lenient: where a document deviates from its
//! specification (a number where a string belongs, a missing required
//! field, an unknown field or component type, an unknown specification
//! version) it records a warning in [`Sbom::warnings`] naming the place (a
//! JSON pointer such as `/components/3/version`, an XML element path with
//! line and column, or a tag-value line) and goes on as best it can. With
//! [`ParseOptions::strict`] the same deviations are errors.
//!
//! Strict mode checks what this reader reads, by hand: required fields
//! (CycloneDX component `type` and `name`, and `version` up to 1.3; SPDX
//! package `SPDXID`, `name`, `downloadLocation`), types, component types per
//! version, non-empty and unique bom-refs, the serial number's form, and
//! unknown members of the objects it walks where the CycloneDX JSON schema
//! closes them (1.4 on) and unknown CycloneDX XML elements. CycloneDX
//! documents of 1.2 to 1.7 are then validated against the official schema
//! of their version: JSON against the JSON schema, XML against the XSD (with
//! this crate's own small XSD validator), so fields the reader does not use
//! (hashes, licences, services, ...) are checked too. SPDX is checked by its
//! specification and schema (below). See `CONFORMANCE.md` for how both fare
//! on the test suites and real documents.
//!
//! # Hostile input
//!
//! No input makes [`parse`] panic. Nesting deeper than
//! [`ParseOptions::max_depth`] (JSON arrays and objects, XML elements) is an
//! error found before any tree is built, and the trees are walked without
//! recursion; JSON is in addition bounded by serde_json's own limit of 128
//! levels. More components than [`ParseOptions::max_components`] is an
//! error. XML entities other than the predefined ones are refused (no DTD
//! expansion). At most 1000 warnings are kept.
//!
//! # SPDX in strict mode
//!
//! An SPDX 2.2 / 2.3 document is checked by the specification of its
//! `spdxVersion` (strict mode only; lenient mode reads as before): the
//! document's SPDXID (`SPDXRef-DOCUMENT`) and data licence (`CC0-1.0`), the
//! namespace (an absolute URI without `#`), creators, the
//! `YYYY-MM-DDThh:mm:ssZ` dates, SPDXID syntax and uniqueness, checksum
//! algorithms and values, 2.3-only fields, and relationships, annotations
//! and `documentDescribes` naming elements that exist. A JSON document is
//! then validated against the official SPDX JSON schema of its version
//! (`schemas/spdx-document-2.x.schema.json`), errors naming the JSON pointer
//! of each violation (at most five); a tag-value document, which has no
//! schema, is also checked for its required document tags, and its errors
//! name the line. See `CONFORMANCE.md`.

mod cpe;
mod ctx;
mod cyclonedx;
mod error;
mod json;
mod schema;
mod spdx;
mod xml;
mod xsd;

pub use error::{Location, SbomError};
pub use kensa_model::sbom::{Component, Dependency, Sbom, SbomFormat};

use ctx::Ctx;
use serde_json::Value;

/// How [`parse`] reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseOptions {
    /// Refuse deviations from the specification instead of warning.
    pub strict: bool,
    /// Deepest nesting of JSON arrays/objects or XML elements accepted.
    pub max_depth: usize,
    /// Most components accepted (nested ones included; the subject, which
    /// is not one of the components, not).
    pub max_components: usize,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            strict: false,
            max_depth: 64,
            max_components: 1_000_000,
        }
    }
}

impl ParseOptions {
    /// The defaults, strict.
    pub fn strict() -> Self {
        ParseOptions {
            strict: true,
            ..ParseOptions::default()
        }
    }
}

/// Reads one SBOM document, finding its format from the content.
pub fn parse(bytes: &[u8], opts: &ParseOptions) -> Result<Sbom, SbomError> {
    let mut ctx = Ctx::new(opts);
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(SbomError::NotAnSbom {
            reason: "the text is UTF-16; convert it to UTF-8".into(),
        });
    }
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace());
    let mut sbom = match start.map(|i| bytes[i]) {
        None => {
            return Err(SbomError::NotAnSbom {
                reason: "the document is empty".into(),
            });
        }
        Some(b'{' | b'[') => parse_json(bytes, &mut ctx)?,
        Some(b'<') => parse_xml(bytes, &mut ctx)?,
        Some(_) => parse_text(bytes, &mut ctx)?,
    };
    sbom.warnings = ctx.into_warnings();
    Ok(sbom)
}

fn parse_json(bytes: &[u8], ctx: &mut Ctx<'_>) -> Result<Sbom, SbomError> {
    let value = json::parse_value(bytes, ctx.opts.max_depth)?;
    let Value::Object(root) = &value else {
        return Err(SbomError::NotAnSbom {
            reason: "the JSON is not an object".into(),
        });
    };
    if let Some(format) = root.get("bomFormat") {
        match format.as_str() {
            Some("CycloneDX") => {}
            Some(f) if f.eq_ignore_ascii_case("cyclonedx") => {
                ctx.deviation(
                    Location::Pointer("/bomFormat".into()),
                    format!("`{f}` where `CycloneDX` is required"),
                )?;
            }
            _ => {
                return Err(SbomError::NotAnSbom {
                    reason: format!("JSON with `bomFormat` {format}"),
                });
            }
        }
        // Kensa's own checks first: they name the field in words; the
        // official schema then catches what they do not look at.
        let sbom = cyclonedx::json::read(root, ctx)?;
        if ctx.opts.strict
            && let Some(version) = root.get("specVersion").and_then(Value::as_str)
        {
            schema::validate_cyclonedx(&value, version)?;
        }
        return Ok(sbom);
    }
    if root.contains_key("spdxVersion") {
        // As for CycloneDX: Kensa's own checks first, then the schema.
        let sbom = spdx::json::read(root, ctx)?;
        if ctx.opts.strict {
            spdx::check_json::check(root, &sbom.spec_version)?;
            schema::validate_spdx(&value, &sbom.spec_version)?;
        }
        return Ok(sbom);
    }
    if is_spdx3(root) {
        return Err(SbomError::UnsupportedVersion {
            at: Location::Pointer("/@context".into()),
            format: "SPDX",
            version: "3".into(),
            detail: "SPDX 3 (JSON-LD) documents are not read; SPDX 2.2 and 2.3 are".into(),
        });
    }
    if root.contains_key("specVersion") && root.contains_key("components") {
        ctx.deviation(
            Location::Pointer("/bomFormat".into()),
            "missing required field `bomFormat`; read as CycloneDX",
        )?;
        return cyclonedx::json::read(root, ctx);
    }
    Err(SbomError::NotAnSbom {
        reason: "a JSON object with neither `bomFormat` nor `spdxVersion`".into(),
    })
}

fn is_spdx3(root: &serde_json::Map<String, Value>) -> bool {
    let mentions_spdx = |v: &Value| match v {
        Value::String(s) => s.contains("spdx.org"),
        Value::Array(a) => a
            .iter()
            .any(|x| x.as_str().is_some_and(|s| s.contains("spdx.org"))),
        _ => false,
    };
    root.get("@context").is_some_and(mentions_spdx)
}

fn utf8<'b>(bytes: &'b [u8], syntax: &'static str) -> Result<&'b str, SbomError> {
    std::str::from_utf8(bytes).map_err(|e| SbomError::Syntax {
        syntax,
        at: error::LineIndex::new(bytes).location(e.valid_up_to()),
        message: "not valid UTF-8".into(),
    })
}

fn parse_xml(bytes: &[u8], ctx: &mut Ctx<'_>) -> Result<Sbom, SbomError> {
    let text = utf8(bytes, "XML")?;
    let doc = xml::Doc::parse(text, ctx.opts.max_depth)?;
    let root = doc.root();
    let name = doc.element(root).name.as_str();
    let ns = doc.namespace(root);
    if name == "bom" {
        match ns {
            Some(ns) if ns.starts_with(cyclonedx::xml::NAMESPACE_PREFIX) => {}
            Some(ns) if ns.contains("cyclonedx.org") => {
                ctx.deviation(
                    doc.location(root),
                    format!(
                        "`{ns}` is not a CycloneDX namespace (`{}1.x`)",
                        cyclonedx::xml::NAMESPACE_PREFIX
                    ),
                )?;
            }
            _ => {
                return Err(SbomError::NotAnSbom {
                    reason: format!(
                        "XML root `bom` in namespace `{}`, not CycloneDX's",
                        ns.unwrap_or("")
                    ),
                });
            }
        }
        // Kensa's own checks first (they name the field in words), then the
        // official XSD.
        let sbom = cyclonedx::xml::read(&doc, ctx)?;
        if ctx.opts.strict {
            xsd::validate_cyclonedx(&doc, &sbom.spec_version)?;
        }
        return Ok(sbom);
    }
    Err(SbomError::NotAnSbom {
        reason: format!("XML with root element `{name}`"),
    })
}

fn parse_text(bytes: &[u8], ctx: &mut Ctx<'_>) -> Result<Sbom, SbomError> {
    if !spdx::tag_value::looks_like(&String::from_utf8_lossy(bytes)) {
        return Err(SbomError::NotAnSbom {
            reason: "text without an `SPDXVersion:` line".into(),
        });
    }
    let text = utf8(bytes, "SPDX tag-value")?;
    spdx::tag_value::read(text, ctx)
}
