//! Name-mapping feeds: build-system package names to CPE vendor/product.
//!
//! - **OpenEmbedded/Yocto `CVE_PRODUCT`**, as a table (tab-separated, with
//!   the header `recipe  cve_product  [layer  path]`): each value is
//!   `vendor:product` or a bare `product`, several separated by spaces, as
//!   recipes write them. A recipe without `CVE_PRODUCT` is its own product
//!   (the build system's default), so it needs no row.
//! - **Buildroot** `make show-info` (an object of packages, each with its
//!   `cpe-id`) and `pkg-stats` JSON (`{"packages": {NAME: {"cpeid": …}}}`):
//!   the CPE that each package's `_CPE_ID_*` variables give.
//!
//! Each file is one [`NameMappingSet`]; the store replaces a source's set
//! with the newer one.

use kensa_model::{NameMapping, NameMappingSet};
use serde_json::Value;

use crate::error::RecordError;

/// OpenEmbedded layer metadata is MIT-licensed.
const OE_LICENCE: &str = "MIT (OpenEmbedded layer metadata)";
/// Buildroot, its package files included, is GPL-2.0-or-later.
const BUILDROOT_LICENCE: &str = "GPL-2.0-or-later (Buildroot package metadata)";

/// Whether a first line is the OpenEmbedded table's header.
pub fn is_openembedded_header(line: &str) -> bool {
    let mut cols = line.trim_start_matches('\u{feff}').split('\t');
    cols.next().map(str::trim) == Some("recipe")
        && cols.next().map(str::trim) == Some("cve_product")
}

/// The OpenEmbedded `CVE_PRODUCT` table. Errors name the line and column.
pub fn parse_openembedded(bytes: &[u8]) -> Result<NameMappingSet, RecordError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| RecordError::new(format!("not UTF-8 text ({e})")))?;
    let mut lines = text.lines().enumerate();
    let header: Vec<&str> = match lines.next() {
        Some((_, h)) => h
            .trim_start_matches('\u{feff}')
            .split('\t')
            .map(str::trim)
            .collect(),
        None => return Err(RecordError::new("empty file")),
    };
    let column = |name: &str| header.iter().position(|h| *h == name);
    let (Some(recipe_col), Some(product_col)) = (column("recipe"), column("cve_product")) else {
        return Err(RecordError::new(
            "line 1: expected the header `recipe<TAB>cve_product[<TAB>layer<TAB>path]`",
        ));
    };
    let (layer_col, path_col) = (column("layer"), column("path"));
    let mut mappings = Vec::new();
    for (i, line) in lines {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').map(str::trim).collect();
        let at = |field: &str, message: String| {
            RecordError::new(format!("line {line_no}: {message}")).field(field)
        };
        let recipe = cols.get(recipe_col).copied().unwrap_or("");
        if recipe.is_empty() {
            return Err(at("recipe", "no recipe name".into()));
        }
        let values = cols.get(product_col).copied().unwrap_or("");
        if values.is_empty() {
            return Err(at(
                "cve_product",
                format!("recipe {recipe} names no product"),
            ));
        }
        let origin = match (
            layer_col.and_then(|c| cols.get(c)),
            path_col.and_then(|c| cols.get(c)),
        ) {
            (Some(layer), Some(path)) if !path.is_empty() => format!("{layer} {path}"),
            (_, Some(path)) if !path.is_empty() => path.to_string(),
            _ => format!("recipe {recipe}"),
        };
        for value in values.split_whitespace() {
            let (vendor, product) = split_value(value)
                .map_err(|m| at("cve_product", format!("recipe {recipe}: {m}")))?;
            mappings.push(NameMapping {
                name: recipe.to_string(),
                vendor,
                product,
                origin: origin.clone(),
            });
        }
    }
    if mappings.is_empty() {
        return Err(RecordError::new("the table has a header but no rows"));
    }
    Ok(NameMappingSet {
        source: "openembedded".into(),
        title: "OpenEmbedded/Yocto recipes' CVE_PRODUCT".into(),
        licence: OE_LICENCE.into(),
        mappings,
    })
}

/// `vendor:product` or `product`, as `CVE_PRODUCT` writes them.
fn split_value(value: &str) -> Result<(Option<String>, String), String> {
    if value.contains("${") || value.contains("@{") {
        return Err(format!(
            "`{value}` uses a BitBake variable; give the value it expands to"
        ));
    }
    let valid = |s: &str| !s.is_empty() && !s.chars().any(|c| c.is_control() || c == '"');
    match value.split_once(':') {
        Some((v, p)) if valid(v) && valid(p) && !p.contains(':') => {
            Ok((Some(v.to_ascii_lowercase()), p.to_ascii_lowercase()))
        }
        None if valid(value) => Ok((None, value.to_ascii_lowercase())),
        _ => Err(format!(
            "`{value}` is neither `vendor:product` nor `product`"
        )),
    }
}

/// Buildroot's `make show-info` output: `{NAME: {"cpe-id": "cpe:2.3:…", …}}`.
/// Host packages (`host-…`) are tools of the build machine, not of the
/// firmware, and are left out.
pub fn parse_buildroot_show_info(bytes: &[u8]) -> Result<NameMappingSet, RecordError> {
    let doc: serde_json::Map<String, Value> = crate::error::from_json(bytes)?;
    let mut mappings = Vec::new();
    for (name, info) in &doc {
        if name.starts_with("host-") {
            continue;
        }
        if let Some(cpe) = info.get("cpe-id") {
            mappings.push(buildroot_mapping(name, cpe, "cpe-id", "show-info")?);
        }
    }
    buildroot_set(mappings)
}

