//! The LLM extractor: condition trees from any OpenAI-compatible
//! chat-completions API (a hosted service or a local server such as
//! llama.cpp, vLLM or Ollama), with JSON-schema structured output.
//!
//! Two passes look at the record from two sides: what the attacker must
//! achieve (network position, privileges, user interaction, crafted input)
//! and how the vulnerable code is reached in a product (versions, platform,
//! configuration, functions used). Both trees must hold for an attack, so
//! they are merged under one `all` group and de-duplicated. Every response
//! is checked against the conditions contract; on any failure (transport,
//! timeout, HTTP error, content that is not JSON or breaks the contract)
//! [`extract`] falls back to the offline [`crate::extract::rules`] tree and
//! says why, so an assessment never silently rests on a broken answer.

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use kensa_model::VulnRecord;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::conditions::{
    Condition, ConditionKind, ConditionSource, Conditions, Group, GroupOp, Node,
};

/// Longest condition text the contract allows.
pub const MAX_TEXT_CHARS: usize = 160;
/// More conditions than this in one answer is not a usable checklist.
pub const MAX_CONDITIONS: usize = 64;
/// Deeper trees are refused (the contract has no limit; people do).
pub const MAX_DEPTH: usize = 6;
/// Larger responses are refused.
pub const MAX_RESPONSE_BYTES: u64 = 4 << 20;
/// Largest LLM settings file read.
pub const MAX_CONFIG_BYTES: u64 = 64 << 10;

/// Where and how to reach the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LlmConfig {
    /// The API base, e.g. `https://api.openai.com/v1` or
    /// `http://127.0.0.1:8080/v1`; `/chat/completions` is appended.
    pub base_url: String,
    pub model: String,
    /// Sent as `Authorization: Bearer …` when set (local servers need none).
    pub api_key: Option<String>,
    /// For each request, connection and response included.
    pub timeout: Duration,
}

