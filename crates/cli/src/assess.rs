//! `kensa checklist`, `kensa assess`, `kensa vex`: a vulnerability's
//! trigger conditions as questions, the answers as a verdict, the verdict
//! as VEX; and `kensa scan --vex`, others' VEX applied to findings.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use kensa_logic::Conditions;
use kensa_logic::checklist::{self, Lang};
use kensa_logic::llm::{self, LlmConfig};
use kensa_logic::verdict::{Status, Verdict, evaluate};
use kensa_logic::vex::apply::{Decision, FindingKey, decide};
use kensa_logic::vex::read::Statement;
use kensa_logic::vex::write::{Issuer, Subject, VexFormat};
use kensa_matching::{Finding, ScanReport};
use kensa_model::{Sbom, VulnRecord};
use kensa_store::Store;
use serde::Serialize;

use crate::scan::ScanFormat;
use crate::{Ctx, OutputFormat, outln, print_json};

/// Where the condition tree comes from.
#[derive(Args)]
pub struct TreeSource {
    /// A vulnerability id in the database (CVE-…, GHSA-…, …)
    #[arg(value_name = "ID", required_unless_present_any = ["record", "conditions"], conflicts_with_all = ["record", "conditions"])]
    id: Option<String>,
    /// A vulnerability record file instead (NVD, CVE JSON 5, OSV, CSAF)
    #[arg(long, value_name = "FILE", conflicts_with = "conditions")]
    record: Option<PathBuf>,
    /// A kensa.conditions/v1 document instead (e.g. an edited tree)
    #[arg(long, value_name = "FILE")]
    conditions: Option<PathBuf>,
    /// Which extractor builds the tree from the record
    #[arg(long, value_enum, default_value_t)]
    extractor: Extractor,
    /// LLM settings file (YAML/JSON: base_url, model, api_key or api_key_env,
    /// timeout_secs) [default: KENSA_LLM_BASE_URL, KENSA_LLM_MODEL, KENSA_LLM_API_KEY]
    #[arg(long, value_name = "FILE")]
    llm_config: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, Default, ValueEnum, PartialEq, Eq)]
pub enum Extractor {
    /// Offline, deterministic rules
    #[default]
    Rules,
    /// An OpenAI-compatible chat-completions API; falls back to rules on any failure
    Llm,
}

#[derive(Args)]
pub struct ChecklistArgs {
    #[command(flatten)]
    source: TreeSource,
    /// Pre-answer the questions this product's data decides (its SBOM and
    /// findings; with --facts, --build-config, --profile also those): each
    /// question gets "auto": {answer, source, evidence}
    #[arg(long, value_name = "NAME", conflicts_with_all = ["record", "conditions", "extractor"])]
    product: Option<String>,
    #[command(flatten)]
    data: crate::auto::ProductDataArgs,
    /// Language of the questions and hints
    #[arg(long, value_enum, default_value_t)]
    lang: LangArg,
    #[arg(long, value_enum, default_value_t)]
    format: ChecklistFormat,
}

#[derive(Clone, Copy, Debug, Default, ValueEnum, PartialEq, Eq)]
pub enum LangArg {
    #[default]
    En,
    Ja,
}

#[derive(Clone, Copy, Debug, Default, ValueEnum, PartialEq, Eq)]
pub enum ChecklistFormat {
    #[default]
    Markdown,
    Html,
    Json,
}

