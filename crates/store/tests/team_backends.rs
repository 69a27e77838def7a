//! One suite for the team's accounts and audit trail, run on both
//! backends: the embedded SQLite file and a PostgreSQL server (a throwaway
//! cluster; skipped with the reason when none can run here).

use kensa_model::team::{Role, Scope};
use kensa_store::team::{
    AlertFilter, AuditEntry, AuditFilter, InputKind, JobState, NewAlert, NewAssessment, NewToken,
};
use kensa_store::{Migrate, Store, StoreError};
use kensa_testpg::Cluster;

fn entry(action: &str, object: &str) -> AuditEntry {
    AuditEntry {
        actor: "cli:test".into(),
        via: "cli".into(),
        action: action.into(),
        object: object.into(),
        ..AuditEntry::default()
    }
}

/// A product written straight into the PostgreSQL database (products are
/// not yet added through the store there).
fn pg_product(url: &str) -> i64 {
    postgres::Client::connect(url, postgres::NoTls)
        .unwrap()
        .query_one(
            "INSERT INTO products (name, created_at) VALUES ('gw', '2026-12-03T00:00:00Z') RETURNING id",
            &[],
        )
        .unwrap()
        .get(0)
}

/// A node: its own (here empty) intelligence, the team's state at `url`.
fn node(url: &str) -> Store {
    let mut store = Store::open_in_memory().unwrap();
    store.attach_postgres(url, Migrate::IfEmpty).unwrap();
    store
}

fn on_postgres() -> Option<(Store, String)> {
    let url = Cluster::shared()?.database();
    Some((node(&url), url))
}

