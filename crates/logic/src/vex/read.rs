//! Reading VEX documents (CycloneDX, OpenVEX, CSAF 2.0) into one list of
//! statements: which vulnerability, which products, what status and why.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;

use super::VexStatus;
use super::write::MARKER_OPEN;
use crate::fingerprint::is_fingerprint;

/// VEX files larger than this are refused.
pub const MAX_VEX_BYTES: usize = 64 << 20;

/// Which versions of a product a statement covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum VersionScope {
    /// No version given: every version, so the decision survives upgrades.
    Any,
    Exact(String),
    /// A `vers:` range (CycloneDX `affects[].versions[].range`).
    Range(String),
}

/// One way a statement names a product or component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductId {
    /// A purl without its version (the version is in `version`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpe: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bom_ref: Option<String>,
    pub version: VersionScope,
}

/// One VEX statement in Kensa's terms.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Statement {
    pub vulnerability: String,
    pub aliases: Vec<String>,
    pub products: Vec<ProductId>,
    pub status: VexStatus,
    /// The justification code as the document spells it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The condition tree fingerprint recorded by Kensa, when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<Recorded>,
    /// `FILE (format) at JSON-POINTER`.
    pub source: String,
}

#[derive(Debug, thiserror::Error)]
pub enum VexReadError {
    #[error("{name}: {size} bytes; VEX documents larger than {MAX_VEX_BYTES} bytes are refused")]
    TooLarge { name: String, size: usize },
    #[error("{name}: not JSON: {message}")]
    Json { name: String, message: String },
    #[error(
        "{name}: not a VEX document Kensa reads (expected CycloneDX with `bomFormat`, OpenVEX with an openvex.dev `@context`, or CSAF 2.0 with `document.csaf_version`)"
    )]
    UnknownFormat { name: String },
    #[error("{name}: at {pointer}: {message}")]
    Invalid {
        name: String,
        pointer: String,
        message: String,
    },
}

/// The statements of one document; `name` (the file) goes into every
/// statement's `source` and every error.
pub fn parse(bytes: &[u8], name: &str) -> Result<Vec<Statement>, VexReadError> {
    if bytes.len() > MAX_VEX_BYTES {
        return Err(VexReadError::TooLarge {
            name: name.into(),
            size: bytes.len(),
        });
    }
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| VexReadError::Json {
        name: name.into(),
        message: e.to_string(),
    })?;
    let r = Reader { name };
    if doc.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        r.cyclonedx(&doc)
    } else if doc
        .get("@context")
        .and_then(Value::as_str)
        .is_some_and(|c| c.contains("openvex"))
    {
        r.openvex(&doc)
    } else if doc.pointer("/document/csaf_version").is_some() {
        r.csaf(&doc)
    } else {
        Err(VexReadError::UnknownFormat { name: name.into() })
    }
}

struct Reader<'a> {
    name: &'a str,
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn array<'v>(v: &'v Value, key: &str) -> &'v [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The condition tree a Kensa decision was made on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recorded {
    pub fingerprint: String,
    /// `rules`, `llm` or `analyst` (see [`crate::fingerprint::origin`]).
    pub origin: String,
}

/// The fingerprint in a `[kensa-conditions:…]` marker of any of `texts`.
fn marker_in<'t>(texts: impl IntoIterator<Item = Option<&'t str>>) -> Option<Recorded> {
    texts.into_iter().flatten().find_map(|t| {
        let start = t.find(MARKER_OPEN)? + MARKER_OPEN.len();
        let end = t[start..].find(']')? + start;
        let (fp, origin) = t[start..end]
            .split_once('/')
            .unwrap_or((&t[start..end], "rules"));
        is_fingerprint(fp).then(|| Recorded {
            fingerprint: fp.to_string(),
            origin: origin.to_string(),
        })
    })
}

/// A purl split into its versionless form and its version.
pub fn split_purl(purl: &str) -> (String, Option<String>) {
    let purl = purl.trim();
    let (body, rest) = match purl.find(['?', '#']) {
        Some(i) => (&purl[..i], &purl[i..]),
        None => (purl, ""),
    };
    let last_slash = body.rfind('/').unwrap_or(0);
    match body[last_slash..].find('@') {
        Some(at) => {
            let at = last_slash + at;
            let version = percent_decode(&body[at + 1..]);
            (
                format!("{}{rest}", &body[..at]),
                Some(version).filter(|v| !v.is_empty()),
            )
        }
        None => (purl.to_string(), None),
    }
}

pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        // Hex digits are ASCII, so the slice below is on char boundaries.
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && bytes[i + 1].is_ascii_hexdigit()
            && bytes[i + 2].is_ascii_hexdigit()
            && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn from_purl(purl: &str) -> ProductId {
    let (base, version) = split_purl(purl);
    ProductId {
        purl: Some(base),
        cpe: None,
        name: None,
        bom_ref: None,
        version: version.map_or(VersionScope::Any, VersionScope::Exact),
    }
}

/// The version part of a CPE 2.3 formatted string, when it names one.
fn cpe_version(cpe: &str) -> Option<String> {
    let v = cpe.split(':').nth(5)?;
    (v != "*" && v != "-" && !v.is_empty()).then(|| v.replace('\\', ""))
}

fn from_cpe(cpe: &str) -> ProductId {
    ProductId {
        purl: None,
        cpe: Some(cpe.to_string()),
        name: None,
        bom_ref: None,
        version: cpe_version(cpe).map_or(VersionScope::Any, VersionScope::Exact),
    }
}

impl Reader<'_> {
    fn invalid(&self, pointer: String, message: impl Into<String>) -> VexReadError {
        VexReadError::Invalid {
            name: self.name.into(),
            pointer,
            message: message.into(),
        }
    }

    fn source(&self, format: &str, pointer: &str) -> String {
        format!("{} ({format}) at {pointer}", self.name)
    }

    // ---- CycloneDX -------------------------------------------------------

    fn cyclonedx(&self, doc: &Value) -> Result<Vec<Statement>, VexReadError> {
        let mut components: HashMap<String, &Value> = HashMap::new();
        if let Some(c) = doc.pointer("/metadata/component") {
            collect_components(c, &mut components);
        }
        for c in array(doc, "components") {
            collect_components(c, &mut components);
        }
        let mut out = Vec::new();
        for (i, v) in array(doc, "vulnerabilities").iter().enumerate() {
            let pointer = format!("/vulnerabilities/{i}");
            let id =
                text(v, "id").ok_or_else(|| self.invalid(format!("{pointer}/id"), "missing"))?;
            let analysis = v.get("analysis");
            let state = analysis.and_then(|a| text(a, "state"));
            let mut products = Vec::new();
            let mut version_status = None;
            for (j, a) in array(v, "affects").iter().enumerate() {
                let r = text(a, "ref")
                    .ok_or_else(|| self.invalid(format!("{pointer}/affects/{j}/ref"), "missing"))?;
                let base = cyclonedx_product(&r, &components);
                let versions = array(a, "versions");
                if versions.is_empty() {
                    products.push(base.clone());
                }
                for ver in versions {
                    version_status = version_status.or_else(|| text(ver, "status"));
                    let scope = match (text(ver, "version"), text(ver, "range")) {
                        (Some(x), _) => VersionScope::Exact(x),
                        (None, Some(r)) => VersionScope::Range(r),
                        (None, None) => continue,
                    };
                    products.push(ProductId {
                        version: scope,
                        ..base.clone()
                    });
                }
            }
            // A VDR entry without analysis says nothing about exploitability;
            // fall back to the per-version status only when that is all there is.
            let status = match (state.as_deref(), version_status.as_deref()) {
                (Some(s), _) => cyclonedx_state(s).ok_or_else(|| {
                    self.invalid(
                        format!("{pointer}/analysis/state"),
                        format!("unknown state `{s}`"),
                    )
                })?,
                (None, Some("unaffected")) => VexStatus::NotAffected,
                (None, Some("affected")) => VexStatus::Affected,
                (None, _) => continue,
            };
            let detail = analysis.and_then(|a| text(a, "detail"));
            let property = |name: &str| {
                array(v, "properties").iter().find_map(|p| {
                    (text(p, "name").as_deref() == Some(name))
                        .then(|| text(p, "value"))
                        .flatten()
                })
            };
            let property_fp = property(super::FINGERPRINT_PROPERTY)
                .filter(|f| is_fingerprint(f))
                .map(|fingerprint| Recorded {
                    fingerprint,
                    origin: property(super::ORIGIN_PROPERTY).unwrap_or_else(|| "rules".into()),
                });
            out.push(Statement {
                aliases: array(v, "references")
                    .iter()
                    .filter_map(|r| text(r, "id"))
                    .collect(),
                vulnerability: id,
                products,
                status,
                justification: analysis.and_then(|a| text(a, "justification")),
                fingerprint: property_fp.or_else(|| marker_in([detail.as_deref()])),
                detail,
                source: self.source("CycloneDX", &pointer),
            });
        }
        Ok(out)
    }

    // ---- OpenVEX ---------------------------------------------------------

    fn openvex(&self, doc: &Value) -> Result<Vec<Statement>, VexReadError> {
        let mut out = Vec::new();
        for (i, s) in array(doc, "statements").iter().enumerate() {
            let pointer = format!("/statements/{i}");
            // 0.2.0: {"name": …, "aliases": […]}; earlier drafts: a string.
            let (id, aliases) = match s.get("vulnerability") {
                Some(Value::String(id)) => (id.clone(), Vec::new()),
                Some(v @ Value::Object(_)) => (
                    text(v, "name").or_else(|| text(v, "@id")).ok_or_else(|| {
                        self.invalid(format!("{pointer}/vulnerability/name"), "missing")
                    })?,
                    array(v, "aliases")
                        .iter()
                        .filter_map(|a| a.as_str().map(str::to_string))
                        .collect(),
                ),
                _ => return Err(self.invalid(format!("{pointer}/vulnerability"), "missing")),
            };
            let status_text = text(s, "status")
                .ok_or_else(|| self.invalid(format!("{pointer}/status"), "missing"))?;
            let status = openvex_status(&status_text).ok_or_else(|| {
                self.invalid(
                    format!("{pointer}/status"),
                    format!("unknown status `{status_text}`"),
                )
            })?;
            let mut products = Vec::new();
            for p in array(s, "products") {
                openvex_product(p, &mut products);
                for sub in array(p, "subcomponents") {
                    openvex_product(sub, &mut products);
                }
            }
            for sub in array(s, "subcomponents") {
                openvex_product(sub, &mut products);
            }
            let impact = text(s, "impact_statement");
            let notes = text(s, "status_notes");
            let action = text(s, "action_statement");
            out.push(Statement {
                vulnerability: id,
                aliases,
                products,
                status,
                justification: text(s, "justification"),
                fingerprint: marker_in([notes.as_deref(), impact.as_deref(), action.as_deref()]),
                detail: impact.or(action).or(notes),
                source: self.source("OpenVEX", &pointer),
            });
        }
        Ok(out)
    }

    // ---- CSAF ------------------------------------------------------------

    fn csaf(&self, doc: &Value) -> Result<Vec<Statement>, VexReadError> {
        let tree = doc.get("product_tree").unwrap_or(&Value::Null);
        let mut products: HashMap<String, ProductId> = HashMap::new();
        for b in array(tree, "branches") {
            csaf_branch(b, Trail::default(), &mut products);
        }
        for p in array(tree, "full_product_names") {
            csaf_product(p, Trail::default(), &mut products);
        }
        // A relationship names a component inside a product; the finding is
        // about the component, so the new id takes the component's identity.
        for r in array(tree, "relationships") {
            let (Some(component), Some(id)) = (
                text(r, "product_reference"),
                r.pointer("/full_product_name/product_id")
                    .and_then(Value::as_str),
            ) else {
                continue;
            };
            if let Some(p) = products.get(&component).cloned() {
                products.insert(id.to_string(), p);
            }
        }
        let groups: HashMap<String, Vec<String>> = array(tree, "product_groups")
            .iter()
            .filter_map(|g| {
                Some((
                    text(g, "group_id")?,
                    array(g, "product_ids")
                        .iter()
                        .filter_map(|p| p.as_str().map(str::to_string))
                        .collect(),
                ))
            })
            .collect();
        let mut out = Vec::new();
        for (i, v) in array(doc, "vulnerabilities").iter().enumerate() {
            let pointer = format!("/vulnerabilities/{i}");
            let ids: Vec<String> = array(v, "ids")
                .iter()
                .filter_map(|x| text(x, "text"))
                .collect();
            let Some(id) = text(v, "cve").or_else(|| ids.first().cloned()) else {
                return Err(self.invalid(pointer, "neither `cve` nor `ids`"));
            };
            let aliases: Vec<String> = ids.into_iter().filter(|x| *x != id).collect();
            let per_product = |key: &str| -> HashMap<String, String> {
                let mut m = HashMap::new();
                for entry in array(v, key) {
                    if key == "threats" && text(entry, "category").as_deref() != Some("impact") {
                        continue;
                    }
                    let value = match key {
                        "flags" => text(entry, "label"),
                        _ => text(entry, "details"),
                    };
                    let Some(value) = value else { continue };
                    for pid in expand_ids(entry, &groups) {
                        m.entry(pid).or_insert_with(|| value.clone());
                    }
                }
                m
            };
            let flags = per_product("flags");
            let threats = per_product("threats");
            let remediations = per_product("remediations");
            let notes: Vec<String> = array(v, "notes")
                .iter()
                .filter_map(|n| text(n, "text"))
                .collect();
            let fingerprint = marker_in(notes.iter().map(|n| Some(n.as_str())));
            let Some(status_obj) = v.get("product_status") else {
                continue;
            };
            for (key, status) in CSAF_STATUSES {
                for pid in array(status_obj, key).iter().filter_map(Value::as_str) {
                    let Some(product) = products.get(pid) else {
                        return Err(self.invalid(
                            format!("{pointer}/product_status/{key}"),
                            format!("product id `{pid}` is not in the product tree"),
                        ));
                    };
                    out.push(Statement {
                        vulnerability: id.clone(),
                        aliases: aliases.clone(),
                        products: vec![product.clone()],
                        status: *status,
                        justification: flags.get(pid).cloned(),
                        detail: threats
                            .get(pid)
                            .or_else(|| remediations.get(pid))
                            .cloned()
                            .or_else(|| notes.first().cloned()),
                        fingerprint: fingerprint.clone(),
                        source: self.source("CSAF", &format!("{pointer}/product_status/{key}")),
                    });
                }
            }
        }
        Ok(out)
    }
}

