//! Compiles the subset of XML Schema 1.0 the CycloneDX XSDs use into a
//! [`Schema`]. Anything outside that subset (an unknown construct or
//! attribute of one) is an error naming the file and line, never silently
//! skipped, so a new schema version cannot half-validate.

use std::collections::HashMap;

use regex::Regex;

use super::content::{ContentModel, MAX_UNROLLED, Max, Particle};
use super::model::{
    AttributeDecl, ComplexType, Content, ElementDecl, Namespaces, Schema, Type, TypeId, Wildcard,
};
use super::simple::{Builtin, Facets, SimpleType, Variety, translate_pattern};
use crate::xml::{Doc, Id};

const XS: &str = "http://www.w3.org/2001/XMLSchema";

/// One schema document.
struct Source<'a> {
    file: &'a str,
    doc: Doc<'a>,
    /// Namespace prefixes declared on `xs:schema`, for QName values.
    prefixes: HashMap<String, String>,
    target: String,
}

type Key = (String, String);

struct Compiler<'a> {
    sources: Vec<Source<'a>>,
    /// Named simple and complex types: source index and element.
    named_types: HashMap<Key, (usize, Id)>,
    attribute_groups: HashMap<Key, (usize, Id)>,
    compiled: HashMap<Key, TypeId>,
    types: Vec<Type>,
}

/// Compiles `files` (name, text); the first is the main schema, the others
/// the ones it imports. Global elements of every file are declared.
pub(super) fn compile(files: &[(&str, &str)]) -> Result<Schema, String> {
    let mut c = Compiler {
        sources: Vec::new(),
        named_types: HashMap::new(),
        attribute_groups: HashMap::new(),
        compiled: HashMap::new(),
        types: Vec::new(),
    };
    let mut globals = Vec::new();
    for (file, text) in files {
        let s = c.sources.len();
        c.sources.push(load(file, text)?);
        globals.extend(c.top_level(s)?);
    }
    // Every named type, used or not: an unsupported construct anywhere in
    // the schema is an error, not a gap found by the first document to hit it.
    let mut named: Vec<(Key, (usize, Id))> =
        c.named_types.iter().map(|(k, v)| (k.clone(), *v)).collect();
    named.sort();
    for (key, (s, id)) in named {
        if !c.compiled.contains_key(&key) {
            let t = c.push(Type::Any);
            c.compiled.insert(key, t);
            c.types[t] = c.definition(s, id)?;
        }
    }
    let mut elements = HashMap::new();
    for (s, id) in globals {
        let decl = c.element(s, id)?;
        elements.insert((decl.ns.clone(), decl.name.clone()), decl);
    }
    Ok(Schema {
        types: c.types,
        elements,
    })
}

fn load<'a>(file: &'a str, text: &'a str) -> Result<Source<'a>, String> {
    let doc = Doc::parse(text, 256).map_err(|e| format!("{file}: {e}"))?;
    let root = doc.root();
    if doc.element(root).name != "schema" || doc.namespace(root) != Some(XS) {
        return Err(format!("{file}: the root is not `xs:schema`"));
    }
    let target = doc.attr(root, "targetNamespace").unwrap_or("").to_string();
    Ok(Source {
        file,
        prefixes: root_prefixes(text),
        doc,
        target,
    })
}

/// The `xmlns:p="uri"` declarations of the first start tag.
fn root_prefixes(text: &str) -> HashMap<String, String> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut out = HashMap::new();
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(e)) => {
                for a in e.attributes().flatten() {
                    let key = a.key.as_ref().to_string();
                    if let Some(p) = key.strip_prefix("xmlns:") {
                        let v = a.value.to_string();
                        out.insert(p.to_string(), v);
                    }
                }
                return out;
            }
            Ok(quick_xml::events::Event::Eof) | Err(_) => return out,
            Ok(_) => {}
        }
    }
}

