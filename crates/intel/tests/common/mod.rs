//! Access to the staged public data beside the workspace (`../shared`).

use std::path::{Path, PathBuf};

/// `../shared/data/vuln/<rel>`, or `None` (with the skip reason printed)
/// when the shared data is absent, as on a machine without it.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/vuln")
        .join(rel);
    if path.exists() {
        Some(path)
    } else {
        eprintln!("skipped: {} is absent", path.display());
        None
    }
}
