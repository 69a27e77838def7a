//! Services, interfaces, protocols and ciphers named in any text Kensa
//! holds for a vulnerability: every English description (NVD, CVE 5, the
//! CSAF advisories' summaries), the CSAF advisories' other notes and their
//! mitigations and workarounds ("restrict access to the web management
//! interface", "remove the fgfm access" are conditions in disguise), and
//! CVE 5 `modules` and `programRoutines`.
//!
//! The rules are about how such things are named, not about a list of
//! products: a head noun (`server`, `service`, `daemon`, `interface`,
//! `console`, `driver`, …) with up to three words before it, at least one of
//! which is a network or technology word (`web`, `management`, `UART`) or
//! reads as an identifier (`UMC`, `PnpSmm`, `SQLServer`). A list of
//! industrial protocol names and of protocol versions and ciphers complements
//! it, because these names stand on their own.

use kensa_model::{SourceKind, VulnRecord};

use super::text::{clean, has_word, shorten};
use super::{Fact, Facts, Item, kernel, phrase};
use crate::conditions::{ConditionKind, ConditionSource};

/// Adds the facts found in every text of `records` to `facts.items`,
/// skipping what the description's rules already stated.
pub(crate) fn read(records: &[VulnRecord], facts: &mut Facts) {
    let mut found: Vec<Fact> = Vec::new();
    for (text, source, mitigation) in texts(records) {
        for sentence in sentences(&text) {
            scan_sentence(sentence, source, mitigation, &mut found);
        }
    }
    structured(records, &mut found);
    for fact in found {
        if !already_stated(&facts.items, &fact) {
            facts.items.push(Item::One(fact));
        }
    }
}

/// Every text to read, with its source and whether it is a mitigation
/// (whose objects are things to switch off).
fn texts(records: &[VulnRecord]) -> Vec<(String, ConditionSource, bool)> {
    let mut out: Vec<(String, ConditionSource, bool)> = Vec::new();
    let mut push = |text: &str, source, mitigation| {
        let text = clean(text);
        if !text.trim().is_empty() && !out.iter().any(|(t, _, _)| *t == text) {
            out.push((text, source, mitigation));
        }
    };
    for r in records {
        let source = if r.source.kind == SourceKind::Csaf {
            ConditionSource::Advisory
        } else {
            ConditionSource::Description
        };
        for d in &r.descriptions {
            if !is_english(&d.lang) {
                continue;
            }
            match kernel::title_line(&d.value) {
                Some(title) => push(title, source, false),
                None => push(&d.value, source, false),
            }
        }
        if r.source.kind == SourceKind::Csaf {
            for note in &r.notes {
                push(note, source, false);
            }
        }
        for rem in r.csaf.iter().flat_map(|c| &c.remediations) {
            if matches!(rem.category.as_str(), "mitigation" | "workaround") {
                push(&rem.details, ConditionSource::Advisory, true);
            }
        }
    }
    out
}

fn is_english(lang: &str) -> bool {
    let lang = lang.to_ascii_lowercase();
    lang == "en" || lang.starts_with("en-") || lang.starts_with("en_")
}

/// Sentences at ". " boundaries (good enough for the noun phrases sought).
fn sentences(text: &str) -> impl Iterator<Item = &str> {
    text.split(". ").map(str::trim).filter(|s| !s.is_empty())
}

/// What a head noun makes of its phrase.
#[derive(Clone, Copy, PartialEq)]
enum Head {
    Service,
    Interface,
    Component,
}

fn head(word_lc: &str) -> Option<Head> {
    Some(match word_lc {
        "server" | "servers" | "service" | "services" | "daemon" | "webserver" | "cgi"
        | "servlet" | "protocol" => Head::Service,
        "interface" | "interfaces" | "console" | "portal" | "endpoint" => Head::Interface,
        "driver" | "library" | "plugin" | "plug-in" | "tool" | "connection" | "extension" => {
            Head::Component
        }
        _ => return None,
    })
}

