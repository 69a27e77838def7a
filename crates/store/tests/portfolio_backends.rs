//! One suite for the portfolio (product versions, components, findings,
//! stored triage and the queue), the CRA case records and the team's name
//! aliases, run on both backends: the embedded SQLite file and a
//! PostgreSQL server (a throwaway cluster; skipped with the reason when
//! none can run here).

use std::collections::BTreeSet;

use kensa_store::team::{Attempt, AuditEntry, NewAlias, NewCase, WEBHOOK_JOB};
use kensa_store::{
    ComponentResult, Migrate, NewComponent, NewVersion, QueueKey, QueueQuery, Store, StoreError,
    TriageRow,
};
use kensa_testpg::Cluster;
use serde_json::{Value, json};

fn entry(action: &str, object: &str) -> AuditEntry {
    AuditEntry {
        actor: "cli:test".into(),
        via: "cli".into(),
        action: action.into(),
        object: object.into(),
        ..AuditEntry::default()
    }
}

fn add(
    store: &mut Store,
    version: &str,
    identities: &[i64],
) -> Result<(i64, Vec<i64>), StoreError> {
    let bodies: Vec<Value> = identities
        .iter()
        .map(|i| json!({"name": format!("c{i}")}))
        .collect();
    let refs: Vec<String> = identities.iter().map(|i| format!("ref-{i}")).collect();
    let components: Vec<NewComponent<'_, Value>> = identities
        .iter()
        .zip(&bodies)
        .zip(&refs)
        .map(|((&identity, body), bom_ref)| NewComponent {
            bom_ref,
            identity,
            body,
        })
        .collect();
    store.add_product_version(
        &NewVersion {
            product: "gw",
            version,
            origin: "sbom.json",
            format: "cyclonedx",
            sbom: b"{\"bomFormat\":\"CycloneDX\"}",
            team: None,
        },
        &components,
        false,
        entry("product.add", "product:gw"),
    )
}

fn result(id: i64, vulns: &[&str]) -> ComponentResult<Value, Value> {
    ComponentResult {
        id,
        resolution: 1,
        outcome: if vulns.is_empty() {
            "unresolved"
        } else {
            "findings"
        },
        detail: Some(json!({"component": id})),
        findings: vulns
            .iter()
            .map(|v| (v.to_string(), json!({"vuln": v, "component": id})))
            .collect(),
    }
}

fn queue(store: &Store, q: QueueQuery) -> Vec<(u8, String, i64)> {
    store
        .queue_page::<Value, Value>(&q)
        .unwrap()
        .into_iter()
        .map(|r| (r.key.priority, r.key.vuln_id, r.key.component_id))
        .collect()
}

