//! Users, teams, grants, API tokens and web sessions.

use kensa_model::team::{Role, Scope};
use serde::Serialize;
use serde_json::json;

use super::{AuditEntry, product_id, team_id};
use crate::sql::{self, Db};
use crate::{Result, Store, StoreError};

/// A user as lists show it.
#[derive(Debug, Clone, Serialize)]
pub struct UserRow {
    #[serde(skip)]
    pub id: i64,
    pub name: String,
    pub disabled: bool,
    pub has_password: bool,
    pub created_at: String,
    pub grants: Vec<GrantRow>,
}

/// What logging in needs to know of a user.
#[derive(Debug, Clone)]
pub struct UserAuth {
    pub id: i64,
    pub name: String,
    pub password_hash: Option<String>,
    pub disabled: bool,
}

/// One grant, with its scope by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GrantRow {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    pub role: Role,
    #[serde(flatten)]
    pub scope: Scope,
    /// The team's or product's id (0 for global), for access checks.
    #[serde(skip)]
    pub scope_id: i64,
}

/// A team and its products.
#[derive(Debug, Clone, Serialize)]
pub struct TeamRow {
    pub name: String,
    pub created_at: String,
    pub products: Vec<String>,
}

/// A token to store: only the hash of its secret.
pub struct NewToken<'a> {
    pub user: &'a str,
    pub label: Option<&'a str>,
    pub hash: &'a str,
    pub expires_at: Option<&'a str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TokenRow {
    pub id: i64,
    pub user: String,
    pub label: Option<String>,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    pub last_used_at: Option<String>,
}

/// The user behind a token.
#[derive(Debug, Clone)]
pub struct TokenOwner {
    pub token_id: i64,
    pub user_id: i64,
    pub user: String,
    pub disabled: bool,
    pub expires_at: Option<String>,
    pub revoked: bool,
}

/// The user behind a session.
#[derive(Debug, Clone)]
pub struct SessionOwner {
    pub session_id: i64,
    pub user_id: i64,
    pub user: String,
    pub disabled: bool,
    pub expires_at: String,
}

impl Store {
    /// Creates a user; `admin` adds a global admin grant with it.
    pub fn create_user(
        &mut self,
        name: &str,
        password_hash: Option<&str>,
        admin: bool,
        entry: AuditEntry,
    ) -> Result<i64> {
        self.team_write(entry, |db, entry| {
            let exists: bool = sql::one(
                db,
                "SELECT EXISTS (SELECT 1 FROM users WHERE name = ?1)",
                &[&name],
            )?;
            if exists {
                return Err(StoreError::Conflict(format!("user {name} already exists")));
            }
            let now = crate::write::now();
            let id: i64 = sql::one(
                db,
                "INSERT INTO users (name, password_hash, created_at) VALUES (?1, ?2, ?3)
                 RETURNING id",
                &[&name, &password_hash, &now],
            )?;
            if admin {
                db.execute(
                    "INSERT INTO grants (user_id, scope, scope_id, role, granted_at)
                     VALUES (?1, 'global', 0, 'admin', ?2)",
                    &[&id, &now],
                )?;
            }
            entry.change = Some(json!({"after": {"user": name, "admin": admin}}));
            Ok(id)
        })
    }

