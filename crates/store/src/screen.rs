//! Version screens: for each CPE vendor/product a record names, the version
//! constraints of its vulnerable criteria for that product, kept beside the
//! `cpe_index` key.
//!
//! A scan looks up a product's records and asks each whether it covers the
//! component's version. Most do not (a random release of a product is hit by
//! about one record in four), and deciding that from the record body meant
//! decompressing and parsing every configuration of every record: most of a
//! 10,000-component scan. The screen answers "can any criterion cover this
//! version?" from a few bytes; only records that pass are read and
//! evaluated in full, so the screen may let through more than the full
//! evaluation accepts, never less.
//!
//! Encoding of one key's screen (a blob; NULL when the record must always
//! be read, for example when CVE 5 `affected` entries decide instead of
//! configurations): per criterion a flags byte, then length-prefixed (u8)
//! strings: the CPE version field, and the update field and each bound the
//! flags announce. An empty blob: no vulnerable criterion names the product
//! (it is only a platform), so the record never covers it.

use std::borrow::Cow;
use std::collections::BTreeMap;

use kensa_model::VulnRecord;

use crate::write::CpeKey;

const UPDATE: u8 = 1;
const START_INCLUDING: u8 = 1 << 1;
const START_EXCLUDING: u8 = 1 << 2;
const END_INCLUDING: u8 = 1 << 3;
const END_EXCLUDING: u8 = 1 << 4;

/// One vulnerable criterion's version constraint, borrowed from a screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScreenCriterion<'a> {
    /// The CPE version field as written (`*`, `-`, `1\.0`, `2.4.1`).
    pub version: &'a str,
    /// The CPE update field; `*` when the criterion leaves it open.
    pub update: &'a str,
    pub start_including: Option<&'a str>,
    pub start_excluding: Option<&'a str>,
    pub end_including: Option<&'a str>,
    pub end_excluding: Option<&'a str>,
}

/// A stored screen, read lazily.
#[derive(Debug, Clone, Copy)]
pub struct Screen<'a>(&'a [u8]);

impl<'a> Screen<'a> {
    /// The criteria, in record order. A damaged blob ends the iteration
    /// with `Err`, and the caller reads the record instead.
    pub fn criteria(&self) -> impl Iterator<Item = Result<ScreenCriterion<'a>, ()>> + 'a {
        let mut rest = self.0;
        std::iter::from_fn(move || {
            if rest.is_empty() {
                return None;
            }
            let parsed = next_criterion(&mut rest);
            if parsed.is_err() {
                rest = &[];
            }
            Some(parsed)
        })
    }

    /// True when `covers` accepts some criterion, or the screen cannot be
    /// read (the caller then reads the record: never a missed finding).
    pub fn passes(&self, mut covers: impl FnMut(&ScreenCriterion<'a>) -> bool) -> bool {
        self.criteria().any(|c| c.map_or(true, |c| covers(&c)))
    }
}

pub(crate) fn screen_of(blob: Option<&[u8]>) -> Option<Screen<'_>> {
    blob.map(Screen)
}

fn next_criterion<'a>(rest: &mut &'a [u8]) -> Result<ScreenCriterion<'a>, ()> {
    let (&flags, tail) = rest.split_first().ok_or(())?;
    *rest = tail;
    let mut field = |present: bool| -> Result<Option<&'a str>, ()> {
        if !present {
            return Ok(None);
        }
        let (&len, tail) = rest.split_first().ok_or(())?;
        let bytes = tail.get(..len as usize).ok_or(())?;
        *rest = &tail[len as usize..];
        std::str::from_utf8(bytes).map(Some).map_err(|_| ())
    };
    let version = field(true)?.unwrap_or("*");
    Ok(ScreenCriterion {
        version,
        update: field(flags & UPDATE != 0)?.unwrap_or("*"),
        start_including: field(flags & START_INCLUDING != 0)?,
        start_excluding: field(flags & START_EXCLUDING != 0)?,
        end_including: field(flags & END_INCLUDING != 0)?,
        end_excluding: field(flags & END_EXCLUDING != 0)?,
    })
}

