//! Wording of facts: the statement (`text`), the yes/no checklist question
//! in English and in Japanese. One template per kind, so every extractor
//! rule words its facts the same way; technical terms stay as written.

use super::Fact;
use super::ja::terms;
use super::text::{MAX_TEXT, capitalize, decapitalize, shorten, strip_article, trim_clause};
use crate::conditions::{ConditionClass, ConditionKind, ConditionSource};

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
    let rendered = super::ja::statement(&text);
    let question_ja = match kind {
        _ if rendered.is_some() => {
            format!(
                "製品で次が当てはまりますか：{}",
                rendered.unwrap_or_default()
            )
        }
        ConditionKind::Configuration => {
            format!("次の設定・機能は有効ですか（該当しますか）：{text}")
        }
        ConditionKind::FunctionUse => format!("製品は次の機能・関数を使っていますか：{text}"),
        ConditionKind::Platform => format!("製品は次の環境で動作していますか：{text}"),
        ConditionKind::Input => format!("攻撃者は次の入力を製品に届けられますか：{text}"),
        _ => format!("次の条件は当てはまりますか：{text}"),
    };
    Fact {
        class: None,
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
        class: None,
        kind: ConditionKind::Platform,
        text: shorten(&format!("The product runs on {name}"), MAX_TEXT),
        question: shorten(&format!("Does the product run on {name}?"), 400),
        question_ja: format!("製品は {} 上で動作していますか？", terms(name)),
        source,
        evidence: evidence.to_string(),
    }
}

/// What the attacker sends or does ("a crafted RSVP packet").
pub fn input(phrase: &str, evidence: &str) -> Fact {
    let phrase = trim_clause(phrase);
    Fact {
        class: names_a_file(phrase).then_some(ConditionClass::FileTypeOpened),
        kind: ConditionKind::Input,
        text: shorten(&format!("Attacker-controlled input: {phrase}"), MAX_TEXT),
        question: format!("Can an attacker get this input to the product: {phrase}?"),
        question_ja: format!(
            "攻撃者は次の入力を製品に届けられますか：{}",
            super::ja::phrase(phrase)
        ),
        source: ConditionSource::Description,
        evidence: evidence.to_string(),
    }
}

/// One way into the flaw among several ("as demonstrated by vectors
/// involving the ForceCommand feature in OpenSSH sshd, …").
pub fn attack_path(way: &str, evidence: &str) -> Fact {
    let way = trim_clause(way);
    Fact {
        class: None,
        kind: ConditionKind::FunctionUse,
        text: shorten(&format!("The flaw is reachable through {way}"), MAX_TEXT),
        question: format!("Is the flaw reachable in the product through {way}?"),
        question_ja: format!(
            "製品では次の経路で脆弱性に到達できますか：{}",
            super::ja::statement(&format!("The flaw is reachable through {way}"))
                .map(|s| s
                    .trim_end_matches(" を経由して脆弱性に到達できる")
                    .to_string())
                .unwrap_or_else(|| super::ja::phrase(way))
        ),
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
        class: None,
        kind: ConditionKind::Version,
        text: shorten(&text, MAX_TEXT),
        question: format!("Is the installed version of {product} one of the affected versions?"),
        question_ja: match product.strip_prefix("product of advisory ") {
            Some(advisory) => {
                format!(
                    "使用中のアドバイザリ {advisory} の対象製品のバージョンは影響を受ける範囲に含まれますか？"
                )
            }
            None => format!("使用中の {product} のバージョンは影響を受ける範囲に含まれますか？"),
        },
        source,
        evidence: evidence.to_string(),
    }
}

/// Whether an input is a file the product or its user opens ("a crafted
/// project file", "a malicious .pdf document").
fn names_a_file(phrase: &str) -> bool {
    let lc = phrase.to_ascii_lowercase();
    [
        " file",
        " files",
        " document",
        " project",
        " archive",
        " image file",
    ]
    .iter()
    .any(|w| lc.ends_with(w) || lc.contains(&format!("{w} ")) || lc.contains(&format!("{w},")))
}

/// A protocol or service that must be enabled ("the web server", "the
/// Modbus TCP service").
pub fn service_enabled(name: &str, source: ConditionSource, evidence: &str) -> Fact {
    let name = strip_article(trim_clause(name));
    Fact {
        kind: ConditionKind::Configuration,
        class: Some(ConditionClass::ServiceEnabled),
        text: shorten(&format!("The {name} is enabled"), MAX_TEXT),
        question: format!("Is the {name} enabled in the product (by default or by a customer)?"),
        question_ja: format!(
            "製品で {} が有効になっていますか（出荷時設定、または顧客の設定で）？",
            terms(name)
        ),
        source,
        evidence: evidence.to_string(),
    }
}

