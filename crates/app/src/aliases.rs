//! The team's confirmations that a component is a product: "components
//! named X are the CPE product V:P". Every later scan and rescan resolves
//! such components to that product first, and cites the confirmation in
//! each finding's evidence.
//!
//! An alias changes every product's findings, so adding or removing one
//! needs a global analyst grant (or higher); anyone with a grant may read
//! them.

use kensa_matching::scan::Unresolved;
use kensa_model::names::normalize;
use kensa_model::team::Role;
use kensa_store::Store;
use kensa_store::team::{AliasRow, NewAlias};

use crate::access::Actor;
use crate::{AppError, Result};

/// What an alias says, as a person writes it.
#[derive(Debug, Clone)]
pub struct AliasRequest<'a> {
    /// The component's name as SBOMs write it.
    pub component: &'a str,
    /// `vendor:product`, as CPE names write them.
    pub target: &'a str,
    /// Only components whose purl has this type (`deb`, `generic`).
    pub purl_type: Option<&'a str>,
    pub note: Option<&'a str>,
}

fn require_global(actor: &Actor, what: &str) -> Result<()> {
    if may_change(actor) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "{what} needs a global analyst grant (or higher): an alias changes the findings of every product"
        )))
    }
}

fn clean(field: &str, value: &str, max: usize) -> Result<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(AppError::invalid(field, "must not be empty"));
    }
    if v.chars().count() > max {
        return Err(AppError::invalid(
            field,
            format!("longer than {max} characters"),
        ));
    }
    if v.chars().any(char::is_control) {
        return Err(AppError::invalid(field, "contains control characters"));
    }
    Ok(v.to_string())
}

/// `vendor:product` in CPE spelling (lower case, no spaces).
fn parse_target(target: &str) -> Result<(String, String)> {
    let t = clean("target", target, 200)?.to_ascii_lowercase();
    let Some((vendor, product)) = t.split_once(':') else {
        return Err(AppError::invalid(
            "target",
            format!("`{target}` is not VENDOR:PRODUCT (for example `lighttpd:lighttpd`)"),
        ));
    };
    if !is_cpe_part(vendor) || !is_cpe_part(product) {
        return Err(AppError::invalid(
            "target",
            format!(
                "`{target}` is not VENDOR:PRODUCT as CPE names write them (lower case, no spaces or wildcards)"
            ),
        ));
    }
    Ok((vendor.to_string(), product.to_string()))
}

/// One part of a CPE name: no separators, spaces or wildcards.
fn is_cpe_part(s: &str) -> bool {
    !s.is_empty() && !s.contains([':', ' ', '*', '?']) && s.chars().all(|c| c.is_ascii_graphic())
}

/// The `vendor:product` target of a vendor and a product given apart (the
/// REST API's fields), each checked under its own field name.
pub fn target_of(vendor: &str, product: &str) -> Result<String> {
    let part = |field: &str, value: &str| {
        let v = clean(field, value, 100)?.to_ascii_lowercase();
        if is_cpe_part(&v) {
            Ok(v)
        } else {
            Err(AppError::invalid(
                field,
                format!(
                    "`{value}` is not a {field} as CPE names write it (no `:`, spaces or wildcards)"
                ),
            ))
        }
    };
    Ok(format!(
        "{}:{}",
        part("vendor", vendor)?,
        part("product", product)?
    ))
}

/// A purl type: letters, digits, `.`, `+`, `-` (the purl specification).
fn parse_purl_type(t: &str) -> Result<String> {
    let t = clean("purl_type", t, 32)?.to_ascii_lowercase();
    let ok = t.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || ".+-".contains(c));
    if ok {
        Ok(t)
    } else {
        Err(AppError::invalid(
            "purl_type",
            format!("`{t}` is not a purl type (for example `deb`, `rpm`, `generic`)"),
        ))
    }
}

