//! Walking a CSAF document as JSON: where products are defined and
//! referenced, product groups, branches. Every walker tolerates any shape
//! (the schema test reports wrong ones), so the tests never panic.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// The items of an array at `v[key]`, or none.
pub fn items<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// A string at `v[key]`.
pub fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// A string at a JSON pointer.
pub fn at<'a>(doc: &'a Value, pointer: &str) -> Option<&'a str> {
    doc.pointer(pointer).and_then(Value::as_str)
}

/// `/document/category`, or "".
pub fn category(doc: &Value) -> &str {
    at(doc, "/document/category").unwrap_or("")
}

/// One full product name (`full_product_name_t`) and where it is.
pub struct FullProduct<'a> {
    pub path: String,
    pub value: &'a Value,
}

/// Every full product name: in branches (any depth), in
/// `full_product_names`, in relationships.
pub fn full_products(doc: &Value) -> Vec<FullProduct<'_>> {
    let mut out = Vec::new();
    let Some(tree) = doc.get("product_tree") else {
        return out;
    };
    for b in branches(doc) {
        if let Some(p) = b.value.get("product") {
            out.push(FullProduct {
                path: format!("{}/product", b.path),
                value: p,
            });
        }
    }
    for (i, p) in items(tree, "full_product_names").iter().enumerate() {
        out.push(FullProduct {
            path: format!("/product_tree/full_product_names/{i}"),
            value: p,
        });
    }
    for (i, r) in items(tree, "relationships").iter().enumerate() {
        if let Some(p) = r.get("full_product_name") {
            out.push(FullProduct {
                path: format!("/product_tree/relationships/{i}/full_product_name"),
                value: p,
            });
        }
    }
    out
}

/// One branch, where it is, and the categories of its ancestors (root
/// first, itself excluded).
pub struct Branch<'a> {
    pub path: String,
    pub value: &'a Value,
    pub ancestors: Vec<&'a str>,
}

/// Every branch of the product tree, depth first. Depth is bounded so that
/// a hostile document cannot exhaust the stack.
pub fn branches(doc: &Value) -> Vec<Branch<'_>> {
    let mut out = Vec::new();
    if let Some(tree) = doc.get("product_tree") {
        walk(tree, "/product_tree", &mut Vec::new(), &mut out);
    }
    out
}

const MAX_DEPTH: usize = 64;

fn walk<'a>(node: &'a Value, path: &str, cats: &mut Vec<&'a str>, out: &mut Vec<Branch<'a>>) {
    if cats.len() > MAX_DEPTH {
        return;
    }
    for (i, b) in items(node, "branches").iter().enumerate() {
        let p = format!("{path}/branches/{i}");
        out.push(Branch {
            path: p.clone(),
            value: b,
            ancestors: cats.clone(),
        });
        cats.push(text(b, "category").unwrap_or(""));
        walk(b, &p, cats, out);
        cats.pop();
    }
}

/// Every product id the document defines.
pub fn defined_ids(doc: &Value) -> BTreeSet<&str> {
    full_products(doc)
        .iter()
        .filter_map(|p| text(p.value, "product_id"))
        .collect()
}

/// A reference to a product id and where it is.
pub struct Ref<'a> {
    pub path: String,
    pub id: &'a str,
}

/// The product status lists a vulnerability may have.
pub const STATUSES: [&str; 8] = [
    "first_affected",
    "first_fixed",
    "fixed",
    "known_affected",
    "known_not_affected",
    "last_affected",
    "recommended",
    "under_investigation",
];

fn push_ids<'a>(list: &'a Value, path: String, out: &mut Vec<Ref<'a>>) {
    if let Some(a) = list.as_array() {
        for (i, id) in a.iter().enumerate() {
            if let Some(id) = id.as_str() {
                out.push(Ref {
                    path: format!("{path}/{i}"),
                    id,
                });
            }
        }
    }
}

