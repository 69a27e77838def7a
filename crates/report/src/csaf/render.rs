//! A CSAF document as a page a customer reads: Markdown or standalone
//! HTML. Reads any CSAF 2.0 document (not only Kensa's), tolerating
//! missing parts; text from the document is escaped for the output.

use std::collections::BTreeMap;

use serde_json::Value;

use super::doc::{self, items, text};

/// The page's blocks, built once and written as Markdown or HTML.
enum Block {
    Title(String),
    Heading(String),
    Para(String),
    /// Label: value lines.
    Facts(Vec<(String, String)>),
    Table(Vec<String>, Vec<Vec<String>>),
}

/// The document as Markdown.
pub fn markdown(doc: &Value) -> String {
    let mut out = String::new();
    for b in blocks(doc) {
        match b {
            Block::Title(t) => out.push_str(&format!("# {}\n\n", md(&t))),
            Block::Heading(t) => out.push_str(&format!("## {}\n\n", md(&t))),
            Block::Para(t) => out.push_str(&format!("{}\n\n", md(&t))),
            Block::Facts(f) => {
                for (k, v) in f {
                    out.push_str(&format!("- **{}:** {}\n", md(&k), md(&v)));
                }
                out.push('\n');
            }
            Block::Table(head, rows) => {
                let cell = |s: &String| md(s).replace('|', "\\|").replace('\n', " ");
                out.push_str(&format!(
                    "| {} |\n",
                    head.iter().map(cell).collect::<Vec<_>>().join(" | ")
                ));
                out.push_str(&format!("|{}\n", "---|".repeat(head.len())));
                for r in rows {
                    out.push_str(&format!(
                        "| {} |\n",
                        r.iter().map(cell).collect::<Vec<_>>().join(" | ")
                    ));
                }
                out.push('\n');
            }
        }
    }
    out
}

/// The document as one standalone HTML page.
pub fn html(doc: &Value) -> String {
    let title = text(&doc["document"], "title").unwrap_or("CSAF document");
    let lang = text(&doc["document"], "lang").unwrap_or("en");
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        esc(lang),
        esc(title)
    );
    for b in blocks(doc) {
        match b {
            Block::Title(t) => out.push_str(&format!("<h1>{}</h1>\n", esc(&t))),
            Block::Heading(t) => out.push_str(&format!("<h2>{}</h2>\n", esc(&t))),
            Block::Para(t) => out.push_str(&format!("<p>{}</p>\n", esc(&t).replace('\n', "<br>"))),
            Block::Facts(f) => {
                out.push_str("<dl>\n");
                for (k, v) in f {
                    out.push_str(&format!("<dt>{}</dt><dd>{}</dd>\n", esc(&k), esc(&v)));
                }
                out.push_str("</dl>\n");
            }
            Block::Table(head, rows) => {
                out.push_str("<table>\n<tr>");
                for h in head {
                    out.push_str(&format!("<th>{}</th>", esc(&h)));
                }
                out.push_str("</tr>\n");
                for r in rows {
                    out.push_str("<tr>");
                    for c in r {
                        out.push_str(&format!("<td>{}</td>", esc(&c)));
                    }
                    out.push_str("</tr>\n");
                }
                out.push_str("</table>\n");
            }
        }
    }
    out.push_str("</body>\n</html>\n");
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5}\
table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}\
dt{font-weight:bold}dd{margin:0 0 .5rem 0}";

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Markdown that shows the text as written: characters Markdown would
/// read as markup (or HTML) are escaped.
fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '!' | '|'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Product id → its full name, from every place the tree defines one.
fn product_names(doc: &Value) -> BTreeMap<String, String> {
    doc::full_products(doc)
        .into_iter()
        .filter_map(|p| {
            Some((
                text(p.value, "product_id")?.to_string(),
                text(p.value, "name")?.to_string(),
            ))
        })
        .collect()
}

const STATUSES: [(&str, &str); 8] = [
    ("known_affected", "Affected"),
    ("first_affected", "Affected (first version)"),
    ("last_affected", "Affected (last version)"),
    ("known_not_affected", "Not affected"),
    ("fixed", "Fixed"),
    ("first_fixed", "Fixed (first version)"),
    ("recommended", "Recommended"),
    ("under_investigation", "Under investigation"),
];

