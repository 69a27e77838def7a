//! Issue #18 at the importer: damaged members of a directory or archive
//! fail the import (or are skipped, named, under --keep-going) instead of
//! being ignored; blank lines ahead of the first record are bounded;
//! byte-order marks are accepted; compression errors say what happened.

use std::io::Write;
use std::path::{Path, PathBuf};

use kensa_intel::{ImportError, ImportOptions, import_path};
use kensa_store::Store;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

struct Db {
    dir: tempfile::TempDir,
    store: Store,
}

impl Db {
    fn new() -> Db {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("kensa.db")).unwrap();
        Db { dir, store }
    }

    fn import(&mut self, path: &Path) -> Result<kensa_intel::FileReport, ImportError> {
        import_path(&mut self.store, path, &ImportOptions::default())
    }

    fn bytes(&self) -> Vec<u8> {
        std::fs::read(self.dir.path().join("kensa.db")).unwrap()
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::File::create(&p).unwrap().write_all(bytes).unwrap();
        p
    }
}

/// A directory holding one good CSAF advisory, a README, and `damaged`.
fn mirror(db: &Db, damaged_name: &str, damaged: &[u8]) -> PathBuf {
    let good = std::fs::read(fixture("csaf/icsa-21-257-15.json")).unwrap();
    db.write("mirror/good.json", &good);
    db.write("mirror/README.md", b"# a mirror\n");
    db.write(&format!("mirror/{damaged_name}"), damaged);
    db.dir.path().join("mirror")
}

// ---- 4. Damaged members -------------------------------------------------

#[test]
fn damaged_members_fail_a_directory_import_naming_the_member() {
    let advisory = std::fs::read(fixture("csaf/icsa-21-257-15.json")).unwrap();
    let text = String::from_utf8(advisory.clone()).unwrap();
    let cut_at = text.find("\"csaf_version\"").expect("a CSAF advisory");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.json", Vec::new(), "empty"),
        (
            "cut.json",
            advisory[..cut_at.min(300)].to_vec(),
            "truncated JSON",
        ),
        // Cut before its `modified`, inside a quoted string.
        (
            "osv/PYSEC-1.yaml",
            b"id: PYSEC-1\nsummary: \"A flaw in the hand".to_vec(),
            "invalid YAML",
        ),
    ];
    for (name, bytes, says) in cases {
        let mut db = Db::new();
        let dir = mirror(&db, name, &bytes);
        let before = db.bytes();
        let err = db.import(&dir).expect_err(name);
        let msg = err.to_string();
        assert!(msg.contains(name), "{name}: names the member: {msg}");
        assert!(msg.contains(says), "{name}: {msg}");
        assert!(matches!(err, ImportError::Record { .. }), "{name}: {err:?}");
        assert_eq!(db.bytes(), before, "{name}: nothing stored");

        // --keep-going imports the rest and reports the member skipped.
        let report = import_path(
            &mut db.store,
            &dir,
            &ImportOptions {
                keep_going: true,
                ..ImportOptions::default()
            },
        )
        .unwrap();
        assert_eq!(report.counts.inserted, 1, "{name}");
        assert_eq!(report.counts.skipped, 1, "{name}");
        assert!(report.skipped[0].contains(name), "{:?}", report.skipped);
        // The README is still just ignored.
        assert!(report.ignored.iter().any(|i| i.ends_with("README.md")));
    }
}

#[test]
fn a_damaged_member_of_a_tar_archive_fails_the_import() {
    let mut db = Db::new();
    let mut tar = tar_builder();
    let good = std::fs::read(fixture("osv/PYSEC-2020-342.yaml")).unwrap();
    append(&mut tar, "advisories/PYSEC-2020-342.yaml", &good);
    append(
        &mut tar,
        "advisories/PYSEC-2099-1.yaml",
        b"id: PYSEC-2099-1\ndetails: |\n  A flaw\n\t  in the",
    );
    let path = db.write("osv.tar", &tar.into_inner().unwrap());
    let err = db.import(&path).unwrap_err().to_string();
    assert!(err.contains("PYSEC-2099-1.yaml"), "{err}");
}

fn tar_builder() -> tar::Builder<Vec<u8>> {
    tar::Builder::new(Vec::new())
}

