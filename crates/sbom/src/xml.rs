//! A small XML tree built with quick-xml's pull parser: elements with their
//! namespace, unprefixed attributes and direct text, in one flat arena (so
//! neither building nor dropping it recurses). Entities other than the five
//! predefined ones and character references are refused, so no DTD tricks.

use std::collections::HashMap;

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::{NsReader, XmlVersion};

use crate::error::{LineIndex, Location, SbomError};

pub(crate) type Id = usize;

pub(crate) struct Element {
    /// Local name.
    pub(crate) name: String,
    /// Index into [`Doc::namespaces`].
    pub(crate) ns: Option<usize>,
    /// Attributes without a prefix (`xmlns` excluded), unescaped.
    attrs: Vec<(String, String)>,
    /// The element's own text (CDATA included), not its children's.
    text: String,
    children: Vec<Id>,
    parent: Option<Id>,
    /// 1-based position among same-named siblings.
    nth: usize,
    /// Whether it has same-named siblings.
    multi: bool,
    /// Byte offset of the start tag.
    pos: usize,
}

pub(crate) struct Doc<'a> {
    elements: Vec<Element>,
    pub(crate) namespaces: Vec<String>,
    lines: LineIndex<'a>,
}

fn syntax(at: Location, message: impl Into<String>) -> SbomError {
    SbomError::Syntax {
        syntax: "XML",
        at,
        message: message.into(),
    }
}

impl<'a> Doc<'a> {
    /// Parses `text`; elements nested deeper than `max_depth` are an error.
    pub(crate) fn parse(text: &'a str, max_depth: usize) -> Result<Doc<'a>, SbomError> {
        let lines = LineIndex::new(text.as_bytes());
        let mut reader = NsReader::from_str(text);
        let mut elements: Vec<Element> = Vec::new();
        let mut namespaces: Vec<String> = Vec::new();
        let mut stack: Vec<Id> = Vec::new();
        // Per open element: how many children of each name it has so far.
        let mut counts: Vec<HashMap<String, usize>> = Vec::new();
        loop {
            let pos = reader.buffer_position() as usize;
            let (ns, event) = match reader.read_resolved_event() {
                Ok((ResolveResult::Bound(ns), ev)) => (Some(ns.as_ref().to_string()), ev),
                Ok((_, ev)) => (None, ev),
                Err(e) => {
                    let at = lines.location(reader.error_position() as usize);
                    return Err(syntax(at, e.to_string()));
                }
            };
            match event {
                Event::Start(ref e) | Event::Empty(ref e) => {
                    if stack.len() >= max_depth {
                        return Err(SbomError::TooDeep {
                            at: lines.location(pos),
                            limit: max_depth,
                        });
                    }
                    if stack.is_empty() && !elements.is_empty() {
                        return Err(syntax(lines.location(pos), "a second root element"));
                    }
                    let ns = ns.map(|ns| match namespaces.iter().position(|n| *n == ns) {
                        Some(i) => i,
                        None => {
                            namespaces.push(ns);
                            namespaces.len() - 1
                        }
                    });
                    let mut attrs = Vec::new();
                    for a in e.attributes() {
                        let a = a.map_err(|err| syntax(lines.location(pos), err.to_string()))?;
                        let key = a.key.as_ref();
                        if a.key.prefix().is_some() || key == "xmlns" {
                            continue;
                        }
                        let value = a
                            .normalized_value(XmlVersion::Implicit1_0)
                            .map_err(|err| syntax(lines.location(pos), err.to_string()))?;
                        attrs.push((key.to_string(), value.into_owned()));
                    }
                    let id = elements.len();
                    let parent = stack.last().copied();
                    let name = e.local_name().as_ref().to_string();
                    let nth = match counts.last_mut() {
                        Some(c) => {
                            let n = c.entry(name.clone()).or_insert(0);
                            *n += 1;
                            *n
                        }
                        None => 1,
                    };
                    elements.push(Element {
                        name,
                        nth,
                        multi: false,
                        ns,
                        attrs,
                        text: String::new(),
                        children: Vec::new(),
                        parent,
                        pos,
                    });
                    if let Some(p) = parent {
                        elements[p].children.push(id);
                    }
                    if matches!(event, Event::Start(_)) {
                        stack.push(id);
                        counts.push(HashMap::new());
                    }
                }
                Event::End(_) => {
                    if let (Some(id), Some(c)) = (stack.pop(), counts.pop()) {
                        for j in 0..elements[id].children.len() {
                            let k = elements[id].children[j];
                            if c.get(&elements[k].name).is_some_and(|n| *n > 1) {
                                elements[k].multi = true;
                            }
                        }
                    }
                }
                Event::Text(t) => match stack.last() {
                    Some(&top) => elements[top].text.push_str(&t.xml10_content()),
                    None if t.trim().is_empty() => {}
                    None => {
                        return Err(syntax(lines.location(pos), "text outside the root element"));
                    }
                },
                Event::CData(t) => match stack.last() {
                    Some(&top) => elements[top].text.push_str(&t.xml10_content()),
                    None => {
                        return Err(syntax(
                            lines.location(pos),
                            "CDATA outside the root element",
                        ));
                    }
                },
                Event::GeneralRef(r) => {
                    let resolved = if r.is_char_ref() {
                        r.resolve_char_ref()
                            .map_err(|err| syntax(lines.location(pos), err.to_string()))?
                            .map(String::from)
                    } else {
                        resolve_predefined_entity(&r).map(str::to_string)
                    };
                    let Some(s) = resolved else {
                        return Err(syntax(
                            lines.location(pos),
                            format!("unknown entity `&{};`", &*r),
                        ));
                    };
                    match stack.last() {
                        Some(&top) => elements[top].text.push_str(&s),
                        None => {
                            return Err(syntax(
                                lines.location(pos),
                                "reference outside the root element",
                            ));
                        }
                    }
                }
                Event::Eof => break,
                Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
            }
        }
        if let Some(&open) = stack.last() {
            return Err(syntax(
                lines.location(text.len()),
                format!(
                    "end of document inside element `{}` opened at {}",
                    elements[open].name,
                    lines.location(elements[open].pos)
                ),
            ));
        }
        if elements.is_empty() {
            return Err(syntax(lines.location(text.len()), "no root element"));
        }
        Ok(Doc {
            elements,
            namespaces,
            lines,
        })
    }

    pub(crate) fn root(&self) -> Id {
        0
    }

    pub(crate) fn element(&self, id: Id) -> &Element {
        &self.elements[id]
    }

    pub(crate) fn namespace(&self, id: Id) -> Option<&str> {
        self.elements[id].ns.map(|n| self.namespaces[n].as_str())
    }

    /// Child elements in namespace `ns`.
    pub(crate) fn children(&self, id: Id, ns: Option<usize>) -> impl Iterator<Item = Id> + '_ {
        self.elements[id]
            .children
            .iter()
            .copied()
            .filter(move |c| self.elements[*c].ns == ns)
    }

