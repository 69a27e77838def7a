//! `kensa alias propose`: a language model's proposal of the product each
//! unresolved component is, chosen among the database's products, shown
//! with its reasoning and the `kensa alias add` command that confirms it.
//! Nothing is stored: a proposal is a suggestion until a person confirms it.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use kensa_app::Actor;
use kensa_app::proposals::{self, Proposal, Proposals, ProposeOptions, Unresolved};
use kensa_logic::llm::LlmConfig;
use kensa_logic::propose::{ComponentFacts, Outcome};

use crate::term::field;
use crate::{Ctx, OutputFormat, outln, print_json};

pub const PROPOSE_EXAMPLES: &str = "Examples:\n  \
KENSA_LLM_BASE_URL=http://127.0.0.1:8080/v1 KENSA_LLM_MODEL=qwen2.5-7b-instruct \\\n    \
kensa alias propose --product gateway\n  \
kensa alias propose --product gateway --version 2.1 --llm-config llm.yaml --format json\n  \
kensa alias propose --sbom firmware.cdx.json --jobs 2\n\n\
For each component nothing resolves, the model is shown the component (name, version, purl, \
supplier, group) and a shortlist of CPE vendor:product pairs from the database (the nearest \
names, products sharing a word of the name, products of the vendor the supplier or purl \
namespace names), and must choose one of them or none. An answer naming a pair the database \
does not hold is rejected. Nothing is stored and no finding changes: confirm a proposal with \
the `kensa alias add` command shown under it. The model is configured as for \
`kensa logic extract --extractor llm`: --llm-config FILE, or KENSA_LLM_BASE_URL, \
KENSA_LLM_MODEL, KENSA_LLM_API_KEY and KENSA_LLM_TIMEOUT_SECS (docs/MATCHING.md). \
Exits 1 when a request failed (the other components are still shown).";

#[derive(Args)]
pub struct ProposeArgs {
    /// A stored product: its unresolved components are asked about
    #[arg(
        long,
        value_name = "NAME",
        required_unless_present = "sbom",
        conflicts_with = "sbom"
    )]
    product: Option<String>,
    /// The product's version [default: the newest]
    #[arg(long, value_name = "V", requires = "product")]
    version: Option<String>,
    /// An SBOM file instead: it is scanned and its unresolved components asked about
    #[arg(long, value_name = "FILE")]
    sbom: Option<PathBuf>,
    /// LLM endpoint settings (YAML/JSON: base_url, model, api_key or
    /// api_key_env, timeout_secs) [default: KENSA_LLM_BASE_URL,
    /// KENSA_LLM_MODEL, KENSA_LLM_API_KEY, KENSA_LLM_TIMEOUT_SECS]
    #[arg(long, value_name = "FILE")]
    llm_config: Option<PathBuf>,
    /// Candidates from the database shown to the model per component
    #[arg(long, value_name = "N", default_value_t = kensa_matching::shortlist::DEFAULT_SHORTLIST)]
    shortlist: usize,
    /// Requests to the model in flight at once
    #[arg(long, value_name = "N", default_value_t = 4)]
    jobs: usize,
    /// Components asked about at most (the rest are counted)
    #[arg(long, value_name = "N", default_value_t = 200)]
    limit: usize,
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

