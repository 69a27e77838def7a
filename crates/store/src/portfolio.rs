//! The portfolio: products, the SBOM of each version, and the findings of
//! their components.
//!
//! Components are stored once however many products contain them (a maker's
//! products share most of their platform), keyed by a fingerprint of what
//! matching reads. Findings belong to components; a product's findings are
//! its components' findings. The store keeps bodies opaque (LZ4 JSON of the
//! caller's types): which findings a component has is the matcher's business.

use std::collections::{BTreeSet, HashMap};

use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::team::AuditEntry;
use crate::{Result, Store, StoreError};

/// A product and its stored versions.
#[derive(Debug, Clone, Serialize)]
pub struct ProductSummary {
    pub name: String,
    pub versions: Vec<VersionSummary>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VersionSummary {
    #[serde(skip)]
    pub id: i64,
    pub version: String,
    pub sbom_origin: String,
    pub sbom_format: String,
    pub added_at: String,
    pub components: u64,
}

/// A product version to store: its SBOM as given, and where it came from.
#[derive(Default)]
pub struct NewVersion<'a> {
    pub product: &'a str,
    pub version: &'a str,
    pub origin: &'a str,
    pub format: &'a str,
    pub sbom: &'a [u8],
    /// The team the product belongs to (set or moved); `None` leaves it.
    pub team: Option<&'a str>,
}

/// One component of a new product version: its place in the SBOM, its
/// identity fingerprint and its body.
pub struct NewComponent<'a, C: Serialize> {
    pub bom_ref: &'a str,
    pub identity: i64,
    pub body: &'a C,
}

/// A stored distinct component, as a rescan sees it.
pub struct StoredComponent<C> {
    pub id: i64,
    pub body: C,
    /// Fingerprint of what it resolved to at its last scan; `None` before
    /// its first scan.
    pub resolution: Option<i64>,
}

/// What one scan of a component produced, to be stored.
pub struct ComponentResult<D: Serialize, F: Serialize> {
    pub id: i64,
    pub resolution: i64,
    /// `findings`, `unversioned` or `unresolved`.
    pub outcome: &'static str,
    pub detail: Option<D>,
    /// (vulnerability id, finding body)
    pub findings: Vec<(String, F)>,
}

/// What changed in the intelligence since an import: the vulnerabilities
/// rewritten, and the products and packages their new records name.
#[derive(Debug, Default)]
pub struct ChangeSet {
    pub through_import: i64,
    pub vulns: BTreeSet<String>,
    pub cpe_pairs: BTreeSet<(String, String)>,
    pub packages: BTreeSet<(String, String)>,
    /// CSAF documents stored or replaced.
    pub csaf_documents: BTreeSet<i64>,
    /// Products (normalised) that CVE 5 `affected` entries without a CPE name.
    pub affected_names: BTreeSet<String>,
    /// A name-mapping feed was imported, or the team's aliases changed:
    /// any component's resolution may have moved.
    pub names_changed: bool,
}

/// One component of a product version with what is stored about it.
pub struct VersionComponent<C, D, F> {
    pub bom_ref: String,
    pub component_id: i64,
    pub body: C,
    pub outcome: Option<String>,
    pub detail: Option<D>,
    pub findings: Vec<F>,
}

