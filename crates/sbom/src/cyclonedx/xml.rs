//! CycloneDX XML (namespace `http://cyclonedx.org/schema/bom/1.x`).
//! Elements and attributes from other namespaces are extensions the schema
//! allows; they are skipped without a word.

use kensa_model::sbom::{Component, Dependency, Sbom, SbomFormat};

use super::{COMPONENT_FIELDS, KNOWN_XML, METADATA_FIELDS, Rules, xml_serial_number_ok};
use crate::ctx::{Assembly, Ctx, Node};
use crate::error::SbomError;
use crate::xml::{Doc, Id};

pub(crate) const NAMESPACE_PREFIX: &str = "http://cyclonedx.org/schema/bom/";

/// Child elements of `<bom>`.
const BOM_ELEMENTS: &[&str] = &[
    "annotations",
    "citations",
    "components",
    "compositions",
    "declarations",
    "definitions",
    "dependencies",
    "externalReferences",
    "formulation",
    "metadata",
    "properties",
    "services",
    "vulnerabilities",
];

/// Component fields that XML carries as attributes, not elements.
const COMPONENT_ATTRIBUTES: &[&str] = &["bom-ref", "isExternal", "mime-type", "type"];

struct Reader<'d, 'a> {
    doc: &'d Doc<'a>,
    /// The CycloneDX namespace of this document.
    ns: Option<usize>,
    rules: Rules,
}

/// Reads a document whose root is `<bom>`; `spec_version` comes from its
/// namespace (empty when it has none).
pub(crate) fn read(doc: &Doc<'_>, ctx: &mut Ctx<'_>) -> Result<Sbom, SbomError> {
    let root = doc.root();
    let spec_version = doc
        .namespace(root)
        .and_then(|ns| ns.strip_prefix(NAMESPACE_PREFIX))
        .unwrap_or("")
        .to_string();
    let rules = Rules::for_version(&spec_version);
    if rules.minor.is_none() {
        ctx.unknown_version(doc.location(root), "CycloneDX", &spec_version, KNOWN_XML)?;
    }
    let r = Reader {
        doc,
        ns: doc.element(root).ns,
        rules,
    };
    let serial_number = doc.attr(root, "serialNumber").map(str::to_string);
    if let Some(s) = &serial_number
        && !xml_serial_number_ok(s)
    {
        ctx.deviation(
            doc.location(root),
            format!("serial number `{s}` is not `urn:uuid:` and a lower-case RFC 4122 UUID"),
        )?;
    }
    r.unknown_children(ctx, root, BOM_ELEMENTS, "bom")?;

    let mut asm = Assembly::default();
    if let Some(meta) = r.child(root, "metadata") {
        r.unknown_children(ctx, meta, METADATA_FIELDS, "metadata")?;
        if let Some(c) = r.child(meta, "component") {
            r.walk(ctx, &mut asm, c, None, true)?;
        }
        let supplier = r.entity_name(meta, "supplier");
        let manufacturer = r
            .entity_name(meta, "manufacturer")
            .or_else(|| r.entity_name(meta, "manufacture"));
        asm.inherit_parties(supplier, manufacturer);
    }
    for list in r.children(root, "components") {
        for c in r.component_list(ctx, list)? {
            r.walk(ctx, &mut asm, c, None, false)?;
        }
    }
    let mut dependencies = Vec::new();
    for list in r.children(root, "dependencies") {
        r.dependencies(ctx, list, &mut dependencies)?;
    }
    let (subject, components) = asm.finish(ctx)?;
    Ok(Sbom {
        format: SbomFormat::CyclonedxXml,
        spec_version,
        serial_number,
        subject,
        components,
        dependencies,
        warnings: Vec::new(),
    })
}

impl Reader<'_, '_> {
    fn children<'s>(&'s self, id: Id, name: &'s str) -> impl Iterator<Item = Id> + 's {
        self.doc
            .children(id, self.ns)
            .filter(move |c| self.doc.element(*c).name == name)
    }

    fn child(&self, id: Id, name: &str) -> Option<Id> {
        self.doc.child(id, self.ns, name)
    }

    fn child_text(&self, id: Id, name: &str) -> Option<String> {
        self.child(id, name).map(|c| self.doc.text(c).to_string())
    }

    fn unknown_children(
        &self,
        ctx: &mut Ctx<'_>,
        id: Id,
        known: &[&str],
        what: &str,
    ) -> Result<(), SbomError> {
        for c in self.doc.children(id, self.ns) {
            let name = &self.doc.element(c).name;
            if !known.contains(&name.as_str()) {
                ctx.deviation(
                    self.doc.location(c),
                    format!("unknown {what} element `{name}`"),
                )?;
            }
        }
        Ok(())
    }

    /// The `<component>` children of a `<components>` element.
    fn component_list(&self, ctx: &mut Ctx<'_>, list: Id) -> Result<Vec<Id>, SbomError> {
        let mut out = Vec::new();
        for c in self.doc.children(list, self.ns) {
            if self.doc.element(c).name == "component" {
                out.push(c);
            } else {
                ctx.deviation(
                    self.doc.location(c),
                    format!(
                        "unknown element `{}` in `components`",
                        self.doc.element(c).name
                    ),
                )?;
            }
        }
        Ok(out)
    }

