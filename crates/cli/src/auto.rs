//! The command line's side of automatic answers (issue #17): the options
//! that name a product version and the files that describe it, read into
//! what `kensa_app::auto_answers` needs.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use kensa_app::auto_answers::{AutoAnswers, AutoInputs};
use kensa_logic::auto::{Facts, KernelConfig};

use crate::Ctx;

/// Largest facts, profile or `.config` file read (a kernel `.config` is
/// ~200 kB; this leaves room).
const MAX_INPUT_BYTES: u64 = 16 * 1024 * 1024;

/// Needs `--product` in the command that flattens it.
#[derive(Args, Default)]
pub struct ProductDataArgs {
    /// Which version of --product [default: the newest]
    #[arg(long = "version", value_name = "V", requires = "product")]
    pub product_version: Option<String>,
    /// Facts file of the product version (YAML: services, interfaces,
    /// features, protocols, file_types, roles; on/off; see docs/ASSESSMENT.md)
    #[arg(long, value_name = "FILE", requires = "product")]
    pub facts: Option<PathBuf>,
    /// A Linux kernel or BusyBox .config of the product version (repeatable)
    #[arg(long = "build-config", value_name = "FILE", requires = "product")]
    pub build_config: Vec<PathBuf>,
    /// The product profile (docs/TRIAGE.md); its environment.attack_vector
    /// answers the network condition
    #[arg(long, value_name = "FILE", requires = "product")]
    pub profile: Option<PathBuf>,
}

impl ProductDataArgs {
    fn inputs(&self) -> Result<AutoInputs> {
        let facts = match &self.facts {
            Some(path) => Some(Facts::parse(
                &read_text(path, "facts file")?,
                &path.display().to_string(),
            )?),
            None => None,
        };
        let configs = self
            .build_config
            .iter()
            .map(|path| {
                Ok(KernelConfig::parse(
                    &read_text(path, "build configuration")?,
                    &path.display().to_string(),
                )?)
            })
            .collect::<Result<Vec<_>>>()?;
        let attack_vector = match &self.profile {
            Some(path) => kensa_triage::Profile::load(path)
                .with_context(|| format!("profile {}", path.display()))?
                .environment
                .and_then(|e| e.attack_vector)
                .map(|av| {
                    serde_json::to_value(av)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default()
                }),
            None => None,
        };
        Ok(AutoInputs {
            facts,
            configs,
            attack_vector,
        })
    }
}

fn read_text(path: &std::path::Path, what: &str) -> Result<String> {
    let bytes = crate::bounded::read(path, MAX_INPUT_BYTES, what)?;
    String::from_utf8(bytes).with_context(|| format!("{what} {} is not UTF-8", path.display()))
}

/// The automatic answers of `vuln` for the product the options name.
pub fn answers(
    ctx: &Ctx,
    args: &ProductDataArgs,
    product: &str,
    vuln: &str,
) -> Result<AutoAnswers> {
    let inputs = args.inputs()?;
    let store = ctx.open_existing()?;
    Ok(kensa_app::auto_answers::answer(
        &store,
        &kensa_app::Actor::operator(),
        product,
        args.product_version.as_deref(),
        vuln,
        inputs,
    )?)
}
