//! CSAF 2.0 documents (and the 2.1 spellings of the same data).
//!
//! One document becomes a [`CsafDocument`]: its header, the product tree
//! flattened into [`CsafProduct`]s that carry the vendor / product / version
//! of the branches above them, and one [`VulnRecord`] per vulnerability with
//! the product status, remediations and flags in [`CsafVulnInfo`].

use std::collections::{BTreeMap, HashMap};

use kensa_model::time::normalize;
use kensa_model::{
    CsafDocument, CsafProduct, CsafRelationship, CsafVulnInfo, CvssMetric, ExploitStatus, LangText,
    Reference, Remediation, Source, SourceKind, VulnRecord, Weakness,
};
use serde::Deserialize;

use crate::error::{RecordError, from_json};

/// Parses one CSAF document.
pub fn parse(bytes: &[u8]) -> Result<CsafDocument, RecordError> {
    let raw: RawCsaf = from_json(bytes)?;
    let header = header(raw.document.as_ref())?;
    let id = header.tracking_id.clone();
    convert(&raw, header).map_err(|e| e.record(id))
}

fn convert(raw: &RawCsaf, header: Header) -> Result<CsafDocument, RecordError> {
    let tree = &raw.product_tree;
    let mut products = Vec::new();
    let mut trail = Vec::new();
    walk_branches(&tree.branches, &mut trail, Path::default(), &mut products)?;
    for (i, p) in tree.full_product_names.iter().enumerate() {
        let field = || format!("product_tree.full_product_names[{i}]");
        products.push(product(p, Path::default(), field)?);
    }
    let relationships = tree
        .relationships
        .iter()
        .enumerate()
        .map(|(i, r)| relationship(i, r, &mut products))
        .collect::<Result<Vec<_>, _>>()?;

    let groups: HashMap<&str, &[String]> = tree
        .product_groups
        .iter()
        .filter_map(|g| Some((g.group_id.as_deref()?, g.product_ids.as_slice())))
        .collect();
    let vulnerabilities = raw
        .vulnerabilities
        .iter()
        .enumerate()
        .map(|(i, v)| vulnerability(i, v, &header, &groups))
        .collect::<Result<Vec<_>, _>>()?;

    Ok(CsafDocument {
        tracking_id: header.tracking_id,
        publisher: header.publisher,
        publisher_namespace: header.publisher_namespace,
        title: header.title,
        category: header.category,
        version: header.version,
        initial_release_date: header.initial_release_date,
        current_release_date: header.current_release_date,
        lang: header.lang,
        products,
        relationships,
        vulnerabilities,
    })
}

/// The document-level facts every vulnerability record inherits.
struct Header {
    tracking_id: String,
    publisher: String,
    publisher_namespace: Option<String>,
    title: String,
    category: String,
    version: Option<String>,
    initial_release_date: Option<String>,
    current_release_date: Option<String>,
    lang: Option<String>,
}

fn header(doc: Option<&RawDocument>) -> Result<Header, RecordError> {
    let doc = doc.ok_or_else(|| RecordError::missing("document"))?;
    let category = required(doc.category.as_ref(), "document.category")?;
    let csaf_version = required(doc.csaf_version.as_ref(), "document.csaf_version")?;
    if !matches!(csaf_version.as_str(), "2.0" | "2.1") {
        return Err(
            RecordError::new(format!("unsupported CSAF version `{csaf_version}`"))
                .field("document.csaf_version"),
        );
    }
    let publisher = doc.publisher.as_ref();
    let publisher_name = required(
        publisher.and_then(|p| p.name.as_ref()),
        "document.publisher.name",
    )?;
    let title = required(doc.title.as_ref(), "document.title")?;
    let tracking = doc.tracking.as_ref();
    let tracking_id = required(tracking.and_then(|t| t.id.as_ref()), "document.tracking.id")?;
    let dated = |value: Option<&String>, field: &str| {
        timestamp(value, field).map_err(|e| e.record(&tracking_id))
    };
    let initial_release_date = dated(
        tracking.and_then(|t| t.initial_release_date.as_ref()),
        "document.tracking.initial_release_date",
    )?;
    let current_release_date = dated(
        tracking.and_then(|t| t.current_release_date.as_ref()),
        "document.tracking.current_release_date",
    )?;
    Ok(Header {
        publisher: publisher_name,
        publisher_namespace: publisher.and_then(|p| p.namespace.clone()),
        title,
        category,
        version: tracking.and_then(|t| t.version.clone()),
        initial_release_date,
        current_release_date,
        lang: doc.lang.clone(),
        tracking_id,
    })
}