pub fn run(ctx: &Ctx, a: ProposeArgs) -> Result<ExitCode> {
    let config = match &a.llm_config {
        Some(path) => LlmConfig::from_file(path)?,
        None => LlmConfig::from_env()?.context(
            "`kensa alias propose` needs a language model: give --llm-config FILE (base_url, model, \
             api_key or api_key_env) or set KENSA_LLM_BASE_URL and KENSA_LLM_MODEL, as for \
             `kensa logic extract --extractor llm` (any OpenAI-compatible endpoint; docs/MATCHING.md)",
        )?,
    };
    let store = ctx.open_existing()?;
    let components = match (&a.product, &a.sbom) {
        (Some(product), _) => proposals::unresolved_of_product(
            &store,
            &Actor::operator(),
            product,
            a.version.as_deref(),
        )?,
        (None, Some(path)) => {
            let database = crate::database::DatabaseInfo::of(&store)?;
            database.require_vulnerability_data("proposing")?;
            let (sbom, report) = crate::scan::scan_sbom(&store, path, false, 0.0, ctx.quiet)?;
            report
                .unresolved
                .into_iter()
                .map(|u| {
                    let c = sbom
                        .components
                        .iter()
                        .find(|c| c.bom_ref == u.component.bom_ref);
                    Unresolved {
                        bom_ref: u.component.bom_ref,
                        facts: ComponentFacts {
                            name: u.component.name,
                            version: u.component.version,
                            purl: u.component.purl,
                            supplier: c.and_then(|c| {
                                c.supplier.clone().or_else(|| c.manufacturer.clone())
                            }),
                            group: c.and_then(|c| c.group.clone()),
                            description: None,
                        },
                    }
                })
                .collect()
        }
        (None, None) => anyhow::bail!("give --product NAME or --sbom FILE"),
    };
    let opts = ProposeOptions {
        shortlist: a.shortlist,
        jobs: a.jobs,
        limit: a.limit,
    };
    let bar = progress_bar(ctx.quiet, components.len().min(a.limit));
    let result = proposals::propose(&store, components, &config, &opts, |done, _, p| {
        if let Some(bar) = &bar {
            bar.set_position(done as u64);
            bar.set_message(p.component.name.clone());
        }
        if let Outcome::Rejected { why, .. } = &p.outcome
            && !ctx.quiet
        {
            let line = format!(
                "warning: {}: rejected: {}",
                field(&p.component.name),
                field(why)
            );
            match &bar {
                Some(bar) => bar.println(line),
                None => eprintln!("{line}"),
            }
        }
    })?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if a.format == OutputFormat::Json {
        print_json(&result)?;
    } else {
        print_text(ctx, &result);
    }
    let failed = result
        .proposals
        .iter()
        .any(|p| matches!(p.outcome, Outcome::Failed { .. }));
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn progress_bar(quiet: bool, total: usize) -> Option<ProgressBar> {
    if quiet || total == 0 || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template("asking the model [{bar:30}] {pos}/{len} {msg}")
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    Some(bar)
}

fn print_text(ctx: &Ctx, result: &Proposals) {
    if result.proposals.is_empty() {
        if !ctx.quiet {
            outln!("no unresolved components: nothing to propose");
        }
        return;
    }
    let mut counts = [0usize; 5];
    for p in &result.proposals {
        outln!("{}", heading(p));
        let (slot, lines) = describe(p);
        counts[slot] += 1;
        for l in lines {
            outln!("  {l}");
        }
    }
    if !ctx.quiet {
        outln!(
            "{} components asked about ({}): {} proposed, {} without a proposal, {} rejected, {} without candidates, {} failed{}",
            result.proposals.len(),
            field(&result.model),
            counts[0],
            counts[1],
            counts[2],
            counts[3],
            counts[4],
            if result.not_asked > 0 {
                format!("; {} more not asked (--limit)", result.not_asked)
            } else {
                String::new()
            }
        );
        outln!(
            "a proposal is not a finding: nothing changes until a person confirms it with the command shown"
        );
    }
}

/// `lightttpd 1.4.35 (pkg:generic/lightttpd@1.4.35)`
fn heading(p: &Proposal) -> String {
    let mut s = field(&p.component.name).into_owned();
    if let Some(v) = &p.component.version {
        s.push_str(&format!(" {}", field(v)));
    }
    if let Some(purl) = &p.component.purl {
        s.push_str(&format!(" ({})", field(purl)));
    }
    s
}

/// The count the outcome falls under, and its lines.
fn describe(p: &Proposal) -> (usize, Vec<String>) {
    match &p.outcome {
        Outcome::Proposed {
            vendor,
            product,
            confidence,
            reasoning,
            on_shortlist,
        } => {
            let mut lines = vec![format!(
                "proposed: {}:{} (confidence {confidence:.2}{})",
                field(vendor),
                field(product),
                if *on_shortlist {
                    ""
                } else {
                    "; in the database, not on the shortlist"
                }
            )];
            lines.push(format!("reasoning: {}", field(reasoning)));
            if let Some(c) = &p.confirm {
                lines.push(format!("confirm: {}", field(c)));
            }
            (0, lines)
        }
        Outcome::NoProposal { reasoning } => (
            1,
            vec![format!(
                "no proposal: none of the {} candidates{}",
                p.shortlist.len(),
                if reasoning.is_empty() {
                    String::new()
                } else {
                    format!(": {}", field(reasoning))
                }
            )],
        ),
        Outcome::Rejected { reasoning, why, .. } => (
            2,
            vec![
                format!("rejected: {}", field(why)),
                format!("reasoning: {}", field(reasoning)),
            ],
        ),
        Outcome::NoCandidates => (
            3,
            vec!["no candidates: no product in the database is near this name (not asked)".into()],
        ),
        Outcome::Failed { error } => (4, vec![format!("failed: {}", field(error))]),
    }
}
