//! Kensa triage: which finding to work on first, and why.
//!
//! - [`cvss`]: CVSS v2, v3.0, v3.1 and v4.0 calculators.
//! - [`ssvc`]: SSVC decision tables (CISA coordinator, deployer, supplier)
//!   loaded from data, replaceable by a team's own.
//! - [`profile`]: the product profile (safety, mission, exposure,
//!   patchability, CVSS environment) with conservative defaults.
//! - [`signals`]: one vulnerability's evidence (CVSS from every source,
//!   EPSS, KEV, CISA ADP SSVC points, CWE).
//! - [`priority`]: the documented 0–100 priority and its breakdown.
//! - [`Triager`]: signals + profile → [`Triage`].

pub mod cvss;
pub mod exploit;
pub mod priority;
pub mod profile;
pub mod signals;
pub mod ssvc;
mod triage;

pub use profile::{Profile, ProfileError};
pub use signals::Signals;
pub use triage::{
    CraClocks, CvssSourceScore, CvssSummary, EpssSummary, KevSummary, SsvcDecision, Triage,
    TriageError, Triager, human_impact, mission_wellbeing,
};
