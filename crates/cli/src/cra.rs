//! `kensa cra`: EU Cyber Resilience Act Article 14 case records, their
//! clocks and stage reports.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Duration, Local, Utc};
use clap::{Args, Subcommand, ValueEnum};
use kensa_app::Actor;
use kensa_app::cra::{self, CaseView, Market, OpenCase};
use kensa_report::cra::{Stage, StageReport};

use crate::{Ctx, OutputFormat, outln, print_json, term::field};

#[derive(Subcommand)]
pub enum CraCommand {
    /// Record whether a product is on the EU market, where, and until when it is supported
    #[command(after_help = "Examples:\n  \
kensa cra market rtu-gateway --on-market --member-states DE,FR,NL --support-end 2031-12-31\n  \
kensa cra market lab-tool --not-on-market")]
    Market(MarketArgs),
    /// Open a case: an actively exploited vulnerability or a severe incident
    #[command(
        long_about = "Open a case for a reporting obligation of Article 14. A vulnerability case needs \
a finding of the product version and evidence of active exploitation: CISA KEV's listing (used \
when --aware-at is left out) or yours (--aware-at TIME --source TEXT). An incident case needs \
--incident TEXT, --aware-at and --source. The product must be marked as on the EU market \
(`kensa cra market`).\n\n\
Awareness (the clocks' start) is the evidence's time, but never before the product version was \
registered in Kensa nor before 11 September 2026, when Article 14 applies. Deadlines: early \
warning 24 h and notification 72 h after awareness; the final report 14 days after a corrective \
or mitigating measure is available (`kensa cra measure`), or for an incident one month after \
the notification was submitted. Times are instants (RFC 3339, e.g. 2026-12-01T09:30:00+01:00); \
they are shown in your time zone ($TZ).",
        after_help = "Examples:\n  \
kensa cra open --vuln CVE-2014-0160 --product rtu-gateway\n  \
kensa cra open --vuln CVE-2024-1234 --product rtu-gateway --aware-at 2026-12-01T09:30:00+01:00 --source \"customer report\"\n  \
kensa cra open --incident \"ransomware on the update server\" --product rtu-gateway --aware-at 2026-12-02T07:00:00Z --source SOC"
    )]
    Open(OpenArgs),
    /// List cases with their next deadline
    #[command(
        after_help = "Examples:\n  kensa cra list\n  kensa cra list --due-within 48h --format json"
    )]
    List(ListArgs),
    /// Show a case: its clocks, deadlines and submissions
    Show(ShowArgs),
    /// Draft a stage report with the fields the reporting platform asks
    #[command(after_help = "Examples:\n  \
kensa cra report CRA-1 --stage early-warning\n  \
kensa cra report CRA-1 --stage final --format json")]
    Report(ReportArgs),
    /// Record that a stage report was submitted (the incident final report's clock starts at the notification)
    #[command(
        after_help = "Examples:\n  kensa cra submit CRA-1 --stage early-warning --at 2026-12-01T18:00:00Z --reference SRP-2026-0042"
    )]
    Submit(SubmitArgs),
    /// Record that a corrective or mitigating measure is available (the final report's clock starts)
    #[command(
        after_help = "Examples:\n  kensa cra measure CRA-1 --at 2026-12-05T12:00:00Z --text \"Firmware 2.9.0 removes the heartbeat extension\""
    )]
    Measure(MeasureArgs),
}

#[derive(Args)]
pub struct MarketArgs {
    product: String,
    /// The product is made available on the EU market
    #[arg(
        long,
        conflicts_with = "not_on_market",
        required_unless_present = "not_on_market"
    )]
    on_market: bool,
    #[arg(long)]
    not_on_market: bool,
    /// Member States where it is made available (ISO codes, comma-separated)
    #[arg(long, value_name = "CODES", value_delimiter = ',')]
    member_states: Vec<String>,
    /// End of the support period (YYYY-MM-DD)
    #[arg(long, value_name = "DATE")]
    support_end: Option<String>,
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

