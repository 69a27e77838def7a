//! Properties of the priority over many generated findings and profiles:
//! KEV dominance (the evaluation criterion), monotonicity in EPSS,
//! and safety impact raising the priority.

use kensa_model::{CvssMetric, EpssScore, KevEntry, Ssvc};
use kensa_triage::profile::{
    MissionImpact, MissionPrevalence, SafetyImpact, SystemExposure, ValueDensity,
};
use kensa_triage::ssvc::TreeKind;
use kensa_triage::{Profile, Signals, Triage, Triager};

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

fn random_vector(rng: &mut Rng) -> CvssMetric {
    let (version, vector) = match rng.below(4) {
        0 => (
            "2.0",
            format!(
                "AV:{}/AC:{}/Au:{}/C:{}/I:{}/A:{}",
                rng.pick(&["L", "A", "N"]),
                rng.pick(&["H", "M", "L"]),
                rng.pick(&["M", "S", "N"]),
                rng.pick(&["N", "P", "C"]),
                rng.pick(&["N", "P", "C"]),
                rng.pick(&["N", "P", "C"]),
            ),
        ),
        1 => (
            "4.0",
            format!(
                "CVSS:4.0/AV:{}/AC:{}/AT:{}/PR:{}/UI:{}/VC:{}/VI:{}/VA:{}/SC:{}/SI:{}/SA:{}",
                rng.pick(&["N", "A", "L", "P"]),
                rng.pick(&["L", "H"]),
                rng.pick(&["N", "P"]),
                rng.pick(&["N", "L", "H"]),
                rng.pick(&["N", "P", "A"]),
                rng.pick(&["H", "L", "N"]),
                rng.pick(&["H", "L", "N"]),
                rng.pick(&["H", "L", "N"]),
                rng.pick(&["H", "L", "N"]),
                rng.pick(&["H", "L", "N"]),
                rng.pick(&["H", "L", "N"]),
            ),
        ),
        _ => (
            "3.1",
            format!(
                "CVSS:3.1/AV:{}/AC:{}/PR:{}/UI:{}/S:{}/C:{}/I:{}/A:{}",
                rng.pick(&["N", "A", "L", "P"]),
                rng.pick(&["L", "H"]),
                rng.pick(&["N", "L", "H"]),
                rng.pick(&["N", "R"]),
                rng.pick(&["U", "C"]),
                rng.pick(&["H", "L", "N"]),
                rng.pick(&["H", "L", "N"]),
                rng.pick(&["H", "L", "N"]),
            ),
        ),
    };
    CvssMetric {
        source: "generated".into(),
        version: version.into(),
        vector,
        base_score: None,
        base_severity: None,
        kind: None,
    }
}

fn kev_entry(id: &str, rng: &mut Rng) -> KevEntry {
    KevEntry {
        cve_id: id.into(),
        vendor_project: "v".into(),
        product: "p".into(),
        vulnerability_name: "n".into(),
        date_added: "2024-01-02".into(),
        short_description: String::new(),
        required_action: String::new(),
        due_date: "2024-01-23".into(),
        known_ransomware_campaign_use: rng.pick(&["Known", "Unknown"]).to_string(),
        notes: String::new(),
        cwes: vec![],
    }
}

fn random_signals(id: &str, rng: &mut Rng) -> Signals {
    let cvss = (0..rng.below(3)).map(|_| random_vector(rng)).collect();
    let epss = rng.chance(0.7).then(|| {
        let p = rng.unit();
        EpssScore {
            cve_id: id.into(),
            epss: p,
            percentile: rng.unit(),
            model_version: None,
            score_date: None,
        }
    });
    let ssvc = rng.chance(0.6).then(|| Ssvc {
        exploitation: Some(rng.pick(&["none", "poc", "active"]).to_string()),
        automatable: Some(rng.pick(&["no", "yes"]).to_string()),
        technical_impact: Some(rng.pick(&["partial", "total"]).to_string()),
        ..Ssvc::default()
    });
    let kev = rng.chance(0.2).then(|| kev_entry(id, rng));
    Signals {
        id: id.into(),
        cvss,
        epss,
        kev,
        ssvc,
        cwes: vec![],
        exploit_statements: vec![],
    }
}

fn maybe<T: Copy>(rng: &mut Rng, items: &[T]) -> Option<T> {
    rng.chance(0.8).then(|| *rng.pick(items))
}

