//! Small text helpers shared by the clause rules: cleaning a description,
//! finding clause ends, splitting enumerations, shortening to 160 characters.
//!
//! Everything works on byte offsets of an ASCII-lowercased copy
//! (`to_ascii_lowercase` keeps offsets, so a span found in the copy slices
//! the original text). Plain `find` scans only: no regular expressions, so
//! the cost per record stays linear and predictable over 157k records.

/// Longest `text` a condition may carry (the schema's maxLength, in characters).
pub const MAX_TEXT: usize = crate::conditions::MAX_TEXT_CHARS;

/// The description with the parts that state no trigger condition removed:
/// everything from `NOTE:` on (history of the entry, disputes) and runs of
/// whitespace collapsed to one space.
pub fn clean(description: &str) -> String {
    let body = match description.find("NOTE:") {
        Some(i) => &description[..i],
        None => description,
    };
    let mut out = String::with_capacity(body.len());
    let mut space = false;
    for ch in body.chars() {
        if ch.is_whitespace() {
            space = true;
        } else {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(ch);
        }
    }
    out
}

/// Every start offset of `needle` in `hay`.
pub fn find_all<'a>(hay: &'a str, needle: &'a str) -> impl Iterator<Item = usize> + 'a {
    let mut from = 0;
    std::iter::from_fn(move || {
        let i = hay.get(from..)?.find(needle)? + from;
        from = i + needle.len().max(1);
        Some(i)
    })
}

/// The earliest offset at or after `from` where one of `stops` begins, else
/// `limit`. Stops inside double quotes do not count: a quoted option name
/// ("Do not allow attachments …") is one name.
///
/// One left-to-right pass that tries the stops only where one can begin:
/// every stop starts with a space or punctuation (checked in debug builds).
/// One search per stop was half of the run time over the whole database.
pub fn first_stop(lc: &str, from: usize, limit: usize, stops: &[&str]) -> usize {
    debug_assert!(
        stops
            .iter()
            .all(|s| s.starts_with([' ', ',', ';', '.', '('])),
        "{stops:?}"
    );
    let window = &lc.as_bytes()[..limit];
    let mut quoted = false;
    for i in from..limit {
        let c = window[i];
        if c == b'"' {
            quoted = !quoted;
            continue;
        }
        if quoted || !matches!(c, b' ' | b',' | b';' | b'.' | b'(') {
            continue;
        }
        let rest = &window[i..];
        if stops
            .iter()
            .any(|s| s.as_bytes()[0] == c && rest.starts_with(s.as_bytes()))
        {
            return i;
        }
    }
    limit
}

/// End of the sentence that contains `at`: the next ". " followed by a
/// capital letter, a `;`, or the end of the text. Version numbers ("1.2.")
/// and abbreviations followed by lower case do not end a sentence.
pub fn sentence_end(text: &str, at: usize) -> usize {
    let b = text.as_bytes();
    let mut i = at;
    while i < b.len() {
        match b[i] {
            b';' => return i,
            b'.' if i + 1 == b.len() => return i,
            b'.' if b[i + 1] == b' ' && b.get(i + 2).is_some_and(u8::is_ascii_uppercase) => {
                return i;
            }
            _ => {}
        }
        i += 1;
    }
    b.len()
}

/// `s` without surrounding spaces and punctuation that only separates
/// clauses.
pub fn trim_clause(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '.' | ':'))
}

/// Whether `word` occurs in `lc` as a whole word.
pub fn has_word(lc: &str, word: &str) -> bool {
    find_all(lc, word).any(|i| {
        let before = lc[..i].chars().next_back();
        let after = lc[i + word.len()..].chars().next();
        !before.is_some_and(is_word_char) && !after.is_some_and(is_word_char)
    })
}

pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The items of an enumeration: numbered (`(1) A, (2) B, or (3) C`) or
/// listed (`A, B, or C`; `A or B`). `None` when `s` is not one. Items keep
/// their words; the joining commas and conjunctions are dropped. `and_too`
/// also splits on a final "and" (for lists whose conjunction means
/// "any of these", e.g. "vectors involving A, B, and C").
pub fn enumeration(s: &str, and_too: bool) -> Option<Vec<String>> {
    if let Some(items) = numbered(s) {
        return Some(items);
    }
    let parts: Vec<&str> = s.split(", ").collect();
    let mut items: Vec<String> = Vec::new();
    if parts.len() >= 2 {
        let last = parts[parts.len() - 1];
        let (conj_ok, last_item) = if let Some(rest) = last.strip_prefix("or ") {
            (true, rest)
        } else if let Some(rest) = last.strip_prefix("and ") {
            (and_too, rest)
        } else {
            (false, last)
        };
        if !conj_ok {
            return None;
        }
        for p in &parts[..parts.len() - 1] {
            items.push(p.trim().to_string());
        }
        items.push(last_item.trim().to_string());
    } else if let Some((a, b)) = s.split_once(" or ") {
        if b.contains(" or ") {
            return None;
        }
        items.push(a.trim().to_string());
        items.push(b.trim().to_string());
    } else {
        return None;
    }
    // "PhoneGap 2.9.0 or earlier" is a version range, not two things.
    if items.iter().any(|i| {
        matches!(
            i.to_ascii_lowercase().as_str(),
            "earlier" | "later" | "newer" | "higher" | "above" | "below" | "prior" | "before"
        )
    }) {
        return None;
    }
    // "Internet Explorer 6 or 7": a bare version takes the first item's name.
    let name: Vec<&str> = items[0]
        .split(' ')
        .take_while(|w| !w.starts_with(|c: char| c.is_ascii_digit()))
        .collect();
    if !name.is_empty() && name.len() < items[0].split(' ').count() {
        let name = name.join(" ");
        for item in items.iter_mut().skip(1) {
            if item.starts_with(|c: char| c.is_ascii_digit()) {
                *item = format!("{name} {item}");
            }
        }
    }
    // "… and other situations in which …" closes a list of examples.
    if items.len() > 2
        && items
            .last()
            .is_some_and(|i| i.starts_with("other ") || i.starts_with("possibly other "))
    {
        items.pop();
    }
    // An enumeration of clauses is not a list of names.
    let max_words = if and_too { 14 } else { 8 };
    let plausible = items
        .iter()
        .all(|i| !i.is_empty() && i.split(' ').count() <= max_words);
    (plausible && items.len() >= 2).then_some(items)
}

/// `(1) A, (2) B, or (3) C` → `[A, B, C]`, keeping the words before `(1)`
/// as a prefix of every item (`the (1) a or (2) b parameter` → `the a …`).
fn numbered(s: &str) -> Option<Vec<String>> {
    numbered_with(s, |n| format!("({n})"))
        .or_else(|| numbered_with(s, |n| format!("({})", char::from(b'a' + (n as u8 - 1)))))
}

fn numbered_with(s: &str, label: impl Fn(usize) -> String) -> Option<Vec<String>> {
    let first = s.find(label(1).as_str())?;
    let prefix = &s[..first];
    let mut items = Vec::new();
    let mut rest = &s[first..];
    let mut n = 1;
    loop {
        let marker = label(n);
        let Some(body) = rest.strip_prefix(marker.as_str()) else {
            break;
        };
        let next = label(n + 1);
        let (item, tail) = match body.find(next.as_str()) {
            Some(j) => (&body[..j], &body[j..]),
            None => (body, ""),
        };
        let item = trim_joiners(item);
        if !item.is_empty() {
            items.push(format!("{prefix}{item}").trim().to_string());
        }
        rest = tail;
        n += 1;
    }
    (items.len() >= 2).then_some(items)
}

/// `s` without the joining words an enumeration leaves at its ends
/// ("the id parameter and the" → "the id parameter").
pub fn trim_joiners(s: &str) -> &str {
    let mut s = s.trim().trim_end_matches(',').trim();
    loop {
        let before = s;
        for w in [" and", " or", " the", " a", " an", ","] {
            if s.len() > w.len() && s.to_ascii_lowercase().ends_with(w) {
                s = s[..s.len() - w.len()].trim_end();
            }
        }
        if s == before {
            return s;
        }
    }
}