/// Accounts, teams, grants, tokens and sessions, each write audited, and
/// failed writes leaving neither the change nor an audit row.
fn accounts_suite(store: &mut Store) {
    let start = store.audit_count().unwrap();
    let alice = store
        .create_user(
            "alice",
            Some("$argon2id$hash"),
            true,
            entry("user.add", "user:alice"),
        )
        .unwrap();
    store
        .create_user("bob", None, false, entry("user.add", "user:bob"))
        .unwrap();
    let dup = store.create_user("bob", None, false, entry("user.add", "user:bob"));
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
    assert_eq!(
        store.audit_count().unwrap(),
        start + 2,
        "a refused write is not audited"
    );

    let users = store.users().unwrap();
    let names: Vec<_> = users.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, ["alice", "bob"]);
    assert!(users[0].has_password && !users[1].has_password);
    assert_eq!(users[0].grants[0].role, Role::Admin);
    assert_eq!(users[0].grants[0].scope, Scope::Global);
    assert!(users[1].grants.is_empty());

    let auth = store.user_auth("alice").unwrap().unwrap();
    assert_eq!((auth.id, auth.disabled), (alice, false));
    assert_eq!(auth.password_hash.as_deref(), Some("$argon2id$hash"));
    assert!(store.user_auth("nobody").unwrap().is_none());
    store
        .set_password("bob", "$argon2id$bob", entry("user.password", "user:bob"))
        .unwrap();
    assert!(matches!(
        store.set_password("nobody", "x", entry("user.password", "user:nobody")),
        Err(StoreError::NotFound(_))
    ));

    // Teams and grants: a new grant on the same scope replaces the role.
    store
        .create_team("plc", entry("team.add", "team:plc"))
        .unwrap();
    assert!(matches!(
        store.create_team("plc", entry("team.add", "team:plc")),
        Err(StoreError::Conflict(_))
    ));
    let plc = store.team_id("plc").unwrap();
    assert!(matches!(
        store.team_id("none"),
        Err(StoreError::NotFound(_))
    ));
    let team = Scope::Team("plc".into());
    store
        .grant("bob", Role::Viewer, &team, entry("grant.add", "user:bob"))
        .unwrap();
    store
        .grant("bob", Role::Analyst, &team, entry("grant.add", "user:bob"))
        .unwrap();
    let grants = store
        .grants_of(store.user_auth("bob").unwrap().unwrap().id)
        .unwrap();
    assert_eq!(grants.len(), 1);
    assert_eq!((grants[0].role, grants[0].scope_id), (Role::Analyst, plc));
    assert_eq!(grants[0].scope, team);
    assert_eq!(store.all_grants().unwrap().len(), 2);
    assert!(matches!(
        store.revoke(
            "bob",
            Some(Role::Viewer),
            &team,
            entry("grant.remove", "user:bob")
        ),
        Err(StoreError::Conflict(_))
    ));
    store
        .revoke(
            "bob",
            Some(Role::Analyst),
            &team,
            entry("grant.remove", "user:bob"),
        )
        .unwrap();
    assert!(matches!(
        store.revoke("bob", None, &team, entry("grant.remove", "user:bob")),
        Err(StoreError::NotFound(_))
    ));
    let teams = store.teams().unwrap();
    assert_eq!(teams.len(), 1);
    assert_eq!(teams[0].name, "plc");

    // Tokens: only the hash is kept; revoked once.
    let token = store
        .create_token(
            &NewToken {
                user: "bob",
                label: Some("ci"),
                hash: "sha256:abc",
                expires_at: None,
            },
            entry("token.create", "token:?"),
        )
        .unwrap();
    let owner = store.token_owner("sha256:abc").unwrap().unwrap();
    assert_eq!(
        (owner.token_id, owner.user.as_str(), owner.revoked),
        (token, "bob", false)
    );
    store.touch_token(token).unwrap();
    let listed = store.tokens(Some("bob")).unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].last_used_at.is_some());
    assert!(store.tokens(Some("alice")).unwrap().is_empty());
    store
        .revoke_token(token, entry("token.revoke", "token"))
        .unwrap();
    assert!(matches!(
        store.revoke_token(token, entry("token.revoke", "token")),
        Err(StoreError::Conflict(_))
    ));
    assert!(store.token_owner("sha256:abc").unwrap().unwrap().revoked);

    // Sessions end when their user is disabled.
    let bob = store.user_auth("bob").unwrap().unwrap().id;
    let mut login = entry("session.login", "user:bob");
    login.client = Some("127.0.0.1".into());
    let session = store
        .create_session(bob, "sha256:cookie", "2999-01-01T00:00:00Z", login)
        .unwrap();
    assert_eq!(
        store
            .session_owner("sha256:cookie")
            .unwrap()
            .unwrap()
            .session_id,
        session
    );
    store
        .set_user_disabled("bob", true, entry("user.disable", "user:bob"))
        .unwrap();
    assert!(store.session_owner("sha256:cookie").unwrap().is_none());
    assert!(store.user_auth("bob").unwrap().unwrap().disabled);
    store
        .end_session("sha256:none", entry("session.logout", "user:bob"))
        .unwrap();
    store
        .record_event(entry("login.refused", "user:eve"))
        .unwrap();

    // The trail: every successful write, newest first, paged by id.
    let all = store
        .audit_log(&AuditFilter {
            limit: 100,
            ..AuditFilter::default()
        })
        .unwrap();
    assert_eq!(all.len() as u64, store.audit_count().unwrap() - start);
    let actions: Vec<_> = all.iter().rev().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "user.add",
            "user.add",
            "user.password",
            "team.add",
            "grant.add",
            "grant.add",
            "grant.remove",
            "token.create",
            "token.revoke",
            "session.login",
            "user.disable",
            "session.logout",
            "login.refused"
        ]
    );
    // Newest first: the k-th write is at 12 - k.
    let token_row = &all[12 - 7];
    assert_eq!(token_row.object, format!("token:{token}"));
    assert_eq!(token_row.change.as_ref().unwrap()["after"]["label"], "ci");
    let login_row = &all[12 - 9];
    assert_eq!(login_row.via, format!("session:{session}"));
    assert_eq!(login_row.client.as_deref(), Some("127.0.0.1"));
    let page = store
        .audit_log(&AuditFilter {
            before_id: Some(all[1].id),
            limit: 2,
            ..AuditFilter::default()
        })
        .unwrap();
    assert_eq!(
        page.iter().map(|r| r.id).collect::<Vec<_>>(),
        [all[2].id, all[3].id]
    );
}

fn alert(id: &str, rank: u8, count: u64) -> NewAlert {
    NewAlert {
        alert_id: id.into(),
        severity: ["info", "low", "medium", "high", "critical"][rank as usize].into(),
        rank,
        rule: "new_operation".into(),
        src: "10.0.0.5".into(),
        dst: "10.0.0.9:502".into(),
        explanation: format!("{id} seen {count} times"),
        count,
        body: serde_json::json!({"id": id, "count": count}),
    }
}

