//! Queries.

use std::collections::BTreeMap;

use kensa_model::{EpssScore, KevEntry, VulnRecord};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use crate::{Result, Store, StoreError};

/// One source's record with its provenance.
#[derive(Debug, Clone, Serialize)]
pub struct StoredRecord {
    /// `kind:name`, e.g. `nvd:nvd@nist.gov`.
    pub source: String,
    pub last_modified: Option<String>,
    /// The file or feed it was imported from, and when.
    pub imported_from: String,
    pub imported_at: String,
    pub record: VulnRecord,
}

/// A CSAF advisory that mentions the vulnerability.
#[derive(Debug, Clone, Serialize)]
pub struct CsafMention {
    pub publisher: String,
    pub tracking_id: String,
    pub title: String,
    pub current_release_date: Option<String>,
    /// status → product names
    pub product_status: BTreeMap<String, Vec<String>>,
}

/// Everything known about one vulnerability.
#[derive(Debug, Clone, Serialize)]
pub struct VulnView {
    pub id: String,
    pub published: Option<String>,
    pub last_modified: Option<String>,
    pub aliases: Vec<String>,
    pub records: Vec<StoredRecord>,
    pub kev: Option<KevEntry>,
    pub epss: Option<EpssScore>,
    pub advisories: Vec<CsafMention>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchHit {
    pub id: String,
    /// bm25 relevance; lower is better, as SQLite reports it.
    pub rank: f64,
    pub snippet: String,
}

/// The part of a record that CPE matching reads.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ApplicabilityRecord {
    pub id: String,
    pub source: kensa_model::Source,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub configurations: Vec<kensa_model::Configuration>,
    /// CVE JSON 5 `affected` entries (CNA and ADP containers).
    #[serde(default)]
    pub affected: Vec<kensa_model::Cve5Affected>,
}

/// The triage fields of one stored record (see [`Store::record_facts`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordFacts {
    /// In the record's order; NVD's Primary/Secondary `kind` is not kept.
    pub cvss: Vec<kensa_model::CvssMetric>,
    /// CWE ids as the record gives them (NVD placeholders included), sorted.
    pub cwes: Vec<String>,
    /// SSVC decision points (CISA ADP); `role` and `version` are not kept.
    pub ssvc: Option<kensa_model::Ssvc>,
}

/// A CPE vendor/product pair known to the database.
#[derive(Debug, Clone, Serialize)]
pub struct CpeProduct {
    pub vendor: String,
    pub product: String,
    /// a, o or h
    pub part: String,
    pub records: u64,
}

