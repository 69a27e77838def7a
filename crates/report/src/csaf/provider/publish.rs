//! Planning a trusted provider's tree: which files to write and remove so
//! that the tree at `--dir` holds the documents given and the ones already
//! published, with hashes, signatures, listings, feeds and metadata that
//! agree (CSAF 2.0 section 7.1, requirements 1–20 as far as files go).

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::feed::{FeedContext, Listed, changes_csv, index_txt, rolie_feed};
use super::sign::{SignError, Signer};
use super::{DocInfo, Tlp, file_name, format_time, hash_line, sha256_hex, sha512_hex};
use crate::csaf::version::DocVersion;
use crate::csaf::{schema, validate_bytes};

/// A document given to publish: its name (for messages) and bytes.
pub struct Input {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// The tree already at the destination.
#[derive(Default)]
pub struct Existing {
    pub metadata: Option<Vec<u8>>,
    /// Documents by path from the tree's root (`white/2024/x.json`).
    pub documents: Vec<(String, Vec<u8>)>,
}

pub struct Options<'a> {
    /// Where the tree is served (`https://example.com/.well-known/csaf`).
    /// Default: the existing tree's, else the publisher's namespace +
    /// `/.well-known/csaf`.
    pub base_url: Option<String>,
    pub signer: Option<&'a Signer>,
    pub now: DateTime<Utc>,
}

/// What happened to one document given.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Added,
    Replaced,
    Unchanged,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Outcome {
    pub file: String,
    pub tracking_id: String,
    pub version: String,
    pub path: String,
    pub action: Action,
}

/// The files to write (in order: documents first, the metadata last, so
/// that a reader never finds metadata or listings naming a missing file)
/// and the files to remove.
pub struct Plan {
    pub writes: Vec<(String, Vec<u8>)>,
    pub removes: Vec<String>,
    pub outcomes: Vec<Outcome>,
    pub canonical_url: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("{file}: not valid CSAF 2.0: {tests} (run `kensa csaf validate {file}`)")]
    Invalid { file: String, tests: String },
    #[error("{file}: {message}")]
    Document { file: String, message: String },
    #[error("{file}: TLP:RED documents are never published")]
    Red { file: String },
    #[error(
        "{file}: {id} version {version} differs from {other} (version {other_version}); \
         publish it with a newer /document/tracking/version"
    )]
    Conflict {
        file: String,
        id: String,
        version: String,
        other: String,
        other_version: String,
    },
    #[error("the existing tree: {0}")]
    Existing(String),
    #[error("{0}")]
    Publisher(String),
    #[error("signing: {0}")]
    Sign(#[from] SignError),
}

/// One document in the tree after publishing.
struct Entry {
    /// `white/2024/x.json`
    path: String,
    info: DocInfo,
    tlp: Tlp,
    bytes: Vec<u8>,
    /// Where it came from: a file given, or `None` when already published.
    given: Option<String>,
}

pub fn plan(
    inputs: &[Input],
    existing: &Existing,
    opts: &Options<'_>,
) -> Result<Plan, PublishError> {
    let mut tree: BTreeMap<String, Entry> = BTreeMap::new();
    for (path, bytes) in &existing.documents {
        let entry = existing_entry(path, bytes)?;
        tree.insert(entry.info.tracking_id.clone(), entry);
    }
    let old_paths: BTreeMap<String, String> = tree
        .iter()
        .map(|(id, e)| (id.clone(), e.path.clone()))
        .collect();
    let mut outcomes = Vec::new();
    let mut publishers = Vec::new();
    for input in inputs {
        let (entry, publisher) = given_entry(input)?;
        publishers.push((input.name.clone(), publisher));
        let id = entry.info.tracking_id.clone();
        let action = merge(&mut tree, entry)?;
        let e = &tree[&id];
        outcomes.push(Outcome {
            file: input.name.clone(),
            tracking_id: e.info.tracking_id.clone(),
            version: e.info.version.clone(),
            path: e.path.clone(),
            action,
        });
    }
    let meta = existing
        .metadata
        .as_deref()
        .map(|m| {
            serde_json::from_slice::<Value>(m)
                .map_err(|e| PublishError::Existing(format!("provider-metadata.json: {e}")))
        })
        .transpose()?;
    let publisher = choose_publisher(&publishers, meta.as_ref())?;
    let base = base_url(opts, meta.as_ref(), &publisher)?;
    let mut removes = Vec::new();
    for (id, old) in &old_paths {
        if tree.get(id).is_some_and(|e| &e.path != old) {
            removes.extend(with_companions(old));
        }
    }
    let writes = files(&tree, &base, &publisher, meta.as_ref(), opts, &mut removes)?;
    Ok(Plan {
        writes,
        removes,
        outcomes,
        canonical_url: format!("{base}/provider-metadata.json"),
    })
}