fn blocks(doc: &Value) -> Vec<Block> {
    let d = &doc["document"];
    let mut out = vec![Block::Title(
        text(d, "title").unwrap_or("CSAF document").to_string(),
    )];
    let t = &d["tracking"];
    let mut facts = vec![];
    let mut fact = |k: &str, v: Option<&str>| {
        if let Some(v) = v {
            facts.push((k.to_string(), v.to_string()));
        }
    };
    fact("Advisory", text(t, "id"));
    fact("Publisher", text(&d["publisher"], "name"));
    fact("Version", text(t, "version"));
    fact("Status", text(t, "status"));
    fact("First published", text(t, "initial_release_date"));
    fact("Last updated", text(t, "current_release_date"));
    fact("Severity", text(&d["aggregate_severity"], "text"));
    fact("Sharing (TLP)", text(&d["distribution"]["tlp"], "label"));
    fact("Contact", text(&d["publisher"], "contact_details"));
    out.push(Block::Facts(facts));
    for n in items(d, "notes") {
        if let Some(body) = text(n, "text") {
            out.push(Block::Heading(
                text(n, "title")
                    .or(text(n, "category"))
                    .unwrap_or("Note")
                    .to_string(),
            ));
            out.push(Block::Para(body.to_string()));
        }
    }
    let names = product_names(doc);
    let name = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_string());
    for v in items(doc, "vulnerabilities") {
        out.extend(vulnerability(v, &name));
    }
    let history: Vec<Vec<String>> = items(t, "revision_history")
        .iter()
        .map(|r| {
            ["number", "date", "summary"]
                .iter()
                .map(|k| text(r, k).unwrap_or("").to_string())
                .collect()
        })
        .collect();
    if !history.is_empty() {
        out.push(Block::Heading("Revision history".into()));
        out.push(Block::Table(
            vec!["Version".into(), "Date".into(), "Summary".into()],
            history,
        ));
    }
    let refs: Vec<Vec<String>> = items(d, "references")
        .iter()
        .map(|r| {
            vec![
                text(r, "summary").unwrap_or("").to_string(),
                text(r, "url").unwrap_or("").to_string(),
            ]
        })
        .collect();
    if !refs.is_empty() {
        out.push(Block::Heading("References".into()));
        out.push(Block::Table(vec!["Reference".into(), "URL".into()], refs));
    }
    out
}

fn vulnerability(v: &Value, name: &dyn Fn(&str) -> String) -> Vec<Block> {
    let id = text(v, "cve")
        .or_else(|| items(v, "ids").first().and_then(|i| text(i, "text")))
        .unwrap_or("Vulnerability");
    let heading = match text(v, "title") {
        Some(t) => format!("{id}: {t}"),
        None => id.to_string(),
    };
    let mut out = vec![Block::Heading(heading)];
    let mut facts = Vec::new();
    if let Some(cwe) = v.get("cwe") {
        facts.push((
            "Weakness".into(),
            format!(
                "{} {}",
                text(cwe, "id").unwrap_or(""),
                text(cwe, "name").unwrap_or("")
            )
            .trim()
            .to_string(),
        ));
    }
    for s in items(v, "scores") {
        for key in ["cvss_v3", "cvss_v2"] {
            if let Some(c) = s.get(key) {
                let score = c
                    .get("baseScore")
                    .and_then(Value::as_f64)
                    .map_or(String::new(), |b| format!("{b:.1}"));
                let sev = text(c, "baseSeverity").unwrap_or("");
                facts.push((
                    format!("CVSS {}", text(c, "version").unwrap_or("")),
                    format!("{score} {sev} ({})", text(c, "vectorString").unwrap_or(""))
                        .replace("  ", " "),
                ));
            }
        }
    }
    for t in items(v, "threats") {
        if let Some(details) = text(t, "details") {
            let label = match text(t, "category") {
                Some("exploit_status") => "Exploitation",
                Some("impact") => "Impact",
                _ => "Target",
            };
            facts.push((label.into(), details.to_string()));
        }
    }
    if !facts.is_empty() {
        out.push(Block::Facts(facts));
    }
    for n in items(v, "notes") {
        if let Some(body) = text(n, "text") {
            out.push(Block::Para(body.to_string()));
        }
    }
    let mut rows = Vec::new();
    for (key, label) in STATUSES {
        for p in items(&v["product_status"], key)
            .iter()
            .filter_map(Value::as_str)
        {
            rows.push(vec![name(p), label.to_string()]);
        }
    }
    if !rows.is_empty() {
        out.push(Block::Table(vec!["Product".into(), "Status".into()], rows));
    }
    let remediations: Vec<Vec<String>> = items(v, "remediations")
        .iter()
        .map(|r| {
            let what = text(r, "category").unwrap_or("").replace('_', " ");
            let mut details = text(r, "details").unwrap_or("").to_string();
            if let Some(url) = text(r, "url") {
                details.push_str(&format!(" ({url})"));
            }
            let products: Vec<String> = items(r, "product_ids")
                .iter()
                .filter_map(Value::as_str)
                .map(name)
                .collect();
            vec![what, details, products.join(", ")]
        })
        .collect();
    if !remediations.is_empty() {
        out.push(Block::Table(
            vec!["Remediation".into(), "Details".into(), "Products".into()],
            remediations,
        ));
    }
    out
}