/// Stores an alias (audited as `alias.add`). The product must be one the
/// database knows: a typo would otherwise silently match nothing.
pub fn add(store: &mut Store, actor: &Actor, req: &AliasRequest<'_>) -> Result<AliasRow> {
    require_global(actor, "adding an alias")?;
    let component = clean("component", req.component, 200)?;
    if normalize(&component).is_empty() {
        return Err(AppError::invalid(
            "component",
            format!("`{component}` has no letters or digits to match by"),
        ));
    }
    let (vendor, product) = parse_target(req.target)?;
    let purl_type = req.purl_type.map(parse_purl_type).transpose()?;
    let note = req.note.map(|n| clean("note", n, 2000)).transpose()?;
    store.refresh_product_names()?;
    let known = store
        .products_named(&normalize(&product))?
        .into_iter()
        .any(|p| p.vendor == vendor && p.product == product);
    if !known {
        let nearest = kensa_matching::nearest::nearest(store, &product, None)?;
        let hint = if nearest.is_empty() {
            String::new()
        } else {
            let names: Vec<String> = nearest
                .iter()
                .map(|n| format!("{}:{}", n.vendor, n.product))
                .collect();
            format!("; nearest: {}", names.join(", "))
        };
        return Err(AppError::invalid(
            "target",
            format!("no record in the database names {vendor}:{product}{hint}"),
        ));
    }
    let entry = actor.entry("alias.add", format!("alias:{component}"));
    Ok(store.add_alias(
        &NewAlias {
            component: &component,
            purl_type: purl_type.as_deref(),
            vendor: &vendor,
            product: &product,
            note: note.as_deref(),
        },
        entry,
    )?)
}

/// Confirms an alias and brings every stored product's findings up to
/// date with it: the web UI's "this is the same product".
pub fn confirm(store: &mut Store, actor: &Actor, req: &AliasRequest<'_>) -> Result<AliasRow> {
    let row = add(store, actor, req)?;
    crate::products::rescan_portfolio(store)?;
    Ok(row)
}

/// Fills in the nearest products of components no product resolved (a
/// stored product's findings keep none), at most `limit` of them.
pub fn suggest(store: &Store, unresolved: &mut [Unresolved], limit: usize) -> Result<()> {
    for u in unresolved.iter_mut().take(limit) {
        if u.nearest.is_empty() {
            u.nearest = kensa_matching::nearest::nearest(
                store,
                &u.component.name,
                u.component.purl.as_deref(),
            )?;
        }
    }
    Ok(())
}

/// Whether the actor may add and remove aliases.
pub fn may_change(actor: &Actor) -> bool {
    actor.global_role().is_some_and(|r| r >= Role::Analyst)
}

/// Every alias.
pub fn list(store: &Store, actor: &Actor) -> Result<Vec<AliasRow>> {
    list_allowed(actor)?;
    Ok(store.aliases()?)
}

fn list_allowed(actor: &Actor) -> Result<()> {
    if !actor.is_operator() && actor.grants().is_empty() {
        return Err(AppError::Forbidden(
            "reading aliases needs a grant on something".into(),
        ));
    }
    Ok(())
}

/// One alias by id; `NotFound` when there is none (or the actor may not
/// read aliases).
pub fn get(store: &Store, actor: &Actor, id: i64) -> Result<AliasRow> {
    list_allowed(actor)?;
    store
        .alias(id)?
        .ok_or_else(|| AppError::NotFound(format!("no alias {id}")))
}

/// Removes an alias by id (audited as `alias.remove`).
pub fn remove(store: &mut Store, actor: &Actor, id: i64) -> Result<AliasRow> {
    require_global(actor, "removing an alias")?;
    let entry = actor.entry("alias.remove", format!("alias:{id}"));
    Ok(store.remove_alias(id, entry)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_and_purl_types_are_checked() {
        assert_eq!(
            parse_target(" Lighttpd:lighttpd ").unwrap(),
            ("lighttpd".into(), "lighttpd".into())
        );
        for bad in ["lighttpd", ":x", "x:", "a b:c", "a:b:c", "a:*"] {
            assert!(parse_target(bad).is_err(), "{bad}");
        }
        assert_eq!(target_of(" GNU", "bash").unwrap(), "gnu:bash");
        for (vendor, product, field) in [("", "bash", "vendor"), ("gnu", "a:b", "product")] {
            match target_of(vendor, product) {
                Err(AppError::Invalid { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{vendor}:{product}: {other:?}"),
            }
        }
        assert_eq!(parse_purl_type("DEB").unwrap(), "deb");
        assert!(parse_purl_type("1x").is_err());
        assert!(parse_purl_type("a/b").is_err());
    }
}