fn existing_entry(path: &str, bytes: &[u8]) -> Result<Entry, PublishError> {
    let doc: Value = serde_json::from_slice(bytes)
        .map_err(|e| PublishError::Existing(format!("{path}: not JSON: {e}")))?;
    let info = DocInfo::read(&doc).map_err(|e| PublishError::Existing(format!("{path}: {e}")))?;
    let tlp = path
        .split('/')
        .next()
        .and_then(Tlp::parse)
        .ok_or_else(|| PublishError::Existing(format!("{path}: not under a TLP folder")))?;
    Ok(Entry {
        path: path.to_string(),
        info,
        tlp,
        bytes: bytes.to_vec(),
        given: None,
    })
}

/// Validates a given document and reads what the tree needs.
fn given_entry(input: &Input) -> Result<(Entry, Value), PublishError> {
    let file = input.name.clone();
    let validation = validate_bytes(&input.bytes);
    if !validation.valid() {
        let tests: Vec<String> = validation
            .errors()
            .take(3)
            .map(|f| format!("test {} at {}: {}", f.test, or_root(&f.path), f.message))
            .collect();
        let more = validation.errors().count().saturating_sub(3);
        let tests = tests.join("; ")
            + &if more > 0 {
                format!("; and {more} more")
            } else {
                String::new()
            };
        return Err(PublishError::Invalid { file, tests });
    }
    let doc: Value = serde_json::from_slice(&input.bytes).expect("validated JSON");
    let info = DocInfo::read(&doc).map_err(|message| PublishError::Document {
        file: file.clone(),
        message,
    })?;
    let tlp = match info.tlp {
        Some(Tlp::Red) => return Err(PublishError::Red { file }),
        Some(t) => t,
        None => {
            return Err(PublishError::Document {
                file,
                message: "no TLP label at /document/distribution/tlp/label: a provider files \
                          each document under its TLP (WHITE for the public)"
                    .into(),
            });
        }
    };
    let path = format!("{}/{}", tlp.folder(), info.path_in_folder());
    let publisher = doc
        .pointer("/document/publisher")
        .cloned()
        .unwrap_or(Value::Null);
    Ok((
        Entry {
            path,
            info,
            tlp,
            bytes: input.bytes.clone(),
            given: Some(file),
        },
        publisher,
    ))
}

fn or_root(p: &str) -> &str {
    if p.is_empty() { "/" } else { p }
}

/// Puts a given document into the tree: new, a newer version of one there,
/// or the same bytes again. An equal or older version with other content
/// is refused.
fn merge(tree: &mut BTreeMap<String, Entry>, new: Entry) -> Result<Action, PublishError> {
    let Some(old) = tree.get(&new.info.tracking_id) else {
        tree.insert(new.info.tracking_id.clone(), new);
        return Ok(Action::Added);
    };
    if old.bytes == new.bytes {
        return Ok(Action::Unchanged);
    }
    let newer = match (
        DocVersion::parse(&new.info.version),
        DocVersion::parse(&old.info.version),
    ) {
        (Some(n), Some(o)) => n.precedence(&o) == Ordering::Greater,
        _ => false,
    };
    if !newer {
        return Err(PublishError::Conflict {
            file: new.given.clone().unwrap_or_default(),
            id: new.info.tracking_id.clone(),
            version: new.info.version.clone(),
            other: old
                .given
                .clone()
                .unwrap_or_else(|| format!("the published {}", old.path)),
            other_version: old.info.version.clone(),
        });
    }
    tree.insert(new.info.tracking_id.clone(), new);
    Ok(Action::Replaced)
}

