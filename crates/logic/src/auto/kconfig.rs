//! Build configurations: a Linux kernel or BusyBox `.config`.
//!
//! Kernel CVEs carry a `kernel_code` condition naming the subsystem and the
//! files the fix touches ("The kernel's j1939 code (net/can/j1939/transport.c)
//! is compiled in"). Its words are looked up among the CONFIG_ symbols as
//! whole `_`-separated parts (`j1939` → `CONFIG_CAN_J1939`, `cls_tcindex.c`
//! → `CONFIG_NET_CLS_TCINDEX`): any such symbol `=y`/`=m` answers yes. "No"
//! needs a symbol that is the thing itself (`CONFIG_X`, `CONFIG_…_X`,
//! `CONFIG_X_FS`) set to `n` or "is not set", and no related symbol on: the
//! vulnerable code is not compiled in (CycloneDX `code_not_present`, CSAF
//! `vulnerable_code_not_present`). A word no symbol names answers nothing.
//!
//! A BusyBox `.config` answers conditions that name one of its daemons or
//! clients (web server → `CONFIG_HTTPD`, DHCP client → `CONFIG_UDHCPC`, …).

use std::collections::BTreeMap;

use super::{AutoAnswer, AutoSource, has_phrase};
use crate::answers::AnswerValue;
use crate::conditions::{Condition, ConditionClass, ConditionKind};

/// A parsed `.config`: symbol (without `CONFIG_`) → value (`y`, `m`, `n`, or
/// the literal text).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KernelConfig {
    pub origin: String,
    pub busybox: bool,
    pub symbols: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
#[error(
    "{origin}: line {line}: `{text}` is not a .config line (CONFIG_NAME=value, `# CONFIG_NAME is not set`, a comment or blank)"
)]
pub struct ConfigError {
    pub origin: String,
    pub line: usize,
    pub text: String,
}

/// BusyBox applets a condition may name: phrase → symbol.
const BUSYBOX_APPLETS: &[(&str, &str)] = &[
    ("web server", "HTTPD"),
    ("httpd", "HTTPD"),
    ("telnet server", "TELNETD"),
    ("telnetd", "TELNETD"),
    ("telnet", "TELNETD"),
    ("dhcp client", "UDHCPC"),
    ("udhcpc", "UDHCPC"),
    ("dhcp server", "UDHCPD"),
    ("ftp server", "FTPD"),
    ("tftp", "TFTPD"),
    ("ntp", "NTPD"),
    ("syslog", "SYSLOGD"),
    ("inetd", "INETD"),
];

impl KernelConfig {
    pub fn parse(text: &str, origin: &str) -> Result<KernelConfig, ConfigError> {
        let mut symbols = BTreeMap::new();
        let mut busybox = false;
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() {
                continue;
            }
            if let Some(comment) = line.strip_prefix('#') {
                let comment = comment.trim();
                if comment.to_ascii_lowercase().starts_with("busybox") {
                    busybox = true;
                }
                if let Some(name) = comment
                    .strip_prefix("CONFIG_")
                    .and_then(|r| r.strip_suffix(" is not set"))
                {
                    symbols.insert(name.to_string(), "n".to_string());
                }
                continue;
            }
            let parsed = line.strip_prefix("CONFIG_").and_then(|r| r.split_once('='));
            match parsed {
                Some((name, value))
                    if !name.is_empty()
                        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
                {
                    symbols.insert(name.to_string(), value.trim_matches('"').to_string());
                }
                _ => {
                    return Err(ConfigError {
                        origin: origin.to_string(),
                        line: i + 1,
                        text: raw.chars().take(80).collect(),
                    });
                }
            }
        }
        busybox |= symbols.contains_key("BUSYBOX") || symbols.contains_key("BUSYBOX_EXEC_PATH");
        Ok(KernelConfig {
            origin: origin.to_string(),
            busybox,
            symbols,
        })
    }

    fn is_on(value: &str) -> bool {
        value == "y" || value == "m"
    }

    pub(crate) fn answer(&self, c: &Condition) -> Option<AutoAnswer> {
        if self.busybox {
            return self.busybox_answer(c);
        }
        if c.class != Some(ConditionClass::KernelCode) {
            return None;
        }
        let words = kernel_words(&c.text);
        let mut on = Vec::new();
        let mut exact_off = Vec::new();
        for (name, value) in &self.symbols {
            let parts: Vec<&str> = name.split('_').collect();
            for w in &words {
                let wp: Vec<&str> = w.split('_').collect();
                if !parts.windows(wp.len()).any(|win| win == wp.as_slice()) {
                    continue;
                }
                if Self::is_on(value) {
                    on.push(format!("CONFIG_{name}={value}"));
                } else if name == w
                    || name.ends_with(&format!("_{w}"))
                    || *name == format!("{w}_FS")
                {
                    exact_off.push(format!("CONFIG_{name}"));
                }
            }
        }
        on.dedup();
        exact_off.dedup();
        let (answer, evidence) = if !on.is_empty() {
            (
                AnswerValue::Yes,
                format!(
                    "{}: {} (the subsystem is built)",
                    self.origin,
                    on.join(", ")
                ),
            )
        } else if !exact_off.is_empty() {
            (
                AnswerValue::No,
                format!(
                    "{}: {} is not set: vulnerable code not compiled in (code_not_present)",
                    self.origin,
                    exact_off.join(", ")
                ),
            )
        } else {
            return None;
        };
        Some(AutoAnswer {
            answer,
            source: AutoSource::Config,
            evidence,
        })
    }

    fn busybox_answer(&self, c: &Condition) -> Option<AutoAnswer> {
        if !matches!(
            c.kind,
            ConditionKind::Configuration | ConditionKind::FunctionUse | ConditionKind::Input
        ) {
            return None;
        }
        let text = c.text.to_ascii_lowercase();
        let (phrase, symbol) = BUSYBOX_APPLETS
            .iter()
            .find(|(p, _)| has_phrase(&text, p) || has_phrase(&text, &format!("{p}s")))?;
        let value = self.symbols.get(*symbol).map_or("n", String::as_str);
        let on = Self::is_on(value);
        // One alternative of "A or B" not built leaves the condition open.
        let answer = match (on, has_phrase(&text, "or")) {
            (true, _) => AnswerValue::Yes,
            (false, false) => AnswerValue::No,
            (false, true) => AnswerValue::Unknown,
        };
        Some(AutoAnswer {
            answer,
            source: AutoSource::Config,
            evidence: format!(
                "{}: BusyBox CONFIG_{symbol}={value} (the {phrase} {})",
                self.origin,
                if on { "is built" } else { "is not built" }
            ),
        })
    }
}

