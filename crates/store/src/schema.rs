//! Versioned schema migrations, applied in order inside one transaction.
//!
//! `PRAGMA user_version` holds the number of migrations applied. Never edit a
//! released migration: append a new one.

/// The migration that added `affected_names`: databases older than it have
/// CVE 5 records whose names it must index.
pub(crate) const AFFECTED_NAMES_MIGRATION: usize = 3;
/// The migration that adds `cpe_index.screen`, filled for stored records.
pub(crate) const SCREEN_MIGRATION: usize = 4;

pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: vulnerability intelligence.
    r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- One log row per imported file (or sync batch).
CREATE TABLE imports (
    id          INTEGER PRIMARY KEY,
    origin      TEXT NOT NULL,
    format      TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    inserted    INTEGER NOT NULL DEFAULT 0,
    updated     INTEGER NOT NULL DEFAULT 0,
    unchanged   INTEGER NOT NULL DEFAULT 0,
    stale       INTEGER NOT NULL DEFAULT 0,
    skipped     INTEGER NOT NULL DEFAULT 0
);

-- The merged head of every vulnerability id: what lists and search show.
CREATE TABLE vulnerabilities (
    id            TEXT PRIMARY KEY,
    published     TEXT,
    last_modified TEXT
) WITHOUT ROWID;

-- One row per vulnerability per source; `data` is the kensa-model VulnRecord
-- as LZ4-compressed JSON (size-prepended block), so every statement keeps who
-- made it and when it was imported.
CREATE TABLE records (
    id            INTEGER PRIMARY KEY,
    vuln_id       TEXT NOT NULL,
    source_kind   TEXT NOT NULL,
    source_name   TEXT NOT NULL,
    last_modified TEXT,
    content_hash  INTEGER NOT NULL,
    import_id     INTEGER NOT NULL,
    data          BLOB NOT NULL,
    UNIQUE (vuln_id, source_kind, source_name)
);
CREATE INDEX records_by_source ON records (source_kind, source_name);

