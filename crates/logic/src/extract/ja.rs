//! Japanese wording of a condition's own words (issue #17): statement
//! templates per shape ("X is enabled in Y" → "Y で X が有効になっている")
//! and a glossary of security and product terms as data
//! (`data/glossary-ja.tsv`). Names and identifiers stay as written; a word
//! the glossary does not know stays English, so a reader still sees it.

use std::sync::OnceLock;

use super::text::is_word_char;

fn glossary() -> &'static [(String, String)] {
    static TABLE: OnceLock<Vec<(String, String)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut v: Vec<(String, String)> = include_str!("../../data/glossary-ja.tsv")
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .filter_map(|l| l.split_once('\t'))
            .map(|(en, ja)| (en.trim().to_ascii_lowercase(), ja.trim().to_string()))
            .collect();
        // Longest first, so "web management interface" wins over "interface".
        v.sort_by_key(|(en, _)| std::cmp::Reverse(en.len()));
        v
    })
}

/// Glossary terms replaced (whole words, any case, longest first); articles
/// dropped; everything else kept.
pub(crate) fn terms(phrase: &str) -> String {
    let words: Vec<&str> = phrase.split(' ').filter(|w| !w.is_empty()).collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    'words: while i < words.len() {
        for (en, ja) in glossary() {
            let n = en.split(' ').count();
            if i + n > words.len() {
                continue;
            }
            let candidate = words[i..i + n].join(" ");
            let (core, tail) = split_punct(&candidate);
            if core.eq_ignore_ascii_case(en) {
                out.push(format!("{ja}{tail}"));
                i += n;
                continue 'words;
            }
        }
        let w = words[i];
        if !["the", "a", "an"].contains(&w.to_ascii_lowercase().as_str()) {
            out.push(w.to_string());
        }
        i += 1;
    }
    out.join(" ")
}

/// "word," → ("word", ","): trailing punctuation kept apart.
fn split_punct(s: &str) -> (&str, &str) {
    let end = s.trim_end_matches(|c: char| !is_word_char(c) && c != ')' && c != '"');
    (end, &s[end.len()..])
}

/// "X in Y" / "X of Y" → "Y の X", once, at the last " in "/" of ".
fn possessive(phrase: &str) -> String {
    for sep in [" in the ", " in ", " of the ", " of "] {
        if let Some(i) = phrase.rfind(sep) {
            let (x, y) = (&phrase[..i], &phrase[i + sep.len()..]);
            if !x.is_empty() && !y.is_empty() && y.split(' ').count() <= 5 {
                return format!("{} の {}", terms(y), terms(x));
            }
        }
    }
    terms(phrase)
}

/// A statement in Japanese when its shape is known: "X is enabled [in Y]",
/// "X is used", "X is present and in use", "The flaw is reachable through X".
/// `None` otherwise.
pub(crate) fn statement(text: &str) -> Option<String> {
    let t = text.trim_end_matches('.');
    if let Some(x) = t.strip_prefix("The flaw is reachable through ") {
        return Some(format!("{} を経由して脆弱性に到達できる", possessive(x)));
    }
    for (suffix, ja) in [
        (" is present and in use", "が組み込まれ、使われている"),
        (" is enabled", "が有効になっている"),
        (" are enabled", "が有効になっている"),
        (" is used", "が使われている"),
        (" are used", "が使われている"),
        (" is reachable by an attacker", "に攻撃者が到達できる"),
    ] {
        if let Some(x) = t.strip_suffix(suffix) {
            return Some(format!("{} {ja}", possessive(x)));
        }
    }
    if let Some(i) = t.find(" is enabled in ") {
        let (x, y) = (&t[..i], &t[i + " is enabled in ".len()..]);
        return Some(format!("{} で {} が有効になっている", terms(y), terms(x)));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_and_shapes_become_japanese() {
        assert_eq!(terms("a crafted packet"), "細工された パケット");
        assert_eq!(
            terms("the web management interface"),
            "Web 管理インターフェース"
        );
        assert_eq!(
            statement("The flaw is reachable through the ForceCommand feature in OpenSSH sshd")
                .unwrap(),
            "OpenSSH sshd の ForceCommand 機能 を経由して脆弱性に到達できる"
        );
        assert_eq!(
            statement("The \"username map script\" option is enabled in smb.conf").unwrap(),
            "smb.conf で \"username map script\" オプション が有効になっている"
        );
        assert!(statement("Something else entirely").is_none());
    }
}