    /// Reads a component and everything nested in it, in document order,
    /// without recursion.
    fn walk(
        &self,
        ctx: &mut Ctx<'_>,
        asm: &mut Assembly,
        id: Id,
        parent: Option<usize>,
        subject: bool,
    ) -> Result<(), SbomError> {
        let mut stack = vec![(id, parent, subject)];
        while let Some((id, parent, subject)) = stack.pop() {
            // The subject (metadata/component) is not one of the components.
            if !subject {
                ctx.count_component(|| self.doc.location(id))?;
            }
            let component = self.component(ctx, id)?;
            let i = asm.push(Node {
                component,
                parent,
                at: self.doc.location(id),
            });
            if subject {
                asm.subject = Some(i);
            }
            let mut nested = Vec::new();
            for list in self.children(id, "components") {
                nested.extend(self.component_list(ctx, list)?);
            }
            for c in nested.into_iter().rev() {
                stack.push((c, Some(i), false));
            }
        }
        Ok(())
    }

    fn component(&self, ctx: &mut Ctx<'_>, id: Id) -> Result<Component, SbomError> {
        let doc = self.doc;
        for c in doc.children(id, self.ns) {
            let name = doc.element(c).name.as_str();
            if !COMPONENT_FIELDS.contains(&name) || COMPONENT_ATTRIBUTES.contains(&name) {
                ctx.deviation(
                    doc.location(c),
                    format!("unknown component element `{name}`"),
                )?;
            }
        }
        let kind = doc.attr(id, "type").map(str::to_string);
        match &kind {
            None => ctx.deviation(doc.location(id), "missing required attribute `type`")?,
            Some(t) if !self.rules.type_known(t) => {
                ctx.deviation(doc.location(id), format!("unknown component type `{t}`"))?
            }
            Some(_) => {}
        }
        let name = match self.child_text(id, "name") {
            Some(n) => n,
            None => {
                ctx.deviation(doc.location(id), "missing required element `name`")?;
                String::new()
            }
        };
        let version = self.child_text(id, "version");
        if version.is_none() && self.rules.version_required() {
            ctx.deviation(
                doc.location(id),
                "missing element `version` (required up to CycloneDX 1.3)",
            )?;
        }
        let mut bom_ref = doc.attr(id, "bom-ref").unwrap_or("").trim().to_string();
        if bom_ref.is_empty() && doc.attr(id, "bom-ref").is_some() && self.rules.refs_nonempty() {
            ctx.deviation(doc.location(id), "empty `bom-ref`")?;
            bom_ref.clear();
        }
        let cpes = match self.child(id, "cpe") {
            Some(c) => vec![crate::cpe::normalise(
                ctx,
                doc.text(c).to_string(),
                doc.location(c),
            )],
            None => Vec::new(),
        };
        let author = self.child_text(id, "author").or_else(|| {
            let names: Vec<String> = self
                .children(id, "authors")
                .flat_map(|a| self.children(a, "author").collect::<Vec<_>>())
                .filter_map(|a| self.child_text(a, "name"))
                .collect();
            (!names.is_empty()).then(|| names.join(", "))
        });
        Ok(Component {
            bom_ref,
            name,
            version,
            group: self.child_text(id, "group"),
            kind,
            purl: self.child_text(id, "purl"),
            cpes,
            supplier: self.entity_name(id, "supplier"),
            manufacturer: self.entity_name(id, "manufacturer"),
            author,
            parent: None,
            properties: self.properties(ctx, id)?,
        })
    }

    /// `<key><name>X</name></key>`.
    fn entity_name(&self, id: Id, key: &str) -> Option<String> {
        self.child(id, key).and_then(|e| self.child_text(e, "name"))
    }

    fn properties(&self, ctx: &mut Ctx<'_>, id: Id) -> Result<Vec<(String, String)>, SbomError> {
        let mut out = Vec::new();
        for list in self.children(id, "properties") {
            for p in self.children(list, "property") {
                match self.doc.attr(p, "name") {
                    Some(name) => out.push((name.to_string(), self.doc.text(p).to_string())),
                    None => ctx.deviation(
                        self.doc.location(p),
                        "missing required attribute `name`; property ignored",
                    )?,
                }
            }
        }
        Ok(out)
    }

    /// `<dependency ref="a"><dependency ref="b"/></dependency>`: a depends on
    /// b. Deeper nesting, which the schema allows, states b's own
    /// dependencies; it is read the same way, without recursion.
    fn dependencies(
        &self,
        ctx: &mut Ctx<'_>,
        list: Id,
        out: &mut Vec<Dependency>,
    ) -> Result<(), SbomError> {
        let mut stack: Vec<Id> = self.children(list, "dependency").collect();
        stack.reverse();
        // Every entry on the stack states dependencies: the top-level ones,
        // and nested ones that have children of their own.
        while let Some(d) = stack.pop() {
            let inner: Vec<Id> = self.children(d, "dependency").collect();
            let r = self.doc.attr(d, "ref").unwrap_or("").trim();
            if r.is_empty() {
                let what = if self.doc.attr(d, "ref").is_some() {
                    "empty `ref`"
                } else {
                    "missing required attribute `ref`"
                };
                ctx.deviation(self.doc.location(d), format!("{what}; dependency ignored"))?;
                continue;
            }
            let mut depends_on = Vec::with_capacity(inner.len());
            for c in &inner {
                match self.doc.attr(*c, "ref").map(str::trim) {
                    Some(x) if !x.is_empty() => depends_on.push(x.to_string()),
                    _ => ctx.deviation(self.doc.location(*c), "missing or empty `ref`; ignored")?,
                }
            }
            out.push(Dependency {
                r#ref: r.to_string(),
                depends_on,
            });
            for c in inner.into_iter().rev() {
                if self.children(c, "dependency").next().is_some() {
                    stack.push(c);
                }
            }
        }
        Ok(())
    }
}
