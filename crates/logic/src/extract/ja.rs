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

/// Connectors inside a noun phrase, most specific first: "A <en> B" →
/// "B <ja> A", since Japanese puts the modifier before what it modifies
/// ("crafted packets that trigger a buffer over-read" → "バッファの境界外読み取り
/// を引き起こす 細工された パケット").
const CONNECTORS: &[(&str, &str)] = &[
    (" that were created in ", " で作成された "),
    (" that is used as ", " として使われる "),
    (" that are used as ", " として使われる "),
    (" that triggers ", " を引き起こす "),
    (" that trigger ", " を引き起こす "),
    (" related to ", " に関連する "),
    (" involving ", " に関わる "),
    (" containing ", " を含む "),
    (" other than ", " 以外の "),
    (" such as ", " などの "),
    (" behind ", " の背後にある "),
    (" after ", " の後の "),
    (" by ", " による "),
    (" to ", " への "),
    (" in ", " 内の "),
    (" with ", " を伴う "),
    (" of ", " の "),
];

/// Phrases that start with what the attacker does: "sending X" → "X の送信".
const GERUNDS: &[(&str, &str)] = &[
    ("sending ", " の送信"),
    ("triggering ", " を引き起こす操作"),
    ("conducting ", " の実施"),
    ("attempting ", " の試行"),
];

/// A noun phrase in Japanese: connectors reordered ([`CONNECTORS`]), the
/// rest through the glossary ([`terms`]).
pub(crate) fn phrase(p: &str) -> String {
    phrase_at(p.trim(), 0)
}

fn phrase_at(p: &str, depth: usize) -> String {
    if depth > 6 {
        return terms(p);
    }
    // ASCII lower-casing keeps byte offsets, so `lc`'s indices cut `p`.
    let lc = p.to_ascii_lowercase();
    for (en, ja) in GERUNDS {
        if lc.starts_with(en) && p.len() > en.len() {
            return format!("{}{ja}", phrase_at(&p[en.len()..], depth + 1));
        }
    }
    // "A and cause B": what A does, after it.
    if let Some(i) = lc.find(" and cause ") {
        let (a, b) = (&p[..i], &p[i + " and cause ".len()..]);
        return format!(
            "{}（{} を引き起こす）",
            phrase_at(a, depth + 1),
            phrase_at(b, depth + 1)
        );
    }
    for (en, ja) in CONNECTORS {
        if let Some(i) = lc.find(en) {
            let (a, b) = (p[..i].trim(), p[i + en.len()..].trim());
            if !a.is_empty() && !b.is_empty() {
                return format!("{}{ja}{}", phrase_at(b, depth + 1), phrase_at(a, depth + 1));
            }
        }
    }
    terms(p)
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
        (" is disabled", "が無効になっている"),
        (" are disabled", "が無効になっている"),
        (" is configured", "が設定されている"),
        (" are configured", "が設定されている"),
        (" is installed", "がインストールされている"),
        (" is running", "が動作している"),
        (" is large enough", "が十分に大きい"),
    ] {
        if let Some(x) = t.strip_suffix(suffix) {
            return Some(format!("{} {ja}", possessive(x)));
        }
    }
    if let Some(i) = t.find(" is enabled in ") {
        let (x, y) = (&t[..i], &t[i + " is enabled in ".len()..]);
        return Some(format!("{} で {} が有効になっている", terms(y), terms(x)));
    }
    infix(t)
}

/// Words a two-part statement in Japanese: (subject, second phrase).
type Render = fn(&str, &str) -> String;

/// "X is configured with the Y as Z", "X is used in Y" and other shapes
/// with a second noun phrase.
fn infix(t: &str) -> Option<String> {
    let split = |sep: &str| t.find(sep).map(|i| (&t[..i], &t[i + sep.len()..]));
    if let Some((x, rest)) = split(" is configured with the ")
        && let Some(j) = rest.rfind(" as ")
    {
        let (y, z) = (&rest[..j], &rest[j + 4..]);
        return Some(format!(
            "{} の {} が {} に設定されている",
            terms(x),
            terms(y),
            terms(z)
        ));
    }
    let shapes: &[(&str, Render)] = &[
        (" is configured to allow ", |x, y| {
            format!("{x} が {y} を許可する設定になっている")
        }),
        (" is configured with ", |x, y| {
            format!("{x} が {y} を使う設定になっている")
        }),
        (" is configured as ", |x, y| {
            format!("{x} が {y} として設定されている")
        }),
        (" is acting as ", |x, y| {
            format!("{x} が {y} として動作している")
        }),
        (" is used in ", |x, y| format!("{y} で {x} が使われている")),
        (" are used in ", |x, y| format!("{y} で {x} が使われている")),
        (" is used with ", |x, y| {
            format!("{x} が {y} とともに使われている")
        }),
        (" is used to ", |x, y| {
            format!("{y} のために {x} が使われている")
        }),
    ];
    for (sep, render) in shapes {
        if let Some((x, y)) = split(sep)
            && !x.is_empty()
            && !y.is_empty()
        {
            return Some(render(&terms(x), &phrase(y)));
        }
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
            "OpenSSH の SSH サーバー の ForceCommand 機能 を経由して脆弱性に到達できる"
        );
        assert_eq!(
            phrase("crafted packets that trigger a buffer over-read"),
            "バッファの境界外読み取り を引き起こす 細工された パケット"
        );
        assert_eq!(
            phrase("sending multiple RETR commands"),
            "複数の RETR コマンド の送信"
        );
        assert_eq!(
            statement("SSHD is configured with the ListenAddress as 0.0.0.0").unwrap(),
            "SSHD の ListenAddress が 0.0.0.0 に設定されている"
        );
        assert_eq!(
            statement("magic_quotes_gpc is disabled").unwrap(),
            "magic_quotes_gpc が無効になっている"
        );
        assert_eq!(
            statement("The \"username map script\" option is enabled in smb.conf").unwrap(),
            "smb.conf で \"username map script\" オプション が有効になっている"
        );
        assert!(statement("Something else entirely").is_none());
    }
}