    /// Every child element, whatever its namespace.
    pub(crate) fn all_children(&self, id: Id) -> &[Id] {
        &self.elements[id].children
    }

    /// The unprefixed attributes, in document order.
    pub(crate) fn attrs(&self, id: Id) -> &[(String, String)] {
        &self.elements[id].attrs
    }

    /// The element's own text as written (CDATA and references resolved),
    /// not trimmed.
    pub(crate) fn raw_text(&self, id: Id) -> &str {
        &self.elements[id].text
    }

    /// 1-based line of an element's start tag.
    pub(crate) fn line(&self, id: Id) -> u64 {
        self.lines.line_column(self.elements[id].pos).0
    }

    /// The first child element named `name` in namespace `ns`.
    pub(crate) fn child(&self, id: Id, ns: Option<usize>, name: &str) -> Option<Id> {
        self.children(id, ns)
            .find(|c| self.elements[*c].name == name)
    }

    pub(crate) fn attr(&self, id: Id, name: &str) -> Option<&str> {
        self.elements[id]
            .attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The element's own text, trimmed.
    pub(crate) fn text(&self, id: Id) -> &str {
        self.elements[id].text.trim()
    }

    /// Line, column and path of an element.
    pub(crate) fn location(&self, id: Id) -> Location {
        let (line, column) = self.lines.line_column(self.elements[id].pos);
        let mut parts = Vec::new();
        let mut cur = Some(id);
        while let Some(c) = cur {
            let e = &self.elements[c];
            if e.multi {
                parts.push(format!("{}[{}]", e.name, e.nth));
            } else {
                parts.push(e.name.clone());
            }
            cur = e.parent;
        }
        parts.reverse();
        Location::Element {
            line,
            column,
            path: format!("/{}", parts.join("/")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_text_attributes_and_paths() {
        let doc = Doc::parse(
            "<?xml version=\"1.0\"?>\n<a xmlns=\"urn:x\" k=\"v&amp;w\" xmlns:f=\"urn:f\" f:k=\"no\">\n  <b>one &lt; two&#x21;</b>\n  <b><![CDATA[<raw>]]></b>\n  <f:c/>\n</a>",
            8,
        )
        .unwrap();
        let root = doc.root();
        assert_eq!(doc.namespace(root), Some("urn:x"));
        assert_eq!(doc.attr(root, "k"), Some("v&w"));
        assert_eq!(doc.attr(root, "f:k"), None);
        let ns = doc.element(root).ns;
        let bs: Vec<_> = doc.children(root, ns).collect();
        assert_eq!(bs.len(), 2);
        assert_eq!(doc.text(bs[0]), "one < two!");
        assert_eq!(doc.text(bs[1]), "<raw>");
        assert_eq!(
            doc.location(bs[1]),
            Location::Element {
                line: 4,
                column: 3,
                path: "/a/b[2]".into()
            }
        );
    }

    #[test]
    fn errors() {
        assert!(matches!(
            Doc::parse("<a><b></a>", 8),
            Err(SbomError::Syntax { .. })
        ));
        assert!(matches!(
            Doc::parse("<a><b>", 8),
            Err(SbomError::Syntax { .. })
        ));
        assert!(matches!(
            Doc::parse("<a>&xxe;</a>", 8),
            Err(SbomError::Syntax { .. })
        ));
        assert!(matches!(
            Doc::parse("<a><a><a/></a></a>", 2),
            Err(SbomError::TooDeep { limit: 2, .. })
        ));
        assert!(matches!(
            Doc::parse("<a/><b/>", 8),
            Err(SbomError::Syntax { .. })
        ));
    }
}
