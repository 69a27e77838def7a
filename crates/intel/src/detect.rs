//! Recognising a source format from content, never from the file name.
//!
//! JSON formats are told apart by the object keys near the start of the
//! input, read by a tolerant scanner that stops wherever the prefix ends (the
//! interesting keys of every supported format come before its bulk).

use std::collections::HashSet;

/// A supported input format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// NVD CVE API 2.0 `cve` object (bare, or wrapped as `{"cve": …}`).
    NvdCve,
    /// NVD CVE API 2.0 response page or 2.0 yearly feed: `{"vulnerabilities": [{"cve": …}]}`.
    NvdApiPage,
    /// NVD-format configuration override (`{"_annotation": …, "cve": {"configurations": …}}`).
    NvdOverride,
    /// CVE JSON 5 record (cvelistV5, CISA vulnrichment).
    Cve5,
    /// OSV record in JSON.
    OsvJson,
    /// OSV record in YAML.
    OsvYaml,
    /// CISA KEV catalog, JSON.
    KevJson,
    /// CISA KEV catalog, CSV.
    KevCsv,
    /// FIRST EPSS daily scores, CSV.
    EpssCsv,
    /// CSAF 2.0 advisory (any profile).
    Csaf,
    /// OpenEmbedded/Yocto recipes' `CVE_PRODUCT`, as a tab-separated table.
    OeCveProduct,
    /// Buildroot `make show-info` (packages with their `cpe-id`).
    BuildrootShowInfo,
    /// Buildroot `pkg-stats --json` (packages with their `cpeid`).
    BuildrootPkgStats,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::NvdCve => "NVD CVE API 2.0 record",
            Format::NvdApiPage => "NVD CVE API 2.0 response / feed",
            Format::NvdOverride => "NVD-format configuration override",
            Format::Cve5 => "CVE JSON 5 record",
            Format::OsvJson => "OSV (JSON)",
            Format::OsvYaml => "OSV (YAML)",
            Format::KevJson => "CISA KEV catalog (JSON)",
            Format::KevCsv => "CISA KEV catalog (CSV)",
            Format::EpssCsv => "FIRST EPSS scores (CSV)",
            Format::Csaf => "CSAF 2.0 advisory",
            Format::OeCveProduct => "OpenEmbedded CVE_PRODUCT name mappings (TSV)",
            Format::BuildrootShowInfo => "Buildroot show-info name mappings (JSON)",
            Format::BuildrootPkgStats => "Buildroot pkg-stats name mappings (JSON)",
        }
    }

    /// Short stable identifier, used in the import log and JSON output.
    pub fn id(self) -> &'static str {
        match self {
            Format::NvdCve => "nvd-cve",
            Format::NvdApiPage => "nvd-api-page",
            Format::NvdOverride => "nvd-override",
            Format::Cve5 => "cve5",
            Format::OsvJson => "osv-json",
            Format::OsvYaml => "osv-yaml",
            Format::KevJson => "kev-json",
            Format::KevCsv => "kev-csv",
            Format::EpssCsv => "epss-csv",
            Format::Csaf => "csaf",
            Format::OeCveProduct => "oe-cve-product",
            Format::BuildrootShowInfo => "buildroot-show-info",
            Format::BuildrootPkgStats => "buildroot-pkg-stats",
        }
    }
}

/// The formats `kensa db import` understands, for error messages and `--help`.
pub const SUPPORTED: &str = "NVD CVE API 2.0 (records as JSON Lines, API response pages, 2.0 feeds), \
NVD-format configuration overrides, CVE JSON 5 (single, JSON Lines, cvelistV5 directory), \
OSV (JSON or YAML; file, directory or tar archive), CISA KEV (JSON or CSV), FIRST EPSS (CSV), \
CSAF 2.0 (single, JSON Lines, directory), name mappings (OpenEmbedded CVE_PRODUCT table, \
Buildroot show-info or pkg-stats JSON); any of them gzip-, xz- or zstd-compressed";