fn portfolio_suite(store: &mut Store) {
    let audit_start = store.audit_count().unwrap();
    let (v1, fresh1) = add(store, "1.0", &[11, 12, 13]).unwrap();
    assert_eq!(fresh1.len(), 3);
    let (v2, fresh2) = add(store, "2.0", &[12, 13, 14]).unwrap();
    assert_ne!(v1, v2);
    assert_eq!(
        fresh2.len(),
        1,
        "components shared between versions are stored once"
    );
    let [c11, c12, c13] = [fresh1[0], fresh1[1], fresh1[2]];
    let c14 = fresh2[0];
    let again = add(store, "1.0", &[11]);
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    assert_eq!(
        store.audit_count().unwrap(),
        audit_start + 2,
        "a refused add is not audited"
    );

    let products = store.products().unwrap();
    assert_eq!(products.len(), 1);
    let versions: Vec<_> = products[0]
        .versions
        .iter()
        .map(|v| (v.version.as_str(), v.components))
        .collect();
    assert_eq!(versions, [("1.0", 3), ("2.0", 3)]);
    assert_eq!(store.component_count().unwrap(), 4);
    assert_eq!(store.unscanned_component_count().unwrap(), 4);
    assert_eq!(store.components::<Value>(true).unwrap().len(), 4);
    assert_eq!(store.portfolio_cursor().unwrap(), None);

    store
        .save_component_results(
            &[
                result(c11, &["CVE-C"]),
                result(c12, &["CVE-A", "CVE-B"]),
                result(c13, &[]),
                result(c14, &["CVE-A"]),
            ],
            7,
        )
        .unwrap();
    assert_eq!(store.portfolio_cursor().unwrap(), Some(7));
    assert_eq!(store.unscanned_component_count().unwrap(), 0);
    let stored = store.components::<Value>(false).unwrap();
    assert!(stored.iter().all(|c| c.resolution == Some(1)));
    assert_eq!(
        store
            .components_with_findings_on(&BTreeSet::from(["CVE-A".to_string()]))
            .unwrap(),
        [c12, c14]
    );
    let ids = store.finding_ids(&[c12, c13]).unwrap();
    assert_eq!(ids[&c12], ["CVE-A", "CVE-B"]);
    assert!(ids[&c13].is_empty());
    assert_eq!(
        store.versions_containing(&[c12]).unwrap()[&c12],
        ["gw 1.0", "gw 2.0"]
    );

    // A rescan replaces a component's findings.
    store
        .save_component_results(&[result(c11, &[])], 8)
        .unwrap();
    assert!(store.finding_ids(&[c11]).unwrap()[&c11].is_empty());

    let untriaged: Vec<String> = store
        .finding_vulns::<Value>(true)
        .unwrap()
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(untriaged, ["CVE-A", "CVE-B"]);
    let (a, b) = (json!({"t": "A"}), json!({"t": "B"}));
    store
        .store_triage(
            &[
                TriageRow {
                    vuln_id: "CVE-A",
                    priority: 90,
                    decision: "Act",
                    kev: true,
                    body: &a,
                },
                TriageRow {
                    vuln_id: "CVE-B",
                    priority: 50,
                    decision: "Track",
                    kev: false,
                    body: &b,
                },
            ],
            true,
            8,
        )
        .unwrap();
    assert_eq!(store.triage_cursor().unwrap(), Some(8));
    assert!(store.finding_vulns::<Value>(true).unwrap().is_empty());
    let triage = store.stored_triage::<Value>(&["CVE-A", "CVE-Z"]).unwrap();
    assert_eq!(triage.len(), 1);
    assert_eq!(triage["CVE-A"], a);

    // The queue holds the newest version's findings, most urgent first,
    // the same whichever way it is gathered.
    let product_id = store.product_ref("gw").unwrap().unwrap().id;
    let all = QueueQuery {
        limit: 10,
        ..QueueQuery::default()
    };
    let expected = vec![
        (90, "CVE-A".to_string(), c12),
        (90, "CVE-A".to_string(), c14),
        (50, "CVE-B".to_string(), c12),
    ];
    assert_eq!(queue(store, all.clone()), expected);
    assert_eq!(
        queue(
            store,
            QueueQuery {
                products: Some(vec![product_id]),
                ..all.clone()
            }
        ),
        expected
    );
    assert!(
        queue(
            store,
            QueueQuery {
                products: Some(vec![product_id + 1000]),
                ..all.clone()
            }
        )
        .is_empty()
    );
    assert_eq!(
        queue(
            store,
            QueueQuery {
                kev_only: true,
                ..all.clone()
            }
        )
        .len(),
        2
    );
    assert_eq!(
        queue(
            store,
            QueueQuery {
                decisions: vec!["track".into()],
                ..all.clone()
            }
        )
        .len(),
        1
    );
    assert_eq!(
        queue(
            store,
            QueueQuery {
                vuln: Some("CVE-B".into()),
                ..all.clone()
            }
        )
        .len(),
        1
    );
    assert_eq!(
        queue(
            store,
            QueueQuery {
                min_priority: 60,
                ..all.clone()
            }
        )
        .len(),
        2
    );
    let after = QueueKey {
        priority: 90,
        vuln_id: "CVE-A".into(),
        product: "gw".into(),
        component_id: c12,
    };
    assert_eq!(
        queue(
            store,
            QueueQuery {
                after: Some(after),
                limit: 1,
                ..all.clone()
            }
        ),
        expected[1..2]
    );
    let row = &store
        .queue_page::<Value, Value>(&QueueQuery {
            limit: 1,
            ..all.clone()
        })
        .unwrap()[0];
    assert_eq!(
        (row.version.as_str(), row.decision.as_str(), row.kev),
        ("2.0", "Act", true)
    );
    assert_eq!(row.component, json!({"name": "c12"}));

    let counts = &store.finding_counts(&[product_id]).unwrap()[&product_id];
    assert_eq!(
        (
            counts.findings,
            counts.vulnerabilities,
            counts.critical,
            counts.medium,
            counts.kev
        ),
        (3, 2, 2, 1, 2)
    );
    assert_eq!(counts.decisions["Act"], 2);

    let (version, components) = store
        .version_components::<Value, Value, Value>("gw", None)
        .unwrap()
        .unwrap();
    assert_eq!(version, "2.0");
    let listed: Vec<_> = components
        .iter()
        .map(|c| (c.bom_ref.as_str(), c.outcome.as_deref(), c.findings.len()))
        .collect();
    assert_eq!(
        listed,
        [
            ("ref-12", Some("findings"), 2),
            ("ref-13", Some("unresolved"), 0),
            ("ref-14", Some("findings"), 1)
        ]
    );
    assert_eq!(components[0].detail, Some(json!({"component": c12})));
    assert!(
        store
            .version_components::<Value, Value, Value>("gw", Some("9.9"))
            .unwrap()
            .is_none()
    );

    cra_suite(store, product_id);
    aliases_suite(store);
    webhooks_suite(store);

    // Removing a version drops the components no version uses any more.
    let before = store.audit_count().unwrap();
    assert_eq!(
        store
            .remove_product("gw", Some("1.0"), entry("product.remove", "product:gw"))
            .unwrap(),
        1
    );
    assert_eq!(store.component_count().unwrap(), 3);
    assert_eq!(store.versions_containing(&[c12]).unwrap()[&c12], ["gw 2.0"]);
    assert_eq!(
        store
            .remove_product("gw", None, entry("product.remove", "product:gw"))
            .unwrap(),
        1
    );
    assert!(store.products().unwrap().is_empty());
    assert!(store.product_ref("gw").unwrap().is_none());
    assert_eq!(store.component_count().unwrap(), 0);
    assert!(
        store.cases(None).unwrap().is_empty(),
        "a product's cases go with it"
    );
    assert_eq!(store.audit_count().unwrap(), before + 2);
}

