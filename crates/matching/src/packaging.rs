//! The names a package's packaging suggests for its upstream project:
//! generic packaging suffixes, split packages of a build system's recipe
//! (`openssh-sftp-server` → `openssh`), distribution binary packages'
//! source names (`libssl1.1` → `openssl`), `lib` prefixes and glued
//! versions, build systems' Python bindings; and what kind of component
//! it is (a language package, a device, a distribution package).

use kensa_model::Component;
use kensa_model::names::normalize;

use crate::purl::Purl;

/// Generic packaging suffixes and prefixes; nothing else is ever dropped.
const SUFFIXES: &[&str] = &[
    "_server",
    "_client",
    "_core",
    "_libs",
    "_lib",
    "_devel",
    "_dev",
    "_common",
    "_bin",
    "_utils",
    "_tools",
    "_daemon",
    "_runtime",
    "_headless",
    "_full",
];

/// The project of a build system's Python package: `python3-pyopenssl` →
/// `pyopenssl`, `python-cherrypy` → `cherrypy` (normalised names).
pub(crate) fn python_binding(name: &str) -> Option<&str> {
    ["python3_", "python2_", "python_", "py3_"]
        .iter()
        .find_map(|p| name.strip_prefix(p))
        .filter(|rest| rest.len() >= 2)
}

/// Words after a split package's base name that say it is part of the
/// base's build, not another project: the build systems' packaging
/// splits (development files, locales, tools, client and server halves),
/// and the program packages OpenEmbedded splits its two ubiquitous
/// recipes into (`openssh-sshd`, `busybox-syslog`). Not `plugin` or
/// `module`: `vite-plugin-…` and `dataease-plugin-…` are other projects
/// with their own numbering.
const SPLIT_WORDS: &[&str] = &[
    "dev",
    "dbg",
    "doc",
    "docs",
    "staticdev",
    "src",
    "ptest",
    "locale",
    "lang",
    "bin",
    "lib",
    "libs",
    "utils",
    "util",
    "tools",
    "client",
    "clients",
    "server",
    "daemon",
    "common",
    "data",
    "conf",
    "config",
    "extra",
    "extras",
    "misc",
    "scripts",
    "runtime",
    "progs",
    "sshd",
    "ssh",
    "scp",
    "sftp",
    "keygen",
    "syslog",
    "udhcpc",
    "udhcpd",
    "hwclock",
    "mdev",
];

/// Names a distribution's or build system's package may be built from,
/// each with how, and whether a packaging word follows the base name:
/// a distribution package's source names (`libssl1.1` → `openssl`), and
/// the bases of a split package, longest first (`openssh-sftp-server` →
/// `openssh-sftp`, `openssh`), when what follows the base is not itself a
/// known product (`dbus-python` is not `dbus`).
pub(crate) fn derived(c: &Component, known: &dyn Fn(&str) -> bool) -> Vec<(String, String, bool)> {
    let mut out: Vec<(String, String, bool)> = Vec::new();
    if is_distro_package(c) {
        for (n, why) in distro_names(&c.name, known) {
            let how = format!("distribution package `{}` as `{n}` ({why})", c.name);
            out.push((n, how, true));
        }
    }
    let lower = c.name.trim().to_ascii_lowercase();
    let mut base = lower.as_str();
    while let Some((prefix, _)) = base.rsplit_once('-') {
        base = prefix;
        let rest = &lower[prefix.len() + 1..];
        let first = normalize(rest.split(['-', '.', '_']).next().unwrap_or(""));
        let split_word = SPLIT_WORDS.contains(&first.as_str());
        if prefix.len() < 2
            || NOT_SPLIT_PREFIXES.contains(&prefix)
            || (!split_word && (known(&normalize(rest)) || known(&first)))
        {
            continue;
        }
        let n = normalize(prefix);
        if !out.iter().any(|(o, _, _)| *o == n) {
            let how = format!("split package `{}` of `{prefix}`", c.name);
            out.push((n, how, split_word));
        }
    }
    out
}

/// [`derived`] names for curated mapping lookups: a recipe a mapping
/// names is a base whatever words follow it.
pub(crate) fn derived_names(c: &Component, known: &dyn Fn(&str) -> bool) -> Vec<(String, String)> {
    if is_device(c) {
        return Vec::new();
    }
    derived(c, known)
        .into_iter()
        .map(|(n, how, _)| (n, how))
        .collect()
}

