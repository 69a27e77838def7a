//! KEV parsing against catalog excerpts and, when the shared data set is
//! present, the whole catalog in both forms.

use std::path::Path;

use kensa_intel::RecordError;
use kensa_intel::kev::{csv_rows, parse_entry};
use kensa_model::KevEntry;
use serde_json::{Value, json};

mod common;
use common::shared;

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/kev")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The catalog's `vulnerabilities` elements, each as the bytes an importer
/// would hand to `parse_entry`.
fn json_elements(catalog: &[u8]) -> (Value, Vec<Vec<u8>>) {
    let mut catalog: Value = serde_json::from_slice(catalog).unwrap();
    let elements = catalog["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| serde_json::to_vec(v).unwrap())
        .collect();
    catalog["vulnerabilities"] = Value::Null;
    (catalog, elements)
}

fn json_entries(catalog: &[u8]) -> Vec<KevEntry> {
    json_elements(catalog)
        .1
        .iter()
        .map(|e| parse_entry(e).unwrap_or_else(|err| panic!("{err}")))
        .collect()
}

fn csv_entries(csv: &[u8]) -> Vec<(u64, Result<KevEntry, RecordError>)> {
    match csv_rows(csv) {
        Ok(rows) => rows.collect(),
        Err(e) => panic!("{e}"),
    }
}

fn find<'a>(entries: &'a [KevEntry], cve: &str) -> &'a KevEntry {
    entries.iter().find(|e| e.cve_id == cve).unwrap()
}

#[test]
fn json_entries_keep_dates_ransomware_use_and_cwes() {
    let entries = json_entries(&fixture("known_exploited_vulnerabilities.json"));
    assert_eq!(entries.len(), 6);

    let sharepoint = find(&entries, "CVE-2025-53770");
    assert_eq!(sharepoint.vendor_project, "Microsoft");
    assert_eq!(sharepoint.product, "SharePoint");
    assert_eq!(sharepoint.date_added, "2025-07-20");
    assert_eq!(sharepoint.due_date, "2025-07-21");
    assert_eq!(sharepoint.known_ransomware_campaign_use, "Known");
    assert_eq!(sharepoint.cwes, ["CWE-502"]);

    let git = find(&entries, "CVE-2025-48384");
    assert_eq!(git.known_ransomware_campaign_use, "Unknown");
    assert_eq!(git.cwes, ["CWE-59", "CWE-436"]);
    assert!(git.notes.contains("GHSA-vwqx-4fm8-6qc9"));

    let plc = find(&entries, "CVE-2023-6448");
    assert_eq!(plc.vendor_project, "Unitronics");
    assert_eq!(plc.product, "Vision PLC and HMI");
    assert_eq!(plc.due_date, "2023-12-18");

    assert!(find(&entries, "CVE-2025-8876").cwes.is_empty());
    assert_eq!(find(&entries, "CVE-2021-44228").cwes.len(), 3);
}

#[test]
fn csv_agrees_with_json_and_numbers_lines() {
    let json = json_entries(&fixture("known_exploited_vulnerabilities.json"));
    let rows = csv_entries(&fixture("known_exploited_vulnerabilities.csv"));
    let lines: Vec<u64> = rows.iter().map(|(line, _)| *line).collect();
    assert_eq!(lines, [2, 3, 4, 5, 6, 7]);
    let csv: Vec<KevEntry> = rows.into_iter().map(|(_, r)| r.unwrap()).collect();
    assert_eq!(csv, json);
}

#[test]
fn csv_header_without_a_required_column_fails_up_front() {
    let csv = b"cveID,vendorProject,product,vulnerabilityName,dateAdded,shortDescription,requiredAction\n";
    let e = csv_rows(&csv[..]).err().expect("header lacks dueDate");
    assert_eq!(e.field.as_deref(), Some("dueDate"), "{e}");
    let e = csv_rows(&b""[..]).err().expect("empty file");
    assert_eq!(e.field.as_deref(), Some("cveID"), "{e}");
}

