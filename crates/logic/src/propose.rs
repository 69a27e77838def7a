//! Proposals: which product in the database a component that nothing else
//! resolved may be, asked of the same OpenAI-compatible model as the LLM
//! extractor ([`crate::llm`]).
//!
//! The model sees the component's facts and a shortlist of CPE
//! vendor:product pairs drawn from the database, and must answer with one
//! of them or with none. An answer naming a pair the database does not
//! hold is rejected ([`judge`]), whatever the model's confidence: the
//! model never invents a product. A proposal is only ever a suggestion;
//! a person confirms it as an alias (`kensa alias add`), and only then do
//! findings follow.

use serde::Serialize;
use serde_json::{Value, json};

use crate::llm::{LlmConfig, LlmError, complete};

/// The name the proposal request carries in errors.
pub const PASS: &str = "proposal";
/// Longest reasoning kept from an answer.
pub const MAX_REASONING_CHARS: usize = 1000;
/// Longest fact (name, purl, supplier) put into a prompt.
const MAX_FACT_CHARS: usize = 300;

/// What the SBOM says about the component.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ComponentFacts {
    pub name: String,
    pub version: Option<String>,
    pub purl: Option<String>,
    pub supplier: Option<String>,
    /// CycloneDX `group` (Maven groupId, npm scope).
    pub group: Option<String>,
    pub description: Option<String>,
}

/// A vendor:product pair of the database the model may choose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    pub vendor: String,
    pub product: String,
    /// Records in the database that name the product.
    pub records: u64,
    /// Why it is on the shortlist, in words.
    pub why: String,
}

/// What the model answered, checked for shape but not yet for truth.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum Answer {
    Product {
        vendor: String,
        product: String,
        confidence: f64,
        reasoning: String,
    },
    None {
        reasoning: String,
    },
}

/// What became of one component's question.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// A pair the database holds: a suggestion for a person to confirm.
    Proposed {
        vendor: String,
        product: String,
        confidence: f64,
        reasoning: String,
        /// False when the pair is in the database but was not on the
        /// shortlist the model was shown.
        on_shortlist: bool,
    },
    /// The model found none of the candidates to be the component.
    NoProposal { reasoning: String },
    /// The model named a pair the database does not hold.
    Rejected {
        vendor: String,
        product: String,
        reasoning: String,
        why: String,
    },
    /// The database holds no product near enough to ask about.
    NoCandidates,
    /// The request or the answer failed (transport, HTTP, broken JSON).
    Failed { error: String },
}

const SYSTEM_PROMPT: &str = "You help a product security team match the components of a software bill of materials (SBOM) \
to products in a vulnerability database, named as CPE vendor:product pairs. \
You are given one component that no automatic rule could match, and a numbered list of candidate pairs from the database. \
Choose the candidate that is the same software as the component (the same project, not a different program with a similar name, \
not a plug-in or a library used by it), or answer that none is. \
A wrong choice attaches another product's vulnerabilities to the component, so answer none unless the facts support the choice. \
Answer with JSON only: {\"vendor\": \"...\", \"product\": \"...\", \"confidence\": 0.0 to 1.0, \"reasoning\": \"...\"} \
with vendor and product copied exactly from one candidate, or {\"vendor\": null, \"product\": null, \"confidence\": 0.0, \"reasoning\": \"...\"} when none fits. \
The reasoning is one to three sentences naming the facts (name, purl, supplier) the choice rests on.";

/// The strict structured-output schema of the answer.
pub fn answer_schema() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["vendor", "product", "confidence", "reasoning"],
        "properties": {
            "vendor": {"type": ["string", "null"]},
            "product": {"type": ["string", "null"]},
            "confidence": {"type": "number"},
            "reasoning": {"type": "string"}
        }
    })
}

fn clip(s: &str, max: usize) -> String {
    s.chars().filter(|c| !c.is_control()).take(max).collect()
}