const CSAF_STATUSES: &[(&str, VexStatus)] = &[
    ("known_not_affected", VexStatus::NotAffected),
    ("known_affected", VexStatus::Affected),
    ("first_affected", VexStatus::Affected),
    ("last_affected", VexStatus::Affected),
    ("fixed", VexStatus::Fixed),
    ("first_fixed", VexStatus::Fixed),
    ("under_investigation", VexStatus::UnderInvestigation),
];

fn expand_ids(entry: &Value, groups: &HashMap<String, Vec<String>>) -> Vec<String> {
    let mut ids: Vec<String> = array(entry, "product_ids")
        .iter()
        .filter_map(|p| p.as_str().map(str::to_string))
        .collect();
    for g in array(entry, "group_ids").iter().filter_map(Value::as_str) {
        ids.extend(groups.get(g).into_iter().flatten().cloned());
    }
    ids
}

/// The product name and version the branches above a product state.
#[derive(Clone, Copy, Default)]
struct Trail<'v> {
    name: Option<&'v str>,
    version: Option<&'v str>,
}

fn csaf_branch<'v>(b: &'v Value, mut trail: Trail<'v>, out: &mut HashMap<String, ProductId>) {
    let name = b.get("name").and_then(Value::as_str);
    match text(b, "category").as_deref() {
        Some("product_version") => trail.version = name,
        Some("product_name") => trail.name = name,
        _ => {}
    }
    if let Some(p) = b.get("product") {
        csaf_product(p, trail, out);
    }
    for child in array(b, "branches") {
        csaf_branch(child, trail, out);
    }
}