/// The words of a kernel-code statement to look up, as CONFIG_ parts: the
/// subsystem, and each fixed file's stem and folder ("j1939", "transport",
/// "CAN"…), upper case with `-` as `_`.
fn kernel_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let sub = text
        .split("kernel's ")
        .nth(1)
        .and_then(|r| r.split(" code").next())
        .unwrap_or_default();
    words.push(sub.to_string());
    if let Some(inside) = text.split('(').nth(1).and_then(|r| r.split(')').next()) {
        for path in inside.split([',', ' ']).filter(|p| p.contains('/')) {
            let file = path.rsplit('/').next().unwrap_or_default();
            let stem = file.split('.').next().unwrap_or_default();
            // Only a specific stem ("cls_tcindex", "ice_ptp"): "record",
            // "transport", "core" would find unrelated symbols.
            if stem.contains('_') || stem.chars().any(|c| c.is_ascii_digit()) {
                words.push(stem.to_string());
            }
        }
    }
    words
        .into_iter()
        .map(|w| w.trim().to_ascii_uppercase().replace('-', "_"))
        .filter(|w| w.len() >= 3)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conditions::ConditionSource;

    fn kernel_cond(text: &str) -> Condition {
        Condition {
            id: "c2".into(),
            kind: ConditionKind::Configuration,
            class: Some(ConditionClass::KernelCode),
            text: text.into(),
            question: "q".into(),
            question_ja: None,
            source: ConditionSource::Affected,
            evidence: None,
        }
    }

    #[test]
    fn kernel_code_is_looked_up_by_symbol_parts() {
        let cfg = KernelConfig::parse(
            "# Linux/arm 3.10.17 Kernel Configuration\nCONFIG_CAN=y\n# CONFIG_CAN_J1939 is not set\nCONFIG_NET_SCHED=y\nCONFIG_NET_CLS_TCINDEX=m\n# CONFIG_NTFS3_FS is not set\n",
            "linux.config",
        )
        .unwrap();
        let j1939 = cfg
            .answer(&kernel_cond(
                "The kernel's j1939 code (net/can/j1939/transport.c) is compiled in and in use",
            ))
            .unwrap();
        assert_eq!(j1939.answer, AnswerValue::No);
        assert!(
            j1939.evidence.contains("CONFIG_CAN_J1939"),
            "{}",
            j1939.evidence
        );
        let tcindex = cfg
            .answer(&kernel_cond(
                "The kernel's sched code (net/sched/cls_tcindex.c) is compiled in and in use",
            ))
            .unwrap();
        assert_eq!(tcindex.answer, AnswerValue::Yes);
        let ntfs = cfg
            .answer(&kernel_cond(
                "The kernel's ntfs3 code (fs/ntfs3/record.c) is compiled in and in use",
            ))
            .unwrap();
        assert_eq!(ntfs.answer, AnswerValue::No);
        // No symbol names it: no answer.
        assert!(
            cfg.answer(&kernel_cond(
                "The kernel's xsk code (net/xdp/xsk.c) is compiled in"
            ))
            .is_none()
        );
    }

    #[test]
    fn bad_lines_are_named() {
        let e = KernelConfig::parse("CONFIG_A=y\nnonsense here\n", "k.config").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.to_string().starts_with("k.config: line 2:"), "{e}");
    }
}
