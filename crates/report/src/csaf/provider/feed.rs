//! The listing files of a TLP folder: `index.txt`, `changes.csv` and the
//! ROLIE feed (requirements 12, 13 and 15).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{DocInfo, Tlp, format_time};

/// One document of a folder, as the listings name it.
pub(crate) struct Listed<'a> {
    /// `2024/example-sa-2024-001.json`, relative to the folder.
    pub path: &'a str,
    pub info: &'a DocInfo,
}

/// `index.txt`: every document's path, one a line, sorted.
pub(crate) fn index_txt(docs: &[Listed<'_>]) -> String {
    let mut paths: Vec<&str> = docs.iter().map(|d| d.path).collect();
    paths.sort_unstable();
    paths.iter().map(|p| format!("{p}\n")).collect()
}

/// `changes.csv`: `"path","time"` per document, newest first (then by
/// path, so that the file is stable).
pub(crate) fn changes_csv(docs: &[Listed<'_>]) -> String {
    let mut rows: Vec<(&DateTime<Utc>, &str)> =
        docs.iter().map(|d| (&d.info.current, d.path)).collect();
    rows.sort_by(|a, b| b.0.cmp(a.0).then(a.1.cmp(b.1)));
    rows.iter()
        .map(|(t, p)| format!("\"{}\",\"{}\"\n", p.replace('"', "\"\""), format_time(**t)))
        .collect()
}

/// One line of a `changes.csv` as read.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeLine {
    pub line: usize,
    pub path: String,
    pub time: Option<DateTime<Utc>>,
    /// The raw time text (kept for messages when it is no time).
    pub time_text: String,
    /// Whether the fields were quoted as the specification shows.
    pub quoted: bool,
}

/// Reads a `changes.csv`. Unquoted fields (CISA writes them so) are read
/// and marked; a line without two fields is an error naming the line.
pub fn parse_changes(text: &str) -> Result<Vec<ChangeLine>, String> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let raw = raw.trim();
        if raw.is_empty() {
            continue;
        }
        let fields = split_csv(raw).ok_or_else(|| format!("line {line}: unbalanced quotes"))?;
        let [path, time] = fields.as_slice() else {
            return Err(format!(
                "line {line}: expected \"path\",\"time\", found {} field(s)",
                fields.len()
            ));
        };
        let quoted = path.1 && time.1;
        out.push(ChangeLine {
            line,
            path: path.0.clone(),
            time: DateTime::parse_from_rfc3339(time.0.trim())
                .ok()
                .map(|t| t.with_timezone(&Utc)),
            time_text: time.0.clone(),
            quoted,
        });
    }
    Ok(out)
}

/// Splits one CSV line into (field, was quoted).
fn split_csv(line: &str) -> Option<Vec<(String, bool)>> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        let mut field = String::new();
        let quoted = chars.peek() == Some(&'"');
        if quoted {
            chars.next();
            loop {
                match chars.next()? {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    '"' => break,
                    c => field.push(c),
                }
            }
            while chars.peek().is_some_and(|c| *c != ',') {
                chars.next();
            }
        } else {
            while let Some(c) = chars.peek().copied() {
                if c == ',' {
                    break;
                }
                field.push(c);
                chars.next();
            }
        }
        fields.push((field, quoted));
        if chars.next().is_none() {
            return Some(fields);
        }
    }
}

/// What a feed needs beyond its documents.
pub(crate) struct FeedContext<'a> {
    pub tlp: Tlp,
    /// The folder's URL, ending in `/`.
    pub folder_url: &'a str,
    pub publisher_name: &'a str,
    pub signed: bool,
    pub now: DateTime<Utc>,
}

/// A ROLIE feed (RFC 8322, in the JSON form CSAF 2.0 section 7.1.15
/// shows) listing the folder's documents, newest first.
pub(crate) fn rolie_feed(ctx: &FeedContext<'_>, docs: &[Listed<'_>]) -> Value {
    let mut docs: Vec<&Listed> = docs.iter().collect();
    docs.sort_by(|a, b| b.info.current.cmp(&a.info.current).then(a.path.cmp(b.path)));
    let entries: Vec<Value> = docs
        .iter()
        .map(|d| {
            let url = format!("{}{}", ctx.folder_url, d.path);
            let mut links = vec![
                json!({"rel": "self", "href": url}),
                json!({"rel": "hash", "href": format!("{url}.sha256")}),
                json!({"rel": "hash", "href": format!("{url}.sha512")}),
            ];
            if ctx.signed {
                links.push(json!({"rel": "signature", "href": format!("{url}.asc")}));
            }
            json!({
                "id": d.info.tracking_id,
                "title": d.info.title,
                "link": links,
                "published": format_time(d.info.initial),
                "updated": format_time(d.info.current),
                "summary": {"content": d.info.title},
                "content": {"type": "application/json", "src": url},
                "format": {
                    "schema": "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json",
                    "version": "2.0"
                }
            })
        })
        .collect();
    let label = ctx.tlp.label();
    json!({
        "feed": {
            "id": format!("csaf-feed-tlp-{}", ctx.tlp.folder()),
            "title": format!("{} CSAF feed (TLP:{label})", ctx.publisher_name),
            "link": [{"rel": "self", "href": format!("{}{}", ctx.folder_url, ctx.tlp.feed_file())}],
            "category": [{"scheme": "urn:ietf:params:rolie:category:information-type", "term": "csaf"}],
            "updated": format_time(ctx.now),
            "entry": entries,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_and_unquoted_lines_are_read() {
        let lines = parse_changes(
            "\"2024/a.json\",\"2024-01-02T03:04:05Z\"\n2023/b.json,2023-01-01T00:00:00Z\n",
        )
        .unwrap();
        assert_eq!(lines[0].path, "2024/a.json");
        assert!(lines[0].quoted && lines[0].time.is_some());
        assert_eq!(lines[1].path, "2023/b.json");
        assert!(!lines[1].quoted && lines[1].time.is_some());
        let e = parse_changes("only-one-field\n").unwrap_err();
        assert!(e.starts_with("line 1:"), "{e}");
    }

    /// CISA's CSAF repository (cisagov/CSAF) writes `changes.csv` without
    /// quotes; every line must still read.
    #[test]
    fn cisas_unquoted_changes_csv_reads() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/vuln/cisa-csaf/csaf_files/OT/white/changes.csv");
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!("skipped: {} is absent", path.display());
            return;
        };
        let lines = parse_changes(&text).unwrap();
        assert_eq!(
            lines.len(),
            text.lines().filter(|l| !l.trim().is_empty()).count()
        );
        assert!(lines.iter().all(|l| !l.quoted && l.time.is_some()));
        assert!(lines.iter().all(|l| l.path.ends_with(".json")));
    }
}