    /// Every user with their grants, by name.
    pub fn users(&self) -> Result<Vec<UserRow>> {
        self.team_conn(|db| {
            let mut users = db
                .query(
                    "SELECT id, name, disabled, password_hash IS NOT NULL, created_at
                     FROM users ORDER BY name",
                    &[],
                )?
                .iter()
                .map(|r| {
                    Ok(UserRow {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        disabled: r.get(2)?,
                        has_password: r.get(3)?,
                        created_at: r.get(4)?,
                        grants: Vec::new(),
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            for u in &mut users {
                u.grants = grant_rows(db, Some(u.id))?;
            }
            Ok(users)
        })
    }

    /// What logging in as `name` needs.
    pub fn user_auth(&self, name: &str) -> Result<Option<UserAuth>> {
        self.team_conn(|db| {
            db.query_opt(
                "SELECT id, name, password_hash, disabled FROM users WHERE name = ?1",
                &[&name],
            )?
            .map(|r| {
                Ok(UserAuth {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    password_hash: r.get(2)?,
                    disabled: r.get(3)?,
                })
            })
            .transpose()
        })
    }

    /// Disables (or enables) a user; a disabled user's sessions end.
    pub fn set_user_disabled(
        &mut self,
        name: &str,
        disabled: bool,
        entry: AuditEntry,
    ) -> Result<()> {
        self.team_write(entry, |db, entry| {
            let row = db
                .query_opt("SELECT id, disabled FROM users WHERE name = ?1", &[&name])?
                .ok_or_else(|| StoreError::NotFound(format!("no user {name}")))?;
            let (id, before): (i64, bool) = (row.get(0)?, row.get(1)?);
            db.execute(
                "UPDATE users SET disabled = ?2 WHERE id = ?1",
                &[&id, &disabled],
            )?;
            if disabled {
                db.execute("DELETE FROM sessions WHERE user_id = ?1", &[&id])?;
            }
            entry.change =
                Some(json!({"before": {"disabled": before}, "after": {"disabled": disabled}}));
            Ok(())
        })
    }

    /// Replaces a user's password hash.
    pub fn set_password(&mut self, name: &str, hash: &str, entry: AuditEntry) -> Result<()> {
        self.team_write(entry, |db, _| {
            let n = db.execute(
                "UPDATE users SET password_hash = ?2 WHERE name = ?1",
                &[&name, &hash],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("no user {name}")));
            }
            Ok(())
        })
    }

    /// A user's grants, global first.
    pub fn grants_of(&self, user_id: i64) -> Result<Vec<GrantRow>> {
        self.team_conn(|db| grant_rows(db, Some(user_id)))
    }

    /// Every grant of every user.
    pub fn all_grants(&self) -> Result<Vec<GrantRow>> {
        self.team_conn(|db| grant_rows(db, None))
    }

    /// Gives `user` `role` on `scope`, replacing the role they had there.
    pub fn grant(
        &mut self,
        user: &str,
        role: Role,
        scope: &Scope,
        entry: AuditEntry,
    ) -> Result<()> {
        self.team_write(entry, |db, entry| {
            let (user_id, scope_id, before) = held_grant(db, user, scope, entry)?;
            db.execute(
                "INSERT INTO grants (user_id, scope, scope_id, role, granted_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (user_id, scope, scope_id)
                 DO UPDATE SET role = excluded.role, granted_at = excluded.granted_at",
                &[
                    &user_id,
                    &scope.kind(),
                    &scope_id,
                    &role.as_str(),
                    &crate::write::now(),
                ],
            )?;
            entry.change = Some(json!({"before": before, "after": role.as_str()}));
            Ok(())
        })
    }

    /// Removes `user`'s grant on `scope`; with `role`, only if it is that
    /// role.
    pub fn revoke(
        &mut self,
        user: &str,
        role: Option<Role>,
        scope: &Scope,
        entry: AuditEntry,
    ) -> Result<()> {
        self.team_write(entry, |db, entry| {
            let (user_id, scope_id, held) = held_grant(db, user, scope, entry)?;
            let Some(held) = held else {
                return Err(StoreError::NotFound(format!(
                    "{user} holds no grant on {scope}"
                )));
            };
            if let Some(role) = role
                && role.as_str() != held
            {
                return Err(StoreError::Conflict(format!(
                    "{user} is {held} on {scope}, not {role}"
                )));
            }
            db.execute(
                "DELETE FROM grants WHERE user_id = ?1 AND scope = ?2 AND scope_id = ?3",
                &[&user_id, &scope.kind(), &scope_id],
            )?;
            entry.change = Some(json!({"before": held, "after": null}));
            Ok(())
        })
    }

    /// Every team with its products, by name.
    pub fn teams(&self) -> Result<Vec<TeamRow>> {
        let rows = self.team_conn(|db| {
            db.query(
                "SELECT t.name, t.created_at, p.name FROM teams t
                 LEFT JOIN products p ON p.team_id = t.id ORDER BY t.name, p.name",
                &[],
            )
        })?;
        let mut out: Vec<TeamRow> = Vec::new();
        for r in &rows {
            let name: String = r.get(0)?;
            let product: Option<String> = r.get(2)?;
            if out.last().is_none_or(|t| t.name != name) {
                out.push(TeamRow {
                    name,
                    created_at: r.get(1)?,
                    products: Vec::new(),
                });
            }
            if let (Some(p), Some(t)) = (product, out.last_mut()) {
                t.products.push(p);
            }
        }
        Ok(out)
    }

    /// Stores a new API token.
    pub fn create_token(&mut self, new: &NewToken<'_>, entry: AuditEntry) -> Result<i64> {
        self.team_write(entry, |db, entry| {
            let user_id = user_id(db, new.user)?;
            let id: i64 = sql::one(
                db,
                "INSERT INTO tokens (user_id, label, hash, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
                &[
                    &user_id,
                    &new.label,
                    &new.hash,
                    &crate::write::now(),
                    &new.expires_at,
                ],
            )?;
            entry.object = format!("token:{id}");
            entry.change = Some(json!({"after": {"user": new.user, "label": new.label, "expires_at": new.expires_at}}));
            Ok(id)
        })
    }

    /// Tokens, of one user or all, newest first.
    pub fn tokens(&self, user: Option<&str>) -> Result<Vec<TokenRow>> {
        self.team_conn(|db| {
            db.query(
                "SELECT t.id, u.name, t.label, t.created_at, t.expires_at, t.revoked_at, t.last_used_at
                 FROM tokens t JOIN users u ON u.id = t.user_id
                 WHERE CAST(?1 AS TEXT) IS NULL OR u.name = ?1 ORDER BY t.id DESC",
                &[&user],
            )?
            .iter()
            .map(|r| {
                Ok(TokenRow {
                    id: r.get(0)?,
                    user: r.get(1)?,
                    label: r.get(2)?,
                    created_at: r.get(3)?,
                    expires_at: r.get(4)?,
                    revoked_at: r.get(5)?,
                    last_used_at: r.get(6)?,
                })
            })
            .collect()
        })
    }

    /// Revokes a token for good.
    pub fn revoke_token(&mut self, id: i64, entry: AuditEntry) -> Result<()> {
        self.team_write(entry, |db, _| {
            let revoked = db
                .query_opt("SELECT revoked_at FROM tokens WHERE id = ?1", &[&id])?
                .map(|r| r.get::<Option<String>>(0))
                .transpose()?;
            match revoked {
                None => Err(StoreError::NotFound(format!("no token {id}"))),
                Some(Some(at)) => Err(StoreError::Conflict(format!(
                    "token {id} was already revoked at {at}"
                ))),
                Some(None) => {
                    db.execute(
                        "UPDATE tokens SET revoked_at = ?2 WHERE id = ?1",
                        &[&id, &crate::write::now()],
                    )?;
                    Ok(())
                }
            }
        })
    }

    /// The user a token (by the hash of its secret) acts for.
    pub fn token_owner(&self, hash: &str) -> Result<Option<TokenOwner>> {
        self.team_conn(|db| {
            db.query_opt(
                "SELECT t.id, u.id, u.name, u.disabled, t.expires_at, t.revoked_at IS NOT NULL
                 FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = ?1",
                &[&hash],
            )?
            .map(|r| {
                Ok(TokenOwner {
                    token_id: r.get(0)?,
                    user_id: r.get(1)?,
                    user: r.get(2)?,
                    disabled: r.get(3)?,
                    expires_at: r.get(4)?,
                    revoked: r.get(5)?,
                })
            })
            .transpose()
        })
    }

    /// Notes that a token was used (a read: not audited).
    pub fn touch_token(&self, id: i64) -> Result<()> {
        self.team_conn(|db| {
            db.execute(
                "UPDATE tokens SET last_used_at = ?2 WHERE id = ?1",
                &[&id, &crate::write::now()],
            )
        })?;
        Ok(())
    }

    /// Opens a web session (a login), ending the user's expired ones.
    pub fn create_session(
        &mut self,
        user_id: i64,
        hash: &str,
        expires_at: &str,
        entry: AuditEntry,
    ) -> Result<i64> {
        self.team_write(entry, |db, entry| {
            let now = crate::write::now();
            db.execute(
                "DELETE FROM sessions WHERE user_id = ?1 AND expires_at <= ?2",
                &[&user_id, &now],
            )?;
            let id: i64 = sql::one(
                db,
                "INSERT INTO sessions (hash, user_id, created_at, expires_at, client)
                 VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
                &[&hash, &user_id, &now, &expires_at, &entry.client],
            )?;
            entry.via = format!("session:{id}");
            Ok(id)
        })
    }

    /// The user a session (by the hash of its cookie) belongs to.
    pub fn session_owner(&self, hash: &str) -> Result<Option<SessionOwner>> {
        self.team_conn(|db| {
            db.query_opt(
                "SELECT s.id, u.id, u.name, u.disabled, s.expires_at
                 FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.hash = ?1",
                &[&hash],
            )?
            .map(|r| {
                Ok(SessionOwner {
                    session_id: r.get(0)?,
                    user_id: r.get(1)?,
                    user: r.get(2)?,
                    disabled: r.get(3)?,
                    expires_at: r.get(4)?,
                })
            })
            .transpose()
        })
    }

    /// Ends a session (a logout).
    pub fn end_session(&mut self, hash: &str, entry: AuditEntry) -> Result<()> {
        self.team_write(entry, |db, _| {
            db.execute("DELETE FROM sessions WHERE hash = ?1", &[&hash])?;
            Ok(())
        })
    }

    /// Records an audited event that changes nothing else (a refused login).
    pub fn record_event(&mut self, entry: AuditEntry) -> Result<()> {
        self.team_write(entry, |_, _| Ok(()))
    }
}

fn grant_rows(db: &mut dyn Db, user_id: Option<i64>) -> Result<Vec<GrantRow>> {
    let rows = db.query(
        "SELECT u.name, g.role, g.scope, g.scope_id, t.name, p.name FROM grants g
         JOIN users u ON u.id = g.user_id
         LEFT JOIN teams t ON g.scope = 'team' AND t.id = g.scope_id
         LEFT JOIN products p ON g.scope = 'product' AND p.id = g.scope_id
         WHERE CAST(?1 AS BIGINT) IS NULL OR g.user_id = ?1
         ORDER BY u.name, CASE g.scope WHEN 'global' THEN 0 WHEN 'team' THEN 1 ELSE 2 END,
                  coalesce(t.name, p.name)",
        &[&user_id],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let role: String = r.get(1)?;
        let role =
            role.parse()
                .map_err(|e: kensa_model::team::UnknownRole| StoreError::Corrupt {
                    what: "grant".into(),
                    message: e.to_string(),
                })?;
        let kind: String = r.get(2)?;
        let scope = match kind.as_str() {
            "global" => Scope::Global,
            "team" => Scope::Team(r.get::<Option<String>>(4)?.unwrap_or_default()),
            _ => Scope::Product(r.get::<Option<String>>(5)?.unwrap_or_default()),
        };
        out.push(GrantRow {
            user: user_id.is_none().then(|| r.get(0)).transpose()?,
            role,
            scope,
            scope_id: r.get(3)?,
        });
    }
    Ok(out)
}

fn user_id(db: &mut dyn Db, name: &str) -> Result<i64> {
    sql::first(db, "SELECT id FROM users WHERE name = ?1", &[&name])?
        .ok_or_else(|| StoreError::NotFound(format!("no user {name}")))
}

/// The user's and scope's ids and the role the user holds there, if any;
/// a product scope names its product in the audit entry.
fn held_grant(
    db: &mut dyn Db,
    user: &str,
    scope: &Scope,
    entry: &mut AuditEntry,
) -> Result<(i64, i64, Option<String>)> {
    let user_id = user_id(db, user)?;
    let scope_id = scope_id(db, scope)?;
    if let Scope::Product(_) = scope {
        entry.product_id = Some(scope_id);
    }
    let held = sql::first(
        db,
        "SELECT role FROM grants WHERE user_id = ?1 AND scope = ?2 AND scope_id = ?3",
        &[&user_id, &scope.kind(), &scope_id],
    )?;
    Ok((user_id, scope_id, held))
}

fn scope_id(db: &mut dyn Db, scope: &Scope) -> Result<i64> {
    match scope {
        Scope::Global => Ok(0),
        Scope::Team(t) => team_id(db, t),
        Scope::Product(p) => product_id(db, p),
    }
}
