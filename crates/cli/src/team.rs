//! `kensa user`, `kensa token`, `kensa team`, `kensa grant`, `kensa revoke`,
//! `kensa audit`: the team server's accounts and audit trail, from the
//! command line (as the database's operator).

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use kensa_app::{Actor, accounts};
use kensa_model::team::{Role, Scope};

use crate::{Ctx, OutputFormat, outln, print_json};

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create a user (the password is hashed with argon2id)
    #[command(after_help = "Examples:\n  \
kensa user add alice --admin                      prompts for the password\n  \
printf '%s\\n' \"$PW\" | kensa user add ci-bot --password-stdin\n  \
kensa user add uploader --no-password             API tokens only")]
    Add(UserAddArgs),
    /// List users with their grants
    List(FormatArg),
    /// Disable a user: their sessions end and their tokens stop working
    Disable(NameArg),
    /// Enable a disabled user again
    Enable(NameArg),
    /// Set a user's password
    Password(PasswordArgs),
}

#[derive(Args)]
pub struct UserAddArgs {
    /// User name (letters, digits, . _ @ -)
    name: String,
    /// A global admin: manages every product, users, teams and grants
    #[arg(long)]
    admin: bool,
    /// Read the password from the first line of standard input
    #[arg(long, conflicts_with = "no_password")]
    password_stdin: bool,
    /// No password: the user can only use API tokens
    #[arg(long)]
    no_password: bool,
}

#[derive(Args)]
pub struct NameArg {
    name: String,
}

#[derive(Args)]
pub struct PasswordArgs {
    name: String,
    /// Read the password from the first line of standard input
    #[arg(long)]
    password_stdin: bool,
}

#[derive(Args)]
pub struct FormatArg {
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user; the token is printed once, on the last line
    #[command(
        after_help = "Example:\n  TOKEN=$(kensa token create ci-bot --label \"CI uploads\" --expires 90 | tail -n 1)"
    )]
    Create(TokenCreateArgs),
    /// List tokens (never their secrets)
    List(TokenListArgs),
    /// Revoke a token for good
    Revoke(TokenRevokeArgs),
}

#[derive(Args)]
pub struct TokenCreateArgs {
    /// The user the token acts for (with their current grants)
    name: String,
    /// What the token is for
    #[arg(long, value_name = "TEXT")]
    label: Option<String>,
    /// Expire after this many days [default: never]
    #[arg(long, value_name = "DAYS")]
    expires: Option<u32>,
}

