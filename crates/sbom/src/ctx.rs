//! State shared by the readers: options, warnings, the component count, and
//! the assembly of flattened components (bom-ref synthesis, parents).

use std::collections::HashMap;

use kensa_model::sbom::Component;

use crate::ParseOptions;
use crate::error::{Location, SbomError};

/// At most this many warnings are kept; the rest are counted.
const MAX_WARNINGS: usize = 1000;

pub(crate) struct Ctx<'o> {
    pub(crate) opts: &'o ParseOptions,
    warnings: Vec<String>,
    suppressed: usize,
    components: usize,
}

impl<'o> Ctx<'o> {
    pub(crate) fn new(opts: &'o ParseOptions) -> Self {
        Ctx {
            opts,
            warnings: Vec::new(),
            suppressed: 0,
            components: 0,
        }
    }

    /// A deviation from the specification: an error in strict mode, a
    /// warning otherwise.
    pub(crate) fn deviation(
        &mut self,
        at: Location,
        message: impl Into<String>,
    ) -> Result<(), SbomError> {
        let message = message.into();
        if self.opts.strict {
            Err(SbomError::Invalid {
                at,
                message: strict_wording(message),
            })
        } else {
            self.note(at, message);
            Ok(())
        }
    }

    /// A warning in both modes (something the reader did that the caller
    /// should know about, not a deviation from the specification).
    pub(crate) fn note(&mut self, at: Location, message: impl AsRef<str>) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(format!("{at}: {}", message.as_ref()));
        } else {
            self.suppressed += 1;
        }
    }

    /// An unknown specification version: an error in strict mode, a warning
    /// (and best effort) otherwise.
    pub(crate) fn unknown_version(
        &mut self,
        at: Location,
        format: &'static str,
        version: &str,
        known: &str,
    ) -> Result<(), SbomError> {
        if self.opts.strict {
            return Err(SbomError::UnsupportedVersion {
                at,
                format,
                version: version.to_string(),
                detail: format!("known versions are {known}"),
            });
        }
        self.note(
            at,
            format!("unknown {format} version `{version}` (known: {known}); read as best effort"),
        );
        Ok(())
    }

    /// Counts one more component; fails past the limit.
    pub(crate) fn count_component(
        &mut self,
        at: impl FnOnce() -> Location,
    ) -> Result<(), SbomError> {
        self.components += 1;
        if self.components > self.opts.max_components {
            return Err(SbomError::TooManyComponents {
                at: at(),
                limit: self.opts.max_components,
            });
        }
        Ok(())
    }

    pub(crate) fn into_warnings(mut self) -> Vec<String> {
        if self.suppressed > 0 {
            self.warnings
                .push(format!("{} further warnings not shown", self.suppressed));
        }
        self.warnings
    }
}

/// A deviation's message as an error: the lenient reader's "…; ignored"
/// (what it did instead) is not what strict mode does.
fn strict_wording(message: String) -> String {
    match message.rsplit_once("; ") {
        Some((head, tail)) if tail.ends_with("ignored") || tail.ends_with("best effort") => {
            head.to_string()
        }
        _ => message,
    }
}

/// One component as read, before bom-refs are settled.
pub(crate) struct Node {
    pub(crate) component: Component,
    /// Index of the node this one is nested in.
    pub(crate) parent: Option<usize>,
    pub(crate) at: Location,
}

/// Flattened components of a document in document order, plus the subject.
#[derive(Default)]
pub(crate) struct Assembly {
    pub(crate) nodes: Vec<Node>,
    pub(crate) subject: Option<usize>,
}

impl Assembly {
    pub(crate) fn push(&mut self, node: Node) -> usize {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    /// The BOM's supplier and manufacturer are those of its subject, unless
    /// the subject names its own.
    pub(crate) fn inherit_parties(
        &mut self,
        supplier: Option<String>,
        manufacturer: Option<String>,
    ) {
        if let Some(s) = self.subject {
            let c = &mut self.nodes[s].component;
            if c.supplier.is_none() {
                c.supplier = supplier;
            }
            if c.manufacturer.is_none() {
                c.manufacturer = manufacturer;
            }
        }
    }

    /// Settles bom-refs and parents. A component without a bom-ref gets
    /// `component-N`, N being its index in the returned components (the
    /// subject gets `metadata-component`), made unique against the document's
    /// own refs; each synthesis is noted in the warnings. A bom-ref used
    /// twice is a deviation (the specification requires uniqueness).
    pub(crate) fn finish(
        self,
        ctx: &mut Ctx<'_>,
    ) -> Result<(Option<Component>, Vec<Component>), SbomError> {
        let Assembly { mut nodes, subject } = self;
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (i, node) in nodes.iter().enumerate() {
            let r = &node.component.bom_ref;
            if r.is_empty() {
                continue;
            }
            if let Some(first) = seen.get(r) {
                let msg = format!(
                    "bom-ref `{r}` is not unique (also used at {})",
                    nodes[*first].at
                );
                ctx.deviation(node.at.clone(), msg)?;
            } else {
                seen.insert(r.clone(), i);
            }
        }
        // Output index of each node (the subject is not in the output list).
        let mut index = 0usize;
        for (i, node) in nodes.iter_mut().enumerate() {
            if node.component.bom_ref.is_empty() {
                let base = if Some(i) == subject {
                    "metadata-component".to_string()
                } else {
                    format!("component-{index}")
                };
                let mut name = base.clone();
                let mut k = 1;
                while seen.contains_key(&name) {
                    name = format!("{base}-{k}");
                    k += 1;
                }
                ctx.note(node.at.clone(), format!("no bom-ref; synthesised `{name}`"));
                seen.insert(name.clone(), i);
                node.component.bom_ref = name;
            }
            if Some(i) != subject {
                index += 1;
            }
        }
        let refs: Vec<String> = nodes.iter().map(|n| n.component.bom_ref.clone()).collect();
        let mut subject_component = None;
        let mut components = Vec::with_capacity(nodes.len());
        for (i, node) in nodes.into_iter().enumerate() {
            let mut c = node.component;
            c.parent = node.parent.map(|p| refs[p].clone());
            if Some(i) == subject {
                subject_component = Some(c);
            } else {
                components.push(c);
            }
        }
        Ok((subject_component, components))
    }
}
