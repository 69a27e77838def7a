//! SPDX 2.x: what the JSON and tag-value readers share. Both fill a
//! [`Document`]; [`assemble`] turns it into an [`Sbom`].

pub(crate) mod check_json;
mod check_tag_value;
pub(crate) mod json;
mod rules;
pub(crate) mod tag_value;

use std::collections::{HashMap, HashSet};

use kensa_model::sbom::{Component, Dependency, Sbom, SbomFormat};

use crate::ctx::{Assembly, Ctx, Node};
use crate::error::{Location, SbomError};

pub(crate) const KNOWN: &str = "SPDX-2.2 and SPDX-2.3";

/// Whether `v` is a version this crate reads.
pub(crate) fn version_known(v: &str) -> bool {
    matches!(v, "SPDX-2.2" | "SPDX-2.3")
}

/// One package as read.
#[derive(Default)]
pub(crate) struct Package {
    pub(crate) id: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) version: Option<String>,
    pub(crate) supplier: Option<String>,
    pub(crate) originator: Option<String>,
    pub(crate) purpose: Option<String>,
    pub(crate) purl: Option<String>,
    pub(crate) cpes: Vec<String>,
    pub(crate) properties: Vec<(String, String)>,
    pub(crate) at: Option<Location>,
}

pub(crate) struct Relationship {
    pub(crate) from: String,
    pub(crate) kind: String,
    pub(crate) to: String,
}

pub(crate) struct Document {
    pub(crate) format: SbomFormat,
    pub(crate) spec_version: String,
    pub(crate) namespace: Option<String>,
    /// The document's own SPDXID (`SPDXRef-DOCUMENT`).
    pub(crate) id: String,
    pub(crate) packages: Vec<Package>,
    pub(crate) relationships: Vec<Relationship>,
    /// `documentDescribes` (JSON only; tag-value says it with relationships).
    pub(crate) describes: Vec<String>,
}

/// `Organization: X`, `Person: Y (mail)` or `Tool: Z` to the name; NOASSERTION
/// to nothing. Any other form is a deviation, read as it is.
pub(crate) fn party(
    ctx: &mut Ctx<'_>,
    value: &str,
    at: impl FnOnce() -> Location,
) -> Result<Option<String>, SbomError> {
    let value = value.trim();
    if value.is_empty() || value == "NOASSERTION" {
        return Ok(None);
    }
    for prefix in ["Organization:", "Person:", "Tool:"] {
        if let Some(rest) = value.strip_prefix(prefix) {
            let mut name = rest.trim();
            // A trailing "(mail)" is contact detail, not the name.
            if let Some(open) = name.rfind(" (")
                && name.ends_with(')')
                && name[open..].contains('@')
            {
                name = name[..open].trim_end();
            }
            if name.ends_with("()") {
                name = name[..name.len() - 2].trim_end();
            }
            return Ok((!name.is_empty()).then(|| name.to_string()));
        }
    }
    ctx.deviation(
        at(),
        format!(
            "`{value}` is not `Organization: name`, `Person: name` or NOASSERTION; read as the name"
        ),
    )?;
    Ok(Some(value.to_string()))
}

/// An annotation comment of the form `name=value` (one line) as a property.
pub(crate) fn annotation_property(comment: &str) -> Option<(String, String)> {
    let comment = comment.trim();
    if comment.contains('\n') {
        return None;
    }
    let (name, value) = comment.split_once('=')?;
    let name = name.trim();
    (!name.is_empty() && !name.contains(char::is_whitespace))
        .then(|| (name.to_string(), value.trim().to_string()))
}

/// An external reference: purl and CPEs go to the package, others are
/// ignored.
pub(crate) fn external_ref(
    ctx: &mut Ctx<'_>,
    p: &mut Package,
    kind: &str,
    locator: &str,
    at: impl Fn() -> Location,
) {
    match kind {
        "purl" => {
            if p.purl.is_none() {
                p.purl = Some(locator.to_string());
            } else {
                ctx.note(
                    at(),
                    format!("second purl `{locator}` for the package; ignored"),
                );
            }
        }
        "cpe23Type" | "cpe22Type" => {
            let cpe = crate::cpe::normalise(ctx, locator.to_string(), at());
            if !p.cpes.contains(&cpe) {
                p.cpes.push(cpe);
            }
        }
        _ => {}
    }
}

