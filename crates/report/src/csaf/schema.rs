//! The CSAF 2.0 JSON schema (with FIRST's CVSS schemas it references), the
//! "strict" variant of test 6.2.20, the CVSS schemas alone (test 6.1.8) and
//! the provider metadata schema. Each is compiled once per process.

use std::sync::OnceLock;

use serde_json::Value;

use super::{Finding, Group, finding};

const CSAF: &str = include_str!("../../schemas/csaf_json_schema.json");
const PROVIDER: &str = include_str!("../../schemas/provider_json_schema.json");
const CSAF_URL: &str = "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json";
const PROVIDER_URL: &str = "https://docs.oasis-open.org/csaf/csaf/v2.0/provider_json_schema.json";

/// FIRST's schemas, under the URLs the CSAF schema references them by.
const CVSS: &[(&str, &str)] = &[
    (
        "https://www.first.org/cvss/cvss-v2.0.json",
        include_str!("../../schemas/cvss-v2.0.json"),
    ),
    (
        "https://www.first.org/cvss/cvss-v3.0.json",
        include_str!("../../schemas/cvss-v3.0.json"),
    ),
    (
        "https://www.first.org/cvss/cvss-v3.1.json",
        include_str!("../../schemas/cvss-v3.1.json"),
    ),
];

/// At most this many schema findings per document: one wrong type deep in
/// a product tree can otherwise fan out into thousands of `oneOf` leaves.
const MAX_FINDINGS: usize = 50;

type Compiled = Result<(boon::Schemas, boon::SchemaIndex), String>;

fn parse(text: &str, url: &str, strict: bool) -> Result<Value, String> {
    let mut v: Value = serde_json::from_str(text).map_err(|e| format!("{url}: {e}"))?;
    if let Some(o) = v.as_object_mut() {
        o.insert("$id".into(), Value::String(url.to_string()));
    }
    if strict {
        forbid_additional(&mut v);
    }
    Ok(v)
}

/// The strict schema of 6.2.20: `additionalProperties: false` on every
/// object schema that lists its properties.
fn forbid_additional(v: &mut Value) {
    match v {
        Value::Object(o) => {
            if o.contains_key("properties") && !o.contains_key("additionalProperties") {
                o.insert("additionalProperties".into(), Value::Bool(false));
            }
            for (_, child) in o.iter_mut() {
                forbid_additional(child);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(forbid_additional),
        _ => {}
    }
}

fn compile(root: (&str, &str), extra: &[(&str, &str)], strict: bool) -> Compiled {
    let mut compiler = boon::Compiler::new();
    compiler.enable_format_assertions();
    for (url, text) in extra {
        compiler
            .add_resource(url, parse(text, url, strict)?)
            .map_err(|e| e.to_string())?;
    }
    let (url, text) = root;
    compiler
        .add_resource(url, parse(text, url, strict)?)
        .map_err(|e| e.to_string())?;
    let mut schemas = boon::Schemas::new();
    let index = compiler
        .compile(url, &mut schemas)
        .map_err(|e| format!("{e:#}"))?;
    Ok((schemas, index))
}

static CSAF_SCHEMA: OnceLock<Compiled> = OnceLock::new();
static CSAF_STRICT: OnceLock<Compiled> = OnceLock::new();
static PROVIDER_SCHEMA: OnceLock<Compiled> = OnceLock::new();
static CVSS_SCHEMAS: [OnceLock<Compiled>; 3] = [const { OnceLock::new() }; 3];

fn run(compiled: &Compiled, doc: &Value, test: &str, group: Group, what: &str) -> Vec<Finding> {
    let (schemas, index) = match compiled {
        Ok(c) => c,
        Err(e) => {
            return vec![finding(
                test,
                group,
                "",
                format!("the {what} does not compile: {e}"),
            )];
        }
    };
    match schemas.validate(doc, *index) {
        Ok(()) => Vec::new(),
        Err(e) => {
            let mut leaves = Vec::new();
            leaves_of(&e, &mut leaves);
            leaves.dedup();
            let total = leaves.len();
            let mut out: Vec<Finding> = leaves
                .into_iter()
                .take(MAX_FINDINGS)
                .map(|(path, message)| finding(test, group, path, message))
                .collect();
            if total > MAX_FINDINGS {
                out.push(finding(
                    test,
                    group,
                    "",
                    format!("and {} more violations of the {what}", total - MAX_FINDINGS),
                ));
            }
            out
        }
    }
}

fn leaves_of(e: &boon::ValidationError<'_, '_>, out: &mut Vec<(String, String)>) {
    if e.causes.is_empty() {
        let mut what = e.kind.to_string();
        if what.chars().count() > 200 {
            what = what.chars().take(200).collect::<String>() + "…";
        }
        out.push((e.instance_location.to_string(), what));
    } else {
        for c in &e.causes {
            leaves_of(c, out);
        }
    }
}

/// The document against the CSAF 2.0 JSON schema (formats asserted, as
/// the TC's validator does).
pub fn validate(doc: &Value) -> Vec<Finding> {
    let c = CSAF_SCHEMA.get_or_init(|| compile((CSAF_URL, CSAF), CVSS, false));
    run(c, doc, "schema", Group::Schema, "CSAF 2.0 JSON schema")
}

/// Test 6.2.20: the document against the strict schema.
pub fn validate_strict(doc: &Value) -> Vec<Finding> {
    let c = CSAF_STRICT.get_or_init(|| compile((CSAF_URL, CSAF), CVSS, true));
    run(
        c,
        doc,
        "6.2.20",
        Group::Optional,
        "strict CSAF 2.0 JSON schema",
    )
    .into_iter()
    .filter(|f| f.message.contains("additionalProperties") || f.message.contains("additional"))
    .collect()
}

/// Test 6.1.8: a CVSS object against FIRST's schema of its version
/// (`2.0`, `3.0`, `3.1`).
pub fn validate_cvss(cvss: &Value, version: &str, path: &str) -> Vec<Finding> {
    let Some(slot) = ["2.0", "3.0", "3.1"].iter().position(|v| *v == version) else {
        return vec![finding(
            "6.1.8",
            Group::Mandatory,
            path,
            format!("`{version}` is not a CVSS version this schema knows (2.0, 3.0, 3.1)"),
        )];
    };
    let c = CVSS_SCHEMAS[slot].get_or_init(|| compile(CVSS[slot], &[], false));
    run(
        c,
        cvss,
        "6.1.8",
        Group::Mandatory,
        &format!("CVSS v{version} JSON schema"),
    )
    .into_iter()
    .map(|mut f| {
        f.path = format!("{path}{}", f.path);
        f
    })
    .collect()
}

/// A `provider-metadata.json` against the CSAF 2.0 provider schema; the
/// messages as `pointer: what`.
pub fn validate_provider(doc: &Value) -> Vec<String> {
    let c = PROVIDER_SCHEMA.get_or_init(|| {
        let mut extra = CVSS.to_vec();
        extra.push((CSAF_URL, CSAF));
        compile((PROVIDER_URL, PROVIDER), &extra, false)
    });
    run(
        c,
        doc,
        "7.1.7",
        Group::Mandatory,
        "CSAF 2.0 provider metadata schema",
    )
    .into_iter()
    .map(|f| {
        format!(
            "{}: {}",
            if f.path.is_empty() { "/" } else { &f.path },
            f.message
        )
    })
    .collect()
}