/// (vendor, product), compared as the matcher compares them.
type NameKey<'a> = (Cow<'a, str>, Cow<'a, str>);

/// Sets the screen of every (vendor, product) key of the record that a
/// screen can decide; the others stay `None` (stored as NULL: read the
/// record).
pub(crate) fn fill(rec: &VulnRecord, keys: &mut BTreeMap<(String, String), CpeKey>) {
    // CVE 5 `affected` versions are matched from the body: no screen.
    if !rec.affected.is_empty() {
        return;
    }
    // None: a criterion too long to encode; the record is read instead.
    let mut by_product: BTreeMap<NameKey<'_>, Option<Vec<u8>>> = BTreeMap::new();
    for m in rec
        .configurations
        .iter()
        .flat_map(|c| &c.nodes)
        .flat_map(|n| &n.cpe_match)
        .filter(|m| m.vulnerable)
    {
        // Too short to name a version: the full evaluation rejects it too.
        let Some(f) = kensa_model::cpe::head(&m.criteria) else {
            continue;
        };
        let slot = by_product
            .entry((folded(f[1]), folded(f[2])))
            .or_insert_with(|| Some(Vec::new()));
        if let Some(buf) = slot
            && !encode(buf, f[3], f[4], m)
        {
            *slot = None;
        }
    }
    for ((vendor, product), key) in keys.iter_mut() {
        key.screen = match by_product.get(&(folded(vendor), folded(product))) {
            Some(found) => found.clone(),
            // Named only as a platform, never vulnerable.
            None => Some(Vec::new()),
        };
    }
}

/// The comparison key of a CPE vendor or product: unescaped, lower case
/// (the matcher compares names that way).
fn folded(s: &str) -> Cow<'_, str> {
    if !s.contains('\\') && !s.bytes().any(|b| b.is_ascii_uppercase()) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        let c = if c == '\\' {
            match chars.next() {
                Some(n) => n,
                None => break,
            }
        } else {
            c
        };
        out.push(c.to_ascii_lowercase());
    }
    Cow::Owned(out)
}

/// Appends one criterion; false when a field does not fit the encoding.
fn encode(buf: &mut Vec<u8>, version: &str, update: &str, m: &kensa_model::CpeMatch) -> bool {
    let update = (!matches!(update, "*" | "")).then_some(update);
    let fields = [
        (UPDATE, update),
        (START_INCLUDING, m.version_start_including.as_deref()),
        (START_EXCLUDING, m.version_start_excluding.as_deref()),
        (END_INCLUDING, m.version_end_including.as_deref()),
        (END_EXCLUDING, m.version_end_excluding.as_deref()),
    ];
    if std::iter::once(version)
        .chain(fields.iter().filter_map(|(_, v)| *v))
        .any(|s| s.len() > u8::MAX as usize)
    {
        return false;
    }
    let flags = fields
        .iter()
        .filter(|(_, v)| v.is_some())
        .fold(0u8, |acc, (bit, _)| acc | bit);
    buf.push(flags);
    for s in std::iter::once(version).chain(fields.iter().filter_map(|(_, v)| *v)) {
        buf.push(s.len() as u8);
        buf.extend_from_slice(s.as_bytes());
    }
    true
}