/// Buildroot's `support/scripts/pkg-stats --json` output:
/// `{"packages": {NAME: {"cpeid": "cpe:2.3:…", "path": …}}}`.
pub fn parse_buildroot_pkg_stats(bytes: &[u8]) -> Result<NameMappingSet, RecordError> {
    let doc: Value = crate::error::from_json(bytes)?;
    let packages = doc
        .get("packages")
        .and_then(Value::as_object)
        .ok_or_else(|| RecordError::new("no `packages` object").field("packages"))?;
    let mut mappings = Vec::new();
    for (name, info) in packages {
        if let Some(cpe) = info.get("cpeid").filter(|v| !v.is_null()) {
            let origin = info
                .get("path")
                .and_then(Value::as_str)
                .unwrap_or("pkg-stats");
            mappings.push(buildroot_mapping(name, cpe, "cpeid", origin)?);
        }
    }
    buildroot_set(mappings)
}

fn buildroot_mapping(
    name: &str,
    cpe: &Value,
    key: &str,
    origin: &str,
) -> Result<NameMapping, RecordError> {
    let field = format!("{name}.{key}");
    let text = cpe
        .as_str()
        .ok_or_else(|| RecordError::new("not a string").field(&field))?;
    let (_, vendor, product) = kensa_model::cpe::vendor_product(text)
        .filter(|(_, v, p)| !matches!(*v, "*" | "-" | "") && !matches!(*p, "*" | "-" | ""))
        .ok_or_else(|| {
            RecordError::new(format!(
                "`{text}` is not a CPE 2.3 name with a vendor and product"
            ))
            .field(&field)
        })?;
    Ok(NameMapping {
        name: name.to_string(),
        vendor: Some(vendor.to_string()),
        product: product.to_string(),
        origin: if origin == "show-info" {
            format!("package {name} (make show-info)")
        } else {
            origin.to_string()
        },
    })
}

fn buildroot_set(mappings: Vec<NameMapping>) -> Result<NameMappingSet, RecordError> {
    if mappings.is_empty() {
        return Err(RecordError::new("no package has a CPE id"));
    }
    Ok(NameMappingSet {
        source: "buildroot".into(),
        title: "Buildroot packages' CPE_ID".into(),
        licence: BUILDROOT_LICENCE.into(),
        mappings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openembedded_rows_become_mappings() {
        let text = "recipe\tcve_product\tlayer\tpath\n\
apache2\tapache:http_server\tmeta-openembedded\tmeta-webserver/recipes-httpd/apache2/apache2_2.4.68.bb\n\
python3-django\tdjango\tmeta-python\tx.bb\n\
\n\
curl\thaxx:curl curl:curl\topenembedded-core\tmeta/recipes-support/curl/curl_8.21.0.bb\n";
        let set = parse_openembedded(text.as_bytes()).unwrap();
        assert_eq!(set.source, "openembedded");
        assert_eq!(set.mappings.len(), 4);
        assert_eq!(set.mappings[0].vendor.as_deref(), Some("apache"));
        assert_eq!(set.mappings[0].product, "http_server");
        assert!(set.mappings[0].origin.ends_with("apache2_2.4.68.bb"));
        assert_eq!(set.mappings[1].vendor, None);
        assert_eq!(set.mappings[3].product, "curl");
    }

    #[test]
    fn openembedded_errors_name_the_line() {
        let e = parse_openembedded(b"recipe\tcve_product\nfoo\t${BPN}\n").unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        assert!(e.to_string().contains("BitBake variable"), "{e}");
        let e = parse_openembedded(b"recipe\tcve_product\nfoo\ta:b:c\n").unwrap_err();
        assert!(e.to_string().contains("neither"), "{e}");
        let e = parse_openembedded(b"name\tproduct\n").unwrap_err();
        assert!(e.to_string().contains("header"), "{e}");
    }

    #[test]
    fn buildroot_formats() {
        let info = br#"{"libopenssl": {"version": "3.3.2", "cpe-id": "cpe:2.3:a:openssl:openssl:3.3.2:*:*:*:*:*:*:*"},
            "host-libopenssl": {"cpe-id": "cpe:2.3:a:openssl:openssl:3.3.2:*:*:*:*:*:*:*"},
            "skeleton": {"version": ""}}"#;
        let set = parse_buildroot_show_info(info).unwrap();
        assert_eq!(set.mappings.len(), 1);
        assert_eq!(set.mappings[0].name, "libopenssl");
        assert_eq!(set.mappings[0].vendor.as_deref(), Some("openssl"));
        let stats = br#"{"packages": {"libglib2": {"path": "package/libglib2/libglib2.mk", "cpeid": "cpe:2.3:a:gnome:glib:2.56.4:*:*:*:*:*:*:*"},
            "foo": {"cpeid": null}}}"#;
        let set = parse_buildroot_pkg_stats(stats).unwrap();
        assert_eq!(set.mappings.len(), 1);
        assert_eq!(set.mappings[0].product, "glib");
        assert_eq!(set.mappings[0].origin, "package/libglib2/libglib2.mk");
        let e =
            parse_buildroot_pkg_stats(br#"{"packages": {"x": {"cpeid": "nope"}}}"#).unwrap_err();
        assert!(e.to_string().contains("x.cpeid"), "{e}");
    }
}
