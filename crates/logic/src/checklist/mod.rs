//! Checklists: the condition tree as ordered questions for people, grouped
//! the way the tree combines them, each with a hint on how to check it.
//!
//! [`build`] makes a language-specific [`Checklist`]; [`markdown`] and
//! [`html`] render it, and it serialises as JSON for other tools.

mod text;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::auto::AutoAnswer;

pub use text::Lang;

use crate::conditions::{Condition, ConditionClass, ConditionKind, Conditions, GroupOp, Node};

#[derive(Debug, Clone, Serialize)]
pub struct Checklist {
    pub vulnerability: String,
    pub lang: Lang,
    pub title: String,
    pub intro: String,
    /// None when the tree has no conditions; `empty_note` says so.
    pub root: Option<Section>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub empty_note: Option<String>,
    /// The condition ids in question order, for the answers template.
    pub ids: Vec<String>,
}

/// A group of the tree: its heading and its entries.
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    /// Empty for the root, `3` or `3.2` for nested groups.
    pub number: String,
    pub op: GroupOp,
    pub heading: String,
    pub entries: Vec<Entry>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Entry {
    Question(Question),
    Group(Section),
}

#[derive(Debug, Clone, Serialize)]
pub struct Question {
    pub number: String,
    pub id: String,
    pub kind: ConditionKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<ConditionClass>,
    pub kind_label: String,
    pub question: String,
    /// The condition as a statement.
    pub condition: String,
    pub hint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// What the product's data answers (issue #17), a proposal a person
    /// can overturn.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto: Option<AutoAnswer>,
}

/// The checklist of a tree in one language.
pub fn build(tree: &Conditions, lang: Lang) -> Checklist {
    let ids: Vec<String> = tree.conditions().iter().map(|c| c.id.clone()).collect();
    let root = match &tree.logic {
        _ if ids.is_empty() => None,
        Node::Group(g) => Some(section(lang, "", g.op, &g.children, true)),
        // A lone condition is a one-item "all".
        single @ Node::Condition(_) => Some(section(
            lang,
            "",
            GroupOp::All,
            std::slice::from_ref(single),
            true,
        )),
    };
    Checklist {
        vulnerability: tree.vulnerability.clone(),
        lang,
        title: text::title(lang, &tree.vulnerability),
        intro: text::intro(lang).to_string(),
        empty_note: root
            .is_none()
            .then(|| text::no_conditions(lang).to_string()),
        root,
        ids,
    }
}

fn section(lang: Lang, number: &str, op: GroupOp, children: &[Node], root: bool) -> Section {
    let entries = children
        .iter()
        .enumerate()
        .map(|(i, child)| {
            let n = if number.is_empty() {
                format!("{}", i + 1)
            } else {
                format!("{number}.{}", i + 1)
            };
            match child {
                Node::Condition(c) => Entry::Question(question(lang, n, c)),
                Node::Group(g) => Entry::Group(section(lang, &n, g.op, &g.children, false)),
            }
        })
        .collect();
    Section {
        number: number.to_string(),
        op,
        heading: text::group_heading(lang, op, root).to_string(),
        entries,
    }
}

fn question(lang: Lang, number: String, c: &Condition) -> Question {
    let q = match lang {
        Lang::En => c.question.clone(),
        Lang::Ja => c
            .question_ja
            .clone()
            .filter(|q| !q.trim().is_empty())
            .unwrap_or_else(|| text::ja_question_lead(c.kind).to_string()),
    };
    Question {
        number,
        id: c.id.clone(),
        kind: c.kind,
        class: c.class,
        kind_label: text::kind_label(lang, c.kind).to_string(),
        question: q,
        condition: c.text.clone(),
        hint: c
            .class
            .map_or_else(
                || text::hint(lang, c.kind),
                |class| text::class_hint(lang, class),
            )
            .to_string(),
        evidence: c.evidence.clone(),
        auto: None,
    }
}

/// Puts each automatic answer on its question entry.
pub fn attach_auto(list: &mut Checklist, auto: &BTreeMap<String, AutoAnswer>) {
    fn walk(s: &mut Section, auto: &BTreeMap<String, AutoAnswer>) {
        for e in &mut s.entries {
            match e {
                Entry::Question(q) => q.auto = auto.get(&q.id).cloned(),
                Entry::Group(g) => walk(g, auto),
            }
        }
    }
    if let Some(root) = &mut list.root {
        walk(root, auto);
    }
}

/// Markdown, with an answers-file skeleton at the end.
pub fn markdown(list: &Checklist) -> String {
    let labels = text::labels(list.lang);
    let mut o = format!("# {}\n\n{}\n\n", list.title, list.intro);
    match &list.root {
        None => o.push_str(&format!("{}\n", list.empty_note.as_deref().unwrap_or(""))),
        Some(root) => markdown_section(&mut o, root, &labels, 2),
    }
    o.push_str(&format!(
        "\n## {}\n\n```yaml\n{}```\n",
        labels.answers_template,
        answers_skeleton(list)
    ));
    o
}

