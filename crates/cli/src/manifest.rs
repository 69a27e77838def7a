//! `kensa product add`'s input: one product version or a manifest of many,
//! every SBOM read and checked before anything is stored, so a manifest is
//! stored whole or not at all.

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};
use kensa_model::Sbom;

/// One product version to add.
pub struct Entry {
    pub name: String,
    pub version: String,
    pub sbom: PathBuf,
    /// Where it was listed: `manifest.tsv:3`; `None` on the command line.
    pub listed_at: Option<String>,
}

/// An entry with its SBOM read and parsed.
pub struct Loaded {
    pub entry: Entry,
    pub bytes: Vec<u8>,
    pub sbom: Sbom,
}

/// `NAME<TAB>VERSION<TAB>SBOM` lines; SBOM paths relative to the manifest.
pub fn read(path: &Path) -> Result<Vec<Entry>> {
    let text = crate::bounded::read_text(path, crate::bounded::MANIFEST_BYTES, "manifest")?;
    let base = path.parent().unwrap_or(Path::new(""));
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let at = format!("{}:{}", path.display(), i + 1);
        let fields: Vec<&str> = line.split('\t').collect();
        let [name, version, sbom] = fields[..] else {
            bail!(
                "{at}: expected NAME<TAB>VERSION<TAB>SBOM, found {} field(s)\n  nothing was stored",
                fields.len()
            );
        };
        out.push(Entry {
            name: name.trim().to_string(),
            version: version.trim().to_string(),
            sbom: base.join(sbom.trim()),
            listed_at: Some(at),
        });
    }
    if out.is_empty() {
        bail!("{}: no products listed", path.display());
    }
    Ok(out)
}

/// Reads and parses every entry's SBOM; the first failure is an error
/// naming the manifest line, and nothing has been stored.
pub fn load_all(entries: Vec<Entry>, strict: bool, quiet: bool) -> Result<Vec<Loaded>> {
    let batch = entries.len() > 1;
    let mut out: Vec<Loaded> = Vec::with_capacity(entries.len());
    for entry in entries {
        let at = entry
            .listed_at
            .as_ref()
            .map(|a| format!("{a}: "))
            .unwrap_or_default();
        let fail = |e: anyhow::Error| {
            let nothing = if batch {
                "\n  nothing from the manifest was stored: it is added whole or not at all"
            } else {
                ""
            };
            anyhow!("{at}{e:#}{nothing}")
        };
        if entry.name.trim().is_empty() || entry.version.trim().is_empty() {
            return Err(fail(anyhow!(
                "a product needs a non-empty name and version"
            )));
        }
        if let Some(twin) = out
            .iter()
            .find(|l| l.entry.name == entry.name && l.entry.version == entry.version)
        {
            return Err(fail(anyhow!(
                "{} {} is listed twice (also at {})",
                entry.name,
                entry.version,
                twin.entry.listed_at.as_deref().unwrap_or("?")
            )));
        }
        let (bytes, sbom) = crate::scan::read_sbom(&entry.sbom, strict, quiet).map_err(fail)?;
        out.push(Loaded { entry, bytes, sbom });
    }
    Ok(out)
}
