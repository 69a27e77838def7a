//! Validates a document's element tree against a compiled [`Schema`],
//! without recursion (the tree may be as deep as the parser allows).

use std::collections::HashMap;

use super::content::{Child, Mismatch};
use super::model::{ComplexType, Content, ElementDecl, Schema, Type, TypeId};
use super::simple;
use crate::error::Location;
use crate::xml::{Doc, Id};

pub(super) struct Violation {
    pub(super) at: Location,
    pub(super) message: String,
}

struct Validator<'s, 'd, 'a> {
    schema: &'s Schema,
    doc: &'d Doc<'a>,
    out: Vec<Violation>,
    limit: usize,
}

/// The violations in `doc`, in document order, at most `limit`.
pub(super) fn validate(schema: &Schema, doc: &Doc<'_>, limit: usize) -> Vec<Violation> {
    let mut v = Validator {
        schema,
        doc,
        out: Vec::new(),
        limit,
    };
    let root = doc.root();
    let key = (
        doc.namespace(root).unwrap_or("").to_string(),
        doc.element(root).name.clone(),
    );
    match schema.elements.get(&key) {
        Some(decl) => v.walk(root, decl),
        None => v.report(
            root,
            format!(
                "root element `{}` in namespace `{}` is not declared",
                key.1, key.0
            ),
        ),
    }
    // Identity constraints are checked after their element's children are
    // queued: report in document order.
    v.out.sort_by_key(|v| match v.at {
        Location::Element { line, column, .. } => (line, column),
        _ => (0, 0),
    });
    v.out.truncate(limit);
    v.out
}

impl<'s> Validator<'s, '_, '_> {
    fn report(&mut self, id: Id, message: String) {
        self.out.push(Violation {
            at: self.doc.location(id),
            message,
        });
    }

    fn walk(&mut self, root: Id, decl: &'s ElementDecl) {
        let mut stack = vec![(root, decl)];
        while let Some((id, decl)) = stack.pop() {
            if self.out.len() >= self.limit {
                return;
            }
            let mut children = self.element(id, decl);
            children.reverse();
            stack.extend(children);
            for attr in &decl.unique_attributes {
                self.unique(id, attr);
            }
        }
    }

    /// Checks one element; returns its children with their declarations.
    fn element(&mut self, id: Id, decl: &'s ElementDecl) -> Vec<(Id, &'s ElementDecl)> {
        let name = &self.doc.element(id).name;
        match &self.schema.types[decl.ty] {
            Type::Any => Vec::new(),
            Type::Simple(_) => {
                for (k, _) in self.doc.attrs(id) {
                    let m = format!("attribute `{k}` is not allowed on `{name}`");
                    self.report(id, m);
                }
                self.simple_content(id, decl, decl.ty);
                Vec::new()
            }
            Type::Complex(ct) => {
                self.attributes(id, ct);
                match &ct.content {
                    Content::Empty => {
                        self.no_children(id);
                        if !ct.mixed {
                            self.no_text(id);
                        }
                        Vec::new()
                    }
                    Content::Simple(t) => {
                        self.simple_content(id, decl, *t);
                        Vec::new()
                    }
                    Content::Elements(model) => {
                        if !ct.mixed {
                            self.no_text(id);
                        }
                        self.children(id, model)
                    }
                }
            }
        }
    }

    fn attributes(&mut self, id: Id, ct: &ComplexType) {
        let name = self.doc.element(id).name.clone();
        for (k, v) in self.doc.attrs(id) {
            match ct.attributes.iter().find(|a| a.name == *k) {
                Some(a) => {
                    if let Err(e) = simple::check(&self.schema.types, a.ty, v) {
                        self.report(id, format!("attribute `{k}`: {e}"));
                    }
                }
                // Unprefixed attributes are in no namespace.
                None if ct.any_attribute.as_ref().is_some_and(|w| w.allows(None)) => {}
                None => self.report(id, format!("attribute `{k}` is not allowed on `{name}`")),
            }
        }
        for a in ct.attributes.iter().filter(|a| a.required) {
            if self.doc.attr(id, &a.name).is_none() {
                let m = format!("missing required attribute `{}` on `{name}`", a.name);
                self.report(id, m);
            }
        }
    }