impl Store {
    /// Stores a product version with its SBOM and components; creates the
    /// product on first use. Returns the version id and the ids of
    /// components the portfolio did not hold before (to be scanned).
    /// Replacing an existing version requires `replace`.
    pub fn add_product_version<C: Serialize>(
        &mut self,
        new: &NewVersion<'_>,
        components: &[NewComponent<'_, C>],
        replace: bool,
        entry: AuditEntry,
    ) -> Result<(i64, Vec<i64>)> {
        self.audited(entry, |tx, entry| {
            add_version(tx, new, components, replace, entry)
        })
    }

    /// Stores several product versions in one transaction: all of them, or
    /// (on any error, a conflict included) none. Returns, per version, its
    /// id and the components the portfolio did not hold before.
    #[allow(clippy::type_complexity)]
    /// Each version is audited with its own entry, in the same transaction.
    pub fn add_product_versions<C: Serialize>(
        &mut self,
        versions: &[(NewVersion<'_>, Vec<NewComponent<'_, C>>, AuditEntry)],
        replace: bool,
    ) -> Result<Vec<(i64, Vec<i64>)>> {
        self.refuse_split_team_state()?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut out = Vec::with_capacity(versions.len());
        for (new, components, entry) in versions {
            let mut entry = entry.clone();
            out.push(add_version(&tx, new, components, replace, &mut entry)?);
            crate::team::append_audit(&mut crate::sql::SqliteDb(&tx), &entry)?;
        }
        tx.commit()?;
        Ok(out)
    }

    /// Components stored but never matched: a `product add` whose matching
    /// was interrupted (killed, failed) leaves them, and whoever reads the
    /// portfolio next must match them before reporting.
    pub fn unscanned_component_count(&self) -> Result<u64> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM components WHERE resolution IS NULL",
            [],
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }

    /// Every product with its versions, by name.
    pub fn products(&self) -> Result<Vec<ProductSummary>> {
        self.portfolio_products(None)
    }

    /// These products (all with `None`) with their versions, by name.
    pub fn portfolio_products(&self, names: Option<&[&str]>) -> Result<Vec<ProductSummary>> {
        let names = names.map(|n| serde_json::to_string(n).unwrap_or_default());
        let mut stmt = self.conn.prepare_cached(
            "SELECT p.name, v.id, v.version, v.sbom_origin, v.sbom_format, v.added_at,
                    (SELECT count(*) FROM product_components c WHERE c.version_id = v.id)
             FROM products p JOIN product_versions v ON v.product_id = p.id
             WHERE ?1 IS NULL OR p.name IN (SELECT value FROM json_each(?1))
             ORDER BY p.name, v.added_at, v.id",
        )?;
        let mut rows = stmt.query([names])?;
        let mut out: Vec<ProductSummary> = Vec::new();
        while let Some(r) = rows.next()? {
            let name: String = r.get(0)?;
            let version = VersionSummary {
                id: r.get(1)?,
                version: r.get(2)?,
                sbom_origin: r.get(3)?,
                sbom_format: r.get(4)?,
                added_at: r.get(5)?,
                components: r.get::<_, i64>(6)? as u64,
            };
            match out.last_mut() {
                Some(p) if p.name == name => p.versions.push(version),
                _ => out.push(ProductSummary {
                    name,
                    versions: vec![version],
                }),
            }
        }
        Ok(out)
    }

    /// Removes a product version (or, with `version` = `None`, the whole
    /// product). Components no product uses any more go with it. Returns
    /// how many versions were removed.
    /// Removing the whole product also removes its grants and assessments
    /// (the audit trail keeps what they were).
    pub fn remove_product(
        &mut self,
        product: &str,
        version: Option<&str>,
        entry: AuditEntry,
    ) -> Result<usize> {
        self.audited(entry, |tx, entry| remove(tx, product, version, entry))
    }

