//! Wording of facts: the statement (`text`), the yes/no checklist question
//! in English and in Japanese. One template per kind, so every extractor
//! rule words its facts the same way; technical terms stay as written.

use super::Fact;
use super::text::{MAX_TEXT, capitalize, decapitalize, shorten, trim_clause};
use crate::conditions::{ConditionKind, ConditionSource};

/// A statement of state ("The X option is enabled in Y"), as a
/// configuration, function-use, platform or other fact.
pub fn statement(
    kind: ConditionKind,
    statement: &str,
    source: ConditionSource,
    evidence: &str,
) -> Fact {
    let body = trim_clause(statement);
    let text = shorten(&capitalize(body), MAX_TEXT);
    let question = yes_no(body);
    let question_ja = match kind {
        ConditionKind::Configuration => {
            format!("次の設定・機能は有効ですか（該当しますか）：{text}")
        }
        ConditionKind::FunctionUse => format!("製品は次の機能・関数を使っていますか：{text}"),
        ConditionKind::Platform => format!("製品は次の環境で動作していますか：{text}"),
        ConditionKind::Input => format!("攻撃者は次の入力を製品に届けられますか：{text}"),
        _ => format!("次の条件は当てはまりますか：{text}"),
    };
    Fact {
        kind,
        text,
        question,
        question_ja,
        source,
        evidence: evidence.to_string(),
    }
}

/// "The product runs on X".
pub fn platform(name: &str, source: ConditionSource, evidence: &str) -> Fact {
    let mut name = trim_clause(name);
    // "(… on Debian)" leaves an unbalanced parenthesis.
    if name.ends_with(')') && !name.contains('(') {
        name = trim_clause(&name[..name.len() - 1]);
    }
    Fact {
        kind: ConditionKind::Platform,
        text: shorten(&format!("The product runs on {name}"), MAX_TEXT),
        question: shorten(&format!("Does the product run on {name}?"), 400),
        question_ja: format!("製品は {name} 上で動作していますか？"),
        source,
        evidence: evidence.to_string(),
    }
}

/// What the attacker sends or does ("a crafted RSVP packet").
pub fn input(phrase: &str, evidence: &str) -> Fact {
    let phrase = trim_clause(phrase);
    Fact {
        kind: ConditionKind::Input,
        text: shorten(&format!("Attacker-controlled input: {phrase}"), MAX_TEXT),
        question: format!("Can an attacker get this input to the product: {phrase}?"),
        question_ja: format!("攻撃者は次の入力を製品に届けられますか：{phrase}"),
        source: ConditionSource::Description,
        evidence: evidence.to_string(),
    }
}

/// One way into the flaw among several ("as demonstrated by vectors
/// involving the ForceCommand feature in OpenSSH sshd, …").
pub fn attack_path(way: &str, evidence: &str) -> Fact {
    let way = trim_clause(way);
    Fact {
        kind: ConditionKind::FunctionUse,
        text: shorten(&format!("The flaw is reachable through {way}"), MAX_TEXT),
        question: format!("Is the flaw reachable in the product through {way}?"),
        question_ja: format!("製品では次の経路で脆弱性に到達できますか：{way}"),
        source: ConditionSource::Description,
        evidence: evidence.to_string(),
    }
}

/// The affected versions, as one fact (the scorer and the checklist treat
/// it as a pointer to detection, which decides versions).
pub fn version(product: &str, ranges: &str, source: ConditionSource, evidence: &str) -> Fact {
    let text = if ranges.is_empty() {
        format!("The installed {product} is an affected version")
    } else {
        format!("The installed {product} is an affected version ({ranges})")
    };
    Fact {
        kind: ConditionKind::Version,
        text: shorten(&text, MAX_TEXT),
        question: format!("Is the installed version of {product} one of the affected versions?"),
        question_ja: format!("使用中の {product} のバージョンは影響を受ける範囲に含まれますか？"),
        source,
        evidence: evidence.to_string(),
    }
}

/// A yes/no question from a statement: "X is enabled" → "Is X enabled?";
/// statements without a leading "is/are" ask whether they hold.
fn yes_no(statement: &str) -> String {
    for (verb, ask) in [(" is ", "Is"), (" are ", "Are")] {
        if let Some(i) = statement.find(verb) {
            let subject = &statement[..i];
            // "X is" must be near the start to invert; a long subject means
            // the verb belongs to a later clause.
            if subject.split(' ').count() <= 10 {
                let rest = &statement[i + verb.len()..];
                return format!("{ask} {} {rest}?", decapitalize(subject));
            }
        }
    }
    format!("Does this hold: {statement}?")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_become_yes_no_questions() {
        let f = statement(
            ConditionKind::Configuration,
            "the \"username map script\" option is enabled in smb.conf",
            ConditionSource::Description,
            "e",
        );
        assert_eq!(
            f.text,
            "The \"username map script\" option is enabled in smb.conf"
        );
        assert_eq!(
            f.question,
            "Is the \"username map script\" option enabled in smb.conf?"
        );
        assert!(f.question_ja.contains("username map script"));
        let f = statement(
            ConditionKind::Configuration,
            "IPv6 is used",
            ConditionSource::Description,
            "e",
        );
        assert_eq!(f.question, "Is IPv6 used?");
    }
}