/// Words that make a noun phrase a network service or an interface.
const TECH_WORDS: &[&str] = &[
    "web",
    "http",
    "https",
    "management",
    "admin",
    "administration",
    "administrative",
    "snmp",
    "ftp",
    "tftp",
    "telnet",
    "ssh",
    "sftp",
    "modbus",
    "opc",
    "profinet",
    "dnp3",
    "bacnet",
    "mqtt",
    "coap",
    "cip",
    "uart",
    "serial",
    "jtag",
    "debug",
    "network",
    "database",
    "sql",
    "rest",
    "soap",
    "rpc",
    "notification",
    "license",
    "licensing",
    "industrial",
    "upnp",
    "dhcp",
    "dns",
    "ntp",
    "smb",
    "ldap",
    "radius",
    "vpn",
    "rtsp",
    "onvif",
    "engineering",
    "diagnostic",
    "diagnostics",
    "update",
    "file",
    "email",
    "smtp",
    "hmi",
    "scada",
    "communication",
    "remote",
    "login",
    "configuration",
    "api",
    "application",
    "proxy",
    "cloud",
    "usb",
];

/// Words before a head that end the phrase.
const BREAK_WORDS: &[&str] = &[
    "the",
    "a",
    "an",
    "of",
    "in",
    "on",
    "at",
    "to",
    "for",
    "with",
    "by",
    "from",
    "and",
    "or",
    "its",
    "their",
    "this",
    "that",
    "these",
    "those",
    "any",
    "all",
    "each",
    "every",
    "is",
    "are",
    "was",
    "were",
    "be",
    "as",
    "via",
    "through",
    "into",
    "over",
    "under",
    "within",
    "which",
    "who",
    "when",
    "if",
    "not",
    "no",
    "allows",
    "allow",
    "contain",
    "contains",
    "exposes",
    "expose",
    "uses",
    "use",
    "used",
    "has",
    "have",
    "can",
    "could",
    "may",
    "might",
    "affected",
    "vulnerable",
    "such",
    "other",
    "same",
    "certain",
    "some",
    "exposed",
    "embedded",
    "integrated",
    "underlying",
    "configured",
    "default",
    "own",
    "malicious",
    "crafted",
    "specially",
    "user",
    "users",
    "attacker",
    "unauthenticated",
    "authenticated",
    "limit",
    "restrict",
    "protect",
    "access",
    "following",
    "legitimate",
];

/// Verbs whose object, in a mitigation, is something to switch off.
const OFF_VERBS: &[&str] = &["disable", "deactivate", "remove", "close", "block"];

/// Verbs that make a mitigation's object something the attack needs
/// reachable or on ("restrict access to the web interface"). A mitigation
/// without one ("use an application server like …") names no condition.
const GUARD_VERBS: &[&str] = &[
    "disable",
    "deactivate",
    "remove",
    "close",
    "block",
    "restrict",
    "limit",
    "filter",
    "isolate",
    "protect",
    "firewall",
    "turn off",
    "switch off",
    "do not expose",
];

fn is_identifier_like(word: &str) -> bool {
    let upper = word.chars().filter(char::is_ascii_uppercase).count();
    let letters = word.chars().filter(char::is_ascii_alphabetic).count();
    letters >= 2 && (upper >= 2 || word.chars().any(|c| c.is_ascii_digit()))
}

/// A word without the punctuation around it, and whether punctuation
/// followed it (which ends a phrase).
fn bare(word: &str) -> (&str, bool) {
    let trimmed = word.trim_start_matches(['(', '"', '\'', '“', '‘']);
    let end = trimmed.trim_end_matches([',', ';', ':', '.', ')', '"', '\'', '”', '’']);
    (end, end.len() != trimmed.len())
}