/// Jobs move through their states and keep their result; a sensor's
/// alerts are inserted once and updated as they repeat, listed newest
/// activity first with filters and a cursor.
fn jobs_and_alerts_suite(store: &mut Store) {
    let job = store.create_job("sbom.upload", None, "alice").unwrap();
    let progress = serde_json::json!({"components": 10});
    store
        .update_job(job, JobState::Running, Some(&progress))
        .unwrap();
    store.update_job(job, JobState::Running, None).unwrap();
    let row = store.job(job).unwrap().unwrap();
    assert_eq!(
        (row.state, row.progress.as_ref()),
        (JobState::Running, Some(&progress))
    );
    store
        .finish_job(job, Ok(&serde_json::json!({"findings": 3})))
        .unwrap();
    let row = store.job(job).unwrap().unwrap();
    assert_eq!(row.state, JobState::Done);
    assert_eq!(row.result.unwrap()["findings"], 3);
    let stuck = store.create_job("sbom.upload", None, "bob").unwrap();
    assert_eq!(store.fail_abandoned_jobs().unwrap(), 1);
    let row = store.job(stuck).unwrap().unwrap();
    assert_eq!(row.state, JobState::Failed);
    assert!(row.error.unwrap().contains("stopped"));
    assert!(store.job(9999).unwrap().is_none());

    let delivery = || entry("alert.deliver", "sensor:s1");
    let (new, updated) = store
        .store_alerts("s1", &[alert("a1", 3, 1), alert("a2", 1, 1)], delivery())
        .unwrap();
    assert_eq!((new, updated), (2, 0));
    let (new, updated) = store
        .store_alerts("s1", &[alert("a1", 3, 5)], delivery())
        .unwrap();
    assert_eq!((new, updated), (0, 1));
    store
        .store_alerts("s2", &[alert("a1", 4, 1)], delivery())
        .unwrap();
    let all = store
        .alerts(&AlertFilter {
            limit: 10,
            ..AlertFilter::default()
        })
        .unwrap();
    assert_eq!(all.len(), 3, "one row per sensor and alert id");
    let a1 = all
        .iter()
        .find(|a| a.sensor == "s1" && a.id == "a1")
        .unwrap();
    assert_eq!((a1.count, a1.alert["count"].as_u64()), (5, Some(5)));
    let high = store
        .alerts(&AlertFilter {
            min_rank: 3,
            sensor: Some("s1".into()),
            limit: 10,
            ..AlertFilter::default()
        })
        .unwrap();
    assert_eq!(
        high.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
        ["a1"]
    );
    let first = &all[0];
    let rest = store
        .alerts(&AlertFilter {
            after: Some((first.updated_at.clone(), first.row_id)),
            limit: 10,
            ..AlertFilter::default()
        })
        .unwrap();
    assert_eq!(rest.len(), 2);
    assert!(rest.iter().all(|a| a.row_id != first.row_id));
}

fn save<'a>(
    product_id: i64,
    status: &'a str,
    answers: &'a serde_json::Value,
    expected_revision: Option<i64>,
) -> NewAssessment<'a> {
    NewAssessment {
        product_id,
        vuln_id: "CVE-2014-6271",
        status,
        answers,
        note: Some("bash is 4.3 in the SBOM"),
        verdict: answers,
        actor: "alice",
        expected_revision,
    }
}

/// Revisions, optimistic concurrency, approval of one revision and the
/// approved verdict surviving a later save, the history.
fn assessments_suite(store: &mut Store, product_id: i64) {
    let yes = serde_json::json!({"q1": "yes"});
    let no = serde_json::json!({"q1": "no"});
    let first = store
        .save_assessment(
            &save(product_id, "affected", &yes, Some(0)),
            entry("assessment.save", "p"),
        )
        .unwrap();
    assert_eq!((first.revision, first.is_approved()), (1, false));
    let stale = store.save_assessment(
        &save(product_id, "not_affected", &no, Some(0)),
        entry("assessment.save", "p"),
    );
    assert!(
        matches!(stale, Err(StoreError::Stale { current: 1 })),
        "{stale:?}"
    );
    let approved = store
        .approve_assessment(
            product_id,
            "CVE-2014-6271",
            Some(1),
            "carol",
            entry("assessment.approve", "p"),
        )
        .unwrap();
    assert!(approved.is_approved());
    assert_eq!(approved.approved_by.as_deref(), Some("carol"));
    assert!(matches!(
        store.approve_assessment(
            product_id,
            "CVE-2014-6271",
            None,
            "carol",
            entry("assessment.approve", "p")
        ),
        Err(StoreError::Conflict(_))
    ));
    let second = store
        .save_assessment(
            &save(product_id, "not_affected", &no, None),
            entry("assessment.save", "p"),
        )
        .unwrap();
    assert_eq!((second.revision, second.is_approved()), (2, false));
    assert_eq!(
        store.approved_verdicts(product_id).unwrap(),
        [("CVE-2014-6271".to_string(), yes.clone())]
    );
    assert_eq!(store.assessments_of(product_id).unwrap().len(), 1);
    assert_eq!(
        store
            .assessment(product_id, "CVE-2014-6271")
            .unwrap()
            .unwrap()
            .status,
        "not_affected"
    );
    let history = store
        .assessment_history(product_id, "CVE-2014-6271")
        .unwrap();
    let mut steps: Vec<_> = history
        .iter()
        .map(|h| (h.revision, h.action.as_str()))
        .collect();
    steps.sort();
    assert_eq!(steps, [(1, "approved"), (1, "saved"), (2, "saved")]);
    assert!(matches!(
        store.approve_assessment(
            product_id,
            "CVE-0000-0000",
            None,
            "carol",
            entry("assessment.approve", "p")
        ),
        Err(StoreError::NotFound(_))
    ));
}

