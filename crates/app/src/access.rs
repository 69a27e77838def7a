//! Who is asking, and what they may see and do.
//!
//! A user's role on a product is the highest role among their grants whose
//! scope covers the product: the product itself, the team it belongs to,
//! or global. Roles are never summed across scopes: analyst on team red and
//! viewer on team blue reads blue's products and no more. A product no
//! grant covers does not exist for the user: it is absent from every list,
//! count and search, and asking for it by name is "not found".
//!
//! The command line acts as the database's operator: whoever can write the
//! database file can do anything, so [`Actor::operator`] holds every right
//! (and is audited as `cli:OSUSER`).

use kensa_model::team::{Role, Scope};
use kensa_store::Store;
use kensa_store::team::{AuditEntry, GrantRow, ProductRef};

use crate::{AppError, Result};

/// The name Kensa's own writes are audited under ([`Actor::automatic`]).
pub const AUTOMATIC: &str = "kensa";

/// The person (or process) a use case acts for.
#[derive(Debug, Clone)]
pub struct Actor {
    /// User name, or `cli:OSUSER` for the command line.
    pub name: String,
    pub user_id: Option<i64>,
    /// `session:N`, `token:N` or `cli`.
    pub via: String,
    /// The client's address, for requests.
    pub client: Option<String>,
    rights: Rights,
}

#[derive(Debug, Clone)]
enum Rights {
    Operator,
    Grants(Vec<GrantRow>),
}

impl Actor {
    /// The command line's operator: every right.
    pub fn operator() -> Actor {
        let os_user = ["USER", "LOGNAME", "USERNAME"]
            .iter()
            .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
            .or_else(|| {
                std::env::var_os("HOME").and_then(|h| {
                    std::path::Path::new(&h)
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                })
            })
            .unwrap_or_else(|| "unknown".into());
        Actor {
            name: format!("cli:{os_user}"),
            user_id: None,
            via: "cli".into(),
            client: None,
            rights: Rights::Operator,
        }
    }

    /// Kensa itself, acting on evidence it imported (a CRA case it opens):
    /// every right, audited as `kensa`.
    pub fn automatic() -> Actor {
        Actor {
            name: AUTOMATIC.into(),
            user_id: None,
            via: "automatic".into(),
            client: None,
            rights: Rights::Operator,
        }
    }

    /// Someone not yet authenticated (a login attempt): no rights.
    pub fn anonymous(client: Option<String>) -> Actor {
        Actor {
            name: "anonymous".into(),
            user_id: None,
            via: "login".into(),
            client,
            rights: Rights::Grants(Vec::new()),
        }
    }

    /// A user with their current grants.
    pub fn user(
        store: &Store,
        user_id: i64,
        name: &str,
        via: String,
        client: Option<String>,
    ) -> Result<Actor> {
        Ok(Actor {
            name: name.to_string(),
            user_id: Some(user_id),
            via,
            client,
            rights: Rights::Grants(store.grants_of(user_id)?),
        })
    }

    pub fn is_operator(&self) -> bool {
        matches!(self.rights, Rights::Operator)
    }

    /// The user's grants (none for the operator, who needs none).
    pub fn grants(&self) -> &[GrantRow] {
        match &self.rights {
            Rights::Operator => &[],
            Rights::Grants(g) => g,
        }
    }

    fn best(&self, covers: impl Fn(&GrantRow) -> bool) -> Option<Role> {
        match &self.rights {
            Rights::Operator => Some(Role::Admin),
            Rights::Grants(grants) => grants.iter().filter(|g| covers(g)).map(|g| g.role).max(),
        }
    }

    /// The role of a global grant, if any.
    pub fn global_role(&self) -> Option<Role> {
        self.best(|g| g.scope == Scope::Global)
    }

    /// Global admins manage everything, users and teams included.
    pub fn is_global_admin(&self) -> bool {
        self.global_role() == Some(Role::Admin)
    }