impl CpeProduct {
    /// From a row of (vendor, product, part, records).
    pub(crate) fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CpeProduct> {
        Ok(CpeProduct {
            vendor: r.get(0)?,
            product: r.get(1)?,
            part: r.get(2)?,
            records: r.get::<_, i64>(3)? as u64,
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceCount {
    pub source: String,
    pub records: u64,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Stats {
    pub vulnerabilities: u64,
    /// Records per source kind (`nvd`, `cve5-cna`, ...).
    pub records_by_kind: BTreeMap<String, u64>,
    /// Records per source (`nvd:nvd@nist.gov`, `cve5-adp:CISA-ADP`, ...), the
    /// 20 largest first; CSAF advisories are counted under `csaf_documents`.
    pub records_by_source: Vec<SourceCount>,
    /// Records whose English text is in the full-text index.
    pub indexed_documents: u64,
    pub cvss_vectors: u64,
    pub cpe_index_entries: u64,
    pub package_index_entries: u64,
    pub ssvc: u64,
    pub kev: u64,
    pub epss: u64,
    pub csaf_documents: u64,
    pub csaf_products: u64,
    pub imports: u64,
    pub schema_version: i64,
}

impl Store {
    /// Resolves an id or alias (GHSA-…, PYSEC-…) to the vulnerability ids
    /// stored under it.
    pub fn resolve(&self, id: &str) -> Result<Vec<String>> {
        let direct: Option<String> = self
            .conn
            .query_row(
                "SELECT id FROM vulnerabilities WHERE id = ?1 COLLATE NOCASE",
                [id],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(d) = direct {
            return Ok(vec![d]);
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT vuln_id FROM aliases WHERE alias = ?1 ORDER BY vuln_id",
        )?;
        let ids = stmt
            .query_map([id], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(ids)
    }

    pub fn vuln(&self, id: &str) -> Result<Option<VulnView>> {
        let head: Option<(String, Option<String>, Option<String>)> = self
            .conn
            .query_row(
                "SELECT id, published, last_modified FROM vulnerabilities WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((id, published, last_modified)) = head else {
            return Ok(None);
        };
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.source_kind, r.source_name, r.last_modified, i.origin, i.started_at, r.data
             FROM records r JOIN imports i ON i.id = r.import_id
             WHERE r.vuln_id = ?1 ORDER BY r.source_kind, r.source_name",
        )?;
        let rows = stmt
            .query_map([&id], |r| {
                Ok((
                    format!("{}:{}", r.get::<_, String>(0)?, r.get::<_, String>(1)?),
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Vec<u8>>(5)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut records = Vec::with_capacity(rows.len());
        for (source, lm, origin, at, data) in rows {
            let record = crate::blob::decode(&data, || format!("{id} from {source}"))?;
            records.push(StoredRecord {
                source,
                last_modified: lm,
                imported_from: origin,
                imported_at: at,
                record,
            });
        }
        let mut aliases: Vec<String> = records
            .iter()
            .flat_map(|r| r.record.aliases.iter().cloned())
            .filter(|a| *a != id)
            .collect();
        let mut stmt = self
            .conn
            .prepare_cached("SELECT DISTINCT vuln_id FROM aliases WHERE alias = ?1")?;
        for other in stmt.query_map([&id], |r| r.get::<_, String>(0))? {
            aliases.push(other?);
        }
        aliases.sort();
        aliases.dedup();
        Ok(Some(VulnView {
            kev: self.kev(&id)?,
            epss: self.epss(&id)?,
            advisories: self.csaf_mentions(&id)?,
            id,
            published,
            last_modified,
            aliases,
            records,
        }))
    }

    /// Every vulnerability's records, grouped by id in id order: for passes
    /// over the whole database (`kensa logic extract --all`). Record bodies
    /// are handed over still compressed, with [`decode_record`] to open them,
    /// so a caller can spread the decoding over threads. `f` returns
    /// [`ControlFlow::Break`] to stop early.
    pub fn for_each_vuln_blobs(
        &self,
        mut f: impl FnMut(String, Vec<Vec<u8>>) -> std::ops::ControlFlow<()>,
    ) -> Result<()> {
        let mut stmt = self
            .conn
            .prepare("SELECT vuln_id, data FROM records ORDER BY vuln_id")?;
        let mut rows = stmt.query([])?;
        let mut current: Option<(String, Vec<Vec<u8>>)> = None;
        while let Some(row) = rows.next()? {
            let id: String = row.get(0)?;
            let data: Vec<u8> = row.get(1)?;
            match &mut current {
                Some((cur, blobs)) if *cur == id => blobs.push(data),
                _ => {
                    if let Some((prev, blobs)) = current.replace((id, vec![data]))
                        && f(prev, blobs).is_break()
                    {
                        return Ok(());
                    }
                }
            }
        }
        if let Some((id, blobs)) = current {
            let _ = f(id, blobs);
        }
        Ok(())
    }

    /// Every CPE vendor/product the database knows, with the number of
    /// records naming it: the dictionary that component names resolve to.
    pub fn cpe_products(&self) -> Result<Vec<CpeProduct>> {
        let mut stmt = self.conn.prepare(
            "SELECT vendor, product, min(part), count(*) FROM cpe_index GROUP BY vendor, product",
        )?;
        let rows = stmt
            .query_map([], CpeProduct::from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// What CPE matching needs of the records (any source) that name this
    /// vendor and product: their configurations, without decoding the
    /// descriptions, references and the rest.
    pub fn applicability_by_cpe(
        &self,
        vendor: &str,
        product: &str,
    ) -> Result<Vec<ApplicabilityRecord>> {
        let mut out = Vec::new();
        self.each_applicability_by_cpe(
            vendor,
            product,
            |_| true,
            |r| {
                out.push(r);
                Ok(())
            },
        )?;
        Ok(out)
    }

    /// [`Store::applicability_by_cpe`], one record at a time: a product
    /// named by thousands of records (the Linux kernel) is never held in
    /// memory at once. `may_apply` sees each record's version screen first
    /// (see [`crate::Screen`]); a record it turns down is not read. Records
    /// without a screen are always read.
    pub fn each_applicability_by_cpe(
        &self,
        vendor: &str,
        product: &str,
        mut may_apply: impl FnMut(&crate::Screen<'_>) -> bool,
        mut f: impl FnMut(ApplicabilityRecord) -> Result<()>,
    ) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.screen, r.id, r.vuln_id FROM cpe_index c JOIN records r ON r.id = c.record_id
             WHERE c.vendor = ?1 AND c.product = ?2 ORDER BY r.vuln_id, r.source_kind",
        )?;
        let mut body = self
            .conn
            .prepare_cached("SELECT data FROM records WHERE id = ?1")?;
        let mut rows = stmt.query([vendor, product])?;
        while let Some(row) = rows.next()? {
            let screen = row
                .get_ref(0)?
                .as_blob_or_null()
                .map_err(rusqlite::Error::from)?;
            if crate::screen::screen_of(screen).is_some_and(|s| !may_apply(&s)) {
                continue;
            }
            let id: i64 = row.get(1)?;
            let mut bodies = body.query([id])?;
            let Some(b) = bodies.next()? else {
                continue;
            };
            let blob = b.get_ref(0)?.as_blob().map_err(rusqlite::Error::from)?;
            let record = crate::blob::decode(blob, || row.get::<_, String>(2).unwrap_or_default())?;
            f(record)?;
        }
        Ok(())
    }

    /// The records whose CVE 5 `affected` entries name this product
    /// (normalised, without a CPE), one at a time, each with the vendor
    /// (normalised) the entry gives.
    pub fn each_affected_by_name(
        &self,
        product: &str,
        accept_vendor: impl Fn(&str) -> bool,
        mut f: impl FnMut(&str, ApplicabilityRecord) -> Result<()>,
    ) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT a.vendor, r.vuln_id, r.data FROM affected_names a
             JOIN records r ON r.id = a.record_id WHERE a.product = ?1
             ORDER BY r.vuln_id, r.source_kind",
        )?;
        let mut rows = stmt.query([product])?;
        while let Some(row) = rows.next()? {
            let vendor: String = row.get(0)?;
            if !accept_vendor(&vendor) {
                continue;
            }
            let blob = row.get_ref(2)?.as_blob().map_err(rusqlite::Error::from)?;
            let record = crate::blob::decode(blob, || row.get::<_, String>(1).unwrap_or_default())?;
            f(&vendor, record)?;
        }
        Ok(())
    }

    /// The records (any source) that name this package: OSV
    /// `affected[].package` (ecosystem as OSV writes it, `PyPI`, `npm`, …)
    /// and CVE 5 `packageName`. The ecosystem matches exactly or with a
    /// release after a colon (`Debian` finds `Debian:11`); the name ignores
    /// ASCII case (OSV may write `pyOpenSSL`, purls write `pyopenssl`).
    pub fn records_by_package(&self, ecosystem: &str, name: &str) -> Result<Vec<VulnRecord>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.vuln_id, r.data FROM package_index p JOIN records r ON r.id = p.record_id
             WHERE (p.ecosystem = ?1 OR p.ecosystem BETWEEN ?1 || ':' AND ?1 || ';')
               AND p.name = ?2 COLLATE NOCASE
             GROUP BY r.id ORDER BY r.vuln_id, r.source_kind",
        )?;
        let rows = stmt
            .query_map([ecosystem, name], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(id, blob)| crate::blob::decode(&blob, || id.clone()))
            .collect()
    }

    /// What triage weighs of each of a vulnerability's records (ordered by
    /// source kind and name), read from the derived tables
    /// instead of the record bodies: a scan triages thousands at once.
    pub fn record_facts(&self, id: &str) -> Result<Vec<RecordFacts>> {
        let ids: Vec<i64> = self
            .conn
            .prepare_cached(
                "SELECT id FROM records WHERE vuln_id = ?1 ORDER BY source_kind, source_name",
            )?
            .query_map([id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut cvss = self.conn.prepare_cached(
            "SELECT scorer, version, vector, base_score, severity FROM cvss
             WHERE record_id = ?1 ORDER BY seq",
        )?;
        let mut cwes = self
            .conn
            .prepare_cached("SELECT cwe FROM weaknesses WHERE record_id = ?1")?;
        let mut ssvc = self.conn.prepare_cached(
            "SELECT exploitation, automatable, technical_impact, timestamp FROM ssvc
             WHERE record_id = ?1",
        )?;
        ids.into_iter()
            .map(|record| {
                Ok(RecordFacts {
                    cvss: cvss
                        .query_map([record], |r| {
                            Ok(kensa_model::CvssMetric {
                                source: r.get(0)?,
                                version: r.get(1)?,
                                vector: r.get(2)?,
                                base_score: r.get(3)?,
                                base_severity: r.get(4)?,
                                kind: None,
                            })
                        })?
                        .collect::<rusqlite::Result<_>>()?,
                    cwes: cwes
                        .query_map([record], |r| r.get(0))?
                        .collect::<rusqlite::Result<_>>()?,
                    ssvc: ssvc
                        .query_row([record], |r| {
                            Ok(kensa_model::Ssvc {
                                exploitation: r.get(0)?,
                                automatable: r.get(1)?,
                                technical_impact: r.get(2)?,
                                timestamp: r.get(3)?,
                                ..Default::default()
                            })
                        })
                        .optional()?,
                })
            })
            .collect()
    }

    /// What CSAF advisories say of the vulnerability's exploitation (their
    /// `threats` of category `exploit_status`), with each advisory's
    /// tracking id. Read from the record bodies: only the few
    /// vulnerabilities that CSAF advisories cover have any.
    pub fn exploit_statements(
        &self,
        id: &str,
    ) -> Result<Vec<(String, kensa_model::ExploitStatus)>> {
        let rows: Vec<(String, Vec<u8>)> = self
            .conn
            .prepare_cached(
                "SELECT source_name, data FROM records
                 WHERE vuln_id = ?1 AND source_kind = 'csaf' ORDER BY source_name",
            )?
            .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut out = Vec::new();
        for (advisory, blob) in rows {
            let record = decode_record(&blob, || format!("{id} from CSAF {advisory}"))?;
            for s in record.csaf.map(|c| c.exploit_status).unwrap_or_default() {
                out.push((advisory.clone(), s));
            }
        }
        Ok(out)
    }

    pub fn kev(&self, cve: &str) -> Result<Option<KevEntry>> {
        // Cached statements: triage asks once per vulnerability of a scan.
        let data: Option<String> = self
            .conn
            .prepare_cached("SELECT data FROM kev WHERE cve_id = ?1")?
            .query_row([cve], |r| r.get(0))
            .optional()?;
        data.map(|d| {
            serde_json::from_str(&d).map_err(|e| StoreError::Corrupt {
                what: format!("KEV entry {cve}"),
                message: e.to_string(),
            })
        })
        .transpose()
    }

    pub fn epss(&self, cve: &str) -> Result<Option<EpssScore>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT epss, percentile, model_version, score_date FROM epss WHERE cve_id = ?1",
            )?
            .query_row([cve], |r| {
                Ok(EpssScore {
                    cve_id: cve.to_string(),
                    epss: r.get(0)?,
                    percentile: r.get(1)?,
                    model_version: r.get(2)?,
                    score_date: r.get(3)?,
                })
            })
            .optional()?)
    }

    fn csaf_mentions(&self, id: &str) -> Result<Vec<CsafMention>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT d.publisher, d.tracking_id, d.title, d.current_release_date, s.status,
                    coalesce(p.name, s.product_id)
             FROM csaf_product_status s
             JOIN csaf_documents d ON d.id = s.document_id
             LEFT JOIN csaf_products p ON p.document_id = s.document_id AND p.product_id = s.product_id
             WHERE s.vuln_id = ?1
             ORDER BY d.current_release_date, d.tracking_id, s.status, 6",
        )?;
        let mut out: Vec<CsafMention> = Vec::new();
        let rows = stmt.query_map([id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
            ))
        })?;
        for row in rows {
            let (publisher, tracking_id, title, date, status, product) = row?;
            if out
                .last()
                .is_none_or(|m| m.tracking_id != tracking_id || m.publisher != publisher)
            {
                out.push(CsafMention {
                    publisher,
                    tracking_id,
                    title,
                    current_release_date: date,
                    product_status: BTreeMap::new(),
                });
            }
            if let Some(m) = out.last_mut() {
                m.product_status.entry(status).or_default().push(product);
            }
        }
        Ok(out)
    }

    /// Full-text search over English descriptions, best matches first, one
    /// hit per vulnerability. `text` is taken as plain words (all must occur)
    /// unless `raw` is set, in which case it is an FTS5 query.
    pub fn search(&self, text: &str, raw: bool, limit: usize) -> Result<Vec<SearchHit>> {
        let query = if raw {
            text.to_string()
        } else {
            plain_query(text)
        };
        if query.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        // Several sources may describe one vulnerability: over-fetch, then
        // keep each vulnerability's best-ranked record.
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.vuln_id, f.rank, r.data
             FROM (SELECT rowid, rank FROM descriptions_fts
                   WHERE descriptions_fts MATCH ?1 ORDER BY rank LIMIT ?2) f
             JOIN records r ON r.id = f.rowid
             ORDER BY f.rank, r.vuln_id",
        )?;
        let rows = stmt.query_map(params![query, (limit * 4) as i64], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, f64>(1)?,
                r.get::<_, Vec<u8>>(2)?,
            ))
        })?;
        let words = query_words(text);
        let mut hits: Vec<SearchHit> = Vec::new();
        for row in rows {
            let (id, rank, blob) = row?;
            if hits.iter().any(|h| h.id == id) {
                continue;
            }
            let rec: VulnRecord = crate::blob::decode(&blob, || id.clone())?;
            let snippet = snippet(&crate::write::english_text(&rec), &words);
            hits.push(SearchHit { id, rank, snippet });
            if hits.len() == limit {
                break;
            }
        }
        Ok(hits)
    }

    pub fn stats(&self) -> Result<Stats> {
        let count = |sql: &str| -> Result<u64> {
            Ok(self.conn.query_row(sql, [], |r| r.get::<_, i64>(0))? as u64)
        };
        let mut stats = Stats {
            vulnerabilities: count("SELECT count(*) FROM vulnerabilities")?,
            indexed_documents: count("SELECT count(*) FROM descriptions_fts_docsize")?,
            cvss_vectors: count("SELECT count(*) FROM cvss")?,
            cpe_index_entries: count("SELECT count(*) FROM cpe_index")?,
            package_index_entries: count("SELECT count(*) FROM package_index")?,
            ssvc: count("SELECT count(*) FROM ssvc")?,
            kev: count("SELECT count(*) FROM kev")?,
            epss: count("SELECT count(*) FROM epss")?,
            csaf_documents: count("SELECT count(*) FROM csaf_documents")?,
            csaf_products: count("SELECT count(*) FROM csaf_products")?,
            imports: count("SELECT count(*) FROM imports WHERE finished_at IS NOT NULL")?,
            schema_version: Store::schema_version(),
            ..Stats::default()
        };
        let mut stmt = self.conn.prepare(
            "SELECT source_kind, source_name, count(*) FROM records
             GROUP BY source_kind, source_name",
        )?;
        let mut per_source: Vec<(String, u64)> = Vec::new();
        for row in stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })? {
            let (kind, name, n) = row?;
            *stats.records_by_kind.entry(kind.clone()).or_default() += n as u64;
            if kind != "csaf" {
                per_source.push((format!("{kind}:{name}"), n as u64));
            }
        }
        per_source.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        stats.records_by_source = per_source
            .into_iter()
            .take(20)
            .map(|(source, records)| SourceCount { source, records })
            .collect();
        Ok(stats)
    }
}

