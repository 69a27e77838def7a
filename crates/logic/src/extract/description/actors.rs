//! Actor phrases ("remote authenticated users", "local users",
//! "man-in-the-middle attackers", "user-assisted") as access cues.

use super::Doc;
use crate::conditions::ConditionSource;
use crate::extract::{Access, Cue};

/// Actor phrases and the access they state.
const ACTORS: &[(&str, &[Access])] = &[
    (
        "remote authenticated",
        &[Access::Remote, Access::Authenticated],
    ),
    (
        "authenticated remote",
        &[Access::Remote, Access::Authenticated],
    ),
    ("remote administrators", &[Access::Remote, Access::Admin]),
    ("remote attackers", &[Access::Remote]),
    ("remote attacker", &[Access::Remote]),
    ("remote users", &[Access::Remote]),
    ("remote unauthenticated", &[Access::Remote]),
    ("unauthenticated remote", &[Access::Remote]),
    ("remote servers", &[Access::Remote]),
    ("with network access", &[Access::Remote]),
    ("authenticated users", &[Access::Authenticated]),
    ("authenticated attackers", &[Access::Authenticated]),
    ("authenticated user", &[Access::Authenticated]),
    ("logged-in users", &[Access::Authenticated]),
    ("authenticated administrators", &[Access::Admin]),
    ("administrators to", &[Access::Admin]),
    ("local users", &[Access::Local]),
    ("local user", &[Access::Local]),
    ("local attackers", &[Access::Local]),
    ("local attacker", &[Access::Local]),
    ("physically proximate", &[Access::Physical]),
    ("with physical access", &[Access::Physical]),
    ("physical access to", &[Access::Physical]),
    ("man-in-the-middle", &[Access::OnPath]),
    ("on-path attacker", &[Access::OnPath]),
    ("adjacent network", &[Access::Adjacent]),
    ("same network segment", &[Access::Adjacent]),
    ("user-assisted", &[Access::UserInteraction]),
    ("trick a user", &[Access::UserInteraction]),
    ("tricking a user", &[Access::UserInteraction]),
    ("trick users", &[Access::UserInteraction]),
    ("convince a user", &[Access::UserInteraction]),
    ("entice a user", &[Access::UserInteraction]),
    ("social engineering", &[Access::UserInteraction]),
];

/// The first occurrence of each actor phrase, in one pass over the word
/// starts (a search per phrase cost more than all other rules together).
pub(super) fn actors(d: &Doc, cues: &mut Vec<Cue>) {
    let b = d.lc.as_bytes();
    let mut seen = [false; ACTORS.len()];
    for i in 0..b.len() {
        if i > 0 && b[i - 1].is_ascii_alphanumeric() {
            continue;
        }
        let rest = &b[i..];
        for (k, &(words, access)) in ACTORS.iter().enumerate() {
            if seen[k] || words.as_bytes()[0] != b[i] || !rest.starts_with(words.as_bytes()) {
                continue;
            }
            seen[k] = true;
            let evidence = d.slice(i, i + words.len());
            for &a in access {
                cues.push(Cue {
                    access: a,
                    source: ConditionSource::Description,
                    evidence: evidence.to_string(),
                });
            }
        }
    }
}