-- Full-text search over English descriptions: one document per record,
-- rowid = records.id. Contentless (the text lives in the record body), with
-- contentless_delete so an updated record can drop its old document. Other
-- languages are stored in the body, not indexed: unicode61 cannot segment
-- Japanese; a trigram index will.
CREATE VIRTUAL TABLE descriptions_fts USING fts5 (
    text, content = '', contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TABLE aliases (
    alias     TEXT NOT NULL,
    vuln_id   TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    PRIMARY KEY (alias, record_id)
) WITHOUT ROWID;

CREATE TABLE cvss (
    record_id  INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    scorer     TEXT NOT NULL,
    version    TEXT NOT NULL,
    vector     TEXT NOT NULL,
    base_score REAL,
    severity   TEXT,
    PRIMARY KEY (record_id, seq)
) WITHOUT ROWID;

CREATE TABLE weaknesses (
    record_id INTEGER NOT NULL,
    cwe       TEXT NOT NULL,
    PRIMARY KEY (record_id, cwe)
) WITHOUT ROWID;

-- Candidate lookup for matching: which records name a CPE vendor/product
-- anywhere in their configurations, CPE lists or affected entries. Index
-- tables have no by-record index (it would cost every insert): replacing a
-- record deletes its old keys, computed from its old body.
CREATE TABLE cpe_index (
    vendor    TEXT NOT NULL,
    product   TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    part      TEXT NOT NULL,
    PRIMARY KEY (vendor, product, record_id)
) WITHOUT ROWID;

-- Candidate lookup by package: OSV affected packages, CVE 5 package names.
CREATE TABLE package_index (
    ecosystem TEXT NOT NULL,
    name      TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    PRIMARY KEY (ecosystem, name, record_id)
) WITHOUT ROWID;

CREATE TABLE ssvc (
    record_id        INTEGER PRIMARY KEY,
    vuln_id          TEXT NOT NULL,
    exploitation     TEXT,
    automatable      TEXT,
    technical_impact TEXT,
    timestamp        TEXT
);
CREATE INDEX ssvc_by_vuln ON ssvc (vuln_id);

CREATE TABLE kev (
    cve_id     TEXT PRIMARY KEY,
    date_added TEXT NOT NULL,
    due_date   TEXT NOT NULL,
    ransomware TEXT NOT NULL,
    import_id  INTEGER NOT NULL,
    data       TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE epss (
    cve_id        TEXT PRIMARY KEY,
    epss          REAL NOT NULL,
    percentile    REAL NOT NULL,
    model_version TEXT,
    score_date    TEXT
) WITHOUT ROWID;

CREATE TABLE csaf_documents (
    id                   INTEGER PRIMARY KEY,
    publisher            TEXT NOT NULL,
    tracking_id          TEXT NOT NULL,
    title                TEXT NOT NULL,
    category             TEXT NOT NULL,
    current_release_date TEXT,
    content_hash         INTEGER NOT NULL,
    import_id            INTEGER NOT NULL,
    data                 TEXT NOT NULL,
    UNIQUE (publisher, tracking_id)
);

CREATE TABLE csaf_products (
    document_id   INTEGER NOT NULL,
    product_id    TEXT NOT NULL,
    name          TEXT NOT NULL,
    vendor        TEXT,
    product_name  TEXT,
    version       TEXT,
    version_range TEXT,
    cpe           TEXT,
    purl          TEXT,
    PRIMARY KEY (document_id, product_id)
) WITHOUT ROWID;
CREATE INDEX csaf_products_by_name ON csaf_products (vendor, product_name);

CREATE TABLE csaf_product_status (
    document_id INTEGER NOT NULL,
    vuln_id     TEXT NOT NULL,
    product_id  TEXT NOT NULL,
    status      TEXT NOT NULL,
    PRIMARY KEY (document_id, vuln_id, product_id, status)
) WITHOUT ROWID;
CREATE INDEX csaf_product_status_by_vuln ON csaf_product_status (vuln_id);
"#,
    // 2: products and their findings (the portfolio).
    r#"
-- Which records an import wrote: what a portfolio rescan must revisit.
CREATE INDEX records_by_import ON records (import_id);

CREATE TABLE products (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

-- One SBOM per product version, kept as given (LZ4) beside its components.
CREATE TABLE product_versions (
    id          INTEGER PRIMARY KEY,
    product_id  INTEGER NOT NULL REFERENCES products (id),
    version     TEXT NOT NULL,
    sbom_origin TEXT NOT NULL,
    sbom_format TEXT NOT NULL,
    sbom        BLOB NOT NULL,
    added_at    TEXT NOT NULL,
    UNIQUE (product_id, version)
);

-- Distinct components across the portfolio: products share most of theirs,
-- so each is matched once. `identity` fingerprints what matching reads;
-- `resolution` what the component resolved to at its last scan; `outcome`
-- the scan's verdict on it (findings, unversioned, unresolved) with details.
CREATE TABLE components (
    id         INTEGER PRIMARY KEY,
    identity   INTEGER NOT NULL UNIQUE,
    data       BLOB NOT NULL,
    resolution INTEGER,
    outcome    TEXT,
    detail     BLOB
);

CREATE TABLE product_components (
    version_id   INTEGER NOT NULL REFERENCES product_versions (id),
    seq          INTEGER NOT NULL,
    component_id INTEGER NOT NULL REFERENCES components (id),
    bom_ref      TEXT NOT NULL,
    PRIMARY KEY (version_id, seq)
) WITHOUT ROWID;
CREATE INDEX product_components_by_component ON product_components (component_id);

CREATE TABLE component_findings (
    component_id INTEGER NOT NULL REFERENCES components (id),
    vuln_id      TEXT NOT NULL,
    data         BLOB NOT NULL,
    PRIMARY KEY (component_id, vuln_id)
) WITHOUT ROWID;
CREATE INDEX component_findings_by_vuln ON component_findings (vuln_id);
"#,
    // 3: products CVE 5 `affected` entries name without a CPE.
    r#"
-- Vendor and product (normalised, see kensa_model::names) of every CVE 5
-- `affected` entry that names no CPE: how CNAs such as Siemens or
-- Schneider Electric state what a vulnerability affects.
CREATE TABLE affected_names (
    product   TEXT NOT NULL,
    vendor    TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    PRIMARY KEY (product, vendor, record_id)
) WITHOUT ROWID;
"#,
    // 4: version screens beside the CPE index (see crate::screen).
    r#"
ALTER TABLE cpe_index ADD COLUMN screen BLOB;
"#,
    // 5: the product dictionary (see crate::names), rebuilt on first use.
    r#"
CREATE TABLE product_names (
    name       TEXT NOT NULL,
    vendor     TEXT NOT NULL,
    product    TEXT NOT NULL,
    part       TEXT NOT NULL,
    records    INTEGER NOT NULL,
    -- The vendor normalised without separators, as supplier names are
    -- compared (`rockwellautomation`): fuzzy resolution lists its products.
    vendor_key TEXT NOT NULL,
    PRIMARY KEY (name, vendor, product)
) WITHOUT ROWID;
CREATE INDEX product_names_by_vendor ON product_names (vendor_key);
"#,
    // 6: the team: people, what they may do, what they decided, and the
    // audit trail of every write (see crate::team).
    r#"
CREATE TABLE teams (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
-- A product belongs to at most one team (teams.id; no REFERENCES clause,
-- which SQLite does not enforce here and which would keep the column from
-- ever being dropped).
ALTER TABLE products ADD COLUMN team_id INTEGER;

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL UNIQUE,
    -- argon2id PHC string; NULL: no password, API tokens only.
    password_hash TEXT,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL
);

-- One role per user and scope; a user's role on a product is the highest
-- of the grants whose scope covers it (the product, its team, global).
-- scope_id: the product's or team's id; 0 for global.
CREATE TABLE grants (
    user_id    INTEGER NOT NULL REFERENCES users (id),
    scope      TEXT NOT NULL CHECK (scope IN ('global', 'team', 'product')),
    scope_id   INTEGER NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('viewer', 'analyst', 'approver', 'admin')),
    granted_at TEXT NOT NULL,
    PRIMARY KEY (user_id, scope, scope_id)
) WITHOUT ROWID;
CREATE INDEX grants_by_scope ON grants (scope, scope_id);

-- API tokens: only a SHA-256 of the secret is kept.
CREATE TABLE tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    label        TEXT,
    hash         TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    revoked_at   TEXT,
    last_used_at TEXT
);

-- Web sessions, by a SHA-256 of the cookie's secret.
CREATE TABLE sessions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    hash       TEXT NOT NULL UNIQUE,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    client     TEXT
);