/// `s` cut to at most `max` characters at a word boundary, with "…" when cut.
pub fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let budget = max.saturating_sub(1);
    let cut = s.char_indices().nth(budget).map_or(s.len(), |(i, _)| i);
    let head = &s[..cut];
    let head = match head.rfind(' ') {
        Some(i) if i > budget / 2 => &head[..i],
        _ => head,
    };
    format!("{}…", trim_clause(head))
}

/// `s` with a leading article capitalised ("the X option" → "The X
/// option"). Other first words keep their case: they are often names
/// whose case matters (`scp`, `register_globals`, `iTunes`).
pub fn capitalize(s: &str) -> String {
    for (article, upper) in [("the ", "The "), ("a ", "A "), ("an ", "An ")] {
        if let Some(rest) = s.strip_prefix(article) {
            return format!("{upper}{rest}");
        }
    }
    s.to_string()
}

/// `s` with a leading article in lower case ("The X option" → "the X
/// option"); names keep their case.
pub fn decapitalize(s: &str) -> String {
    for (article, lower) in [("The ", "the "), ("A ", "a "), ("An ", "an ")] {
        if let Some(rest) = s.strip_prefix(article) {
            return format!("{lower}{rest}");
        }
    }
    s.to_string()
}

/// Drops a leading article ("a", "an", "the").
pub fn strip_article(s: &str) -> &str {
    for a in ["a ", "an ", "the ", "A ", "An ", "The "] {
        if let Some(rest) = s.strip_prefix(a) {
            return rest;
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_stop_skips_quoted_words() {
        let t = r#"with "do not allow x" enabled, allows y"#;
        assert_eq!(first_stop(t, 0, t.len(), &[" allow", ", "]), 29);
        assert_eq!(first_stop(t, 0, 10, &[" allow"]), 10);
    }

    #[test]
    fn clean_drops_notes_and_collapses_space() {
        assert_eq!(
            clean("Overflow in X,  when Y.  NOTE: it was later reported"),
            "Overflow in X, when Y."
        );
    }

    #[test]
    fn enumerations_numbered_and_listed() {
        assert_eq!(
            enumeration("the (1) id, (2) name, or (3) page parameter", false).unwrap(),
            ["the id", "the name", "the page parameter"]
        );
        assert_eq!(
            enumeration(
                "Clientless SSL VPN, AnyConnect SSL VPN, or AnyConnect IKEv2 VPN",
                false
            )
            .unwrap(),
            [
                "Clientless SSL VPN",
                "AnyConnect SSL VPN",
                "AnyConnect IKEv2 VPN"
            ]
        );
        assert_eq!(enumeration("A or B", false).unwrap(), ["A", "B"]);
        assert!(enumeration("PhoneGap 2.9.0 or earlier", false).is_none());
        assert_eq!(
            enumeration("Internet Explorer 6 or 7", false).unwrap(),
            ["Internet Explorer 6", "Internet Explorer 7"]
        );
        assert!(enumeration("A, B, and C", false).is_none());
        assert_eq!(enumeration("A, B, and C", true).unwrap(), ["A", "B", "C"]);
        assert!(enumeration("a single thing", true).is_none());
    }

    #[test]
    fn shorten_respects_the_limit_in_characters() {
        let long = "word ".repeat(60);
        let s = shorten(&long, MAX_TEXT);
        assert!(s.chars().count() <= MAX_TEXT, "{}", s.chars().count());
        assert!(s.ends_with('…'));
        assert_eq!(shorten("short", MAX_TEXT), "short");
        let jp = "脆弱".repeat(100);
        assert!(shorten(&jp, MAX_TEXT).chars().count() <= MAX_TEXT);
    }

    #[test]
    fn sentences_do_not_end_at_version_numbers() {
        let t = "X 1.2. and earlier fails. Then more.";
        assert_eq!(&t[..sentence_end(t, 0)], "X 1.2. and earlier fails");
    }
}