fn scan_sentence(sentence: &str, source: ConditionSource, mitigation: bool, out: &mut Vec<Fact>) {
    let words: Vec<&str> = sentence.split_whitespace().collect();
    let lc = sentence.to_ascii_lowercase();
    let evidence = shorten(sentence, 300);
    let switched_off = mitigation && OFF_VERBS.iter().any(|v| has_word(&lc, v));
    if mitigation && !GUARD_VERBS.iter().any(|v| has_word(&lc, v)) {
        return;
    }
    for (i, raw) in words.iter().enumerate() {
        let (word, _) = bare(raw);
        let word_lc = word.to_ascii_lowercase();
        if let Some(h) = head(&word_lc) {
            if names_a_product(&words, i) {
                continue;
            }
            if let Some(name) = noun_phrase(&words, i, h, false) {
                push_unique(out, fact_for(h, &name, source, &evidence));
            }
        } else if word_lc == "access" && switched_off {
            // "remove the fgfm access": the access is on.
            if let Some(name) = noun_phrase(&words, i, Head::Service, true) {
                push_unique(out, phrase::service_enabled(&name, source, &evidence));
            }
        } else if (word_lc == "role" || word_lc == "roles") && i > 0 {
            if let Some(role) = role_name(words[i - 1]) {
                push_unique(out, phrase::user_role(&role, &evidence));
            }
        } else if (word_lc == "port" || word_lc == "ports")
            && mitigation
            && let Some(port) = port_after(&words, i)
        {
            push_unique(out, phrase::interface_exposed(&port, source, &evidence));
        }
    }
    for name in protocol_versions(sentence) {
        push_unique(out, phrase::protocol_version(&name, source, &evidence));
    }
}

/// Whether the head at `at` ends a product's name rather than naming a part
/// of one: a Title Case head ("Cyrus IMAP Server", "exacqVision Web
/// Service") or one followed by a version ("FTP server 1.10", "… versions
/// 24.03 and prior"). The product itself is the version condition's
/// business.
fn names_a_product(words: &[&str], at: usize) -> bool {
    let (head_word, punct_after) = bare(words[at]);
    let mut chars = head_word.chars();
    let title_case = chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_lowercase() || c == '-');
    if title_case && at > 0 {
        return true;
    }
    if punct_after {
        return false;
    }
    let Some(next) = words.get(at + 1).map(|w| bare(w).0.to_ascii_lowercase()) else {
        return false;
    };
    let versionish = next.starts_with(|c: char| c.is_ascii_digit())
        || (next.starts_with('v') && next[1..].starts_with(|c: char| c.is_ascii_digit()));
    versionish
        || matches!(
            next.as_str(),
            "before" | "through" | "version" | "versions" | "prior" | "up"
        )
}

/// A role's name before the word "role": capitalised or quoted
/// ("the Operator role", "the 'viewer' role"); not a common word.
fn role_name(word: &str) -> Option<String> {
    let quoted = word.starts_with(['"', '\'', '‘', '“']);
    let (name, _) = bare(word);
    let capital = name.starts_with(|c: char| c.is_ascii_uppercase());
    let common = [
        "the", "a", "an", "user", "users", "admin", "this", "that", "their", "its",
    ];
    if name.len() < 2 || common.contains(&name.to_ascii_lowercase().as_str()) {
        return None;
    }
    (quoted || capital).then(|| name.to_string())
}