-- The current assessment of a vulnerability in a product, and every
-- revision of it. answers and verdict are JSON (kensa-logic's shapes).
CREATE TABLE assessments (
    product_id        INTEGER NOT NULL REFERENCES products (id),
    vuln_id           TEXT NOT NULL,
    revision          INTEGER NOT NULL,
    status            TEXT NOT NULL,
    answers           TEXT NOT NULL,
    note              TEXT,
    verdict           TEXT NOT NULL,
    saved_by          TEXT NOT NULL,
    saved_at          TEXT NOT NULL,
    approved_revision INTEGER,
    approved_by       TEXT,
    approved_at       TEXT,
    PRIMARY KEY (product_id, vuln_id)
) WITHOUT ROWID;
CREATE TABLE assessment_history (
    product_id INTEGER NOT NULL,
    vuln_id    TEXT NOT NULL,
    revision   INTEGER NOT NULL,
    action     TEXT NOT NULL CHECK (action IN ('saved', 'approved')),
    status     TEXT NOT NULL,
    answers    TEXT NOT NULL,
    note       TEXT,
    verdict    TEXT NOT NULL,
    actor      TEXT NOT NULL,
    at         TEXT NOT NULL,
    PRIMARY KEY (product_id, vuln_id, revision, action)
) WITHOUT ROWID;

-- Every write, appended in the transaction of the change it records.
CREATE TABLE audit (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    via        TEXT NOT NULL,
    action     TEXT NOT NULL,
    object     TEXT NOT NULL,
    product_id INTEGER,
    change     TEXT,
    client     TEXT
);
CREATE INDEX audit_by_product ON audit (product_id, id);
CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END;
CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END;

-- Work that outlives a request (scanning an uploaded SBOM).
CREATE TABLE jobs (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    product_id INTEGER,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    progress   TEXT,
    result     TEXT,
    error      TEXT
);

-- Triage of every vulnerability the portfolio has findings on, with the
-- default profile, so that queues rank without recomputing it. `data` is
-- kensa-triage's Triage (LZ4 JSON). meta 'triage.through_import' tells
-- which import it reflects.
CREATE TABLE vuln_triage (
    vuln_id  TEXT PRIMARY KEY,
    priority INTEGER NOT NULL,
    decision TEXT NOT NULL,
    kev      INTEGER NOT NULL,
    data     BLOB NOT NULL
) WITHOUT ROWID;
CREATE INDEX vuln_triage_by_priority ON vuln_triage (priority DESC, vuln_id);
"#,
    // 7: what each source holds (see crate::freshness): its record count and
    // newest modification, kept by every import's commit, so a scan can state
    // what it was matched against without counting or reading the records.
    // Filled from what is stored.
    r#"
CREATE TABLE IF NOT EXISTS source_summary (
    -- records.source_kind (nvd, cve5-cna, osv, csaf, ...), or kev / epss.
    source  TEXT PRIMARY KEY,
    records INTEGER NOT NULL,
    newest  TEXT
) WITHOUT ROWID;
INSERT OR REPLACE INTO source_summary (source, records, newest)
    SELECT source_kind, count(*), max(last_modified) FROM records GROUP BY source_kind;
INSERT OR REPLACE INTO source_summary (source, records, newest)
    SELECT 'kev', count(*), max(date_added) FROM kev HAVING count(*) > 0;
INSERT OR REPLACE INTO source_summary (source, records, newest)
    SELECT 'epss', count(*), max(score_date) FROM epss HAVING count(*) > 0;
"#,
    // 8: alerts that `kensa ot monitor` sensors send to the team server (see
    // crate::team::alerts). One row per sensor and alert id: an update of
    // a repeating alert replaces its counts and keeps its first sighting.
    r#"
CREATE TABLE ot_alerts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    sensor      TEXT NOT NULL,
    alert_id    TEXT NOT NULL,
    severity    TEXT NOT NULL,
    -- info 0, low 1, medium 2, high 3, critical 4: for filtering.
    rank        INTEGER NOT NULL,
    rule        TEXT NOT NULL,
    src         TEXT NOT NULL,
    dst         TEXT NOT NULL,
    explanation TEXT NOT NULL,
    count       INTEGER NOT NULL,
    received_at TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    -- The alert as the sensor sent it (JSON), asset included.
    body        TEXT NOT NULL,
    UNIQUE (sensor, alert_id)
);
CREATE INDEX ot_alerts_by_update ON ot_alerts (updated_at DESC, id DESC);
"#,
    // 9: EU CRA Article 14 (see crate::team::cra): whether a product is on
    // the EU market, and one case record per reporting obligation with its
    // submitted stage reports. Times are UTC instants (RFC 3339).
    r#"