/// A required text field: absent or blank is an error naming it.
fn required(value: Option<&String>, field: &str) -> Result<String, RecordError> {
    match value {
        Some(v) if !v.trim().is_empty() => Ok(v.clone()),
        _ => Err(RecordError::missing(field)),
    }
}

/// An optional timestamp, normalised; text that is no timestamp is an error
/// because release dates decide which copy of a document is newer.
fn timestamp(value: Option<&String>, field: &str) -> Result<Option<String>, RecordError> {
    value
        .map(|v| {
            normalize(v)
                .ok_or_else(|| RecordError::new(format!("not a timestamp: `{v}`")).field(field))
        })
        .transpose()
}

// --- product tree -----------------------------------------------------------

/// What the branches above a product say about it.
#[derive(Clone, Copy, Default)]
struct Path<'a> {
    vendor: Option<&'a str>,
    product_name: Option<&'a str>,
    product_family: Option<&'a str>,
    version: Option<&'a str>,
    version_range: Option<&'a str>,
}

impl<'a> Path<'a> {
    fn with(mut self, branch: &'a RawBranch) -> Self {
        let name = branch.name.as_deref();
        match branch.category.as_deref() {
            Some("vendor") => self.vendor = name,
            Some("product_name") => self.product_name = name,
            Some("product_family") => self.product_family = name,
            Some("product_version") => self.version = name,
            Some("product_version_range") => self.version_range = name,
            // architecture, platform, language, ... do not identify the product.
            _ => {}
        }
        self
    }
}

/// Walks branches depth-first. `trail` holds the indices that lead here, so
/// that an error can name the branch without building paths on success.
fn walk_branches<'a>(
    branches: &'a [RawBranch],
    trail: &mut Vec<usize>,
    path: Path<'a>,
    out: &mut Vec<CsafProduct>,
) -> Result<(), RecordError> {
    for (i, branch) in branches.iter().enumerate() {
        trail.push(i);
        let here = path.with(branch);
        if let Some(p) = &branch.product {
            out.push(product(p, here, || {
                format!("{}.product", branch_field(trail))
            })?);
        }
        walk_branches(&branch.branches, trail, here, out)?;
        trail.pop();
    }
    Ok(())
}

fn branch_field(trail: &[usize]) -> String {
    let mut field = String::from("product_tree");
    for i in trail {
        field.push_str(&format!(".branches[{i}]"));
    }
    field
}

fn product(
    raw: &RawProduct,
    path: Path<'_>,
    field: impl Fn() -> String,
) -> Result<CsafProduct, RecordError> {
    let product_id = required(raw.product_id.as_ref(), &format!("{}.product_id", field()))?;
    let helper = raw.product_identification_helper.as_ref();
    let owned = |s: Option<&str>| s.map(str::to_string);
    Ok(CsafProduct {
        // The name is descriptive only; a product id is what statements use.
        name: raw.name.clone().unwrap_or_default(),
        product_id,
        vendor: owned(path.vendor),
        product_name: owned(path.product_name),
        product_family: owned(path.product_family),
        version: owned(path.version),
        version_range: owned(path.version_range),
        cpe: helper.and_then(|h| h.cpe.clone()),
        // CSAF 2.1 replaced `purl` by a `purls` list.
        purl: helper.and_then(|h| h.purl.clone().or_else(|| h.purls.first().cloned())),
        model_numbers: helper.map(|h| h.model_numbers.clone()).unwrap_or_default(),
        serial_numbers: helper.map(|h| h.serial_numbers.clone()).unwrap_or_default(),
        skus: helper.map(|h| h.skus.clone()).unwrap_or_default(),
    })
}

