//! Reading a `kensa.conditions/v1` document that someone wrote or edited,
//! with the checks the contract makes (and serde alone does not): the
//! schema id, unique condition ids, texts of at most 160 characters, no
//! empty groups below the root.

use std::collections::HashSet;

use crate::conditions::{Conditions, Node, SCHEMA_ID};

/// Larger documents are refused.
pub const MAX_DOCUMENT_BYTES: usize = 8 << 20;
const MAX_TEXT_CHARS: usize = 160;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DocumentError {
    #[error("{size} bytes; condition documents larger than {MAX_DOCUMENT_BYTES} bytes are refused")]
    TooLarge { size: usize },
    #[error("at {path}: {message}")]
    Invalid { path: String, message: String },
}

fn invalid(path: impl Into<String>, message: impl Into<String>) -> DocumentError {
    DocumentError::Invalid {
        path: path.into(),
        message: message.into(),
    }
}

/// Parses and checks a conditions document.
pub fn parse_conditions(bytes: &[u8]) -> Result<Conditions, DocumentError> {
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(DocumentError::TooLarge { size: bytes.len() });
    }
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| invalid("/", e.to_string()))?;
    let tree: Conditions = match serde_path_to_error::deserialize(&value) {
        Ok(t) => t,
        Err(e) => {
            // serde reports a bad node of the untagged tree only as "no
            // variant matched"; find the node and say what is wrong with it.
            if let Some(logic) = value.get("logic")
                && let Some(err) = locate(logic, "logic")
            {
                return Err(err);
            }
            let path = e.path().to_string();
            return Err(invalid(
                if path == "." { "/".into() } else { path },
                e.inner().to_string(),
            ));
        }
    };
    check(&tree)?;
    Ok(tree)
}

/// The first node below `v` that is neither a valid group nor a valid
/// condition, with the reason.
fn locate(v: &serde_json::Value, path: &str) -> Option<DocumentError> {
    use crate::conditions::{Condition, GroupOp};
    let Some(obj) = v.as_object() else {
        return Some(invalid(path, "a node must be an object"));
    };
    if obj.contains_key("op") || obj.contains_key("children") {
        if let Err(e) =
            serde_json::from_value::<GroupOp>(obj.get("op").cloned().unwrap_or_default())
        {
            return Some(invalid(format!("{path}.op"), e.to_string()));
        }
        let Some(children) = obj.get("children").and_then(|c| c.as_array()) else {
            return Some(invalid(format!("{path}.children"), "must be an array"));
        };
        if let Some(extra) = obj.keys().find(|k| *k != "op" && *k != "children") {
            return Some(invalid(path, format!("unknown field `{extra}` in a group")));
        }
        return children
            .iter()
            .enumerate()
            .find_map(|(i, c)| locate(c, &format!("{path}.children[{i}]")));
    }
    serde_path_to_error::deserialize::<_, Condition>(v)
        .err()
        .map(|e| {
            let inner = e.path().to_string();
            let at = if inner == "." {
                path.to_string()
            } else {
                format!("{path}.{inner}")
            };
            invalid(at, e.inner().to_string())
        })
}

/// The contract's rules on a tree, whoever built it.
pub fn check(tree: &Conditions) -> Result<(), DocumentError> {
    if tree.schema != SCHEMA_ID {
        return Err(invalid(
            "schema",
            format!("`{}` is not {SCHEMA_ID}", tree.schema),
        ));
    }
    let mut ids = HashSet::new();
    check_node(&tree.logic, "logic", true, &mut ids)
}

fn check_node<'t>(
    node: &'t Node,
    path: &str,
    root: bool,
    ids: &mut HashSet<&'t str>,
) -> Result<(), DocumentError> {
    match node {
        Node::Group(g) => {
            if g.children.is_empty() && !root {
                return Err(invalid(
                    format!("{path}.children"),
                    "an empty group below the root",
                ));
            }
            for (i, c) in g.children.iter().enumerate() {
                check_node(c, &format!("{path}.children[{i}]"), false, ids)?;
            }
            Ok(())
        }
        Node::Condition(c) => {
            if c.id.trim().is_empty() {
                return Err(invalid(format!("{path}.id"), "empty"));
            }
            if !ids.insert(&c.id) {
                return Err(invalid(
                    format!("{path}.id"),
                    format!("`{}` is used twice", c.id),
                ));
            }
            if c.text.chars().count() > MAX_TEXT_CHARS {
                return Err(invalid(
                    format!("{path}.text"),
                    format!("longer than {MAX_TEXT_CHARS} characters"),
                ));
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"schema": "kensa.conditions/v1", "vulnerability": "CVE-1", "logic":
        {"op": "all", "children": [
          {"id": "c1", "kind": "network", "text": "t", "question": "q?", "source": "analyst"},
          {"id": "c2", "kind": "other", "text": "u", "question": "r?", "source": "analyst"}]}}"#;

    #[test]
    fn good_documents_load() {
        let t = parse_conditions(GOOD.as_bytes()).unwrap();
        assert_eq!(t.conditions().len(), 2);
    }

    #[test]
    fn contract_breaches_are_located() {
        let dup = GOOD.replace("\"c2\"", "\"c1\"");
        let e = parse_conditions(dup.as_bytes()).unwrap_err().to_string();
        assert!(
            e.contains("logic.children[1].id") && e.contains("`c1` is used twice"),
            "{e}"
        );
        let kind = GOOD.replace("\"other\"", "\"weather\"");
        let e = parse_conditions(kind.as_bytes()).unwrap_err().to_string();
        assert!(
            e.contains("logic.children[1].kind") && e.contains("weather"),
            "{e}"
        );
        let schema = GOOD.replace("kensa.conditions/v1", "kensa.conditions/v9");
        let e = parse_conditions(schema.as_bytes()).unwrap_err().to_string();
        assert!(e.contains("schema"), "{e}");
        let long = GOOD.replace("\"t\"", &format!("\"{}\"", "x".repeat(161)));
        let e = parse_conditions(long.as_bytes()).unwrap_err().to_string();
        assert!(e.contains("logic.children[0].text"), "{e}");
        let e = parse_conditions(b"{\"schema\": ").unwrap_err();
        assert!(matches!(e, DocumentError::Invalid { .. }));
    }
}
