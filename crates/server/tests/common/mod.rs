//! A team server on loopback over a fresh database holding the demo data:
//! three products (red-gw in team red, blue-gw in team blue, solo in no
//! team) and users holding each role on each kind of scope.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use kensa_app::Actor;
use kensa_app::products::{AddVersion, add_version};
use kensa_model::team::{Role, Scope};
use kensa_store::Store;
use serde_json::Value;

pub const PASSWORD: &str = "correct horse battery";
/// Shellshock: its tree is c1 (version) AND c2 (input) AND (c3 OR c4 …).
pub const VULN: &str = "CVE-2014-6271";

pub fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo")
}

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
    /// user name → API token
    pub tokens: HashMap<String, String>,
    pub server: Option<kensa_server::Running>,
}

/// Users: `{role}-product` (on red-gw), `{role}-team` (on team red),
/// `{role}-global`; `mixed` (analyst on red, viewer on blue); `nobody`.
pub fn users() -> Vec<(String, Option<(Role, Scope)>)> {
    let mut out = Vec::new();
    for role in Role::ALL {
        out.push((
            format!("{role}-product"),
            Some((role, Scope::Product("red-gw".into()))),
        ));
        out.push((
            format!("{role}-team"),
            Some((role, Scope::Team("red".into()))),
        ));
        out.push((format!("{role}-global"), Some((role, Scope::Global))));
    }
    out.push(("nobody".into(), None));
    out
}

impl Fixture {
    pub fn new() -> Fixture {
        Fixture::with(|_| {})
    }

    /// A fixture whose server configuration `tune` may change.
    pub fn with(tune: impl FnOnce(&mut kensa_server::Config)) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("team.db");
        let mut store = Store::open(&db).unwrap();
        let demo = demo();
        for f in [
            "nvd-demo.api2.jsonl.gz",
            "vulnrichment-demo.cve5.jsonl.gz",
            "kev-demo.json",
            "csaf-demo.jsonl.gz",
        ] {
            let path = demo.join(f);
            kensa_intel::import_path(&mut store, &path, &kensa_intel::ImportOptions::default())
                .unwrap_or_else(|e| panic!("importing {}: {e}", path.display()));
        }
        let op = Actor::operator();
        kensa_app::accounts::add_team(&mut store, &op, "red").unwrap();
        kensa_app::accounts::add_team(&mut store, &op, "blue").unwrap();
        let sbom = std::fs::read(demo.join("rtu-gateway.cdx.json")).unwrap();
        for (product, team) in [
            ("red-gw", Some("red")),
            ("blue-gw", Some("blue")),
            ("solo", None),
        ] {
            let new = AddVersion {
                product,
                version: "1.0",
                sbom: &sbom,
                origin: "fixture",
                team,
                replace: false,
                strict: false,
                parsed: None,
            };
            add_version(&mut store, &op, &new, true, &|_| {}).unwrap();
        }
        let mut tokens = HashMap::new();
        let mut all = users();
        all.push(("mixed".into(), None));
        for (name, grant) in &all {
            kensa_app::accounts::add_user(&mut store, &op, name, Some(PASSWORD), false).unwrap();
            if let Some((role, scope)) = grant {
                kensa_app::accounts::grant(&mut store, &op, name, *role, scope).unwrap();
            }
            let t = kensa_app::accounts::create_token(&mut store, &op, name, None, None).unwrap();
            tokens.insert(name.clone(), t.token);
        }
        kensa_app::accounts::grant(
            &mut store,
            &op,
            "mixed",
            Role::Analyst,
            &Scope::Team("red".into()),
        )
        .unwrap();
        kensa_app::accounts::grant(
            &mut store,
            &op,
            "mixed",
            Role::Viewer,
            &Scope::Team("blue".into()),
        )
        .unwrap();
        drop(store);
        let mut config = kensa_server::Config::new(db.clone());
        config.listen = "127.0.0.1:0".parse().unwrap();
        tune(&mut config);
        let server = kensa_server::spawn(config).expect("the server starts");
        Fixture {
            dir,
            db,
            tokens,
            server: Some(server),
        }
    }

    pub fn url(&self, path: &str) -> String {
        self.server.as_ref().unwrap().url(path)
    }

    pub fn store(&self) -> Store {
        Store::open(&self.db).unwrap()
    }
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// A response's status and body (JSON when it is JSON).
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub text: String,
    pub etag: Option<String>,
    pub location: Option<String>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
}

pub fn reply(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
    let mut r = r.expect("the request is answered");
    let header = |name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let content_type = header("content-type").unwrap_or_default();
    let etag = header("etag");
    let location = header("location");
    Reply {
        status: r.status().as_u16(),
        content_type,
        etag,
        location,
        text: r.body_mut().read_to_string().unwrap_or_default(),
    }
}

/// Method, path, token, optional JSON body.
pub fn call(
    f: &Fixture,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> Reply {
    let a = agent();
    let url = f.url(path);
    let auth = token.map(|t| format!("Bearer {t}"));
    macro_rules! with_auth {
        ($req:expr) => {{
            let req = $req;
            match &auth {
                Some(a) => req.header("Authorization", a),
                None => req,
            }
        }};
    }
    reply(match (method, body) {
        ("GET", _) => with_auth!(a.get(&url)).call(),
        ("PUT", Some(b)) => with_auth!(a.put(&url))
            .content_type("application/json")
            .send(b),
        ("POST", Some(b)) => with_auth!(a.post(&url))
            .content_type("application/json")
            .send(b),
        ("POST", None) => with_auth!(a.post(&url)).send_empty(),
        ("DELETE", None) => with_auth!(a.delete(&url)).call(),
        other => panic!("unsupported {other:?}"),
    })
}

/// A fingerprint of everything people write: what a refused request must
/// leave exactly as it was.
pub fn written_state(store: &Store) -> String {
    let mut parts = vec![format!("audit={}", store.audit_count().unwrap())];
    for p in store.product_refs().unwrap() {
        parts.push(format!("{}:{:?}", p.name, p.team));
        for a in store.assessments_of(p.id).unwrap() {
            parts.push(format!("{}:{}:{}", p.name, a.vulnerability, a.revision));
        }
    }
    for p in store.products().unwrap() {
        for v in p.versions {
            parts.push(format!("{}@{}", p.name, v.version));
        }
    }
    parts.join(" ")
}
