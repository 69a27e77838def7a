//! The tests about the document's version and revision history: 6.1.14,
//! 6.1.16 to 6.1.22, 6.1.30 (mandatory) and 6.2.4 to 6.2.6 (optional).

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::doc::{self, text};
use super::version::DocVersion;
use super::{Finding, Group, finding};

/// An RFC 3339 timestamp as an instant (time zones taken into account).
pub fn instant(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// One revision history item.
struct Item {
    index: usize,
    date: Option<DateTime<Utc>>,
    raw: String,
    number: Option<DocVersion>,
}

fn history(doc: &Value) -> Vec<Item> {
    doc.pointer("/document/tracking/revision_history")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .enumerate()
                .map(|(index, r)| {
                    let raw = text(r, "number").unwrap_or("").to_string();
                    Item {
                        index,
                        date: text(r, "date").and_then(instant),
                        number: DocVersion::parse(&raw),
                        raw,
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Sorted ascending by date, then by number.
fn sorted(items: &[Item]) -> Vec<&Item> {
    let mut v: Vec<&Item> = items.iter().collect();
    v.sort_by(|a, b| {
        a.date
            .cmp(&b.date)
            .then_with(|| match (&a.number, &b.number) {
                (Some(x), Some(y)) => x.precedence(y),
                _ => Ordering::Equal,
            })
    });
    v
}

const HISTORY: &str = "/document/tracking/revision_history";

fn fail(test: &str, path: impl Into<String>, message: impl Into<String>) -> Finding {
    finding(test, Group::Mandatory, path, message)
}

pub fn mandatory(doc: &Value, out: &mut Vec<Finding>) {
    let items = history(doc);
    let status = doc::at(doc, "/document/tracking/status").unwrap_or("");
    let released = matches!(status, "final" | "interim");
    let version_raw = doc::at(doc, "/document/tracking/version");
    let version = version_raw.and_then(DocVersion::parse);
    let by_date = sorted(&items);

    // 6.1.14: numbers ascend when the items are sorted by date.
    // Items of the same date may be in either order (sorted by number).
    for w in by_date.windows(2) {
        if let (Some(a), Some(b)) = (&w[0].number, &w[1].number)
            && a.precedence(b) == Ordering::Greater
        {
            out.push(fail(
                "6.1.14",
                format!("{HISTORY}/{}", w[1].index),
                format!(
                    "revision {} is dated after revision {} but numbered before it",
                    w[1].raw, w[0].raw
                ),
            ));
        }
    }

    // 6.1.16: the version is the number of the latest revision.
    if let (Some(v), Some(last)) = (&version, by_date.last())
        && let Some(n) = &last.number
    {
        let draft = status == "draft";
        if v.trimmed(draft).precedence(&n.trimmed(draft)) != Ordering::Equal
            || v.trimmed(draft) != n.trimmed(draft)
        {
            out.push(fail(
                "6.1.16",
                "/document/tracking/version",
                format!(
                    "the version is {v}, but the latest revision is {}",
                    last.raw
                ),
            ));
        }
    }

    if let Some(v) = &version {
        // 6.1.17: 0, 0.y.z and pre-releases are drafts.
        if (v.is_zero() || v.pre().is_some()) && status != "draft" {
            out.push(fail(
                "6.1.17",
                "/document/tracking/status",
                format!("version {v} is a draft version, but the status is {status}"),
            ));
        }
        // 6.1.20: released documents have no pre-release version.
        if released && let Some(pre) = v.pre() {
            out.push(fail(
                "6.1.20",
                "/document/tracking/version",
                format!("the status is {status}, but the version has the pre-release part -{pre}"),
            ));
        }
    }

    for it in &items {
        let Some(n) = &it.number else { continue };
        // 6.1.18: released documents have no revision 0 or 0.y.z.
        if released && n.is_zero() {
            out.push(fail(
                "6.1.18",
                format!("{HISTORY}/{}/number", it.index),
                format!(
                    "the status is {status}, but revision {} is a pre-release number",
                    it.raw
                ),
            ));
        }
        // 6.1.19: no revision is a pre-release.
        if let Some(pre) = n.pre() {
            out.push(fail(
                "6.1.19",
                format!("{HISTORY}/{}/number", it.index),
                format!("revision {} has the pre-release part -{pre}", it.raw),
            ));
        }
    }

    // 6.1.21: no number (major version) is skipped, and the first is 0 or 1.
    if let Some(first) = by_date.first().and_then(|i| i.number.as_ref())
        && first.major() > 1
    {
        out.push(fail(
            "6.1.21",
            format!("{HISTORY}/{}", by_date[0].index),
            format!("the first revision is {}, not 0 or 1", by_date[0].raw),
        ));
    }
    for w in by_date.windows(2) {
        if let (Some(a), Some(b)) = (&w[0].number, &w[1].number)
            && b.major() > a.major() + 1
        {
            out.push(fail(
                "6.1.21",
                format!("{HISTORY}/{}", w[1].index),
                format!(
                    "revision {} follows {}: the revisions in between are missing",
                    w[1].raw, w[0].raw
                ),
            ));
        }
    }

    // 6.1.22: no number twice.
    for (i, it) in items.iter().enumerate() {
        if items[..i].iter().any(|o| o.raw == it.raw) {
            out.push(fail(
                "6.1.22",
                format!("{HISTORY}/{}/number", it.index),
                format!("revision {} is in the history more than once", it.raw),
            ));
        }
    }

    // 6.1.30: integer or semantic versioning, not both.
    let mut schemes: Vec<(String, bool)> = items
        .iter()
        .filter_map(|i| {
            i.number
                .as_ref()
                .map(|n| (format!("{HISTORY}/{}/number", i.index), n.is_integer()))
        })
        .collect();
    if let Some(v) = &version {
        schemes.push(("/document/tracking/version".into(), v.is_integer()));
    }
    if let Some((_, first)) = schemes.first() {
        let first = *first;
        if let Some((path, _)) = schemes.iter().find(|(_, s)| *s != first) {
            out.push(fail(
                "6.1.30",
                path.clone(),
                "integer and semantic versioning are mixed in one document",
            ));
        }
    }
}

pub fn optional(doc: &Value, out: &mut Vec<Finding>) {
    let items = history(doc);
    for it in &items {
        if let Some(b) = it.number.as_ref().and_then(DocVersion::build) {
            out.push(finding(
                "6.2.4",
                Group::Optional,
                format!("{HISTORY}/{}/number", it.index),
                format!("revision {} carries the build metadata +{b}", it.raw),
            ));
        }
    }
    let dates: Vec<DateTime<Utc>> = items.iter().filter_map(|i| i.date).collect();
    if let (Some(initial), Some(oldest)) = (
        doc::at(doc, "/document/tracking/initial_release_date").and_then(instant),
        dates.iter().min(),
    ) && initial < *oldest
    {
        out.push(finding(
            "6.2.5",
            Group::Optional,
            "/document/tracking/initial_release_date",
            format!(
                "the initial release date is before the oldest revision ({})",
                oldest.to_rfc3339()
            ),
        ));
    }
    if let (Some(current), Some(newest)) = (
        doc::at(doc, "/document/tracking/current_release_date").and_then(instant),
        dates.iter().max(),
    ) && current < *newest
    {
        out.push(finding(
            "6.2.6",
            Group::Optional,
            "/document/tracking/current_release_date",
            format!(
                "the current release date is before the newest revision ({})",
                newest.to_rfc3339()
            ),
        ));
    }
}
