//! Accounts: users, teams, grants, API tokens, and logging in.

use chrono::{Duration, Utc};
use kensa_model::team::{Role, Scope};
use kensa_store::Store;
use kensa_store::team::{GrantRow, NewToken, TeamRow, TokenRow, UserRow};
use serde::Serialize;

use crate::access::{self, Actor, require_global_admin};
use crate::secret;
use crate::{AppError, Result};

/// How long a web session lasts.
pub const SESSION_HOURS: i64 = 12;
/// Longest token lifetime `--expires` accepts, in days.
pub const MAX_TOKEN_DAYS: u32 = 3650;

/// Names of users and teams: what shows in URLs, lists and the audit trail.
pub fn check_name(field: &str, name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._@-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(AppError::invalid(
            field,
            format!("`{name}` is not a valid name: use 1 to 64 letters, digits, and . _ @ -"),
        ))
    }
}

/// Creates a user; `password` may be `None` for an API-only account.
pub fn add_user(
    store: &mut Store,
    actor: &Actor,
    name: &str,
    password: Option<&str>,
    admin: bool,
) -> Result<()> {
    require_global_admin(actor, "adding users")?;
    check_name("name", name)?;
    let hash = password.map(secret::hash_password).transpose()?;
    store.create_user(
        name,
        hash.as_deref(),
        admin,
        actor.entry("user.add", format!("user:{name}")),
    )?;
    Ok(())
}

pub fn list_users(store: &Store, actor: &Actor) -> Result<Vec<UserRow>> {
    require_global_admin(actor, "listing users")?;
    Ok(store.users()?)
}

/// Disables (or re-enables) a user: their sessions end and their tokens
/// stop working.
pub fn set_user_disabled(
    store: &mut Store,
    actor: &Actor,
    name: &str,
    disabled: bool,
) -> Result<()> {
    require_global_admin(actor, "disabling users")?;
    let action = if disabled {
        "user.disable"
    } else {
        "user.enable"
    };
    store.set_user_disabled(name, disabled, actor.entry(action, format!("user:{name}")))?;
    Ok(())
}

/// Sets a user's password.
pub fn set_password(store: &mut Store, actor: &Actor, name: &str, password: &str) -> Result<()> {
    if actor.name != name {
        require_global_admin(actor, "setting another user's password")?;
    }
    let hash = secret::hash_password(password)?;
    store.set_password(
        name,
        &hash,
        actor.entry("user.password", format!("user:{name}")),
    )?;
    Ok(())
}

/// A token just created: the secret is shown this once.
#[derive(Debug, Clone, Serialize)]
pub struct CreatedToken {
    pub id: i64,
    pub user: String,
    pub expires_at: Option<String>,
    pub token: String,
}

/// Creates an API token for `user`; it acts with the user's grants.
pub fn create_token(
    store: &mut Store,
    actor: &Actor,
    user: &str,
    label: Option<&str>,
    expires_days: Option<u32>,
) -> Result<CreatedToken> {
    if actor.name != user {
        require_global_admin(actor, "creating tokens for another user")?;
    }
    if let Some(days) = expires_days
        && !(1..=MAX_TOKEN_DAYS).contains(&days)
    {
        return Err(AppError::invalid(
            "expires",
            format!("{days} days is out of range; give 1 to {MAX_TOKEN_DAYS}"),
        ));
    }
    if let Some(l) = label
        && l.chars().count() > 200
    {
        return Err(AppError::invalid("label", "longer than 200 characters"));
    }
    let expires_at = expires_days.map(|d| rfc3339(Utc::now() + Duration::days(i64::from(d))));
    let (token, hash) = secret::new_token()?;
    let id = store.create_token(
        &NewToken {
            user,
            label,
            hash: &hash,
            expires_at: expires_at.as_deref(),
        },
        actor.entry("token.create", "token"),
    )?;
    Ok(CreatedToken {
        id,
        user: user.to_string(),
        expires_at,
        token,
    })
}

pub fn list_tokens(store: &Store, actor: &Actor, user: Option<&str>) -> Result<Vec<TokenRow>> {
    match user {
        Some(u) if u == actor.name => {}
        _ => require_global_admin(actor, "listing other users' tokens")?,
    }
    Ok(store.tokens(user)?)
}

pub fn revoke_token(store: &mut Store, actor: &Actor, id: i64) -> Result<()> {
    let own = store.tokens(Some(&actor.name))?.iter().any(|t| t.id == id);
    if !own {
        require_global_admin(actor, "revoking another user's token")?;
    }
    store.revoke_token(id, actor.entry("token.revoke", format!("token:{id}")))?;
    Ok(())
}

pub fn add_team(store: &mut Store, actor: &Actor, name: &str) -> Result<()> {
    require_global_admin(actor, "adding teams")?;
    check_name("name", name)?;
    store.create_team(name, actor.entry("team.add", format!("team:{name}")))?;
    Ok(())
}

