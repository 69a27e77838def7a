//! Jobs any node can run, on both backends: claims with leases, a dead
//! node's job taken over, retries with backoff, periodic work on one node
//! at a time, and concurrent claims that never hand a job out twice.

use std::time::Duration;

use kensa_store::team::{JobOutcome, JobState, NewJob};
use kensa_store::{Migrate, Store};
use kensa_testpg::Cluster;
use serde_json::json;

const LONG: Duration = Duration::from_secs(60);
const GONE: Duration = Duration::from_millis(1);

fn enqueue(store: &Store, max_attempts: i64) -> i64 {
    store
        .enqueue_job(&NewJob {
            kind: "sbom-upload",
            product_id: None,
            created_by: "alice",
            payload: Some(&json!({"product": "gw", "version": "1.0"})),
            input: Some(b"{\"bomFormat\":\"CycloneDX\"}"),
            max_attempts,
        })
        .unwrap()
}

fn claim(store: &mut Store, owner: &str, lease: Duration) -> Option<kensa_store::team::ClaimedJob> {
    store
        .claim_job(&["sbom-upload"], None, owner, lease)
        .unwrap()
}

fn jobs_suite(store: &mut Store) {
    // A job without a payload is its creator's alone.
    store.create_job("sbom-upload", None, "alice").unwrap();
    assert!(claim(store, "node-a", LONG).is_none());

    let id = enqueue(store, 3);
    let first = claim(store, "node-a", LONG).unwrap();
    assert_eq!(
        (first.job.id, first.attempt, first.job.state),
        (id, 1, JobState::Running)
    );
    assert_eq!(
        first.payload,
        Some(json!({"product": "gw", "version": "1.0"}))
    );
    assert_eq!(
        first.input.as_deref(),
        Some(&b"{\"bomFormat\":\"CycloneDX\"}"[..])
    );
    assert!(
        claim(store, "node-b", LONG).is_none(),
        "held by node-a's lease"
    );
    assert!(store.renew_job_lease(id, "node-a", GONE).unwrap());
    std::thread::sleep(Duration::from_millis(20));

    // node-a died: its lease ran out, node-b takes the job over.
    let second = claim(store, "node-b", LONG).unwrap();
    assert_eq!((second.job.id, second.attempt), (id, 2));
    assert!(
        !store.renew_job_lease(id, "node-a", LONG).unwrap(),
        "no longer node-a's"
    );
    assert!(
        !store
            .end_job_run(&first, "node-a", JobOutcome::Done(&json!({"late": true})))
            .unwrap()
    );
    assert!(
        store
            .end_job_run(&second, "node-b", JobOutcome::Done(&json!({"ok": true})))
            .unwrap()
    );
    let done = store.job(id).unwrap().unwrap();
    assert_eq!(
        (done.state, done.result, done.attempts),
        (JobState::Done, Some(json!({"ok": true})), 2)
    );

    // A failure worth retrying waits before the next attempt; the last
    // attempt's failure is final.
    let id = enqueue(store, 2);
    let run = claim(store, "node-a", LONG).unwrap();
    assert!(
        store
            .end_job_run(&run, "node-a", JobOutcome::Retry("database busy"))
            .unwrap()
    );
    let queued = store.job(id).unwrap().unwrap();
    assert_eq!(
        (queued.state, queued.error.as_deref()),
        (JobState::Queued, Some("database busy"))
    );
    assert!(
        claim(store, "node-a", LONG).is_none(),
        "not before its backoff"
    );
    let run = store
        .claim_job(&["sbom-upload"], Some(id), "node-a", LONG)
        .unwrap();
    assert!(run.is_none(), "claiming it by id respects the backoff too");

    // A job whose node keeps dying is given up after its attempts.
    let id = enqueue(store, 2);
    for _ in 0..2 {
        let run = store
            .claim_job(&["sbom-upload"], Some(id), "node-a", GONE)
            .unwrap();
        assert!(run.is_some());
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        store
            .claim_job(&["sbom-upload"], Some(id), "node-b", LONG)
            .unwrap()
            .is_none()
    );
    let failed = store.job(id).unwrap().unwrap();
    assert_eq!(failed.state, JobState::Failed);
    assert!(failed.error.unwrap().contains("gave up after 2 attempts"));

    // Bad input fails at once.
    let id = enqueue(store, 3);
    let run = store
        .claim_job(&["sbom-upload"], Some(id), "node-a", LONG)
        .unwrap()
        .unwrap();
    assert!(
        store
            .end_job_run(&run, "node-a", JobOutcome::Failed("not an SBOM"))
            .unwrap()
    );
    assert_eq!(store.job(id).unwrap().unwrap().state, JobState::Failed);

    // Periodic work: one holder at a time, taken over when it lapses.
    assert!(store.try_lease("rescan", "node-a", GONE).unwrap());
    std::thread::sleep(Duration::from_millis(20));
    assert!(store.try_lease("rescan", "node-b", LONG).unwrap());
    assert!(!store.try_lease("rescan", "node-a", LONG).unwrap());
    assert!(
        store.try_lease("rescan", "node-b", LONG).unwrap(),
        "renewed by its holder"
    );
}

#[test]
fn jobs_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("k.db")).unwrap();
    jobs_suite(&mut store);
}

#[test]
fn jobs_on_postgres() {
    let Some(cluster) = Cluster::shared() else {
        return;
    };
    let mut store = Store::open_in_memory().unwrap();
    store
        .attach_postgres(&cluster.database(), Migrate::IfEmpty)
        .unwrap();
    jobs_suite(&mut store);
}

/// Four nodes claiming 40 jobs at once: each job is handed out once.
#[test]
fn concurrent_claims_on_postgres_hand_each_job_out_once() {
    let Some(cluster) = Cluster::shared() else {
        return;
    };
    let url = cluster.database();
    let node = |url: &str| {
        let mut store = Store::open_in_memory().unwrap();
        store.attach_postgres(url, Migrate::IfEmpty).unwrap();
        store
    };
    let first = node(&url);
    let ids: Vec<i64> = (0..40).map(|_| enqueue(&first, 3)).collect();
    let mut claimed: Vec<i64> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..4)
            .map(|n| {
                let url = url.clone();
                s.spawn(move || {
                    let mut store = node(&url);
                    let owner = format!("node-{n}");
                    let mut mine = Vec::new();
                    while let Some(run) = claim(&mut store, &owner, LONG) {
                        assert!(
                            store
                                .end_job_run(&run, &owner, JobOutcome::Done(&json!(n)))
                                .unwrap()
                        );
                        mine.push(run.job.id);
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    claimed.sort();
    assert_eq!(claimed, ids);
}