#[test]
fn older_csv_without_ransomware_notes_and_cwes_columns() {
    let csv = "cveID,vendorProject,product,vulnerabilityName,dateAdded,shortDescription,requiredAction,dueDate\n\
               CVE-2016-8562,Siemens,\"SIMATIC CP\",\"Siemens SIMATIC CP 1543-1 Improper Privilege Management Vulnerability\",2022-03-03,\"An improper privilege management vulnerability.\",\"Apply updates per vendor instructions.\",2022-03-24\n";
    let rows = csv_entries(csv.as_bytes());
    let entry = rows[0].1.as_ref().unwrap();
    assert_eq!(entry.due_date, "2022-03-24");
    assert_eq!(entry.known_ransomware_campaign_use, "Unknown");
    assert!(entry.notes.is_empty() && entry.cwes.is_empty());
}

#[test]
fn a_bad_csv_row_fails_alone_and_names_line_and_field() {
    let csv = String::from_utf8(fixture("known_exploited_vulnerabilities.csv")).unwrap();
    let csv = csv.replacen(",2025-07-21,Known,", ",2025-07-32,Known,", 1);
    let rows = csv_entries(csv.as_bytes());
    assert_eq!(rows.len(), 6);
    let bad: Vec<_> = rows.iter().filter(|(_, r)| r.is_err()).collect();
    assert_eq!(bad.len(), 1);
    let (line, Err(e)) = bad[0] else {
        unreachable!()
    };
    assert_eq!(*line, 4);
    assert_eq!(e.field.as_deref(), Some("dueDate"), "{e}");
    assert_eq!(e.record.as_deref(), Some("CVE-2025-53770"));
    assert!(e.message.contains("2025-07-32"), "{e}");

    // A row with a missing cell is a CSV error on its own line.
    let short = "cveID,vendorProject,product,vulnerabilityName,dateAdded,shortDescription,requiredAction,dueDate\n\
                 CVE-2016-8562,Siemens\n";
    let rows = csv_entries(short.as_bytes());
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].0, 2);
    assert!(rows[0].1.is_err());
}

#[test]
fn invalid_json_fields_are_named() {
    let (_, elements) = json_elements(&fixture("known_exploited_vulnerabilities.json"));
    let base: Value = serde_json::from_slice(&elements[0]).unwrap();
    let cases = [
        ("cveID", json!("CVE-25-48384"), "cveID"),
        ("dateAdded", json!("08/25/2025"), "dateAdded"),
        ("dueDate", json!("2025-02-30"), "dueDate"),
        ("vendorProject", json!(""), "vendorProject"),
        (
            "knownRansomwareCampaignUse",
            json!("Maybe"),
            "knownRansomwareCampaignUse",
        ),
        ("cwes", json!(["CWE-59", "59"]), "cwes[1]"),
        ("cwes", json!("CWE-59"), "cwes"),
        ("product", json!(7), "product"),
    ];
    for (key, value, field) in cases {
        let mut entry = base.clone();
        entry[key] = value;
        let e = parse_entry(entry.to_string().as_bytes()).unwrap_err();
        assert_eq!(e.field.as_deref(), Some(field), "{key}: {e}");
    }
    let mut entry = base;
    entry.as_object_mut().unwrap().remove("requiredAction");
    let e = parse_entry(entry.to_string().as_bytes()).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("requiredAction"), "{e}");
    assert_eq!(e.record.as_deref(), Some("CVE-2025-48384"));
}

#[test]
fn whole_catalog_json_and_csv_agree() {
    let (Some(json_path), Some(csv_path)) = (
        shared("cisa-kev/known_exploited_vulnerabilities.json"),
        shared("cisa-kev/known_exploited_vulnerabilities.csv"),
    ) else {
        return;
    };
    let (catalog, elements) = json_elements(&std::fs::read(json_path).unwrap());
    let json: Vec<KevEntry> = elements
        .iter()
        .enumerate()
        .map(|(i, e)| parse_entry(e).unwrap_or_else(|err| panic!("entry {i}: {err}")))
        .collect();
    let file = std::fs::File::open(csv_path).unwrap();
    let csv: Vec<KevEntry> = match csv_rows(file) {
        Ok(rows) => rows
            .map(|(line, r)| r.unwrap_or_else(|err| panic!("line {line}: {err}")))
            .collect(),
        Err(e) => panic!("{e}"),
    };
    assert_eq!(catalog["count"], 1404);
    assert_eq!(json.len(), 1404);
    assert_eq!(csv.len(), 1404);
    for (j, c) in json.iter().zip(&csv) {
        assert_eq!(j, c);
    }
    let known = json
        .iter()
        .filter(|e| e.known_ransomware_campaign_use == "Known")
        .count();
    assert_eq!(known, 293);
}
