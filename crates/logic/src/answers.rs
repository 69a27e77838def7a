//! Answers to a checklist: condition id → yes / no / unknown, with a note
//! and evidence, read from YAML or JSON.
//!
//! ```yaml
//! vulnerability: CVE-2007-2447      # optional; checked against the tree
//! answers:
//!   c1: yes
//!   c2:
//!     answer: no
//!     note: "username map script" is not set in the shipped smb.conf
//!     evidence: grep -n "username map" /etc/samba/smb.conf → no match
//! ```
//!
//! Every id must be a condition of the tree being answered and may appear
//! only once: an answer to a condition that does not exist is a mistake
//! (a typo, or answers meant for another tree), and evaluating anyway could
//! produce a wrong verdict without anyone noticing.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::conditions::Conditions;

/// Larger answer files are refused before parsing.
pub const MAX_FILE_BYTES: usize = 1 << 20;
/// More answers than this are refused (no real tree has that many conditions).
pub const MAX_ANSWERS: usize = 10_000;
/// Longest note or evidence text, in characters.
pub const MAX_TEXT_CHARS: usize = 8_000;

/// One answer: does the condition hold in the product?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerValue {
    Yes,
    No,
    Unknown,
}

impl AnswerValue {
    /// Reads the spellings people write: yes/no/unknown (any case), y/n,
    /// true/false, and はい/いいえ/不明 for Japanese teams.
    pub fn parse(s: &str) -> Option<AnswerValue> {
        match s.trim().to_lowercase().as_str() {
            "yes" | "y" | "true" | "はい" => Some(AnswerValue::Yes),
            "no" | "n" | "false" | "いいえ" => Some(AnswerValue::No),
            "unknown" | "?" | "" | "不明" | "わからない" => Some(AnswerValue::Unknown),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AnswerValue::Yes => "yes",
            AnswerValue::No => "no",
            AnswerValue::Unknown => "unknown",
        }
    }
}

impl fmt::Display for AnswerValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An answer with what supports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Answer {
    pub answer: AnswerValue,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}

/// A parsed, not yet checked answers file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Answers {
    pub vulnerability: Option<String>,
    /// In file order; ids unique.
    pub entries: Vec<(String, Answer)>,
}

impl Answers {
    /// The answers as a map, after [`Answers::check`] has succeeded.
    pub fn by_id(&self) -> BTreeMap<&str, &Answer> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v)).collect()
    }

    /// Checks the answers against the tree they answer: every id must be a
    /// condition of the tree, and the vulnerability (when given) the tree's.
    pub fn check(&self, tree: &Conditions) -> Result<(), AnswersError> {
        if let Some(v) = &self.vulnerability
            && !v.eq_ignore_ascii_case(&tree.vulnerability)
        {
            return Err(AnswersError::WrongVulnerability {
                answers: v.clone(),
                tree: tree.vulnerability.clone(),
            });
        }
        let valid: Vec<&str> = tree.conditions().iter().map(|c| c.id.as_str()).collect();
        let unknown: Vec<String> = self
            .entries
            .iter()
            .map(|(id, _)| id)
            .filter(|id| !valid.contains(&id.as_str()))
            .cloned()
            .collect();
        if !unknown.is_empty() {
            return Err(AnswersError::UnknownIds {
                ids: unknown,
                valid: valid.iter().map(|s| s.to_string()).collect(),
            });
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AnswersError {
    #[error("the answers file is empty")]
    Empty,
    #[error("the answers file is {size} bytes; more than {MAX_FILE_BYTES} is refused")]
    TooLarge { size: usize },
    #[error("the answers file is not UTF-8 text (invalid byte at offset {offset})")]
    NotText { offset: usize },
    #[error("{message}")]
    Syntax { message: String },
    #[error("at {path}: {message}")]
    Invalid { path: String, message: String },
    #[error("answers.{id} is given twice")]
    Duplicate { id: String },
    #[error(
        "answers for condition ids that the tree does not have: {}; valid ids: {}",
        ids.join(", "),
        if valid.is_empty() { "(none: the tree has no conditions)".to_string() } else { valid.join(", ") }
    )]
    UnknownIds {
        ids: Vec<String>,
        valid: Vec<String>,
    },
    #[error("the answers are for {answers} but the condition tree is for {tree}")]
    WrongVulnerability { answers: String, tree: String },
}