/// Binary package names of Debian, RPM distributions and Alpine whose
/// upstream project (and NVD product) has another name: the public source
/// package names, after the generic rules of [`distro_names`] dropped
/// packaging suffixes and soname versions. Keys and values are normalised.
const DISTRO_NAMES: &[(&str, &[&str])] = &[
    ("libssl", &["openssl"]),
    ("libcrypto", &["openssl"]),
    ("zlib1g", &["zlib"]),
    ("libz", &["zlib"]),
    ("libcurl", &["curl", "libcurl"]),
    ("libc", &["glibc"]),
    ("libexpat", &["expat"]),
    ("libsqlite3", &["sqlite"]),
    ("sqlite3", &["sqlite"]),
    ("libbz2", &["bzip2"]),
    ("liblzma", &["xz"]),
    ("libgnutls", &["gnutls"]),
    ("libsystemd", &["systemd"]),
    ("libudev", &["systemd"]),
    ("libdbus", &["dbus"]),
    ("libpam", &["linux_pam"]),
    ("libpcre", &["pcre"]),
    ("libpcre2", &["pcre2"]),
    ("libjpeg_turbo", &["libjpeg_turbo"]),
    ("libjpeg62_turbo", &["libjpeg_turbo"]),
];

/// Packaging suffixes of distribution packages (development files, split
/// libraries, TLS flavours of libcurl), dropped before the soname rule.
const DISTRO_SUFFIXES: &[&str] = &[
    "-dev", "-devel", "-libs", "-lib", "-bin", "-common", "-utils", "-tools", "-data", "-dbg",
    "-static", "-openssl", "-gnutls", "-nss",
];

/// Prefixes of split packages that are language bindings or add-ons with
/// their own versions (`perl-Net-SSLeay`, `python3-requests`), never the
/// prefix's project.
const NOT_SPLIT_PREFIXES: &[&str] = &[
    "perl",
    "python",
    "python2",
    "python3",
    "py3",
    "ruby",
    "php",
    "php7",
    "php8",
    "lua",
    "golang",
    "node",
    "nodejs",
    "rust",
    "ghc",
    "libghc",
    "r",
    "texlive",
    "fonts",
    "font",
    "gir1.2",
    "qt5",
    "qt6",
    "kernel",
    "linux",
    "lib32",
    "lib64",
    "gstreamer1.0",
    "bash",
    "vim",
    "emacs",
];

pub(crate) fn is_distro_package(c: &Component) -> bool {
    match c.purl.as_deref().and_then(Purl::parse) {
        Some(p) => matches!(p.kind.as_str(), "deb" | "rpm" | "apk"),
        None => {
            // Without a purl: a lower-case library name with a soname glued
            // on (`libssl1.0.0`, `zlib1g`).
            let n = c.name.trim();
            n.chars().all(|ch| !ch.is_ascii_uppercase())
                && (n.starts_with("lib") || n.starts_with("zlib"))
                && n.bytes().any(|b| b.is_ascii_digit())
        }
    }
}

/// Upstream names a distribution package may stand for, normalised, each
/// with the rule that gave it: packaging suffixes dropped (`-dev`,
/// `-libs`), the soname version dropped (`libssl1.0.0` → `libssl`,
/// `libsqlite3-0` → `libsqlite3`, but `libxml2` stays when it is a known
/// product), then [`DISTRO_NAMES`] (`libssl` → `openssl`), and for split
/// packages the part before the first `-` when it is a known product
/// (`busybox-syslogd` → `busybox`).
pub(crate) fn distro_names(
    name: &str,
    known: &dyn Fn(&str) -> bool,
) -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = Vec::new();
    let add = |n: String, why: &'static str, out: &mut Vec<(String, &'static str)>| {
        if !n.is_empty() && !out.iter().any(|(o, _)| *o == n) {
            out.push((n, why));
        }
    };
    let lower = name.trim().to_ascii_lowercase();
    let mut stem = lower.as_str();
    let mut stripped = true;
    while stripped {
        stripped = false;
        for suffix in DISTRO_SUFFIXES {
            if let Some(s) = stem.strip_suffix(suffix)
                && !s.is_empty()
            {
                stem = s;
                stripped = true;
            }
        }
    }
    let mut forms: Vec<(String, &'static str)> =
        vec![(stem.to_string(), "packaging suffix dropped")];
    if let Some(s) = drop_soname(stem, known) {
        forms.push((s.to_string(), "soname version dropped"));
    }
    for (form, why) in forms {
        let n = normalize(&form);
        if n != normalize(&lower) {
            add(n.clone(), why, &mut out);
        }
        if let Some((_, upstream)) = DISTRO_NAMES.iter().find(|(k, _)| *k == n) {
            for u in *upstream {
                add(u.to_string(), "the library's source package", &mut out);
            }
        }
    }
    if let Some((prefix, _)) = lower.split_once('-')
        && !NOT_SPLIT_PREFIXES.contains(&prefix)
        && !known(&normalize(&lower))
        && known(&normalize(prefix))
    {
        add(
            normalize(prefix),
            "split package of a known product",
            &mut out,
        );
    }
    out
}

