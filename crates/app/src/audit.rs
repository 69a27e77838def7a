//! Reading the audit trail: global admins read all of it, a product's
//! admins what concerns their product.

use kensa_model::team::Role;
use kensa_store::Store;
use kensa_store::team::{AuditFilter, AuditRow};

use crate::access::{self, Actor, require_global_admin};
use crate::page::{self, Page};
use crate::{AppError, Result};

pub fn read(
    store: &Store,
    actor: &Actor,
    product: Option<&str>,
    cursor: Option<&str>,
    limit: Option<usize>,
) -> Result<Page<AuditRow>> {
    let product_id = match product {
        Some(name) => Some(access::product(store, actor, name, Role::Admin)?.0.id),
        None => {
            require_global_admin(actor, "the whole audit trail")?;
            None
        }
    };
    let limit = page::limit(limit)?;
    let before_id = cursor
        .map(|c| {
            page::decode_cursor(c, 1)?[0]
                .parse::<i64>()
                .map_err(|_| AppError::invalid("cursor", "not a cursor this list returned"))
        })
        .transpose()?;
    let items = store.audit_log(&AuditFilter {
        product_id,
        before_id,
        limit: limit + 1,
    })?;
    Ok(Page::from_one_extra(items, limit, |r| {
        page::encode_cursor(&[&r.id.to_string()])
    }))
}
