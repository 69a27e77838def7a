//! Access facts from a CVSS vector: attack vector, authentication /
//! privileges required, user interaction, and (CVSS 4.0) attack
//! requirements. Attack complexity and impact are not trigger conditions.

use kensa_model::{CvssMetric, SourceKind, VulnRecord};

use super::{Access, Cue, Facts};
use crate::conditions::ConditionSource;

/// The vector to read: the newest CVSS version any record carries; among
/// equals, NVD's primary score first, then the CNA's, then the rest.
pub(crate) fn best(records: &[VulnRecord]) -> Option<&CvssMetric> {
    let source_rank = |kind: SourceKind| match kind {
        SourceKind::Nvd => 0,
        SourceKind::Cve5Cna => 1,
        SourceKind::Csaf => 2,
        SourceKind::Cve5Adp => 3,
        _ => 4,
    };
    records
        .iter()
        .flat_map(|r| r.cvss.iter().map(move |m| (r.source.kind, m)))
        .filter(|(_, m)| !m.vector.is_empty())
        .min_by_key(|(kind, m)| {
            (
                std::cmp::Reverse(version_rank(&m.version)),
                source_rank(*kind),
                m.kind.as_deref() != Some("Primary"),
            )
        })
        .map(|(_, m)| m)
}

fn version_rank(v: &str) -> u8 {
    match v {
        "4.0" => 4,
        "3.1" => 3,
        "3.0" => 2,
        "2.0" | "2" => 1,
        _ => 0,
    }
}

/// The cues the vector states, each with the metric as evidence.
pub(crate) fn read(metric: &CvssMetric, facts: &mut Facts) {
    facts.cues.extend(cues(&metric.vector));
}

/// Cues of one vector string (`AV:N/AC:L/Au:N/...` or `CVSS:3.1/AV:N/...`).
/// Unknown metrics and malformed parts are ignored: the vector is evidence,
/// not something to reject.
pub(crate) fn cues(vector: &str) -> Vec<Cue> {
    let mut out = Vec::new();
    let mut push = |access: Access, metric: &str| {
        out.push(Cue {
            access,
            source: ConditionSource::Cvss,
            evidence: format!("CVSS {metric} ({vector})"),
        });
    };
    for part in vector.split('/') {
        let Some((key, value)) = part.split_once(':') else {
            continue;
        };
        match (key, value) {
            ("AV", "N") => push(Access::Remote, part),
            ("AV", "A") => push(Access::Adjacent, part),
            ("AV", "L") => push(Access::Local, part),
            ("AV", "P") => push(Access::Physical, part),
            ("Au", "S" | "M") | ("PR", "L") => push(Access::Authenticated, part),
            ("PR", "H") => push(Access::Admin, part),
            ("UI", "R" | "P" | "A") => push(Access::UserInteraction, part),
            ("AT", "P") => push(Access::AttackRequirements, part),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accesses(v: &str) -> Vec<Access> {
        cues(v).into_iter().map(|c| c.access).collect()
    }

    #[test]
    fn v2_v3_and_v4_vectors() {
        assert_eq!(
            accesses("AV:N/AC:L/Au:S/C:C/I:C/A:C"),
            [Access::Remote, Access::Authenticated]
        );
        assert_eq!(
            accesses("CVSS:3.1/AV:L/AC:L/PR:H/UI:R/S:U/C:H/I:H/A:H"),
            [Access::Local, Access::Admin, Access::UserInteraction]
        );
        assert_eq!(
            accesses("CVSS:4.0/AV:A/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"),
            [Access::Adjacent, Access::AttackRequirements]
        );
        assert!(accesses("garbage").is_empty());
    }

    #[test]
    fn newest_version_wins() {
        let mut r = VulnRecord::new(
            "CVE-2000-0001",
            kensa_model::Source::new(SourceKind::Nvd, "nvd"),
        );
        for (v, vec) in [
            ("2.0", "AV:N/AC:L/Au:N/C:P/I:P/A:P"),
            ("3.1", "CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
        ] {
            r.cvss.push(CvssMetric {
                source: "nvd@nist.gov".into(),
                version: v.into(),
                vector: vec.into(),
                base_score: None,
                base_severity: None,
                kind: Some("Primary".into()),
            });
        }
        assert_eq!(best(std::slice::from_ref(&r)).unwrap().version, "3.1");
    }
}
