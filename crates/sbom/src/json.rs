//! JSON plumbing: a depth check before parsing, syntax errors with line and
//! column, JSON pointers, and field readers that tolerate (and report)
//! wrong types.

use serde_json::{Map, Value};

use crate::ctx::Ctx;
use crate::error::{LineIndex, Location, SbomError};

/// Fails if arrays and objects nest deeper than `max_depth`. A linear scan
/// that needs no stack, run before the tree is built so that a hostile
/// document cannot make the parser recurse deeply.
pub(crate) fn check_depth(bytes: &[u8], max_depth: usize) -> Result<(), SbomError> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, &b) in bytes.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > max_depth {
                    return Err(SbomError::TooDeep {
                        at: LineIndex::new(bytes).location(i),
                        limit: max_depth,
                    });
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Parses JSON text; a syntax error names its line and column.
pub(crate) fn parse_value(bytes: &[u8], max_depth: usize) -> Result<Value, SbomError> {
    check_depth(bytes, max_depth)?;
    serde_json::from_slice(bytes).map_err(|e| {
        let at = Location::LineColumn {
            line: e.line() as u64,
            column: e.column() as u64,
        };
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let message = full.strip_suffix(&suffix).unwrap_or(&full).to_string();
        if message.contains("recursion limit exceeded") {
            // serde_json's own fixed bound (128), below a larger max_depth.
            return SbomError::TooDeep { at, limit: 128 };
        }
        SbomError::Syntax {
            syntax: "JSON",
            at,
            message,
        }
    })
}

/// `base` extended by one object member, escaped per RFC 6901.
pub(crate) fn ptr(base: &str, key: &str) -> String {
    let mut s = String::with_capacity(base.len() + key.len() + 1);
    s.push_str(base);
    s.push('/');
    for c in key.chars() {
        match c {
            '~' => s.push_str("~0"),
            '/' => s.push_str("~1"),
            c => s.push(c),
        }
    }
    s
}

/// `base` extended by one array index.
pub(crate) fn idx(base: &str, i: usize) -> String {
    format!("{base}/{i}")
}

pub(crate) fn at(pointer: &str) -> Location {
    Location::Pointer(pointer.to_string())
}

/// "a string", "a number", ... for messages.
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Reads a string member. A number or boolean is a deviation, used as its
/// text; null, an array or an object is a deviation, ignored.
pub(crate) fn string(
    ctx: &mut Ctx<'_>,
    obj: &Map<String, Value>,
    key: &str,
    base: &str,
) -> Result<Option<String>, SbomError> {
    match obj.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v @ (Value::Number(_) | Value::Bool(_))) => {
            let text = v.to_string();
            ctx.deviation(
                at(&ptr(base, key)),
                format!("{} where a string is expected; read as \"{text}\"", kind(v)),
            )?;
            Ok(Some(text))
        }
        Some(v) => {
            ctx.deviation(
                at(&ptr(base, key)),
                format!("{} where a string is expected; ignored", kind(v)),
            )?;
            Ok(None)
        }
    }
}

/// Reads an array member; anything else is a deviation, ignored.
pub(crate) fn array<'v>(
    ctx: &mut Ctx<'_>,
    obj: &'v Map<String, Value>,
    key: &str,
    base: &str,
) -> Result<&'v [Value], SbomError> {
    match obj.get(key) {
        None => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(v) => {
            ctx.deviation(
                at(&ptr(base, key)),
                format!("{} where an array is expected; ignored", kind(v)),
            )?;
            Ok(&[])
        }
    }
}

/// Reads an object member; anything else is a deviation, ignored.
pub(crate) fn object<'v>(
    ctx: &mut Ctx<'_>,
    obj: &'v Map<String, Value>,
    key: &str,
    base: &str,
) -> Result<Option<&'v Map<String, Value>>, SbomError> {
    match obj.get(key) {
        None => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(v) => {
            ctx.deviation(
                at(&ptr(base, key)),
                format!("{} where an object is expected; ignored", kind(v)),
            )?;
            Ok(None)
        }
    }
}

/// Reports members whose names are not in `known`.
pub(crate) fn unknown_members(
    ctx: &mut Ctx<'_>,
    obj: &Map<String, Value>,
    known: &[&str],
    base: &str,
    what: &str,
) -> Result<(), SbomError> {
    for key in obj.keys() {
        if !known.contains(&key.as_str()) {
            ctx.deviation(at(&ptr(base, key)), format!("unknown {what} field `{key}`"))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_ignores_brackets_in_strings() {
        assert!(check_depth(br#"{"a":"[[[[[[[[\"[[["}"#, 2).is_ok());
        let e = check_depth(b"{\n  \"a\": [[[1]]]}", 3).unwrap_err();
        assert_eq!(
            e,
            SbomError::TooDeep {
                at: Location::LineColumn {
                    line: 2,
                    column: 10
                },
                limit: 3
            }
        );
    }

    #[test]
    fn syntax_error_has_line_and_column() {
        let e = parse_value(b"{\n  \"a\": 1,\n  \"b\": }", 64).unwrap_err();
        match e {
            SbomError::Syntax {
                syntax,
                at,
                message,
            } => {
                assert_eq!(syntax, "JSON");
                assert_eq!(at, Location::LineColumn { line: 3, column: 8 });
                assert!(!message.contains("at line"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn pointer_escapes() {
        assert_eq!(ptr("/a", "b/c~d"), "/a/b~1c~0d");
        assert_eq!(idx("/components", 3), "/components/3");
    }
}
