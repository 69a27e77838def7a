//! VEX: verdicts out as CycloneDX, OpenVEX and CSAF documents; others'
//! VEX statements in, applied to scan findings.

pub mod apply;
pub mod read;
pub mod write;

use serde::{Deserialize, Serialize};

use crate::conditions::ConditionKind;

/// Why a product is not affected, as Kensa decides it from the kinds of
/// the conditions answered "no". Each format has its own vocabulary; the
/// methods give the code in each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
///
/// The declaration order is the rank [`Justification::for_kinds`] uses:
/// the first is the strongest claim.
pub enum Justification {
    /// The vulnerable version is not the one in the product.
    VersionNotAffected,
    /// The product does not call the vulnerable function.
    CodeNotReachable,
    /// The vulnerable code runs only with a configuration the product does not have.
    RequiresConfiguration,
    /// Only on an OS, hardware or environment the product does not use.
    RequiresEnvironment,
    /// Attacker input cannot reach the vulnerable code.
    InputNotControllable,
    /// The attacker cannot reach the service over the network.
    ProtectedAtPerimeter,
    /// The attacker lacks the privileges or the user interaction needed.
    ProtectedByMitigatingControl,
}

impl Justification {
    /// The strongest justification among the kinds of the deciding "no"
    /// answers: a version that is not affected beats unreachable code,
    /// which beats a configuration, and so on down to the attacker's
    /// position (see docs/ASSESSMENT.md). `other` supports none.
    pub fn for_kinds(kinds: impl IntoIterator<Item = ConditionKind>) -> Option<Justification> {
        kinds
            .into_iter()
            .filter_map(Justification::for_kind)
            .min_by_key(|j| *j as u8)
    }

    pub fn for_kind(kind: ConditionKind) -> Option<Justification> {
        Some(match kind {
            ConditionKind::Version => Justification::VersionNotAffected,
            ConditionKind::FunctionUse => Justification::CodeNotReachable,
            ConditionKind::Configuration => Justification::RequiresConfiguration,
            ConditionKind::Platform => Justification::RequiresEnvironment,
            ConditionKind::Input => Justification::InputNotControllable,
            ConditionKind::Network => Justification::ProtectedAtPerimeter,
            ConditionKind::Privileges | ConditionKind::UserInteraction => {
                Justification::ProtectedByMitigatingControl
            }
            ConditionKind::Other => return None,
        })
    }

    /// CycloneDX `analysis.justification`.
    pub fn cyclonedx(self) -> &'static str {
        match self {
            Justification::VersionNotAffected => "code_not_present",
            Justification::RequiresConfiguration => "requires_configuration",
            Justification::RequiresEnvironment => "requires_environment",
            Justification::CodeNotReachable | Justification::InputNotControllable => {
                "code_not_reachable"
            }
            Justification::ProtectedAtPerimeter => "protected_at_perimeter",
            Justification::ProtectedByMitigatingControl => "protected_by_mitigating_control",
        }
    }

    /// OpenVEX `justification`, which is also the CSAF flag label (the two
    /// share the CISA vocabulary).
    pub fn openvex(self) -> &'static str {
        match self {
            Justification::VersionNotAffected => "vulnerable_code_not_present",
            Justification::RequiresConfiguration
            | Justification::RequiresEnvironment
            | Justification::CodeNotReachable => "vulnerable_code_not_in_execute_path",
            Justification::InputNotControllable
            | Justification::ProtectedAtPerimeter
            | Justification::ProtectedByMitigatingControl => {
                "vulnerable_code_cannot_be_controlled_by_adversary"
            }
        }
    }

    /// CSAF 2.0 `flags[].label`.
    pub fn csaf(self) -> &'static str {
        self.openvex()
    }
}

/// The status of a VEX statement, in any of the three formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VexStatus {
    NotAffected,
    Affected,
    Fixed,
    UnderInvestigation,
}

impl VexStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            VexStatus::NotAffected => "not_affected",
            VexStatus::Affected => "affected",
            VexStatus::Fixed => "fixed",
            VexStatus::UnderInvestigation => "under_investigation",
        }
    }
}

/// The property name (CycloneDX) and the marker in free text (OpenVEX,
/// CSAF) that carry the condition tree's fingerprint, so that a decision
/// can be checked against the current tree when it is read back.
pub const FINGERPRINT_PROPERTY: &str = "kensa:conditions:fingerprint";
/// The CycloneDX property with the tree's origin (`rules`, `llm`, `analyst`).
pub const ORIGIN_PROPERTY: &str = "kensa:conditions:origin";