pub const ENV_BASE_URL: &str = "KENSA_LLM_BASE_URL";
pub const ENV_MODEL: &str = "KENSA_LLM_MODEL";
pub const ENV_API_KEY: &str = "KENSA_LLM_API_KEY";
pub const ENV_TIMEOUT: &str = "KENSA_LLM_TIMEOUT_SECS";
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("LLM configuration: {0}")]
    Config(String),
    #[error("POST {url}: {message}")]
    Transport { url: String, message: String },
    #[error("POST {url}: no complete response within {} s", timeout.as_secs_f64())]
    Timeout { url: String, timeout: Duration },
    #[error("POST {url}: HTTP {status}: {body}")]
    Status {
        url: String,
        status: u16,
        body: String,
    },
    #[error("{pass} pass: the response is not a chat completion: {message}")]
    Protocol { pass: &'static str, message: String },
    #[error("{pass} pass: the model's content is not JSON: {message}")]
    ContentNotJson { pass: &'static str, message: String },
    #[error("{pass} pass: the model's tree breaks the conditions contract at {pointer}: {message}")]
    Schema {
        pass: &'static str,
        pointer: String,
        message: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    base_url: String,
    model: String,
    #[serde(default)]
    api_key: Option<String>,
    /// The name of an environment variable that holds the key, so the key
    /// need not sit in the file.
    #[serde(default)]
    api_key_env: Option<String>,
    #[serde(default)]
    timeout_secs: Option<f64>,
}

impl LlmConfig {
    /// From `KENSA_LLM_BASE_URL`, `KENSA_LLM_MODEL`, `KENSA_LLM_API_KEY`
    /// and `KENSA_LLM_TIMEOUT_SECS`; `None` when neither URL nor model is
    /// set (no LLM configured), an error when only one is.
    pub fn from_env() -> Result<Option<LlmConfig>, LlmError> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let (url, model) = match (var(ENV_BASE_URL), var(ENV_MODEL)) {
            (None, None) => return Ok(None),
            (Some(u), Some(m)) => (u, m),
            (Some(_), None) => {
                return Err(LlmError::Config(format!(
                    "{ENV_BASE_URL} is set but {ENV_MODEL} is not"
                )));
            }
            (None, Some(_)) => {
                return Err(LlmError::Config(format!(
                    "{ENV_MODEL} is set but {ENV_BASE_URL} is not"
                )));
            }
        };
        let timeout = match var(ENV_TIMEOUT) {
            None => DEFAULT_TIMEOUT,
            Some(t) => seconds(&t).ok_or_else(|| {
                LlmError::Config(format!("{ENV_TIMEOUT}=`{t}` is not a number of seconds"))
            })?,
        };
        Ok(Some(LlmConfig {
            base_url: url,
            model,
            api_key: var(ENV_API_KEY),
            timeout,
        }))
    }

    /// From a YAML or JSON file with `base_url`, `model`, and optionally
    /// `api_key` or `api_key_env`, and `timeout_secs`.
    pub fn from_file(path: &Path) -> Result<LlmConfig, LlmError> {
        let bad = |m: String| LlmError::Config(format!("{}: {m}", path.display()));
        // Bounded while reading: the settings are a few lines.
        let mut text = String::new();
        std::io::Read::read_to_string(
            &mut std::io::Read::take(
                std::fs::File::open(path).map_err(|e| bad(e.to_string()))?,
                MAX_CONFIG_BYTES + 1,
            ),
            &mut text,
        )
        .map_err(|e| bad(e.to_string()))?;
        if text.len() as u64 > MAX_CONFIG_BYTES {
            return Err(bad(format!(
                "larger than the limit of {MAX_CONFIG_BYTES} bytes (64 KiB); refusing to read it"
            )));
        }
        let text = text.trim_start_matches('\u{feff}');
        let f: ConfigFile = serde_norway::from_str(text).map_err(|e| bad(e.to_string()))?;
        let api_key = match (&f.api_key, &f.api_key_env) {
            (Some(k), _) => Some(k.clone()),
            (None, Some(var)) => Some(
                std::env::var(var)
                    .map_err(|_| bad(format!("api_key_env names `{var}`, which is not set")))?,
            ),
            (None, None) => None,
        };
        let timeout = match f.timeout_secs {
            None => DEFAULT_TIMEOUT,
            Some(s) if s.is_finite() && s > 0.0 => Duration::from_secs_f64(s),
            Some(s) => return Err(bad(format!("timeout_secs must be positive, got {s}"))),
        };
        Ok(LlmConfig {
            base_url: f.base_url,
            model: f.model,
            api_key,
            timeout,
        })
    }

    fn endpoint(&self) -> String {
        format!("{}/chat/completions", self.base_url.trim_end_matches('/'))
    }
}

fn seconds(s: &str) -> Option<Duration> {
    let v: f64 = s.trim().parse().ok()?;
    (v.is_finite() && v > 0.0).then(|| Duration::from_secs_f64(v))
}

/// The tree, and whether the LLM made it.
#[derive(Debug, Clone)]
pub struct Extraction {
    pub conditions: Conditions,
    /// Set when the LLM failed and the rules tree was used instead.
    pub fallback: Option<String>,
}

/// Extracts with the LLM; on any failure, the offline rules tree and the
/// reason (the documented fallback).
pub fn extract(records: &[VulnRecord], config: &LlmConfig) -> Extraction {
    match extract_strict(records, config) {
        Ok(conditions) => Extraction {
            conditions,
            fallback: None,
        },
        Err(e) => Extraction {
            conditions: crate::extract::rules(records),
            fallback: Some(format!(
                "the LLM extractor failed ({e}); using the offline rules extractor instead"
            )),
        },
    }
}

/// One prompt per side of the question.
struct Pass {
    name: &'static str,
    focus: &'static str,
}

const PASSES: [Pass; 2] = [
    Pass {
        name: "attacker",
        focus: "What must an attacker achieve or already have to trigger this vulnerability? \
List the conditions on the attacker's side: the network position and the service they must reach, \
the privileges or accounts they need, any action a user must take, and the crafted input they must deliver.",
    },
    Pass {
        name: "reachability",
        focus: "How is the vulnerable code reached in a product that ships this software? \
List the conditions on the product's side: the affected versions, the platform or hardware, \
configuration options that must be enabled, and functions, modules or features the product must use.",
    },
];

const SYSTEM_PROMPT: &str = "You turn vulnerability records into trigger conditions for a product security team. \
Answer with a JSON tree: a group has `op` (`all` when every child must hold, `any` when one suffices) and `children`; \
a condition is one fact an engineer can check in their product. For each condition give: \
`kind` (version, platform, configuration, function_use, input, network, privileges, user_interaction or other); \
`text`, the condition as a short statement of at most 160 characters; \
`question`, a yes/no question where yes means the condition holds (moving toward exploitable); \
`question_ja`, the same question written naturally in Japanese, keeping option names, commands, ports and product names as they are; \
`evidence`, the words of the record the condition rests on. \
Use only what the record says; do not invent conditions. Give ids c1, c2, … .";

/// The response schema: the conditions contract in the form strict
/// structured output accepts (every property required, optional ones
/// nullable, no additional properties).
pub fn response_schema() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["logic"],
        "properties": {"logic": {"$ref": "#/$defs/node"}},
        "$defs": {
            "node": {"anyOf": [{"$ref": "#/$defs/group"}, {"$ref": "#/$defs/condition"}]},
            "group": {
                "type": "object",
                "additionalProperties": false,
                "required": ["op", "children"],
                "properties": {
                    "op": {"type": "string", "enum": ["all", "any"]},
                    "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}
                }
            },
            "condition": {
                "type": "object",
                "additionalProperties": false,
                "required": ["id", "kind", "text", "question", "question_ja", "evidence"],
                "properties": {
                    "id": {"type": "string"},
                    "kind": {"type": "string", "enum": ["version", "platform", "configuration", "function_use", "input", "network", "privileges", "user_interaction", "other"]},
                    // No maxLength: strict structured output rejects the
                    // keyword on some services; the prompt states the limit
                    // and parse_tree enforces it.
                    "text": {"type": "string"},
                    "question": {"type": "string"},
                    "question_ja": {"type": ["string", "null"]},
                    "evidence": {"type": ["string", "null"]}
                }
            }
        }
    })
}