    fn simple_content(&mut self, id: Id, decl: &ElementDecl, ty: TypeId) {
        if !self.no_children(id) {
            return;
        }
        let raw = self.doc.raw_text(id);
        let value = match &decl.default {
            Some(d) if raw.is_empty() => d.as_str(),
            _ => raw,
        };
        if let Err(e) = simple::check(&self.schema.types, ty, value) {
            self.report(id, e);
        }
    }

    /// Reports child elements where only text belongs; whether there were none.
    fn no_children(&mut self, id: Id) -> bool {
        match self.doc.all_children(id).first() {
            None => true,
            Some(&c) => {
                let m = format!(
                    "element `{}` is not allowed: `{}` holds no elements",
                    self.doc.element(c).name,
                    self.doc.element(id).name
                );
                self.report(c, m);
                false
            }
        }
    }

    fn no_text(&mut self, id: Id) {
        let text = self.doc.raw_text(id).trim();
        if !text.is_empty() {
            let shown: String = text.chars().take(40).collect();
            let m = format!(
                "text `{shown}` is not allowed in `{}`",
                self.doc.element(id).name
            );
            self.report(id, m);
        }
    }

    /// Runs the content model over the children; returns the ones to check
    /// further (declared in the model, or admitted by a lax wildcard and
    /// declared globally).
    fn children(
        &mut self,
        id: Id,
        model: &'s super::content::ContentModel,
    ) -> Vec<(Id, &'s ElementDecl)> {
        let doc = self.doc;
        let ids = doc.all_children(id);
        let children: Vec<Child<'_>> = ids
            .iter()
            .map(|&c| Child {
                ns: doc.namespace(c),
                name: &doc.element(c).name,
            })
            .collect();
        let parent = &doc.element(id).name;
        match model.run(&children) {
            Ok(()) => {}
            Err(Mismatch::Unexpected { index, expected }) => {
                let m = if expected.is_empty() {
                    format!(
                        "unexpected element `{}`: nothing more is allowed in `{parent}` here",
                        children[index].name
                    )
                } else {
                    format!(
                        "unexpected element `{}` in `{parent}`; expected {}",
                        children[index].name,
                        expected.join(" or ")
                    )
                };
                self.report(ids[index], m);
            }
            Err(Mismatch::Incomplete { expected }) => {
                let m = format!(
                    "`{parent}` is incomplete: missing {}",
                    expected.join(" or ")
                );
                self.report(id, m);
            }
        }
        let mut out = Vec::new();
        for (&c, child) in ids.iter().zip(&children) {
            if let Some(d) = model.element(child.ns, child.name) {
                out.push((c, d));
            } else if let Some(w) = model.wildcard(child.ns)
                && !w.skip
                && let Some(d) = self
                    .schema
                    .elements
                    .get(&(child.ns.unwrap_or("").to_string(), child.name.to_string()))
            {
                out.push((c, d));
            }
        }
        out
    }

    /// `attr` is unique among the descendants of `id` (`xs:unique` over
    /// `.//*`).
    fn unique(&mut self, id: Id, attr: &str) {
        let doc = self.doc;
        let mut first: HashMap<&str, Id> = HashMap::new();
        let mut stack: Vec<Id> = doc.all_children(id).iter().rev().copied().collect();
        while let Some(e) = stack.pop() {
            if let Some(v) = doc.attr(e, attr) {
                if let Some(&f) = first.get(v) {
                    let m = format!(
                        "`{attr}` `{v}` is not unique (also on line {})",
                        doc.line(f)
                    );
                    self.report(e, m);
                } else {
                    first.insert(v, e);
                }
            }
            stack.extend(doc.all_children(e).iter().rev());
        }
    }
}
