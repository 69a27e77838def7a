//! The portfolio's backlog: every vulnerability with findings, triaged
//! once with the default profile and kept in `vuln_triage`, so that a
//! queue of hundreds of thousands of findings is ranked by an index
//! instead of by triaging and sorting it on every request.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{Result, Store};

/// The triage of one vulnerability, to store.
pub struct TriageRow<'a, T: Serialize> {
    pub vuln_id: &'a str,
    pub priority: u8,
    pub decision: &'a str,
    pub kev: bool,
    pub body: &'a T,
}

/// Which findings a queue page holds.
#[derive(Debug, Clone, Default)]
pub struct QueueQuery {
    /// Only these products (ids); `None`: every product.
    pub products: Option<Vec<i64>>,
    pub min_priority: u8,
    /// Only these SSVC decisions (case-insensitive); empty: all.
    pub decisions: Vec<String>,
    /// Only known-exploited vulnerabilities.
    pub kev_only: bool,
    /// Only this vulnerability.
    pub vuln: Option<String>,
    /// Continue after this row.
    pub after: Option<QueueKey>,
    pub limit: usize,
}

/// Where a row sits in the queue's order: priority (highest first), then
/// vulnerability, product and component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueKey {
    pub priority: u8,
    pub vuln_id: String,
    pub product: String,
    pub component_id: i64,
}

/// One finding of one product's newest version, with its triage.
pub struct QueueRow<C, T> {
    pub key: QueueKey,
    pub product_id: i64,
    pub version: String,
    pub component: C,
    pub decision: String,
    pub kev: bool,
    pub triage: T,
}

/// A product's findings counted the ways a dashboard shows them.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct FindingCounts {
    pub findings: u64,
    pub vulnerabilities: u64,
    /// Findings by priority band: critical ≥ 80, high ≥ 60, medium ≥ 40, low.
    pub critical: u64,
    pub high: u64,
    pub medium: u64,
    pub low: u64,
    /// Findings on known-exploited vulnerabilities.
    pub kev: u64,
    /// Findings by SSVC decision.
    pub decisions: std::collections::BTreeMap<String, u64>,
    /// Assessed vulnerabilities by verdict.
    pub verdicts: std::collections::BTreeMap<String, u64>,
}

const TRIAGE_CURSOR: &str = "triage.through_import";

/// Below this many products a queue is gathered product by product and
/// sorted; above, it is read in priority order from the triage index until
/// the page is full.
const PRODUCT_DRIVEN_MAX: usize = 64;

impl Store {
    /// The import the stored triage reflects; `None` before the first.
    pub fn triage_cursor(&self) -> Result<Option<i64>> {
        Ok(self.meta(TRIAGE_CURSOR)?.and_then(|v| v.parse().ok()))
    }

