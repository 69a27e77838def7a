//! `kensa serve`: the team server on the database the command line uses.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Result, bail};
use clap::Args;

use crate::Ctx;

#[derive(Args)]
#[command(
    after_help = "The server reads and writes the same database as the command line.\n\
Create the first user before logging in:\n  \
kensa user add alice --admin\n  \
kensa serve --listen 0.0.0.0:8080\n\n\
Behind a TLS-terminating reverse proxy, pass --secure-cookies (and --trust-proxy\n\
to audit the client's address from X-Forwarded-For). API clients authenticate\n\
with `Authorization: Bearer TOKEN` (`kensa token create USER`); the API is\n\
described at /api/v1/openapi.json.\n\n\
Several nodes for a whole company: start each with the same PostgreSQL --db\n\
behind any HTTP load balancer; each keeps its intelligence copies in --intel:\n  \
kensa --db postgres://kensa@db:5432/kensa --intel /var/lib/kensa/intel serve --listen 0.0.0.0:8080"
)]
pub struct ServeArgs {
    /// Address and port to listen on
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Serve HTTPS with this certificate chain (PEM); needs --tls-key
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM)
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Largest request body accepted, e.g. 64MiB, 500KB, 1048576
    #[arg(long, value_name = "SIZE", default_value = "64MiB", value_parser = crate::units::parse_limit)]
    pub max_body: usize,
    /// Mark session cookies Secure (automatic with --tls-cert)
    #[arg(long)]
    pub secure_cookies: bool,
    /// Take the client address from X-Forwarded-For (only behind a proxy you run)
    #[arg(long)]
    pub trust_proxy: bool,
    /// Seconds an SBOM upload waits for its scan before answering 202 with a job
    #[arg(long, value_name = "SECS", default_value_t = 2)]
    pub upload_wait: u64,
    /// Concurrent database connections
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub connections: usize,
    /// Seconds a node's claim on a job lasts unrenewed: another node takes over
    /// the jobs of a node that died this long after it stopped renewing
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub job_lease: u64,
    /// With a PostgreSQL --db: seconds between looks for intelligence another node published
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub intel_poll: u64,
    /// Seconds between looks for webhook events to raise (a CRA case opened, a
    /// deadline 12 hours away); one node at a time looks
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub webhook_poll: u64,
    /// The organisation VEX documents name as their author
    #[arg(long, value_name = "NAME", default_value = "Unknown author")]
    pub publisher: String,
    /// The organisation's URI (CSAF publisher namespace, OpenVEX @id base)
    #[arg(long, value_name = "URI", default_value = "urn:x-kensa:unconfigured")]
    pub publisher_namespace: String,
    /// The language model behind the product page's "Ask the model" (as for
    /// `kensa alias propose`: YAML/JSON with base_url, model, api_key or
    /// api_key_env) [default: KENSA_LLM_BASE_URL, KENSA_LLM_MODEL, …; none: no button]
    #[arg(long, value_name = "FILE")]
    pub llm_config: Option<PathBuf>,
    /// Sync the intelligence from its publishers this often (e.g. 6h), as
    /// `kensa db sync` with the source options below would; one node at a
    /// time queues it, any node runs it. Off by default (air-gapped sites
    /// import files with `kensa db import`)
    #[arg(long, value_name = "DURATION", value_parser = crate::units::parse_duration, help_heading = "Scheduled sync")]
    pub sync_every: Option<Duration>,
    #[command(flatten, next_help_heading = "Scheduled sync (with --sync-every)")]
    pub sync: crate::sync::SourceArgs,
}

pub fn config(ctx: &Ctx, args: &ServeArgs) -> Result<kensa_server::Config> {
    let mut config = kensa_server::Config::at(ctx.location()?);
    config.listen = args.listen;
    config.tls = args.tls_cert.clone().zip(args.tls_key.clone());
    config.max_body = args.max_body;
    config.secure_cookies = args.secure_cookies || config.tls.is_some();
    config.trust_proxy = args.trust_proxy;
    config.llm = match &args.llm_config {
        Some(path) => Some(kensa_logic::llm::LlmConfig::from_file(path)?),
        None => kensa_logic::llm::LlmConfig::from_env()?,
    };
    config.upload_wait = Duration::from_secs(args.upload_wait);
    if args.connections == 0 {
        bail!("--connections must be at least 1");
    }
    config.pool_size = args.connections;
    if args.job_lease == 0 || args.intel_poll == 0 || args.webhook_poll == 0 {
        bail!("--job-lease, --intel-poll and --webhook-poll must be at least 1 second");
    }
    config.webhook_poll = Duration::from_secs(args.webhook_poll);
    config.sync = args.sync_every.map(|every| kensa_server::SyncSchedule {
        every,
        plan: args.sync.plan(),
    });
    config.job_lease = Duration::from_secs(args.job_lease);
    config.intel_poll = Duration::from_secs(args.intel_poll);
    config.publisher = kensa_app::vex::Publisher {
        name: args.publisher.clone(),
        namespace: args.publisher_namespace.clone(),
    };
    Ok(config)
}

pub fn run(ctx: &Ctx, args: ServeArgs) -> Result<ExitCode> {
    let config = config(ctx, &args)?;
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let db = config.location.shown();
    let quiet = ctx.quiet;
    kensa_server::serve(config, move |addr| {
        if !quiet {
            eprintln!("kensa serve: {scheme}://{addr}/ on {db} (Ctrl-C stops)");
        }
    })?;
    Ok(ExitCode::SUCCESS)
}
