//! Transactional writes: one [`Import`] per file.

use std::collections::{BTreeMap, BTreeSet};

use kensa_model::{
    CsafDocument, CvssMetric, EpssScore, KevEntry, NameMappingSet, SourceKind, Ssvc, VulnRecord,
};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;

use crate::{Result, StoreError, fingerprint};

/// What happened to one incoming item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// New to the database.
    Inserted,
    /// Replaced an older (or differing, equally dated) version.
    Updated,
    /// Identical to what is stored.
    Unchanged,
    /// Older than what is stored; ignored.
    Stale,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportCounts {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub stale: u64,
    /// Bad records skipped under `--keep-going` (counted by the importer).
    pub skipped: u64,
}

impl ImportCounts {
    pub fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Inserted => self.inserted += 1,
            Outcome::Updated => self.updated += 1,
            Outcome::Unchanged => self.unchanged += 1,
            Outcome::Stale => self.stale += 1,
        }
    }

    pub fn merge(&mut self, other: &ImportCounts) {
        self.inserted += other.inserted;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.stale += other.stale;
        self.skipped += other.skipped;
    }

    pub fn total(&self) -> u64 {
        self.inserted + self.updated + self.unchanged + self.stale
    }
}

/// A record serialised, fingerprinted and broken into its index rows ahead
/// of the write. This CPU work (and freeing the record) happens on a parser
/// thread, so the writer thread only binds values and steps statements.
pub struct PreparedVuln {
    id: String,
    kind: SourceKind,
    source_name: String,
    published: Option<String>,
    last_modified: Option<String>,
    /// LZ4-compressed JSON of the record.
    data: Vec<u8>,
    hash: i64,
    rows: Rows,
}

impl PreparedVuln {
    pub fn new(record: VulnRecord) -> Result<PreparedVuln> {
        Self::with_size_hint(record, 0)
    }

    /// Like [`PreparedVuln::new`], with the expected JSON size (the source
    /// record's length is a good guess) so the buffer is not regrown.
    pub fn with_size_hint(record: VulnRecord, size_hint: usize) -> Result<PreparedVuln> {
        let mut json = Vec::with_capacity(size_hint.max(512));
        serde_json::to_writer(&mut json, &record).map_err(|source| StoreError::Encode {
            what: record.id.clone(),
            source,
        })?;
        let hash = fingerprint(&json);
        let data = crate::blob::compress(&json);
        let mut rows = Rows::of(&record);
        crate::screen::fill(&record, &mut rows.cpe_keys);
        Ok(PreparedVuln {
            id: record.id,
            kind: record.source.kind,
            source_name: record.source.name,
            published: record.published,
            last_modified: record.last_modified,
            data,
            hash,
            rows,
        })
    }
}

/// One `cpe_index` row of a record: the part (a/o/h) of the first
/// criterion naming the product, and its version screen (see
/// [`crate::screen`]; `None` is stored as NULL: read the record).
#[derive(Debug, Default)]
pub(crate) struct CpeKey {
    pub(crate) part: String,
    pub(crate) screen: Option<Vec<u8>>,
}

/// The rows of the index tables that one record owns.
#[derive(Default)]
pub(crate) struct Rows {
    english: String,
    aliases: Vec<String>,
    cvss: Vec<CvssMetric>,
    cwes: BTreeSet<String>,
    /// (vendor, product) → part (a/o/h) of the first criterion naming it.
    pub(crate) cpe_keys: BTreeMap<(String, String), CpeKey>,
    pub(crate) packages: BTreeSet<(String, String)>,
    /// (product, vendor), normalised, of CVE 5 `affected` entries without CPEs.
    pub(crate) affected_names: BTreeSet<(String, String)>,
    ssvc: Option<Ssvc>,
}

impl Rows {
    pub(crate) fn of(rec: &VulnRecord) -> Rows {
        Rows {
            english: english_text(rec),
            aliases: rec
                .aliases
                .iter()
                .filter(|a| **a != rec.id)
                .cloned()
                .collect(),
            cvss: rec.cvss.clone(),
            cwes: rec.weaknesses.iter().map(|w| w.cwe.clone()).collect(),
            cpe_keys: cpe_keys(rec),
            packages: packages(rec),
            affected_names: affected_names(rec),
            ssvc: rec.ssvc.clone(),
        }
    }
}