/// The chat-completions request body of one pass.
pub fn request_body(model: &str, record_text: &str, pass_index: usize) -> Value {
    let pass = &PASSES[pass_index % PASSES.len()];
    json!({
        "model": model,
        "temperature": 0,
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": format!("{}\n\nThe record:\n{record_text}", pass.focus)},
        ],
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "kensa_conditions", "strict": true, "schema": response_schema()},
        },
    })
}

/// Extracts with the LLM, or says exactly why not.
pub fn extract_strict(records: &[VulnRecord], config: &LlmConfig) -> Result<Conditions, LlmError> {
    let id = records.first().map(|r| r.id.clone()).unwrap_or_default();
    let record_text = describe(records);
    let agent = agent(config);
    let mut trees = Vec::new();
    for (i, pass) in PASSES.iter().enumerate() {
        let body = request_body(&config.model, &record_text, i);
        let response = post(&agent, config, &body)?;
        let content = completion_content(&response, pass.name)?;
        trees.push(parse_tree(&content, pass.name)?);
    }
    let logic = merge(trees);
    let mut out = Conditions::new(id, logic);
    // An empty answer is no answer: the rules may still know something.
    if out.conditions().is_empty() {
        return Err(LlmError::Schema {
            pass: "both",
            pointer: "/logic".into(),
            message: "neither pass gave a condition".into(),
        });
    }
    out.component = records
        .iter()
        .flat_map(|r| &r.affected)
        .find_map(|a| a.product.clone());
    out.extractor = Some(format!("llm:{}", config.model));
    Ok(out)
}

fn agent(config: &LlmConfig) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .user_agent(concat!("kensa/", env!("CARGO_PKG_VERSION")))
        .timeout_global(Some(config.timeout))
        .build()
        .into()
}

/// One chat-completions request: the model's content, or exactly why
/// not (`what` names the request in errors). Other uses of the model
/// (such as [`crate::propose`]) build their own body and check the
/// content themselves.
pub fn complete(config: &LlmConfig, body: &Value, what: &'static str) -> Result<String, LlmError> {
    let response = post(&agent(config), config, body)?;
    completion_content(&response, what)
}

