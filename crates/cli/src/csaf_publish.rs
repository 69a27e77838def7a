//! `kensa csaf publish`: writes a CSAF 2.0 trusted provider's tree; the
//! planning is `kensa_report::csaf::provider::publish`, this file reads
//! the inputs and the existing tree and writes the files.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;
use kensa_report::csaf::provider::Tlp;
use kensa_report::csaf::provider::publish::{self, Existing, Input, Options};
use kensa_report::csaf::provider::sign::Signer;

use crate::{OutputFormat, outln, print_json};

/// The environment variable holding the signing key's passphrase.
pub const PASSPHRASE_ENV: &str = "KENSA_SIGN_PASSPHRASE";

#[derive(Args)]
pub struct PublishArgs {
    /// CSAF documents to publish (JSON files)
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// The tree's folder (served as https://DOMAIN/.well-known/csaf/);
    /// created when missing, updated when it holds a tree
    #[arg(long, value_name = "OUT")]
    dir: PathBuf,
    /// Sign every document with this armoured OpenPGP secret key
    /// (`gpg --export-secret-keys --armor KEYID`); its passphrase, if any,
    /// from KENSA_SIGN_PASSPHRASE
    #[arg(long, value_name = "KEY")]
    sign: Option<PathBuf>,
    /// The URL the folder is served at [default: the tree's own, else the
    /// publisher's namespace + /.well-known/csaf]
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

pub const LONG_ABOUT: &str = "Write a CSAF 2.0 provider tree (section 7.1) into a folder: \
provider-metadata.json; each document under its TLP folder and the year of its initial \
release date, named after its tracking id (section 5.1), with .sha256 and .sha512 files \
beside it; index.txt, changes.csv (newest first) and a ROLIE feed \
(csaf-feed-tlp-white.json) per TLP folder. With --sign, an ASCII-armoured detached \
OpenPGP signature (.asc) beside each document, the public key under openpgp/ and the role \
csaf_trusted_provider (without a key the role is csaf_provider: requirements 18-20 need \
signatures).\n\n\
Every document must pass `kensa csaf validate`. TLP:RED documents are never published. \
TLP:GREEN and TLP:AMBER documents go to green/ and amber/: those folders MUST be served \
with access control (requirement 5), only white/ is public.\n\n\
Publishing into an existing tree updates it: a document whose tracking version is newer \
replaces the published one; the same document again changes nothing; another document \
with a published tracking id and an equal or older version is refused. Listings, feeds \
and metadata are rewritten to agree, the metadata last.";

pub const AFTER_HELP: &str = "Examples:\n  \
kensa csaf publish advisories/*.json --dir site/.well-known/csaf\n  \
KENSA_SIGN_PASSPHRASE=... kensa csaf publish adv.json --dir out --sign psirt-secret.asc\n  \
kensa csaf publish adv.json --dir out --base-url https://psirt.example.com/.well-known/csaf\n  \
kensa csaf check out                                  check the result offline";

pub fn run(args: PublishArgs) -> Result<ExitCode> {
    let inputs = args
        .files
        .iter()
        .map(|path| {
            let bytes =
                std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            Ok(Input {
                name: path.display().to_string(),
                bytes,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let signer = args.sign.as_deref().map(read_signer).transpose()?;
    let existing = read_existing(&args.dir)?;
    let opts = Options {
        base_url: args.base_url.clone(),
        signer: signer.as_ref(),
        now: chrono::Utc::now(),
    };
    let plan = publish::plan(&inputs, &existing, &opts)?;
    apply(&args.dir, &plan)?;
    match args.format {
        OutputFormat::Json => print_json(&serde_json::json!({
            "dir": args.dir.display().to_string(),
            "provider_metadata": plan.canonical_url,
            "signed": signer.is_some(),
            "documents": plan.outcomes,
        }))?,
        OutputFormat::Text => {
            for o in &plan.outcomes {
                let action = match o.action {
                    publish::Action::Added => "added",
                    publish::Action::Replaced => "replaced",
                    publish::Action::Unchanged => "unchanged",
                };
                outln!(
                    "{action:<9} {} version {} -> {}",
                    o.tracking_id,
                    o.version,
                    o.path
                );
            }
            outln!(
                "{}: provider metadata for {}{}",
                args.dir.display(),
                plan.canonical_url,
                if signer.is_some() { " (signed)" } else { "" }
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn read_signer(path: &Path) -> Result<Signer> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the signing key {}", path.display()))?;
    let passphrase = std::env::var(PASSPHRASE_ENV).ok();
    Signer::from_armored(&text, passphrase.as_deref())
        .with_context(|| format!("the signing key {}", path.display()))
}

/// The metadata and every document of the tree already in `dir`.
fn read_existing(dir: &Path) -> Result<Existing> {
    let mut existing = Existing::default();
    let meta = dir.join("provider-metadata.json");
    if meta.is_file() {
        existing.metadata =
            Some(std::fs::read(&meta).with_context(|| format!("reading {}", meta.display()))?);
    } else if dir.is_dir() && std::fs::read_dir(dir)?.next().is_some() {
        bail!(
            "{} is not empty and holds no provider-metadata.json: give an empty folder or a tree written before",
            dir.display()
        );
    }
    for tlp in [Tlp::White, Tlp::Green, Tlp::Amber] {
        let folder = dir.join(tlp.folder());
        let Ok(years) = std::fs::read_dir(&folder) else {
            continue;
        };
        for year in years {
            let year = year?.path();
            if !year.is_dir() {
                continue;
            }
            for file in std::fs::read_dir(&year)? {
                let path = file?.path();
                if path.extension().is_some_and(|e| e == "json") {
                    let rel = path.strip_prefix(dir).expect("under dir");
                    let rel = rel.to_string_lossy().replace('\\', "/");
                    let bytes = std::fs::read(&path)
                        .with_context(|| format!("reading {}", path.display()))?;
                    existing.documents.push((rel, bytes));
                }
            }
        }
    }
    Ok(existing)
}

/// Writes each file through a temporary file renamed into place, so that a
/// reader never sees half a file; the metadata comes last in the plan.
fn apply(dir: &Path, plan: &publish::Plan) -> Result<()> {
    for (rel, bytes) in &plan.writes {
        let path = dir.join(rel);
        let parent = path.parent().expect("a file in the tree");
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
        let mut tmp = tempfile::NamedTempFile::new_in(parent)
            .with_context(|| format!("writing in {}", parent.display()))?;
        std::io::Write::write_all(&mut tmp, bytes)
            .with_context(|| format!("writing {}", path.display()))?;
        tmp.persist(&path)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    for rel in &plan.removes {
        let path = dir.join(rel);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("removing {}", path.display())),
        }
    }
    Ok(())
}