impl<'a> Compiler<'a> {
    fn doc(&self, s: usize) -> &Doc<'a> {
        &self.sources[s].doc
    }

    fn attr(&self, s: usize, id: Id, name: &str) -> Option<String> {
        self.doc(s).attr(id, name).map(str::to_string)
    }

    fn place(&self, s: usize, id: Id) -> String {
        format!("{} line {}", self.sources[s].file, self.doc(s).line(id))
    }

    fn unsupported(&self, s: usize, id: Id, what: impl std::fmt::Display) -> String {
        format!("{}: {what} is not supported", self.place(s, id))
    }

    /// Refuses attributes of a schema construct outside `allowed`.
    fn only_attributes(&self, s: usize, id: Id, allowed: &[&str]) -> Result<(), String> {
        let name = &self.doc(s).element(id).name;
        for (k, _) in self.doc(s).attrs(id) {
            if !allowed.contains(&k.as_str()) {
                return Err(self.unsupported(s, id, format!("attribute `{k}` on `xs:{name}`")));
            }
        }
        Ok(())
    }

    /// The schema constructs inside `id`, annotations left out.
    fn children(&self, s: usize, id: Id) -> Result<Vec<(Id, String)>, String> {
        let doc = self.doc(s);
        let mut out = Vec::new();
        for &c in doc.all_children(id) {
            if doc.namespace(c) != Some(XS) {
                return Err(self.unsupported(s, c, format!("element `{}`", doc.element(c).name)));
            }
            let name = doc.element(c).name.clone();
            if name != "annotation" {
                out.push((c, name));
            }
        }
        Ok(out)
    }

    fn qname(&self, s: usize, id: Id, value: &str) -> Result<Key, String> {
        let (prefix, local) = value.split_once(':').unwrap_or(("", value));
        let ns = if prefix.is_empty() {
            String::new()
        } else {
            self.sources[s]
                .prefixes
                .get(prefix)
                .cloned()
                .ok_or_else(|| format!("{}: unknown prefix `{prefix}`", self.place(s, id)))?
        };
        Ok((ns, local.to_string()))
    }

    /// Collects the named definitions of source `s`; returns its global
    /// element declarations.
    fn top_level(&mut self, s: usize) -> Result<Vec<(usize, Id)>, String> {
        let root = self.doc(s).root();
        self.only_attributes(
            s,
            root,
            &["elementFormDefault", "targetNamespace", "version"],
        )?;
        // Local elements are in the target namespace only when qualified.
        if self.attr(s, root, "elementFormDefault").as_deref() != Some("qualified") {
            return Err(self.unsupported(s, root, "elementFormDefault other than `qualified`"));
        }
        let target = self.sources[s].target.clone();
        let mut globals = Vec::new();
        for (c, name) in self.children(s, root)? {
            match name.as_str() {
                // The imported schemas are shipped and compiled alongside.
                "import" => self.only_attributes(s, c, &["namespace", "schemaLocation"])?,
                "element" => globals.push((s, c)),
                "simpleType" | "complexType" | "attributeGroup" => {
                    let n = self.attr(s, c, "name").ok_or_else(|| {
                        format!("{}: a global `xs:{name}` without a name", self.place(s, c))
                    })?;
                    let map = if name == "attributeGroup" {
                        &mut self.attribute_groups
                    } else {
                        &mut self.named_types
                    };
                    map.insert((target.clone(), n), (s, c));
                }
                _ => return Err(self.unsupported(s, c, format!("top-level `xs:{name}`"))),
            }
        }
        Ok(globals)
    }

    fn push(&mut self, t: Type) -> TypeId {
        self.types.push(t);
        self.types.len() - 1
    }

    /// The built-in type `xs:local`, one arena slot each; `None` for one
    /// outside the supported set.
    fn builtin(&mut self, local: &str) -> Option<TypeId> {
        let key = (XS.to_string(), local.to_string());
        if let Some(t) = self.compiled.get(&key) {
            return Some(*t);
        }
        let ty = match local {
            "anyType" => Type::Any,
            _ => Type::Simple(SimpleType {
                variety: Variety::Builtin(Builtin::by_name(local)?),
                facets: Facets::default(),
            }),
        };
        let t = self.push(ty);
        self.compiled.insert(key, t);
        Some(t)
    }

    /// The type a QName names, compiled on first use.
    fn type_ref(&mut self, s: usize, id: Id, value: &str) -> Result<TypeId, String> {
        let key = self.qname(s, id, value)?;
        if let Some(t) = self.compiled.get(&key) {
            return Ok(*t);
        }
        if key.0 == XS {
            return self
                .builtin(&key.1)
                .ok_or_else(|| self.unsupported(s, id, format!("built-in type `{value}`")));
        }
        let &(ds, def) = self
            .named_types
            .get(&key)
            .ok_or_else(|| format!("{}: unknown type `{value}`", self.place(s, id)))?;
        // Reserve the slot first: complex types refer to themselves.
        let t = self.push(Type::Any);
        self.compiled.insert(key, t);
        self.types[t] = self.definition(ds, def)?;
        Ok(t)
    }

    /// A `xs:simpleType` or `xs:complexType`, named or anonymous.
    fn definition(&mut self, s: usize, id: Id) -> Result<Type, String> {
        match self.doc(s).element(id).name.as_str() {
            "simpleType" => Ok(Type::Simple(self.simple_type(s, id)?)),
            _ => Ok(Type::Complex(self.complex_type(s, id)?)),
        }
    }

    fn anonymous(&mut self, s: usize, id: Id) -> Result<TypeId, String> {
        let t = self.definition(s, id)?;
        Ok(self.push(t))
    }

    fn simple_type(&mut self, s: usize, id: Id) -> Result<SimpleType, String> {
        self.only_attributes(s, id, &["name", "final"])?;
        let children = self.children(s, id)?;
        let [(c, name)] = children.as_slice() else {
            return Err(self.unsupported(
                s,
                id,
                "an `xs:simpleType` without exactly one derivation",
            ));
        };
        let c = *c;
        match name.as_str() {
            "restriction" => {
                self.only_attributes(s, c, &["base"])?;
                let base = self
                    .attr(s, c, "base")
                    .ok_or_else(|| self.unsupported(s, c, "a restriction without `base`"))?;
                let base = self.type_ref(s, c, &base)?;
                Ok(SimpleType {
                    variety: Variety::Restriction(base),
                    facets: self.facets(s, c)?,
                })
            }
            "union" => {
                self.only_attributes(s, c, &["memberTypes"])?;
                if !self.children(s, c)?.is_empty() {
                    return Err(self.unsupported(s, c, "an anonymous union member"));
                }
                let members = self.attr(s, c, "memberTypes").unwrap_or_default();
                let members = members
                    .split_whitespace()
                    .map(|m| self.type_ref(s, c, m))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(SimpleType {
                    variety: Variety::Union(members),
                    facets: Facets::default(),
                })
            }
            other => Err(self.unsupported(s, c, format!("`xs:{other}` in a simple type"))),
        }
    }

    fn facets(&self, s: usize, restriction: Id) -> Result<Facets, String> {
        let mut f = Facets::default();
        for (c, name) in self.children(s, restriction)? {
            self.only_attributes(s, c, &["value"])?;
            let value = self.attr(s, c, "value").unwrap_or_default();
            let bad = |what: &str| format!("{}: bad {name} `{value}`: {what}", self.place(s, c));
            let count = || value.parse::<usize>().map_err(|e| bad(&e.to_string()));
            let number = || value.parse::<f64>().map_err(|e| bad(&e.to_string()));
            match name.as_str() {
                "enumeration" => f.enumeration.push(value.clone()),
                "pattern" => {
                    let re = translate_pattern(&value)
                        .and_then(|p| Regex::new(&p).map_err(|e| e.to_string()))
                        .map_err(|e| bad(&e))?;
                    f.patterns.push((value.clone(), re));
                }
                "minLength" => f.min_length = Some(count()?),
                "maxLength" => f.max_length = Some(count()?),
                "minInclusive" => f.min_inclusive = Some(number()?),
                "maxInclusive" => f.max_inclusive = Some(number()?),
                other => return Err(self.unsupported(s, c, format!("facet `xs:{other}`"))),
            }
        }
        Ok(f)
    }

    fn complex_type(&mut self, s: usize, id: Id) -> Result<ComplexType, String> {
        self.only_attributes(s, id, &["name", "mixed"])?;
        let mut ct = ComplexType {
            attributes: Vec::new(),
            any_attribute: None,
            content: Content::Empty,
            mixed: self.attr(s, id, "mixed").as_deref() == Some("true"),
        };
        for (c, name) in self.children(s, id)? {
            match name.as_str() {
                "sequence" | "choice" if matches!(ct.content, Content::Empty) => {
                    ct.content = Content::Elements(ContentModel::new(self.particle(s, c)?));
                }
                "simpleContent" if matches!(ct.content, Content::Empty) => {
                    self.simple_content(s, c, &mut ct)?;
                }
                _ => self.attribute_use(s, c, &name, &mut ct)?,
            }
        }
        Ok(ct)
    }

    /// `xs:attribute`, `xs:attributeGroup ref` or `xs:anyAttribute`.
    fn attribute_use(
        &mut self,
        s: usize,
        c: Id,
        name: &str,
        ct: &mut ComplexType,
    ) -> Result<(), String> {
        match name {
            "attribute" => {
                let a = self.attribute(s, c)?;
                ct.attributes.push(a);
            }
            "anyAttribute" => ct.any_attribute = Some(self.wildcard(s, c, false)?),
            "attributeGroup" => {
                self.only_attributes(s, c, &["ref"])?;
                let r = self.attr(s, c, "ref").ok_or_else(|| {
                    self.unsupported(s, c, "a local attribute group without `ref`")
                })?;
                let key = self.qname(s, c, &r)?;
                let &(gs, g) = self.attribute_groups.get(&key).ok_or_else(|| {
                    format!("{}: unknown attribute group `{r}`", self.place(s, c))
                })?;
                for (gc, gname) in self.children(gs, g)? {
                    self.attribute_use(gs, gc, &gname, ct)?;
                }
            }
            other => return Err(self.unsupported(s, c, format!("`xs:{other}` in a complex type"))),
        }
        Ok(())
    }

    fn simple_content(&mut self, s: usize, id: Id, ct: &mut ComplexType) -> Result<(), String> {
        let children = self.children(s, id)?;
        let [(ext, name)] = children.as_slice() else {
            return Err(self.unsupported(s, id, "an `xs:simpleContent` without one derivation"));
        };
        let ext = *ext;
        if name != "extension" {
            return Err(self.unsupported(s, ext, format!("`xs:{name}` of simple content")));
        }
        self.only_attributes(s, ext, &["base"])?;
        let base = self.attr(s, ext, "base").unwrap_or_default();
        let base = self.type_ref(s, ext, &base)?;
        if !matches!(self.types[base], Type::Simple(_)) {
            return Err(self.unsupported(s, ext, "simple content extending a complex type"));
        }
        ct.content = Content::Simple(base);
        for (c, cname) in self.children(s, ext)? {
            self.attribute_use(s, c, &cname, ct)?;
        }
        Ok(())
    }

    fn attribute(&mut self, s: usize, id: Id) -> Result<AttributeDecl, String> {
        self.only_attributes(s, id, &["name", "type", "use", "default"])?;
        let name = self
            .attr(s, id, "name")
            .ok_or_else(|| self.unsupported(s, id, "an attribute reference"))?;
        let required = match self.attr(s, id, "use").as_deref() {
            None | Some("optional") => false,
            Some("required") => true,
            Some(other) => return Err(self.unsupported(s, id, format!("use=\"{other}\""))),
        };
        let inline = self.children(s, id)?;
        let ty = match (self.attr(s, id, "type"), inline.as_slice()) {
            (Some(t), []) => self.type_ref(s, id, &t)?,
            (None, [(c, n)]) if n == "simpleType" => self.anonymous(s, *c)?,
            (None, []) => self.builtin("anySimpleType").ok_or("no xs:anySimpleType")?,
            _ => return Err(self.unsupported(s, id, "this attribute type")),
        };
        Ok(AttributeDecl { name, ty, required })
    }

    fn occurs(&self, s: usize, id: Id) -> Result<(usize, Max), String> {
        let bad = |v: &str| format!("{}: bad occurrence bound `{v}`", self.place(s, id));
        let min = match self.attr(s, id, "minOccurs") {
            None => 1,
            Some(v) => v.parse().map_err(|_| bad(&v))?,
        };
        let max = match self.attr(s, id, "maxOccurs").as_deref() {
            None => Some(1),
            Some("unbounded") => None,
            Some(v) => Some(v.parse().map_err(|_| bad(v))?),
        };
        if max.is_some_and(|m| m < min || m > MAX_UNROLLED) || min > MAX_UNROLLED {
            return Err(self.unsupported(s, id, format!("minOccurs={min} with this maxOccurs")));
        }
        Ok((min, max))
    }

    fn particle(&mut self, s: usize, id: Id) -> Result<Particle, String> {
        let kind = self.doc(s).element(id).name.clone();
        match kind.as_str() {
            "element" => {
                let (min, max) = self.occurs(s, id)?;
                Ok(Particle::Element(self.element(s, id)?, min, max))
            }
            "any" => {
                self.only_attributes(
                    s,
                    id,
                    &["namespace", "processContents", "minOccurs", "maxOccurs"],
                )?;
                let (min, max) = self.occurs(s, id)?;
                Ok(Particle::Any(self.wildcard(s, id, true)?, min, max))
            }
            "sequence" | "choice" => {
                self.only_attributes(s, id, &["minOccurs", "maxOccurs"])?;
                let (min, max) = self.occurs(s, id)?;
                let mut items = Vec::new();
                for (c, _) in self.children(s, id)? {
                    items.push(self.particle(s, c)?);
                }
                Ok(if kind == "sequence" {
                    Particle::Sequence(items, min, max)
                } else {
                    Particle::Choice(items, min, max)
                })
            }
            other => Err(self.unsupported(s, id, format!("`xs:{other}` in a content model"))),
        }
    }

    /// An element declaration, global or local (local ones are qualified:
    /// checked in [`Compiler::top_level`]).
    fn element(&mut self, s: usize, id: Id) -> Result<ElementDecl, String> {
        self.only_attributes(
            s,
            id,
            &["name", "type", "minOccurs", "maxOccurs", "default"],
        )?;
        let name = self
            .attr(s, id, "name")
            .ok_or_else(|| self.unsupported(s, id, "an element reference"))?;
        let mut ty = match self.attr(s, id, "type") {
            Some(t) => Some(self.type_ref(s, id, &t)?),
            None => None,
        };
        let mut unique_attributes = Vec::new();
        for (c, cname) in self.children(s, id)? {
            match cname.as_str() {
                "simpleType" | "complexType" if ty.is_none() => ty = Some(self.anonymous(s, c)?),
                "unique" => unique_attributes.push(self.unique(s, c)?),
                other => return Err(self.unsupported(s, c, format!("`xs:{other}` in an element"))),
            }
        }
        let ty = match ty {
            Some(t) => t,
            None => self.builtin("anyType").ok_or("no xs:anyType")?,
        };
        Ok(ElementDecl {
            name,
            ns: self.sources[s].target.clone(),
            ty,
            default: self.attr(s, id, "default"),
            unique_attributes,
        })
    }

    /// `xs:unique` with selector `.//*` and one field `@name`: the
    /// attribute is unique among all descendants.
    fn unique(&self, s: usize, id: Id) -> Result<String, String> {
        self.only_attributes(s, id, &["name"])?;
        let parts = self.children(s, id)?;
        let xpath = |c: Id| self.attr(s, c, "xpath").unwrap_or_default();
        match parts.as_slice() {
            [(sel, a), (field, b)] if a == "selector" && b == "field" && xpath(*sel) == ".//*" => {
                let f = xpath(*field);
                match f.strip_prefix('@') {
                    Some(attr) if !attr.contains(['/', ':', '*']) => Ok(attr.to_string()),
                    _ => Err(self.unsupported(s, *field, format!("field `{f}`"))),
                }
            }
            _ => Err(self.unsupported(s, id, "this identity constraint")),
        }
    }

    fn wildcard(&self, s: usize, id: Id, element: bool) -> Result<Wildcard, String> {
        if !element {
            self.only_attributes(s, id, &["namespace", "processContents"])?;
        }
        let skip = match self.attr(s, id, "processContents").as_deref() {
            Some("lax") => false,
            Some("skip") => true,
            // `strict` needs declarations for foreign elements; none ship.
            _ => return Err(self.unsupported(s, id, "processContents other than lax or skip")),
        };
        let target = self.sources[s].target.clone();
        let namespaces = match self.attr(s, id, "namespace").as_deref().unwrap_or("##any") {
            "##any" => Namespaces::Any,
            "##other" => Namespaces::Other(target),
            list => Namespaces::List(
                list.split_whitespace()
                    .map(|n| match n {
                        "##targetNamespace" => target.clone(),
                        "##local" => String::new(),
                        uri => uri.to_string(),
                    })
                    .collect(),
            ),
        };
        Ok(Wildcard { namespaces, skip })
    }
}
