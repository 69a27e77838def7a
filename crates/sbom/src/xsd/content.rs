//! Element content models (`xs:sequence`, `xs:choice`, `xs:any` with their
//! occurrence bounds) compiled to a nondeterministic automaton over child
//! elements (Thompson's construction), which a validator runs on a
//! document's children. An automaton rather than greedy matching, so that
//! nested optional groups never need backtracking.

use super::model::{ElementDecl, Wildcard};

/// `maxOccurs`; `None` is `unbounded`.
pub(super) type Max = Option<usize>;

/// Bounded repetitions are unrolled; the schemas use 0, 1 and unbounded.
pub(super) const MAX_UNROLLED: usize = 64;

#[derive(Clone)]
pub(super) enum Particle {
    Element(ElementDecl, usize, Max),
    Any(Wildcard, usize, Max),
    Sequence(Vec<Particle>, usize, Max),
    Choice(Vec<Particle>, usize, Max),
}

#[derive(Clone, Copy)]
enum Term {
    /// Index into [`ContentModel::elements`].
    Element(usize),
    /// Index into [`ContentModel::wildcards`].
    Any(usize),
}

#[derive(Default)]
struct State {
    epsilon: Vec<usize>,
    edges: Vec<(Term, usize)>,
}

pub(super) struct ContentModel {
    states: Vec<State>,
    start: usize,
    accept: usize,
    pub(super) elements: Vec<ElementDecl>,
    pub(super) wildcards: Vec<Wildcard>,
}

/// A child as the automaton sees it.
pub(super) struct Child<'a> {
    pub(super) ns: Option<&'a str>,
    pub(super) name: &'a str,
}

/// Where a run of the automaton went wrong.
pub(super) enum Mismatch {
    /// Child `index` is not allowed after the ones before it.
    Unexpected { index: usize, expected: Vec<String> },
    /// The children end where more are required.
    Incomplete { expected: Vec<String> },
}

impl ContentModel {
    pub(super) fn new(p: Particle) -> ContentModel {
        let mut m = ContentModel {
            states: vec![State::default()],
            start: 0,
            accept: 0,
            elements: Vec::new(),
            wildcards: Vec::new(),
        };
        m.accept = m.particle(p, 0);
        m
    }

    fn state(&mut self) -> usize {
        self.states.push(State::default());
        self.states.len() - 1
    }

    fn epsilon(&mut self, from: usize, to: usize) {
        self.states[from].epsilon.push(to);
    }

    /// Adds `p` starting at state `from`; returns its end state.
    fn particle(&mut self, p: Particle, from: usize) -> usize {
        let (min, max) = match &p {
            Particle::Element(_, min, max)
            | Particle::Any(_, min, max)
            | Particle::Sequence(_, min, max)
            | Particle::Choice(_, min, max) => (*min, *max),
        };
        let term = match &p {
            Particle::Element(decl, ..) => {
                self.elements.push(decl.clone());
                Some(Term::Element(self.elements.len() - 1))
            }
            Particle::Any(w, ..) => {
                self.wildcards.push(w.clone());
                Some(Term::Any(self.wildcards.len() - 1))
            }
            _ => None,
        };
        let body = Body { term, group: p };
        let mut cur = from;
        for _ in 0..min {
            cur = self.once(&body, cur);
        }
        match max {
            None => {
                let hub = self.state();
                self.epsilon(cur, hub);
                let end = self.once(&body, hub);
                self.epsilon(end, hub);
                hub
            }
            Some(max) => {
                for _ in min..max {
                    let end = self.state();
                    let next = self.once(&body, cur);
                    self.epsilon(cur, end);
                    self.epsilon(next, end);
                    cur = end;
                }
                cur
            }
        }
    }

    /// One occurrence of a particle's body.
    fn once(&mut self, body: &Body, from: usize) -> usize {
        if let Some(term) = body.term {
            let to = self.state();
            self.states[from].edges.push((term, to));
            return to;
        }
        match &body.group {
            Particle::Sequence(items, ..) => {
                let mut cur = from;
                for item in items {
                    cur = self.particle(item.clone(), cur);
                }
                cur
            }
            Particle::Choice(items, ..) => {
                let end = self.state();
                for item in items {
                    let start = self.state();
                    self.epsilon(from, start);
                    let e = self.particle(item.clone(), start);
                    self.epsilon(e, end);
                }
                end
            }
            Particle::Element(..) | Particle::Any(..) => from,
        }
    }

    fn closure(&self, set: &mut Vec<usize>, seen: &mut [bool]) {
        let mut i = 0;
        while i < set.len() {
            for &n in &self.states[set[i]].epsilon {
                if !seen[n] {
                    seen[n] = true;
                    set.push(n);
                }
            }
            i += 1;
        }
    }

    fn matches(&self, term: Term, child: &Child<'_>) -> bool {
        match term {
            Term::Element(i) => {
                let d = &self.elements[i];
                d.name == child.name && d.ns == child.ns.unwrap_or("")
            }
            Term::Any(i) => self.wildcards[i].allows(child.ns),
        }
    }

    /// What may come next from `set`, for a message.
    fn expected(&self, set: &[usize]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for &s in set {
            for (term, _) in &self.states[s].edges {
                let what = match term {
                    Term::Element(i) => format!("`{}`", self.elements[*i].name),
                    Term::Any(_) => "an element of another namespace".to_string(),
                };
                if !out.contains(&what) {
                    out.push(what);
                }
            }
        }
        out
    }

    /// Runs the automaton over `children`.
    pub(super) fn run(&self, children: &[Child<'_>]) -> Result<(), Mismatch> {
        let mut seen = vec![false; self.states.len()];
        let mut set = vec![self.start];
        seen[self.start] = true;
        self.closure(&mut set, &mut seen);
        for (index, child) in children.iter().enumerate() {
            seen.iter_mut().for_each(|s| *s = false);
            let mut next = Vec::new();
            for &s in &set {
                for &(term, to) in &self.states[s].edges {
                    if !seen[to] && self.matches(term, child) {
                        seen[to] = true;
                        next.push(to);
                    }
                }
            }
            if next.is_empty() {
                return Err(Mismatch::Unexpected {
                    index,
                    expected: self.expected(&set),
                });
            }
            self.closure(&mut next, &mut seen);
            set = next;
        }
        if set.contains(&self.accept) {
            Ok(())
        } else {
            Err(Mismatch::Incomplete {
                expected: self.expected(&set),
            })
        }
    }

    /// The declaration that governs a child: by name, which the schema rule
    /// "Element Declarations Consistent" makes unambiguous.
    pub(super) fn element(&self, ns: Option<&str>, name: &str) -> Option<&ElementDecl> {
        self.elements
            .iter()
            .find(|d| d.name == name && d.ns == ns.unwrap_or(""))
    }

    /// Whether a wildcard of this model admits an element of `ns`, and if
    /// so, whether it is `skip`.
    pub(super) fn wildcard(&self, ns: Option<&str>) -> Option<&Wildcard> {
        self.wildcards.iter().find(|w| w.allows(ns))
    }
}

/// A particle's body: its term if it is an element or wildcard, else the
/// group whose items are unrolled.
struct Body {
    term: Option<Term>,
    group: Particle,
}