fn post(agent: &ureq::Agent, config: &LlmConfig, body: &Value) -> Result<Vec<u8>, LlmError> {
    let url = config.endpoint();
    let mut request = agent.post(&url).header("content-type", "application/json");
    if let Some(key) = &config.api_key {
        request = request.header("authorization", &format!("Bearer {key}"));
    }
    let transport = |e: ureq::Error| match e {
        ureq::Error::Timeout(_) => LlmError::Timeout {
            url: url.clone(),
            timeout: config.timeout,
        },
        e => LlmError::Transport {
            url: url.clone(),
            message: e.to_string(),
        },
    };
    let mut response = request.send(body.to_string()).map_err(transport)?;
    let status = response.status().as_u16();
    let bytes = response
        .body_mut()
        .with_config()
        .limit(MAX_RESPONSE_BYTES)
        .read_to_vec()
        .map_err(transport)?;
    if !(200..300).contains(&status) {
        let body: String = String::from_utf8_lossy(&bytes).chars().take(300).collect();
        return Err(LlmError::Status { url, status, body });
    }
    Ok(bytes)
}

/// `choices[0].message.content`, refusing refusals and truncated answers.
fn completion_content(bytes: &[u8], pass: &'static str) -> Result<String, LlmError> {
    let proto = |message: String| LlmError::Protocol { pass, message };
    let v: Value = serde_json::from_slice(bytes).map_err(|e| proto(e.to_string()))?;
    let choice = v
        .pointer("/choices/0")
        .ok_or_else(|| proto("no choices[0]".into()))?;
    if let Some(r) = choice.pointer("/message/refusal").and_then(Value::as_str) {
        return Err(proto(format!("the model refused: {r}")));
    }
    if choice.get("finish_reason").and_then(Value::as_str) == Some("length") {
        return Err(proto(
            "the answer was cut off (finish_reason: length)".into(),
        ));
    }
    choice
        .pointer("/message/content")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| proto("choices[0].message.content is not a string".into()))
}

/// The model's JSON into a tree, checked against the contract.
pub fn parse_tree(content: &str, pass: &'static str) -> Result<Node, LlmError> {
    let v: Value = serde_json::from_str(content.trim()).map_err(|e| LlmError::ContentNotJson {
        pass,
        message: e.to_string(),
    })?;
    let logic = v.get("logic").ok_or_else(|| LlmError::Schema {
        pass,
        pointer: "/logic".into(),
        message: "missing".into(),
    })?;
    let mut count = 0;
    let node = Checker {
        pass,
        count: &mut count,
    }
    .node(logic, "/logic", 0)?;
    Ok(node.unwrap_or(Node::Group(Group {
        op: GroupOp::All,
        children: Vec::new(),
    })))
}

struct Checker<'a> {
    pass: &'static str,
    count: &'a mut usize,
}

