//! Versioned schema migrations, applied in order inside one transaction.
//!
//! `PRAGMA user_version` holds the number of migrations applied. Never edit a
//! released migration: append a new one.

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
    last_modified TEXT,
    description   TEXT
) WITHOUT ROWID;

-- One row per vulnerability per source; `data` is the kensa-model VulnRecord
-- as JSON, so every statement keeps who made it and when it was imported.
CREATE TABLE records (
    id            INTEGER PRIMARY KEY,
    vuln_id       TEXT NOT NULL,
    source_kind   TEXT NOT NULL,
    source_name   TEXT NOT NULL,
    last_modified TEXT,
    content_hash  INTEGER NOT NULL,
    import_id     INTEGER NOT NULL,
    data          TEXT NOT NULL,
    UNIQUE (vuln_id, source_kind, source_name)
);
CREATE INDEX records_by_source ON records (source_kind, source_name);

CREATE TABLE descriptions (
    id        INTEGER PRIMARY KEY,
    record_id INTEGER NOT NULL,
    lang      TEXT NOT NULL,
    text      TEXT NOT NULL
);
CREATE INDEX descriptions_by_record ON descriptions (record_id);

-- Full-text search over English descriptions (other languages are stored,
-- not indexed: unicode61 cannot segment Japanese, a trigram index will).
CREATE VIRTUAL TABLE descriptions_fts USING fts5 (
    text, content = 'descriptions', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER descriptions_fts_insert AFTER INSERT ON descriptions
WHEN new.lang = 'en' OR new.lang LIKE 'en-%' BEGIN
    INSERT INTO descriptions_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER descriptions_fts_delete AFTER DELETE ON descriptions
WHEN old.lang = 'en' OR old.lang LIKE 'en-%' BEGIN
    INSERT INTO descriptions_fts (descriptions_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;

CREATE TABLE aliases (
    alias     TEXT NOT NULL,
    vuln_id   TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    PRIMARY KEY (alias, record_id)
) WITHOUT ROWID;
CREATE INDEX aliases_by_record ON aliases (record_id);

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
-- anywhere in their configurations, CPE lists or affected entries.
CREATE TABLE cpe_index (
    vendor    TEXT NOT NULL,
    product   TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    part      TEXT NOT NULL,
    PRIMARY KEY (vendor, product, record_id)
) WITHOUT ROWID;
CREATE INDEX cpe_index_by_record ON cpe_index (record_id);

-- Candidate lookup by package: OSV affected packages, CVE 5 package names.
CREATE TABLE package_index (
    ecosystem TEXT NOT NULL,
    name      TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    PRIMARY KEY (ecosystem, name, record_id)
) WITHOUT ROWID;
CREATE INDEX package_index_by_record ON package_index (record_id);

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
];