fn cra_suite(store: &mut Store, product_id: i64) {
    let market = store
        .set_market(
            product_id,
            true,
            &["DE".into(), "FR".into()],
            Some("2030-12-31"),
            entry("product.market", "product:gw"),
        )
        .unwrap();
    assert_eq!(store.market(product_id).unwrap(), Some(market));
    let case = NewCase {
        product_id,
        version: "2.0",
        kind: "exploited_vulnerability",
        vuln_id: Some("CVE-A"),
        summary: None,
        source: "CISA KEV",
        evidence_at: "2026-12-01T00:00:00Z",
        awareness_at: "2026-12-01T00:00:00Z",
        opened_by: "cli:test",
    };
    let opened = store
        .open_case(&case, entry("cra.open", "product:gw"))
        .unwrap()
        .unwrap();
    assert!(
        store
            .open_case(&case, entry("cra.open", "product:gw"))
            .unwrap()
            .is_none(),
        "one case per obligation"
    );
    assert_eq!(
        store
            .case_of(product_id, "2.0", "CVE-A")
            .unwrap()
            .unwrap()
            .id,
        opened.id
    );
    store
        .record_submission(
            &opened,
            "early-warning",
            "2026-12-01T10:00:00Z",
            "ENISA-1",
            entry("cra.submit", "product:gw"),
        )
        .unwrap();
    store
        .record_measure(
            &opened,
            "2026-12-02T00:00:00Z",
            "firmware 2.1",
            entry("cra.measure", "product:gw"),
        )
        .unwrap();
    let cases = store.cases(Some(&[product_id])).unwrap();
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].submissions[0].reference, "ENISA-1");
    assert_eq!(cases[0].measure.as_deref(), Some("firmware 2.1"));
    assert!(store.cases(Some(&[product_id + 1000])).unwrap().is_empty());
}

