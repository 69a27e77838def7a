//! Terminal hygiene for human output. Names, versions, notes and
//! descriptions come from files others wrote (an SBOM, a shared answers
//! file, a feed, a capture): printed raw, a crafted value could clear the
//! screen (`ESC[2J`), set the terminal title (OSC 0), or forge lines of
//! output (CR, LF). Every human output escapes them; JSON, SARIF and
//! CycloneDX are escaped by their encoders.

use std::borrow::Cow;

/// A value shown inside a line: every control character (C0, DEL, C1),
/// line and paragraph separators and bidirectional overrides are escaped,
/// tabs and line breaks included.
pub fn field(s: &str) -> Cow<'_, str> {
    escape(s, false)
}

/// Text Kensa composed (several lines, tab-aligned): like [`field`] but
/// line feeds and tabs are kept.
pub fn line(s: &str) -> Cow<'_, str> {
    escape(s, true)
}

fn escape(s: &str, keep_layout: bool) -> Cow<'_, str> {
    let unsafe_char = |c: char| needs_escape(c) && !(keep_layout && matches!(c, '\n' | '\t'));
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !unsafe_char(c) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    Cow::Owned(out)
}

/// Characters a terminal acts on rather than shows, or that reorder or
/// break what follows them.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' // line and paragraph separators
            | '\u{202a}'..='\u{202e}' // bidirectional embeddings and overrides
            | '\u{2066}'..='\u{2069}' // bidirectional isolates
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_controls_are_escaped() {
        assert_eq!(field("openssl"), "openssl");
        assert!(matches!(field("openssl 1.0"), Cow::Borrowed(_)));
        assert_eq!(field("a\x1b[2Jb"), "a\\x1b[2Jb");
        assert_eq!(field("\x1b]0;owned\x07"), "\\x1b]0;owned\\x07");
        assert_eq!(field("1.0\r\nCVE-FAKE"), "1.0\\r\\nCVE-FAKE");
        assert_eq!(field("x\u{9b}31m"), "x\\u{9b}31m");
        assert_eq!(field("abc\u{202e}cba"), "abc\\u{202e}cba");
        assert_eq!(field("tab\there"), "tab\\there");
        assert_eq!(line("a\tb\nc\x1b"), "a\tb\nc\\x1b");
        assert_eq!(line("日本語 ok"), "日本語 ok");
    }
}