/// Builds the SBOM: packages become components, CONTAINS sets `parent`,
/// DEPENDS_ON / DEPENDENCY_OF become dependencies, the package the
/// document DESCRIBES becomes the subject.
pub(crate) fn assemble(doc: Document, ctx: &mut Ctx<'_>) -> Result<Sbom, SbomError> {
    let Document {
        format,
        spec_version,
        namespace,
        id: doc_id,
        packages,
        relationships,
        describes,
    } = doc;
    let mut asm = Assembly::default();
    let mut index: HashMap<String, usize> = HashMap::new();
    for p in packages {
        let at = p.at.unwrap_or(Location::Document);
        let bom_ref = p.id.unwrap_or_default();
        let i = asm.push(Node {
            component: Component {
                bom_ref: bom_ref.clone(),
                name: p.name.unwrap_or_default(),
                version: p.version,
                group: None,
                kind: p.purpose.map(|k| k.to_ascii_lowercase().replace('_', "-")),
                purl: p.purl,
                cpes: p.cpes,
                supplier: p.supplier,
                manufacturer: None,
                author: p.originator,
                parent: None,
                properties: p.properties,
            },
            parent: None,
            at,
        });
        if !bom_ref.is_empty() {
            index.entry(bom_ref).or_insert(i);
        }
    }

    let mut described: Vec<String> = describes;
    let mut order: Vec<String> = Vec::new();
    let mut deps: HashMap<String, Vec<String>> = HashMap::new();
    let mut add_dep = |from: &str, to: &str| {
        let list = deps.entry(from.to_string()).or_insert_with(|| {
            order.push(from.to_string());
            Vec::new()
        });
        if !list.iter().any(|x| x == to) {
            list.push(to.to_string());
        }
    };
    let none = |s: &str| matches!(s, "NONE" | "NOASSERTION");
    for r in &relationships {
        if none(&r.from) || none(&r.to) {
            continue;
        }
        match r.kind.as_str() {
            "DEPENDS_ON" => add_dep(&r.from, &r.to),
            "DEPENDENCY_OF" => add_dep(&r.to, &r.from),
            "CONTAINS" | "CONTAINED_BY" => {
                let (outer, inner) = if r.kind == "CONTAINS" {
                    (&r.from, &r.to)
                } else {
                    (&r.to, &r.from)
                };
                if let (Some(&o), Some(&n)) = (index.get(outer), index.get(inner))
                    && o != n
                {
                    match asm.nodes[n].parent {
                        None => asm.nodes[n].parent = Some(o),
                        Some(existing) if existing == o => {}
                        Some(existing) => {
                            let msg = format!(
                                "package `{inner}` is contained in `{}` and `{outer}`; the first is kept",
                                asm.nodes[existing].component.bom_ref
                            );
                            ctx.note(asm.nodes[n].at.clone(), msg);
                        }
                    }
                }
            }
            "DESCRIBES" if r.from == doc_id => described.push(r.to.clone()),
            "DESCRIBED_BY" if r.to == doc_id => described.push(r.from.clone()),
            _ => {}
        }
    }
    let dependencies: Vec<Dependency> = order
        .into_iter()
        .map(|r| {
            let depends_on = deps.remove(&r).unwrap_or_default();
            Dependency {
                r#ref: r,
                depends_on,
            }
        })
        .collect();

    // The subject: the one described package, or among several the one that
    // no other described package contains or depends on.
    let mut subjects: Vec<usize> = Vec::new();
    for d in &described {
        if let Some(&i) = index.get(d)
            && !subjects.contains(&i)
        {
            subjects.push(i);
        }
    }
    if subjects.len() > 1 {
        let edges: HashSet<(&str, &str)> = dependencies
            .iter()
            .flat_map(|d| d.depends_on.iter().map(|t| (d.r#ref.as_str(), t.as_str())))
            .collect();
        let inner: Vec<usize> = subjects
            .iter()
            .copied()
            .filter(|&i| {
                let r = &asm.nodes[i].component.bom_ref;
                subjects.iter().any(|&o| {
                    o != i
                        && (asm.nodes[i].parent == Some(o)
                            || edges
                                .contains(&(asm.nodes[o].component.bom_ref.as_str(), r.as_str())))
                })
            })
            .collect();
        let roots: Vec<usize> = subjects
            .iter()
            .copied()
            .filter(|i| !inner.contains(i))
            .collect();
        if roots.len() == 1 {
            subjects = roots;
        } else {
            ctx.note(
                Location::Document,
                format!(
                    "the document describes {} packages and none of them holds the others; no subject",
                    subjects.len()
                ),
            );
            subjects.clear();
        }
    }
    asm.subject = subjects.first().copied();
    // Counted once the subject is known: it is not one of the components.
    for (i, node) in asm.nodes.iter().enumerate() {
        if Some(i) != asm.subject {
            ctx.count_component(|| node.at.clone())?;
        }
    }
    let (subject, components) = asm.finish(ctx)?;
    Ok(Sbom {
        format,
        spec_version,
        serial_number: namespace,
        subject,
        components,
        dependencies,
        warnings: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ParseOptions;

    #[test]
    fn parties() {
        let opts = ParseOptions::default();
        let mut ctx = Ctx::new(&opts);
        let mut p = |s: &str| party(&mut ctx, s, || Location::Line(1)).unwrap();
        assert_eq!(p("Organization: Acme Inc."), Some("Acme Inc.".into()));
        assert_eq!(
            p("Person: Jane Doe (jane@example.com)"),
            Some("Jane Doe".into())
        );
        assert_eq!(p("Person: Jane Doe ()"), Some("Jane Doe".into()));
        assert_eq!(p("NOASSERTION"), None);
        assert_eq!(p("Acme"), Some("Acme".into()));
        assert_eq!(ctx.into_warnings().len(), 1);
        let strict = ParseOptions {
            strict: true,
            ..ParseOptions::default()
        };
        let mut ctx = Ctx::new(&strict);
        assert!(party(&mut ctx, "Acme", || Location::Line(3)).is_err());
    }

    #[test]
    fn annotation_properties() {
        assert_eq!(
            annotation_property("build:arch=x86_64"),
            Some(("build:arch".into(), "x86_64".into()))
        );
        assert_eq!(annotation_property("this is prose = not a property"), None);
        assert_eq!(annotation_property("no equals sign"), None);
    }
}
