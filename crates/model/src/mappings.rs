//! Curated name mappings: the package names of build systems and
//! distributions, and the CPE vendor/product NVD files that software under.
//!
//! Public sources state these facts as data (the `CVE_PRODUCT` settings of
//! OpenEmbedded/Yocto recipes, the `CPE_ID` of Buildroot packages); Kensa
//! imports them as a feed and cites them in each match they make.

use serde::{Deserialize, Serialize};

/// One package name and one product it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameMapping {
    /// The package or recipe name as the source writes it (`apache2`,
    /// `python3-pyopenssl`, `libopenssl`).
    pub name: String,
    /// The CPE vendor; `None` when the source names the product alone
    /// (then every vendor the product's records use is meant).
    pub vendor: Option<String>,
    /// The CPE product (`http_server`).
    pub product: String,
    /// Where the source states it: a recipe or package file.
    pub origin: String,
}

/// Every mapping of one source, as one file states them. Importing a newer
/// file of the same source replaces the older set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameMappingSet {
    /// Stable identifier: `openembedded`, `buildroot`.
    pub source: String,
    /// What the source is, in words.
    pub title: String,
    /// The licence its data is published under.
    pub licence: String,
    pub mappings: Vec<NameMapping>,
}