/// The phrase ending at the head `words[at]`: up to three words before it
/// that are not break words, at least one of them a technology word or an
/// identifier (any word when `any_word`, or for a daemon).
fn noun_phrase(words: &[&str], at: usize, h: Head, any_word: bool) -> Option<String> {
    let (head_word, _) = bare(words[at]);
    let mut start = at;
    while start > 0 && at - start < 3 {
        let (w, punct_after) = bare(words[start - 1]);
        let w_lc = w.to_ascii_lowercase();
        if punct_after || w.is_empty() || BREAK_WORDS.contains(&w_lc.as_str()) {
            break;
        }
        start -= 1;
    }
    let qualifiers: Vec<&str> = words[start..at].iter().map(|w| bare(w).0).collect();
    let standalone = head_word.eq_ignore_ascii_case("webserver");
    let daemon = head_word.eq_ignore_ascii_case("daemon");
    // A daemon is named by its program ("fgfmd daemon"): a word ending in
    // "d", or an identifier.
    let daemon_name = daemon
        && qualifiers.last().is_some_and(|q| {
            q.len() >= 3 && q.ends_with('d') && q.chars().all(|c| c.is_ascii_alphanumeric())
        });
    let ok = standalone
        || (any_word && !qualifiers.is_empty())
        || daemon_name
        || qualifiers.iter().any(|q| {
            TECH_WORDS.contains(&q.to_ascii_lowercase().as_str()) || is_identifier_like(q)
        });
    if !ok {
        return None;
    }
    // A component head needs an identifier or a technology word right
    // before it ("PnpSmm driver", "network communication library"), not a
    // mere adjective ("a new tool").
    if h == Head::Component && qualifiers.is_empty() {
        return None;
    }
    let mut name = qualifiers.join(" ");
    if !name.is_empty() {
        name.push(' ');
    }
    name.push_str(head_word);
    Some(name)
}

fn fact_for(h: Head, name: &str, source: ConditionSource, evidence: &str) -> Fact {
    match h {
        Head::Service => phrase::service_enabled(name, source, evidence),
        Head::Interface => phrase::interface_exposed(name, source, evidence),
        Head::Component => phrase::statement(
            ConditionKind::FunctionUse,
            &format!("the {name} is present and in use"),
            source,
            evidence,
        ),
    }
}

/// "port 502", "TCP port 502", "ports 80 and 443" → "TCP port 502".
fn port_after(words: &[&str], at: usize) -> Option<String> {
    let (next, _) = bare(words.get(at + 1)?);
    let number: String = next.chars().take_while(char::is_ascii_digit).collect();
    if number.is_empty() || number.len() > 5 {
        return None;
    }
    let proto = at
        .checked_sub(1)
        .map(|p| bare(words[p]).0.to_ascii_uppercase())
        .filter(|p| p == "TCP" || p == "UDP");
    Some(match proto {
        Some(p) => format!("{p} port {number}"),
        None => format!("port {number}"),
    })
}

/// Protocol versions and ciphers that only matter when offered.
fn protocol_versions(sentence: &str) -> Vec<String> {
    const NAMES: &[&str] = &[
        "SSLv2",
        "SSLv3",
        "SSL 2.0",
        "SSL 3.0",
        "TLS 1.0",
        "TLS 1.1",
        "TLSv1.0",
        "TLSv1.1",
        "RC4",
        "3DES",
        "export cipher",
        "NULL cipher",
        "SNMPv1",
        "SNMPv2c",
        "SMBv1",
        "NTLMv1",
        "WEP",
        "TKIP",
    ];
    let lc = sentence.to_ascii_lowercase();
    NAMES
        .iter()
        .filter(|n| has_word(&lc, &n.to_ascii_lowercase()))
        .map(|n| n.to_string())
        .collect()
}

/// CVE 5 `modules` and `programRoutines` of records other than the kernel's
/// (whose files and routines go to the kernel-code condition).
fn structured(records: &[VulnRecord], out: &mut Vec<Fact>) {
    for r in records {
        for a in &r.affected {
            let is_kernel =
                a.vendor.as_deref() == Some("Linux") && a.product.as_deref() == Some("Linux");
            if is_kernel {
                continue;
            }
            let component = a.product.as_deref().unwrap_or_default();
            for m in &a.modules {
                let evidence = format!("CVE 5 affected modules ({component}): {m}");
                push_unique(out, phrase::module_used(m, &evidence));
            }
            for routine in &a.program_routines {
                let evidence = format!("CVE 5 affected programRoutines ({component}): {routine}");
                push_unique(out, phrase::api_usage(routine, component, &evidence));
            }
        }
    }
}

