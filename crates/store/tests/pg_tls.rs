//! TLS to PostgreSQL: `sslmode=require` encrypts the connection and
//! verifies the server's certificate (Mozilla's roots plus `KENSA_DB_CA`);
//! without it the connection is plain. Against the test cluster, which
//! serves a certificate for 127.0.0.1 signed by a throwaway CA.

use kensa_store::{Migrate, Store};
use kensa_testpg::Cluster;

/// How many of the database's connections are encrypted, and how many in all.
fn connections(admin_url: &str, db: &str) -> (i64, i64) {
    let mut admin = postgres::Client::connect(admin_url, postgres::NoTls).unwrap();
    let row = admin
        .query_one(
            "SELECT count(*) FILTER (WHERE s.ssl), count(*) FROM pg_stat_activity a
             JOIN pg_stat_ssl s USING (pid) WHERE a.datname = $1",
            &[&db],
        )
        .unwrap();
    (row.get(0), row.get(1))
}

fn attach(url: &str) -> Result<Store, String> {
    let mut store = Store::open_in_memory().unwrap();
    store
        .attach_postgres(url, Migrate::IfEmpty)
        .map(|_| store)
        .map_err(|e| e.to_string())
}

#[test]
fn sslmode_require_encrypts_and_verifies_the_server() {
    let Some(cluster) = Cluster::shared() else {
        return;
    };
    let Some(ca) = cluster.ca_file() else {
        eprintln!("skipped: the test cluster serves no TLS (see the note above)");
        return;
    };
    let url = cluster.database();
    let db = url.rsplit('/').next().unwrap().to_string();
    let admin = format!("{}/postgres", cluster.base_url());
    let secure = format!("{url}?sslmode=require");
    // The only test in this binary: the environment is its own.
    unsafe { std::env::remove_var("KENSA_DB_CA") };

    let e = attach(&secure).err().expect("an unknown CA is refused");
    assert!(e.contains("certificate"), "{e}");

    let not_pem = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(not_pem.path(), "not a certificate").unwrap();
    unsafe { std::env::set_var("KENSA_DB_CA", not_pem.path()) };
    let e = attach(&secure).err().expect("no certificate in the file");
    assert!(e.contains("KENSA_DB_CA"), "{e}");

    unsafe { std::env::set_var("KENSA_DB_CA", ca) };
    let store = attach(&secure).expect("the company CA is trusted");
    assert_eq!(connections(&admin, &db), (1, 1), "encrypted");
    drop(store);

    let plain = attach(&url).expect("plain without sslmode");
    let (encrypted, all) = connections(&admin, &db);
    assert_eq!((encrypted, all), (0, 1), "in the clear");
    drop(plain);
}