#[derive(Args)]
pub struct OpenArgs {
    #[arg(long, value_name = "NAME")]
    product: String,
    /// The product version [default: the newest stored]
    #[arg(long, value_name = "V")]
    version: Option<String>,
    /// The exploited vulnerability
    #[arg(
        long,
        value_name = "ID",
        conflicts_with = "incident",
        required_unless_present = "incident"
    )]
    vuln: Option<String>,
    /// A severe incident, in a few words
    #[arg(long, value_name = "TEXT")]
    incident: Option<String>,
    /// When you had the evidence (RFC 3339)
    #[arg(long, value_name = "TIME")]
    aware_at: Option<String>,
    /// Where the evidence comes from
    #[arg(long, value_name = "TEXT")]
    source: Option<String>,
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

#[derive(Args)]
pub struct ListArgs {
    /// Only cases whose next deadline is within this time (e.g. 48h, 3d, 90m); overdue included
    #[arg(long, value_name = "DURATION")]
    due_within: Option<String>,
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

#[derive(Args)]
pub struct ShowArgs {
    /// The case (CRA-12)
    case: String,
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

#[derive(Clone, Copy, ValueEnum)]
enum StageArg {
    EarlyWarning,
    Notification,
    Final,
}

impl StageArg {
    fn stage(self) -> Stage {
        match self {
            StageArg::EarlyWarning => Stage::EarlyWarning,
            StageArg::Notification => Stage::Notification,
            StageArg::Final => Stage::Final,
        }
    }
}

#[derive(Clone, Copy, Default, ValueEnum)]
enum ReportFormat {
    #[default]
    Markdown,
    Json,
    Html,
}

#[derive(Args)]
pub struct ReportArgs {
    case: String,
    #[arg(long, value_enum)]
    stage: StageArg,
    #[arg(long, value_enum, default_value_t)]
    format: ReportFormat,
}

#[derive(Args)]
pub struct SubmitArgs {
    case: String,
    #[arg(long, value_enum)]
    stage: StageArg,
    /// When it was submitted (RFC 3339)
    #[arg(long, value_name = "TIME")]
    at: String,
    /// The reporting platform's reference
    #[arg(long, value_name = "TEXT")]
    reference: String,
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

#[derive(Args)]
pub struct MeasureArgs {
    case: String,
    /// When the measure became available (RFC 3339)
    #[arg(long, value_name = "TIME")]
    at: String,
    /// What it is
    #[arg(long, value_name = "TEXT")]
    text: String,
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

fn time_arg(flag: &str, s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .with_context(|| format!("--{flag} `{s}`: not an RFC 3339 time with its offset (2026-12-01T09:30:00+01:00 or …Z)"))
}

/// `48h`, `3d`, `90m`.
fn duration_arg(s: &str) -> Result<Duration> {
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = n
        .parse()
        .with_context(|| format!("--due-within `{s}`: a number then h, d or m (48h)"))?;
    Ok(match unit {
        "h" => Duration::hours(n),
        "d" => Duration::days(n),
        "m" => Duration::minutes(n),
        _ => bail!("--due-within `{s}`: a number then h, d or m (48h)"),
    })
}

/// An instant in the user's zone.
fn local(t: &DateTime<Utc>) -> String {
    t.with_timezone(&Local)
        .format("%Y-%m-%d %H:%M %Z")
        .to_string()
}

fn local_str(s: &str) -> String {
    DateTime::parse_from_rfc3339(s)
        .map_or_else(|_| s.to_string(), |t| local(&t.with_timezone(&Utc)))
}

pub fn run(ctx: &Ctx, cmd: CraCommand) -> Result<ExitCode> {
    let actor = Actor::operator();
    let now = Utc::now();
    match cmd {
        CraCommand::Market(a) => {
            let mut store = ctx.open_existing()?;
            let m = Market {
                on_market: a.on_market,
                member_states: a.member_states,
                support_end: a.support_end,
            };
            let row = cra::set_market(&mut store, &actor, &a.product, &m)?;
            announce_opened(&store, now, ctx.quiet);
            match a.format {
                OutputFormat::Json => print_json(&row)?,
                OutputFormat::Text if row.on_market => outln!(
                    "{} is on the EU market in {}{}",
                    field(&a.product),
                    row.member_states.join(", "),
                    row.support_end
                        .map_or(String::new(), |d| format!("; supported until {d}"))
                ),
                OutputFormat::Text => outln!("{} is not on the EU market", field(&a.product)),
            }
        }
        CraCommand::Open(a) => {
            let mut store = ctx.open_existing()?;
            let aware_at = a
                .aware_at
                .as_deref()
                .map(|t| time_arg("aware-at", t))
                .transpose()?;
            let req = OpenCase {
                product: &a.product,
                version: a.version.as_deref(),
                vulnerability: a.vuln.as_deref(),
                incident: a.incident.as_deref(),
                aware_at,
                source: a.source.as_deref(),
            };
            let case = cra::open(&mut store, &actor, &req, now)?;
            print_case(&case, a.format)?;
        }
        CraCommand::List(a) => {
            let store = ctx.open_existing()?;
            let within = a.due_within.as_deref().map(duration_arg).transpose()?;
            let cases = cra::list(&store, &actor, within, now)?;
            match a.format {
                OutputFormat::Json => print_json(&cases)?,
                OutputFormat::Text => print_list(&cases, now),
            }
        }
        CraCommand::Show(a) => {
            let store = ctx.open_existing()?;
            print_case(&cra::show(&store, &actor, &a.case)?, a.format)?;
        }
        CraCommand::Report(a) => {
            let store = ctx.open_existing()?;
            let (case, report) = cra::report(&store, &actor, &a.case, a.stage.stage())?;
            match a.format {
                ReportFormat::Json => {
                    print_json(&serde_json::json!({"case": case, "report": report}))?
                }
                ReportFormat::Markdown => crate::emit(&report_markdown(&case, &report)),
                ReportFormat::Html => crate::emit(&report_html(&case, &report)),
            }
        }
        CraCommand::Submit(a) => {
            let mut store = ctx.open_existing()?;
            let at = time_arg("at", &a.at)?;
            let case = cra::submit(
                &mut store,
                &actor,
                &a.case,
                a.stage.stage(),
                at,
                &a.reference,
                now,
            )?;
            print_case(&case, a.format)?;
        }
        CraCommand::Measure(a) => {
            let mut store = ctx.open_existing()?;
            let at = time_arg("at", &a.at)?;
            let case = cra::measure(&mut store, &actor, &a.case, at, &a.text, now)?;
            print_case(&case, a.format)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Tells the user on stderr about the cases Kensa opened itself since
/// `since`: their Article 14 clocks run from now on.
pub fn announce_opened(store: &kensa_store::Store, since: DateTime<Utc>, quiet: bool) {
    if quiet {
        return;
    }
    let opened = match cra::opened_automatically_since(store, &Actor::operator(), since) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("warning: could not read the CRA cases: {e}");
            return;
        }
    };
    for c in opened {
        let due = c.next.as_ref().map_or(String::new(), |n| {
            format!(
                "; {} due {}",
                n.stage.as_str().replace('-', " "),
                local(&n.due)
            )
        });
        eprintln!(
            "CRA: opened {} for {} {}: {} is actively exploited ({}){due}\n  see `kensa cra show {}`",
            c.id,
            field(&c.product),
            field(&c.version),
            subject(&c),
            c.source,
            c.id
        );
    }
}

fn subject(c: &CaseView) -> String {
    c.vulnerability
        .clone()
        .or_else(|| c.summary.clone())
        .unwrap_or_default()
}

fn print_list(cases: &[CaseView], now: DateTime<Utc>) {
    if cases.is_empty() {
        outln!("no cases");
        return;
    }
    outln!(
        "{:<8} {:<24} {:<20} {:<14} {:<24} NOTE",
        "CASE",
        "PRODUCT",
        "SUBJECT",
        "NEXT",
        "DUE"
    );
    for c in cases {
        let (next, due, note) = match &c.next {
            Some(n) => {
                let left = n.due - now;
                let note = if left < Duration::zero() {
                    format!("overdue by {} h", -left.num_hours())
                } else {
                    format!("in {} h", left.num_hours())
                };
                (n.stage.as_str().to_string(), local(&n.due), note)
            }
            None if c.submissions.len() == 3 => {
                ("-".into(), "-".into(), "all reports submitted".into())
            }
            None => ("final".into(), "-".into(), "waiting for a measure".into()),
        };
        outln!(
            "{:<8} {:<24} {:<20} {:<14} {:<24} {}",
            c.id,
            field(&format!("{} {}", c.product, c.version)),
            field(&subject(c)),
            next,
            due,
            note
        );
    }
}

fn print_case(c: &CaseView, format: OutputFormat) -> Result<()> {
    if format == OutputFormat::Json {
        return print_json(c);
    }
    outln!(
        "{}: {} in {} {}",
        c.id,
        field(&subject(c)),
        field(&c.product),
        field(&c.version)
    );
    outln!("  kind       {}", c.kind.as_str());
    outln!(
        "  evidence   {} ({})",
        local_str(&c.evidence_at),
        field(&c.source)
    );
    outln!("  awareness  {}", local_str(&c.awareness_at));
    if let (Some(at), Some(m)) = (&c.measure_at, &c.measure) {
        outln!("  measure    {}: {}", local_str(at), field(m));
    }
    for d in &c.deadlines {
        let due = d.due.as_ref().map_or_else(
            || format!("not started: waiting for {}", d.waiting_for.unwrap_or("")),
            local,
        );
        let sub = c
            .submissions
            .iter()
            .find(|s| s.stage == d.stage.as_str())
            .map_or(String::new(), |s| {
                format!(
                    "  submitted {} ({})",
                    local_str(&s.submitted_at),
                    field(&s.reference)
                )
            });
        outln!("  {:<13} due {due}{sub}", d.stage.as_str());
    }
    Ok(())
}

fn report_markdown(c: &CaseView, r: &StageReport) -> String {
    let mut out = format!(
        "# CRA Article 14 {} report: {} ({} {} {})\n\nField list: {}. Fields marked *to be completed* need a person.\n\n",
        r.stage.as_str(),
        c.id,
        subject(c),
        c.product,
        c.version,
        r.fields_version
    );
    if let Some(d) = c
        .deadlines
        .iter()
        .find(|d| d.stage == r.stage)
        .and_then(|d| d.due)
    {
        out.push_str(&format!("Due: {} ({})\n\n", d.to_rfc3339(), local(&d)));
    }
    for f in &r.fields {
        let value = match (&f.value, f.over_limit) {
            (Some(v), Some(n)) => format!(
                "{v}\n\n> **Too long:** {n} characters; the limit is {}.",
                f.max_chars
            ),
            (Some(v), None) => v.clone(),
            (None, _) => "*to be completed*".into(),
        };
        out.push_str(&format!(
            "## {} (`{}`, at most {} characters)\n\n{}\n\n",
            f.label, f.id, f.max_chars, value
        ));
    }
    out
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn report_html(c: &CaseView, r: &StageReport) -> String {
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>{} {} report</title></head>\n<body>\n<h1>CRA Article 14 {} report: {}</h1>\n<p>{} in {} {}. Field list: {}.</p>\n<dl>\n",
        esc(&c.id),
        r.stage.as_str(),
        r.stage.as_str(),
        esc(&c.id),
        esc(&subject(c)),
        esc(&c.product),
        esc(&c.version),
        esc(&r.fields_version)
    );
    for f in &r.fields {
        let value = match (&f.value, f.over_limit) {
            (Some(v), Some(n)) => format!(
                "{}<br><strong>Too long:</strong> {n} characters; the limit is {}.",
                esc(v),
                f.max_chars
            ),
            (Some(v), None) => esc(v),
            (None, _) => "<em>to be completed</em>".into(),
        };
        out.push_str(&format!(
            "<dt>{} <small>({}, at most {} characters)</small></dt><dd>{value}</dd>\n",
            esc(&f.label),
            esc(&f.id),
            f.max_chars
        ));
    }
    out.push_str("</dl>\n</body>\n</html>\n");
    out
}