/// Adds `fact` unless a fact already names the same thing; a longer name
/// ("UART console login interface") replaces one it contains ("UART
/// console").
fn push_unique(out: &mut Vec<Fact>, fact: Fact) {
    let name = core(&fact.text);
    if let Some(i) = out.iter().position(|f| {
        let other = core(&f.text);
        other.contains(&name) || name.contains(&other)
    }) {
        if name.len() > core(&out[i].text).len() {
            out[i] = fact;
        }
        return;
    }
    out.push(fact);
}

/// The named thing of a statement, lower case.
fn core(text: &str) -> String {
    let lc = text.to_ascii_lowercase();
    let lc = lc.strip_prefix("the ").unwrap_or(&lc);
    let lc = lc.strip_prefix("product offers ").unwrap_or(lc);
    let lc = lc
        .strip_prefix("attacker holds an account with the ")
        .unwrap_or(lc)
        .to_string();
    [
        " is enabled",
        " is reachable by an attacker",
        " is present and in use",
        " module is present and in use",
    ]
    .iter()
    .fold(lc, |s, suffix| s.trim_end_matches(suffix).to_string())
}

/// Whether a description rule already states the thing `fact` names.
fn already_stated(items: &[Item], fact: &Fact) -> bool {
    let name = core(&fact.text);
    let states = |f: &Fact| f.text.to_ascii_lowercase().contains(&name);
    items.iter().any(|i| match i {
        Item::One(f) => states(f),
        Item::Any(fs) => fs.iter().any(states),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(sentence: &str, mitigation: bool) -> Vec<String> {
        let mut out = Vec::new();
        scan_sentence(sentence, ConditionSource::Advisory, mitigation, &mut out);
        out.into_iter().map(|f| f.text).collect()
    }

    #[test]
    fn services_and_interfaces_are_named_phrases() {
        assert_eq!(
            names("The web server of affected devices does not check", false),
            ["The web server is enabled"]
        );
        assert_eq!(
            names(
                "The affected devices contain an exposed UART console login interface",
                false
            ),
            ["The UART console login interface is reachable by an attacker"]
        );
        assert_eq!(
            names("certificate of the configured UMC server", false),
            ["The UMC server is enabled"]
        );
        // No technology word, no identifier: not a condition.
        assert!(names("leads to a denial of service on the server", false).is_empty());
        assert!(names("a new tool was written", false).is_empty());
        assert!(names("the service daemon restarts", false).is_empty());
        assert_eq!(
            names("a format string flaw in the FortiOS fgfmd daemon", false),
            ["The FortiOS fgfmd daemon is enabled"]
        );
    }

    #[test]
    fn product_names_are_not_services() {
        assert!(names("Overflow in Cyrus IMAP Server allows", false).is_empty());
        assert!(names("Overflow in the ftp server 1.10 allows", false).is_empty());
        assert!(names("exacqVision Web Service versions 24.03 and prior", false).is_empty());
    }

    #[test]
    fn roles_are_named_before_the_word_role() {
        assert_eq!(
            names("a user with the Operator role can", false),
            ["The attacker holds an account with the Operator role"]
        );
        assert!(names("the user role model", false).is_empty());
    }

    #[test]
    fn mitigations_name_what_to_switch_off() {
        assert_eq!(
            names("For each interface, remove the fgfm access", true),
            ["The fgfm access is enabled"]
        );
        assert_eq!(
            names("Block TCP port 502 at the perimeter", true),
            ["TCP port 502 is reachable by an attacker"]
        );
        // Outside a mitigation "access" is no object to switch off.
        assert!(names("remove the fgfm access", false).is_empty());
        // A mitigation that adds something names no condition.
        assert!(names("Use an application server like Citrix", true).is_empty());
    }

    #[test]
    fn protocol_versions_are_found_as_words() {
        assert_eq!(
            names("The device still accepts TLS 1.0 and RC4", false),
            ["The product offers TLS 1.0", "The product offers RC4"]
        );
        assert!(names("RC45 is a model number", false).is_empty());
    }
}