/// An interface the attacker must reach ("the management interface", "the
/// UART console", "TCP port 502").
pub fn interface_exposed(name: &str, source: ConditionSource, evidence: &str) -> Fact {
    let name = strip_article(trim_clause(name));
    let article = if name.starts_with(|c: char| c.is_ascii_digit()) || name.contains("port ") {
        ""
    } else {
        "the "
    };
    Fact {
        kind: ConditionKind::Configuration,
        class: Some(ConditionClass::InterfaceExposed),
        text: shorten(
            &capitalize(&format!("{article}{name} is reachable by an attacker")),
            MAX_TEXT,
        ),
        question: format!("Can an attacker reach {article}{name} of the product?"),
        question_ja: format!("攻撃者は製品の {} にアクセスできますか？", terms(name)),
        source,
        evidence: evidence.to_string(),
    }
}

/// A protocol version or cipher that must be offered ("TLS 1.0", "RC4").
pub fn protocol_version(name: &str, source: ConditionSource, evidence: &str) -> Fact {
    Fact {
        kind: ConditionKind::Configuration,
        class: Some(ConditionClass::ProtocolVersion),
        text: shorten(&format!("The product offers {name}"), MAX_TEXT),
        question: format!("Does the product offer or accept {name}?"),
        question_ja: format!("製品は {name} を提供（受け入れ）していますか？"),
        source,
        evidence: evidence.to_string(),
    }
}

/// A function the product must call (CVE 5 `programRoutines`).
pub fn api_usage(routine: &str, component: &str, evidence: &str) -> Fact {
    let of = if component.is_empty() {
        String::new()
    } else {
        format!(" of {component}")
    };
    Fact {
        kind: ConditionKind::FunctionUse,
        class: Some(ConditionClass::ApiUsage),
        text: shorten(&format!("The product calls {routine}{of}"), MAX_TEXT),
        question: format!(
            "Does the product call {routine}{of} (directly or through its own code)?"
        ),
        question_ja: format!(
            "製品は{}の {routine} を（直接、または自社のコードを通じて）呼び出していますか？",
            if component.is_empty() {
                String::new()
            } else {
                format!(" {component} ")
            }
        ),
        source: ConditionSource::Affected,
        evidence: evidence.to_string(),
    }
}

/// A module the product must include (CVE 5 `modules`).
pub fn module_used(module: &str, evidence: &str) -> Fact {
    Fact {
        kind: ConditionKind::FunctionUse,
        class: None,
        text: shorten(
            &format!("The {module} module is present and in use"),
            MAX_TEXT,
        ),
        question: format!("Does the product include and use the {module} module?"),
        question_ja: format!(
            "製品は {} モジュールを組み込み、使用していますか？",
            terms(module)
        ),
        source: ConditionSource::Affected,
        evidence: evidence.to_string(),
    }
}

/// A user role the attacker must hold ("a user with the Operator role").
pub fn user_role(role: &str, evidence: &str) -> Fact {
    Fact {
        kind: ConditionKind::Privileges,
        class: Some(ConditionClass::UserRole),
        text: shorten(
            &format!("The attacker holds an account with the {role} role"),
            MAX_TEXT,
        ),
        question: format!("Could an attacker hold an account with the {role} role on the product?"),
        question_ja: format!("攻撃者が製品の {role} ロールのアカウントを持ち得ますか？"),
        source: ConditionSource::Description,
        evidence: evidence.to_string(),
    }
}

/// Linux kernel code that must be compiled in: the subsystem the CVE's
/// title names and the files its fix touches.
pub fn kernel_code(subsystem: &str, files: &[String], evidence: &str) -> Fact {
    let shown: Vec<&str> = files.iter().take(2).map(String::as_str).collect();
    let mut where_ = shown.join(", ");
    if files.len() > 2 {
        where_.push_str(&format!(" and {} more", files.len() - 2));
    }
    let paren = if where_.is_empty() {
        String::new()
    } else {
        format!(" ({where_})")
    };
    Fact {
        kind: ConditionKind::Configuration,
        class: Some(ConditionClass::KernelCode),
        text: shorten(
            &format!("The kernel's {subsystem} code{paren} is compiled in and in use"),
            MAX_TEXT,
        ),
        question: format!(
            "Is the Linux kernel's {subsystem} code{paren} compiled into the product's kernel (built in or as a loaded module)?"
        ),
        question_ja: format!(
            "製品のカーネルに Linux カーネルの {subsystem} のコード{paren}が組み込まれていますか（組み込み、またはロードされるモジュールとして）？"
        ),
        source: ConditionSource::Affected,
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