/// Parses an answers file; JSON when it starts with `{`, else YAML (of
/// which JSON is a subset anyway).
pub fn parse(bytes: &[u8]) -> Result<Answers, AnswersError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(AnswersError::TooLarge { size: bytes.len() });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| AnswersError::NotText {
        offset: e.valid_up_to(),
    })?;
    let text = text.trim_start_matches('\u{feff}');
    if text.trim().is_empty() {
        return Err(AnswersError::Empty);
    }
    if let Some(line) = too_deep(text) {
        return Err(AnswersError::Syntax {
            message: format!(
                "brackets nested deeper than {MAX_NESTING} levels at line {line}; an answers file needs 3"
            ),
        });
    }
    let raw: RawFile = if text.trim_start().starts_with('{') {
        let mut de = serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(&mut de).map_err(|e| located(e, |e| e.to_string()))?
    } else {
        let de = serde_norway::Deserializer::from_str(text);
        serde_path_to_error::deserialize(de).map_err(|e| located(e, |e| e.to_string()))?
    };
    raw.into_answers()
}

/// Deepest `[`/`{` nesting accepted. The YAML parser's time grows with the
/// square of the nesting depth (a 1 MiB file of brackets takes minutes), so
/// deep documents are refused before parsing.
pub const MAX_NESTING: usize = 64;

