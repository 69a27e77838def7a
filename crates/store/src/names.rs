//! The product dictionary: every CPE vendor/product pair the records name,
//! keyed by the normalised product name components resolve by, with the
//! number of records naming it.
//!
//! Derived from `cpe_index` and rebuilt after imports, on first use (a scan
//! or a rescan), not inside the import: an import stays as fast as its
//! records allow, and a scan looks up only the names its components carry,
//! so its cost does not grow with the size of the database.

use rusqlite::{OptionalExtension, params};

use crate::{CpeProduct, Result, Store};

/// `meta` key: the last import the dictionary reflects.
const BUILT_THROUGH: &str = "product_names.built_through_import";

impl Store {
    /// Rebuilds the dictionary when an import committed since it was
    /// built. Returns whether it rebuilt. Fails on a read-only database
    /// whose dictionary is stale (see [`Store::product_names_fresh`]).
    pub fn refresh_product_names(&self) -> Result<bool> {
        if self.product_names_fresh()? {
            return Ok(false);
        }
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        let rebuilt = self.rebuild_product_names();
        match rebuilt {
            Ok(done) => {
                self.conn.execute_batch("COMMIT")?;
                Ok(done)
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }

    /// True when the dictionary reflects every committed import.
    pub fn product_names_fresh(&self) -> Result<bool> {
        Ok(self.built_through()? == self.last_import()?)
    }

    fn last_import(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT coalesce(max(id), 0) FROM imports", [], |r| r.get(0))?)
    }

    fn built_through(&self) -> Result<i64> {
        let v: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = ?1",
                [BUILT_THROUGH],
                |r| r.get(0),
            )
            .optional()?;
        Ok(v.and_then(|v| v.parse().ok()).unwrap_or(-1))
    }

    /// Inside the caller's write transaction; another process may have
    /// rebuilt it while this one waited for the lock.
    fn rebuild_product_names(&self) -> Result<bool> {
        if self.product_names_fresh()? {
            return Ok(false);
        }
        let through = self.last_import()?;
        self.conn.execute("DELETE FROM product_names", [])?;
        let mut read = self.conn.prepare(
            "SELECT vendor, product, min(part), count(*) FROM cpe_index GROUP BY vendor, product",
        )?;
        let mut insert = self.conn.prepare(
            "INSERT INTO product_names (name, vendor, product, part, records, vendor_key)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        let mut rows = read.query([])?;
        while let Some(r) = rows.next()? {
            let vendor = r.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
            let product = r.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?;
            let part = r.get_ref(2)?.as_str().map_err(rusqlite::Error::from)?;
            let records: i64 = r.get(3)?;
            let name = kensa_model::names::normalize(product);
            let vendor_key = kensa_model::names::normalize(vendor).replace('_', "");
            insert.execute(params![name, vendor, product, part, records, vendor_key])?;
        }
        self.conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
            params![BUILT_THROUGH, through.to_string()],
        )?;
        Ok(true)
    }

    /// The vendor/product pairs whose product normalises to `name`
    /// ([`kensa_model::names::normalize`]), most records first.
    pub fn products_named(&self, name: &str) -> Result<Vec<CpeProduct>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT vendor, product, part, records FROM product_names WHERE name = ?1
             ORDER BY records DESC, vendor",
        )?;
        let rows = stmt
            .query_map([name], CpeProduct::from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The dictionary's products whose normalised name starts with
    /// `prefix`, with that name; most records first, at most `limit`.
    /// What an unresolved component's nearest candidates are drawn from.
    pub fn products_starting(
        &self,
        prefix: &str,
        limit: usize,
    ) -> Result<Vec<(String, CpeProduct)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT vendor, product, part, records, name FROM product_names
             WHERE name >= ?1 AND name < ?2 ORDER BY records DESC, name, vendor LIMIT ?3",
        )?;
        // Every name with the prefix sorts below the prefix followed by the
        // highest code point.
        let end = format!("{prefix}\u{10FFFF}");
        let rows = stmt
            .query_map(params![prefix, end, limit as i64], |r| {
                Ok((r.get::<_, String>(4)?, CpeProduct::from_row(r)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The products of the vendors whose normalised name without separators
    /// is `key` (`rockwellautomation`).
    pub fn products_of_vendor(&self, key: &str) -> Result<Vec<CpeProduct>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT vendor, product, part, records FROM product_names WHERE vendor_key = ?1
             ORDER BY vendor, product",
        )?;
        let rows = stmt
            .query_map([key], CpeProduct::from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}
