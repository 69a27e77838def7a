//! Platforms in prose: "on the x86 platform", "on Linux, UNIX, and Windows",
//! "on systems running X", "1.7.4 for Apache 2.x".

use super::{Doc, subject_end};
use crate::conditions::ConditionSource;
use crate::extract::Item;
use crate::extract::phrase;
use crate::extract::text::{
    find_all, first_stop, sentence_end, strip_article, trim_clause, trim_joiners,
};

/// First words that name an operating system, architecture or runtime
/// platform ("on Linux", "on 64-bit platforms").
const PLATFORM_WORDS: &[&str] = &[
    "windows",
    "linux",
    "unix",
    "solaris",
    "mac",
    "macos",
    "os x",
    "aix",
    "hp-ux",
    "freebsd",
    "openbsd",
    "netbsd",
    "bsd",
    "android",
    "ios",
    "x86",
    "x86-64",
    "x86_64",
    "x64",
    "amd64",
    "arm",
    "arm64",
    "aarch64",
    "64-bit",
    "32-bit",
    "itanium",
    "ia64",
    "sparc",
    "powerpc",
    "ppc",
    "z/os",
    "irix",
    "tru64",
    "debian",
    "ubuntu",
    "red hat",
    "fedora",
    "suse",
    "centos",
    "gentoo",
    "big-endian",
    "little-endian",
    "mips",
    "microsoft windows",
    "apple",
    "chrome os",
    "openvms",
    "sco",
    "qnx",
    "vxworks",
];

/// Nouns that make "on the X <noun>" a platform statement.
const PLATFORM_NOUNS: &[&str] = &[
    "platform",
    "platforms",
    "chipset",
    "chipsets",
    "architecture",
    "architectures",
    "processor",
    "processors",
    "cpu",
    "cpus",
    "hardware",
];

pub(super) fn starts_with_platform_word(lc: &str) -> bool {
    let lc = strip_article(lc);
    PLATFORM_WORDS.iter().any(|w| {
        lc.starts_with(w)
            && !lc[w.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_alphanumeric())
    })
}

/// "on the x86 platform", "on the Marvell 88W8361P-BEM1 chipset", "on
/// Linux, UNIX, and Windows" (one condition: any of the listed systems).
pub(super) fn platforms_on(d: &Doc, found: &mut Vec<(usize, Item)>) {
    const STOPS: &[&str] = &[
        ", ",
        " when",
        " allows",
        " allow ",
        " via ",
        " does",
        " do ",
        " before ",
        " through ",
        "; ",
        " and earlier",
        " is ",
        " are ",
        " could",
        " might",
        " which",
        " if ",
        " with ",
        " to ",
        " by ",
        " in ",
        " using ",
        " as ",
    ];
    for at in find_all(d.lc, " on ") {
        let start = at + 4;
        let end_sentence = sentence_end(d.text, start);
        let end = first_stop(d.lc, start, end_sentence, STOPS);
        let lc_np = &d.lc[start..end];
        if lc_np.split(' ').count() > 7 {
            continue;
        }
        if let Some(host) = [
            "systems running ",
            "hosts running ",
            "servers running ",
            "machines running ",
            "devices running ",
        ]
        .iter()
        .find_map(|h| lc_np.strip_prefix(h))
        .filter(|h| !h.is_empty())
        {
            let name = d.slice(end - host.len(), end);
            found.push((
                at,
                Item::One(phrase::platform(
                    name,
                    ConditionSource::Description,
                    d.slice(at + 1, end),
                )),
            ));
        } else if starts_with_platform_word(lc_np) {
            let list_end = platform_list_end(d, start, end, end_sentence);
            let names = trim_joiners(d.slice(start, list_end));
            let name = or_list(names);
            let evidence = d.slice(at + 1, list_end);
            found.push((
                at,
                Item::One(phrase::platform(
                    &name,
                    ConditionSource::Description,
                    evidence,
                )),
            ));
        } else if PLATFORM_NOUNS
            .iter()
            .any(|n| lc_np.ends_with(&format!(" {n}")))
        {
            let name = d.slice(start, end);
            found.push((
                at,
                Item::One(phrase::platform(
                    name,
                    ConditionSource::Description,
                    d.slice(at + 1, end),
                )),
            ));
        }
    }
}

/// Extends "Linux" over ", UNIX, and Windows": list items that are platform
/// words themselves.
fn platform_list_end(d: &Doc, start: usize, end: usize, limit: usize) -> usize {
    let mut end = end;
    loop {
        let rest = &d.lc[end..limit];
        let next = ["and ", "or ", ", and ", ", or ", ", "]
            .iter()
            .find_map(|sep| {
                rest.strip_prefix(sep)
                    .or(rest.strip_prefix(&format!(" {sep}")[..]))
            })
            .filter(|r| starts_with_platform_word(r));
        let Some(next) = next else {
            return end;
        };
        let item_start = limit - next.len();
        let item_end = first_stop(
            d.lc,
            item_start,
            limit,
            &[
                ", ", " and ", " or ", " when", " allows", " via ", ". ", " before ",
            ],
        );
        if item_end <= item_start || item_start <= start {
            return end;
        }
        end = item_end;
    }
}

/// "Linux, UNIX, and Windows" → "Linux, UNIX, or Windows": the product runs
/// on one of them.
fn or_list(names: &str) -> String {
    let names = trim_clause(names);
    match names.rfind(" and ") {
        Some(i) if starts_with_platform_word(&names[i + 5..].to_ascii_lowercase()) => {
            format!("{} or {}", &names[..i], &names[i + 5..])
        }
        _ => names.to_string(),
    }
}

/// "ModSecurity 1.7.4 for Apache 2.x", "the Foo plugin for WordPress": the
/// host the product is built for, named in the subject.
pub(super) fn platform_for(d: &Doc, found: &mut Vec<(usize, Item)>) {
    const HOSTED: &[&str] = &[
        "plugin",
        "plug-in",
        "module",
        "extension",
        "add-on",
        "addon",
        "theme",
        "component",
        "port",
        "edition",
        "client",
        "agent",
    ];
    let end = subject_end(d);
    for at in find_all(&d.lc[..end], " for ") {
        let prev = d.lc[..at].rsplit(' ').next().unwrap_or("");
        let hosted = prev.bytes().any(|b| b.is_ascii_digit()) || HOSTED.contains(&prev);
        let start = at + 5;
        let starts_capital = d.text[start..].starts_with(|c: char| c.is_uppercase());
        if !hosted || !starts_capital {
            continue;
        }
        let stop = first_stop(
            d.lc,
            start,
            end,
            &[
                ", ",
                " before ",
                " through ",
                " and earlier",
                " when ",
                " on ",
                " in ",
                " (",
                ";",
            ],
        );
        let name = d.slice(start, stop);
        if name.split(' ').count() > 6 || name.trim().is_empty() {
            continue;
        }
        found.push((
            at,
            Item::One(phrase::platform(
                name,
                ConditionSource::Description,
                d.slice(at + 1, stop),
            )),
        ));
    }
}
