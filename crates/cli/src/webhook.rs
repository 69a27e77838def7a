//! `kensa webhook add|list|remove|deliveries`: signed notifications of the
//! CRA clocks (a case opened, a deadline 12 hours away) that `kensa serve`
//! delivers.

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use kensa_app::Actor;
use kensa_app::webhooks;

use crate::term::field;
use crate::{Ctx, OutputFormat, outln, print_json};

#[derive(Subcommand)]
pub enum WebhookCommand {
    /// Register a receiver: Kensa POSTs each event to it, signed with a shared secret
    #[command(after_help = ADD_HELP)]
    Add(AddArgs),
    /// List the receivers (their secrets are never shown again)
    List(ListArgs),
    /// Remove a receiver, its pending deliveries and its delivery log
    Remove(RemoveArgs),
    /// The delivery log, newest first: each attempt's HTTP status or error
    Deliveries(DeliveriesArgs),
}

const ADD_HELP: &str = "Events:\n  \
cra.case_opened     a CRA case opened (by Kensa on evidence of exploitation, or by a person)\n  \
cra.deadline_near   a stage report of an open case is due within 12 hours (once per stage)\n\n\
A running `kensa serve` raises the events (one node at a time, every --webhook-poll seconds) \
and delivers each as a job: an HTTP POST of JSON with the headers X-Kensa-Event, \
X-Kensa-Delivery (the event's id, the same on every retry) and X-Kensa-Signature-256: \
sha256=HEX, the HMAC-SHA256 of the exact body under the secret. A receiver that does not \
answer 2xx is tried again after 2 s, 4 s, 8 s, … (9 attempts).\n\n\
Examples:\n  \
kensa webhook add https://chat.example.com/hooks/psirt\n  \
KENSA_WEBHOOK_SECRET=… kensa webhook add https://soar.example.com/kensa --secret-env KENSA_WEBHOOK_SECRET\n  \
kensa webhook add https://pager.example.com/in --event cra.deadline_near";

#[derive(Args)]
pub struct AddArgs {
    /// The receiver's URL (http:// or https://)
    url: String,
    /// Send only this event (repeat for several); default: every event
    #[arg(long = "event", value_name = "EVENT")]
    events: Vec<String>,
    /// Read the shared secret (16 characters or more) from this environment
    /// variable; without it Kensa makes one and prints it once
    #[arg(long, value_name = "VAR")]
    secret_env: Option<String>,
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

#[derive(Args)]
pub struct ListArgs {
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

#[derive(Args)]
pub struct RemoveArgs {
    /// The receiver's id (`kensa webhook list`)
    id: i64,
}

#[derive(Args)]
pub struct DeliveriesArgs {
    /// Only this receiver's deliveries
    #[arg(long, value_name = "ID")]
    webhook: Option<i64>,
    /// How many attempts to show
    #[arg(long, value_name = "N", default_value_t = 50)]
    limit: i64,
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

pub fn run(ctx: &Ctx, cmd: WebhookCommand) -> Result<ExitCode> {
    let actor = Actor::operator();
    match cmd {
        WebhookCommand::Add(a) => {
            let mut store = ctx.open_existing()?;
            let secret = a
                .secret_env
                .as_deref()
                .map(|var| {
                    std::env::var(var)
                        .with_context(|| format!("--secret-env {var}: the variable is not set"))
                })
                .transpose()?;
            let created = webhooks::add(&mut store, &actor, &a.url, &a.events, secret)?;
            match a.format {
                OutputFormat::Json => print_json(&created)?,
                OutputFormat::Text => {
                    outln!(
                        "webhook {} → {} ({})",
                        created.webhook.id,
                        field(&created.webhook.url),
                        created.webhook.events.join(", ")
                    );
                    if a.secret_env.is_none() {
                        outln!(
                            "secret (shown once; give it to the receiver): {}",
                            created.secret
                        );
                    }
                }
            }
        }
        WebhookCommand::List(a) => {
            let store = ctx.open_existing()?;
            let hooks = webhooks::list(&store, &actor)?;
            match a.format {
                OutputFormat::Json => print_json(&hooks)?,
                OutputFormat::Text if hooks.is_empty() => outln!("no webhooks"),
                OutputFormat::Text => {
                    for h in hooks {
                        outln!(
                            "{:<4} {}  {}  (added by {} at {})",
                            h.id,
                            field(&h.url),
                            h.events.join(", "),
                            field(&h.created_by),
                            h.created_at
                        );
                    }
                }
            }
        }
        WebhookCommand::Remove(a) => {
            let mut store = ctx.open_existing()?;
            webhooks::remove(&mut store, &actor, a.id)?;
            if !ctx.quiet {
                outln!("removed webhook {}", a.id);
            }
        }
        WebhookCommand::Deliveries(a) => {
            let store = ctx.open_existing()?;
            let log = webhooks::deliveries(&store, &actor, a.webhook, a.limit)?;
            match a.format {
                OutputFormat::Json => print_json(&log)?,
                OutputFormat::Text if log.is_empty() => outln!("no deliveries"),
                OutputFormat::Text => {
                    outln!(
                        "{:<24} {:<4} {:<18} {:<24} {:>7} {:>7}  RESULT",
                        "AT",
                        "HOOK",
                        "EVENT",
                        "KEY",
                        "ATTEMPT",
                        "MS"
                    );
                    for d in log {
                        let result = match (&d.status, &d.error) {
                            (Some(s), None) => format!("HTTP {s}"),
                            (_, Some(e)) => field(e).into_owned(),
                            (None, None) => "-".into(),
                        };
                        outln!(
                            "{:<24} {:<4} {:<18} {:<24} {:>7} {:>7}  {result}",
                            d.at,
                            d.webhook_id,
                            d.event,
                            field(&d.key),
                            d.attempt,
                            d.millis
                        );
                    }
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