/// A product version's facts file (one, replaced) and build
/// configurations (by name), each write audited, removal by kind or name.
fn version_inputs_suite(store: &mut Store, product_id: i64) {
    let start = store.audit_count().unwrap();
    let put = |store: &mut Store, version: &str, kind, origin: &str, body: &str| {
        store
            .store_version_input(
                product_id,
                version,
                kind,
                origin,
                body,
                entry("version.input.store", "product:gw"),
            )
            .unwrap()
    };
    put(store, "1.0", InputKind::Facts, "a.yaml", "x: 1");
    put(store, "1.0", InputKind::Facts, "b.yaml", "y: 2");
    put(
        store,
        "1.0",
        InputKind::Config,
        "linux.config",
        "CONFIG_A=y",
    );
    put(
        store,
        "1.0",
        InputKind::Config,
        "busybox.config",
        "CONFIG_B=y",
    );
    put(
        store,
        "1.0",
        InputKind::Config,
        "linux.config",
        "CONFIG_C=y",
    );
    put(
        store,
        "2.0",
        InputKind::Config,
        "linux.config",
        "CONFIG_D=y",
    );
    let listed = |store: &Store, version: &str| -> Vec<(InputKind, String, String)> {
        store
            .version_inputs(product_id, version)
            .unwrap()
            .into_iter()
            .map(|i| (i.kind, i.origin, i.body))
            .collect()
    };
    assert_eq!(
        listed(store, "1.0"),
        [
            (InputKind::Facts, "b.yaml".into(), "y: 2".into()),
            (
                InputKind::Config,
                "busybox.config".into(),
                "CONFIG_B=y".into()
            ),
            (
                InputKind::Config,
                "linux.config".into(),
                "CONFIG_C=y".into()
            ),
        ]
    );
    assert_eq!(store.audit_count().unwrap(), start + 6);
    let trail = store
        .audit_log(&AuditFilter {
            limit: 1,
            ..Default::default()
        })
        .unwrap();
    let change = trail[0].change.as_ref().unwrap();
    assert_eq!(change["after"]["origin"], "linux.config");
    assert_eq!(change["before"]["files"], serde_json::json!([]));
    let removed = store
        .remove_version_input(
            product_id,
            "1.0",
            InputKind::Config,
            Some("linux.config"),
            entry("version.input.remove", "product:gw"),
        )
        .unwrap();
    assert_eq!(removed, 1);
    let e = store
        .remove_version_input(
            product_id,
            "1.0",
            InputKind::Config,
            Some("linux.config"),
            entry("version.input.remove", "product:gw"),
        )
        .unwrap_err();
    assert!(matches!(e, StoreError::NotFound(_)), "{e}");
    assert_eq!(listed(store, "1.0").len(), 2);
    assert_eq!(listed(store, "2.0").len(), 1);
    assert_eq!(store.audit_count().unwrap(), start + 7);
}

#[test]
fn team_state_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.db");
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.team_backend(), None);
    accounts_suite(&mut store);
    jobs_and_alerts_suite(&mut store);
    let product: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row(
            "INSERT INTO products (name, created_at) VALUES ('gw', '2026-12-03T00:00:00Z') RETURNING id",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assessments_suite(&mut store, product);
    version_inputs_suite(&mut store, product);
}

#[test]
fn team_state_on_postgres() {
    let Some((mut store, url)) = on_postgres() else {
        return;
    };
    assert!(store.team_backend().unwrap().starts_with("postgres://"));
    accounts_suite(&mut store);
    jobs_and_alerts_suite(&mut store);
    let product: i64 = pg_product(&url);
    assessments_suite(&mut store, product);
    version_inputs_suite(&mut store, product);
}