#[derive(Args)]
pub struct TokenListArgs {
    /// Only this user's tokens
    #[arg(long, value_name = "NAME")]
    user: Option<String>,
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

#[derive(Args)]
pub struct TokenRevokeArgs {
    /// The token's id (`kensa token list` shows it)
    id: i64,
}

#[derive(Subcommand)]
pub enum TeamCommand {
    /// Create a team; `kensa product add … --team TEAM` puts products in it
    Add(NameArg),
    /// List teams with their products
    List(FormatArg),
}

/// What a grant covers: exactly one of these.
#[derive(Args)]
#[group(required = true, multiple = false)]
pub struct ScopeArgs {
    /// One product
    #[arg(long, value_name = "NAME")]
    product: Option<String>,
    /// Every product of a team
    #[arg(long, value_name = "TEAM")]
    team: Option<String>,
    /// Every product (and, for admin, users and teams)
    #[arg(long)]
    global: bool,
}

impl ScopeArgs {
    fn scope(&self) -> Scope {
        match (&self.product, &self.team) {
            (Some(p), _) => Scope::Product(p.clone()),
            (None, Some(t)) => Scope::Team(t.clone()),
            (None, None) => Scope::Global,
        }
    }
}

#[derive(Args)]
#[command(after_help = "Roles, each including the ones before it:\n  \
viewer    read\n  \
analyst   answer checklists, save assessments\n  \
approver  approve verdicts, export VEX as final\n  \
admin     SBOM uploads and grants within the scope; --global admin manages everything\n\n\
A user's role on a product is the highest of their grants that cover it\n\
(the product, its team, global); grants on different teams never add up.\n\n\
Examples:\n  kensa grant alice analyst --team red\n  kensa grant bob viewer --product rtu-gateway\n  kensa grant carol admin --global")]
pub struct GrantArgs {
    user: String,
    /// viewer, analyst, approver or admin
    role: Role,
    #[command(flatten)]
    scope: ScopeArgs,
}

#[derive(Args)]
pub struct RevokeArgs {
    user: String,
    /// Only if the grant is this role
    role: Option<Role>,
    #[command(flatten)]
    scope: ScopeArgs,
}

#[derive(Args)]
pub struct AuditArgs {
    /// Only writes concerning this product
    #[arg(long, value_name = "NAME")]
    product: Option<String>,
    /// At most this many rows, newest first (0: all)
    #[arg(long, value_name = "N", default_value_t = 0)]
    limit: usize,
    #[arg(long, value_enum, default_value_t)]
    format: AuditFormat,
}

#[derive(Clone, Copy, Debug, Default, ValueEnum, PartialEq, Eq)]
pub enum AuditFormat {
    #[default]
    Text,
    Json,
    Csv,
}

pub fn run_user(ctx: &Ctx, cmd: UserCommand) -> Result<ExitCode> {
    let mut store = ctx.open_store()?;
    let actor = Actor::operator();
    match cmd {
        UserCommand::Add(a) => {
            let password = if a.no_password {
                None
            } else {
                Some(read_password(a.password_stdin, &a.name)?)
            };
            accounts::add_user(&mut store, &actor, &a.name, password.as_deref(), a.admin)?;
            if !ctx.quiet {
                let what = if a.admin { " (global admin)" } else { "" };
                outln!("user {} added{what}", a.name);
            }
        }
        UserCommand::List(f) => {
            let users = accounts::list_users(&store, &actor)?;
            if f.format == OutputFormat::Json {
                print_json(&users)?;
            } else if users.is_empty() {
                outln!("no users; `kensa user add NAME --admin` creates the first");
            } else {
                for u in &users {
                    let grants: Vec<String> = u
                        .grants
                        .iter()
                        .map(|g| format!("{} on {}", g.role, g.scope))
                        .collect();
                    outln!(
                        "{:<20} {:<9} {}",
                        crate::term::field(&u.name),
                        if u.disabled { "disabled" } else { "active" },
                        if grants.is_empty() {
                            "(no grants)".to_string()
                        } else {
                            crate::term::field(&grants.join(", ")).into_owned()
                        }
                    );
                }
            }
        }
        UserCommand::Disable(n) => {
            accounts::set_user_disabled(&mut store, &actor, &n.name, true)?;
            if !ctx.quiet {
                outln!("user {} disabled: sessions ended, tokens refused", n.name);
            }
        }
        UserCommand::Enable(n) => {
            accounts::set_user_disabled(&mut store, &actor, &n.name, false)?;
            if !ctx.quiet {
                outln!("user {} enabled", n.name);
            }
        }
        UserCommand::Password(p) => {
            let password = read_password(p.password_stdin, &p.name)?;
            accounts::set_password(&mut store, &actor, &p.name, &password)?;
            if !ctx.quiet {
                outln!("password of {} set", p.name);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The password from standard input's first line, or asked twice at the
/// terminal without echo.
fn read_password(from_stdin: bool, user: &str) -> Result<String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        let password = line.trim_end_matches(['\n', '\r']).to_string();
        if password.is_empty() {
            bail!("standard input held no password (one line is read)");
        }
        return Ok(password);
    }
    if !std::io::stdin().is_terminal() {
        bail!(
            "standard input is not a terminal, so no password can be asked\n  \
             hint: pipe it with --password-stdin, or create an API-only user with --no-password"
        );
    }
    let first = rpassword::prompt_password(format!("password for {user}: "))
        .context("reading the password")?;
    let again = rpassword::prompt_password("again: ").context("reading the password")?;
    if first != again {
        bail!("the two passwords differ");
    }
    Ok(first)
}

pub fn run_token(ctx: &Ctx, cmd: TokenCommand) -> Result<ExitCode> {
    let mut store = ctx.open_store()?;
    let actor = Actor::operator();
    match cmd {
        TokenCommand::Create(a) => {
            let created =
                accounts::create_token(&mut store, &actor, &a.name, a.label.as_deref(), a.expires)?;
            if !ctx.quiet {
                outln!(
                    "token {} for {} (expires {}); shown once, store it now:",
                    created.id,
                    created.user,
                    created.expires_at.as_deref().unwrap_or("never")
                );
            }
            outln!("{}", created.token);
        }
        TokenCommand::List(a) => {
            let tokens = accounts::list_tokens(&store, &actor, a.user.as_deref())?;
            if a.format == OutputFormat::Json {
                print_json(&tokens)?;
            } else {
                for t in &tokens {
                    let state = if t.revoked_at.is_some() {
                        "revoked".to_string()
                    } else {
                        format!("expires {}", t.expires_at.as_deref().unwrap_or("never"))
                    };
                    outln!(
                        "{:>4}  {:<16} {:<28} {}  last used {}",
                        t.id,
                        crate::term::field(&t.user),
                        crate::term::field(t.label.as_deref().unwrap_or("")),
                        state,
                        t.last_used_at.as_deref().unwrap_or("never")
                    );
                }
            }
        }
        TokenCommand::Revoke(a) => {
            accounts::revoke_token(&mut store, &actor, a.id)?;
            if !ctx.quiet {
                outln!("token {} revoked", a.id);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_team(ctx: &Ctx, cmd: TeamCommand) -> Result<ExitCode> {
    let mut store = ctx.open_store()?;
    let actor = Actor::operator();
    match cmd {
        TeamCommand::Add(n) => {
            accounts::add_team(&mut store, &actor, &n.name)?;
            if !ctx.quiet {
                outln!("team {} added", n.name);
            }
        }
        TeamCommand::List(f) => {
            let teams = accounts::list_teams(&store, &actor)?;
            if f.format == OutputFormat::Json {
                print_json(&teams)?;
            } else {
                for t in &teams {
                    outln!(
                        "{:<20} {}",
                        crate::term::field(&t.name),
                        crate::term::field(&t.products.join(", "))
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_grant(ctx: &Ctx, args: GrantArgs) -> Result<ExitCode> {
    let mut store = ctx.open_store()?;
    let scope = args.scope.scope();
    accounts::grant(
        &mut store,
        &Actor::operator(),
        &args.user,
        args.role,
        &scope,
    )?;
    if !ctx.quiet {
        outln!("{} is {} on {scope}", args.user, args.role);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_revoke(ctx: &Ctx, args: RevokeArgs) -> Result<ExitCode> {
    let mut store = ctx.open_store()?;
    let scope = args.scope.scope();
    accounts::revoke(
        &mut store,
        &Actor::operator(),
        &args.user,
        args.role,
        &scope,
    )?;
    if !ctx.quiet {
        outln!("{} no longer holds a grant on {scope}", args.user);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_audit(ctx: &Ctx, args: AuditArgs) -> Result<ExitCode> {
    let store = ctx.open_existing()?;
    let actor = Actor::operator();
    let mut rows = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let want = if args.limit == 0 {
            kensa_app::page::MAX_LIMIT
        } else {
            (args.limit - rows.len()).min(kensa_app::page::MAX_LIMIT)
        };
        let page = kensa_app::audit::read(
            &store,
            &actor,
            args.product.as_deref(),
            cursor.as_deref(),
            Some(want),
        )?;
        rows.extend(page.items);
        match page.next_cursor {
            Some(c) if args.limit == 0 || rows.len() < args.limit => cursor = Some(c),
            _ => break,
        }
    }
    match args.format {
        AuditFormat::Json => print_json(&rows)?,
        AuditFormat::Csv => {
            let mut w = csv::Writer::from_writer(std::io::stdout().lock());
            w.write_record([
                "id", "at", "actor", "via", "action", "object", "product", "client", "change",
            ])?;
            for r in &rows {
                w.write_record([
                    r.id.to_string(),
                    r.at.clone(),
                    r.actor.clone(),
                    r.via.clone(),
                    r.action.clone(),
                    r.object.clone(),
                    r.product.clone().unwrap_or_default(),
                    r.client.clone().unwrap_or_default(),
                    r.change.as_ref().map(|c| c.to_string()).unwrap_or_default(),
                ])?;
            }
            w.flush()?;
        }
        AuditFormat::Text => {
            if rows.is_empty() {
                outln!("the audit trail is empty");
            }
            for r in &rows {
                outln!(
                    "{:>6}  {}  {:<16} {:<11} {:<22} {}",
                    r.id,
                    &r.at[..r.at.len().min(19)],
                    crate::term::field(&r.actor),
                    crate::term::field(&r.via),
                    r.action,
                    crate::term::field(&r.object)
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