/// A relationship; its `full_product_name` also becomes a product so that
/// the product ids statements use for it resolve.
fn relationship(
    i: usize,
    raw: &RawRelationship,
    products: &mut Vec<CsafProduct>,
) -> Result<CsafRelationship, RecordError> {
    let field = |name: &str| format!("product_tree.relationships[{i}].{name}");
    let full = raw
        .full_product_name
        .as_ref()
        .ok_or_else(|| RecordError::missing(&field("full_product_name")))?;
    let p = product(full, Path::default(), || field("full_product_name"))?;
    let rel = CsafRelationship {
        category: required(raw.category.as_ref(), &field("category"))?,
        product_reference: required(raw.product_reference.as_ref(), &field("product_reference"))?,
        relates_to_product_reference: required(
            raw.relates_to_product_reference.as_ref(),
            &field("relates_to_product_reference"),
        )?,
        product_id: p.product_id.clone(),
        name: p.name.clone(),
    };
    products.push(p);
    Ok(rel)
}

// --- vulnerabilities --------------------------------------------------------

/// Product status keys of CSAF 2.0, in the order the spec lists them.
const STATUSES: [&str; 8] = [
    "first_affected",
    "first_fixed",
    "fixed",
    "known_affected",
    "known_not_affected",
    "last_affected",
    "recommended",
    "under_investigation",
];

fn vulnerability(
    i: usize,
    raw: &RawVuln,
    header: &Header,
    groups: &HashMap<&str, &[String]>,
) -> Result<VulnRecord, RecordError> {
    let field = |name: &str| format!("vulnerabilities[{i}].{name}");
    let ids: Vec<&str> = raw
        .ids
        .iter()
        .filter_map(|id| id.text.as_deref())
        .filter(|t| !t.trim().is_empty())
        .collect();
    // CSAF lets a vulnerability go without any identifier (csaf_base
    // documents do); it is then known by its place in the advisory.
    let positional = format!("{}/vulnerabilities[{i}]", header.tracking_id);
    let id = raw
        .cve
        .as_deref()
        .filter(|c| !c.trim().is_empty())
        .or_else(|| ids.first().copied())
        .unwrap_or(&positional);

    let mut v = VulnRecord::new(id, Source::new(SourceKind::Csaf, &header.tracking_id));
    if id == positional {
        v.notes.push(format!(
            "the advisory gives this vulnerability no CVE or other id ({})",
            field("cve")
        ));
    }
    for alias in ids {
        if alias != id && !v.aliases.iter().any(|a| a == alias) {
            v.aliases.push(alias.to_string());
        }
    }
    v.last_modified = header.current_release_date.clone();
    let release = raw.release_date.as_ref().map(|d| (d, "release_date"));
    // CSAF 2.1 calls it `disclosure_date`.
    let release = release.or(raw.disclosure_date.as_ref().map(|d| (d, "disclosure_date")));
    v.published = match release {
        Some((date, name)) => timestamp(Some(date), &field(name))?,
        None => header.initial_release_date.clone(),
    };
    v.title = raw.title.clone();

    let lang = header.lang.as_deref().unwrap_or("en");
    for note in &raw.notes {
        let Some(text) = note.text.as_ref() else {
            continue;
        };
        match note.category.as_deref() {
            Some("description" | "summary") => v.descriptions.push(LangText {
                lang: lang.to_string(),
                value: text.clone(),
            }),
            _ => v.notes.push(match &note.title {
                Some(title) => format!("{title}: {text}"),
                None => text.clone(),
            }),
        }
    }

    for cwe in raw.cwe.iter().chain(&raw.cwes) {
        if let Some(id) = &cwe.id {
            v.weaknesses.push(Weakness {
                source: header.publisher.clone(),
                cwe: id.clone(),
            });
        }
    }
    v.cvss = cvss_metrics(raw, &header.publisher, field)?;
    v.references = raw
        .references
        .iter()
        .filter_map(|r| {
            Some(Reference {
                url: r.url.clone()?,
                source: None,
                tags: r.category.iter().cloned().collect(),
            })
        })
        .collect();
    v.csaf = Some(csaf_info(i, raw, groups)?);
    Ok(v)
}

/// CVSS from CSAF 2.0 `scores` and CSAF 2.1 `metrics[].content`. A vector
/// given for several product sets is kept once: the model has no per-product
/// scores.
fn cvss_metrics(
    raw: &RawVuln,
    publisher: &str,
    field: impl Fn(&str) -> String,
) -> Result<Vec<CvssMetric>, RecordError> {
    let scores = raw
        .scores
        .iter()
        .enumerate()
        .map(|(j, s)| (s, field(&format!("scores[{j}]"))));
    let metrics = raw
        .metrics
        .iter()
        .enumerate()
        .map(|(j, m)| (&m.content, field(&format!("metrics[{j}].content"))));
    let mut out: Vec<CvssMetric> = Vec::new();
    for (score, at) in scores.chain(metrics) {
        let each = [
            (&score.cvss_v2, "cvss_v2", "2.0"),
            (&score.cvss_v3, "cvss_v3", "3.1"),
            (&score.cvss_v4, "cvss_v4", "4.0"),
        ];
        for (cvss, key, default_version) in each {
            let Some(cvss) = cvss else { continue };
            let m = metric(cvss, publisher, default_version, || format!("{at}.{key}"))?;
            if !out.contains(&m) {
                out.push(m);
            }
        }
    }
    Ok(out)
}

