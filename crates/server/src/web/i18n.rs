//! The UI's language: English, or Japanese where the user prefers it (the
//! `lang` cookie the switch sets, else `Accept-Language`). Japanese text
//! is data (`i18n/ja.tsv`: English, tab, Japanese), so translators edit a
//! table, not code; a test checks that every string the templates ask
//! for has its Japanese line.

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::http::HeaderMap;
use axum_extra::extract::CookieJar;

const JA: &str = include_str!("../../i18n/ja.tsv");

pub const LANG_COOKIE: &str = "kensa_lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Ja,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ja => "ja",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "en" => Some(Lang::En),
            "ja" => Some(Lang::Ja),
            _ => None,
        }
    }

    /// The cookie's choice, else the first of `Accept-Language` we speak.
    pub fn of(jar: &CookieJar, headers: &HeaderMap) -> Lang {
        if let Some(l) = jar.get(LANG_COOKIE).and_then(|c| Lang::parse(c.value())) {
            return l;
        }
        let accept = headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        for part in accept.split(',') {
            let tag = part
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if tag.starts_with("ja") {
                return Lang::Ja;
            }
            if tag.starts_with("en") {
                return Lang::En;
            }
        }
        Lang::En
    }

    pub fn checklist(self) -> kensa_logic::checklist::Lang {
        match self {
            Lang::En => kensa_logic::checklist::Lang::En,
            Lang::Ja => kensa_logic::checklist::Lang::Ja,
        }
    }
}

fn catalog() -> &'static HashMap<&'static str, &'static str> {
    static CATALOG: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    CATALOG.get_or_init(|| {
        JA.lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .filter_map(|l| l.split_once('\t'))
            .collect()
    })
}

/// Translates UI text for one language.
#[derive(Debug, Clone, Copy)]
pub struct Tr(pub Lang);

impl Tr {
    /// `english` in the page's language (English when no line exists).
    pub fn s<'a>(&self, english: &'a str) -> &'a str {
        match self.0 {
            Lang::En => english,
            Lang::Ja => catalog().get(english).copied().unwrap_or(english),
        }
    }

    pub fn code(&self) -> &'static str {
        self.0.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every text the templates and page code translate, and every value
    /// they pass through `t.s(…)` (roles, verdicts, stages, statuses).
    fn asked_for() -> Vec<String> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut texts = Vec::new();
        for dir in ["templates", "src/web"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
                for part in text.split("t.s(\"").skip(1) {
                    texts.push(part[..part.find("\")").unwrap()].to_string());
                }
            }
        }
        let dynamic = [
            "viewer",
            "analyst",
            "approver",
            "admin",
            "affected",
            "not_affected",
            "under_investigation",
            "none",
            "priority",
            "vulnerability",
            "component",
            "reading the SBOM",
            "storing components",
            "matching components",
            "waiting for an earlier scan",
            "saved",
            "approved",
            "yes",
            "no",
            "unknown",
            "Not Found",
            "Forbidden",
            "Bad Request",
            "Unprocessable Entity",
            "Conflict",
            "Precondition Failed",
            "Unauthorized",
            "Payload Too Large",
        ];
        texts.extend(dynamic.iter().map(|s| s.to_string()));
        texts
    }

    #[test]
    fn every_ui_text_has_japanese() {
        let missing: Vec<String> = asked_for()
            .into_iter()
            .filter(|t| !catalog().contains_key(t.as_str()))
            .collect();
        assert!(missing.is_empty(), "add to i18n/ja.tsv: {missing:#?}");
        assert!(asked_for().len() > 150);
        assert_eq!(Tr(Lang::Ja).s("Log in"), "ログイン");
        assert_eq!(Tr(Lang::En).s("Log in"), "Log in");
    }

    #[test]
    fn accept_language_picks_japanese() {
        let jar = CookieJar::new();
        let mut h = HeaderMap::new();
        h.insert(
            axum::http::header::ACCEPT_LANGUAGE,
            "ja-JP,ja;q=0.9,en;q=0.8".parse().unwrap(),
        );
        assert_eq!(Lang::of(&jar, &h), Lang::Ja);
        h.insert(
            axum::http::header::ACCEPT_LANGUAGE,
            "de-DE,en;q=0.5".parse().unwrap(),
        );
        assert_eq!(Lang::of(&jar, &h), Lang::En);
    }
}