/// Fills the screens of records stored before screens existed.
pub(crate) fn backfill(tx: &rusqlite::Transaction<'_>) -> crate::Result<()> {
    let mut update = tx.prepare(
        "UPDATE cpe_index SET screen = ?1 WHERE vendor = ?2 AND product = ?3 AND record_id = ?4",
    )?;
    crate::write::each_stored_record(tx, "", |id, rec| {
        let mut keys = crate::write::cpe_keys(&rec);
        fill(&rec, &mut keys);
        for ((vendor, product), key) in keys {
            if key.screen.is_some() {
                update.execute(rusqlite::params![key.screen, vendor, product, id])?;
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kensa_model::{Configuration, CpeMatch, Cve5Affected, Node};

    /// The screens `fill` sets, keys without one left out.
    fn screens<'k>(
        rec: &VulnRecord,
        keys: impl Iterator<Item = &'k (String, String)>,
    ) -> BTreeMap<(String, String), Vec<u8>> {
        let mut map: BTreeMap<(String, String), CpeKey> =
            keys.map(|k| (k.clone(), CpeKey::default())).collect();
        fill(rec, &mut map);
        map.into_iter()
            .filter_map(|(k, v)| v.screen.map(|s| (k, s)))
            .collect()
    }

    fn record(matches: Vec<CpeMatch>) -> VulnRecord {
        let mut rec = VulnRecord::new(
            "CVE-2000-0001",
            kensa_model::Source::new(kensa_model::SourceKind::Nvd, "nvd@nist.gov"),
        );
        rec.configurations = vec![Configuration {
            nodes: vec![Node {
                cpe_match: matches,
                ..Default::default()
            }],
            ..Default::default()
        }];
        rec
    }

    fn crit(criteria: &str, vulnerable: bool) -> CpeMatch {
        CpeMatch {
            vulnerable,
            criteria: criteria.into(),
            ..Default::default()
        }
    }

    fn key(v: &str, p: &str) -> (String, String) {
        (v.into(), p.into())
    }

    #[test]
    fn round_trips_criteria_of_each_product() {
        let mut range = crit("cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*", true);
        range.version_start_including = Some("1.0.1".into());
        range.version_end_excluding = Some("1.0.1g".into());
        let rec = record(vec![
            range,
            crit("cpe:2.3:a:openbsd:openssh:5.3:p1:*:*:*:*:*:*", true),
            crit("cpe:2.3:o:linux:linux_kernel:-:*:*:*:*:*:*:*", false),
        ]);
        let keys = [
            key("openssl", "openssl"),
            key("openbsd", "openssh"),
            key("linux", "linux_kernel"),
        ];
        let s = screens(&rec, keys.iter());
        let read = |k: &(String, String)| -> Vec<ScreenCriterion<'_>> {
            Screen(&s[k]).criteria().map(Result::unwrap).collect()
        };
        assert_eq!(
            read(&keys[0]),
            [ScreenCriterion {
                version: "*",
                update: "*",
                start_including: Some("1.0.1"),
                end_excluding: Some("1.0.1g"),
                ..Default::default()
            }]
        );
        assert_eq!(
            read(&keys[1]),
            [ScreenCriterion {
                version: "5.3",
                update: "p1",
                ..Default::default()
            }]
        );
        assert!(s[&keys[2]].is_empty(), "a platform only: empty screen");
    }

    #[test]
    fn names_compare_unescaped_and_case_blind() {
        let rec = record(vec![crit(
            "cpe:2.3:a:Joomla:joomla\\!:3.4.0:*:*:*:*:*:*:*",
            true,
        )]);
        let keys = [key("joomla", "joomla\\!")];
        let s = screens(&rec, keys.iter());
        assert_eq!(Screen(&s[&keys[0]]).criteria().count(), 1);
    }

    #[test]
    fn records_decided_elsewhere_have_no_screen() {
        let mut rec = record(vec![crit("cpe:2.3:a:a:b:1:*:*:*:*:*:*:*", true)]);
        rec.affected.push(Cve5Affected::default());
        assert!(screens(&rec, [key("a", "b")].iter()).is_empty());
        let mut long = crit("cpe:2.3:a:a:b:*:*:*:*:*:*:*:*", true);
        long.version_end_excluding = Some("9".repeat(300));
        let rec = record(vec![long]);
        assert!(
            screens(&rec, [key("a", "b")].iter()).is_empty(),
            "too long to encode: read the record"
        );
    }

    #[test]
    fn damaged_screens_let_the_record_through() {
        let damaged = Screen(&[0b11111, 5, b'1']);
        assert!(damaged.passes(|_| false));
        assert!(!Screen(&[]).passes(|_| true));
    }
}