fn csaf_product(p: &Value, trail: Trail, out: &mut HashMap<String, ProductId>) {
    let Some(pid) = text(p, "product_id") else {
        return;
    };
    let helper = p
        .get("product_identification_helper")
        .unwrap_or(&Value::Null);
    let id = if let Some(purl) = text(helper, "purl") {
        from_purl(&purl)
    } else if let Some(cpe) = text(helper, "cpe") {
        from_cpe(&cpe)
    } else {
        ProductId {
            purl: None,
            cpe: None,
            name: trail.name.map(str::to_string).or_else(|| text(p, "name")),
            bom_ref: None,
            version: trail
                .version
                .map_or(VersionScope::Any, |v| VersionScope::Exact(v.into())),
        }
    };
    out.insert(pid, id);
}

fn openvex_product(p: &Value, out: &mut Vec<ProductId>) {
    match p {
        Value::String(s) => out.push(identify(s)),
        Value::Object(_) => {
            let ids = p.get("identifiers").unwrap_or(&Value::Null);
            if let Some(purl) = text(ids, "purl") {
                out.push(from_purl(&purl));
            } else if let Some(cpe) = text(ids, "cpe23").or_else(|| text(ids, "cpe22")) {
                out.push(from_cpe(&cpe));
            } else if let Some(id) = text(p, "@id") {
                out.push(identify(&id));
            }
        }
        _ => {}
    }
}

