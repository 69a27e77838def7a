//! Text from outside (SBOM names, notes, user names) made safe for a
//! terminal: control characters are shown escaped, so a crafted name
//! cannot move the cursor, clear the screen or forge lines.

use std::borrow::Cow;

pub fn safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.chars().flat_map(char::escape_default).collect())
}

#[cfg(test)]
mod tests {
    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(super::safe("plain"), "plain");
        assert_eq!(super::safe("a\u{1b}[2Jb\r\n"), "a\\u{1b}[2Jb\\r\\n");
    }
}