/// Every reference to a product id outside a full product name (the paths
/// of test 6.1.1, plus flags, which reference products the same way).
pub fn product_refs(doc: &Value) -> Vec<Ref<'_>> {
    let mut out = Vec::new();
    if let Some(tree) = doc.get("product_tree") {
        for (i, g) in items(tree, "product_groups").iter().enumerate() {
            if let Some(ids) = g.get("product_ids") {
                push_ids(
                    ids,
                    format!("/product_tree/product_groups/{i}/product_ids"),
                    &mut out,
                );
            }
        }
        for (i, r) in items(tree, "relationships").iter().enumerate() {
            for key in ["product_reference", "relates_to_product_reference"] {
                if let Some(id) = text(r, key) {
                    out.push(Ref {
                        path: format!("/product_tree/relationships/{i}/{key}"),
                        id,
                    });
                }
            }
        }
    }
    for (vi, v) in items(doc, "vulnerabilities").iter().enumerate() {
        if let Some(ps) = v.get("product_status") {
            for s in STATUSES {
                if let Some(list) = ps.get(s) {
                    push_ids(
                        list,
                        format!("/vulnerabilities/{vi}/product_status/{s}"),
                        &mut out,
                    );
                }
            }
        }
        for (key, field) in [
            ("remediations", "product_ids"),
            ("scores", "products"),
            ("threats", "product_ids"),
            ("flags", "product_ids"),
        ] {
            for (i, item) in items(v, key).iter().enumerate() {
                if let Some(ids) = item.get(field) {
                    push_ids(
                        ids,
                        format!("/vulnerabilities/{vi}/{key}/{i}/{field}"),
                        &mut out,
                    );
                }
            }
        }
    }
    out
}

/// Every reference to a product group id outside the group definitions.
pub fn group_refs(doc: &Value) -> Vec<Ref<'_>> {
    let mut out = Vec::new();
    for (vi, v) in items(doc, "vulnerabilities").iter().enumerate() {
        for key in ["remediations", "threats", "flags"] {
            for (i, item) in items(v, key).iter().enumerate() {
                if let Some(ids) = item.get("group_ids") {
                    push_ids(
                        ids,
                        format!("/vulnerabilities/{vi}/{key}/{i}/group_ids"),
                        &mut out,
                    );
                }
            }
        }
    }
    out
}

/// Product groups: group id → its product ids.
pub fn groups(doc: &Value) -> BTreeMap<&str, Vec<&str>> {
    let mut out: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    if let Some(tree) = doc.get("product_tree") {
        for g in items(tree, "product_groups") {
            if let Some(id) = text(g, "group_id") {
                out.entry(id)
                    .or_default()
                    .extend(items(g, "product_ids").iter().filter_map(Value::as_str));
            }
        }
    }
    out
}

/// The products an item (remediation, threat, flag) is about: its
/// `product_ids` and the members of its `group_ids`.
pub fn covered<'a>(item: &'a Value, groups: &BTreeMap<&'a str, Vec<&'a str>>) -> BTreeSet<&'a str> {
    let mut out: BTreeSet<&str> = items(item, "product_ids")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for g in items(item, "group_ids").iter().filter_map(Value::as_str) {
        if let Some(members) = groups.get(g) {
            out.extend(members.iter().copied());
        }
    }
    out
}

/// The product ids of one status list of a vulnerability.
pub fn status<'a>(vuln: &'a Value, name: &str) -> Vec<&'a str> {
    vuln.get("product_status")
        .map(|ps| items(ps, name).iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The `file_hashes` lists of every product identification helper, with
/// their paths.
pub fn file_hash_lists(doc: &Value) -> Vec<(String, &[Value])> {
    let mut out = Vec::new();
    for p in full_products(doc) {
        if let Some(helper) = p.value.get("product_identification_helper") {
            for (i, h) in items(helper, "hashes").iter().enumerate() {
                out.push((
                    format!(
                        "{}/product_identification_helper/hashes/{i}/file_hashes",
                        p.path
                    ),
                    items(h, "file_hashes"),
                ));
            }
        }
    }
    out
}