fn aliases_suite(store: &mut Store) {
    let revision = store.alias_revision().unwrap();
    let alias = NewAlias {
        component: "Lib-Foo",
        purl_type: None,
        vendor: "foo",
        product: "libfoo",
        note: Some("same"),
    };
    let row = store
        .add_alias(&alias, entry("alias.add", "alias:Lib-Foo"))
        .unwrap();
    assert!(matches!(
        store.add_alias(&alias, entry("alias.add", "alias:Lib-Foo")),
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.aliases().unwrap(), std::slice::from_ref(&row));
    assert_eq!(store.alias_revision().unwrap(), revision + 1);
    store.set_portfolio_alias_revision(revision + 1).unwrap();
    assert_eq!(store.portfolio_alias_revision().unwrap(), revision + 1);
    store
        .remove_alias(row.id, entry("alias.remove", "alias:Lib-Foo"))
        .unwrap();
    assert!(store.aliases().unwrap().is_empty());
    assert_eq!(store.alias_revision().unwrap(), revision + 2);
    assert!(matches!(
        store.remove_alias(row.id, entry("alias.remove", "x")),
        Err(StoreError::NotFound(_))
    ));
}

fn webhooks_suite(store: &mut Store) {
    let before = store.audit_count().unwrap();
    let hook = store
        .add_webhook(
            "https://example.com/in",
            "secret-0123456789",
            &["cra.case_opened"],
            entry("webhook.add", "x"),
        )
        .unwrap();
    assert_eq!(store.webhooks().unwrap(), std::slice::from_ref(&hook));
    assert_eq!(hook.secret, "secret-0123456789");
    let body = json!({"event": "cra.case_opened", "case": {"id": "CRA-1"}});
    let event = store
        .raise_webhook_event(hook.id, "cra.case_opened", "CRA-1", &body, 9)
        .unwrap()
        .expect("raised");
    assert_eq!(
        store
            .raise_webhook_event(hook.id, "cra.case_opened", "CRA-1", &body, 9)
            .unwrap(),
        None,
        "once per receiver"
    );
    // Its delivery job is queued with it.
    let job = store
        .claim_job(
            &[WEBHOOK_JOB],
            None,
            "node-a",
            std::time::Duration::from_secs(30),
        )
        .unwrap()
        .expect("a delivery job");
    assert_eq!(job.payload, Some(json!({"event": event})));
    assert_eq!(job.job.attempts, 1);
    let (h, e) = store.webhook_event(event).unwrap().unwrap();
    assert_eq!((h.id, e.body), (hook.id, body));
    store
        .record_delivery(&Attempt {
            event_id: event,
            attempt: 1,
            status: Some(503),
            error: Some("HTTP 503"),
            millis: 12,
        })
        .unwrap();
    let log = store.webhook_deliveries(Some(hook.id), 10).unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!((log[0].status, log[0].key.as_str()), (Some(503), "CRA-1"));
    assert!(
        store
            .webhook_deliveries(Some(hook.id + 1), 10)
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .remove_webhook(hook.id, entry("webhook.remove", "x"))
            .unwrap()
    );
    assert!(
        !store
            .remove_webhook(hook.id, entry("webhook.remove", "x"))
            .unwrap()
    );
    assert!(
        store.webhook_event(event).unwrap().is_none(),
        "events go with it"
    );
    assert!(store.webhook_deliveries(None, 10).unwrap().is_empty());
    assert_eq!(store.audit_count().unwrap(), before + 2);
}

#[test]
fn portfolio_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("k.db")).unwrap();
    portfolio_suite(&mut store);
}

#[test]
fn portfolio_on_postgres() {
    let Some(cluster) = Cluster::shared() else {
        return;
    };
    let mut store = Store::open_in_memory().unwrap();
    store
        .attach_postgres(&cluster.database(), Migrate::IfEmpty)
        .unwrap();
    portfolio_suite(&mut store);
}