/// Source package names a distribution's binary package may be built from,
/// by the packaging rules of [`distro_names`] alone (no dictionary):
/// `libssl1.1` → `openssl`, `zlib1g` → `zlib`, `libcurl4` → `curl`.
pub(crate) fn source_package_names(binary: &str) -> Vec<String> {
    distro_names(binary, &|_| false)
        .into_iter()
        .map(|(name, _)| name)
        .collect()
}

/// `stem` without its soname version: a separated one (`libsqlite3-0`,
/// `libpng16-16`) or one glued to a library name (`libssl1.0.0`,
/// `libcurl4`, `libc6`, `libssl3t64`); a glued one stays when the whole
/// name is a known product (`libxml2`).
pub(crate) fn drop_soname<'a>(stem: &'a str, known: &dyn Fn(&str) -> bool) -> Option<&'a str> {
    let is_ver = |s: &str| {
        !s.is_empty()
            && s.starts_with(|ch: char| ch.is_ascii_digit())
            && s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
    };
    if let Some((head, tail)) = stem.rsplit_once('-')
        && is_ver(tail)
        && head.len() >= 3
    {
        return Some(head);
    }
    if !stem.starts_with("lib") || known(&normalize(stem)) {
        return None;
    }
    let s = stem.strip_suffix("t64").unwrap_or(stem);
    let head = s.trim_end_matches(|ch: char| ch.is_ascii_digit() || ch == '.');
    (head.len() >= 4 && head.len() < s.len() && head.ends_with(|ch: char| ch.is_ascii_alphabetic()))
        .then_some(head)
}

/// Packaging variants of a normalised name.
pub(crate) fn variants(name: &str, c: &Component, known: &dyn Fn(&str) -> bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut stem = name.to_string();
    for suffix in SUFFIXES {
        if let Some(s) = stem.strip_suffix(suffix) {
            out.push(s.to_string());
            stem = s.to_string();
        }
    }
    // A major version glued to the name: struts2 → struts, python3 → python;
    // not when the whole name is a product (libxml2 is not libxml).
    let trimmed = stem.trim_end_matches(|ch: char| ch.is_ascii_digit());
    if trimmed.len() >= 3 && trimmed.len() < stem.len() && !trimmed.ends_with('_') && !known(&stem)
    {
        out.push(trimmed.to_string());
    }
    // Library and program share a version: curl ↔ libcurl.
    match stem.strip_prefix("lib") {
        Some(rest) if rest.len() >= 3 => {
            out.push(rest.to_string());
            // Buildroot's `libglib2`: the library's major version glued on.
            let unversioned = rest.trim_end_matches(|ch: char| ch.is_ascii_digit());
            if unversioned.len() >= 3 && unversioned.len() < rest.len() && !known(rest) {
                out.push(unversioned.to_string());
            }
        }
        _ => out.push(format!("lib{stem}")),
    }
    // JavaScript runtimes and libraries: node → node.js.
    if !stem.ends_with("js") {
        out.push(format!("{stem}_js"));
        out.push(format!("{stem}js"));
    }
    // Devices: NVD names firmware `<family>_<model>_firmware` and the
    // series `<family>_firmware`.
    if is_device(c) {
        out.push(format!("{stem}_firmware"));
        if let Some((family, model)) = stem.rsplit_once('_')
            && model.chars().any(|ch| ch.is_ascii_digit())
        {
            out.push(format!("{family}_firmware"));
        }
    }
    out
}

/// The purl type when it names a language package manager, whose package
/// names live in their own namespace, apart from NVD's product names.
pub(crate) fn language_ecosystem(c: &Component) -> Option<String> {
    const LANGUAGE: &[&str] = &[
        "npm",
        "pypi",
        "gem",
        "cargo",
        "golang",
        "nuget",
        "composer",
        "hex",
        "pub",
        "maven",
        "cocoapods",
        "swift",
        "conda",
        "cran",
        "hackage",
    ];
    let purl = Purl::parse(c.purl.as_deref()?)?;
    LANGUAGE.contains(&purl.kind.as_str()).then_some(purl.kind)
}

pub(crate) fn is_device(c: &Component) -> bool {
    matches!(c.kind.as_deref(), Some("firmware" | "device" | "hardware"))
        || c.manufacturer.is_some()
        || c.purl.is_none() && c.supplier.is_some() && c.name.chars().any(|ch| ch.is_ascii_digit())
}