fn append(tar: &mut tar::Builder<Vec<u8>>, name: &str, bytes: &[u8]) {
    let mut header = tar::Header::new_ustar();
    header.set_size(bytes.len() as u64);
    header.set_mode(0o644);
    header.set_entry_type(tar::EntryType::Regular);
    header.set_cksum();
    tar.append_data(&mut header, name, bytes).unwrap();
}

#[test]
fn well_formed_files_in_other_formats_are_still_ignored() {
    // cvelistV5 carries index files (delta.json) beside its records.
    let mut db = Db::new();
    let dir = mirror(&db, "delta.json", br#"{"fetchTime":"2024-01-01","new":[]}"#);
    db.write("mirror/LICENSE", b"Apache License\n");
    let report = db.import(&dir).unwrap();
    assert_eq!(report.counts.inserted, 1);
    assert_eq!(report.ignored_count, 3, "{:?}", report.ignored);
}

// ---- 7. Blank lines before the first record ------------------------------

#[test]
fn blank_lines_before_the_first_record_are_bounded() {
    let mut db = Db::new();
    let path = db.write("blank.jsonl", &vec![b'\n'; 3 << 20]);
    let err = import_path(
        &mut db.store,
        &path,
        &ImportOptions {
            max_unit_bytes: 1 << 20,
            ..ImportOptions::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("blank lines"), "{err}");
    assert!(
        err.contains("1048576 bytes (1 MiB)"),
        "names the limit: {err}"
    );
    // Under the bound, leading blank lines are fine and lines keep their numbers.
    let mut lines = b"\n\n\n".to_vec();
    lines.extend(std::fs::read(fixture("nvd/sample.api2.jsonl")).unwrap());
    let path = db.write("few.jsonl", &lines);
    assert_eq!(db.import(&path).unwrap().counts.inserted, 20);
}

// ---- 12. Byte-order marks -------------------------------------------------

#[test]
fn a_byte_order_mark_is_accepted_on_json_and_csv() {
    for (rel, format) in [
        ("nvd/sample.api2.jsonl", "nvd-cve"),
        ("nvd/api-page.json", "nvd-api-page"),
        ("kev/known_exploited_vulnerabilities.csv", "kev-csv"),
        ("epss/epss_scores-2025-11-20.csv", "epss-csv"),
        ("csaf/icsa-21-257-15.json", "csaf"),
    ] {
        let mut db = Db::new();
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend(std::fs::read(fixture(rel)).unwrap());
        let path = db.write("bom.input", &bytes);
        let report = db.import(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(report.formats, vec![format], "{rel}");
        let plain = Db::new().import(&fixture(rel)).unwrap();
        assert_eq!(report.counts, plain.counts, "{rel}: the same records");
    }
}

// ---- 14. Compression messages ---------------------------------------------

#[test]
fn trailing_data_after_gzip_is_not_called_a_truncation() {
    let mut db = Db::new();
    let gz = std::fs::read(fixture("nvd/sample.api2.jsonl.gz")).unwrap();
    let path = db.write("tail.jsonl.gz", &[&gz[..], b"not gzip"].concat());
    let err = db.import(&path).unwrap_err().to_string();
    assert!(err.contains("trailing data"), "{err}");
    assert!(!err.contains("truncated"), "{err}");
    // Zero padding (tape blocks) and concatenated members are fine.
    let padded = db.write("pad.jsonl.gz", &[&gz[..], &[0u8; 512]].concat());
    assert_eq!(db.import(&padded).unwrap().counts.unchanged, 0);
    let twice = db.write("two.jsonl.gz", &[&gz[..], &gz[..]].concat());
    let report = db.import(&twice).unwrap();
    assert_eq!(report.counts.unchanged, 40, "both members read");
}

#[test]
fn truncated_xz_and_zstd_say_truncated() {
    for (rel, name) in [
        ("nvd/sample.api2.jsonl.xz", "xz"),
        ("nvd/sample.api2.jsonl.zst", "zstd"),
    ] {
        let mut db = Db::new();
        let bytes = std::fs::read(fixture(rel)).unwrap();
        let path = db.write("cut", &bytes[..bytes.len() * 2 / 3]);
        let err = db.import(&path).unwrap_err().to_string();
        assert!(err.contains(&format!("truncated {name} stream")), "{err}");
        assert!(!err.contains("failed to fill whole buffer"), "{err}");
    }
}
