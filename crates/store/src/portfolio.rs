//! The portfolio: products, the SBOM of each version, and the findings of
//! their components.
//!
//! Components are stored once however many products contain them (a maker's
//! products share most of their platform), keyed by a fingerprint of what
//! matching reads. Findings belong to components; a product's findings are
//! its components' findings. The store keeps bodies opaque (LZ4 JSON of the
//! caller's types): which findings a component has is the matcher's business.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::sql::{self, Db, Ty, Value};
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
        self.team_write(entry, |db, entry| {
            add_version(db, new, components, replace, entry)
        })
    }

    /// Stores several product versions in one transaction: all of them, or
    /// (on any error, a conflict included) none. Returns, per version, its
    /// id and the components the portfolio did not hold before.
    /// Each version is audited with its own entry, in the same transaction.
    #[allow(clippy::type_complexity)]
    pub fn add_product_versions<C: Serialize>(
        &mut self,
        versions: &[(NewVersion<'_>, Vec<NewComponent<'_, C>>, AuditEntry)],
        replace: bool,
    ) -> Result<Vec<(i64, Vec<i64>)>> {
        self.team_transaction(|db| {
            let mut out = Vec::with_capacity(versions.len());
            for (new, components, entry) in versions {
                let mut entry = entry.clone();
                out.push(add_version(db, new, components, replace, &mut entry)?);
                crate::team::append_audit(db, &entry)?;
            }
            Ok(out)
        })
    }

    /// Components stored but never matched: a `product add` whose matching
    /// was interrupted (killed, failed) leaves them, and whoever reads the
    /// portfolio next must match them before reporting.
    pub fn unscanned_component_count(&self) -> Result<u64> {
        self.team_conn(|db| {
            count(
                db,
                "SELECT count(*) FROM components WHERE resolution IS NULL",
            )
        })
    }

    /// Every product with its versions, by name.
    pub fn products(&self) -> Result<Vec<ProductSummary>> {
        self.portfolio_products(None)
    }

    /// These products (all with `None`) with their versions, by name.
    pub fn portfolio_products(&self, names: Option<&[&str]>) -> Result<Vec<ProductSummary>> {
        let names = names.map(|n| serde_json::to_string(n).unwrap_or_default());
        self.team_conn(|db| {
            let sql = format!(
                "SELECT p.name, v.id, v.version, v.sbom_origin, v.sbom_format, v.added_at,
                        (SELECT count(*) FROM product_components c WHERE c.version_id = v.id)
                 FROM products p JOIN product_versions v ON v.product_id = p.id
                 WHERE CAST(?1 AS TEXT) IS NULL OR p.name IN ({})
                 ORDER BY p.name, v.added_at, v.id",
                sql::text_list(db, 1)
            );
            let mut out: Vec<ProductSummary> = Vec::new();
            for r in db.query(&sql, &[&names])? {
                let name: String = r.get(0)?;
                let version = VersionSummary {
                    id: r.get(1)?,
                    version: r.get(2)?,
                    sbom_origin: r.get(3)?,
                    sbom_format: r.get(4)?,
                    added_at: r.get(5)?,
                    components: r.get::<i64>(6)? as u64,
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
        })
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
        self.team_write(entry, |db, entry| remove(db, product, version, entry))
    }

    /// The number of distinct components in the portfolio.
    pub fn component_count(&self) -> Result<u64> {
        self.team_conn(|db| count(db, "SELECT count(*) FROM components"))
    }

    /// Distinct components: all of them, or only those never scanned.
    pub fn components<C: DeserializeOwned>(
        &self,
        only_unscanned: bool,
    ) -> Result<Vec<StoredComponent<C>>> {
        let sql = if only_unscanned {
            "SELECT id, data, resolution FROM components WHERE resolution IS NULL ORDER BY id"
        } else {
            "SELECT id, data, resolution FROM components ORDER BY id"
        };
        self.team_conn(|db| {
            db.query(sql, &[])?
                .iter()
                .map(|r| {
                    let id: i64 = r.get(0)?;
                    Ok(StoredComponent {
                        id,
                        body: decode(r, 1, || format!("component {id}"))?,
                        resolution: r.get(2)?,
                    })
                })
                .collect()
        })
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
        let list = serde_json::to_string(vulns).unwrap_or_default();
        self.team_conn(|db| {
            let sql = format!(
                "SELECT DISTINCT component_id FROM component_findings
                 WHERE vuln_id IN ({}) ORDER BY 1",
                sql::text_list(db, 1)
            );
            db.query(&sql, &[&list])?.iter().map(|r| r.get(0)).collect()
        })
    }

    /// The vulnerability ids each of these components has findings on.
    pub fn finding_ids(&self, components: &[i64]) -> Result<HashMap<i64, Vec<String>>> {
        let list = serde_json::to_string(components).unwrap_or_default();
        let mut out: HashMap<i64, Vec<String>> =
            components.iter().map(|&id| (id, Vec::new())).collect();
        self.team_conn(|db| {
            let sql = format!(
                "SELECT component_id, vuln_id FROM component_findings
                 WHERE component_id IN ({}) ORDER BY component_id, vuln_id",
                sql::int_list(db, 1)
            );
            for r in db.query(&sql, &[&list])? {
                out.entry(r.get(0)?).or_default().push(r.get(1)?);
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// Replaces the stored scan results of these components, and moves the
    /// portfolio's cursor to `through_import`, in one transaction.
    pub fn save_component_results<D: Serialize, F: Serialize>(
        &mut self,
        results: &[ComponentResult<D, F>],
        through_import: i64,
    ) -> Result<()> {
        self.team_transaction(|db| {
            for chunk in results.chunks(sql::BATCH_ROWS) {
                replace_results(db, chunk)?;
            }
            sql::set_meta(db, CURSOR, &through_import.to_string())
        })
    }

    /// The import the portfolio's findings are current with; `None` before
    /// the first scan.
    pub fn portfolio_cursor(&self) -> Result<Option<i64>> {
        Ok(self
            .team_conn(|db| sql::meta(db, CURSOR))?
            .and_then(|v| v.parse().ok()))
    }

    /// A product version's components in SBOM order, with their stored
    /// outcome and findings. `version` = `None` picks the newest version.
    #[allow(clippy::type_complexity)]
    pub fn version_components<C: DeserializeOwned, D: DeserializeOwned, F: DeserializeOwned>(
        &self,
        product: &str,
        version: Option<&str>,
    ) -> Result<Option<(String, Vec<VersionComponent<C, D, F>>)>> {
        self.team_conn(|db| {
            let Some(found) = db.query_opt(
                "SELECT v.id, v.version FROM product_versions v JOIN products p ON p.id = v.product_id
                 WHERE p.name = ?1 AND (CAST(?2 AS TEXT) IS NULL OR v.version = ?2)
                 ORDER BY v.added_at DESC, v.id DESC LIMIT 1",
                &[&product, &version],
            )?
            else {
                return Ok(None);
            };
            let version_id: i64 = found.get(0)?;
            // Bodies by component, decoded per listing: a component listed
            // twice in one SBOM has its findings under each listing.
            let mut findings: HashMap<i64, Vec<Vec<u8>>> = HashMap::new();
            for r in db.query(
                "SELECT component_id, data FROM component_findings WHERE component_id IN
                     (SELECT component_id FROM product_components WHERE version_id = ?1)
                 ORDER BY component_id, vuln_id",
                &[&version_id],
            )? {
                findings.entry(r.get(0)?).or_default().push(r.get(1)?);
            }
            let mut out = Vec::new();
            for r in db.query(
                "SELECT pc.bom_ref, c.id, c.data, c.outcome, c.detail FROM product_components pc
                 JOIN components c ON c.id = pc.component_id WHERE pc.version_id = ?1 ORDER BY pc.seq",
                &[&version_id],
            )? {
                let id: i64 = r.get(1)?;
                let what = || format!("component {id}");
                let detail: Option<Vec<u8>> = r.get(4)?;
                let bodies = findings.get(&id).map(Vec::as_slice).unwrap_or_default();
                out.push(VersionComponent {
                    bom_ref: r.get(0)?,
                    component_id: id,
                    body: decode(&r, 2, what)?,
                    outcome: r.get(3)?,
                    detail: detail.map(|d| crate::blob::decode(&d, what)).transpose()?,
                    findings: bodies
                        .iter()
                        .map(|b| crate::blob::decode(b, what))
                        .collect::<Result<_>>()?,
                });
            }
            Ok(Some((found.get(1)?, out)))
        })
    }

    /// The SBOM of a product version as it was given, if the version exists.
    pub fn version_sbom(&self, product: &str, version: &str) -> Result<Option<Vec<u8>>> {
        let blob: Option<Vec<u8>> = self.team_conn(|db| {
            sql::first(
                db,
                "SELECT v.sbom FROM product_versions v JOIN products p ON p.id = v.product_id
                 WHERE p.name = ?1 AND v.version = ?2",
                &[&product, &version],
            )
        })?;
        blob.map(|b| crate::blob::decompress(&b, || format!("SBOM of {product} {version}")))
            .transpose()
    }

    /// The product versions that contain each of these components.
    pub fn versions_containing(&self, components: &[i64]) -> Result<HashMap<i64, Vec<String>>> {
        let list = serde_json::to_string(components).unwrap_or_default();
        let mut out: HashMap<i64, Vec<String>> =
            components.iter().map(|&id| (id, Vec::new())).collect();
        self.team_conn(|db| {
            let sql = format!(
                "SELECT DISTINCT pc.component_id, p.name || ' ' || v.version FROM product_components pc
                 JOIN product_versions v ON v.id = pc.version_id JOIN products p ON p.id = v.product_id
                 WHERE pc.component_id IN ({}) ORDER BY 1, 2",
                sql::int_list(db, 1)
            );
            for r in db.query(&sql, &[&list])? {
                out.entry(r.get(0)?).or_default().push(r.get(1)?);
            }
            Ok(())
        })?;
        Ok(out)
    }
}

/// Stores a version (see [`Store::add_product_version`]).
fn add_version<C: Serialize>(
    db: &mut dyn Db,
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
    db.execute(
        "INSERT INTO products (name, created_at) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
        &[&product, &now],
    )?;
    let row = db
        .query_opt(
            "SELECT p.id, t.name FROM products p LEFT JOIN teams t ON t.id = p.team_id
             WHERE p.name = ?1",
            &[&product],
        )?
        .ok_or_else(|| StoreError::NotFound(format!("no product {product}")))?;
    let (product_id, team_before): (i64, Option<String>) = (row.get(0)?, row.get(1)?);
    if let Some(team) = team {
        let team_id = crate::team::team_id(db, team)?;
        db.execute(
            "UPDATE products SET team_id = ?2 WHERE id = ?1",
            &[&product_id, &team_id],
        )?;
    }
    entry.product_id = Some(product_id);
    let existing: Option<i64> = sql::first(
        db,
        "SELECT id FROM product_versions WHERE product_id = ?1 AND version = ?2",
        &[&product_id, &version],
    )?;
    if let Some(id) = existing {
        if !replace {
            return Err(StoreError::Conflict(format!(
                "product {product} already has version {version}"
            )));
        }
        db.execute(
            "DELETE FROM product_components WHERE version_id = ?1",
            &[&id],
        )?;
        db.execute("DELETE FROM product_versions WHERE id = ?1", &[&id])?;
    }
    let version_id: i64 = sql::one(
        db,
        "INSERT INTO product_versions (product_id, version, sbom_origin, sbom_format, sbom, added_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
        &[
            &product_id,
            &version,
            &origin,
            &format,
            &crate::blob::compress(sbom),
            &now,
        ],
    )?;
    let fresh = store_components(db, components)?;
    let ids = component_ids(db, components)?;
    for (chunk_no, chunk) in components.chunks(sql::BATCH_ROWS).enumerate() {
        let mut values = Vec::with_capacity(chunk.len() * 4);
        for (i, c) in chunk.iter().enumerate() {
            let seq = (chunk_no * sql::BATCH_ROWS + i) as i64;
            let id = ids
                .get(&c.identity)
                .copied()
                .ok_or_else(|| StoreError::Corrupt {
                    what: format!("component {}", c.bom_ref),
                    message: "stored but not found again".into(),
                })?;
            values.extend([
                Value::Int(version_id),
                Value::Int(seq),
                Value::Int(id),
                Value::Text(c.bom_ref.to_string()),
            ]);
        }
        let sql = format!(
            "INSERT INTO product_components (version_id, seq, component_id, bom_ref) VALUES {}",
            sql::values_rows(db, chunk.len(), &[Ty::Int, Ty::Int, Ty::Int, Ty::Text])
        );
        db.execute(&sql, &sql::params(&values))?;
    }
    entry.change = Some(serde_json::json!({
        "before": existing.map(|_| serde_json::json!({"version": version, "replaced": true})),
        "after": {"version": version, "sbom_origin": origin, "sbom_format": format,
                  "components": components.len(), "team": team.map(str::to_string).or(team_before)},
    }));
    Ok((version_id, fresh))
}

/// Removes versions (see [`Store::remove_product`]).
fn remove(
    db: &mut dyn Db,
    product: &str,
    version: Option<&str>,
    entry: &mut AuditEntry,
) -> Result<usize> {
    entry.product_id = sql::first(db, "SELECT id FROM products WHERE name = ?1", &[&product])?;
    let ids: Vec<i64> = db
        .query(
            "SELECT v.id FROM product_versions v JOIN products p ON p.id = v.product_id
             WHERE p.name = ?1 AND (CAST(?2 AS TEXT) IS NULL OR v.version = ?2)",
            &[&product, &version],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect::<Result<_>>()?;
    for id in &ids {
        db.execute(
            "DELETE FROM product_components WHERE version_id = ?1",
            &[id],
        )?;
        db.execute("DELETE FROM product_versions WHERE id = ?1", &[id])?;
    }
    // A version added again later must not find the old one's facts.
    db.execute(
        "DELETE FROM version_inputs WHERE product_id = ?1 AND (CAST(?2 AS TEXT) IS NULL OR version = ?2)",
        &[&entry.product_id, &version],
    )?;
    // The product goes with its last version, and what hangs on its id.
    let has_versions: bool = sql::one(
        db,
        "SELECT EXISTS (SELECT 1 FROM product_versions v JOIN products p ON p.id = v.product_id
         WHERE p.name = ?1)",
        &[&product],
    )?;
    if !has_versions && let Some(product_id) = entry.product_id {
        for table in [
            "grants WHERE scope = 'product' AND scope_id",
            "assessments WHERE product_id",
            "assessment_history WHERE product_id",
            "cra_submissions WHERE case_id IN (SELECT id FROM cra_cases WHERE product_id",
            "cra_cases WHERE product_id",
            "product_market WHERE product_id",
        ] {
            let close = if table.contains("IN (") { ")" } else { "" };
            db.execute(&format!("DELETE FROM {table} = ?1{close}"), &[&product_id])?;
        }
        db.execute("DELETE FROM products WHERE id = ?1", &[&product_id])?;
    }
    db.execute(
        "DELETE FROM component_findings
         WHERE component_id NOT IN (SELECT component_id FROM product_components)",
        &[],
    )?;
    db.execute(
        "DELETE FROM components WHERE id NOT IN (SELECT component_id FROM product_components)",
        &[],
    )?;
    entry.change =
        Some(serde_json::json!({"before": {"versions_removed": ids.len(), "version": version}}));
    Ok(ids.len())
}

const CURSOR: &str = "portfolio.scanned_through_import";

/// Stores the components the portfolio does not hold yet; their ids.
fn store_components<C: Serialize>(
    db: &mut dyn Db,
    components: &[NewComponent<'_, C>],
) -> Result<Vec<i64>> {
    let mut fresh = Vec::new();
    for chunk in components.chunks(sql::BATCH_ROWS) {
        let mut values = Vec::with_capacity(chunk.len() * 2);
        for c in chunk {
            values.extend([
                Value::Int(c.identity),
                Value::Blob(encode(c.body, "component")?),
            ]);
        }
        let sql = format!(
            "INSERT INTO components (identity, data) VALUES {}
             ON CONFLICT (identity) DO NOTHING RETURNING id",
            sql::values_rows(db, chunk.len(), &[Ty::Int, Ty::Blob])
        );
        for r in db.query(&sql, &sql::params(&values))? {
            fresh.push(r.get(0)?);
        }
    }
    fresh.sort_unstable();
    Ok(fresh)
}

/// The stored id of each component's identity.
fn component_ids<C: Serialize>(
    db: &mut dyn Db,
    components: &[NewComponent<'_, C>],
) -> Result<HashMap<i64, i64>> {
    let mut ids = HashMap::with_capacity(components.len());
    for chunk in components.chunks(sql::BATCH_ROWS) {
        let list: Vec<i64> = chunk.iter().map(|c| c.identity).collect();
        let list = serde_json::to_string(&list).unwrap_or_default();
        let sql = format!(
            "SELECT identity, id FROM components WHERE identity IN ({})",
            sql::int_list(db, 1)
        );
        for r in db.query(&sql, &[&list])? {
            ids.insert(r.get(0)?, r.get(1)?);
        }
    }
    Ok(ids)
}

/// Replaces the scan results of these components: their outcome and
/// findings, a few statements for the lot.
fn replace_results<D: Serialize, F: Serialize>(
    db: &mut dyn Db,
    results: &[ComponentResult<D, F>],
) -> Result<()> {
    let ids: Vec<i64> = results.iter().map(|r| r.id).collect();
    let list = serde_json::to_string(&ids).unwrap_or_default();
    let sql = format!(
        "DELETE FROM component_findings WHERE component_id IN ({})",
        sql::int_list(db, 1)
    );
    db.execute(&sql, &[&list])?;
    let mut values = Vec::with_capacity(results.len() * 4);
    for r in results {
        let detail = r
            .detail
            .as_ref()
            .map(|d| encode(d, "component detail"))
            .transpose()?;
        values.extend([
            Value::Int(r.id),
            Value::Int(r.resolution),
            Value::Text(r.outcome.to_string()),
            detail.map_or(Value::Null, Value::Blob),
        ]);
    }
    let sql = format!(
        "UPDATE components SET resolution = v.resolution, outcome = v.outcome, detail = v.detail
         FROM (SELECT column1 AS id, column2 AS resolution, column3 AS outcome, column4 AS detail
               FROM (VALUES {}) AS t) AS v
         WHERE components.id = v.id",
        sql::values_rows(db, results.len(), &[Ty::Int, Ty::Int, Ty::Text, Ty::Blob])
    );
    db.execute(&sql, &sql::params(&values))?;
    // One row per component and vulnerability (the last body listed): a
    // statement may not write the same row twice.
    let mut unique: HashMap<(i64, &String), &F> = HashMap::new();
    for r in results {
        for (vuln, body) in &r.findings {
            unique.insert((r.id, vuln), body);
        }
    }
    let findings: Vec<(i64, &String, &F)> =
        unique.into_iter().map(|((id, v), f)| (id, v, f)).collect();
    for chunk in findings.chunks(sql::BATCH_ROWS) {
        let mut values = Vec::with_capacity(chunk.len() * 3);
        for (id, vuln, body) in chunk {
            values.extend([
                Value::Int(*id),
                Value::Text(vuln.to_string()),
                Value::Blob(encode(body, "finding")?),
            ]);
        }
        let sql = format!(
            "INSERT INTO component_findings (component_id, vuln_id, data) VALUES {}",
            sql::values_rows(db, chunk.len(), &[Ty::Int, Ty::Text, Ty::Blob])
        );
        db.execute(&sql, &sql::params(&values))?;
    }
    Ok(())
}

fn count(db: &mut dyn Db, sql: &str) -> Result<u64> {
    Ok(sql::one::<i64>(db, sql, &[])? as u64)
}

/// Column `i` of `row`: an LZ4 JSON body.
fn decode<T: DeserializeOwned>(row: &sql::Row, i: usize, what: impl Fn() -> String) -> Result<T> {
    let blob: Vec<u8> = row.get(i)?;
    crate::blob::decode(&blob, what)
}

pub(crate) fn encode<T: Serialize>(value: &T, what: &str) -> Result<Vec<u8>> {
    let json = serde_json::to_vec(value).map_err(|source| StoreError::Encode {
        what: what.to_string(),
        source,
    })?;
    Ok(crate::blob::compress(&json))
}
