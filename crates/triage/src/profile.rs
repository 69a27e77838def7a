//! The product profile: what a vulnerability in this product can do in the
//! world (safety, mission), how exposed deployments are, whether fixes
//! reach the field, and the deployment's CVSS environment. YAML (JSON is
//! YAML too); every field is optional, and an absent one takes the
//! conservative default documented on it, so that a missing profile never
//! lowers a priority.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::ssvc::TreeKind;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The product's name, shown in the queue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    #[serde(default)]
    pub ssvc: SsvcSettings,
    /// Default `major`: an industrial product's failure is assumed to be
    /// able to injure until the profile says otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub safety_impact: Option<SafetyImpact>,
    /// Overrides the public safety impact derived from `safety_impact`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_safety_impact: Option<PublicSafetyImpact>,
    /// Default `mef_failure` (a mission-essential function fails).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mission_impact: Option<MissionImpact>,
    /// For the CISA coordinator tree. Default `essential`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mission_prevalence: Option<MissionPrevalence>,
    /// Default `open`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_exposure: Option<SystemExposure>,
    /// What an attacker gains per compromised device. Default `concentrated`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_density: Option<ValueDensity>,
    /// Whether fixes can be installed on deployed devices. Default `false`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field_patchable: Option<bool>,
    /// Whether the product is placed on the EU market (Cyber Resilience Act
    /// reporting clocks). Default `true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eu_market: Option<bool>,
    /// The deployment's CVSS environmental metrics; absent: none applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<Environment>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SsvcSettings {
    /// Which tree decides: `supplier` (default: a product maker's PSIRT),
    /// `deployer` or `cisa-coordinator`.
    #[serde(default)]
    pub tree: TreeKind,
    /// A team's own decision table (CSV) for that tree, relative to the
    /// profile file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<PathBuf>,
}

