//! Several nodes on one PostgreSQL database: an import on one node is
//! published, and every node picks it up whole or not at all.

use kensa_model::{LangText, Source, SourceKind, VulnRecord};
use kensa_store::{IntelSink, Migrate, PreparedVuln, Store, StoreError};
use kensa_testpg::Cluster;

fn import(store: &mut Store, id: &str) {
    let mut r = VulnRecord::new(id, Source::new(SourceKind::Nvd, "nvd@nist.gov"));
    r.last_modified = Some("2026-12-01T00:00:00.000Z".into());
    r.descriptions.push(LangText {
        lang: "en".into(),
        value: "a heap overflow".into(),
    });
    let mut import = store.import("test", "test").unwrap();
    import.put_vuln(PreparedVuln::new(r).unwrap()).unwrap();
    import.commit().unwrap();
}

fn copies(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn an_import_published_by_one_node_reaches_the_others() {
    let Some(cluster) = Cluster::shared() else {
        return;
    };
    let url = cluster.database();
    let dirs = tempfile::tempdir().unwrap();
    let (dir_a, dir_b) = (dirs.path().join("a"), dirs.path().join("b"));
    let mut a = Store::open_node(&url, &dir_a, Migrate::IfEmpty).unwrap();
    let mut b = Store::open_node(&url, &dir_b, Migrate::IfEmpty).unwrap();
    assert_eq!(
        (a.intel_generation(), b.intel_generation()),
        (Some(0), Some(0))
    );
    assert!(a.latest_publication().unwrap().is_none());

    // An import is local until published.
    import(&mut a, "CVE-2026-0001");
    assert_eq!(b.stats().unwrap().vulnerabilities, 0);
    let generation = a.publish_intel("cli:test").unwrap();
    assert_eq!(a.intel_generation(), Some(generation));
    assert_eq!(
        copies(&dir_a),
        [format!("intel-{generation:012}.db")],
        "older copies removed"
    );
    let published = b.latest_publication().unwrap().unwrap();
    assert_eq!(
        (published.generation, published.import_id),
        (generation, a.latest_import().unwrap())
    );

    assert_eq!(b.pick_up_intel().unwrap(), Some(generation));
    assert_eq!(b.stats().unwrap().vulnerabilities, 1);
    assert!(b.vuln("CVE-2026-0001").unwrap().is_some());
    assert_eq!(b.pick_up_intel().unwrap(), None, "nothing newer");
    assert_eq!(copies(&dir_b), [format!("intel-{generation:012}.db")]);

    // A node started later opens the newest publication; one restarted
    // finds its local copy and downloads nothing.
    let c = Store::open_node(&url, &dirs.path().join("c"), Migrate::IfEmpty).unwrap();
    assert_eq!(c.intel_generation(), Some(generation));
    assert_eq!(c.stats().unwrap().vulnerabilities, 1);
    drop(b);
    let b = Store::open_node(&url, &dir_b, Migrate::IfEmpty).unwrap();
    assert_eq!(b.intel_generation(), Some(generation));

    // The publisher's next import builds on its published copy.
    import(&mut a, "CVE-2026-0002");
    let next = a.publish_intel("cli:test").unwrap();
    assert!(next > generation);
    let mut b = b;
    b.pick_up_intel().unwrap();
    assert_eq!(b.stats().unwrap().vulnerabilities, 2);
}

/// Two nodes importing from the same copy: the second publication would
/// drop the first's records, so it is refused and the node moves to the
/// first's publication.
#[test]
fn a_publication_based_on_an_older_copy_is_refused() {
    let Some(cluster) = Cluster::shared() else {
        return;
    };
    let url = cluster.database();
    let dirs = tempfile::tempdir().unwrap();
    let mut a = Store::open_node(&url, &dirs.path().join("a"), Migrate::IfEmpty).unwrap();
    let mut b = Store::open_node(&url, &dirs.path().join("b"), Migrate::IfEmpty).unwrap();
    import(&mut a, "CVE-2026-0001");
    import(&mut b, "CVE-2026-0002");
    let first = a.publish_intel("node-a").unwrap();
    let e = b.publish_intel("node-b").unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "{e}");
    assert!(
        e.to_string().contains("run the import or sync again"),
        "{e}"
    );
    assert_eq!(b.intel_generation(), Some(first));
    assert!(b.vuln("CVE-2026-0001").unwrap().is_some());
    assert_eq!(b.latest_publication().unwrap().unwrap().generation, first);
    import(&mut b, "CVE-2026-0002");
    assert!(b.publish_intel("node-b").unwrap() > first);
}

/// A damaged download is refused and leaves the node on its copy.
#[test]
fn a_damaged_publication_is_not_taken() {
    let Some(cluster) = Cluster::shared() else {
        return;
    };
    let url = cluster.database();
    let dirs = tempfile::tempdir().unwrap();
    let mut a = Store::open_node(&url, &dirs.path().join("a"), Migrate::IfEmpty).unwrap();
    let mut b = Store::open_node(&url, &dirs.path().join("b"), Migrate::IfEmpty).unwrap();
    import(&mut a, "CVE-2026-0001");
    let generation = a.publish_intel("cli:test").unwrap();
    let mut raw = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    raw.execute(
        "UPDATE intel_publications SET sha256 = repeat('0', 64) WHERE generation = $1",
        &[&generation],
    )
    .unwrap();
    let e = b.pick_up_intel().unwrap_err();
    assert!(matches!(e, StoreError::Corrupt { .. }), "{e}");
    assert!(e.to_string().contains("SHA-256"), "{e}");
    assert_eq!(b.intel_generation(), Some(0));
    assert_eq!(b.stats().unwrap().vulnerabilities, 0);
    assert_eq!(
        copies(&dirs.path().join("b")),
        ["intel-000000000000.db"],
        "no partial file left"
    );
}

#[test]
fn a_store_that_is_not_a_node_has_nothing_to_publish() {
    let mut store = Store::open_in_memory().unwrap();
    assert!(store.intel_generation().is_none());
    assert!(matches!(
        store.publish_intel("x"),
        Err(StoreError::NotFound(_))
    ));
}
