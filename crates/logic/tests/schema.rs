//! Output conformance to `kensa.conditions/v1`: every document the rules
//! extractor writes for real records keeps the contract (required fields,
//! text ≤ 160 characters, unique ids, non-empty groups, groups without
//! extra members). Uses the dev set and the ICS subset of `../shared/data`
//! when present, and the fixtures always.

use std::io::Read;
use std::path::Path;

use kensa_logic::extract;
use kensa_model::VulnRecord;

fn shared(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(rel)
}

/// Checks the serialised document against the schema's structure.
fn check_json(doc: &serde_json::Value) -> Vec<String> {
    fn node(n: &serde_json::Value, at: &str, out: &mut Vec<String>) {
        let obj = n.as_object().expect("node is an object");
        if obj.contains_key("op") {
            for key in obj.keys() {
                if key != "op" && key != "children" {
                    out.push(format!("{at}: group has extra member `{key}`"));
                }
            }
            if !matches!(obj["op"].as_str(), Some("all" | "any")) {
                out.push(format!("{at}.op is {}", obj["op"]));
            }
            match obj.get("children").and_then(|c| c.as_array()) {
                Some(c) if !c.is_empty() => {
                    for (i, ch) in c.iter().enumerate() {
                        node(ch, &format!("{at}.children[{i}]"), out);
                    }
                }
                _ => out.push(format!("{at}: group without children")),
            }
        } else {
            for key in ["id", "kind", "text", "question", "source"] {
                let present = obj
                    .get(key)
                    .and_then(|v| v.as_str())
                    .is_some_and(|s| !s.is_empty());
                if !present {
                    out.push(format!("{at}.{key} missing or empty"));
                }
            }
            if let Some(t) = obj.get("text").and_then(|t| t.as_str())
                && t.chars().count() > 160
            {
                out.push(format!("{at}.text longer than 160 characters"));
            }
        }
    }
    let mut out = Vec::new();
    if doc["schema"] != "kensa.conditions/v1" {
        out.push("schema".into());
    }
    node(&doc["logic"], "logic", &mut out);
    out
}

fn assert_conforms(records: &[VulnRecord], what: &str) {
    let doc = extract::rules(records);
    let problems = doc.problems();
    assert!(problems.is_empty(), "{what}: {problems:?}");
    let json = serde_json::to_value(&doc).unwrap();
    let problems = check_json(&json);
    assert!(problems.is_empty(), "{what}: {problems:?}");
    // The document reads back as the same tree.
    let back: kensa_logic::Conditions = serde_json::from_value(json).unwrap();
    assert_eq!(back, doc, "{what}");
}

#[test]
fn fixtures_conform() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for name in ["CVE-2012-2373.json", "CVE-2024-32061.cve5.json"] {
        let records = kensa_intel::parse_record(&std::fs::read(dir.join(name)).unwrap()).unwrap();
        assert_conforms(&records, name);
    }
}

#[test]
fn real_records_conform() {
    let dev = shared("eval/logic-dev/records");
    let ics = shared("data/vuln/ics-subset");
    if !dev.exists() || !ics.exists() {
        eprintln!(
            "SKIP: ../shared data not found ({} / {})",
            dev.display(),
            ics.display()
        );
        return;
    }
    let mut n = 0;
    for entry in std::fs::read_dir(&dev).unwrap() {
        let path = entry.unwrap().path();
        let records = kensa_intel::parse_record(&std::fs::read(&path).unwrap()).unwrap();
        assert_conforms(&records, &path.display().to_string());
        n += 1;
    }
    for file in [
        "nvd-api2-ics-vendors.jsonl.gz",
        "vulnrichment-cve5-ics-vendors.jsonl.gz",
    ] {
        let mut text = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(ics.join(file)).unwrap())
            .read_to_string(&mut text)
            .unwrap();
        for (i, line) in text.lines().enumerate() {
            let records = kensa_intel::parse_record(line.as_bytes())
                .unwrap_or_else(|e| panic!("{file} line {}: {e}", i + 1));
            assert_conforms(&records, &format!("{file} line {}", i + 1));
            n += 1;
        }
    }
    assert!(n > 1000, "only {n} records checked");
}