#[derive(Args)]
pub struct AssessArgs {
    #[command(flatten)]
    source: TreeSource,
    /// The answers: YAML or JSON, condition id → yes / no / unknown; with
    /// --auto they override the automatic answers
    #[arg(long, value_name = "FILE", required_unless_present = "auto")]
    answers: Option<PathBuf>,
    /// Store the verdict as this product's assessment (a new revision, in
    /// its history and the audit trail); needs the vulnerability's id
    #[arg(long, value_name = "NAME", conflicts_with_all = ["record", "conditions", "extractor"])]
    product: Option<String>,
    /// Answer from the product's data first (SBOM and findings; --facts,
    /// --build-config, --profile): the verdict notes each automatic answer
    /// and its source; --answers given by a person override them
    #[arg(long, requires = "product")]
    auto: bool,
    #[command(flatten)]
    data: crate::auto::ProductDataArgs,
    /// A note stored with the assessment
    #[arg(long, value_name = "TEXT", requires = "product")]
    note: Option<String>,
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

#[derive(Args)]
pub struct VexArgs {
    #[command(flatten)]
    source: TreeSource,
    /// The answers: YAML or JSON, condition id → yes / no / unknown
    #[arg(long, value_name = "FILE")]
    answers: PathBuf,
    /// The product the statement is about
    #[arg(long, value_name = "NAME")]
    product: String,
    /// Its version. Without --purl this pins the statement to the version;
    /// with --purl the purl decides: `pkg:…/name` carries the decision over
    /// upgrades, `pkg:…/name@1.2` pins it
    #[arg(long, value_name = "VERSION")]
    product_version: Option<String>,
    /// Its package URL, which lets scanners match the statement
    #[arg(long, value_name = "PURL")]
    purl: Option<String>,
    #[arg(long, value_enum)]
    format: VexFormatArg,
    /// Who makes the statement
    #[arg(long, default_value = "Unknown author", value_name = "NAME")]
    author: String,
    /// The author's URI (CSAF publisher namespace, OpenVEX document @id base)
    #[arg(long, default_value = "urn:x-kensa:unconfigured", value_name = "URI")]
    namespace: String,
    /// What to do when affected (OpenVEX action statement, CSAF remediation)
    #[arg(long, value_name = "TEXT")]
    action: Option<String>,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum VexFormatArg {
    /// CycloneDX 1.6 VEX
    Cyclonedx,
    /// OpenVEX 0.2.0
    Openvex,
    /// CSAF 2.0, csaf_vex profile
    Csaf,
}

pub fn run_checklist(ctx: &Ctx, args: ChecklistArgs) -> Result<ExitCode> {
    let lang = match args.lang {
        LangArg::En => Lang::En,
        LangArg::Ja => Lang::Ja,
    };
    let list = match &args.product {
        Some(product) => {
            let id = args
                .source
                .id
                .as_deref()
                .context("--product needs the vulnerability's id")?;
            let auto = crate::auto::answers(ctx, &args.data, product, id)?;
            let mut list = checklist::build(&auto.tree, lang);
            checklist::attach_auto(&mut list, &auto.auto);
            list
        }
        None => checklist::build(&load_tree(ctx, &args.source)?, lang),
    };
    match args.format {
        ChecklistFormat::Markdown => crate::out!("{}", checklist::markdown(&list)),
        ChecklistFormat::Html => crate::out!("{}", checklist::html(&list)),
        ChecklistFormat::Json => print_json(&list)?,
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_assess(ctx: &Ctx, args: AssessArgs) -> Result<ExitCode> {
    if let Some(product) = &args.product {
        return store_assessment(ctx, &args, product);
    }
    let tree = load_tree(ctx, &args.source)?;
    let answers_path = args
        .answers
        .as_deref()
        .context("--answers FILE is needed (or --auto with --product)")?;
    let verdict = verdict(&tree, answers_path)?;
    match args.format {
        OutputFormat::Json => print_json(&verdict)?,
        OutputFormat::Text => crate::out!("{}", render_verdict(&verdict)),
    }
    Ok(ExitCode::SUCCESS)
}

/// `kensa assess ID --answers FILE --product NAME`: the verdict stored as
/// the product's assessment, as the team server stores it.
fn store_assessment(ctx: &Ctx, args: &AssessArgs, product: &str) -> Result<ExitCode> {
    let id = args
        .source
        .id
        .as_deref()
        .context("--product needs the vulnerability's id (the tree comes from the database)")?;
    let person = match &args.answers {
        Some(path) => {
            let bytes = read_bounded(path, kensa_logic::answers::MAX_FILE_BYTES, "answers file")?;
            let parsed = kensa_logic::answers::parse(&bytes)
                .with_context(|| format!("answers file {}", path.display()))?;
            Some(
                parsed
                    .entries
                    .iter()
                    .map(|(k, a)| Ok((k.clone(), serde_json::to_value(a)?)))
                    .collect::<Result<serde_json::Map<_, _>, serde_json::Error>>()?,
            )
        }
        None => None,
    };
    let answers_name = args.answers.as_ref().map_or_else(
        || "automatic answers".to_string(),
        |p| format!("answers file {}", p.display()),
    );
    let mut store = ctx.open_existing()?;
    let operator = kensa_app::Actor::operator();
    let view = if args.auto {
        let req = kensa_app::assessments::SaveAssessment {
            answers: person.map_or(serde_json::Value::Null, serde_json::Value::Object),
            note: args.note.clone(),
            expected_revision: None,
        };
        let how = kensa_app::auto_answers::AutoSave {
            version: args.data.product_version.clone(),
            inputs: args.data.inputs()?,
            shown: None,
        };
        kensa_app::auto_answers::save(&mut store, &operator, product, id, &req, how)
    } else {
        let req = kensa_app::assessments::SaveAssessment {
            answers: serde_json::Value::Object(
                person.context("--answers FILE is needed (or --auto)")?,
            ),
            note: args.note.clone(),
            expected_revision: None,
        };
        kensa_app::assessments::save(&mut store, &operator, product, id, &req)
    }
    .with_context(|| answers_name.clone())?;
    match args.format {
        OutputFormat::Json => print_json(&view)?,
        OutputFormat::Text => {
            outln!(
                "{} in {product}: {} (revision {}, stored)\n  {}",
                view.vulnerability,
                view.verdict,
                view.version,
                crate::term::field(&view.basis)
            );
            for line in automatic_lines(&view.answers) {
                outln!("  {}", crate::term::field(&line));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// "automatic c1 = yes (sbom): evidence" for each answer Kensa gave itself.
fn automatic_lines(answers: &serde_json::Value) -> Vec<String> {
    let Some(map) = answers.as_object() else {
        return Vec::new();
    };
    map.iter()
        .filter_map(|(id, a)| {
            let note = a["note"].as_str()?;
            let source = note.strip_prefix("automatic (")?.strip_suffix(')')?;
            Some(format!(
                "automatic {id} = {} ({source}): {}",
                a["answer"].as_str().unwrap_or_default(),
                a["evidence"].as_str().unwrap_or_default()
            ))
        })
        .collect()
}

pub fn run_vex(ctx: &Ctx, args: VexArgs) -> Result<ExitCode> {
    let tree = load_tree(ctx, &args.source)?;
    let verdict = verdict(&tree, &args.answers)?;
    let subject = Subject {
        name: args.product,
        version: args.product_version,
        purl: args.purl,
    };
    if let Some(p) = &subject.purl
        && !p.starts_with("pkg:")
    {
        bail!("--purl `{p}` is not a package URL (pkg:TYPE/NAME…)");
    }
    let issuer = Issuer {
        timestamp: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        author: args.author,
        namespace: args.namespace,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        action: args.action,
    };
    let format = match args.format {
        VexFormatArg::Cyclonedx => VexFormat::CycloneDx,
        VexFormatArg::Openvex => VexFormat::OpenVex,
        VexFormatArg::Csaf => VexFormat::Csaf,
    };
    print_json(&kensa_logic::vex::write::write(
        format, &verdict, &subject, &issuer,
    ))?;
    Ok(ExitCode::SUCCESS)
}

fn verdict(tree: &Conditions, answers_path: &Path) -> Result<Verdict> {
    let bytes = read_bounded(
        answers_path,
        kensa_logic::answers::MAX_FILE_BYTES,
        "answers file",
    )?;
    let answers = kensa_logic::answers::parse(&bytes)
        .with_context(|| format!("answers file {}", answers_path.display()))?;
    evaluate(tree, &answers).with_context(|| format!("answers file {}", answers_path.display()))
}

/// Reads a file, refusing (while reading) more than `limit` bytes.
fn read_bounded(path: &Path, limit: usize, what: &str) -> Result<Vec<u8>> {
    crate::bounded::read(path, limit as u64, what)
}

/// The condition tree of the source: a conditions document as written, or
/// the chosen extractor over the vulnerability's records.
fn load_tree(ctx: &Ctx, source: &TreeSource) -> Result<Conditions> {
    if let Some(path) = &source.conditions {
        let bytes = read_bounded(
            path,
            kensa_logic::document::MAX_DOCUMENT_BYTES,
            "conditions document",
        )?;
        return kensa_logic::document::parse_conditions(&bytes)
            .with_context(|| format!("conditions document {}", path.display()));
    }
    let records = match (&source.record, &source.id) {
        (Some(path), _) => {
            let bytes = crate::bounded::read(
                path,
                kensa_intel::input::MAX_UNIT_BYTES as u64,
                "record file",
            )?;
            kensa_intel::parse_record(&bytes)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
        }
        (None, Some(id)) => {
            let store = ctx.open_existing()?;
            crate::database::DatabaseInfo::of(&store)?.require_vulnerability_data("assessing")?;
            records_in_db(&store, id)?
        }
        (None, None) => bail!("give a vulnerability id, --record FILE or --conditions FILE"),
    };
    match source.extractor {
        Extractor::Rules => Ok(kensa_logic::extract::rules(&records)),
        Extractor::Llm => llm_tree(ctx, &records, source.llm_config.as_deref()),
    }
}

/// The LLM extractor's tree (config from FILE or the environment); on any
/// failure of the model, the offline rules tree with a warning saying why.
pub fn llm_tree(
    ctx: &Ctx,
    records: &[VulnRecord],
    config_file: Option<&Path>,
) -> Result<kensa_logic::Conditions> {
    let config = match config_file {
        Some(path) => LlmConfig::from_file(path)?,
        None => LlmConfig::from_env()?.context(
            "--extractor llm needs --llm-config FILE or KENSA_LLM_BASE_URL and KENSA_LLM_MODEL",
        )?,
    };
    let out = llm::extract(records, &config);
    if let Some(why) = &out.fallback
        && !ctx.quiet
    {
        eprintln!("warning: {why}");
    }
    Ok(out.conditions)
}

fn records_in_db(store: &Store, id: &str) -> Result<Vec<VulnRecord>> {
    let view = store
        .vuln(id)
        .with_context(|| format!("looking up {id}"))?
        .with_context(|| {
            format!("{id} is not in the database (import it, or pass --record FILE)")
        })?;
    Ok(view.records.into_iter().map(|r| r.record).collect())
}

fn render_verdict(v: &Verdict) -> String {
    // Ids, texts and notes come from the answers file and the records.
    use crate::term::field;
    use std::fmt::Write as _;
    let mut o = String::new();
    let _ = write!(o, "{}: {}", field(&v.vulnerability), v.status.as_str());
    if let Some(j) = v.justification {
        let _ = write!(
            o,
            " (CycloneDX {}, OpenVEX/CSAF {})",
            j.cyclonedx(),
            j.openvex()
        );
    }
    let _ = writeln!(o, "\n  {}", field(&v.basis));
    for d in &v.deciding {
        let _ = writeln!(
            o,
            "  {} [{:?}] {}: {}",
            field(&d.id),
            d.kind,
            d.answer,
            field(&d.text)
        );
        if let Some(e) = &d.evidence {
            let _ = writeln!(o, "      evidence: {}", field(e));
        }
    }
    if v.status == Status::UnderInvestigation && !v.open.is_empty() {
        let _ = writeln!(o, "  open questions:");
        for q in &v.open {
            let _ = writeln!(
                o,
                "    {} ({}): {}",
                field(&q.id),
                q.state,
                field(&q.question)
            );
        }
    }
    let _ = writeln!(
        o,
        "  {} of {} conditions answered; conditions fingerprint {} ({})",
        v.answered,
        v.conditions,
        v.conditions_fingerprint,
        field(v.conditions_origin)
    );
    o
}

// ---- kensa scan --vex ---------------------------------------------------

#[derive(Serialize)]
struct VexSummary {
    statements: usize,
    annotated: usize,
    suppressed: usize,
}

/// Applies the VEX files to the report and prints it: suppressed findings
/// leave the table, SARIF and VDR; the JSON keeps them with their `vex`.
/// What triage said of a scan's findings, for outputs that show it.
pub struct TriageContext<'a> {
    pub triages: &'a std::collections::BTreeMap<String, kensa_triage::Triage>,
    pub triager: &'a kensa_triage::Triager,
    pub profile: Option<&'a Path>,
    /// What the scan was matched against.
    pub database: &'a crate::database::DatabaseInfo,
}

pub fn print_scan_with_vex(
    store: &Store,
    sbom: &Sbom,
    report: ScanReport,
    vex_files: &[PathBuf],
    format: ScanFormat,
    sbom_path: &Path,
    triage: &TriageContext<'_>,
) -> Result<()> {
    let mut statements: Vec<Statement> = Vec::new();
    for path in vex_files {
        let bytes = read_bounded(path, kensa_logic::vex::read::MAX_VEX_BYTES, "VEX document")?;
        statements.extend(kensa_logic::vex::read::parse(
            &bytes,
            &path.display().to_string(),
        )?);
    }
    let decisions = decide_all(store, sbom, &report, &statements);
    let suppressed = decisions
        .iter()
        .filter(|d| d.as_ref().is_some_and(|d| d.suppressed))
        .count();
    let summary = VexSummary {
        statements: statements.len(),
        annotated: decisions.iter().filter(|d| d.is_some()).count(),
        suppressed,
    };
    if format == ScanFormat::Json {
        // The report as `kensa scan --format json` prints it, whatever fields
        // it grows, plus a `vex` field on each decided finding.
        let triaged =
            crate::triage::triaged_report(&report, triage.triages, triage.triager, triage.profile);
        let mut out = serde_json::to_value(&triaged).context("encoding the report")?;
        if let Some(findings) = out["findings"].as_array_mut() {
            for (f, d) in findings.iter_mut().zip(&decisions) {
                if let Some(d) = d {
                    f["vex"] = serde_json::to_value(d).context("encoding a VEX decision")?;
                }
            }
        }
        out["vex"] = serde_json::to_value(&summary).context("encoding the VEX summary")?;
        out["database"] =
            serde_json::to_value(triage.database).context("encoding the database summary")?;
        return print_json(&out);
    }
    let mut kept = report.clone();
    kept.findings = report
        .findings
        .iter()
        .zip(&decisions)
        .filter(|(_, d)| !d.as_ref().is_some_and(|d| d.suppressed))
        .map(|(f, _)| f.clone())
        .collect();
    recount(&mut kept);
    match format {
        ScanFormat::Table => {
            outln!("{}", triage.database.header());
            crate::out!(
                "{}",
                crate::triage::render_triaged_table(&kept, triage.triages)
            );
            for (f, d) in report.findings.iter().zip(&decisions) {
                if let Some(d) = d.as_ref().filter(|d| !d.suppressed) {
                    outln!(
                        "vex: {} in {}: {}{}",
                        crate::term::field(&f.vulnerability.id),
                        crate::term::field(&f.component.name),
                        d.status.as_str(),
                        d.note
                            .as_deref()
                            .map(|n| format!(" ({})", crate::term::field(n)))
                            .unwrap_or_default()
                    );
                }
            }
            outln!(
                "{} findings suppressed by VEX ({} statements from {} files)",
                summary.suppressed,
                summary.statements,
                vex_files.len()
            );
        }
        ScanFormat::Sarif => print_json(&kensa_matching::output::sarif(
            &kept,
            &sbom_path.to_string_lossy(),
        ))?,
        ScanFormat::Cyclonedx => {
            let mut vdr = kensa_matching::output::cyclonedx_vdr(&kept, sbom);
            vdr["metadata"]["timestamp"] = serde_json::json!(
                chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            );
            print_json(&vdr)?
        }
        ScanFormat::Json => unreachable!("handled above"),
    }
    Ok(())
}

/// The summary's finding counts after suppression.
fn recount(report: &mut ScanReport) {
    let distinct = |key: fn(&Finding) -> &str| {
        let mut v: Vec<&str> = report.findings.iter().map(key).collect();
        v.sort_unstable();
        v.dedup();
        v.len()
    };
    let vulnerabilities = distinct(|f| &f.vulnerability.id);
    let components = distinct(|f| &f.component.bom_ref);
    report.summary.findings = report.findings.len();
    report.summary.vulnerabilities = vulnerabilities;
    report.summary.components_with_findings = components;
}

/// One decision (or none) per finding. The current rules tree of each
/// vulnerability is built once, from the database, to check recorded
/// fingerprints.
fn decide_all(
    store: &Store,
    sbom: &Sbom,
    report: &ScanReport,
    statements: &[Statement],
) -> Vec<Option<Decision>> {
    let cpes: HashMap<&str, &[String]> = sbom
        .components
        .iter()
        .map(|c| (c.bom_ref.as_str(), c.cpes.as_slice()))
        .collect();
    let fingerprints: RefCell<HashMap<String, Option<String>>> = RefCell::default();
    let current = |id: &str| -> Option<String> {
        if let Some(fp) = fingerprints.borrow().get(id) {
            return fp.clone();
        }
        let fp = records_in_db(store, id).ok().map(|records| {
            kensa_logic::fingerprint::fingerprint(&kensa_logic::extract::rules(&records))
        });
        fingerprints.borrow_mut().insert(id.to_string(), fp.clone());
        fp
    };
    report
        .findings
        .iter()
        .map(|f| {
            let key = FindingKey {
                vulnerability: &f.vulnerability.id,
                aliases: &f.vulnerability.aliases,
                bom_ref: &f.component.bom_ref,
                name: &f.component.name,
                version: f.component.version.as_deref(),
                purl: f.component.purl.as_deref(),
                cpes: cpes
                    .get(f.component.bom_ref.as_str())
                    .copied()
                    .unwrap_or(&[]),
            };
            decide(statements, &key, current)
        })
        .collect()
}