impl Checker<'_> {
    fn fail(&self, pointer: &str, message: impl Into<String>) -> LlmError {
        LlmError::Schema {
            pass: self.pass,
            pointer: pointer.to_string(),
            message: message.into(),
        }
    }

    /// `None` for a group that ends up empty (a pass that found nothing).
    fn node(&mut self, v: &Value, at: &str, depth: usize) -> Result<Option<Node>, LlmError> {
        if depth > MAX_DEPTH {
            return Err(self.fail(at, format!("nested deeper than {MAX_DEPTH} groups")));
        }
        let obj = v
            .as_object()
            .ok_or_else(|| self.fail(at, "not an object"))?;
        if obj.contains_key("op") || obj.contains_key("children") {
            let op = match obj.get("op").and_then(Value::as_str) {
                Some("all") => GroupOp::All,
                Some("any") => GroupOp::Any,
                _ => return Err(self.fail(&format!("{at}/op"), "must be \"all\" or \"any\"")),
            };
            let children = obj
                .get("children")
                .and_then(Value::as_array)
                .ok_or_else(|| self.fail(&format!("{at}/children"), "must be an array"))?;
            let mut kept = Vec::new();
            for (i, c) in children.iter().enumerate() {
                if let Some(n) = self.node(c, &format!("{at}/children/{i}"), depth + 1)? {
                    kept.push(n);
                }
            }
            return Ok(match kept.len() {
                0 => None,
                1 => kept.pop(),
                _ => Some(Node::Group(Group { op, children: kept })),
            });
        }
        self.condition(obj, at).map(|c| Some(Node::Condition(c)))
    }

    fn condition(
        &mut self,
        obj: &serde_json::Map<String, Value>,
        at: &str,
    ) -> Result<Condition, LlmError> {
        *self.count += 1;
        if *self.count > MAX_CONDITIONS {
            return Err(self.fail(at, format!("more than {MAX_CONDITIONS} conditions")));
        }
        let field = |name: &str| -> Result<String, LlmError> {
            obj.get(name)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .ok_or_else(|| self.fail(&format!("{at}/{name}"), "missing or empty"))
        };
        let optional = |name: &str| {
            obj.get(name)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let kind_text = field("kind")?;
        let kind: ConditionKind = serde_json::from_value(Value::String(kind_text.clone()))
            .map_err(|_| self.fail(&format!("{at}/kind"), format!("unknown kind `{kind_text}`")))?;
        let text = field("text")?;
        if text.chars().count() > MAX_TEXT_CHARS {
            return Err(self.fail(
                &format!("{at}/text"),
                format!("longer than {MAX_TEXT_CHARS} characters"),
            ));
        }
        Ok(Condition {
            // Rewritten after merging; the model's ids are not trusted.
            id: String::new(),
            kind,
            class: None,
            text,
            question: field("question")?,
            question_ja: optional("question_ja"),
            source: ConditionSource::Llm,
            evidence: optional("evidence"),
        })
    }
}

/// Both passes under one `all`, duplicates removed, ids `c1…` in order.
pub fn merge(trees: Vec<Node>) -> Node {
    let mut children = Vec::new();
    for t in trees {
        match t {
            Node::Group(g) if g.op == GroupOp::All => children.extend(g.children),
            Node::Group(g) if g.children.is_empty() => {}
            other => children.push(other),
        }
    }
    let mut seen: Vec<(ConditionKind, HashSet<String>)> = Vec::new();
    let mut root = Node::Group(Group {
        op: GroupOp::All,
        children,
    });
    root = dedupe(root, &mut seen).unwrap_or(Node::Group(Group {
        op: GroupOp::All,
        children: Vec::new(),
    }));
    let mut n = 0;
    renumber(&mut root, &mut n);
    root
}

fn words(text: &str) -> HashSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Same kind and nearly the same words (Jaccard similarity ≥ 0.8) with
/// exactly the same numbers: the two passes often state one condition
/// twice, but "port 445" and "port 139" are two conditions.
fn near_duplicate(a: &HashSet<String>, b: &HashSet<String>) -> bool {
    let numbers = |s: &HashSet<String>| -> HashSet<String> {
        s.iter()
            .filter(|w| w.chars().any(|c| c.is_ascii_digit()))
            .cloned()
            .collect()
    };
    if numbers(a) != numbers(b) {
        return false;
    }
    let inter = a.intersection(b).count();
    let union = a.union(b).count();
    union > 0 && inter * 5 >= union * 4
}

fn dedupe(node: Node, seen: &mut Vec<(ConditionKind, HashSet<String>)>) -> Option<Node> {
    match node {
        Node::Condition(c) => {
            let w = words(&c.text);
            if seen
                .iter()
                .any(|(k, s)| *k == c.kind && near_duplicate(s, &w))
            {
                return None;
            }
            seen.push((c.kind, w));
            Some(Node::Condition(c))
        }
        Node::Group(g) => {
            let mut kept: Vec<Node> = g
                .children
                .into_iter()
                .filter_map(|c| dedupe(c, seen))
                .collect();
            match kept.len() {
                0 => None,
                1 => kept.pop(),
                _ => Some(Node::Group(Group {
                    op: g.op,
                    children: kept,
                })),
            }
        }
    }
}

fn renumber(node: &mut Node, n: &mut usize) {
    match node {
        Node::Condition(c) => {
            *n += 1;
            c.id = format!("c{n}");
        }
        Node::Group(g) => g.children.iter_mut().for_each(|c| renumber(c, n)),
    }
}

