//! The portfolio's backlog: every vulnerability with findings, triaged
//! once with the default profile and kept in `vuln_triage`, so that a
//! queue of hundreds of thousands of findings is ranked by an index
//! instead of by triaging and sorting it on every request.

use std::collections::HashMap;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::portfolio::encode;
use crate::sql::{self, Db, Ty, Value};
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
        Ok(self
            .team_conn(|db| sql::meta(db, TRIAGE_CURSOR))?
            .and_then(|v| v.parse().ok()))
    }

    /// Distinct vulnerabilities with findings in the portfolio, with one
    /// finding body each (which carries the vulnerability's aliases);
    /// `only_untriaged` keeps those without stored triage.
    pub fn finding_vulns<F: DeserializeOwned>(
        &self,
        only_untriaged: bool,
    ) -> Result<Vec<(String, F)>> {
        // The body of the lowest component id: any one would do, and this
        // one is the same on both backends.
        let untriaged = if only_untriaged {
            "WHERE NOT EXISTS (SELECT 1 FROM vuln_triage t WHERE t.vuln_id = cf.vuln_id)"
        } else {
            ""
        };
        let sql = format!(
            "SELECT cf.vuln_id, cf.data FROM component_findings cf
             JOIN (SELECT vuln_id, min(component_id) AS component_id FROM component_findings
                   GROUP BY vuln_id) f
               ON f.vuln_id = cf.vuln_id AND f.component_id = cf.component_id
             {untriaged} ORDER BY cf.vuln_id"
        );
        self.team_conn(|db| {
            db.query(&sql, &[])?
                .iter()
                .map(|r| {
                    let id: String = r.get(0)?;
                    let blob: Vec<u8> = r.get(1)?;
                    let body = crate::blob::decode(&blob, || format!("finding on {id}"))?;
                    Ok((id, body))
                })
                .collect()
        })
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
        self.team_transaction(|db| {
            if replace_all {
                db.execute("DELETE FROM vuln_triage", &[])?;
            }
            // One row per vulnerability (the last given): a statement may
            // not write the same row twice.
            let last: HashMap<&str, usize> = rows
                .iter()
                .enumerate()
                .map(|(i, r)| (r.vuln_id, i))
                .collect();
            let unique: Vec<&TriageRow<'_, T>> = rows
                .iter()
                .enumerate()
                .filter(|(i, r)| last[r.vuln_id] == *i)
                .map(|(_, r)| r)
                .collect();
            for chunk in unique.chunks(sql::BATCH_ROWS) {
                let mut values = Vec::with_capacity(chunk.len() * 5);
                for r in chunk {
                    values.extend([
                        Value::Text(r.vuln_id.to_string()),
                        Value::Int(i64::from(r.priority)),
                        Value::Text(r.decision.to_string()),
                        Value::Int(i64::from(r.kev)),
                        Value::Blob(encode(r.body, &format!("triage of {}", r.vuln_id))?),
                    ]);
                }
                let sql = format!(
                    "INSERT INTO vuln_triage (vuln_id, priority, decision, kev, data) VALUES {}
                     ON CONFLICT (vuln_id) DO UPDATE SET priority = excluded.priority,
                         decision = excluded.decision, kev = excluded.kev, data = excluded.data",
                    sql::values_rows(
                        db,
                        chunk.len(),
                        &[Ty::Text, Ty::Int, Ty::Text, Ty::Int, Ty::Blob]
                    )
                );
                db.execute(&sql, &sql::params(&values))?;
            }
            sql::set_meta(db, TRIAGE_CURSOR, &through_import.to_string())
        })
    }

    /// The stored triage of these vulnerabilities (those that have one).
    pub fn stored_triage<T: DeserializeOwned>(
        &self,
        vuln_ids: &[&str],
    ) -> Result<HashMap<String, T>> {
        let list = serde_json::to_string(vuln_ids).unwrap_or_default();
        self.team_conn(|db| {
            let sql = format!(
                "SELECT vuln_id, data FROM vuln_triage WHERE vuln_id IN ({})",
                sql::text_list(db, 1)
            );
            db.query(&sql, &[&list])?
                .iter()
                .map(|r| {
                    let id: String = r.get(0)?;
                    let blob: Vec<u8> = r.get(1)?;
                    let triage = crate::blob::decode(&blob, || format!("triage of {id}"))?;
                    Ok((id, triage))
                })
                .collect()
        })
    }

    /// One page of the backlog, most urgent first.
    pub fn queue_page<C: DeserializeOwned, T: DeserializeOwned>(
        &self,
        q: &QueueQuery,
    ) -> Result<Vec<QueueRow<C, T>>> {
        let products = q
            .products
            .as_ref()
            .map(|p| serde_json::to_string(p).unwrap_or_default());
        let decisions = (!q.decisions.is_empty())
            .then(|| serde_json::to_string(&q.decisions).unwrap_or_default());
        let after = q.after.as_ref();
        let few_products = q
            .products
            .as_ref()
            .is_some_and(|p| p.len() <= PRODUCT_DRIVEN_MAX);
        self.team_conn(|db| {
            let sql = queue_sql(db, few_products);
            let rows = db.query(
                &sql,
                &[
                    &i64::from(q.min_priority),
                    &products,
                    &decisions,
                    &i64::from(q.kev_only),
                    &q.vuln,
                    &after.map(|a| i64::from(a.priority)),
                    &after.map(|a| a.vuln_id.as_str()),
                    &after.map(|a| a.product.as_str()),
                    &after.map(|a| a.component_id),
                    &(q.limit as i64),
                ],
            )?;
            rows.iter().map(queue_row).collect()
        })
    }

    /// Finding counts of each product's newest version.
    pub fn finding_counts(&self, product_ids: &[i64]) -> Result<HashMap<i64, FindingCounts>> {
        let ids = serde_json::to_string(product_ids).unwrap_or_default();
        let mut out: HashMap<i64, FindingCounts> = product_ids
            .iter()
            .map(|&id| (id, FindingCounts::default()))
            .collect();
        self.team_conn(|db| {
            let band = |cond: &str| {
                format!("CAST(coalesce(sum(CASE WHEN {cond} THEN 1 ELSE 0 END), 0) AS BIGINT)")
            };
            // One pass, by product and decision: a vulnerability has one
            // decision, so distinct counts per group add up per product.
            let sql = format!(
                "WITH latest AS (SELECT max(id) AS vid, product_id FROM product_versions
                                 WHERE product_id IN ({}) GROUP BY product_id)
                 SELECT l.product_id, t.decision, count(*), count(DISTINCT cf.vuln_id),
                        {}, {}, {}, {}, {}
                 FROM latest l JOIN product_components pc ON pc.version_id = l.vid
                 JOIN component_findings cf ON cf.component_id = pc.component_id
                 LEFT JOIN vuln_triage t ON t.vuln_id = cf.vuln_id
                 GROUP BY l.product_id, t.decision",
                sql::int_list(db, 1),
                band("t.priority >= 80"),
                band("t.priority >= 60 AND t.priority < 80"),
                band("t.priority >= 40 AND t.priority < 60"),
                band("t.priority IS NULL OR t.priority < 40"),
                band("t.kev = 1"),
            );
            for r in db.query(&sql, &[&ids])? {
                let c = out.entry(r.get(0)?).or_default();
                let n = |i: usize| r.get::<i64>(i).map(|v| v as u64);
                c.findings += n(2)?;
                c.vulnerabilities += n(3)?;
                c.critical += n(4)?;
                c.high += n(5)?;
                c.medium += n(6)?;
                c.low += n(7)?;
                c.kev += n(8)?;
                if let Some(decision) = r.get::<Option<String>>(1)? {
                    *c.decisions.entry(decision).or_default() += n(2)?;
                }
            }
            let sql = format!(
                "SELECT product_id, status, count(*) FROM assessments
                 WHERE product_id IN ({}) GROUP BY product_id, status",
                sql::int_list(db, 1)
            );
            for r in db.query(&sql, &[&ids])? {
                let c = out.entry(r.get(0)?).or_default();
                c.verdicts.insert(r.get(1)?, r.get::<i64>(2)? as u64);
            }
            Ok(())
        })?;
        Ok(out)
    }
}