    /// The number of distinct components in the portfolio.
    pub fn component_count(&self) -> Result<u64> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM components", [], |r| r.get(0))?;
        Ok(n as u64)
    }

    /// Distinct components: all of them, or only those never scanned.
    pub fn components<C: DeserializeOwned>(
        &self,
        only_unscanned: bool,
    ) -> Result<Vec<StoredComponent<C>>> {
        let decode_row = |r: &rusqlite::Row<'_>| -> Result<StoredComponent<C>> {
            let id: i64 = r.get(0)?;
            let blob = r.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)?;
            Ok(StoredComponent {
                id,
                body: crate::blob::decode(blob, || format!("component {id}"))?,
                resolution: r.get(2)?,
            })
        };
        let sql = if only_unscanned {
            "SELECT id, data, resolution FROM components WHERE resolution IS NULL ORDER BY id"
        } else {
            "SELECT id, data, resolution FROM components ORDER BY id"
        };
        let mut stmt = self.conn.prepare(sql)?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(decode_row(r)?);
        }
        Ok(out)
    }

    /// The id of the newest import, 0 when nothing was ever imported.
    pub fn latest_import(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT coalesce(max(id), 0) FROM imports", [], |r| r.get(0))?)
    }

    /// What imports after `after_import` rewrote.
    pub fn changes_since(&self, after_import: i64) -> Result<ChangeSet> {
        let mut set = ChangeSet {
            through_import: self.latest_import()?,
            ..ChangeSet::default()
        };
        // The products and packages a record names are derived from its
        // body, as the index rows were when it was written: decoding the
        // few changed records beats scanning the whole CPE index.
        let mut stmt = self
            .conn
            .prepare("SELECT vuln_id, data FROM records WHERE import_id > ?1")?;
        let mut rows = stmt.query([after_import])?;
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let blob = r.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)?;
            let record: kensa_model::VulnRecord = crate::blob::decode(blob, || id.clone())?;
            let derived = crate::write::Rows::of(&record);
            set.cpe_pairs.extend(derived.cpe_keys.into_keys());
            set.packages.extend(derived.packages);
            set.affected_names.extend(
                derived
                    .affected_names
                    .into_iter()
                    .map(|(product, _)| product),
            );
            set.vulns.insert(id);
        }
        let mut stmt = self
            .conn
            .prepare("SELECT id FROM csaf_documents WHERE import_id > ?1")?;
        for id in stmt.query_map([after_import], |r| r.get::<_, i64>(0))? {
            set.csaf_documents.insert(id?);
        }
        set.names_changed = self.name_mappings_changed_after(after_import)?;
        Ok(set)
    }

    /// Components holding a finding on any of these vulnerabilities.
    pub fn components_with_findings_on(&self, vulns: &BTreeSet<String>) -> Result<Vec<i64>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT component_id FROM component_findings WHERE vuln_id = ?1")?;
        let mut out = BTreeSet::new();
        for v in vulns {
            for id in stmt.query_map([v], |r| r.get::<_, i64>(0))? {
                out.insert(id?);
            }
        }
        Ok(out.into_iter().collect())
    }

    /// The vulnerability ids each of these components has findings on.
    pub fn finding_ids(&self, components: &[i64]) -> Result<HashMap<i64, Vec<String>>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT vuln_id FROM component_findings WHERE component_id = ?1 ORDER BY vuln_id",
        )?;
        let mut out = HashMap::new();
        for &id in components {
            let ids = stmt
                .query_map([id], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            out.insert(id, ids);
        }
        Ok(out)
    }

    /// Replaces the stored scan results of these components, and moves the
    /// portfolio's cursor to `through_import`, in one transaction.
    pub fn save_component_results<D: Serialize, F: Serialize>(
        &mut self,
        results: &[ComponentResult<D, F>],
        through_import: i64,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut clear =
                tx.prepare_cached("DELETE FROM component_findings WHERE component_id = ?1")?;
            let mut update = tx.prepare_cached(
                "UPDATE components SET resolution = ?2, outcome = ?3, detail = ?4 WHERE id = ?1",
            )?;
            let mut insert = tx.prepare_cached(
                "INSERT OR REPLACE INTO component_findings (component_id, vuln_id, data)
                 VALUES (?1, ?2, ?3)",
            )?;
            for r in results {
                clear.execute([r.id])?;
                let detail = r
                    .detail
                    .as_ref()
                    .map(|d| encode(d, "component detail"))
                    .transpose()?;
                update.execute(params![r.id, r.resolution, r.outcome, detail])?;
                for (vuln, body) in &r.findings {
                    insert.execute(params![r.id, vuln, encode(body, "finding")?])?;
                }
            }
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![CURSOR, through_import.to_string()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The import the portfolio's findings are current with; `None` before
    /// the first scan.
    pub fn portfolio_cursor(&self) -> Result<Option<i64>> {
        Ok(self.meta(CURSOR)?.and_then(|v| v.parse().ok()))
    }

    /// A product version's components in SBOM order, with their stored
    /// outcome and findings. `version` = `None` picks the newest version.
    #[allow(clippy::type_complexity)]
    pub fn version_components<C: DeserializeOwned, D: DeserializeOwned, F: DeserializeOwned>(
        &self,
        product: &str,
        version: Option<&str>,
    ) -> Result<Option<(String, Vec<VersionComponent<C, D, F>>)>> {
        let found: Option<(i64, String)> = self
            .conn
            .query_row(
                "SELECT v.id, v.version FROM product_versions v JOIN products p ON p.id = v.product_id
                 WHERE p.name = ?1 AND (?2 IS NULL OR v.version = ?2)
                 ORDER BY v.added_at DESC, v.id DESC LIMIT 1",
                params![product, version],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((version_id, version)) = found else {
            return Ok(None);
        };
        let mut stmt = self.conn.prepare(
            "SELECT pc.bom_ref, c.id, c.data, c.outcome, c.detail FROM product_components pc
             JOIN components c ON c.id = pc.component_id WHERE pc.version_id = ?1 ORDER BY pc.seq",
        )?;
        let mut findings = self
            .conn
            .prepare_cached("SELECT data FROM component_findings WHERE component_id = ?1")?;
        let mut rows = stmt.query([version_id])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(1)?;
            let what = || format!("component {id}");
            let body = crate::blob::decode(
                r.get_ref(2)?.as_blob().map_err(rusqlite::Error::from)?,
                what,
            )?;
            let detail: Option<Vec<u8>> = r.get(4)?;
            let detail = detail.map(|d| crate::blob::decode(&d, what)).transpose()?;
            let mut list = Vec::new();
            let mut frows = findings.query([id])?;
            while let Some(f) = frows.next()? {
                let blob = f.get_ref(0)?.as_blob().map_err(rusqlite::Error::from)?;
                list.push(crate::blob::decode(blob, what)?);
            }
            out.push(VersionComponent {
                bom_ref: r.get(0)?,
                component_id: id,
                body,
                outcome: r.get(3)?,
                detail,
                findings: list,
            });
        }
        Ok(Some((version, out)))
    }

    /// The product versions that contain each of these components.
    pub fn versions_containing(&self, components: &[i64]) -> Result<HashMap<i64, Vec<String>>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT p.name || ' ' || v.version FROM product_components pc
             JOIN product_versions v ON v.id = pc.version_id JOIN products p ON p.id = v.product_id
             WHERE pc.component_id = ?1 ORDER BY 1",
        )?;
        let mut out = HashMap::new();
        for &id in components {
            let names = stmt
                .query_map([id], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            out.insert(id, names);
        }
        Ok(out)
    }
}

