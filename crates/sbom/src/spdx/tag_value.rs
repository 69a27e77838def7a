//! SPDX 2.x tag-value: `Tag: value` lines, `<text>…</text>` values that
//! may span lines, `#` comments. A package runs from its `PackageName` to
//! the next `PackageName`, `FileName`, `SnippetSPDXID`, `LicenseID`,
//! annotation or review.

use std::collections::HashMap;

use kensa_model::sbom::{Sbom, SbomFormat};

use super::{Document, KNOWN, Package, Relationship, annotation_property, external_ref, party};
use crate::ctx::Ctx;
use crate::error::{Location, SbomError};

/// Tags of SPDX 2.0 to 2.3 (document, package, file, snippet, license,
/// relationship, annotation and review information).
const TAGS: &[&str] = &[
    // Document creation
    "SPDXVersion",
    "DataLicense",
    "SPDXID",
    "DocumentName",
    "DocumentNamespace",
    "ExternalDocumentRef",
    "LicenseListVersion",
    "Creator",
    "Created",
    "CreatorComment",
    "DocumentComment",
    // Package
    "PackageName",
    "PackageVersion",
    "PackageFileName",
    "PackageSupplier",
    "PackageOriginator",
    "PackageDownloadLocation",
    "FilesAnalyzed",
    "PackageVerificationCode",
    "PackageChecksum",
    "PackageHomePage",
    "PackageSourceInfo",
    "PackageLicenseConcluded",
    "PackageLicenseInfoFromFiles",
    "PackageLicenseDeclared",
    "PackageLicenseComments",
    "PackageCopyrightText",
    "PackageSummary",
    "PackageDescription",
    "PackageComment",
    "ExternalRef",
    "ExternalRefComment",
    "PackageAttributionText",
    "PrimaryPackagePurpose",
    "ReleaseDate",
    "BuiltDate",
    "ValidUntilDate",
    // File
    "FileName",
    "FileType",
    "FileChecksum",
    "LicenseConcluded",
    "LicenseInfoInFile",
    "LicenseComments",
    "FileCopyrightText",
    "FileComment",
    "FileNotice",
    "FileContributor",
    "FileAttributionText",
    "FileDependency",
    "ArtifactOfProjectName",
    "ArtifactOfProjectHomePage",
    "ArtifactOfProjectURI",
    // Snippet
    "SnippetSPDXID",
    "SnippetFromFileSPDXID",
    "SnippetByteRange",
    "SnippetLineRange",
    "SnippetLicenseConcluded",
    "LicenseInfoInSnippet",
    "SnippetLicenseComments",
    "SnippetCopyrightText",
    "SnippetComment",
    "SnippetName",
    "SnippetAttributionText",
    // Other licensing information
    "LicenseID",
    "ExtractedText",
    "LicenseName",
    "LicenseCrossReference",
    "LicenseComment",
    // Relationships
    "Relationship",
    "RelationshipComment",
    // Annotations
    "Annotator",
    "AnnotationDate",
    "AnnotationType",
    "SPDXREF",
    "AnnotationComment",
    // Reviews (deprecated)
    "Reviewer",
    "ReviewDate",
    "ReviewComment",
];

#[derive(PartialEq, Eq, Clone, Copy)]
enum Section {
    Document,
    Package,
    Other,
    Annotation,
}

struct Annotation {
    target: Option<String>,
    comment: Option<String>,
}

/// Whether the text looks like tag-value: a line starting `SPDXVersion:`.
pub(crate) fn looks_like(text: &str) -> bool {
    text.lines()
        .map(str::trim_start)
        .any(|l| l.starts_with("SPDXVersion:"))
}

/// One `Tag: value` with the line it starts on.
pub(crate) struct Entry<'t> {
    pub(crate) line: u64,
    pub(crate) tag: &'t str,
    pub(crate) value: String,
}