    /// Distinct vulnerabilities with findings in the portfolio, with one
    /// finding body each (which carries the vulnerability's aliases);
    /// `only_untriaged` keeps those without stored triage.
    pub fn finding_vulns<F: DeserializeOwned>(
        &self,
        only_untriaged: bool,
    ) -> Result<Vec<(String, F)>> {
        let sql = if only_untriaged {
            "SELECT cf.vuln_id, cf.data FROM component_findings cf
             WHERE NOT EXISTS (SELECT 1 FROM vuln_triage t WHERE t.vuln_id = cf.vuln_id)
             GROUP BY cf.vuln_id"
        } else {
            "SELECT vuln_id, data FROM component_findings GROUP BY vuln_id"
        };
        let mut stmt = self.conn.prepare(sql)?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let blob = r.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)?;
            let body = crate::blob::decode(blob, || format!("finding on {id}"))?;
            out.push((id, body));
        }
        Ok(out)
    }

    /// Stores triage rows; `replace_all` first drops every stored one (a
    /// full refresh after new intelligence). Moves the triage cursor to
    /// `through_import`.
    pub fn store_triage<T: Serialize>(
        &mut self,
        rows: &[TriageRow<'_, T>],
        replace_all: bool,
        through_import: i64,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        if replace_all {
            tx.execute("DELETE FROM vuln_triage", [])?;
        }
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR REPLACE INTO vuln_triage (vuln_id, priority, decision, kev, data)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for r in rows {
                let body =
                    serde_json::to_vec(r.body).map_err(|source| crate::StoreError::Encode {
                        what: format!("triage of {}", r.vuln_id),
                        source,
                    })?;
                insert.execute(params![
                    r.vuln_id,
                    r.priority,
                    r.decision,
                    r.kev,
                    crate::blob::compress(&body)
                ])?;
            }
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![TRIAGE_CURSOR, through_import.to_string()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The stored triage of these vulnerabilities (those that have one).
    pub fn stored_triage<T: DeserializeOwned>(
        &self,
        vuln_ids: &[&str],
    ) -> Result<HashMap<String, T>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT data FROM vuln_triage WHERE vuln_id = ?1")?;
        let mut out = HashMap::new();
        for id in vuln_ids {
            if out.contains_key(*id) {
                continue;
            }
            let blob: Option<Vec<u8>> = stmt.query_row([id], |r| r.get(0)).optional()?;
            if let Some(blob) = blob {
                out.insert(
                    id.to_string(),
                    crate::blob::decode(&blob, || format!("triage of {id}"))?,
                );
            }
        }
        Ok(out)
    }

    /// One page of the backlog, most urgent first.
    pub fn queue_page<C: DeserializeOwned, T: DeserializeOwned>(
        &self,
        q: &QueueQuery,
    ) -> Result<Vec<QueueRow<C, T>>> {
        let few_products = q
            .products
            .as_ref()
            .is_some_and(|p| p.len() <= PRODUCT_DRIVEN_MAX);
        // Both orders give the same rows; CROSS JOIN fixes SQLite's join
        // order so the LIMIT can stop the priority-ordered walk early.
        let from = if few_products {
            "latest l CROSS JOIN product_components pc ON pc.version_id = l.vid
             CROSS JOIN component_findings cf ON cf.component_id = pc.component_id
             CROSS JOIN vuln_triage t ON t.vuln_id = cf.vuln_id"
        } else {
            "vuln_triage t CROSS JOIN component_findings cf ON cf.vuln_id = t.vuln_id
             CROSS JOIN product_components pc ON pc.component_id = cf.component_id
             CROSS JOIN latest l ON l.vid = pc.version_id"
        };
        let sql = format!(
            "WITH latest AS (SELECT max(id) AS vid, product_id FROM product_versions GROUP BY product_id)
             SELECT t.priority, t.vuln_id, p.name, cf.component_id, p.id, v.version, c.data,
                    t.decision, t.kev, t.data
             FROM {from}
             JOIN products p ON p.id = l.product_id
             JOIN product_versions v ON v.id = l.vid
             JOIN components c ON c.id = cf.component_id
             WHERE t.priority >= ?1
               AND (?2 IS NULL OR l.product_id IN (SELECT value FROM json_each(?2)))
               AND (?3 IS NULL OR lower(t.decision) IN (SELECT lower(value) FROM json_each(?3)))
               AND (?4 = 0 OR t.kev = 1)
               AND (?5 IS NULL OR t.vuln_id = ?5)
               AND (?6 IS NULL OR t.priority < ?6 OR (t.priority = ?6 AND (t.vuln_id > ?7
                    OR (t.vuln_id = ?7 AND (p.name > ?8 OR (p.name = ?8 AND cf.component_id > ?9))))))
             ORDER BY t.priority DESC, t.vuln_id, p.name, cf.component_id
             LIMIT ?10"
        );
        let products = q
            .products
            .as_ref()
            .map(|p| serde_json::to_string(p).unwrap_or_default());
        let decisions = (!q.decisions.is_empty())
            .then(|| serde_json::to_string(&q.decisions).unwrap_or_default());
        let after = q.after.as_ref();
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(params![
            q.min_priority,
            products,
            decisions,
            q.kev_only,
            q.vuln,
            after.map(|a| a.priority),
            after.map(|a| a.vuln_id.as_str()),
            after.map(|a| a.product.as_str()),
            after.map(|a| a.component_id),
            q.limit as i64,
        ])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let key = QueueKey {
                priority: r.get(0)?,
                vuln_id: r.get(1)?,
                product: r.get(2)?,
                component_id: r.get(3)?,
            };
            let component = crate::blob::decode(
                r.get_ref(6)?.as_blob().map_err(rusqlite::Error::from)?,
                || format!("component {}", key.component_id),
            )?;
            let triage = crate::blob::decode(
                r.get_ref(9)?.as_blob().map_err(rusqlite::Error::from)?,
                || format!("triage of {}", key.vuln_id),
            )?;
            out.push(QueueRow {
                product_id: r.get(4)?,
                version: r.get(5)?,
                component,
                decision: r.get(7)?,
                kev: r.get(8)?,
                triage,
                key,
            });
        }
        Ok(out)
    }

    /// Finding counts of each product's newest version.
    pub fn finding_counts(&self, product_ids: &[i64]) -> Result<HashMap<i64, FindingCounts>> {
        let ids = serde_json::to_string(product_ids).unwrap_or_default();
        let mut out: HashMap<i64, FindingCounts> = product_ids
            .iter()
            .map(|&id| (id, FindingCounts::default()))
            .collect();
        let latest = "WITH latest AS (SELECT max(id) AS vid, product_id FROM product_versions
                      WHERE product_id IN (SELECT value FROM json_each(?1)) GROUP BY product_id)";
        // One pass, by product and decision: a vulnerability has one
        // decision, so distinct counts per group add up per product.
        let mut stmt = self.conn.prepare_cached(&format!(
            "{latest}
             SELECT l.product_id, t.decision, count(*), count(DISTINCT cf.vuln_id),
                    coalesce(sum(t.priority >= 80), 0),
                    coalesce(sum(t.priority >= 60 AND t.priority < 80), 0),
                    coalesce(sum(t.priority >= 40 AND t.priority < 60), 0),
                    coalesce(sum(t.priority IS NULL OR t.priority < 40), 0),
                    coalesce(sum(t.kev), 0)
             FROM latest l JOIN product_components pc ON pc.version_id = l.vid
             JOIN component_findings cf ON cf.component_id = pc.component_id
             LEFT JOIN vuln_triage t ON t.vuln_id = cf.vuln_id
             GROUP BY l.product_id, t.decision"
        ))?;
        let mut rows = stmt.query([&ids])?;
        while let Some(r) = rows.next()? {
            let c = out.entry(r.get(0)?).or_default();
            let n = |i: usize| r.get::<_, i64>(i).map(|v| v as u64);
            c.findings += n(2)?;
            c.vulnerabilities += n(3)?;
            c.critical += n(4)?;
            c.high += n(5)?;
            c.medium += n(6)?;
            c.low += n(7)?;
            c.kev += n(8)?;
            if let Some(decision) = r.get::<_, Option<String>>(1)? {
                *c.decisions.entry(decision).or_default() += n(2)?;
            }
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT product_id, status, count(*) FROM assessments
             WHERE product_id IN (SELECT value FROM json_each(?1)) GROUP BY product_id, status",
        )?;
        let mut rows = stmt.query([&ids])?;
        while let Some(r) = rows.next()? {
            let c = out.entry(r.get(0)?).or_default();
            c.verdicts.insert(r.get(1)?, r.get::<_, i64>(2)? as u64);
        }
        Ok(out)
    }
}
