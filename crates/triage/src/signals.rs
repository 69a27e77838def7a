//! The evidence about one vulnerability that triage weighs, gathered from
//! every source's record and the KEV and EPSS feeds.

use kensa_model::{CvssMetric, EpssScore, KevEntry, Ssvc, VulnRecord, Weakness};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Signals {
    pub id: String,
    /// Every source's CVSS vectors (NVD, CNAs, CISA ADP, CSAF publishers).
    #[serde(default)]
    pub cvss: Vec<CvssMetric>,
    #[serde(default)]
    pub epss: Option<EpssScore>,
    #[serde(default)]
    pub kev: Option<KevEntry>,
    /// CISA ADP's SSVC decision points.
    #[serde(default)]
    pub ssvc: Option<Ssvc>,
    /// Distinct CWE ids (`CWE-787`), NVD's placeholders left out.
    #[serde(default)]
    pub cwes: Vec<String>,
    /// What CSAF advisories say of the vulnerability's exploitation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exploit_statements: Vec<crate::exploit::ExploitStatement>,
}

impl Signals {
    /// Gathers the signals of `id` from its stored records (one per source)
    /// and the feeds.
    pub fn from_records<'r>(
        id: &str,
        records: impl IntoIterator<Item = &'r VulnRecord>,
        kev: Option<KevEntry>,
        epss: Option<EpssScore>,
    ) -> Signals {
        let parts = records.into_iter().map(|r| RecordSignals {
            cvss: r.cvss.clone(),
            weaknesses: r.weaknesses.clone(),
            ssvc: r.ssvc.clone(),
        });
        Signals::from_parts(id, parts, kev, epss)
    }

    /// [`Signals::from_records`] from the triage fields of each record
    /// (a scan reads them from the store's derived tables, `Store::record_facts`).
    pub fn from_parts(
        id: &str,
        records: impl IntoIterator<Item = RecordSignals>,
        kev: Option<KevEntry>,
        epss: Option<EpssScore>,
    ) -> Signals {
        let mut s = Signals {
            id: id.to_string(),
            kev,
            epss,
            ..Signals::default()
        };
        for r in records {
            for m in r.cvss {
                if !s
                    .cvss
                    .iter()
                    .any(|c| c.source == m.source && c.vector == m.vector)
                {
                    s.cvss.push(m);
                }
            }
            for w in &r.weaknesses {
                s.add_cwe(&w.cwe);
            }
            // CISA's ADP is the one publisher of SSVC points; keep the
            // first statement (records come ordered by source).
            if s.ssvc.is_none() {
                s.ssvc = r.ssvc;
            }
        }
        let kev_cwes: Vec<String> = s.kev.iter().flat_map(|k| k.cwes.clone()).collect();
        for c in kev_cwes {
            s.add_cwe(&c);
        }
        s
    }

    fn add_cwe(&mut self, cwe: &str) {
        if cwe.starts_with("CWE-") && !self.cwes.iter().any(|c| c == cwe) {
            self.cwes.push(cwe.to_string());
        }
    }
}

/// The fields of one stored [`VulnRecord`] that triage reads; deserialising
/// a record body into it skips everything else (configurations above all).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct RecordSignals {
    #[serde(default)]
    pub cvss: Vec<CvssMetric>,
    #[serde(default)]
    pub weaknesses: Vec<Weakness>,
    #[serde(default)]
    pub ssvc: Option<Ssvc>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use kensa_model::{Source, SourceKind, Weakness};

    #[test]
    fn signals_merge_every_source_once() {
        let metric = |source: &str, vector: &str| CvssMetric {
            source: source.into(),
            version: "3.1".into(),
            vector: vector.into(),
            base_score: None,
            base_severity: None,
            kind: None,
        };
        let v = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
        let mut nvd = VulnRecord::new("CVE-1", Source::new(SourceKind::Nvd, "nvd@nist.gov"));
        nvd.cvss.push(metric("nvd@nist.gov", v));
        nvd.weaknesses.push(Weakness {
            source: "nvd@nist.gov".into(),
            cwe: "NVD-CWE-Other".into(),
        });
        let mut adp = VulnRecord::new("CVE-1", Source::new(SourceKind::Cve5Adp, "CISA-ADP"));
        adp.cvss.push(metric("nvd@nist.gov", v));
        adp.cvss.push(metric("CISA-ADP", v));
        adp.weaknesses.push(Weakness {
            source: "CISA-ADP".into(),
            cwe: "CWE-787".into(),
        });
        adp.ssvc = Some(Ssvc {
            exploitation: Some("poc".into()),
            ..Ssvc::default()
        });
        let s = Signals::from_records("CVE-1", [&nvd, &adp], None, None);
        // The partial view of a stored record body reads the same fields.
        let bodies = [&nvd, &adp].map(|r| serde_json::to_string(r).unwrap());
        let parts = bodies
            .iter()
            .map(|b| serde_json::from_str::<RecordSignals>(b).unwrap());
        assert_eq!(Signals::from_parts("CVE-1", parts, None, None), s);
        assert_eq!(s.cvss.len(), 2);
        assert_eq!(s.cwes, vec!["CWE-787"]);
        assert_eq!(s.ssvc.unwrap().exploitation.as_deref(), Some("poc"));
    }
}