    /// The actor's role on a product; `None`: the product is invisible.
    pub fn role_on(&self, p: &ProductRef) -> Option<Role> {
        self.best(|g| match g.scope {
            Scope::Global => true,
            Scope::Team(_) => p.team_id == Some(g.scope_id),
            Scope::Product(_) => g.scope_id == p.id,
        })
    }

    /// The actor's role on every product of a team (global or team grants).
    pub fn role_on_team(&self, team_id: i64) -> Option<Role> {
        self.best(|g| match g.scope {
            Scope::Global => true,
            Scope::Team(_) => g.scope_id == team_id,
            Scope::Product(_) => false,
        })
    }

    /// The audit entry for a write by this actor.
    pub fn entry(&self, action: &str, object: impl Into<String>) -> AuditEntry {
        AuditEntry {
            actor: self.name.clone(),
            via: self.via.clone(),
            client: self.client.clone(),
            action: action.to_string(),
            object: object.into(),
            product_id: None,
            change: None,
        }
    }
}

/// A product the actor may see, with their role on it, or `NotFound`
/// (absent and out of scope look the same); `Forbidden` when visible but
/// the role is below `need`.
pub fn product(store: &Store, actor: &Actor, name: &str, need: Role) -> Result<(ProductRef, Role)> {
    let hidden = || AppError::NotFound(format!("no product {name}"));
    let p = store.product_ref(name)?.ok_or_else(hidden)?;
    let role = actor.role_on(&p).ok_or_else(hidden)?;
    if role < need {
        return Err(AppError::Forbidden(format!(
            "this needs the {need} role on product {name}; you are {role}"
        )));
    }
    Ok((p, role))
}

/// Every product the actor may see, with their role, by name.
pub fn visible_products(store: &Store, actor: &Actor) -> Result<Vec<(ProductRef, Role)>> {
    Ok(store
        .product_refs()?
        .into_iter()
        .filter_map(|p| actor.role_on(&p).map(|r| (p, r)))
        .collect())
}

/// Users and teams are managed by global admins (and the operator).
pub fn require_global_admin(actor: &Actor, what: &str) -> Result<()> {
    if actor.is_global_admin() {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "{what} needs a global admin grant"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(role: Role, scope: Scope, scope_id: i64) -> GrantRow {
        GrantRow {
            user: None,
            role,
            scope,
            scope_id,
        }
    }

    fn user(grants: Vec<GrantRow>) -> Actor {
        Actor {
            name: "u".into(),
            user_id: Some(1),
            via: "token:1".into(),
            client: None,
            rights: Rights::Grants(grants),
        }
    }

    fn product(id: i64, team: Option<i64>) -> ProductRef {
        ProductRef {
            id,
            name: format!("p{id}"),
            team_id: team,
            team: team.map(|t| format!("t{t}")),
        }
    }

    #[test]
    fn roles_are_never_summed_across_teams() {
        // Analyst on team red (1), viewer on team blue (2).
        let a = user(vec![
            grant(Role::Analyst, Scope::Team("red".into()), 1),
            grant(Role::Viewer, Scope::Team("blue".into()), 2),
        ]);
        assert_eq!(a.role_on(&product(10, Some(1))), Some(Role::Analyst));
        assert_eq!(a.role_on(&product(11, Some(2))), Some(Role::Viewer));
        assert_eq!(a.role_on(&product(12, Some(3))), None);
        assert_eq!(a.role_on(&product(13, None)), None);
    }

    #[test]
    fn the_highest_covering_grant_wins() {
        let a = user(vec![
            grant(Role::Viewer, Scope::Global, 0),
            grant(Role::Approver, Scope::Product("p10".into()), 10),
        ]);
        assert_eq!(a.role_on(&product(10, Some(1))), Some(Role::Approver));
        assert_eq!(a.role_on(&product(11, None)), Some(Role::Viewer));
        assert!(!a.is_global_admin());
        assert!(Actor::operator().is_global_admin());
    }
}