CREATE TABLE product_market (
    product_id    INTEGER PRIMARY KEY REFERENCES products(id) ON DELETE CASCADE,
    on_market     INTEGER NOT NULL,
    -- ISO 3166 alpha-2 codes of the Member States, comma-separated.
    member_states TEXT NOT NULL,
    -- YYYY-MM-DD: the end of the support period.
    support_end   TEXT,
    updated_at    TEXT NOT NULL
);
CREATE TABLE cra_cases (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id   INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    version      TEXT NOT NULL,
    -- exploited_vulnerability or severe_incident
    kind         TEXT NOT NULL,
    -- The vulnerability (exploited_vulnerability), else NULL.
    vuln_id      TEXT,
    -- The incident's summary, or a note on the vulnerability case.
    summary      TEXT,
    -- Where the evidence came from (CISA KEV, a person, …).
    source       TEXT NOT NULL,
    evidence_at  TEXT NOT NULL,
    -- The clocks' start: evidence, never before the version's registration
    -- nor before 2026-09-11.
    awareness_at TEXT NOT NULL,
    measure_at   TEXT,
    measure      TEXT,
    opened_by    TEXT NOT NULL,
    opened_at    TEXT NOT NULL,
    UNIQUE (product_id, version, vuln_id)
);
CREATE TABLE cra_submissions (
    case_id      INTEGER NOT NULL REFERENCES cra_cases(id) ON DELETE CASCADE,
    -- early-warning, notification or final
    stage        TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    reference    TEXT NOT NULL,
    recorded_by  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL,
    PRIMARY KEY (case_id, stage)
) WITHOUT ROWID;
"#,
    // 10: names: curated name-mapping feeds (see crate::mappings) and the
    // team's confirmed aliases (see crate::team::aliases).
    r#"