fn metric(
    raw: &RawCvss,
    publisher: &str,
    default_version: &str,
    field: impl Fn() -> String,
) -> Result<CvssMetric, RecordError> {
    let vector = required(
        raw.vector_string.as_ref(),
        &format!("{}.vectorString", field()),
    )?;
    // Prefer the declared version; else the `CVSS:3.0/` prefix of the vector.
    let version = raw.version.clone().unwrap_or_else(|| {
        vector
            .strip_prefix("CVSS:")
            .and_then(|rest| rest.split('/').next())
            .unwrap_or(default_version)
            .to_string()
    });
    Ok(CvssMetric {
        source: publisher.to_string(),
        version,
        vector,
        base_score: raw.base_score,
        base_severity: raw.base_severity.clone(),
        kind: None,
    })
}

fn csaf_info(
    i: usize,
    raw: &RawVuln,
    groups: &HashMap<&str, &[String]>,
) -> Result<CsafVulnInfo, RecordError> {
    let status = raw.product_status.as_ref();
    let product_status = STATUSES
        .iter()
        .filter_map(|&key| {
            let ids = status?.get(key)?;
            (!ids.is_empty()).then(|| (key.to_string(), ids.clone()))
        })
        .collect();

    let remediations = raw
        .remediations
        .iter()
        .enumerate()
        .map(|(j, r)| {
            let field = |name: &str| format!("vulnerabilities[{i}].remediations[{j}].{name}");
            Ok(Remediation {
                category: required(r.category.as_ref(), &field("category"))?,
                details: r.details.clone().unwrap_or_default(),
                product_ids: expand(&r.product_ids, &r.group_ids, groups),
                url: r.url.clone(),
            })
        })
        .collect::<Result<Vec<_>, RecordError>>()?;

    let mut flags: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (j, flag) in raw.flags.iter().enumerate() {
        let label = required(
            flag.label.as_ref(),
            &format!("vulnerabilities[{i}].flags[{j}].label"),
        )?;
        let ids = flags.entry(label).or_default();
        for id in expand(&flag.product_ids, &flag.group_ids, groups) {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    let mut exploit_status = Vec::new();
    for t in &raw.threats {
        if t.category.as_deref() != Some("exploit_status") {
            continue;
        }
        let Some(details) = t.details.as_ref().filter(|d| !d.trim().is_empty()) else {
            continue;
        };
        exploit_status.push(ExploitStatus {
            details: details.clone(),
            // A date that does not parse leaves the statement undated.
            date: t.date.as_deref().and_then(normalize),
            product_ids: expand(&t.product_ids, &t.group_ids, groups),
        });
    }
    Ok(CsafVulnInfo {
        product_status,
        remediations,
        flags,
        exploit_status,
    })
}

/// Product ids named directly plus those of the named product groups, each
/// once, in order of first mention.
fn expand(
    product_ids: &[String],
    group_ids: &[String],
    groups: &HashMap<&str, &[String]>,
) -> Vec<String> {
    let grouped = group_ids
        .iter()
        .flat_map(|g| groups.get(g.as_str()).copied().unwrap_or_default());
    let mut out: Vec<String> = Vec::new();
    for id in product_ids.iter().chain(grouped) {
        if !out.contains(id) {
            out.push(id.clone());
        }
    }
    out
}

// --- the subset of the CSAF schema that is read -----------------------------
// Fields are optional here and checked in code, so that a missing one is
// reported with its full path rather than serde's "missing field".

#[derive(Deserialize)]
struct RawCsaf {
    document: Option<RawDocument>,
    #[serde(default)]
    product_tree: RawProductTree,
    #[serde(default)]
    vulnerabilities: Vec<RawVuln>,
}

#[derive(Deserialize)]
struct RawDocument {
    category: Option<String>,
    csaf_version: Option<String>,
    publisher: Option<RawPublisher>,
    title: Option<String>,
    tracking: Option<RawTracking>,
    lang: Option<String>,
}

#[derive(Deserialize)]
struct RawPublisher {
    name: Option<String>,
    namespace: Option<String>,
}

#[derive(Deserialize)]
struct RawTracking {
    id: Option<String>,
    version: Option<String>,
    initial_release_date: Option<String>,
    current_release_date: Option<String>,
}

#[derive(Deserialize, Default)]
struct RawProductTree {
    #[serde(default)]
    branches: Vec<RawBranch>,
    #[serde(default)]
    full_product_names: Vec<RawProduct>,
    #[serde(default)]
    relationships: Vec<RawRelationship>,
    #[serde(default)]
    product_groups: Vec<RawGroup>,
}

#[derive(Deserialize)]
struct RawBranch {
    category: Option<String>,
    name: Option<String>,
    #[serde(default)]
    branches: Vec<RawBranch>,
    product: Option<RawProduct>,
}

#[derive(Deserialize)]
struct RawProduct {
    name: Option<String>,
    product_id: Option<String>,
    product_identification_helper: Option<RawHelper>,
}

#[derive(Deserialize)]
struct RawHelper {
    cpe: Option<String>,
    purl: Option<String>,
    #[serde(default)]
    purls: Vec<String>,
    #[serde(default)]
    model_numbers: Vec<String>,
    #[serde(default)]
    serial_numbers: Vec<String>,
    #[serde(default)]
    skus: Vec<String>,
}

#[derive(Deserialize)]
struct RawRelationship {
    category: Option<String>,
    product_reference: Option<String>,
    relates_to_product_reference: Option<String>,
    full_product_name: Option<RawProduct>,
}

#[derive(Deserialize)]
struct RawGroup {
    group_id: Option<String>,
    #[serde(default)]
    product_ids: Vec<String>,
}

#[derive(Deserialize)]
struct RawVuln {
    cve: Option<String>,
    #[serde(default)]
    ids: Vec<RawId>,
    title: Option<String>,
    release_date: Option<String>,
    disclosure_date: Option<String>,
    #[serde(default)]
    notes: Vec<RawNote>,
    cwe: Option<RawCwe>,
    #[serde(default)]
    cwes: Vec<RawCwe>,
    #[serde(default)]
    scores: Vec<RawScore>,
    #[serde(default)]
    metrics: Vec<RawMetric>,
    #[serde(default)]
    references: Vec<RawReference>,
    product_status: Option<HashMap<String, Vec<String>>>,
    #[serde(default)]
    remediations: Vec<RawRemediation>,
    #[serde(default)]
    flags: Vec<RawFlag>,
    #[serde(default)]
    threats: Vec<RawThreat>,
}

#[derive(Deserialize)]
struct RawThreat {
    category: Option<String>,
    details: Option<String>,
    date: Option<String>,
    #[serde(default)]
    product_ids: Vec<String>,
    #[serde(default)]
    group_ids: Vec<String>,
}

#[derive(Deserialize)]
struct RawId {
    text: Option<String>,
}

#[derive(Deserialize)]
struct RawNote {
    category: Option<String>,
    text: Option<String>,
    title: Option<String>,
}

#[derive(Deserialize)]
struct RawCwe {
    id: Option<String>,
}

#[derive(Deserialize)]
struct RawScore {
    cvss_v2: Option<RawCvss>,
    cvss_v3: Option<RawCvss>,
    cvss_v4: Option<RawCvss>,
}

#[derive(Deserialize)]
struct RawMetric {
    content: RawScore,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCvss {
    vector_string: Option<String>,
    base_score: Option<f64>,
    base_severity: Option<String>,
    version: Option<String>,
}

#[derive(Deserialize)]
struct RawReference {
    url: Option<String>,
    category: Option<String>,
}

#[derive(Deserialize)]
struct RawRemediation {
    category: Option<String>,
    details: Option<String>,
    #[serde(default)]
    product_ids: Vec<String>,
    #[serde(default)]
    group_ids: Vec<String>,
    url: Option<String>,
}

#[derive(Deserialize)]
struct RawFlag {
    label: Option<String>,
    #[serde(default)]
    product_ids: Vec<String>,
    #[serde(default)]
    group_ids: Vec<String>,
}
