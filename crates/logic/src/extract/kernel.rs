//! Linux kernel CVEs (the kernel CNA's CVE 5 records).
//!
//! Their description is the fix's commit message: "In the Linux kernel, the
//! following vulnerability has been resolved:", a title line
//! ("can: j1939: fix use-after-free …") and the body. The body is a
//! developer's account of the bug (call traces, lock orders), not an
//! advisory's "allows X via Y", so only the title line goes to the clause
//! rules. What decides whether a product is affected is whether the code is
//! compiled in at all: the subsystem the title names and the files the fix
//! touches (`programFiles`) become one `kernel_code` condition.

use kensa_model::VulnRecord;

use super::{Facts, Item, phrase};

const KERNEL_LEAD: &str = "In the Linux kernel, the following vulnerability has been resolved:";

/// The title line of a kernel CNA description, or `None` when `description`
/// is not one.
pub(crate) fn title_line(description: &str) -> Option<&str> {
    let rest = description.trim_start().strip_prefix(KERNEL_LEAD)?;
    rest.lines().map(str::trim).find(|l| !l.is_empty())
}

/// Adds the kernel-code condition when a record is a kernel CNA record.
pub(crate) fn read(records: &[VulnRecord], facts: &mut Facts) {
    let Some(title) = records.iter().find_map(kernel_title) else {
        return;
    };
    let Some(subsystem) = subsystem(title) else {
        return;
    };
    let mut files: Vec<String> = Vec::new();
    let mut routines: Vec<String> = Vec::new();
    for a in records.iter().flat_map(|r| &r.affected) {
        for f in &a.program_files {
            if !files.contains(f) {
                files.push(f.clone());
            }
        }
        for r in &a.program_routines {
            if !routines.contains(r) {
                routines.push(r.clone());
            }
        }
    }
    let mut evidence = format!("title: {title}");
    if !files.is_empty() {
        evidence.push_str(&format!("; CVE 5 programFiles: {}", files.join(", ")));
    }
    if !routines.is_empty() {
        evidence.push_str(&format!("; programRoutines: {}", routines.join(", ")));
    }
    facts.items.insert(
        0,
        Item::One(phrase::kernel_code(subsystem, &files, &evidence)),
    );
}

fn kernel_title(r: &VulnRecord) -> Option<&str> {
    r.descriptions
        .iter()
        .find_map(|d| title_line(&d.value))
        .or_else(|| {
            let is_kernel = r.affected.iter().any(|a| {
                a.vendor.as_deref() == Some("Linux") && a.product.as_deref() == Some("Linux")
            });
            if is_kernel { r.title.as_deref() } else { None }
        })
}

/// The subsystem a kernel title names: the last of its leading
/// `word:` prefixes ("can: j1939: fix …" → "j1939", "fs/ntfs3: …" →
/// "ntfs3"). `None` when the title has no such prefix.
pub(crate) fn subsystem(title: &str) -> Option<&str> {
    let mut last = None;
    let mut rest = title;
    while let Some(i) = rest.find(": ") {
        let head = rest[..i].trim();
        let is_tag = !head.is_empty()
            && head.len() <= 32
            && !head.contains(' ')
            && head
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-/.,".contains(c));
        if !is_tag {
            break;
        }
        last = Some(head.rsplit('/').next().unwrap_or(head));
        rest = &rest[i + 2..];
    }
    last.filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_prefix_of_the_title_is_the_subsystem() {
        assert_eq!(
            subsystem("can: j1939: fix Use-after-Free, hold skb ref"),
            Some("j1939")
        );
        assert_eq!(
            subsystem("fs/ntfs3: Fixed overflow check in mi_enum_attr()"),
            Some("ntfs3")
        );
        assert_eq!(subsystem("cpufreq: CPPC: Fix memleak"), Some("CPPC"));
        assert_eq!(subsystem("Fix a bug: really"), None);
        assert_eq!(subsystem("no prefix here"), None);
    }

    #[test]
    fn title_line_skips_the_lead_and_blank_lines() {
        let d = format!("{KERNEL_LEAD}\n\nnet: ipv4: fix memory leak\n\nBUG: memory leak");
        assert_eq!(title_line(&d), Some("net: ipv4: fix memory leak"));
        assert_eq!(title_line("A flaw in foo allows bar"), None);
    }
}