/// The write interface importers use. Implemented by [`Import`] for SQLite.
pub trait IntelSink {
    fn put_vuln(&mut self, vuln: PreparedVuln) -> Result<Outcome>;
    fn put_kev(&mut self, entry: &KevEntry) -> Result<Outcome>;
    fn put_epss(&mut self, score: &EpssScore) -> Result<Outcome>;
    fn put_csaf(&mut self, doc: &CsafDocument) -> Result<Outcome>;
    /// Replaces a name-mapping source's set (see `crate::mappings`).
    fn put_name_mappings(&mut self, set: &NameMappingSet) -> Result<Outcome>;
    /// Counts a bad record that was skipped (under `--keep-going`).
    fn skipped(&mut self);
}

/// One transactional import. Dropped without [`Import::commit`], it rolls back.
pub struct Import<'c> {
    pub(crate) tx: Transaction<'c>,
    pub(crate) import_id: i64,
    pub(crate) counts: ImportCounts,
    newest: crate::freshness::NewestTracker,
}

impl<'c> Import<'c> {
    pub(crate) fn begin(conn: &'c mut Connection, origin: &str, format: &str) -> Result<Self> {
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO imports (origin, format, started_at) VALUES (?1, ?2, ?3)",
            params![origin, format, now()],
        )?;
        let import_id = tx.last_insert_rowid();
        Ok(Import {
            tx,
            import_id,
            counts: ImportCounts::default(),
            newest: Default::default(),
        })
    }

    pub fn counts(&self) -> ImportCounts {
        self.counts
    }

    /// Commits everything written in this import and returns the counts.
    pub fn commit(self) -> Result<ImportCounts> {
        let c = self.counts;
        self.tx.execute(
            "UPDATE imports SET finished_at = ?1, inserted = ?2, updated = ?3, unchanged = ?4,
                 stale = ?5, skipped = ?6 WHERE id = ?7",
            params![
                now(),
                c.inserted as i64,
                c.updated as i64,
                c.unchanged as i64,
                c.stale as i64,
                c.skipped as i64,
                self.import_id
            ],
        )?;
        self.newest.save(&self.tx)?;
        self.tx.commit()?;
        Ok(c)
    }

    fn write_vuln(&mut self, v: &PreparedVuln) -> Result<Outcome> {
        let kind = v.kind.as_str();
        let existing: Option<(i64, Option<String>, i64)> = self
            .tx
            .prepare_cached(
                "SELECT id, last_modified, content_hash FROM records
                 WHERE vuln_id = ?1 AND source_kind = ?2 AND source_name = ?3",
            )?
            .query_row(params![v.id, kind, v.source_name], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        let (record_id, outcome) = match existing {
            None => {
                self.tx
                    .prepare_cached(
                        "INSERT INTO records (vuln_id, source_kind, source_name, last_modified,
                         content_hash, import_id, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    )?
                    .execute(params![
                        v.id,
                        kind,
                        v.source_name,
                        v.last_modified,
                        v.hash,
                        self.import_id,
                        v.data
                    ])?;
                (self.tx.last_insert_rowid(), Outcome::Inserted)
            }
            Some((id, stored_lm, stored_hash)) => {
                if let Some(o) = decide(
                    stored_lm.as_deref(),
                    stored_hash,
                    v.last_modified.as_deref(),
                    v.hash,
                ) {
                    return Ok(o);
                }
                self.delete_record_children(id)?;
                self.tx
                    .prepare_cached(
                        "UPDATE records SET last_modified = ?2, content_hash = ?3, import_id = ?4,
                         data = ?5 WHERE id = ?1",
                    )?
                    .execute(params![id, v.last_modified, v.hash, self.import_id, v.data])?;
                (id, Outcome::Updated)
            }
        };
        self.write_rows(record_id, &v.id, &v.rows)?;
        self.upsert_head(v)?;
        self.newest.note(kind, v.last_modified.as_deref());
        Ok(outcome)
    }

    /// Removes everything derived from a stored record: its index rows
    /// (recomputed from its stored body), its full-text document.
    fn delete_record_children(&self, record_id: i64) -> Result<()> {
        let blob: Vec<u8> = self
            .tx
            .prepare_cached("SELECT data FROM records WHERE id = ?1")?
            .query_row([record_id], |r| r.get(0))?;
        let old: VulnRecord = crate::blob::decode(&blob, || format!("record {record_id}"))?;
        let rows = Rows::of(&old);
        let mut stmt = self.tx.prepare_cached(
            "DELETE FROM cpe_index WHERE vendor = ?1 AND product = ?2 AND record_id = ?3",
        )?;
        for (vendor, product) in rows.cpe_keys.keys() {
            stmt.execute(params![vendor, product, record_id])?;
        }
        let mut stmt = self.tx.prepare_cached(
            "DELETE FROM package_index WHERE ecosystem = ?1 AND name = ?2 AND record_id = ?3",
        )?;
        for (eco, name) in &rows.packages {
            stmt.execute(params![eco, name, record_id])?;
        }
        let mut stmt = self.tx.prepare_cached(
            "DELETE FROM affected_names WHERE product = ?1 AND vendor = ?2 AND record_id = ?3",
        )?;
        for (product, vendor) in &rows.affected_names {
            stmt.execute(params![product, vendor, record_id])?;
        }
        let mut stmt = self
            .tx
            .prepare_cached("DELETE FROM aliases WHERE alias = ?1 AND record_id = ?2")?;
        for a in &rows.aliases {
            stmt.execute(params![a, record_id])?;
        }
        for sql in [
            "DELETE FROM descriptions_fts WHERE rowid = ?1",
            "DELETE FROM cvss WHERE record_id = ?1",
            "DELETE FROM weaknesses WHERE record_id = ?1",
            "DELETE FROM ssvc WHERE record_id = ?1",
        ] {
            self.tx.prepare_cached(sql)?.execute([record_id])?;
        }
        Ok(())
    }

    fn write_rows(&self, record_id: i64, vuln_id: &str, rows: &Rows) -> Result<()> {
        if !rows.english.is_empty() {
            self.tx
                .prepare_cached("INSERT INTO descriptions_fts (rowid, text) VALUES (?1, ?2)")?
                .execute(params![record_id, rows.english])?;
        }
        let mut stmt = self.tx.prepare_cached(
            "INSERT OR IGNORE INTO aliases (alias, vuln_id, record_id) VALUES (?1, ?2, ?3)",
        )?;
        for a in &rows.aliases {
            stmt.execute(params![a, vuln_id, record_id])?;
        }
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO cvss (record_id, seq, scorer, version, vector, base_score, severity)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for (seq, m) in rows.cvss.iter().enumerate() {
            stmt.execute(params![
                record_id,
                seq as i64,
                m.source,
                m.version,
                m.vector,
                m.base_score,
                m.base_severity
            ])?;
        }
        let mut stmt = self
            .tx
            .prepare_cached("INSERT INTO weaknesses (record_id, cwe) VALUES (?1, ?2)")?;
        for cwe in &rows.cwes {
            stmt.execute(params![record_id, cwe])?;
        }
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO cpe_index (vendor, product, record_id, part, screen)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for ((vendor, product), key) in &rows.cpe_keys {
            stmt.execute(params![vendor, product, record_id, key.part, key.screen])?;
        }
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO affected_names (product, vendor, record_id) VALUES (?1, ?2, ?3)",
        )?;
        for (product, vendor) in &rows.affected_names {
            stmt.execute(params![product, vendor, record_id])?;
        }
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO package_index (ecosystem, name, record_id) VALUES (?1, ?2, ?3)",
        )?;
        for (eco, name) in &rows.packages {
            stmt.execute(params![eco, name, record_id])?;
        }
        if let Some(s) = &rows.ssvc {
            self.tx
                .prepare_cached(
                    "INSERT INTO ssvc (record_id, vuln_id, exploitation, automatable,
                     technical_impact, timestamp) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?
                .execute(params![
                    record_id,
                    vuln_id,
                    s.exploitation,
                    s.automatable,
                    s.technical_impact,
                    s.timestamp
                ])?;
        }
        Ok(())
    }

    /// Keeps the merged head row: earliest publication, latest modification.
    fn upsert_head(&self, v: &PreparedVuln) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO vulnerabilities (id, published, last_modified)
                 VALUES (?1, ?2, ?3)
                 ON CONFLICT (id) DO UPDATE SET
                   published = CASE WHEN published IS NULL OR excluded.published < published
                               THEN excluded.published ELSE published END,
                   last_modified = CASE WHEN last_modified IS NULL OR excluded.last_modified > last_modified
                               THEN excluded.last_modified ELSE last_modified END",
            )?
            .execute(params![v.id, v.published, v.last_modified])?;
        Ok(())
    }

    fn write_csaf(&mut self, doc: &CsafDocument) -> Result<Outcome> {
        let json = serde_json::to_string(doc).map_err(|source| StoreError::Encode {
            what: doc.tracking_id.clone(),
            source,
        })?;
        let hash = fingerprint(json.as_bytes());
        let existing: Option<(i64, Option<String>, i64)> = self
            .tx
            .prepare_cached(
                "SELECT id, current_release_date, content_hash FROM csaf_documents
                 WHERE publisher = ?1 AND tracking_id = ?2",
            )?
            .query_row(params![doc.publisher, doc.tracking_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        let (doc_id, outcome) = match existing {
            Some((id, lm, h)) => {
                if let Some(o) = decide(lm.as_deref(), h, doc.current_release_date.as_deref(), hash)
                {
                    return Ok(o);
                }
                self.delete_csaf(id, &doc.tracking_id)?;
                self.tx
                    .prepare_cached(
                        "UPDATE csaf_documents SET title = ?2, category = ?3,
                         current_release_date = ?4, content_hash = ?5, import_id = ?6, data = ?7
                         WHERE id = ?1",
                    )?
                    .execute(params![
                        id,
                        doc.title,
                        doc.category,
                        doc.current_release_date,
                        hash,
                        self.import_id,
                        json
                    ])?;
                (id, Outcome::Updated)
            }
            None => {
                self.tx
                    .prepare_cached(
                        "INSERT INTO csaf_documents (publisher, tracking_id, title, category,
                         current_release_date, content_hash, import_id, data)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    )?
                    .execute(params![
                        doc.publisher,
                        doc.tracking_id,
                        doc.title,
                        doc.category,
                        doc.current_release_date,
                        hash,
                        self.import_id,
                        json
                    ])?;
                (self.tx.last_insert_rowid(), Outcome::Inserted)
            }
        };
        let mut stmt = self.tx.prepare_cached(
            "INSERT OR REPLACE INTO csaf_products (document_id, product_id, name, vendor,
             product_name, version, version_range, cpe, purl)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        for p in &doc.products {
            stmt.execute(params![
                doc_id,
                p.product_id,
                p.name,
                p.vendor,
                p.product_name,
                p.version,
                p.version_range,
                p.cpe,
                p.purl
            ])?;
        }
        drop(stmt);
        let mut status_stmt = self.tx.prepare_cached(
            "INSERT OR IGNORE INTO csaf_product_status (document_id, vuln_id, product_id, status)
             VALUES (?1, ?2, ?3, ?4)",
        )?;
        for v in &doc.vulnerabilities {
            if let Some(info) = &v.csaf {
                for (status, ids) in &info.product_status {
                    for pid in ids {
                        status_stmt.execute(params![doc_id, v.id, pid, status])?;
                    }
                }
            }
        }
        drop(status_stmt);
        for v in &doc.vulnerabilities {
            // The document decided replacement as a whole, so write each
            // vulnerability unconditionally.
            let prepared = PreparedVuln::new(v.clone())?;
            self.write_vuln(&prepared)?;
        }
        Ok(outcome)
    }

    fn delete_csaf(&self, doc_id: i64, tracking_id: &str) -> Result<()> {
        self.tx
            .prepare_cached("DELETE FROM csaf_products WHERE document_id = ?1")?
            .execute([doc_id])?;
        self.tx
            .prepare_cached("DELETE FROM csaf_product_status WHERE document_id = ?1")?
            .execute([doc_id])?;
        let ids: Vec<i64> = self
            .tx
            .prepare_cached(
                "SELECT id FROM records WHERE source_kind = 'csaf' AND source_name = ?1",
            )?
            .query_map([tracking_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for id in ids {
            self.delete_record_children(id)?;
            self.tx
                .prepare_cached("DELETE FROM records WHERE id = ?1")?
                .execute([id])?;
        }
        Ok(())
    }
}

impl IntelSink for Import<'_> {
    fn put_vuln(&mut self, vuln: PreparedVuln) -> Result<Outcome> {
        let outcome = self.write_vuln(&vuln)?;
        self.counts.add(outcome);
        Ok(outcome)
    }

    fn put_kev(&mut self, e: &KevEntry) -> Result<Outcome> {
        let json = serde_json::to_string(e).map_err(|source| StoreError::Encode {
            what: e.cve_id.clone(),
            source,
        })?;
        let stored: Option<String> = self
            .tx
            .prepare_cached("SELECT data FROM kev WHERE cve_id = ?1")?
            .query_row([&e.cve_id], |r| r.get(0))
            .optional()?;
        let outcome = match stored {
            Some(s) if s == json => Outcome::Unchanged,
            Some(_) => Outcome::Updated,
            None => Outcome::Inserted,
        };
        if outcome != Outcome::Unchanged {
            self.tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO kev (cve_id, date_added, due_date, ransomware,
                     import_id, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?
                .execute(params![
                    e.cve_id,
                    e.date_added,
                    e.due_date,
                    e.known_ransomware_campaign_use,
                    self.import_id,
                    json
                ])?;
            self.newest.note("kev", Some(&e.date_added));
        }
        self.counts.add(outcome);
        Ok(outcome)
    }

    fn put_epss(&mut self, s: &EpssScore) -> Result<Outcome> {
        let stored: Option<(f64, f64, Option<String>)> = self
            .tx
            .prepare_cached("SELECT epss, percentile, score_date FROM epss WHERE cve_id = ?1")?
            .query_row([&s.cve_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        let outcome = match stored {
            None => Outcome::Inserted,
            Some((_, _, Some(date))) if s.score_date.as_ref().is_some_and(|d| *d < date) => {
                Outcome::Stale
            }
            Some((e, p, date)) if e == s.epss && p == s.percentile && date == s.score_date => {
                Outcome::Unchanged
            }
            Some(_) => Outcome::Updated,
        };
        if matches!(outcome, Outcome::Inserted | Outcome::Updated) {
            self.tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO epss (cve_id, epss, percentile, model_version, score_date)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![s.cve_id, s.epss, s.percentile, s.model_version, s.score_date])?;
            self.newest.note("epss", s.score_date.as_deref());
        }
        self.counts.add(outcome);
        Ok(outcome)
    }

    fn put_csaf(&mut self, doc: &CsafDocument) -> Result<Outcome> {
        let outcome = self.write_csaf(doc)?;
        self.counts.add(outcome);
        Ok(outcome)
    }

    fn put_name_mappings(&mut self, set: &NameMappingSet) -> Result<Outcome> {
        self.write_name_mappings(set)
    }

    fn skipped(&mut self) {
        self.counts.skipped += 1;
    }
}

/// Decides whether an incoming version replaces the stored one. `None` means
/// write it; otherwise the outcome that leaves the store untouched.
fn decide(
    stored_lm: Option<&str>,
    stored_hash: i64,
    incoming_lm: Option<&str>,
    incoming_hash: i64,
) -> Option<Outcome> {
    if stored_hash == incoming_hash {
        return Some(Outcome::Unchanged);
    }
    match (stored_lm, incoming_lm) {
        (Some(s), Some(i)) if i < s => Some(Outcome::Stale),
        (Some(_), None) => Some(Outcome::Stale),
        _ => None,
    }
}

/// The text the full-text index holds for a record: its English
/// descriptions and its title.
pub(crate) fn english_text(rec: &VulnRecord) -> String {
    let mut parts: Vec<&str> = rec
        .descriptions
        .iter()
        .filter(|d| d.lang == "en" || d.lang.starts_with("en-") || d.lang.starts_with("en_"))
        .map(|d| d.value.as_str())
        .collect();
    if let Some(t) = &rec.title {
        parts.push(t);
    }
    parts.join("\n")
}

/// (vendor, product) → part (a/o/h) of the first criterion naming it, for
/// every product named anywhere in the record; no screens yet.
pub(crate) fn cpe_keys(rec: &VulnRecord) -> BTreeMap<(String, String), CpeKey> {
    cpe_products(rec)
        .into_iter()
        .fold(BTreeMap::new(), |mut m, (p, v, n)| {
            m.entry((v.to_string(), n.to_string()))
                .or_insert_with(|| CpeKey {
                    part: p.to_string(),
                    screen: None,
                });
            m
        })
}

/// Distinct (part, vendor, product) named anywhere in the record.
fn cpe_products(rec: &VulnRecord) -> BTreeSet<(&str, &str, &str)> {
    let criteria = rec
        .configurations
        .iter()
        .flat_map(|c| &c.nodes)
        .flat_map(|n| &n.cpe_match)
        .map(|m| m.criteria.as_str())
        .chain(rec.cpes.iter().map(String::as_str))
        .chain(
            rec.affected
                .iter()
                .flat_map(|a| a.cpes.iter().map(String::as_str)),
        );
    criteria
        .filter_map(kensa_model::cpe::vendor_product)
        .collect()
}

/// Indexes the names of the CVE 5 records stored before `affected_names`
/// existed.
pub(crate) fn backfill_affected_names(tx: &rusqlite::Transaction<'_>) -> Result<()> {
    let mut insert = tx.prepare(
        "INSERT OR IGNORE INTO affected_names (product, vendor, record_id) VALUES (?1, ?2, ?3)",
    )?;
    each_stored_record(tx, "WHERE source_kind LIKE 'cve5%'", |id, rec| {
        for (product, vendor) in affected_names(&rec) {
            insert.execute(params![product, vendor, id])?;
        }
        Ok(())
    })
}

/// Decodes every stored record the `filter` (a WHERE clause, or empty)
/// selects, with its row id: how a migration fills a new derived table.
pub(crate) fn each_stored_record(
    tx: &rusqlite::Transaction<'_>,
    filter: &str,
    mut f: impl FnMut(i64, VulnRecord) -> Result<()>,
) -> Result<()> {
    let mut read = tx.prepare(&format!("SELECT id, vuln_id, data FROM records {filter}"))?;
    let mut rows = read.query([])?;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let blob = r.get_ref(2)?.as_blob().map_err(rusqlite::Error::from)?;
        let rec: VulnRecord =
            crate::blob::decode(blob, || r.get::<_, String>(1).unwrap_or_default())?;
        f(id, rec)?;
    }
    Ok(())
}

/// (product, vendor) of the CVE 5 `affected` entries that name no CPE,
/// normalised; placeholders such as `n/a` are not names.
fn affected_names(rec: &VulnRecord) -> BTreeSet<(String, String)> {
    use kensa_model::names::normalize;
    let placeholder = |s: &str| matches!(s, "" | "n_a" | "na" | "unknown" | "none");
    rec.affected
        .iter()
        .filter(|a| a.cpes.is_empty())
        .filter_map(|a| {
            let product = normalize(a.product.as_deref()?);
            let vendor = normalize(a.vendor.as_deref()?);
            (!placeholder(&product) && !placeholder(&vendor)).then_some((product, vendor))
        })
        .collect()
}

/// Distinct (ecosystem, name) packages the record names.
fn packages(rec: &VulnRecord) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for a in &rec.osv_affected {
        if let (Some(e), Some(n)) = (&a.ecosystem, &a.name) {
            out.insert((e.clone(), n.clone()));
        }
    }
    for a in &rec.affected {
        if let Some(n) = &a.package_name {
            let eco = a.collection_url.clone().unwrap_or_default();
            out.insert((eco, n.clone()));
        }
    }
    out
}

pub(crate) fn now() -> String {
    after(std::time::Duration::ZERO)
}

/// [`now`] plus `delay`, in the same fixed-width form (so that times
/// compare as text).
pub(crate) fn after(delay: std::time::Duration) -> String {
    let delay = chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::days(3650));
    (chrono::Utc::now() + delay).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newer_replaces_older_is_stale_same_is_unchanged() {
        let t1 = Some("2020-01-01T00:00:00.000Z");
        let t2 = Some("2021-01-01T00:00:00.000Z");
        assert_eq!(decide(t1, 1, t1, 1), Some(Outcome::Unchanged));
        assert_eq!(decide(t2, 1, t1, 2), Some(Outcome::Stale));
        assert_eq!(decide(t1, 1, t2, 2), None);
        // Same date but different content: the incoming copy wins.
        assert_eq!(decide(t1, 1, t1, 2), None);
        assert_eq!(decide(t1, 1, None, 2), Some(Outcome::Stale));
    }
}