/// Turns plain words into an FTS5 query in which every word must occur:
/// each word is quoted, so `CVE-2014-0160` or `1.0.1f` are not parsed as
/// FTS5 operators.
fn plain_query(text: &str) -> String {
    text.split_whitespace()
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The words of a search, lower-cased, without FTS5 syntax.
fn query_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric() && c != '.' && c != '_' && c != '-')
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        // Short words (of, in, a) would light up everywhere.
        .filter(|w| w.chars().count() > 2 && !matches!(w.as_str(), "and" | "not" | "near"))
        .collect()
}

/// About 160 characters of `text` around the first search word found, with
/// the words' occurrences in brackets. Matching is by prefix of up to five
/// characters, a rough stand-in for the index's Porter stemming.
fn snippet(text: &str, words: &[String]) -> String {
    const WIDTH: usize = 160;
    let lower = text.to_lowercase();
    if lower.len() != text.len() {
        // Case folding changed byte offsets (rare scripts): no highlighting.
        return text.chars().take(WIDTH).collect();
    }
    let stems: Vec<&str> = words
        .iter()
        .map(|w| &w[..w.char_indices().nth(5).map_or(w.len(), |(i, _)| i)])
        .collect();
    let first = stems
        .iter()
        .filter_map(|s| lower.find(s))
        .min()
        .unwrap_or(0);
    let mut start = first.saturating_sub(WIDTH / 3);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (start + WIDTH).min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    let mut i = start;
    while i < end {
        let word_end = lower[i..end]
            .find(|c: char| !c.is_alphanumeric())
            .map_or(end, |n| i + n.max(1));
        let word = &lower[i..word_end];
        if stems.iter().any(|s| !s.is_empty() && word.starts_with(s)) {
            out.push('[');
            out.push_str(&text[i..word_end]);
            out.push(']');
        } else {
            out.push_str(&text[i..word_end]);
        }
        i = word_end;
    }
    if end < text.len() {
        out.push('…');
    }
    out.replace('\n', " ")
}