/// The component and its shortlist as the model reads them.
pub fn prompt(component: &ComponentFacts, shortlist: &[Candidate]) -> String {
    let mut o = String::from("The component:\n");
    let mut fact = |label: &str, value: Option<&str>| {
        if let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) {
            o.push_str(&format!("{label}: {}\n", clip(v, MAX_FACT_CHARS)));
        }
    };
    fact("Name", Some(&component.name));
    fact("Version", component.version.as_deref());
    fact("Package URL", component.purl.as_deref());
    fact("Group", component.group.as_deref());
    fact("Supplier", component.supplier.as_deref());
    fact("Description", component.description.as_deref());
    o.push_str("\nThe candidates (vendor:product, records naming it, why it is listed):\n");
    for (i, c) in shortlist.iter().enumerate() {
        o.push_str(&format!(
            "{}. {}:{} ({} records) - {}\n",
            i + 1,
            c.vendor,
            c.product,
            c.records,
            clip(&c.why, MAX_FACT_CHARS)
        ));
    }
    o
}

/// The chat-completions request body of one proposal.
pub fn request_body(model: &str, component: &ComponentFacts, shortlist: &[Candidate]) -> Value {
    json!({
        "model": model,
        "temperature": 0,
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": prompt(component, shortlist)},
        ],
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "kensa_proposal", "strict": true, "schema": answer_schema()},
        },
    })
}

/// Asks the model about one component; the answer checked for shape.
pub fn ask(
    config: &LlmConfig,
    component: &ComponentFacts,
    shortlist: &[Candidate],
) -> Result<Answer, LlmError> {
    let content = complete(
        config,
        &request_body(&config.model, component, shortlist),
        PASS,
    )?;
    parse_answer(&content)
}

fn schema(pointer: &str, message: impl Into<String>) -> LlmError {
    LlmError::Schema {
        pass: PASS,
        pointer: pointer.to_string(),
        message: message.into(),
    }
}

/// The model's content into an [`Answer`]: the JSON object of
/// [`answer_schema`] (inside a Markdown code fence too, as small local
/// models write it), or the bare string `"none"`.
pub fn parse_answer(content: &str) -> Result<Answer, LlmError> {
    let text = unfence(content.trim());
    let v: Value = serde_json::from_str(text).map_err(|e| LlmError::ContentNotJson {
        pass: PASS,
        message: e.to_string(),
    })?;
    if v.as_str()
        .is_some_and(|s| s.trim().eq_ignore_ascii_case("none"))
    {
        return Ok(Answer::None {
            reasoning: String::new(),
        });
    }
    let obj = v
        .as_object()
        .ok_or_else(|| schema("", "not an object (nor the string \"none\")"))?;
    let text_of = |name: &str| -> Result<Option<String>, LlmError> {
        match obj.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => {
                let s = s.trim();
                Ok((!s.is_empty() && !s.eq_ignore_ascii_case("none")).then(|| s.to_string()))
            }
            Some(_) => Err(schema(&format!("/{name}"), "must be a string or null")),
        }
    };
    let reasoning = text_of("reasoning")?
        .map(|r| clip(&r, MAX_REASONING_CHARS))
        .ok_or_else(|| schema("/reasoning", "missing or empty"))?;
    match (text_of("vendor")?, text_of("product")?) {
        (None, None) => Ok(Answer::None { reasoning }),
        (Some(vendor), Some(product)) => {
            let confidence = obj
                .get("confidence")
                .and_then(Value::as_f64)
                .ok_or_else(|| schema("/confidence", "missing or not a number"))?;
            if !(0.0..=1.0).contains(&confidence) {
                return Err(schema(
                    "/confidence",
                    format!("{confidence} is not between 0 and 1"),
                ));
            }
            Ok(Answer::Product {
                vendor: vendor.to_ascii_lowercase(),
                product: product.to_ascii_lowercase(),
                confidence,
                reasoning,
            })
        }
        (Some(_), None) => Err(schema("/product", "missing while vendor is given")),
        (None, Some(_)) => Err(schema("/vendor", "missing while product is given")),
    }
}

/// The JSON inside a ```` ```json ```` fence, or the text itself.
fn unfence(text: &str) -> &str {
    let Some(rest) = text.strip_prefix("```") else {
        return text;
    };
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_alphanumeric());
    rest.trim_end().strip_suffix("```").unwrap_or(rest).trim()
}