/// Splits the text into entries; `<text>` values keep their inner lines.
fn entries<'t>(ctx: &mut Ctx<'_>, text: &'t str) -> Result<Vec<Entry<'t>>, SbomError> {
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let number = i as u64 + 1;
        i += 1;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let Some((tag, rest)) = line.split_once(':') else {
            ctx.deviation(Location::Line(number), "not a `Tag: value` line; ignored")?;
            continue;
        };
        let tag = tag.trim();
        if tag.is_empty() || tag.contains(char::is_whitespace) {
            ctx.deviation(Location::Line(number), "not a `Tag: value` line; ignored")?;
            continue;
        }
        let rest = rest.trim_start();
        let value = if let Some(after) = rest.strip_prefix("<text>") {
            if let Some(end) = after.find("</text>") {
                after[..end].to_string()
            } else {
                let mut value = after.to_string();
                loop {
                    let Some(next) = lines.get(i) else {
                        return Err(SbomError::Syntax {
                            syntax: "SPDX tag-value",
                            at: Location::Line(number),
                            message: format!("`<text>` of `{tag}` is not closed by `</text>`"),
                        });
                    };
                    i += 1;
                    value.push('\n');
                    if let Some(end) = next.find("</text>") {
                        value.push_str(&next[..end]);
                        break;
                    }
                    value.push_str(next);
                }
                value
            }
        } else {
            rest.trim_end().to_string()
        };
        out.push(Entry {
            line: number,
            tag,
            value,
        });
    }
    Ok(out)
}