/// Opens a record body handed out by [`Store::for_each_vuln_blobs`]; `what`
/// names it in the error of a damaged body.
pub fn decode_record(blob: &[u8], what: impl Fn() -> String) -> Result<VulnRecord> {
    crate::blob::decode(blob, what)
}

#[cfg(test)]
mod tests {
    use super::{plain_query, snippet};

    #[test]
    fn snippet_brackets_stemmed_matches() {
        let s = snippet(
            "A heap-based buffer overflow in the Modbus handler allows remote attackers.",
            &["overflows".into(), "modbus".into()],
        );
        assert_eq!(
            s,
            "A heap-based buffer [overflow] in the [Modbus] handler allows remote attackers."
        );
        let long = format!("{} overflow here", "word ".repeat(100));
        let s = snippet(&long, &["overflow".into()]);
        assert!(s.starts_with('…') && s.contains("[overflow]"), "{s}");
    }

    #[test]
    fn plain_words_are_quoted() {
        assert_eq!(plain_query("heap  overflow"), "\"heap\" \"overflow\"");
        assert_eq!(plain_query("say \"hi\""), "\"say\" \"\"\"hi\"\"\"");
        assert_eq!(plain_query("   "), "");
    }
}

/// A product of a stored CSAF advisory, for matching components by name.
#[derive(Debug, Clone)]
pub struct CsafProductRow {
    pub document_id: i64,
    pub tracking_id: String,
    pub product_id: String,
    pub vendor: Option<String>,
    pub product_name: String,
    pub version: Option<String>,
    pub version_range: Option<String>,
}

impl Store {
    /// Every named product of every stored CSAF advisory that some
    /// vulnerability's status names.
    pub fn csaf_products_for_matching(&self) -> Result<Vec<CsafProductRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT p.document_id, d.tracking_id, p.product_id, p.vendor,
                    coalesce(p.product_name, p.name), p.version, p.version_range
             FROM csaf_products p JOIN csaf_documents d ON d.id = p.document_id
             WHERE coalesce(p.product_name, p.name) <> ''",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(CsafProductRow {
                    document_id: r.get(0)?,
                    tracking_id: r.get(1)?,
                    product_id: r.get(2)?,
                    vendor: r.get(3)?,
                    product_name: r.get(4)?,
                    version: r.get(5)?,
                    version_range: r.get(6)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// What an advisory says of one of its products: (vulnerability id,
    /// status) pairs, `known_affected`, `fixed`, `known_not_affected`, ….
    pub fn csaf_statuses(
        &self,
        document_id: i64,
        product_id: &str,
    ) -> Result<Vec<(String, String)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT vuln_id, status FROM csaf_product_status
             WHERE document_id = ?1 AND product_id = ?2 ORDER BY vuln_id, status",
        )?;
        let rows = stmt
            .query_map(params![document_id, product_id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}
