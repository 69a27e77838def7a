//! Name-mapping feeds: which CPE product a build system's or distribution's
//! package name is, as public sources state it (see `kensa_intel::mappings`).
//!
//! Each import of a source replaces that source's set whole, so a mapping
//! the source dropped disappears; `name_mapping_sources` says which file
//! and import each source's set came from, and under which licence.

use std::collections::{BTreeMap, BTreeSet};

use kensa_model::NameMappingSet;
use kensa_model::names::normalize;
use rusqlite::params;
use serde::Serialize;

use crate::write::{Import, Outcome, now};
use crate::{Result, Store};

/// One mapping that names a component, with its source's facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NameMappingRow {
    /// `openembedded`, `buildroot`.
    pub source: String,
    pub title: String,
    pub licence: String,
    /// The package name as the source writes it.
    pub package: String,
    /// `None`: every vendor of the product.
    pub vendor: Option<String>,
    pub product: String,
    /// Where the source states it (a recipe file).
    pub origin: String,
}

/// One imported source.
#[derive(Debug, Clone, Serialize)]
pub struct MappingSource {
    pub source: String,
    pub title: String,
    pub licence: String,
    /// The file (or URL) the set was imported from.
    pub file: String,
    pub mappings: u64,
    pub imported_at: String,
}

impl Import<'_> {
    /// Replaces the source's set. Counts one item per package name:
    /// inserted (new name), updated (its products changed, or the new set
    /// no longer names it), unchanged.
    pub(crate) fn write_name_mappings(&mut self, set: &NameMappingSet) -> Result<Outcome> {
        type Targets = BTreeSet<(String, String)>;
        let mut old: BTreeMap<String, Targets> = BTreeMap::new();
        {
            let mut stmt = self
                .tx
                .prepare("SELECT name, vendor, product FROM name_mappings WHERE source = ?1")?;
            let mut rows = stmt.query([&set.source])?;
            while let Some(r) = rows.next()? {
                old.entry(r.get(0)?)
                    .or_default()
                    .insert((r.get(1)?, r.get(2)?));
            }
        }
        let mut new: BTreeMap<String, Targets> = BTreeMap::new();
        self.tx
            .execute("DELETE FROM name_mappings WHERE source = ?1", [&set.source])?;
        let mut insert = self.tx.prepare(
            "INSERT OR IGNORE INTO name_mappings (name, source, vendor, product, package, origin)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for m in &set.mappings {
            let name = normalize(&m.name);
            let vendor = m.vendor.clone().unwrap_or_default();
            insert.execute(params![
                name, set.source, vendor, m.product, m.name, m.origin
            ])?;
            new.entry(name)
                .or_default()
                .insert((vendor, m.product.clone()));
        }
        drop(insert);
        let mut outcome = Outcome::Unchanged;
        for (name, targets) in &new {
            let o = match old.get(name) {
                None => Outcome::Inserted,
                Some(t) if t == targets => Outcome::Unchanged,
                Some(_) => Outcome::Updated,
            };
            if o != Outcome::Unchanged {
                outcome = Outcome::Updated;
            }
            self.counts.add(o);
        }
        let dropped = old.keys().filter(|n| !new.contains_key(*n)).count();
        for _ in 0..dropped {
            self.counts.add(Outcome::Updated);
            outcome = Outcome::Updated;
        }
        if old.is_empty() {
            outcome = Outcome::Inserted;
        }
        let file: String = self.tx.query_row(
            "SELECT origin FROM imports WHERE id = ?1",
            [self.import_id],
            |r| r.get(0),
        )?;
        self.tx.execute(
            "INSERT OR REPLACE INTO name_mapping_sources
                 (source, title, licence, file, import_id, mappings, imported_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                set.source,
                set.title,
                set.licence,
                file,
                self.import_id,
                set.mappings.len() as i64,
                now()
            ],
        )?;
        Ok(outcome)
    }
}

impl Store {
    /// The mappings of a normalised package name, every source's.
    pub fn name_mappings(&self, name: &str) -> Result<Vec<NameMappingRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT m.source, s.title, s.licence, m.package, m.vendor, m.product, m.origin
             FROM name_mappings m JOIN name_mapping_sources s ON s.source = m.source
             WHERE m.name = ?1 ORDER BY m.source, m.vendor, m.product",
        )?;
        let rows = stmt.query_map([name], |r| {
            let vendor: String = r.get(4)?;
            Ok(NameMappingRow {
                source: r.get(0)?,
                title: r.get(1)?,
                licence: r.get(2)?,
                package: r.get(3)?,
                vendor: (!vendor.is_empty()).then_some(vendor),
                product: r.get(5)?,
                origin: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every imported name-mapping source.
    pub fn name_mapping_sources(&self) -> Result<Vec<MappingSource>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT source, title, licence, file, mappings, imported_at
             FROM name_mapping_sources ORDER BY source",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(MappingSource {
                source: r.get(0)?,
                title: r.get(1)?,
                licence: r.get(2)?,
                file: r.get(3)?,
                mappings: r.get::<_, i64>(4)? as u64,
                imported_at: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Whether an import after `import_id` replaced a name-mapping set.
    pub(crate) fn name_mappings_changed_after(&self, import_id: i64) -> Result<bool> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM name_mapping_sources WHERE import_id > ?1)",
            [import_id],
            |r| r.get(0),
        )?)
    }
}
