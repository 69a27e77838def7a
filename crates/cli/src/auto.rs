//! The command line's side of automatic answers (issue #17): the options
//! that name a product version and the files that describe it, read into
//! what `kensa_app::auto_answers` needs.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use kensa_app::auto_answers::{AutoAnswers, AutoInputs, StoredInputs};
use kensa_logic::auto::{Facts, KernelConfig};
use kensa_store::team::InputKind;

use crate::{Ctx, OutputFormat, outln, print_json};

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
    /// [default: the one stored with the version, `kensa product files`]
    #[arg(long, value_name = "FILE", requires = "product")]
    pub facts: Option<PathBuf>,
    /// A Linux kernel or BusyBox .config of the product version (repeatable)
    /// [default: those stored with the version]
    #[arg(long = "build-config", value_name = "FILE", requires = "product")]
    pub build_config: Vec<PathBuf>,
    /// The product profile (docs/TRIAGE.md); its environment.attack_vector
    /// answers the network condition
    #[arg(long, value_name = "FILE", requires = "product")]
    pub profile: Option<PathBuf>,
}

impl ProductDataArgs {
    pub fn inputs(&self) -> Result<AutoInputs> {
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

pub const FILES_EXAMPLES: &str = "Examples:\n  \
kensa product files rtu-gateway --version 2.8.1 --facts facts.yaml --build-config linux.config\n  \
kensa product files rtu-gateway                        list what the newest version has\n  \
kensa product files rtu-gateway --remove-build-config linux.config\n\n\
Stored files answer the checklist's questions (`kensa checklist ID --product NAME`,\n\
`kensa assess ID --product NAME --auto`, the web checklist) without passing them again;\n\
--facts/--build-config on those commands replace the stored ones for that run.";

#[derive(Args)]
pub struct FilesArgs {
    /// Product name
    #[arg(value_name = "NAME")]
    name: String,
    /// Which version [default: the newest]
    #[arg(long, value_name = "V")]
    version: Option<String>,
    /// Store this facts file with the version (replacing its facts file);
    /// checked first: an error names the line
    #[arg(long, value_name = "FILE")]
    facts: Option<PathBuf>,
    /// Store this Linux kernel or BusyBox .config with the version, under its
    /// file name (replacing one of that name; repeatable)
    #[arg(long = "build-config", value_name = "FILE")]
    build_config: Vec<PathBuf>,
    /// Remove the version's facts file
    #[arg(long, conflicts_with = "facts")]
    remove_facts: bool,
    /// Remove the version's build configuration of this name (repeatable)
    #[arg(long, value_name = "NAME")]
    remove_build_config: Vec<String>,
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

/// `kensa product files`: stores, removes, then lists a version's files.
pub fn run_files(ctx: &Ctx, args: FilesArgs) -> Result<ExitCode> {
    let mut store = ctx.open_existing()?;
    let op = kensa_app::Actor::operator();
    let version = args.version.as_deref();
    let mut uploads: Vec<(InputKind, &Path)> = Vec::new();
    if let Some(f) = &args.facts {
        uploads.push((InputKind::Facts, f));
    }
    uploads.extend(
        args.build_config
            .iter()
            .map(|p| (InputKind::Config, p.as_path())),
    );
    for (kind, path) in uploads {
        let what = match kind {
            InputKind::Facts => "facts file",
            InputKind::Config => "build configuration",
        };
        let text = read_text(path, what)?;
        let origin = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into(),
        );
        kensa_app::auto_answers::attach(&mut store, &op, &args.name, version, kind, &origin, &text)
            .with_context(|| format!("{what} {}", path.display()))?;
    }
    if args.remove_facts {
        kensa_app::auto_answers::detach(
            &mut store,
            &op,
            &args.name,
            version,
            InputKind::Facts,
            None,
        )?;
    }
    for name in &args.remove_build_config {
        kensa_app::auto_answers::detach(
            &mut store,
            &op,
            &args.name,
            version,
            InputKind::Config,
            Some(name),
        )?;
    }
    let listed = kensa_app::auto_answers::stored(&store, &op, &args.name, version)?;
    match args.format {
        OutputFormat::Json => print_json(&listed)?,
        OutputFormat::Text => print_files(&listed),
    }
    Ok(ExitCode::SUCCESS)
}

fn print_files(s: &StoredInputs) {
    use crate::term::field;
    if s.files.is_empty() {
        outln!(
            "{} {}: no facts file or build configuration stored",
            field(&s.product),
            field(&s.version)
        );
        return;
    }
    outln!("{} {}:", field(&s.product), field(&s.version));
    for f in &s.files {
        outln!(
            "  {:<6} {}  ({} bytes, {} at {})",
            f.kind.as_str(),
            field(&f.origin),
            f.bytes,
            field(&f.stored_by),
            f.stored_at.chars().take(19).collect::<String>()
        );
    }
}