fn random_profile(rng: &mut Rng) -> Profile {
    let mut p = Profile::default();
    p.ssvc.tree = *rng.pick(&TreeKind::ALL);
    p.safety_impact = maybe(
        rng,
        &[
            SafetyImpact::None,
            SafetyImpact::Minor,
            SafetyImpact::Major,
            SafetyImpact::Hazardous,
            SafetyImpact::Catastrophic,
        ],
    );
    p.mission_impact = maybe(
        rng,
        &[
            MissionImpact::Degraded,
            MissionImpact::Crippled,
            MissionImpact::MefFailure,
            MissionImpact::MissionFailure,
        ],
    );
    p.mission_prevalence = maybe(
        rng,
        &[
            MissionPrevalence::Minimal,
            MissionPrevalence::Support,
            MissionPrevalence::Essential,
        ],
    );
    p.system_exposure = maybe(
        rng,
        &[
            SystemExposure::Small,
            SystemExposure::Controlled,
            SystemExposure::Open,
        ],
    );
    p.value_density = maybe(rng, &[ValueDensity::Diffuse, ValueDensity::Concentrated]);
    p.field_patchable = maybe(rng, &[true, false]);
    if rng.chance(0.3) {
        p.environment = Some(
            Profile::parse(
                "environment:\n  attack_vector: adjacent\n  availability_requirement: high\n",
                "generated",
            )
            .unwrap()
            .environment
            .unwrap(),
        );
    }
    p
}

fn triage(profile: &Profile, s: &Signals) -> Triage {
    Triager::new(profile.clone()).unwrap().triage(s)
}

/// The score the priority used; 5.0 is what it assumes without a vector.
fn cvss_score(t: &Triage) -> f64 {
    t.cvss.as_ref().map_or(5.0, |c| c.score)
}

#[test]
fn every_kev_finding_ranks_above_unexploited_unautomatable_findings_with_no_higher_cvss() {
    let mut rng = Rng(0x5eed_0001);
    let mut compared = 0;
    for n in 0..4000 {
        let profile_a = random_profile(&mut rng);
        // Half the pairs share the product; half compare across products.
        let profile_b = if n % 2 == 0 {
            profile_a.clone()
        } else {
            random_profile(&mut rng)
        };
        let mut kev_signals = random_signals("CVE-KEV", &mut rng);
        kev_signals.kev = Some(kev_entry("CVE-KEV", &mut rng));
        let mut other_signals = random_signals("CVE-OTHER", &mut rng);
        other_signals.kev = None;
        let kev = triage(&profile_a, &kev_signals);
        let other = triage(&profile_b, &other_signals);
        let exploited = other.ssvc.points["exploitation"] == "active";
        let automatable = other.ssvc.points["automatable"] == "yes";
        if exploited || automatable || cvss_score(&other) > cvss_score(&kev) {
            continue;
        }
        compared += 1;
        assert!(
            kev.priority > other.priority,
            "KEV finding {} ({:?}) does not outrank {} ({:?})",
            kev.priority,
            kev.breakdown,
            other.priority,
            other.breakdown
        );
    }
    eprintln!("compared {compared} KEV/other pairs");
    assert!(compared > 500, "too few comparable pairs: {compared}");
}

#[test]
fn priority_never_falls_as_epss_rises() {
    let mut rng = Rng(0x5eed_0002);
    let mut rose = 0;
    for _ in 0..2000 {
        let profile = random_profile(&mut rng);
        let mut s = random_signals("CVE-1", &mut rng);
        let (p1, c1) = (rng.unit(), rng.unit());
        let (p2, c2) = (p1 + (1.0 - p1) * rng.unit(), c1 + (1.0 - c1) * rng.unit());
        let set = |s: &mut Signals, p: f64, c: f64| {
            s.epss = Some(EpssScore {
                cve_id: "CVE-1".into(),
                epss: p,
                percentile: c,
                model_version: None,
                score_date: None,
            })
        };
        set(&mut s, p1, c1);
        let low = triage(&profile, &s);
        set(&mut s, p2, c2);
        let high = triage(&profile, &s);
        assert!(
            high.priority >= low.priority,
            "EPSS {p1}→{p2} lowered the priority"
        );
        s.epss = None;
        assert!(triage(&profile, &s).priority <= low.priority);
        rose += usize::from(high.priority > low.priority);
    }
    assert!(
        rose > 100,
        "EPSS should move the priority: rose {rose} times"
    );
}

#[test]
fn safety_impact_raises_the_priority() {
    let mut rng = Rng(0x5eed_0003);
    let levels = [
        SafetyImpact::None,
        SafetyImpact::Minor,
        SafetyImpact::Major,
        SafetyImpact::Hazardous,
        SafetyImpact::Catastrophic,
    ];
    for _ in 0..1000 {
        let mut profile = random_profile(&mut rng);
        profile.public_safety_impact = None;
        let s = random_signals("CVE-1", &mut rng);
        let priorities: Vec<u8> = levels
            .iter()
            .map(|l| {
                profile.safety_impact = Some(*l);
                triage(&profile, &s).priority
            })
            .collect();
        assert!(
            priorities.windows(2).all(|w| w[0] <= w[1]),
            "safety impact lowered the priority: {priorities:?}"
        );
        if priorities[0] < 94 {
            assert!(priorities[4] > priorities[0], "{priorities:?}");
        }
    }
}