-- A build system's or distribution's package name and the CPE product a
-- public source says it is. `name` is normalised (kensa_model::names);
-- `vendor` is '' when the source names the product alone. A source's rows
-- are replaced whole by each import of it.
CREATE TABLE IF NOT EXISTS name_mappings (
    name      TEXT NOT NULL,
    source    TEXT NOT NULL,
    vendor    TEXT NOT NULL,
    product   TEXT NOT NULL,
    package   TEXT NOT NULL,
    origin    TEXT NOT NULL,
    PRIMARY KEY (name, source, vendor, product)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS name_mapping_sources (
    source      TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    licence     TEXT NOT NULL,
    file        TEXT NOT NULL,
    import_id   INTEGER NOT NULL,
    mappings    INTEGER NOT NULL,
    imported_at TEXT NOT NULL
) WITHOUT ROWID;

-- What the team confirmed: components of this name (normalised; of this
-- purl type, or any when '') are this CPE product. Every change is audited
-- and bumps meta 'aliases.revision', so a rescan revisits resolutions.
CREATE TABLE IF NOT EXISTS component_aliases (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL,
    component  TEXT NOT NULL,
    purl_type  TEXT NOT NULL DEFAULT '',
    vendor     TEXT NOT NULL,
    product    TEXT NOT NULL,
    note       TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (name, purl_type, vendor, product)
);
"#,
    // 11: jobs any node can run (see crate::team::jobs): what the job
    // needs, attempts with a time before which a retry waits, and the
    // lease of the node running it; leases of periodic work (one node at
    // a time).
    r#"
ALTER TABLE jobs ADD COLUMN payload TEXT;
ALTER TABLE jobs ADD COLUMN input BLOB;
ALTER TABLE jobs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN max_attempts INTEGER NOT NULL DEFAULT 3;
ALTER TABLE jobs ADD COLUMN run_after TEXT;
ALTER TABLE jobs ADD COLUMN owner TEXT;
ALTER TABLE jobs ADD COLUMN lease_until TEXT;
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state, id);
CREATE TABLE IF NOT EXISTS leases (
    name   TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until  TEXT NOT NULL
);
"#,
    // 12: what is known about a product version besides its SBOM (see
    // crate::team::version_inputs): its facts file and build configurations.
    r#"
-- The facts file (at most one) and kernel/BusyBox .config files of a product
-- version, as given, for automatic answers. `origin` names the file.
CREATE TABLE IF NOT EXISTS version_inputs (
    product_id INTEGER NOT NULL REFERENCES products (id),
    version    TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('facts', 'config')),
    origin     TEXT NOT NULL,
    body       TEXT NOT NULL,
    stored_by  TEXT NOT NULL,
    stored_at  TEXT NOT NULL,
    PRIMARY KEY (product_id, version, kind, origin)
) WITHOUT ROWID;
"#,
    // 13: signed webhooks (see crate::team::webhooks): the receivers, each
    // event raised once per receiver, and every delivery attempt.
    r#"
CREATE TABLE IF NOT EXISTS webhooks (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    url        TEXT NOT NULL,
    secret     TEXT NOT NULL,
    events     TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS webhook_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id INTEGER NOT NULL REFERENCES webhooks (id),
    event      TEXT NOT NULL,
    event_key  TEXT NOT NULL,
    body       TEXT NOT NULL,
    job_id     INTEGER,
    created_at TEXT NOT NULL,
    UNIQUE (webhook_id, event, event_key)
);
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id   INTEGER NOT NULL REFERENCES webhook_events (id),
    attempt    INTEGER NOT NULL,
    at         TEXT NOT NULL,
    status     INTEGER,
    error      TEXT,
    millis     INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_event ON webhook_deliveries (event_id);
"#,
];