/// The queue's statement: few products are gathered product by product and
/// sorted; many are read in priority order from the triage index until the
/// page is full. Both give the same rows.
fn queue_sql(db: &dyn Db, few_products: bool) -> String {
    let join = sql::join_in_order(db);
    let from = if few_products {
        format!(
            "latest l {join} product_components pc ON pc.version_id = l.vid
             {join} component_findings cf ON cf.component_id = pc.component_id
             {join} vuln_triage t ON t.vuln_id = cf.vuln_id"
        )
    } else {
        format!(
            "vuln_triage t {join} component_findings cf ON cf.vuln_id = t.vuln_id
             {join} product_components pc ON pc.component_id = cf.component_id
             {join} latest l ON l.vid = pc.version_id"
        )
    };
    format!(
        "WITH latest AS (SELECT max(id) AS vid, product_id FROM product_versions GROUP BY product_id)
         SELECT t.priority, t.vuln_id, p.name, cf.component_id, p.id, v.version, c.data,
                t.decision, t.kev, t.data
         FROM {from}
         JOIN products p ON p.id = l.product_id
         JOIN product_versions v ON v.id = l.vid
         JOIN components c ON c.id = cf.component_id
         WHERE t.priority >= ?1
           AND (CAST(?2 AS TEXT) IS NULL OR l.product_id IN ({products}))
           AND (CAST(?3 AS TEXT) IS NULL OR lower(t.decision) IN (SELECT lower(value) FROM ({decisions}) d))
           AND (CAST(?4 AS BIGINT) = 0 OR t.kev = 1)
           AND (CAST(?5 AS TEXT) IS NULL OR t.vuln_id = ?5)
           AND (CAST(?6 AS BIGINT) IS NULL OR t.priority < ?6 OR (t.priority = ?6 AND (t.vuln_id > ?7
                OR (t.vuln_id = ?7 AND (p.name > ?8 OR (p.name = ?8 AND cf.component_id > ?9))))))
         ORDER BY t.priority DESC, t.vuln_id, p.name, cf.component_id
         LIMIT ?10",
        products = sql::int_list(db, 2),
        decisions = sql::text_list(db, 3),
    )
}

fn queue_row<C: DeserializeOwned, T: DeserializeOwned>(r: &sql::Row) -> Result<QueueRow<C, T>> {
    let key = QueueKey {
        priority: u8::try_from(r.get::<i64>(0)?).unwrap_or(u8::MAX),
        vuln_id: r.get(1)?,
        product: r.get(2)?,
        component_id: r.get(3)?,
    };
    let component: Vec<u8> = r.get(6)?;
    let triage: Vec<u8> = r.get(9)?;
    Ok(QueueRow {
        product_id: r.get(4)?,
        version: r.get(5)?,
        component: crate::blob::decode(&component, || format!("component {}", key.component_id))?,
        decision: r.get(7)?,
        kev: r.get(8)?,
        triage: crate::blob::decode(&triage, || format!("triage of {}", key.vuln_id))?,
        key,
    })
}
