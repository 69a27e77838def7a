//! A compiled XML schema: types in one arena, addressed by [`TypeId`], so
//! recursive types (a component holding components) need no pointers.

use std::collections::HashMap;

use super::content::ContentModel;
use super::simple::SimpleType;

pub(super) type TypeId = usize;

pub(super) enum Type {
    /// `xs:anyType`: any attributes and content, not looked into.
    Any,
    Simple(SimpleType),
    Complex(ComplexType),
}

pub(super) struct ComplexType {
    pub(super) attributes: Vec<AttributeDecl>,
    pub(super) any_attribute: Option<Wildcard>,
    pub(super) content: Content,
    /// Text may appear between child elements.
    pub(super) mixed: bool,
}

pub(super) enum Content {
    Empty,
    Elements(ContentModel),
    /// Text of a simple type (`xs:simpleContent`).
    Simple(TypeId),
}

pub(super) struct AttributeDecl {
    pub(super) name: String,
    pub(super) ty: TypeId,
    pub(super) required: bool,
}

#[derive(Clone)]
pub(super) struct ElementDecl {
    pub(super) name: String,
    /// Namespace URI; empty for none.
    pub(super) ns: String,
    pub(super) ty: TypeId,
    /// The value an empty element stands for.
    pub(super) default: Option<String>,
    /// `xs:unique` over `.//*` on an attribute: the attribute's name.
    pub(super) unique_attributes: Vec<String>,
}

/// `xs:any` / `xs:anyAttribute`.
#[derive(Clone)]
pub(super) struct Wildcard {
    pub(super) namespaces: Namespaces,
    /// `processContents="skip"`: matching elements are not looked into even
    /// when a declaration exists (`lax` validates them if one does).
    pub(super) skip: bool,
}

#[derive(Clone)]
pub(super) enum Namespaces {
    Any,
    /// Any namespace but the target one, and not "no namespace".
    Other(String),
    /// The listed URIs; the empty string stands for "no namespace".
    List(Vec<String>),
}

impl Wildcard {
    pub(super) fn allows(&self, ns: Option<&str>) -> bool {
        match &self.namespaces {
            Namespaces::Any => true,
            Namespaces::Other(target) => ns.is_some_and(|n| n != target),
            Namespaces::List(list) => list.iter().any(|l| l == ns.unwrap_or("")),
        }
    }
}

pub(super) struct Schema {
    pub(super) types: Vec<Type>,
    /// Global element declarations by (namespace, name).
    pub(super) elements: HashMap<(String, String), ElementDecl>,
}
