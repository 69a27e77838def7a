//! NVD CVE API 2.0 records and NVD-format configuration overrides.

use kensa_model::time::normalize;
use kensa_model::{
    Configuration, CvssMetric, LangText, Reference, Source, SourceKind, VulnRecord, Weakness,
};
use serde::Deserialize;

use crate::error::{RecordError, from_json};

/// The source name NVD records are filed under when `sourceIdentifier` is absent.
pub const NVD: &str = "nvd@nist.gov";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NvdCve {
    id: String,
    #[serde(default)]
    source_identifier: Option<String>,
    #[serde(default)]
    published: Option<String>,
    #[serde(default)]
    last_modified: Option<String>,
    #[serde(default)]
    vuln_status: Option<String>,
    #[serde(default)]
    descriptions: Vec<LangText>,
    #[serde(default)]
    metrics: Metrics,
    #[serde(default)]
    weaknesses: Vec<NvdWeakness>,
    #[serde(default)]
    configurations: Vec<Configuration>,
    #[serde(default)]
    references: Vec<NvdReference>,
    #[serde(default)]
    cisa_vulnerability_name: Option<String>,
}

#[derive(Deserialize, Default)]
struct Metrics {
    #[serde(default, rename = "cvssMetricV2")]
    v2: Vec<NvdMetric>,
    #[serde(default, rename = "cvssMetricV30")]
    v30: Vec<NvdMetric>,
    #[serde(default, rename = "cvssMetricV31")]
    v31: Vec<NvdMetric>,
    #[serde(default, rename = "cvssMetricV40")]
    v40: Vec<NvdMetric>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NvdMetric {
    source: String,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    cvss_data: CvssData,
    /// v2 carries its severity outside `cvssData`.
    #[serde(default)]
    base_severity: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CvssData {
    version: String,
    vector_string: String,
    #[serde(default)]
    base_score: Option<f64>,
    #[serde(default)]
    base_severity: Option<String>,
}

#[derive(Deserialize)]
struct NvdWeakness {
    source: String,
    #[serde(default)]
    description: Vec<LangText>,
}

#[derive(Deserialize)]
struct NvdReference {
    url: String,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
}

#[derive(Deserialize)]
struct Wrapped {
    cve: NvdCve,
}

/// Parses one NVD API 2.0 `cve` object; `wrapped` when it sits inside
/// `{"cve": …}` as in API pages.
pub fn parse_cve(bytes: &[u8], wrapped: bool) -> Result<VulnRecord, RecordError> {
    let cve = if wrapped {
        from_json::<Wrapped>(bytes)
            .map_err(|e| prefix_field(e, "cve"))?
            .cve
    } else {
        from_json::<NvdCve>(bytes)?
    };
    convert(cve)
}

fn prefix_field(mut e: RecordError, prefix: &str) -> RecordError {
    if let Some(f) = &e.field
        && !f.starts_with(prefix)
    {
        e.field = Some(format!("{prefix}.{f}"));
    }
    e
}

fn convert(cve: NvdCve) -> Result<VulnRecord, RecordError> {
    check_cve_id(&cve.id, "id")?;
    let source = cve.source_identifier.as_deref().unwrap_or(NVD);
    let mut rec = VulnRecord::new(cve.id, Source::new(SourceKind::Nvd, NVD));
    rec.published = cve.published.as_deref().and_then(normalize);
    rec.last_modified = cve.last_modified.as_deref().and_then(normalize);
    rec.status = cve.vuln_status;
    rec.title = cve.cisa_vulnerability_name;
    rec.descriptions = cve.descriptions;
    if source != NVD {
        rec.notes.push(format!("assigned by {source}"));
    }
    let m = cve.metrics;
    for metric in m.v2.into_iter().chain(m.v30).chain(m.v31).chain(m.v40) {
        rec.cvss.push(CvssMetric {
            source: metric.source,
            version: metric.cvss_data.version,
            vector: metric.cvss_data.vector_string,
            base_score: metric.cvss_data.base_score,
            base_severity: metric.cvss_data.base_severity.or(metric.base_severity),
            kind: metric.kind,
        });
    }
    for w in cve.weaknesses {
        for d in w.description {
            rec.weaknesses.push(Weakness {
                source: w.source.clone(),
                cwe: d.value,
            });
        }
    }
    rec.configurations = cve.configurations;
    rec.references = cve
        .references
        .into_iter()
        .map(|r| Reference {
            url: r.url,
            source: r.source,
            tags: r.tags,
        })
        .collect();
    Ok(rec)
}

/// `CVE-YYYY-NNNN` with four or more digits.
pub fn check_cve_id(id: &str, field: &str) -> Result<(), RecordError> {
    let ok = id.strip_prefix("CVE-").is_some_and(|rest| {
        let (year, num) = rest.split_once('-').unwrap_or(("", ""));
        year.len() == 4
            && year.bytes().all(|b| b.is_ascii_digit())
            && num.len() >= 4
            && num.bytes().all(|b| b.is_ascii_digit())
    });
    if ok {
        Ok(())
    } else {
        Err(RecordError::new(format!("`{id}` is not a CVE id (CVE-YYYY-NNNN)")).field(field))
    }
}

#[derive(Deserialize)]
struct Override {
    #[serde(rename = "_annotation")]
    annotation: Annotation,
    cve: OverrideCve,
}

#[derive(Deserialize)]
struct Annotation {
    cve_id: String,
    #[serde(default)]
    cna: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    modified: Option<String>,
    #[serde(default)]
    published: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    references: Vec<String>,
}

#[derive(Deserialize)]
struct OverrideCve {
    #[serde(default)]
    configurations: Vec<Configuration>,
}

/// The curator an override file is filed under. The Anchore set is the one
/// public NVD-format override collection; its annotations name no curator.
pub const OVERRIDE_CURATOR: &str = "anchore";

/// Parses one NVD-format configuration override: configurations for a CVE
/// that NVD has not analysed (or analysed too broadly), with the curator's
/// reason kept as a note.
pub fn parse_override(bytes: &[u8]) -> Result<VulnRecord, RecordError> {
    let o: Override = from_json(bytes)?;
    let a = o.annotation;
    check_cve_id(&a.cve_id, "_annotation.cve_id")?;
    let mut rec = VulnRecord::new(
        a.cve_id,
        Source::new(SourceKind::NvdOverride, OVERRIDE_CURATOR),
    );
    rec.published = a.published.as_deref().and_then(normalize);
    rec.last_modified = a.modified.as_deref().and_then(normalize);
    if let Some(d) = a.description {
        rec.descriptions.push(LangText {
            lang: "en".into(),
            value: d,
        });
    }
    if let Some(reason) = a.reason {
        rec.notes.push(format!("override reason: {reason}"));
    }
    if let Some(cna) = a.cna {
        rec.notes.push(format!("CNA: {cna}"));
    }
    rec.references = a
        .references
        .into_iter()
        .map(|url| Reference {
            url,
            source: None,
            tags: Vec::new(),
        })
        .collect();
    rec.configurations = o.cve.configurations;
    Ok(rec)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEARTBLEED: &str = r#"{"id":"CVE-2014-0160","sourceIdentifier":"secalert@redhat.com",
      "published":"2014-04-07T22:55:03.893","lastModified":"2024-07-02T17:00:00.000","vulnStatus":"Modified",
      "cisaVulnerabilityName":"OpenSSL Information Disclosure Vulnerability",
      "descriptions":[{"lang":"en","value":"The TLS and DTLS implementations in OpenSSL 1.0.1 before 1.0.1g do not properly handle Heartbeat Extension packets."}],
      "metrics":{"cvssMetricV31":[{"source":"nvd@nist.gov","type":"Primary","cvssData":{"version":"3.1","vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N","baseScore":7.5,"baseSeverity":"HIGH"}}],
                 "cvssMetricV2":[{"source":"nvd@nist.gov","type":"Primary","cvssData":{"version":"2.0","vectorString":"AV:N/AC:L/Au:N/C:P/I:N/A:N","baseScore":5.0},"baseSeverity":"MEDIUM"}]},
      "weaknesses":[{"source":"nvd@nist.gov","type":"Primary","description":[{"lang":"en","value":"CWE-125"}]}],
      "configurations":[{"nodes":[{"operator":"OR","negate":false,"cpeMatch":[{"vulnerable":true,"criteria":"cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*","versionStartIncluding":"1.0.1","versionEndExcluding":"1.0.1g","matchCriteriaId":"3D2A0F0D-0000-0000-0000-000000000000"}]}]}],
      "references":[{"url":"https://www.openssl.org/news/secadv/20140407.txt","source":"secalert@redhat.com","tags":["Vendor Advisory"]}]}"#;

    #[test]
    fn converts_every_section() {
        let r = parse_cve(HEARTBLEED.as_bytes(), false).unwrap();
        assert_eq!(r.id, "CVE-2014-0160");
        assert_eq!(r.source.key(), "nvd:nvd@nist.gov");
        assert_eq!(r.last_modified.as_deref(), Some("2024-07-02T17:00:00.000Z"));
        assert_eq!(r.cvss.len(), 2);
        let v2 = r.cvss.iter().find(|m| m.version == "2.0").unwrap();
        assert_eq!(v2.base_severity.as_deref(), Some("MEDIUM"));
        assert_eq!(r.weaknesses[0].cwe, "CWE-125");
        let m = &r.configurations[0].nodes[0].cpe_match[0];
        assert_eq!(m.version_end_excluding.as_deref(), Some("1.0.1g"));
        assert_eq!(r.references[0].tags, vec!["Vendor Advisory"]);
        assert_eq!(r.notes, vec!["assigned by secalert@redhat.com"]);
    }

    #[test]
    fn wrapped_and_bare_agree() {
        let wrapped = format!("{{\"cve\":{HEARTBLEED}}}");
        assert_eq!(
            parse_cve(wrapped.as_bytes(), true).unwrap(),
            parse_cve(HEARTBLEED.as_bytes(), false).unwrap()
        );
    }

    #[test]
    fn errors_name_the_field() {
        let e = parse_cve(br#"{"sourceIdentifier":"x"}"#, false).unwrap_err();
        assert!(e.message.contains("missing field `id`"), "{e}");
        let e = parse_cve(br#"{"id":"CVE-2014-0160","metrics":{"cvssMetricV2":[{"source":"x","cvssData":{"version":"2.0"}}]}}"#, false).unwrap_err();
        assert_eq!(
            e.field.as_deref(),
            Some("metrics.cvssMetricV2[0].cvssData"),
            "{e}"
        );
        assert!(e.message.contains("vectorString"), "{e}");
        let e = parse_cve(br#"{"cve":{"id":"CVE-1"}}"#, true).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("id"), "{e}");
    }

    #[test]
    fn override_keeps_reason_and_configurations() {
        let line = r#"{"_annotation":{"cna":"mitre","cve_id":"CVE-1999-0037","description":"Arbitrary command execution via metamail.","modified":"2024-08-01T16:27:57.203000+00:00","published":"1999-09-29T04:00:00","reason":"NVD uses very wide CPEs","references":["https://example.org/a"]},"cve":{"configurations":[{"nodes":[{"cpeMatch":[{"criteria":"cpe:2.3:a:null:null:*:*:*:*:*:*:*:*","matchCriteriaId":"D946F4FD","vulnerable":false}],"negate":false,"operator":"OR"}]}]},"_path":"data/1999/CVE-1999-0037.json"}"#;
        let r = parse_override(line.as_bytes()).unwrap();
        assert_eq!(r.source.key(), "nvd-override:anchore");
        assert_eq!(r.last_modified.as_deref(), Some("2024-08-01T16:27:57.203Z"));
        assert!(r.notes[0].contains("very wide CPEs"));
        assert!(!r.configurations[0].nodes[0].cpe_match[0].vulnerable);
    }
}
