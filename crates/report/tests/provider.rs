//! Provider trees without I/O: `publish::plan` into an in-memory tree,
//! `check::check` over it, and each requirement's check catching the
//! break it is about.

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use kensa_report::csaf::provider::Fetch;
use kensa_report::csaf::provider::check::{self, Report};
use kensa_report::csaf::provider::publish::{self, Action, Existing, Input, Options, PublishError};
use kensa_report::csaf::provider::sign::{Signer, generate_key};
use serde_json::{Value, json};

const BASE: &str = "https://psirt.example.com/.well-known/csaf";

/// A tree by URL.
#[derive(Default, Clone)]
struct Memory(BTreeMap<String, Vec<u8>>);

impl Fetch for Memory {
    fn get(&mut self, url: &str) -> Result<Option<Vec<u8>>, String> {
        Ok(self.0.get(url).cloned())
    }

    fn list(&mut self, prefix: &str) -> Option<Vec<String>> {
        Some(
            self.0
                .keys()
                .filter(|k| k.starts_with(prefix))
                .cloned()
                .collect(),
        )
    }
}

impl Memory {
    fn url(rel: &str) -> String {
        format!("{BASE}/{rel}")
    }

    fn text(&self, rel: &str) -> String {
        String::from_utf8(self.0[&Self::url(rel)].clone()).unwrap()
    }

    fn set(&mut self, rel: &str, text: &str) {
        self.0.insert(Self::url(rel), text.as_bytes().to_vec());
    }

    /// Moves a document and its companions, and renames it in the
    /// folder's listings and feed (`from`, `to` relative to `white/`).
    fn rename(&mut self, from: &str, to: &str) {
        for ext in ["", ".sha256", ".sha512", ".asc"] {
            if let Some(b) = self.0.remove(&Self::url(&format!("white/{from}{ext}"))) {
                self.0.insert(Self::url(&format!("white/{to}{ext}")), b);
            }
        }
        for listing in [
            "white/index.txt",
            "white/changes.csv",
            "white/csaf-feed-tlp-white.json",
        ] {
            let t = self.text(listing).replace(from, to);
            self.set(listing, &t);
        }
    }
}

fn doc(id: &str, year: i32, version: &str, title: &str) -> Vec<u8> {
    let date = format!("{year}-03-01T10:00:00.000Z");
    let doc = json!({
        "document": {
            "category": "csaf_base",
            "csaf_version": "2.0",
            "distribution": {"tlp": {"label": "WHITE", "url": "https://www.first.org/tlp/"}},
            "lang": "en",
            "publisher": {"category": "vendor", "name": "Example Industrial", "namespace": "https://psirt.example.com"},
            "title": title,
            "tracking": {
                "current_release_date": date,
                "id": id,
                "initial_release_date": date,
                "revision_history": (1..=version.parse::<u32>().unwrap())
                    .map(|n| json!({"date": date, "number": n.to_string(), "summary": "A version."}))
                    .collect::<Vec<_>>(),
                "status": "final",
                "version": version
            }
        }
    });
    serde_json::to_vec_pretty(&doc).unwrap()
}

fn input(name: &str, bytes: Vec<u8>) -> Input {
    Input {
        name: name.into(),
        bytes,
    }
}

fn signer() -> Signer {
    Signer::from_armored(
        &generate_key("PSIRT <psirt@example.com>", None).unwrap(),
        None,
    )
    .unwrap()
}

fn publish_into(tree: &mut Memory, inputs: &[Input], signer: Option<&Signer>) -> publish::Plan {
    let opts = Options {
        base_url: Some(BASE.into()),
        signer,
        now: Utc.with_ymd_and_hms(2026, 12, 3, 12, 0, 0).unwrap(),
    };
    let prefix = format!("{BASE}/");
    let existing = Existing {
        metadata: tree.0.get(&Memory::url("provider-metadata.json")).cloned(),
        documents: tree
            .0
            .iter()
            .filter_map(|(u, b)| Some((u.strip_prefix(&prefix)?.to_string(), b.clone())))
            .filter(|(p, _)| p.ends_with(".json") && p.matches('/').count() == 2)
            .collect(),
    };
    let plan = publish::plan(inputs, &existing, &opts).unwrap();
    for (rel, bytes) in &plan.writes {
        tree.0.insert(Memory::url(rel), bytes.clone());
    }
    for rel in &plan.removes {
        tree.0.remove(&Memory::url(rel));
    }
    plan
}

fn run_check(tree: &Memory) -> Report {
    check::check(&mut tree.clone(), &Memory::url("provider-metadata.json"))
}

fn failed(report: &Report) -> Vec<String> {
    let mut r: Vec<String> = report
        .problems
        .iter()
        .filter(|p| p.level == check::Level::Error)
        .map(|p| p.requirement.clone())
        .collect();
    r.dedup();
    r
}

fn signed_tree() -> Memory {
    let mut tree = Memory::default();
    let s = signer();
    publish_into(
        &mut tree,
        &[
            input("a.json", doc("EX-2025-1", 2025, "1", "First")),
            input("b.json", doc("EX 2026/2", 2026, "1", "Second")),
        ],
        Some(&s),
    );
    tree
}