/// A document's file and the files published beside it.
fn with_companions(path: &str) -> Vec<String> {
    ["", ".sha256", ".sha512", ".asc"]
        .iter()
        .map(|ext| format!("{path}{ext}"))
        .collect()
}

/// The publisher the metadata names: the documents' (they must agree with
/// each other and with the tree's metadata).
fn choose_publisher(
    given: &[(String, Value)],
    meta: Option<&Value>,
) -> Result<Value, PublishError> {
    let namespace = |p: &Value| {
        p.get("namespace")
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let existing = meta.and_then(|m| m.get("publisher")).cloned();
    let mut chosen: Option<(String, Value)> =
        existing.map(|p| ("provider-metadata.json".to_string(), p));
    for (file, p) in given {
        match &chosen {
            Some((from, c)) if namespace(c) != namespace(p) => {
                return Err(PublishError::Publisher(format!(
                    "{file}: publisher namespace {} differs from {} in {from}; one tree serves one publisher",
                    namespace(p).unwrap_or_default(),
                    namespace(c).unwrap_or_default()
                )));
            }
            Some(_) => {}
            None => chosen = Some((file.clone(), p.clone())),
        }
    }
    let (_, p) = chosen.ok_or_else(|| PublishError::Publisher("no documents to publish".into()))?;
    // The metadata's publisher has the document's fields; drop any other.
    let mut out = serde_json::Map::new();
    for key in [
        "category",
        "contact_details",
        "issuing_authority",
        "name",
        "namespace",
    ] {
        if let Some(v) = p.get(key) {
            out.insert(key.into(), v.clone());
        }
    }
    Ok(Value::Object(out))
}

fn base_url(
    opts: &Options<'_>,
    meta: Option<&Value>,
    publisher: &Value,
) -> Result<String, PublishError> {
    let from_meta = meta
        .and_then(|m| m.get("canonical_url"))
        .and_then(Value::as_str)
        .and_then(|u| u.strip_suffix("/provider-metadata.json"))
        .map(str::to_string);
    let from_namespace = publisher
        .get("namespace")
        .and_then(Value::as_str)
        .map(|n| format!("{}/.well-known/csaf", n.trim_end_matches('/')));
    let base = opts
        .base_url
        .clone()
        .or(from_meta)
        .or(from_namespace)
        .ok_or_else(|| PublishError::Publisher("no base URL: give --base-url".into()))?;
    if !(base.starts_with("https://") || base.starts_with("http://")) {
        return Err(PublishError::Publisher(format!(
            "base URL `{base}` is no http(s) URL (it comes from the publisher's namespace \
             unless given): give --base-url https://…/.well-known/csaf"
        )));
    }
    Ok(base.trim_end_matches('/').to_string())
}

/// Every file of the tree, documents first and the metadata last.
fn files(
    tree: &BTreeMap<String, Entry>,
    base: &str,
    publisher: &Value,
    meta: Option<&Value>,
    opts: &Options<'_>,
    removes: &mut Vec<String>,
) -> Result<Vec<(String, Vec<u8>)>, PublishError> {
    let mut writes = Vec::new();
    for e in tree.values() {
        if e.given.is_some() {
            writes.push((e.path.clone(), e.bytes.clone()));
        }
        let name = file_name(&e.info.tracking_id);
        writes.push((
            format!("{}.sha256", e.path),
            hash_line(&sha256_hex(&e.bytes), &name).into_bytes(),
        ));
        writes.push((
            format!("{}.sha512", e.path),
            hash_line(&sha512_hex(&e.bytes), &name).into_bytes(),
        ));
        match opts.signer {
            Some(s) => writes.push((format!("{}.asc", e.path), s.sign(&e.bytes)?.into_bytes())),
            // A signature of an earlier version would no longer verify.
            None if e.given.is_some() => removes.push(format!("{}.asc", e.path)),
            None => {}
        }
    }
    let mut keys: Vec<Value> = Vec::new();
    if let Some(s) = opts.signer {
        let fingerprint = s.fingerprint();
        let key_path = format!("openpgp/{fingerprint}.asc");
        writes.push((key_path.clone(), s.public_armored()?.into_bytes()));
        keys.push(json!({"fingerprint": fingerprint, "url": format!("{base}/{key_path}")}));
        // Keys listed before (a rotation) stay listed.
        let listed = meta
            .and_then(|m| m.get("public_openpgp_keys"))
            .and_then(Value::as_array);
        for k in listed.into_iter().flatten() {
            if k.get("fingerprint").and_then(Value::as_str) != Some(&fingerprint) {
                keys.push(k.clone());
            }
        }
    }
    let publisher_name = publisher
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("CSAF provider");
    let used: BTreeSet<Tlp> = tree.values().map(|e| e.tlp).collect();
    let mut distributions = Vec::new();
    for tlp in Tlp::PUBLISHABLE.into_iter().filter(|t| used.contains(t)) {
        let folder_url = format!("{base}/{}/", tlp.folder());
        let prefix = format!("{}/", tlp.folder());
        let listed: Vec<Listed> = tree
            .values()
            .filter(|e| e.tlp == tlp)
            .map(|e| Listed {
                path: &e.path[prefix.len()..],
                info: &e.info,
            })
            .collect();
        let ctx = FeedContext {
            tlp,
            folder_url: &folder_url,
            publisher_name,
            signed: opts.signer.is_some(),
            now: opts.now,
        };
        let feed = serde_json::to_vec_pretty(&rolie_feed(&ctx, &listed)).expect("JSON");
        writes.push((
            format!("{prefix}index.txt"),
            index_txt(&listed).into_bytes(),
        ));
        writes.push((
            format!("{prefix}changes.csv"),
            changes_csv(&listed).into_bytes(),
        ));
        writes.push((format!("{prefix}{}", tlp.feed_file()), feed));
        distributions.push(json!({
            "directory_url": folder_url,
            "rolie": {"feeds": [{
                "summary": format!("TLP:{} advisories of {publisher_name}", tlp.label()),
                "tlp_label": tlp.label(),
                "url": format!("{folder_url}{}", tlp.feed_file()),
            }]}
        }));
    }
    let flag = |key: &str| {
        meta.and_then(|m| m.get(key))
            .and_then(Value::as_bool)
            .unwrap_or(true)
    };
    let mut metadata = json!({
        "canonical_url": format!("{base}/provider-metadata.json"),
        "distributions": distributions,
        "last_updated": format_time(opts.now),
        "list_on_CSAF_aggregators": flag("list_on_CSAF_aggregators"),
        "metadata_version": "2.0",
        "mirror_on_CSAF_aggregators": flag("mirror_on_CSAF_aggregators"),
        "publisher": publisher,
        // Requirements 18–20 (hashes, signatures, keys) make a trusted
        // provider; without a key the tree is a provider's.
        "role": if opts.signer.is_some() { "csaf_trusted_provider" } else { "csaf_provider" },
    });
    if !keys.is_empty() {
        metadata["public_openpgp_keys"] = Value::Array(keys);
    }
    let problems = schema::validate_provider(&metadata);
    if !problems.is_empty() {
        return Err(PublishError::Publisher(format!(
            "the provider metadata would not be valid: {}",
            problems.join("; ")
        )));
    }
    writes.push((
        "provider-metadata.json".into(),
        serde_json::to_vec_pretty(&metadata).expect("JSON"),
    ));
    Ok(writes)
}