/// The record as the model sees it: descriptions, CVSS vectors, CWEs,
/// affected products and CPE criteria, bounded in size.
pub fn describe(records: &[VulnRecord]) -> String {
    let mut o = String::new();
    let mut seen = HashSet::new();
    for r in records {
        if seen.insert(("id", r.id.clone())) {
            o.push_str(&format!("ID: {}\n", r.id));
        }
        if let Some(t) = &r.title {
            o.push_str(&format!("Title: {t}\n"));
        }
        for d in r.descriptions.iter().filter(|d| d.lang.starts_with("en")) {
            if seen.insert(("d", d.value.clone())) {
                o.push_str(&format!("Description ({}): {}\n", r.source.key(), d.value));
            }
        }
        for m in &r.cvss {
            if seen.insert(("cvss", m.vector.clone())) {
                o.push_str(&format!(
                    "CVSS {} ({}): {}\n",
                    m.version, m.source, m.vector
                ));
            }
        }
        for w in &r.weaknesses {
            if seen.insert(("cwe", w.cwe.clone())) {
                o.push_str(&format!("Weakness: {}\n", w.cwe));
            }
        }
        for a in &r.affected {
            let line = format!(
                "Affected: {} {} {}",
                a.vendor.as_deref().unwrap_or(""),
                a.product.as_deref().unwrap_or(""),
                a.platforms.join(", ")
            );
            if seen.insert(("a", line.clone())) {
                o.push_str(&line);
                o.push('\n');
            }
        }
        for c in r
            .configurations
            .iter()
            .flat_map(|c| &c.nodes)
            .flat_map(|n| &n.cpe_match)
        {
            if seen.insert(("cpe", c.criteria.clone())) && seen.len() < 200 {
                o.push_str(&format!(
                    "CPE ({}): {}\n",
                    if c.vulnerable {
                        "vulnerable"
                    } else {
                        "platform"
                    },
                    c.criteria
                ));
            }
        }
    }
    // Keep the prompt within what small local models accept.
    o.chars().take(12_000).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(kind: &str, text: &str) -> Value {
        json!({"id": "x", "kind": kind, "text": text, "question": format!("{text}?"), "question_ja": null, "evidence": null})
    }

    #[test]
    fn merge_dedupes_across_passes_and_renumbers() {
        let a = parse_tree(
            &json!({"logic": {"op": "all", "children": [
                cond("network", "The attacker can reach TCP port 445 of the product"),
                cond("configuration", "The \"username map script\" option is enabled"),
            ]}})
            .to_string(),
            "attacker",
        )
        .unwrap();
        let b = parse_tree(
            &json!({"logic": {"op": "all", "children": [
                cond("configuration", "The \"username map script\" option is enabled."),
                cond("version", "Samba 3.0.0 to 3.0.25rc3 is installed"),
            ]}})
            .to_string(),
            "reachability",
        )
        .unwrap();
        let merged = merge(vec![a, b]);
        let tree = Conditions::new("CVE-2007-2447", merged);
        let got: Vec<(&str, ConditionKind)> = tree
            .conditions()
            .iter()
            .map(|c| (c.id.as_str(), c.kind))
            .collect();
        assert_eq!(
            got,
            vec![
                ("c1", ConditionKind::Network),
                ("c2", ConditionKind::Configuration),
                ("c3", ConditionKind::Version)
            ]
        );
        assert!(
            tree.conditions()
                .iter()
                .all(|c| c.source == ConditionSource::Llm)
        );
    }

    #[test]
    fn contract_violations_name_the_place() {
        let e = parse_tree(
            &json!({"logic": {"op": "all", "children": [cond("telepathy", "x")]}}).to_string(),
            "attacker",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("/logic/children/0/kind") && e.contains("telepathy"),
            "{e}"
        );
        let long = "x".repeat(MAX_TEXT_CHARS + 1);
        let e = parse_tree(
            &json!({"logic": cond("other", &long)}).to_string(),
            "attacker",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("/logic/text"), "{e}");
        let e = parse_tree(
            &json!({"logic": {"op": "xor", "children": []}}).to_string(),
            "a",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("/logic/op"), "{e}");
        let e = parse_tree("not json", "a").unwrap_err();
        assert!(matches!(e, LlmError::ContentNotJson { .. }));
    }
}