/// Holds an answer against the database: a pair is proposed only when it
/// is on the shortlist or `in_database` says the database holds it.
pub fn judge(
    answer: Answer,
    shortlist: &[Candidate],
    in_database: impl FnOnce(&str, &str) -> bool,
) -> Outcome {
    match answer {
        Answer::None { reasoning } => Outcome::NoProposal { reasoning },
        Answer::Product {
            vendor,
            product,
            confidence,
            reasoning,
        } => {
            let on_shortlist = shortlist
                .iter()
                .any(|c| c.vendor == vendor && c.product == product);
            if on_shortlist || in_database(&vendor, &product) {
                Outcome::Proposed {
                    vendor,
                    product,
                    confidence,
                    reasoning,
                    on_shortlist,
                }
            } else {
                let why = format!(
                    "the model named {vendor}:{product}, which no record in the database names and which was not among the {} candidates",
                    shortlist.len()
                );
                Outcome::Rejected {
                    vendor,
                    product,
                    reasoning,
                    why,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(vendor: &str, product: &str) -> Candidate {
        Candidate {
            vendor: vendor.into(),
            product: product.into(),
            records: 3,
            why: "spelt alike".into(),
        }
    }

    #[test]
    fn answers_are_parsed_in_the_shapes_models_write() {
        let a = parse_answer(
            r#"{"vendor": "Lighttpd", "product": "lighttpd", "confidence": 0.9, "reasoning": "A typo."}"#,
        )
        .unwrap();
        assert_eq!(
            a,
            Answer::Product {
                vendor: "lighttpd".into(),
                product: "lighttpd".into(),
                confidence: 0.9,
                reasoning: "A typo.".into()
            }
        );
        let fenced = "```json\n{\"vendor\": null, \"product\": null, \"confidence\": 0, \"reasoning\": \"No candidate fits.\"}\n```";
        assert_eq!(
            parse_answer(fenced).unwrap(),
            Answer::None {
                reasoning: "No candidate fits.".into()
            }
        );
        assert!(matches!(
            parse_answer("\"none\"").unwrap(),
            Answer::None { .. }
        ));
    }

    #[test]
    fn broken_answers_say_where() {
        let e = parse_answer("I think it is lighttpd.").unwrap_err();
        assert!(matches!(e, LlmError::ContentNotJson { .. }), "{e}");
        let e =
            parse_answer(r#"{"vendor": "a", "product": "b", "confidence": 7, "reasoning": "x"}"#)
                .unwrap_err()
                .to_string();
        assert!(
            e.contains("/confidence") && e.contains("between 0 and 1"),
            "{e}"
        );
        let e =
            parse_answer(r#"{"vendor": "a", "product": null, "confidence": 1, "reasoning": "x"}"#)
                .unwrap_err()
                .to_string();
        assert!(e.contains("/product"), "{e}");
        let e = parse_answer(r#"{"vendor": "a", "product": "b", "confidence": 1}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("/reasoning"), "{e}");
        let e = parse_answer("[1, 2]").unwrap_err().to_string();
        assert!(e.contains("not an object"), "{e}");
    }

    #[test]
    fn only_pairs_the_database_holds_are_proposed() {
        let shortlist = [candidate("lighttpd", "lighttpd")];
        let answer = |v: &str, p: &str| Answer::Product {
            vendor: v.into(),
            product: p.into(),
            confidence: 0.8,
            reasoning: "r".into(),
        };
        assert!(matches!(
            judge(answer("lighttpd", "lighttpd"), &shortlist, |_, _| false),
            Outcome::Proposed {
                on_shortlist: true,
                ..
            }
        ));
        assert!(matches!(
            judge(answer("gnu", "bash"), &shortlist, |v, p| (v, p)
                == ("gnu", "bash")),
            Outcome::Proposed {
                on_shortlist: false,
                ..
            }
        ));
        match judge(answer("acme", "httpd"), &shortlist, |_, _| false) {
            Outcome::Rejected { why, .. } => assert!(why.contains("acme:httpd"), "{why}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_prompt_lists_the_facts_and_every_candidate() {
        let facts = ComponentFacts {
            name: "lightttpd".into(),
            version: Some("1.4.35".into()),
            purl: Some("pkg:generic/lightttpd@1.4.35".into()),
            supplier: Some("ACME\nCorp".into()),
            ..Default::default()
        };
        let p = prompt(
            &facts,
            &[candidate("lighttpd", "lighttpd"), candidate("a", "b")],
        );
        assert!(p.contains("Name: lightttpd\n"), "{p}");
        assert!(
            p.contains("Supplier: ACMECorp\n"),
            "control characters go: {p}"
        );
        assert!(p.contains("1. lighttpd:lighttpd (3 records)"), "{p}");
        assert!(p.contains("2. a:b"), "{p}");
        assert!(!p.contains("Description"), "{p}");
    }
}
