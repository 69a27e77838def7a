//! Versions as build systems and device makers write them, brought to
//! what NVD's criteria compare: a leading `V` dropped (`V2.1.4`), a
//! service pack as NVD's update field (`V7.4 SP1` → `7.4sp1`, as NVD
//! files `7.4:sp1`), build numbers and notes cut (`V2.9.2 (Build 1234)`,
//! `3.1.0-build.17`). Placeholders that are not versions (`custom`,
//! `local`, a git commit) leave the component unversioned: no version,
//! no finding, never a guess.

/// Whether `v` is a version Kensa can compare: it has a digit, and is not
/// a bare source-control commit (7 to 40 hex digits with a letter).
pub fn is_version(v: &str) -> bool {
    let v = v.trim();
    if !v.bytes().any(|b| b.is_ascii_digit()) {
        return false;
    }
    let commit = (7..=40).contains(&v.len())
        && v.bytes().all(|b| b.is_ascii_hexdigit())
        && v.bytes().any(|b| b.is_ascii_alphabetic());
    !commit
}

/// A vendor's version in NVD's terms (see the module documentation);
/// anything else is returned as it is.
pub fn vendor_version(v: &str) -> String {
    let mut v = v.trim().to_string();
    // Notes in parentheses: `2.9.2 (Build 1234)`, `V4.0 (LTS)`.
    if let Some(i) = v.find('(')
        && i > 0
    {
        v.truncate(i);
        v = v.trim_end().to_string();
    }
    v = cut_build(&v).to_string();
    let mut words = v.split_whitespace();
    let Some(base) = words.next() else {
        return v;
    };
    let mut out = base.to_string();
    let rest: Vec<&str> = words.collect();
    let mut i = 0;
    while i < rest.len() {
        let w = rest[i].to_ascii_lowercase();
        // `SP1` or `SP 1`; other words (`Update 2`, `HF1`, `LTS`) are not
        // NVD's and are left out.
        if let Some(n) = w.strip_prefix("sp") {
            let n = if n.is_empty() {
                i += 1;
                rest.get(i).copied().unwrap_or("").to_string()
            } else {
                n.to_string()
            };
            if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) {
                out.push_str("sp");
                out.push_str(&n);
            }
            break;
        }
        i += 1;
    }
    out
}

/// `3.1.0-build.17`, `2.4.1 build 1052`, `1.2+build5` without the build.
fn cut_build(v: &str) -> &str {
    let lower = v.to_ascii_lowercase();
    let Some(i) = lower.find("build") else {
        return v;
    };
    let before = &v[..i];
    if i > 0 && before.ends_with(['-', '_', '+', '.', ' ']) {
        before.trim_end_matches(['-', '_', '+', '.', ' '])
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_not_versions() {
        for v in [
            "custom",
            "local",
            "unknown",
            "f60aa08c63fc02780554a0a12180a478ca27d49f",
            "",
        ] {
            assert!(!is_version(v), "{v}");
        }
        for v in [
            "1.0",
            "20200601",
            "V2.1.4",
            "054U000092-rev-1882",
            "1.0.1f",
            "2018e",
            "12345678",
        ] {
            assert!(is_version(v), "{v}");
        }
    }

    #[test]
    fn vendor_versions() {
        assert_eq!(vendor_version("V7.4 SP1"), "V7.4sp1");
        assert_eq!(vendor_version("V7.4 SP 1"), "V7.4sp1");
        assert_eq!(vendor_version("V14 SP1 Update 2"), "V14sp1");
        assert_eq!(vendor_version("V2.9.2 (Build 1234)"), "V2.9.2");
        assert_eq!(vendor_version("3.1.0-build.17"), "3.1.0");
        assert_eq!(vendor_version("2.4.1 build 1052"), "2.4.1");
        assert_eq!(vendor_version("1.0.1f"), "1.0.1f");
        assert_eq!(vendor_version("V4.2 HF1"), "V4.2");
        assert_eq!(
            vendor_version("2.38+git0+44f757a636"),
            "2.38+git0+44f757a636"
        );
    }
}