/// SSVC Safety Impact; the 2.x names (negligible, marginal, critical) are
/// accepted as aliases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SafetyImpact {
    None,
    #[serde(alias = "negligible")]
    Minor,
    #[serde(alias = "marginal")]
    Major,
    #[serde(alias = "critical")]
    Hazardous,
    Catastrophic,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PublicSafetyImpact {
    Minimal,
    Significant,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissionImpact {
    #[serde(alias = "none")]
    Degraded,
    #[serde(alias = "mef_support_crippled")]
    Crippled,
    MefFailure,
    MissionFailure,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissionPrevalence {
    Minimal,
    Support,
    Essential,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SystemExposure {
    Small,
    Controlled,
    Open,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueDensity {
    Diffuse,
    Concentrated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    Low,
    Medium,
    High,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttackVector {
    Network,
    Adjacent,
    Local,
    Physical,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Complexity {
    Low,
    High,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Privileges {
    None,
    Low,
    High,
}

/// v3 knows none/required; v4 splits required into passive/active.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserInteraction {
    None,
    Required,
    Passive,
    Active,
}

/// CVSS environmental metrics of the deployment: security requirements
/// (CR/IR/AR) and modified exploitability metrics, e.g. `attack_vector:
/// adjacent` for a device behind a firewall.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidentiality_requirement: Option<Requirement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integrity_requirement: Option<Requirement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_requirement: Option<Requirement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attack_vector: Option<AttackVector>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attack_complexity: Option<Complexity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privileges_required: Option<Privileges>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_interaction: Option<UserInteraction>,
}

/// Largest profile or decision table read; a real one is a few KiB.
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// A text file of at most `limit` bytes, enforced while reading (a device
/// or pipe has no size to check first), without a UTF-8 byte-order mark.
pub(crate) fn read_text(path: &Path, limit: u64) -> std::io::Result<String> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(path)?
        .take(limit + 1)
        .read_to_string(&mut text)?;
    if text.len() as u64 > limit {
        return Err(std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!(
                "larger than the limit of {limit} bytes ({} MiB); refusing to read it",
                limit >> 20
            ),
        ));
    }
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    Ok(text)
}

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("{path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    /// `field` is the path to the offending field (`environment.attack_vector`).
    #[error("{origin}: {field}: {message}")]
    Invalid {
        origin: String,
        field: String,
        message: String,
    },
}

impl Profile {
    pub fn load(path: &Path) -> Result<Profile, ProfileError> {
        let text = read_text(path, MAX_FILE_BYTES).map_err(|source| ProfileError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let mut profile = Profile::parse(&text, &path.display().to_string())?;
        // A team table is named relative to the profile that names it.
        if let Some(table) = &profile.ssvc.table
            && table.is_relative()
        {
            let base = path.parent().unwrap_or(Path::new("."));
            profile.ssvc.table = Some(base.join(table));
        }
        Ok(profile)
    }

    /// Parses YAML (or JSON); `origin` names the text in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Profile, ProfileError> {
        let de = serde_norway::Deserializer::from_str(text);
        serde_path_to_error::deserialize(de).map_err(|e| {
            let field = e.path().to_string();
            let field = if field == "." {
                "(top level)".to_string()
            } else {
                field
            };
            // The YAML error may already lead with the field's path or its
            // parent's (`environment: unknown field ...`).
            let message = e.into_inner().to_string();
            let message = match message.split_once(": ") {
                Some((lead, rest)) if field.starts_with(lead) => rest.to_string(),
                _ => message,
            };
            ProfileError::Invalid {
                origin: origin.to_string(),
                field,
                message,
            }
        })
    }

    pub fn safety_impact(&self) -> SafetyImpact {
        self.safety_impact.unwrap_or(SafetyImpact::Major)
    }

    /// SSVC: none/minor → minimal; major and worse → significant.
    pub fn public_safety_impact(&self) -> PublicSafetyImpact {
        self.public_safety_impact
            .unwrap_or(if self.safety_impact() >= SafetyImpact::Major {
                PublicSafetyImpact::Significant
            } else {
                PublicSafetyImpact::Minimal
            })
    }

    pub fn mission_impact(&self) -> MissionImpact {
        self.mission_impact.unwrap_or(MissionImpact::MefFailure)
    }

    pub fn mission_prevalence(&self) -> MissionPrevalence {
        self.mission_prevalence
            .unwrap_or(MissionPrevalence::Essential)
    }

    pub fn system_exposure(&self) -> SystemExposure {
        self.system_exposure.unwrap_or(SystemExposure::Open)
    }

    pub fn value_density(&self) -> ValueDensity {
        self.value_density.unwrap_or(ValueDensity::Concentrated)
    }

    pub fn field_patchable(&self) -> bool {
        self.field_patchable.unwrap_or(false)
    }

    pub fn eu_market(&self) -> bool {
        self.eu_market.unwrap_or(true)
    }

    /// Which fields the profile leaves to their defaults, for the reasons.
    pub fn defaulted(&self) -> Vec<&'static str> {
        [
            ("safety_impact", self.safety_impact.is_none()),
            ("mission_impact", self.mission_impact.is_none()),
            ("system_exposure", self.system_exposure.is_none()),
            ("value_density", self.value_density.is_none()),
            ("field_patchable", self.field_patchable.is_none()),
        ]
        .into_iter()
        .filter_map(|(k, d)| d.then_some(k))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_profile_parses() {
        let p = Profile::parse(
            "product: rtu-gateway\nssvc: {tree: deployer}\nsafety_impact: hazardous\n\
             mission_impact: mef_failure\nsystem_exposure: controlled\nfield_patchable: true\n\
             environment:\n  availability_requirement: high\n  attack_vector: adjacent\n",
            "p.yaml",
        )
        .unwrap();
        assert_eq!(p.ssvc.tree, TreeKind::Deployer);
        assert_eq!(p.safety_impact(), SafetyImpact::Hazardous);
        assert_eq!(p.public_safety_impact(), PublicSafetyImpact::Significant);
        assert_eq!(p.system_exposure(), SystemExposure::Controlled);
        let env = p.environment.unwrap();
        assert_eq!(env.attack_vector, Some(AttackVector::Adjacent));
        assert_eq!(env.availability_requirement, Some(Requirement::High));
    }

    #[test]
    fn absent_fields_take_conservative_defaults() {
        let p = Profile::parse("{}", "p.yaml").unwrap();
        assert_eq!(p.safety_impact(), SafetyImpact::Major);
        assert_eq!(p.public_safety_impact(), PublicSafetyImpact::Significant);
        assert_eq!(p.system_exposure(), SystemExposure::Open);
        assert_eq!(p.value_density(), ValueDensity::Concentrated);
        assert!(!p.field_patchable());
        assert!(p.eu_market());
        assert_eq!(p.ssvc.tree, TreeKind::Supplier);
        assert_eq!(p.defaulted().len(), 5);
        let minor = Profile::parse("safety_impact: negligible", "p.yaml").unwrap();
        assert_eq!(minor.public_safety_impact(), PublicSafetyImpact::Minimal);
    }

    #[test]
    fn errors_name_the_field_and_list_valid_values() {
        let e = Profile::parse("system_exposure: public\n", "p.yaml")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("p.yaml: system_exposure: unknown variant `public`"),
            "{e}"
        );
        assert!(e.contains("`small`, `controlled`, `open`"), "{e}");
        let e = Profile::parse("environment:\n  attack_vector: wifi\n", "p.yaml")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("environment.attack_vector: unknown variant `wifi`"),
            "{e}"
        );
        assert!(
            e.contains("`network`, `adjacent`, `local`, `physical`"),
            "{e}"
        );
        let e = Profile::parse("safety: high\n", "p.yaml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `safety`"), "{e}");
        assert!(e.contains("safety_impact"), "{e}");
        let e = Profile::parse("environment:\n  attack_vektor: adjacent\n", "p.yaml")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("p.yaml: environment.attack_vektor: unknown field `attack_vektor`"),
            "{e}"
        );
        let e = Profile::parse("field_patchable: sometimes\n", "p.yaml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("field_patchable"), "{e}");
        let e = Profile::parse("ssvc: {tree: vendor}\n", "p.yaml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("ssvc.tree: unknown variant `vendor`"), "{e}");
        assert!(e.contains("`cisa-coordinator`"), "{e}");
    }

    #[test]
    fn a_team_table_is_relative_to_the_profile() {
        let dir = std::env::temp_dir().join(format!("kensa-profile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("p.yaml");
        std::fs::write(&path, "ssvc:\n  tree: supplier\n  table: team.csv\n").unwrap();
        let p = Profile::load(&path).unwrap();
        assert_eq!(p.ssvc.table, Some(dir.join("team.csv")));
        std::fs::remove_dir_all(&dir).unwrap();
        let e = Profile::load(&dir.join("p.yaml")).unwrap_err().to_string();
        assert!(e.contains("p.yaml"), "{e}");
    }
}