/// How the records sit in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One JSON document per line.
    JsonLines,
    /// One document (which may hold many records).
    Document,
}

/// Recognises a JSON document or JSON Lines line from its first bytes.
pub fn detect_json(prefix: &[u8]) -> Option<(Format, bool)> {
    let keys = Keys::scan(prefix);
    let f = if keys.has(1, "cveMetadata") || keys.has(1, "dataType") && keys.has(1, "containers") {
        Format::Cve5
    } else if keys.has(1, "document")
        && (keys.has(2, "csaf_version") || keys.has(1, "product_tree"))
    {
        Format::Csaf
    } else if keys.has(1, "catalogVersion")
        || keys.has(1, "vulnerabilities") && keys.has(3, "cveID")
    {
        Format::KevJson
    } else if keys.has(1, "vulnerabilities")
        && (keys.has(1, "resultsPerPage") || keys.has(1, "totalResults") || keys.has(3, "cve"))
    {
        Format::NvdApiPage
    } else if keys.has(2, "dl_dir") && keys.has(2, "virtual") {
        Format::BuildrootShowInfo
    } else if keys.has(1, "packages") && (keys.has(3, "cpeid") || keys.has(3, "pkg_path")) {
        Format::BuildrootPkgStats
    } else if keys.has(1, "_annotation")
        || keys.has(1, "cve") && keys.has(2, "configurations") && !keys.has(2, "id")
    {
        Format::NvdOverride
    } else if keys.has(1, "cve") && keys.has(2, "id") {
        return Some((Format::NvdCve, true));
    } else if keys.has(1, "id") && (keys.has(1, "sourceIdentifier") || keys.has(1, "vulnStatus")) {
        Format::NvdCve
    } else if keys.has(1, "id") && keys.has(1, "modified") {
        Format::OsvJson
    } else {
        return None;
    };
    Some((f, false))
}

/// Recognises the text formats (CSV, YAML) from their first line(s).
pub fn detect_text(prefix: &[u8]) -> Option<Format> {
    let text = String::from_utf8_lossy(&prefix[..prefix.len().min(64 << 10)]);
    let text = text.trim_start_matches('\u{feff}');
    let first = text.lines().next().unwrap_or("").trim();
    if first.starts_with("cveID,") && first.contains("dateAdded") {
        return Some(Format::KevCsv);
    }
    if crate::mappings::is_openembedded_header(first) {
        return Some(Format::OeCveProduct);
    }
    if first.starts_with("#model_version") || first.replace(' ', "") == "cve,epss,percentile" {
        return Some(Format::EpssCsv);
    }
    let yaml_keys: HashSet<&str> = text
        .lines()
        .filter(|l| !l.starts_with([' ', '-', '#', '\t']))
        .filter_map(|l| l.split_once(':').map(|(k, _)| k.trim()))
        .collect();
    if yaml_keys.contains("id")
        && (yaml_keys.contains("modified") || yaml_keys.contains("affected"))
    {
        return Some(Format::OsvYaml);
    }
    None
}

/// Object keys seen in a JSON prefix, with their nesting depth (1 = keys of
/// the top-level object; array levels count, so keys of the objects inside a
/// top-level array member are at depth 3).
struct Keys(HashSet<(usize, String)>);

impl Keys {
    fn has(&self, depth: usize, key: &str) -> bool {
        self.0.contains(&(depth, key.to_string()))
    }