/// The teams the actor may see: all for global grants, else their own.
pub fn list_teams(store: &Store, actor: &Actor) -> Result<Vec<TeamRow>> {
    let teams = store.teams()?;
    if actor.global_role().is_some() {
        return Ok(teams);
    }
    let mine: Vec<&str> = actor
        .grants()
        .iter()
        .filter_map(|g| match &g.scope {
            Scope::Team(t) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    Ok(teams
        .into_iter()
        .filter(|t| mine.contains(&t.name.as_str()))
        .collect())
}

/// Checks that the actor administers `scope`: global admins everything,
/// a team's admins the team and its products, a product's admins the
/// product. Out-of-sight products and teams are not found.
fn require_scope_admin(store: &Store, actor: &Actor, scope: &Scope) -> Result<()> {
    match scope {
        Scope::Global => require_global_admin(actor, "a global grant"),
        Scope::Team(t) => {
            let id = store.team_id(t)?;
            match actor.role_on_team(id) {
                Some(Role::Admin) => Ok(()),
                Some(r) => Err(AppError::Forbidden(format!(
                    "grants on team {t} need the admin role on it; you are {r}"
                ))),
                None => Err(AppError::NotFound(format!("no team {t}"))),
            }
        }
        Scope::Product(p) => access::product(store, actor, p, Role::Admin).map(|_| ()),
    }
}

pub fn grant(
    store: &mut Store,
    actor: &Actor,
    user: &str,
    role: Role,
    scope: &Scope,
) -> Result<()> {
    require_scope_admin(store, actor, scope)?;
    store.grant(
        user,
        role,
        scope,
        actor.entry("grant.add", format!("user:{user}")),
    )?;
    Ok(())
}

pub fn revoke(
    store: &mut Store,
    actor: &Actor,
    user: &str,
    role: Option<Role>,
    scope: &Scope,
) -> Result<()> {
    require_scope_admin(store, actor, scope)?;
    store.revoke(
        user,
        role,
        scope,
        actor.entry("grant.remove", format!("user:{user}")),
    )?;
    Ok(())
}

/// Every grant, for global admins.
pub fn list_grants(store: &Store, actor: &Actor) -> Result<Vec<GrantRow>> {
    require_global_admin(actor, "listing grants")?;
    Ok(store.all_grants()?)
}

// ---- authentication -----------------------------------------------------

/// The actor behind an API token (`Authorization: Bearer TOKEN`).
pub fn authenticate_token(store: &Store, token: &str, client: Option<String>) -> Result<Actor> {
    let refused = || AppError::Unauthenticated("the token is invalid, revoked or expired".into());
    if !token.starts_with(secret::TOKEN_PREFIX) || token.len() > 200 {
        return Err(refused());
    }
    let owner = store
        .token_owner(&secret::digest(token))?
        .ok_or_else(refused)?;
    let expired = owner
        .expires_at
        .as_deref()
        .is_some_and(|e| e <= rfc3339(Utc::now()).as_str());
    if owner.revoked || owner.disabled || expired {
        return Err(refused());
    }
    store.touch_token(owner.token_id)?;
    Actor::user(
        store,
        owner.user_id,
        &owner.user,
        format!("token:{}", owner.token_id),
        client,
    )
}

/// A web session just opened: the cookie's secret and when it expires.
pub struct Login {
    pub secret: String,
    pub expires_at: String,
    pub actor: Actor,
}

/// Checks a user name and password and opens a session. Failed attempts
/// are audited too; the message never says which of the two was wrong.
pub fn login(
    store: &mut Store,
    name: &str,
    password: &str,
    client: Option<String>,
) -> Result<Login> {
    let refused = || AppError::Unauthenticated("wrong user name or password".into());
    let user = store.user_auth(name)?;
    let ok = match &user {
        Some(u) => match u.password_hash.as_deref() {
            Some(h) => secret::verify_password(password, h),
            // An API-only account: refuse in the time a check takes.
            None => {
                secret::burn_password_check(password);
                false
            }
        },
        None => {
            secret::burn_password_check(password);
            false
        }
    };
    let Some(user) = user.filter(|u| ok && !u.disabled) else {
        let mut entry =
            Actor::anonymous(client).entry("login.failed", format!("user:{}", truncate(name)));
        entry.actor = truncate(name);
        store.record_event(entry)?;
        return Err(refused());
    };
    let secret = secret::new_secret()?;
    let expires_at = rfc3339(Utc::now() + Duration::hours(SESSION_HOURS));
    let mut entry = Actor::anonymous(client.clone()).entry("login", format!("user:{}", user.name));
    entry.actor = user.name.clone();
    let session = store.create_session(user.id, &secret::digest(&secret), &expires_at, entry)?;
    let actor = Actor::user(
        store,
        user.id,
        &user.name,
        format!("session:{session}"),
        client,
    )?;
    Ok(Login {
        secret,
        expires_at,
        actor,
    })
}

/// The actor behind a session cookie.
pub fn session_actor(store: &Store, secret: &str, client: Option<String>) -> Result<Actor> {
    let refused = || AppError::Unauthenticated("the session has ended; log in again".into());
    if secret.len() > 100 {
        return Err(refused());
    }
    let owner = store
        .session_owner(&secret::digest(secret))?
        .ok_or_else(refused)?;
    if owner.disabled || owner.expires_at <= rfc3339(Utc::now()) {
        return Err(refused());
    }
    Actor::user(
        store,
        owner.user_id,
        &owner.user,
        format!("session:{}", owner.session_id),
        client,
    )
}

pub fn logout(store: &mut Store, actor: &Actor, secret: &str) -> Result<()> {
    store.end_session(
        &secret::digest(secret),
        actor.entry("logout", format!("user:{}", actor.name)),
    )?;
    Ok(())
}

fn rfc3339(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A name as typed at the login form, bounded for the audit trail.
fn truncate(name: &str) -> String {
    name.chars().take(64).collect()
}
