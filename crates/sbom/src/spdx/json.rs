//! SPDX 2.2 / 2.3 JSON.

use kensa_model::sbom::{Sbom, SbomFormat};
use serde_json::{Map, Value};

use super::{Document, KNOWN, Package, Relationship, annotation_property, external_ref, party};
use crate::ctx::Ctx;
use crate::error::SbomError;
use crate::json::{array, at, idx, kind, ptr, string};

const DOCUMENT_FIELDS: &[&str] = &[
    "$schema",
    "SPDXID",
    "annotations",
    "comment",
    "creationInfo",
    "dataLicense",
    "documentDescribes",
    "documentNamespace",
    "externalDocumentRefs",
    "files",
    "hasExtractedLicensingInfos",
    "name",
    "packages",
    "relationships",
    "revieweds",
    "snippets",
    "spdxVersion",
];

const PACKAGE_FIELDS: &[&str] = &[
    "SPDXID",
    "annotations",
    "attributionTexts",
    "builtDate",
    "checksums",
    "comment",
    "copyrightText",
    "description",
    "downloadLocation",
    "externalRefs",
    "filesAnalyzed",
    "hasFiles",
    "homepage",
    "licenseComments",
    "licenseConcluded",
    "licenseDeclared",
    "licenseInfoFromFiles",
    "name",
    "originator",
    "packageFileName",
    "packageVerificationCode",
    "primaryPackagePurpose",
    "releaseDate",
    "sourceInfo",
    "summary",
    "supplier",
    "validUntilDate",
    "versionInfo",
];

/// Unknown members are reported as warnings in both modes: this reader does
/// not hold the SPDX JSON schema, so it does not claim they are invalid.
fn note_unknown(
    ctx: &mut Ctx<'_>,
    obj: &Map<String, Value>,
    known: &[&str],
    base: &str,
    what: &str,
) {
    for key in obj.keys() {
        if !known.contains(&key.as_str()) {
            ctx.note(at(&ptr(base, key)), format!("unknown {what} field `{key}`"));
        }
    }
}

fn required(
    ctx: &mut Ctx<'_>,
    obj: &Map<String, Value>,
    key: &str,
    base: &str,
) -> Result<Option<String>, SbomError> {
    if obj.contains_key(key) {
        string(ctx, obj, key, base)
    } else {
        ctx.deviation(
            at(&ptr(base, key)),
            format!("missing required field `{key}`"),
        )?;
        Ok(None)
    }
}

/// Reads a document object that has `spdxVersion`.
pub(crate) fn read(root: &Map<String, Value>, ctx: &mut Ctx<'_>) -> Result<Sbom, SbomError> {
    let spec_version = string(ctx, root, "spdxVersion", "")?.unwrap_or_default();
    if !super::version_known(&spec_version) {
        ctx.unknown_version(at("/spdxVersion"), "SPDX", &spec_version, KNOWN)?;
    }
    note_unknown(ctx, root, DOCUMENT_FIELDS, "", "document");
    let id = required(ctx, root, "SPDXID", "")?.unwrap_or_else(|| "SPDXRef-DOCUMENT".into());
    required(ctx, root, "name", "")?;
    required(ctx, root, "dataLicense", "")?;
    let namespace = required(ctx, root, "documentNamespace", "")?;
    if !root.contains_key("creationInfo") {
        ctx.deviation(at("/creationInfo"), "missing required field `creationInfo`")?;
    }

    let mut packages = Vec::new();
    for (i, p) in array(ctx, root, "packages", "")?.iter().enumerate() {
        let base = idx("/packages", i);
        let Value::Object(p) = p else {
            ctx.deviation(
                at(&base),
                format!("{} where a package object is expected; ignored", kind(p)),
            )?;
            continue;
        };
        packages.push(package(ctx, p, &base)?);
    }

    let mut relationships = Vec::new();
    for (i, r) in array(ctx, root, "relationships", "")?.iter().enumerate() {
        let base = idx("/relationships", i);
        let Value::Object(r) = r else {
            ctx.deviation(
                at(&base),
                format!(
                    "{} where a relationship object is expected; ignored",
                    kind(r)
                ),
            )?;
            continue;
        };
        let from = required(ctx, r, "spdxElementId", &base)?;
        let kind = required(ctx, r, "relationshipType", &base)?;
        let to = required(ctx, r, "relatedSpdxElement", &base)?;
        if let (Some(from), Some(kind), Some(to)) = (from, kind, to) {
            relationships.push(Relationship { from, kind, to });
        }
    }

    let mut describes = Vec::new();
    for (i, d) in array(ctx, root, "documentDescribes", "")?
        .iter()
        .enumerate()
    {
        match d {
            Value::String(s) => describes.push(s.clone()),
            other => ctx.deviation(
                at(&idx("/documentDescribes", i)),
                format!("{} where an SPDXID is expected; ignored", kind(other)),
            )?,
        }
    }

    super::assemble(
        Document {
            format: SbomFormat::SpdxJson,
            spec_version,
            namespace,
            id,
            packages,
            relationships,
            describes,
        },
        ctx,
    )
}

fn package(ctx: &mut Ctx<'_>, p: &Map<String, Value>, base: &str) -> Result<Package, SbomError> {
    note_unknown(ctx, p, PACKAGE_FIELDS, base, "package");
    let id = required(ctx, p, "SPDXID", base)?;
    if let Some(id) = &id
        && !id.starts_with("SPDXRef-")
    {
        ctx.deviation(
            at(&ptr(base, "SPDXID")),
            format!("SPDXID `{id}` does not start with `SPDXRef-`"),
        )?;
    }
    let name = required(ctx, p, "name", base)?;
    required(ctx, p, "downloadLocation", base)?;
    let mut pkg = Package {
        id,
        name,
        version: string(ctx, p, "versionInfo", base)?,
        purpose: string(ctx, p, "primaryPackagePurpose", base)?,
        at: Some(at(base)),
        ..Package::default()
    };
    if let Some(s) = string(ctx, p, "supplier", base)? {
        pkg.supplier = party(ctx, &s, || at(&ptr(base, "supplier")))?;
    }
    if let Some(s) = string(ctx, p, "originator", base)? {
        pkg.originator = party(ctx, &s, || at(&ptr(base, "originator")))?;
    }
    let refs = array(ctx, p, "externalRefs", base)?;
    let refs_base = ptr(base, "externalRefs");
    for (i, r) in refs.iter().enumerate() {
        let rb = idx(&refs_base, i);
        let Value::Object(r) = r else {
            ctx.deviation(
                at(&rb),
                format!(
                    "{} where an external reference object is expected; ignored",
                    kind(r)
                ),
            )?;
            continue;
        };
        required(ctx, r, "referenceCategory", &rb)?;
        let kind = required(ctx, r, "referenceType", &rb)?;
        let locator = required(ctx, r, "referenceLocator", &rb)?;
        if let (Some(kind), Some(locator)) = (kind, locator) {
            let lp = ptr(&rb, "referenceLocator");
            external_ref(ctx, &mut pkg, &kind, &locator, || at(&lp));
        }
    }
    let annotations = array(ctx, p, "annotations", base)?;
    let ann_base = ptr(base, "annotations");
    for (i, a) in annotations.iter().enumerate() {
        if let Value::Object(a) = a
            && let Some(c) = string(ctx, a, "comment", &idx(&ann_base, i))?
            && let Some(prop) = annotation_property(&c)
        {
            pkg.properties.push(prop);
        }
    }
    Ok(pkg)
}