    fn scan(buf: &[u8]) -> Keys {
        const MAX_DEPTH: usize = 3;
        let mut keys = HashSet::new();
        let mut stack: Vec<u8> = Vec::new();
        let mut expect_key = false;
        let mut i = 0;
        while i < buf.len() {
            match buf[i] {
                b'{' => {
                    stack.push(b'{');
                    expect_key = true;
                }
                b'[' => {
                    stack.push(b'[');
                    expect_key = false;
                }
                b'}' | b']' => {
                    stack.pop();
                    expect_key = false;
                }
                b',' => expect_key = stack.last() == Some(&b'{'),
                b':' => expect_key = false,
                b'"' => {
                    let start = i + 1;
                    i = start;
                    while i < buf.len() && buf[i] != b'"' {
                        i += if buf[i] == b'\\' { 2 } else { 1 };
                    }
                    if expect_key && stack.len() <= MAX_DEPTH && i <= buf.len() {
                        let key = String::from_utf8_lossy(&buf[start..i.min(buf.len())]);
                        keys.insert((stack.len(), key.into_owned()));
                    }
                    expect_key = false;
                }
                _ => {}
            }
            i += 1;
        }
        Keys(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_each_json_shape() {
        let cases: &[(&str, Format)] = &[
            (
                r#"{"id":"CVE-1999-0001","sourceIdentifier":"cve@mitre.org"}"#,
                Format::NvdCve,
            ),
            (
                r#"{"cve":{"id":"CVE-1999-0001","descriptions":[]}}"#,
                Format::NvdCve,
            ),
            (
                r#"{"resultsPerPage":1,"vulnerabilities":[{"cve":{"id":"CVE-1"}}]}"#,
                Format::NvdApiPage,
            ),
            (
                r#"{"_annotation":{"cve_id":"CVE-1"},"cve":{"configurations":[]}}"#,
                Format::NvdOverride,
            ),
            (r#"{"dataType":"CVE_RECORD","containers":{}}"#, Format::Cve5),
            (r#"{"containers":{},"cveMetadata":{}}"#, Format::Cve5),
            (r#"{"document":{"csaf_version":"2.0"}}"#, Format::Csaf),
            (
                r#"{"title":"x","catalogVersion":"2025.01.01"}"#,
                Format::KevJson,
            ),
            (
                r#"{"schema_version":"1.4.0","id":"GHSA-x","modified":"2024-01-01"}"#,
                Format::OsvJson,
            ),
            (
                r#"{"busybox":{"type":"target","virtual":false,"dl_dir":"busybox","cpe-id":"x"}}"#,
                Format::BuildrootShowInfo,
            ),
            (
                r#"{"packages":{"automake":{"pkg_path":"package/automake","cpeid":"x"}}}"#,
                Format::BuildrootPkgStats,
            ),
        ];
        for (text, want) in cases {
            assert_eq!(
                detect_json(text.as_bytes()).map(|d| d.0),
                Some(*want),
                "{text}"
            );
        }
    }

    #[test]
    fn keys_inside_strings_and_values_do_not_count() {
        let text = r#"{"id":"x","note":"\"cveMetadata\": 1","modified":"2024"}"#;
        assert_eq!(
            detect_json(text.as_bytes()).map(|d| d.0),
            Some(Format::OsvJson)
        );
        assert_eq!(detect_json(br#"{"a":1}"#), None);
        assert_eq!(detect_json(b"not json"), None);
    }

    #[test]
    fn recognises_text_formats() {
        assert_eq!(
            detect_text(b"cveID,vendorProject,product,vulnerabilityName,dateAdded\n"),
            Some(Format::KevCsv)
        );
        assert_eq!(
            detect_text(b"#model_version:v2025.03.14,score_date:2025-11-20T00:00:00Z\ncve,epss,percentile\n"),
            Some(Format::EpssCsv)
        );
        assert_eq!(
            detect_text(
                b"id: PYSEC-2020-1\nmodified: 2021-01-01T00:00:00Z\naffected:\n- package: {}\n"
            ),
            Some(Format::OsvYaml)
        );
        assert_eq!(
            detect_text(b"recipe\tcve_product\tlayer\tpath\napache2\tapache:http_server\tx\ty\n"),
            Some(Format::OeCveProduct)
        );
        assert_eq!(detect_text(b"hello, world\n"), None);
    }
}
