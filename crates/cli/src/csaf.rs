//! `kensa csaf`: CSAF 2.0 documents: validation; provider trees
//! (`publish`, `check`: csaf_publish.rs, csaf_check.rs).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use kensa_report::csaf::{self, Finding, Group, Validation};
use serde::Serialize;

use crate::{OutputFormat, outln, print_json, term};

#[derive(Subcommand)]
pub enum CsafCommand {
    /// Validate CSAF 2.0 documents: the JSON schema, the mandatory tests (6.1),
    /// the optional (6.2) and the informative tests (6.3) that need no network
    #[command(
        long_about = "Validate CSAF 2.0 documents against the JSON schema and the tests of \
section 6 of the specification: every mandatory test (6.1, including the profile tests \
6.1.27.x), every optional test (6.2) and the informative tests (6.3) that need neither the \
network nor a dictionary (6.3.6, 6.3.7 and 6.3.8 are not run).\n\n\
A document is valid when neither the schema nor any mandatory test fails; optional tests \
give warnings and informative tests information. The exit status is 1 when any document \
is invalid, 0 otherwise.\n\n\
`--format json` prints a JSON array with one object per file: \
{\"file\": PATH, \"valid\": BOOL, \"results\": [{\"test\": \"6.1.1\", \"group\": \
\"schema|mandatory|optional|informative\", \"path\": JSON_POINTER, \"message\": TEXT}]}; \
schema results carry the test name \"schema\".",
        after_help = "Examples:\n  \
kensa csaf validate advisory.json\n  \
kensa csaf validate advisories/*.json --format json\n  \
kensa csaf validate advisory.json --errors-only     hide warnings and information"
    )]
    Validate(ValidateArgs),
    /// Write a CSAF trusted provider's tree (section 7): metadata, TLP and
    /// year folders, hashes, index.txt, changes.csv, ROLIE feeds, OpenPGP
    /// signatures
    #[command(
        long_about = crate::csaf_publish::LONG_ABOUT,
        after_help = crate::csaf_publish::AFTER_HELP
    )]
    Publish(crate::csaf_publish::PublishArgs),
    /// Check a provider's tree (a folder or a URL) against the distribution
    /// requirements of section 7.1
    #[command(
        long_about = crate::csaf_check::LONG_ABOUT,
        after_help = crate::csaf_check::AFTER_HELP
    )]
    Check(crate::csaf_check::CheckArgs),
}

#[derive(Args)]
pub struct ValidateArgs {
    /// CSAF documents (JSON files)
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Show only what makes a document invalid (schema and mandatory tests)
    #[arg(long)]
    errors_only: bool,
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

pub fn run(cmd: CsafCommand) -> Result<ExitCode> {
    match cmd {
        CsafCommand::Validate(args) => validate(args),
        CsafCommand::Publish(args) => crate::csaf_publish::run(args),
        CsafCommand::Check(args) => crate::csaf_check::run(args),
    }
}

/// One file's outcome in the JSON output.
#[derive(Serialize)]
struct FileResult<'a> {
    file: String,
    valid: bool,
    results: Vec<&'a Finding>,
}

fn validate(args: ValidateArgs) -> Result<ExitCode> {
    let mut outcomes: Vec<(String, Validation)> = Vec::with_capacity(args.files.len());
    for path in &args.files {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        outcomes.push((path.display().to_string(), csaf::validate_bytes(&bytes)));
    }
    let errors_only = args.errors_only;
    fn shown(v: &Validation, errors_only: bool) -> Vec<&Finding> {
        v.findings
            .iter()
            .filter(|f| !errors_only || is_error(f))
            .collect()
    }
    match args.format {
        OutputFormat::Json => {
            let results: Vec<FileResult> = outcomes
                .iter()
                .map(|(file, v)| FileResult {
                    file: file.clone(),
                    valid: v.valid(),
                    results: shown(v, errors_only),
                })
                .collect();
            print_json(&results)?;
        }
        OutputFormat::Text => {
            for (file, v) in &outcomes {
                print_text(file, v, &shown(v, errors_only));
            }
        }
    }
    let all_valid = outcomes.iter().all(|(_, v)| v.valid());
    Ok(if all_valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn is_error(f: &Finding) -> bool {
    matches!(f.group, Group::Schema | Group::Mandatory)
}

fn print_text(file: &str, v: &Validation, shown: &[&Finding]) {
    let count = |g: &[Group]| v.findings.iter().filter(|f| g.contains(&f.group)).count();
    let errors = count(&[Group::Schema, Group::Mandatory]);
    let warnings = count(&[Group::Optional]);
    let infos = count(&[Group::Informative]);
    let verdict = if v.valid() { "valid" } else { "INVALID" };
    outln!(
        "{}: {verdict} ({errors} {}, {warnings} {}, {infos} informative)",
        term::field(file),
        plural(errors, "error", "errors"),
        plural(warnings, "warning", "warnings"),
    );
    for f in shown {
        let kind = match f.group {
            Group::Schema | Group::Mandatory => "error",
            Group::Optional => "warning",
            Group::Informative => "info",
        };
        let path = if f.path.is_empty() { "/" } else { &f.path };
        outln!(
            "  {kind:<7} {:<9} {}  {}",
            f.test,
            term::field(path),
            term::field(&f.message)
        );
    }
}

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}