#[test]
fn a_published_tree_passes_and_names_files_by_the_rules() {
    let tree = signed_tree();
    assert!(
        tree.0
            .contains_key(&Memory::url("white/2025/ex-2025-1.json"))
    );
    assert!(
        tree.0
            .contains_key(&Memory::url("white/2026/ex_2026_2.json.asc"))
    );
    assert_eq!(
        tree.text("white/changes.csv"),
        "\"2026/ex_2026_2.json\",\"2026-03-01T10:00:00.000Z\"\n\"2025/ex-2025-1.json\",\"2025-03-01T10:00:00.000Z\"\n"
    );
    assert_eq!(
        tree.text("white/index.txt"),
        "2025/ex-2025-1.json\n2026/ex_2026_2.json\n"
    );
    let report = run_check(&tree);
    assert!(report.passed, "{:#?}", report.problems);
    assert_eq!(report.documents, 2);
    assert_eq!(report.role.as_deref(), Some("csaf_trusted_provider"));
    assert!(report.problems.is_empty(), "{:#?}", report.problems);
}

#[test]
fn each_break_fails_its_requirement() {
    let base = signed_tree();
    let case = |name: &str, change: &dyn Fn(&mut Memory), expected: &[&str]| {
        let mut tree = base.clone();
        change(&mut tree);
        let report = run_check(&tree);
        assert!(!report.passed, "{name}");
        assert_eq!(failed(&report), expected, "{name}: {:#?}", report.problems);
    };
    case(
        "wrong file name",
        &|t| t.rename("2025/ex-2025-1.json", "2025/other.json"),
        &["7.1.2"],
    );
    case(
        "wrong year",
        &|t| t.rename("2025/ex-2025-1.json", "2024/ex-2025-1.json"),
        &["7.1.11"],
    );
    case(
        "document gone",
        &|t| {
            t.0.remove(&Memory::url("white/2025/ex-2025-1.json"));
        },
        &["7.1.15"],
    );
    case(
        "index.txt incomplete",
        &|t| t.set("white/index.txt", "2026/ex_2026_2.json\n"),
        &["7.1.12"],
    );
    case(
        "changes.csv incomplete",
        &|t| {
            t.set(
                "white/changes.csv",
                "\"2026/ex_2026_2.json\",\"2026-03-01T10:00:00.000Z\"\n",
            )
        },
        &["7.1.13"],
    );
    case(
        "sha256 missing",
        &|t| {
            t.0.remove(&Memory::url("white/2025/ex-2025-1.json.sha256"));
        },
        &["7.1.18"],
    );
    case(
        "signature missing",
        &|t| {
            t.0.remove(&Memory::url("white/2025/ex-2025-1.json.asc"));
        },
        &["7.1.19"],
    );
    case(
        "metadata not valid",
        &|t| {
            let m = t
                .text("provider-metadata.json")
                .replace("csaf_trusted_provider", "csaf_friend");
            t.set("provider-metadata.json", &m);
        },
        &["7.1.7"],
    );
    case(
        "key fingerprint listed wrong",
        &|t| {
            let mut m: Value = serde_json::from_str(&t.text("provider-metadata.json")).unwrap();
            m["public_openpgp_keys"][0]["fingerprint"] = Value::from("0".repeat(40));
            t.set("provider-metadata.json", &m.to_string());
        },
        &["7.1.20"],
    );
    case(
        "an invalid document",
        &|t| {
            let mut d: Value = serde_json::from_str(&t.text("white/2025/ex-2025-1.json")).unwrap();
            d["document"]["tracking"]["version"] = Value::from("7");
            let bytes = serde_json::to_vec(&d).unwrap();
            // The hashes and the signature no longer match either.
            t.0.insert(Memory::url("white/2025/ex-2025-1.json"), bytes);
        },
        &["7.1.1", "7.1.18", "7.1.19"],
    );
}

#[test]
fn updates_replace_and_conflicts_are_refused() {
    let mut tree = Memory::default();
    publish_into(
        &mut tree,
        &[input("a.json", doc("EX-1", 2025, "1", "First"))],
        None,
    );
    let plan = publish_into(
        &mut tree,
        &[input("a2.json", doc("EX-1", 2025, "2", "First, updated"))],
        None,
    );
    assert_eq!(plan.outcomes[0].action, Action::Replaced);
    assert!(tree.text("white/2025/ex-1.json").contains("First, updated"));
    let report = run_check(&tree);
    assert!(report.passed, "{:#?}", report.problems);
    assert_eq!(report.role.as_deref(), Some("csaf_provider"));

    let opts = Options {
        base_url: Some(BASE.into()),
        signer: None,
        now: Utc::now(),
    };
    let same_version = [
        input("x.json", doc("EX-9", 2025, "1", "One")),
        input("y.json", doc("EX-9", 2025, "1", "Other")),
    ];
    let e = publish::plan(&same_version, &Existing::default(), &opts)
        .err()
        .unwrap();
    assert!(matches!(e, PublishError::Conflict { .. }), "{e}");
    assert!(
        e.to_string()
            .starts_with("y.json: EX-9 version 1 differs from x.json"),
        "{e}"
    );
    let newer_given_second = [
        input("x.json", doc("EX-9", 2025, "1", "One")),
        input("y.json", doc("EX-9", 2025, "2", "Two")),
    ];
    let plan = publish::plan(&newer_given_second, &Existing::default(), &opts).unwrap();
    let written: Vec<&String> = plan
        .writes
        .iter()
        .map(|(p, _)| p)
        .filter(|p| p.ends_with("ex-9.json"))
        .collect();
    assert_eq!(written.len(), 1);
    let doc_bytes = &plan
        .writes
        .iter()
        .find(|(p, _)| p.ends_with("ex-9.json"))
        .unwrap()
        .1;
    assert!(String::from_utf8_lossy(doc_bytes).contains("\"Two\""));
}