/// An identifier of unknown kind: a purl, a CPE, or a plain name.
fn identify(s: &str) -> ProductId {
    if let Some(rest) = s.strip_prefix(super::write::PRODUCT_URN) {
        let (name, version) = match rest.split_once(':') {
            Some((n, v)) => (n, VersionScope::Exact(percent_decode(v))),
            None => (rest, VersionScope::Any),
        };
        return ProductId {
            purl: None,
            cpe: None,
            name: Some(percent_decode(name)),
            bom_ref: None,
            version,
        };
    }
    if s.starts_with("pkg:") {
        from_purl(s)
    } else if s.starts_with("cpe:") {
        from_cpe(s)
    } else {
        ProductId {
            purl: None,
            cpe: None,
            name: Some(s.to_string()),
            bom_ref: None,
            version: VersionScope::Any,
        }
    }
}

fn collect_components<'v>(c: &'v Value, out: &mut HashMap<String, &'v Value>) {
    if let Some(r) = text(c, "bom-ref") {
        out.insert(r, c);
    }
    for child in array(c, "components") {
        collect_components(child, out);
    }
}

/// An `affects[].ref`: a BOM-Link (`urn:cdx:serial/version#bom-ref`), a
/// bom-ref of a component in the same document, or a purl.
fn cyclonedx_product(r: &str, components: &HashMap<String, &Value>) -> ProductId {
    let r = match r.strip_prefix("urn:cdx:") {
        Some(link) => link.split_once('#').map_or(r, |(_, frag)| frag),
        None => r,
    };
    let r = percent_decode(r);
    if let Some(c) = components.get(&r) {
        let version = text(c, "version").map_or(VersionScope::Any, VersionScope::Exact);
        if let Some(purl) = text(c, "purl") {
            let mut id = from_purl(&purl);
            id.bom_ref = Some(r.clone());
            return id;
        }
        if let Some(cpe) = text(c, "cpe") {
            let mut id = from_cpe(&cpe);
            id.bom_ref = Some(r.clone());
            return id;
        }
        return ProductId {
            purl: None,
            cpe: None,
            name: text(c, "name"),
            bom_ref: Some(r.clone()),
            version,
        };
    }
    if r.starts_with("pkg:") {
        return from_purl(&r);
    }
    ProductId {
        purl: None,
        cpe: None,
        name: None,
        bom_ref: Some(r),
        version: VersionScope::Any,
    }
}

fn cyclonedx_state(s: &str) -> Option<VexStatus> {
    Some(match s {
        "not_affected" | "false_positive" => VexStatus::NotAffected,
        "exploitable" => VexStatus::Affected,
        "resolved" | "resolved_with_pedigree" => VexStatus::Fixed,
        "in_triage" => VexStatus::UnderInvestigation,
        _ => return None,
    })
}

fn openvex_status(s: &str) -> Option<VexStatus> {
    Some(match s {
        "not_affected" => VexStatus::NotAffected,
        "affected" => VexStatus::Affected,
        "fixed" => VexStatus::Fixed,
        "under_investigation" => VexStatus::UnderInvestigation,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_split_into_base_and_version() {
        assert_eq!(
            split_purl("pkg:apk/alpine/libcrypto3@3.0.8-r3?arch=x86_64"),
            (
                "pkg:apk/alpine/libcrypto3?arch=x86_64".to_string(),
                Some("3.0.8-r3".to_string())
            )
        );
        assert_eq!(
            split_purl("pkg:npm/%40angular/core@1.0%2B2"),
            (
                "pkg:npm/%40angular/core".to_string(),
                Some("1.0+2".to_string())
            )
        );
        assert_eq!(
            split_purl("pkg:deb/debian/openssl"),
            ("pkg:deb/debian/openssl".to_string(), None)
        );
    }

    #[test]
    fn unknown_documents_and_bad_json_are_named() {
        let e = parse(b"{\"hello\": 1}", "x.json").unwrap_err().to_string();
        assert!(e.starts_with("x.json: not a VEX document"), "{e}");
        let e = parse(b"{\"hello\": ", "y.json").unwrap_err().to_string();
        assert!(e.starts_with("y.json: not JSON"), "{e}");
        let e = parse(
            br#"{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [{"vulnerability": {"name": "CVE-1"}, "status": "maybe"}]}"#,
            "z.json",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("/statements/0/status"), "{e}");
    }
}