/// Two nodes saving the same assessment at once without naming a revision
/// (the CLI's way): every save is a revision of its own, none is refused
/// or lost.
#[test]
fn concurrent_saves_on_postgres_lose_nothing() {
    let Some((_, url)) = on_postgres() else {
        return;
    };
    let product: i64 = pg_product(&url);
    let answers = serde_json::json!({"q1": "yes"});
    let outcomes: Vec<_> = std::thread::scope(|s| {
        let nodes: Vec<_> = (0..4)
            .map(|_| {
                let (url, answers) = (url.clone(), &answers);
                s.spawn(move || {
                    let mut node = node(&url);
                    (0..5)
                        .map(|_| {
                            node.save_assessment(
                                &save(product, "affected", answers, None),
                                entry("assessment.save", "p"),
                            )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        nodes.into_iter().flat_map(|n| n.join().unwrap()).collect()
    });
    let saved: Vec<i64> = outcomes
        .iter()
        .filter_map(|o| o.as_ref().ok())
        .map(|r| r.revision)
        .collect();
    assert!(!saved.is_empty());
    // Saves that name no revision queue: none is refused, none lost.
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
    let mut sorted = saved.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(
        sorted.len(),
        saved.len(),
        "each revision saved once: {saved:?}"
    );
    let store = node(&url);
    let history = store.assessment_history(product, "CVE-2014-6271").unwrap();
    assert_eq!(
        history.len(),
        saved.len(),
        "one history row per save that succeeded"
    );
    assert_eq!(
        store
            .assessment(product, "CVE-2014-6271")
            .unwrap()
            .unwrap()
            .revision,
        *sorted.last().unwrap()
    );
}

/// Two nodes on one database see each other's writes at once; the same
/// name created by both at the same time is one user and one conflict.
#[test]
fn two_nodes_share_the_team_on_postgres() {
    let Some((mut a, url)) = on_postgres() else {
        return;
    };
    let b = node(&url);
    a.create_user("carol", None, false, entry("user.add", "user:carol"))
        .unwrap();
    assert!(b.user_auth("carol").unwrap().is_some());

    let results: Vec<_> = std::thread::scope(|s| {
        let nodes: Vec<_> = (0..4)
            .map(|_| {
                let url = url.clone();
                s.spawn(move || {
                    let mut node = node(&url);
                    node.create_user("dave", None, false, entry("user.add", "user:dave"))
                })
            })
            .collect();
        nodes.into_iter().map(|n| n.join().unwrap()).collect()
    });
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    assert!(
        results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(|e| matches!(e, StoreError::Conflict(_))),
        "{results:?}"
    );
    assert_eq!(b.users().unwrap().len(), 2);
    assert_eq!(
        b.audit_count().unwrap(),
        2,
        "one audit row per user created"
    );
}

/// The trail cannot be edited, and a node refuses a schema newer than its
/// own instead of writing to it.
#[test]
fn postgres_guards_its_trail_and_schema() {
    let Some((mut store, url)) = on_postgres() else {
        return;
    };
    store
        .record_event(entry("login.refused", "user:eve"))
        .unwrap();
    let mut raw = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    for sql in [
        "UPDATE audit SET actor = 'x'",
        "DELETE FROM audit",
        "TRUNCATE audit",
    ] {
        let e = raw.batch_execute(sql).unwrap_err();
        assert!(format!("{e:?}").contains("append-only"), "{sql}: {e:?}");
    }
    assert_eq!(store.audit_count().unwrap(), 1);

    // Opening again is a no-op on an up-to-date schema.
    Store::open_in_memory()
        .unwrap()
        .attach_postgres(&url, Migrate::IfEmpty)
        .unwrap();
    raw.batch_execute("UPDATE kensa_schema SET version = version + 1")
        .unwrap();
    let e = Store::open_in_memory()
        .unwrap()
        .attach_postgres(&url, Migrate::Upgrade)
        .unwrap_err();
    assert!(matches!(e, StoreError::TooNew { .. }), "{e}");
    assert!(e.to_string().contains("upgrade kensa"), "{e}");

    let wrong = Store::open_in_memory()
        .unwrap()
        .attach_postgres("postgres://kensa:secret@127.0.0.1:1/none", Migrate::IfEmpty)
        .unwrap_err()
        .to_string();
    assert!(
        wrong.contains("cannot connect to postgres://kensa:***@127.0.0.1:1/none"),
        "{wrong}"
    );
    assert!(!wrong.contains("secret"), "{wrong}");
}
