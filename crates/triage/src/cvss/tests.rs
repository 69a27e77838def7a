use super::*;

fn scores(v: &str) -> Scores {
    CvssVector::parse(v)
        .unwrap_or_else(|e| panic!("{e}"))
        .scores()
}

#[test]
fn v2_examples_from_the_v2_guide() {
    // CVSS v2 guide, section 3.3 examples: base, temporal, environmental.
    let s = scores("AV:N/AC:L/Au:N/C:N/I:N/A:C/E:F/RL:OF/RC:C/CDP:H/TD:H/CR:M/IR:M/AR:H");
    assert_eq!(s.base, 7.8);
    assert_eq!(s.temporal, Some(6.4));
    assert_eq!(s.environmental, Some(9.2));
    let s = scores("AV:N/AC:L/Au:N/C:C/I:C/A:C/E:F/RL:OF/RC:C/CDP:H/TD:H/CR:M/IR:M/AR:L");
    assert_eq!(
        (s.base, s.temporal, s.environmental),
        (10.0, Some(8.3), Some(9.0))
    );
    let s = scores("AV:L/AC:H/Au:N/C:C/I:C/A:C/E:POC/RL:OF/RC:C/CDP:H/TD:H/CR:M/IR:M/AR:M");
    assert_eq!(
        (s.base, s.temporal, s.environmental),
        (6.2, Some(4.9), Some(7.5))
    );
}

#[test]
fn v2_base_scores_nvd_publishes() {
    for (v, want) in [
        ("AV:N/AC:L/Au:N/C:P/I:P/A:P", 7.5),
        ("AV:N/AC:L/Au:N/C:P/I:N/A:N", 5.0),
        ("AV:N/AC:M/Au:N/C:N/I:P/A:N", 4.3),
        ("(AV:N/AC:L/Au:N/C:C/I:C/A:C)", 10.0),
        ("AV:N/AC:L/Au:N/C:N/I:N/A:N", 0.0),
    ] {
        assert_eq!(scores(v).base, want, "{v}");
        assert_eq!(scores(v).temporal, None);
    }
}

#[test]
fn v3_base_scores() {
    for (v, want) in [
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
        ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8),
        ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5),
        ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9),
        ("CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 8.4),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
    ] {
        assert_eq!(scores(v).base, want, "{v}");
    }
}

#[test]
fn v3_temporal_and_environmental() {
    // 9.8 × 0.91 × 0.95 × 0.96 = 8.13… → Roundup 8.2
    let s = scores("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:R");
    assert_eq!(
        (s.base, s.temporal, s.environmental),
        (9.8, Some(8.2), None)
    );
    // Low requirements: MISS 0.6268 → 4.024 + 3.887 → 8.0
    let s = scores("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/CR:L/IR:L/AR:L");
    assert_eq!(s.environmental, Some(8.0));
    // A modified attack vector scores like the same base vector.
    let s = scores("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/MAV:L");
    assert_eq!(s.environmental, Some(8.4));
    assert_eq!(s.effective(), 8.4);
}

#[test]
fn v31_roundup_avoids_floating_point_overshoot() {
    // The Appendix A case: a product of 4.0000000000001 must stay 4.0 in 3.1.
    let s = scores("CVSS:3.1/AV:N/AC:H/PR:H/UI:R/S:U/C:L/I:L/A:L/E:U/RL:O/RC:U");
    assert!(s.temporal.unwrap() <= s.base);
}

#[test]
fn v4_scores() {
    for (v, want) in [
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            9.3,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H",
            10.0,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            8.7,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N",
            6.9,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N",
            5.1,
        ),
        (
            "CVSS:4.0/AV:L/AC:H/AT:P/PR:L/UI:A/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            5.4,
        ),
        (
            "CVSS:4.0/AV:L/AC:H/AT:N/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            7.3,
        ),
        (
            "CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N",
            0.0,
        ),
    ] {
        assert_eq!(scores(v).base, want, "{v}");
    }
}

#[test]
fn v4_threat_and_environment_lower_or_raise() {
    let base = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
    let s = scores(&format!("{base}/E:U"));
    assert_eq!(s.base, 9.3);
    let threat = s.temporal.unwrap();
    assert!(threat < 9.3, "unreported exploitation lowers: {threat}");
    let s = scores(&format!("{base}/MAV:P"));
    assert!(s.environmental.unwrap() < 9.3);
    // Safety consequences on the subsequent system raise to the top.
    let s = scores(&format!("{base}/MSI:S"));
    assert_eq!(s.environmental, Some(10.0));
}

#[test]
fn errors_name_the_problem() {
    let e = CvssVector::parse("CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").unwrap_err();
    assert_eq!(
        e.to_string(),
        "CVSS vector `CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H`: metric AV (Attack Vector) has no value `Q`; valid values: N, A, L, P"
    );
    let e = CvssVector::parse("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H").unwrap_err();
    assert!(
        e.to_string()
            .contains("required metric A (Availability) is missing"),
        "{e}"
    );
    let e = CvssVector::parse("CVSS:3.1/AV:N/XX:L").unwrap_err();
    assert!(e.to_string().contains("unknown metric `XX`"), "{e}");
    let e = CvssVector::parse("CVSS:5.0/AV:N").unwrap_err();
    assert!(
        e.to_string().contains("unknown version prefix `CVSS:5.0`"),
        "{e}"
    );
    let e = CvssVector::parse("CVSS:3.1/AV:N/AV:N").unwrap_err();
    assert!(e.to_string().contains("AV appears twice"), "{e}");
    let e = CvssVector::parse("CVSS:3.1/AVN").unwrap_err();
    assert!(e.to_string().contains("`AVN` is not METRIC:VALUE"), "{e}");
    let e = CvssVector::parse_labelled("3.1", "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
        .unwrap_err();
    assert!(e.to_string().contains("source labels it 3.1"), "{e}");
    // A v3 vector without its prefix is read as the labelled version.
    let v = CvssVector::parse_labelled("3.1", "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").unwrap();
    assert_eq!(v.base_score(), 9.8);
    let e = CvssVector::parse_labelled("3.1", "AV:N/AC:L/Au:N/C:P/I:P/A:P").unwrap_err();
    assert!(e.to_string().contains("unknown metric `Au`"), "{e}");
}

#[test]
fn canonical_rendering_and_set() {
    let mut v = CvssVector::parse("CVSS:3.1/AC:L/AV:N/PR:N/UI:N/S:U/C:H/I:H/A:H").unwrap();
    assert_eq!(
        v.to_string(),
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
    );
    v.set("MAV", "A").unwrap();
    assert!(v.to_string().ends_with("/MAV:A"));
    let e = v.set("MAV", "Z").unwrap_err();
    assert!(e.to_string().contains("valid values: X, N, A, L, P"), "{e}");
    assert_eq!(v.get("Au"), None);
    assert_eq!(v.get("AV"), Some("N"));
}