fn markdown_section(o: &mut String, s: &Section, labels: &text::Labels, depth: usize) {
    let hashes = "#".repeat(depth.min(6));
    if s.number.is_empty() {
        o.push_str(&format!("{hashes} {}\n\n", s.heading));
    } else {
        o.push_str(&format!("{hashes} {}. {}\n\n", s.number, s.heading));
    }
    for e in &s.entries {
        match e {
            Entry::Group(g) => markdown_section(o, g, labels, depth + 1),
            Entry::Question(q) => {
                o.push_str(&format!(
                    "{} {}. {} `{}` ({})\n\n",
                    "#".repeat((depth + 1).min(6)),
                    q.number,
                    q.question,
                    q.id,
                    q.kind_label
                ));
                o.push_str(&format!("- **{}**: {}\n", labels.condition, q.condition));
                o.push_str(&format!("- **{}**: {}\n", labels.how_to_check, q.hint));
                if let Some(ev) = &q.evidence {
                    o.push_str(&format!("- **{}**: \"{}\"\n", labels.source, ev));
                }
                if let Some(a) = &q.auto {
                    o.push_str(&format!(
                        "- **{}**: {} ({}): {}\n",
                        labels.automatic,
                        a.answer,
                        a.source.as_str(),
                        a.evidence
                    ));
                }
                o.push_str(&format!("- {}\n\n", labels.answer));
            }
        }
    }
}

/// `answers:` with every id set to `unknown`, to fill in.
fn answers_skeleton(list: &Checklist) -> String {
    let mut o = format!("vulnerability: {}\nanswers:\n", list.vulnerability);
    if list.ids.is_empty() {
        o = format!("vulnerability: {}\nanswers: {{}}\n", list.vulnerability);
    }
    for id in &list.ids {
        let plain = id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        let id = if plain {
            id.clone()
        } else {
            serde_json::to_string(id).unwrap_or_default()
        };
        o.push_str(&format!(
            "  {id}:\n    answer: unknown\n    note: \"\"\n    evidence: \"\"\n"
        ));
    }
    o
}

/// A self-contained HTML page.
pub fn html(list: &Checklist) -> String {
    let labels = text::labels(list.lang);
    let mut o = format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n\
<style>body{{font-family:sans-serif;max-width:50em;margin:2em auto;line-height:1.5}}\
section.group{{border-left:3px solid #888;padding-left:1em;margin:1em 0}}\
.q{{margin:1em 0}} .hint{{color:#444}} code{{background:#eee;padding:0 .2em}}</style>\n\
</head>\n<body>\n<h1>{}</h1>\n<p>{}</p>\n",
        list.lang.code(),
        escape(&list.title),
        escape(&list.title),
        escape(&list.intro)
    );
    match &list.root {
        None => o.push_str(&format!(
            "<p>{}</p>\n",
            escape(list.empty_note.as_deref().unwrap_or(""))
        )),
        Some(root) => html_section(&mut o, root, &labels),
    }
    o.push_str(&format!(
        "<h2>{}</h2>\n<pre>{}</pre>\n</body>\n</html>\n",
        code_spans(&escape(labels.answers_template)),
        escape(&answers_skeleton(list))
    ));
    o
}

fn html_section(o: &mut String, s: &Section, labels: &text::Labels) {
    let heading = if s.number.is_empty() {
        escape(&s.heading)
    } else {
        format!("{}. {}", escape(&s.number), escape(&s.heading))
    };
    o.push_str(&format!(
        "<section class=\"group {}\">\n<h2>{heading}</h2>\n",
        match s.op {
            GroupOp::All => "all",
            GroupOp::Any => "any",
        }
    ));
    for e in &s.entries {
        match e {
            Entry::Group(g) => html_section(o, g, labels),
            Entry::Question(q) => {
                o.push_str(&format!(
                    "<div class=\"q\" id=\"{}\">\n<h3>{}. {} <code>{}</code> ({})</h3>\n<ul>\n",
                    escape(&q.id),
                    escape(&q.number),
                    escape(&q.question),
                    escape(&q.id),
                    escape(&q.kind_label)
                ));
                o.push_str(&format!(
                    "<li><strong>{}</strong>: {}</li>\n",
                    escape(labels.condition),
                    escape(&q.condition)
                ));
                o.push_str(&format!(
                    "<li class=\"hint\"><strong>{}</strong>: {}</li>\n",
                    escape(labels.how_to_check),
                    code_spans(&escape(&q.hint))
                ));
                if let Some(ev) = &q.evidence {
                    o.push_str(&format!(
                        "<li><strong>{}</strong>: <q>{}</q></li>\n",
                        escape(labels.source),
                        escape(ev)
                    ));
                }
                o.push_str(&format!(
                    "<li>{}</li>\n</ul>\n</div>\n",
                    escape(labels.answer)
                ));
            }
        }
    }
    o.push_str("</section>\n");
}

/// The hints mark commands with Markdown backticks; in HTML they become
/// `<code>` (the text is escaped already, and backticks survive escaping).
fn code_spans(escaped: &str) -> String {
    let parts: Vec<&str> = escaped.split('`').collect();
    if parts.len().is_multiple_of(2) {
        return escaped.to_string();
    }
    let mut o = String::with_capacity(escaped.len() + 16);
    for (i, p) in parts.iter().enumerate() {
        if i % 2 == 1 {
            o.push_str("<code>");
            o.push_str(p);
            o.push_str("</code>");
        } else {
            o.push_str(p);
        }
    }
    o
}

fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}