/// Stores a version in `tx` (see [`Store::add_product_version`]).
fn add_version<C: Serialize>(
    tx: &Transaction<'_>,
    new: &NewVersion<'_>,
    components: &[NewComponent<'_, C>],
    replace: bool,
    entry: &mut AuditEntry,
) -> Result<(i64, Vec<i64>)> {
    let NewVersion {
        product,
        version,
        origin,
        format,
        sbom,
        team,
    } = *new;
    let now = crate::write::now();
    tx.execute(
        "INSERT INTO products (name, created_at) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
        params![product, now],
    )?;
    let (product_id, team_before): (i64, Option<String>) = tx.query_row(
        "SELECT p.id, t.name FROM products p LEFT JOIN teams t ON t.id = p.team_id WHERE p.name = ?1",
        [product],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if let Some(team) = team {
        let team_id = crate::team::team_id(&mut crate::sql::SqliteDb(tx), team)?;
        tx.execute(
            "UPDATE products SET team_id = ?2 WHERE id = ?1",
            params![product_id, team_id],
        )?;
    }
    entry.product_id = Some(product_id);
    let existing: Option<i64> = tx
        .query_row(
            "SELECT id FROM product_versions WHERE product_id = ?1 AND version = ?2",
            params![product_id, version],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(id) = existing {
        if !replace {
            return Err(StoreError::Conflict(format!(
                "product {product} already has version {version}"
            )));
        }
        tx.execute("DELETE FROM product_components WHERE version_id = ?1", [id])?;
        tx.execute("DELETE FROM product_versions WHERE id = ?1", [id])?;
    }
    tx.execute(
        "INSERT INTO product_versions (product_id, version, sbom_origin, sbom_format, sbom, added_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            product_id,
            version,
            origin,
            format,
            crate::blob::compress(sbom),
            now
        ],
    )?;
    let version_id = tx.last_insert_rowid();
    let mut fresh = Vec::new();
    {
        let mut find = tx.prepare_cached("SELECT id FROM components WHERE identity = ?1")?;
        let mut insert =
            tx.prepare_cached("INSERT INTO components (identity, data) VALUES (?1, ?2)")?;
        let mut link = tx.prepare_cached(
            "INSERT INTO product_components (version_id, seq, component_id, bom_ref)
             VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (seq, c) in components.iter().enumerate() {
            let id = match find
                .query_row([c.identity], |r| r.get::<_, i64>(0))
                .optional()?
            {
                Some(id) => id,
                None => {
                    insert.execute(params![c.identity, encode(c.body, "component")?])?;
                    let id = tx.last_insert_rowid();
                    fresh.push(id);
                    id
                }
            };
            link.execute(params![version_id, seq as i64, id, c.bom_ref])?;
        }
    }
    entry.change = Some(serde_json::json!({
        "before": existing.map(|_| serde_json::json!({"version": version, "replaced": true})),
        "after": {"version": version, "sbom_origin": origin, "sbom_format": format,
                  "components": components.len(), "team": team.map(str::to_string).or(team_before)},
    }));
    Ok((version_id, fresh))
}

/// Removes versions in `tx` (see [`Store::remove_product`]).
fn remove(
    tx: &Transaction<'_>,
    product: &str,
    version: Option<&str>,
    entry: &mut AuditEntry,
) -> Result<usize> {
    entry.product_id = tx
        .query_row("SELECT id FROM products WHERE name = ?1", [product], |r| {
            r.get(0)
        })
        .optional()?;
    let ids: Vec<i64> = {
        let mut stmt = tx.prepare(
            "SELECT v.id FROM product_versions v JOIN products p ON p.id = v.product_id
             WHERE p.name = ?1 AND (?2 IS NULL OR v.version = ?2)",
        )?;
        stmt.query_map(params![product, version], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?
    };
    for id in &ids {
        tx.execute("DELETE FROM product_components WHERE version_id = ?1", [id])?;
        tx.execute("DELETE FROM product_versions WHERE id = ?1", [id])?;
    }
    // A version added again later must not find the old one's facts.
    tx.execute(
        "DELETE FROM version_inputs WHERE product_id = ?1 AND (?2 IS NULL OR version = ?2)",
        params![entry.product_id, version],
    )?;
    // The product goes with its last version, and what hangs on its id.
    if !has_versions(tx, product)? {
        for table in [
            "grants WHERE scope = 'product' AND scope_id",
            "assessments WHERE product_id",
            "assessment_history WHERE product_id",
        ] {
            tx.execute(&format!("DELETE FROM {table} = ?1"), [entry.product_id])?;
        }
    }
    tx.execute(
        "DELETE FROM products WHERE name = ?1
         AND NOT EXISTS (SELECT 1 FROM product_versions v WHERE v.product_id = products.id)",
        [product],
    )?;
    let orphans = "component_id NOT IN (SELECT component_id FROM product_components)";
    tx.execute(
        &format!("DELETE FROM component_findings WHERE {orphans}"),
        [],
    )?;
    tx.execute(
        "DELETE FROM components WHERE id NOT IN (SELECT component_id FROM product_components)",
        [],
    )?;
    entry.change =
        Some(serde_json::json!({"before": {"versions_removed": ids.len(), "version": version}}));
    Ok(ids.len())
}

fn has_versions(tx: &Transaction<'_>, product: &str) -> Result<bool> {
    Ok(tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM product_versions v JOIN products p ON p.id = v.product_id
         WHERE p.name = ?1)",
        [product],
        |r| r.get(0),
    )?)
}

const CURSOR: &str = "portfolio.scanned_through_import";

fn encode<T: Serialize>(value: &T, what: &str) -> Result<Vec<u8>> {
    let json = serde_json::to_vec(value).map_err(|source| StoreError::Encode {
        what: what.to_string(),
        source,
    })?;
    Ok(crate::blob::compress(&json))
}