pub(crate) fn read(text: &str, ctx: &mut Ctx<'_>) -> Result<Sbom, SbomError> {
    let mut spec_version: Option<String> = None;
    let mut namespace = None;
    let mut doc_id: Option<String> = None;
    let mut seen_doc = [false; 4]; // DocumentName, DataLicense, Created, Creator
    let mut packages: Vec<Package> = Vec::new();
    let mut package_lines: Vec<(u64, bool)> = Vec::new(); // line, has download location
    let mut relationships = Vec::new();
    let mut annotations: Vec<Annotation> = Vec::new();
    let mut section = Section::Document;

    let entries = entries(ctx, text)?;
    for entry in &entries {
        let (line, tag, value) = (entry.line, entry.tag, entry.value.clone());
        let at = Location::Line(line);
        let in_package = section == Section::Package;
        match tag {
            "SPDXVersion" => {
                if spec_version.is_none() {
                    spec_version = Some(value.trim().to_string());
                } else {
                    ctx.deviation(at, "second `SPDXVersion`; ignored")?;
                }
            }
            "DocumentNamespace" => namespace = Some(value),
            "DocumentName" => seen_doc[0] = true,
            "DataLicense" => seen_doc[1] = true,
            "Created" => seen_doc[2] = true,
            "Creator" => seen_doc[3] = true,
            "SPDXID" => match section {
                Section::Document if doc_id.is_none() => doc_id = Some(value),
                Section::Package => {
                    let p = packages
                        .last_mut()
                        .expect("a package section has a package");
                    if p.id.is_none() {
                        p.id = Some(value);
                    } else {
                        ctx.deviation(at, "second `SPDXID` for this package; ignored")?;
                    }
                }
                _ => {}
            },
            "PackageName" => {
                section = Section::Package;
                packages.push(Package {
                    name: Some(value),
                    at: Some(at),
                    ..Package::default()
                });
                package_lines.push((line, false));
            }
            "PackageVersion"
            | "PackageSupplier"
            | "PackageOriginator"
            | "PackageDownloadLocation"
            | "PrimaryPackagePurpose"
            | "ExternalRef"
                if !in_package =>
            {
                ctx.deviation(at, format!("`{tag}` outside a package; ignored"))?;
            }
            "PackageVersion" => packages.last_mut().expect("in a package").version = Some(value),
            "PackageSupplier" => {
                let s = party(ctx, &value, || at.clone())?;
                packages.last_mut().expect("in a package").supplier = s;
            }
            "PackageOriginator" => {
                let s = party(ctx, &value, || at.clone())?;
                packages.last_mut().expect("in a package").originator = s;
            }
            "PackageDownloadLocation" => {
                package_lines.last_mut().expect("in a package").1 = true;
            }
            "PrimaryPackagePurpose" => {
                packages.last_mut().expect("in a package").purpose = Some(value)
            }
            "ExternalRef" => {
                let parts: Vec<&str> = value.split_whitespace().collect();
                if parts.len() != 3 {
                    ctx.deviation(at, "`ExternalRef` is not `category type locator`; ignored")?;
                    continue;
                }
                let p = packages.last_mut().expect("in a package");
                external_ref(ctx, p, parts[1], parts[2], || at.clone());
            }
            "FileName" | "SnippetSPDXID" | "LicenseID" | "Reviewer" => section = Section::Other,
            "Annotator" => {
                section = Section::Annotation;
                annotations.push(Annotation {
                    target: None,
                    comment: None,
                });
            }
            "SPDXREF" if section == Section::Annotation => {
                annotations.last_mut().expect("in an annotation").target = Some(value)
            }
            "AnnotationComment" if section == Section::Annotation => {
                annotations.last_mut().expect("in an annotation").comment = Some(value)
            }
            "Relationship" => {
                let parts: Vec<&str> = value.split_whitespace().collect();
                if parts.len() != 3 {
                    ctx.deviation(at, "`Relationship` is not `element TYPE element`; ignored")?;
                    continue;
                }
                relationships.push(Relationship {
                    from: parts[0].to_string(),
                    kind: parts[1].to_string(),
                    to: parts[2].to_string(),
                });
            }
            t if TAGS.contains(&t) => {}
            t => ctx.note(at, format!("unknown tag `{t}`")),
        }
    }

    let spec_version = spec_version.unwrap_or_default();
    if ctx.opts.strict {
        super::check_tag_value::check(&entries, &spec_version)?;
    }
    if !super::version_known(&spec_version) {
        ctx.unknown_version(Location::Line(1), "SPDX", &spec_version, KNOWN)?;
    }
    for (seen, tag) in seen_doc
        .iter()
        .zip(["DocumentName", "DataLicense", "Created", "Creator"])
    {
        if !seen {
            ctx.deviation(Location::Document, format!("missing required tag `{tag}`"))?;
        }
    }
    if namespace.is_none() {
        ctx.deviation(
            Location::Document,
            "missing required tag `DocumentNamespace`",
        )?;
    }
    let doc_id = match doc_id {
        Some(id) => id,
        None => {
            ctx.deviation(Location::Document, "missing required document `SPDXID`")?;
            "SPDXRef-DOCUMENT".into()
        }
    };
    for (p, (line, has_download)) in packages.iter().zip(&package_lines) {
        let name = p.name.as_deref().unwrap_or("");
        match &p.id {
            None => ctx.deviation(
                Location::Line(*line),
                format!("package `{name}` has no `SPDXID`"),
            )?,
            Some(id) if !id.starts_with("SPDXRef-") => ctx.deviation(
                Location::Line(*line),
                format!("SPDXID `{id}` of package `{name}` does not start with `SPDXRef-`"),
            )?,
            Some(_) => {}
        }
        if !has_download {
            ctx.deviation(
                Location::Line(*line),
                format!("package `{name}` has no `PackageDownloadLocation`"),
            )?;
        }
    }
    let by_id: HashMap<String, usize> = packages
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.id.clone().map(|id| (id, i)))
        .collect();
    for a in annotations {
        if let (Some(target), Some(comment)) = (a.target, a.comment)
            && let Some(prop) = annotation_property(&comment)
            && let Some(&i) = by_id.get(&target)
        {
            packages[i].properties.push(prop);
        }
    }
    super::assemble(
        Document {
            format: SbomFormat::SpdxTagValue,
            spec_version,
            namespace,
            id: doc_id,
            packages,
            relationships,
            describes: Vec::new(),
        },
        ctx,
    )
}