/// The line where flow nesting first exceeds [`MAX_NESTING`], if it does.
/// Brackets inside quotes do not count; others in plain text may, which
/// errs on the side of refusing.
fn too_deep(text: &str) -> Option<usize> {
    let (mut depth, mut line, mut quote) = (0usize, 1usize, None);
    for c in text.chars() {
        match (quote, c) {
            (_, '\n') => {
                line += 1;
                // Quoted scalars in answers files are single-line in practice;
                // a stray quote must not hide the rest of the file.
                quote = None;
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '{') => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(line);
                }
            }
            (None, ']' | '}') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// A serde error with its path (`answers.c2.answer`) and, for syntax
/// errors, the line and column the parser reports. A syntax error inside a
/// value leaves an unknown (`?`) last segment, which says nothing: the
/// line and column do.
fn located<E>(e: serde_path_to_error::Error<E>, show: impl Fn(&E) -> String) -> AnswersError {
    let path = e
        .path()
        .to_string()
        .split('.')
        .filter(|seg| *seg != "?")
        .collect::<Vec<_>>()
        .join(".");
    let message = show(e.inner());
    // The YAML parser may lead with (part of) the path itself.
    let message = match message.split_once(": ") {
        Some((lead, rest)) if !lead.contains(' ') && path.starts_with(lead) => rest.to_string(),
        _ => message,
    };
    if path == "." || path.is_empty() {
        AnswersError::Syntax { message }
    } else {
        AnswersError::Invalid { path, message }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    vulnerability: Option<String>,
    answers: RawAnswers,
}

impl RawFile {
    fn into_answers(self) -> Result<Answers, AnswersError> {
        let mut seen = HashSet::new();
        let mut entries = Vec::with_capacity(self.answers.0.len());
        for (id, raw) in self.answers.0 {
            if !seen.insert(id.clone()) {
                return Err(AnswersError::Duplicate { id });
            }
            let answer = raw.into_answer().map_err(|message| AnswersError::Invalid {
                path: format!("answers.{id}"),
                message,
            })?;
            entries.push((id, answer));
        }
        Ok(Answers {
            vulnerability: self.vulnerability,
            entries,
        })
    }
}

/// The `answers` map, kept as a list so that a key given twice is seen
/// (serde's maps keep the last one silently).
struct RawAnswers(Vec<(String, RawAnswer)>);

impl<'de> Deserialize<'de> for RawAnswers {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawAnswers;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of condition id to answer")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawAnswers, A::Error> {
                let mut out = Vec::new();
                while let Some(id) = map.next_key::<String>()? {
                    if out.len() >= MAX_ANSWERS {
                        return Err(de::Error::custom(format!(
                            "more than {MAX_ANSWERS} answers"
                        )));
                    }
                    let answer = map.next_value::<RawAnswer>()?;
                    out.push((id, answer));
                }
                Ok(RawAnswers(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// `c1: yes`, `c1: true`, or `c1: {answer: no, note: …, evidence: …}`.
/// Read by hand rather than as an untagged enum: its errors then say what
/// an answer may be, at the entry's own line.
enum RawAnswer {
    Value(RawValue),
    Full {
        answer: RawValue,
        note: Option<String>,
        evidence: Option<String>,
    },
}

enum RawValue {
    Bool(bool),
    Word(String),
}

const ANSWER_FIELDS: &[&str] = &["answer", "note", "evidence"];

impl<'de> Deserialize<'de> for RawAnswer {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawAnswer;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "an answer: yes, no or unknown, or a map with `answer` (and `note`, `evidence`)",
                )
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> Result<RawAnswer, E> {
                Ok(RawAnswer::Value(RawValue::Bool(b)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<RawAnswer, E> {
                Ok(RawAnswer::Value(RawValue::Word(s.to_string())))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawAnswer, A::Error> {
                let (mut answer, mut note, mut evidence) = (None, None, None);
                while let Some(key) = map.next_key::<String>()? {
                    let slot = match key.as_str() {
                        "answer" => {
                            answer = Some(map.next_value::<RawValue>()?);
                            continue;
                        }
                        "note" => &mut note,
                        "evidence" => &mut evidence,
                        other => return Err(de::Error::unknown_field(other, ANSWER_FIELDS)),
                    };
                    *slot = map.next_value::<Option<Text>>()?.map(|t| t.0);
                }
                let answer = answer.ok_or_else(|| de::Error::missing_field("answer"))?;
                Ok(RawAnswer::Full {
                    answer,
                    note,
                    evidence,
                })
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for RawValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("yes, no or unknown")
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> Result<RawValue, E> {
                Ok(RawValue::Bool(b))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<RawValue, E> {
                Ok(RawValue::Word(s.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

impl RawValue {
    fn value(&self) -> Result<AnswerValue, String> {
        match self {
            RawValue::Bool(true) => Ok(AnswerValue::Yes),
            RawValue::Bool(false) => Ok(AnswerValue::No),
            RawValue::Word(w) => AnswerValue::parse(w)
                .ok_or_else(|| format!("`{w}` is not an answer; use yes, no or unknown")),
        }
    }
}

/// A note or evidence: text, or a number or flag written without quotes.
struct Text(String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("text")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Text, E> {
                Ok(Text(s.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

impl RawAnswer {
    fn into_answer(self) -> Result<Answer, String> {
        let (value, note, evidence) = match self {
            RawAnswer::Value(v) => (v, None, None),
            RawAnswer::Full {
                answer,
                note,
                evidence,
            } => (answer, note, evidence),
        };
        for (name, text) in [("note", &note), ("evidence", &evidence)] {
            if let Some(t) = text
                && t.chars().count() > MAX_TEXT_CHARS
            {
                return Err(format!("{name} is longer than {MAX_TEXT_CHARS} characters"));
            }
        }
        Ok(Answer {
            answer: value.value()?,
            note: note.filter(|n| !n.trim().is_empty()),
            evidence: evidence.filter(|e| !e.trim().is_empty()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_short_and_full_forms() {
        let a = parse(
            b"vulnerability: CVE-2007-2447\nanswers:\n  c1: yes\n  c2:\n    answer: No\n    note: not set\n    evidence: grep found nothing\n  c3: unknown\n  c4: false\n",
        )
        .unwrap();
        assert_eq!(a.vulnerability.as_deref(), Some("CVE-2007-2447"));
        let ids: Vec<(&str, AnswerValue)> = a
            .entries
            .iter()
            .map(|(k, v)| (k.as_str(), v.answer))
            .collect();
        assert_eq!(
            ids,
            vec![
                ("c1", AnswerValue::Yes),
                ("c2", AnswerValue::No),
                ("c3", AnswerValue::Unknown),
                ("c4", AnswerValue::No)
            ]
        );
        assert_eq!(a.entries[1].1.note.as_deref(), Some("not set"));
    }

    #[test]
    fn json_form_and_duplicates() {
        let a =
            parse(br#"{"answers": {"c1": {"answer": "yes", "evidence": "ss -tlnp"}}}"#).unwrap();
        assert_eq!(a.entries[0].1.evidence.as_deref(), Some("ss -tlnp"));
        let dup = parse(br#"{"answers": {"c1": "yes", "c1": "no"}}"#).unwrap_err();
        assert_eq!(dup, AnswersError::Duplicate { id: "c1".into() });
    }

    #[test]
    fn bad_input_is_located() {
        assert_eq!(parse(b"  \n").unwrap_err(), AnswersError::Empty);
        let e = parse(b"answers:\n  c1: maybe\n").unwrap_err();
        assert!(e.to_string().contains("answers.c1"), "{e}");
        assert!(e.to_string().contains("maybe"), "{e}");
        let e = parse(b"answer:\n  c1: yes\n").unwrap_err().to_string();
        assert!(e.contains("answer"), "{e}");
        let e = parse(b"answers: [1, 2]\n").unwrap_err().to_string();
        assert!(e.contains("answers"), "{e}");
        let big = vec![b' '; MAX_FILE_BYTES + 1];
        assert!(matches!(
            parse(&big).unwrap_err(),
            AnswersError::TooLarge { .. }
        ));
        assert!(matches!(
            parse(b"answers:\n  c1: \xff\n").unwrap_err(),
            AnswersError::NotText { offset: 15 }
        ));
    }

    #[test]
    fn deep_nesting_is_refused_without_overflowing_the_stack() {
        let depth = 500_000;
        let json = format!(
            "{{\"answers\": {{\"c1\": {{\"answer\": {}{}}}}}}}",
            "[".repeat(depth),
            "]".repeat(depth)
        );
        let started = std::time::Instant::now();
        let e = parse(json.as_bytes()).unwrap_err().to_string();
        assert!(e.contains("nested deeper than 64 levels at line 1"), "{e}");
        let yaml = format!(
            "answers:\n  c1:\n    answer: {}{}\n",
            "[".repeat(depth),
            "]".repeat(depth)
        );
        assert!(parse(yaml.as_bytes()).is_err());
        assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
        // Brackets in quoted notes do not count.
        let note = format!(
            "answers:\n  c1:\n    answer: no\n    note: \"{}\"\n",
            "[".repeat(100)
        );
        assert!(parse(note.as_bytes()).is_ok());
    }

    #[test]
    fn hostile_yaml_is_refused_quickly() {
        // A billion-laughs document (aliases that expand exponentially) is
        // refused at its first unknown key, before anything expands.
        let mut doc = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let prev = i - 1;
            doc.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        doc.push_str("answers:\n  c1: yes\n");
        assert!(parse(doc.as_bytes()).is_err());
    }

    #[test]
    fn a_wrong_answer_is_named_at_its_entry_in_plain_words() {
        // Issue #18: not serde's "did not match any variant of untagged
        // enum", and the entry's own line, not the `answers:` line.
        for (text, path, line) in [
            (
                "answers:\n  c1: yes\n\n  c2: [no]\n",
                "answers.c2",
                "line 4",
            ),
            ("answers:\n  c1: 5\n", "answers.c1", "line 2"),
            (
                "answers:\n  c1:\n    answer: [x]\n",
                "answers.c1.answer",
                "line 3",
            ),
            ("{\"answers\": {\"c1\": [true]}}", "answers.c1", "column 20"),
        ] {
            let e = parse(text.as_bytes()).unwrap_err();
            let msg = e.to_string();
            assert!(
                matches!(&e, AnswersError::Invalid { path: p, .. } if p == path),
                "{text:?}: {msg}"
            );
            assert!(msg.contains(line), "{text:?}: {msg}");
            assert!(!msg.contains("untagged"), "{text:?}: {msg}");
            assert!(msg.contains("yes, no or unknown"), "{text:?}: {msg}");
        }
        let e = parse(b"answers:\n  c1:\n    answer: yes\n    notes: x\n").unwrap_err();
        assert!(e.to_string().contains("unknown field `notes`"), "{e}");
        let e = parse(b"answers:\n  c1:\n    note: x\n").unwrap_err();
        assert!(e.to_string().contains("missing field `answer`"), "{e}");
    }

    #[test]
    fn a_syntax_error_is_placed_by_line_not_by_an_unknown_path() {
        for text in ["answers:\n  c1: {answer: yes\n", "{: [\n"] {
            let msg = parse(text.as_bytes()).unwrap_err().to_string();
            assert!(msg.contains("line"), "{text:?}: {msg}");
            assert!(!msg.contains('?'), "{text:?}: {msg}");
        }
        // The YAML error does not repeat the path the message already gives.
        let msg = parse(b"answers: [\n  ]\n").unwrap_err().to_string();
        assert!(!msg.contains("answers: answers:"), "{msg}");
    }
}
