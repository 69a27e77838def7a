//! What the SPDX 2.2 and 2.3 specifications state about field values, as
//! small checks shared by the strict JSON and tag-value checkers. Each
//! returns `Err` with a message that says what was expected; the caller
//! adds the place.

/// The two versions strict mode checks; their rules differ only in the
/// enumerations that 2.3 extended.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Version {
    V2_2,
    V2_3,
}

impl Version {
    pub(crate) fn from_spdx_version(v: &str) -> Option<Version> {
        match v {
            "SPDX-2.2" => Some(Version::V2_2),
            "SPDX-2.3" => Some(Version::V2_3),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Version::V2_2 => "SPDX 2.2",
            Version::V2_3 => "SPDX 2.3",
        }
    }
}

/// Checksum algorithms (2.3 §7.10 / 2.2 §3.10), with the digest length in
/// hex digits where the algorithm fixes it (MD6 and BLAKE3 have variable
/// output).
const ALGORITHMS_2_2: &[(&str, Option<usize>)] = &[
    ("SHA1", Some(40)),
    ("SHA224", Some(56)),
    ("SHA256", Some(64)),
    ("SHA384", Some(96)),
    ("SHA512", Some(128)),
    ("MD2", Some(32)),
    ("MD4", Some(32)),
    ("MD5", Some(32)),
    ("MD6", None),
];

/// Added in 2.3.
const ALGORITHMS_2_3: &[(&str, Option<usize>)] = &[
    ("SHA3-256", Some(64)),
    ("SHA3-384", Some(96)),
    ("SHA3-512", Some(128)),
    ("BLAKE2b-256", Some(64)),
    ("BLAKE2b-384", Some(96)),
    ("BLAKE2b-512", Some(128)),
    ("BLAKE3", None),
    ("ADLER32", Some(8)),
];

/// Relationship types of 2.2 (§11.1); 2.3 adds the two in
/// [`RELATIONSHIPS_2_3`].
const RELATIONSHIPS_2_2: &[&str] = &[
    "DESCRIBES",
    "DESCRIBED_BY",
    "CONTAINS",
    "CONTAINED_BY",
    "DEPENDS_ON",
    "DEPENDENCY_OF",
    "DEPENDENCY_MANIFEST_OF",
    "BUILD_DEPENDENCY_OF",
    "DEV_DEPENDENCY_OF",
    "OPTIONAL_DEPENDENCY_OF",
    "PROVIDED_DEPENDENCY_OF",
    "TEST_DEPENDENCY_OF",
    "RUNTIME_DEPENDENCY_OF",
    "EXAMPLE_OF",
    "GENERATES",
    "GENERATED_FROM",
    "ANCESTOR_OF",
    "DESCENDANT_OF",
    "VARIANT_OF",
    "DISTRIBUTION_ARTIFACT",
    "PATCH_FOR",
    "PATCH_APPLIED",
    "COPY_OF",
    "FILE_ADDED",
    "FILE_DELETED",
    "FILE_MODIFIED",
    "EXPANDED_FROM_ARCHIVE",
    "DYNAMIC_LINK",
    "STATIC_LINK",
    "DATA_FILE_OF",
    "TEST_CASE_OF",
    "BUILD_TOOL_OF",
    "DEV_TOOL_OF",
    "TEST_OF",
    "TEST_TOOL_OF",
    "DOCUMENTATION_OF",
    "OPTIONAL_COMPONENT_OF",
    "METAFILE_OF",
    "PACKAGE_OF",
    "AMENDS",
    "PREREQUISITE_FOR",
    "HAS_PREREQUISITE",
    "OTHER",
];

const RELATIONSHIPS_2_3: &[&str] = &["REQUIREMENT_DESCRIPTION_FOR", "SPECIFICATION_FOR"];

/// Primary package purposes (2.3 §7.24; the field is new in 2.3).
pub(crate) const PURPOSES: &[&str] = &[
    "APPLICATION",
    "FRAMEWORK",
    "LIBRARY",
    "CONTAINER",
    "OPERATING_SYSTEM",
    "DEVICE",
    "FIRMWARE",
    "SOURCE",
    "ARCHIVE",
    "FILE",
    "INSTALL",
    "OTHER",
];

/// File types (§8.3).
pub(crate) const FILE_TYPES: &[&str] = &[
    "SOURCE",
    "BINARY",
    "ARCHIVE",
    "APPLICATION",
    "AUDIO",
    "IMAGE",
    "TEXT",
    "VIDEO",
    "DOCUMENTATION",
    "SPDX",
    "OTHER",
];

/// The one data licence the specification allows (§6.2).
pub(crate) const DATA_LICENSE: &str = "CC0-1.0";

/// The document's own SPDX identifier (§6.3).
pub(crate) const DOCUMENT_ID: &str = "SPDXRef-DOCUMENT";

/// `idstring`: letters, digits, `.` and `-` (2.3 §7.2, §8.2, §9.1).
fn is_idstring(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

/// An element's SPDX identifier: `SPDXRef-` then an idstring.
pub(crate) fn spdx_id(id: &str) -> Result<(), String> {
    match id.strip_prefix("SPDXRef-") {
        Some(rest) if is_idstring(rest) => Ok(()),
        _ => Err(format!(
            "SPDXID `{id}` is not `SPDXRef-` followed by letters, digits, `.` or `-`"
        )),
    }
}

/// An external document reference id: `DocumentRef-` then an idstring.
pub(crate) fn document_ref(id: &str) -> Result<(), String> {
    match id.strip_prefix("DocumentRef-") {
        Some(rest) if is_idstring(rest) => Ok(()),
        _ => Err(format!(
            "`{id}` is not `DocumentRef-` followed by letters, digits, `.` or `-`"
        )),
    }
}

/// `YYYY-MM-DDThh:mm:ssZ`, the one date form of the specification (§6.9).
pub(crate) fn date_time(s: &str) -> Result<(), String> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let number = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap_or(u32::MAX);
    let shaped = b.len() == 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && b[19] == b'Z';
    let in_range = shaped
        && (1..=12).contains(&number(5..7))
        && (1..=31).contains(&number(8..10))
        && number(11..13) <= 23
        && number(14..16) <= 59
        && number(17..19) <= 60;
    if in_range {
        Ok(())
    } else {
        Err(format!(
            "`{s}` is not a UTC date and time `YYYY-MM-DDThh:mm:ssZ`"
        ))
    }
}

/// `Person: name`, `Organization: name` or `Tool: name` (§6.8). The
/// optional `(email)` is not checked.
pub(crate) fn agent(s: &str) -> Result<(), String> {
    for prefix in ["Person:", "Organization:", "Tool:"] {
        if let Some(rest) = s.strip_prefix(prefix)
            && !rest.trim().is_empty()
        {
            return Ok(());
        }
    }
    Err(format!(
        "`{s}` is not `Person: name`, `Organization: name` or `Tool: name`"
    ))
}

/// An absolute URI (a scheme, then `:`) without a `#` (§6.5).
pub(crate) fn namespace(s: &str) -> Result<(), String> {
    let scheme = s.split_once(':').map(|(scheme, _)| scheme).unwrap_or("");
    let has_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !has_scheme || s.contains(char::is_whitespace) {
        return Err(format!("`{s}` is not an absolute URI"));
    }
    if s.contains('#') {
        return Err(format!("`{s}` contains `#`, which a namespace must not"));
    }
    Ok(())
}

/// A checksum: a known algorithm of `version` and a lower-case hex value
/// (of the digest's length where the algorithm fixes it).
pub(crate) fn checksum(version: Version, algorithm: &str, value: &str) -> Result<(), String> {
    let known = ALGORITHMS_2_2
        .iter()
        .chain(if version == Version::V2_3 {
            ALGORITHMS_2_3
        } else {
            &[]
        })
        .find(|(a, _)| *a == algorithm);
    let Some((_, length)) = known else {
        let extra =
            if version == Version::V2_2 && ALGORITHMS_2_3.iter().any(|(a, _)| *a == algorithm) {
                " (it is new in SPDX 2.3)"
            } else {
                ""
            };
        return Err(format!(
            "checksum algorithm `{algorithm}` is not one of {}{extra}",
            version.name()
        ));
    };
    if value.is_empty()
        || !value
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    {
        return Err(format!(
            "{algorithm} checksum `{value}` is not lower-case hexadecimal"
        ));
    }
    if let Some(n) = length
        && value.len() != *n
    {
        return Err(format!(
            "{algorithm} checksum `{value}` has {} hex digits, not {n}",
            value.len()
        ));
    }
    Ok(())
}

/// The package verification code: a SHA1, 40 lower-case hex digits (§7.9).
pub(crate) fn verification_code(value: &str) -> Result<(), String> {
    checksum(Version::V2_2, "SHA1", value)
        .map_err(|_| format!("verification code `{value}` is not 40 lower-case hex digits"))
}

pub(crate) fn relationship_type(version: Version, kind: &str) -> Result<(), String> {
    let known = RELATIONSHIPS_2_2.contains(&kind)
        || (version == Version::V2_3 && RELATIONSHIPS_2_3.contains(&kind));
    if known {
        Ok(())
    } else {
        Err(format!(
            "relationship type `{kind}` is not one of {}",
            version.name()
        ))
    }
}

/// External reference categories (§7.21). The 2.2 schema also accepts the
/// underscore spellings, which the 2.2 text used.
pub(crate) fn reference_category(version: Version, category: &str) -> Result<(), String> {
    let mut known = vec!["SECURITY", "PACKAGE-MANAGER", "PERSISTENT-ID", "OTHER"];
    if version == Version::V2_2 {
        known.extend(["PACKAGE_MANAGER", "PERSISTENT_ID"]);
    }
    if known.contains(&category) {
        Ok(())
    } else {
        Err(format!(
            "external reference category `{category}` is not one of {}",
            known.join(", ")
        ))
    }
}

/// One of `allowed`, else an error naming the field.
pub(crate) fn one_of(field: &str, value: &str, allowed: &[&str]) -> Result<(), String> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(format!(
            "{field} `{value}` is not one of {}",
            allowed.join(", ")
        ))
    }
}

/// What a relationship may name: an element of this document, one of an
/// external document (`DocumentRef-x:SPDXRef-y`, `x` declared), or, on the
/// related side, NONE / NOASSERTION (§11.1).
pub(crate) fn element_ref(
    id: &str,
    related_side: bool,
    elements: &std::collections::HashSet<&str>,
    external_docs: &std::collections::HashSet<&str>,
) -> Result<(), String> {
    if related_side && matches!(id, "NONE" | "NOASSERTION") {
        return Ok(());
    }
    if let Some((doc, element)) = id.split_once(':') {
        document_ref(doc)?;
        spdx_id(element)?;
        return if external_docs.contains(doc) {
            Ok(())
        } else {
            Err(format!(
                "`{id}` names `{doc}`, which no external document reference declares"
            ))
        };
    }
    if elements.contains(id) {
        Ok(())
    } else {
        Err(format!("`{id}` is no element of this document"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert!(spdx_id("SPDXRef-Package-zlib-1.2.13").is_ok());
        assert!(spdx_id("SPDXRef-").is_err());
        assert!(spdx_id("SPDXRef-a_b").is_err());
        assert!(spdx_id("Package-zlib").is_err());
        assert!(document_ref("DocumentRef-spdx-tool-1.2").is_ok());
        assert!(document_ref("DocumentRef-a:b").is_err());
    }

    #[test]
    fn dates() {
        assert!(date_time("2010-01-29T18:30:22Z").is_ok());
        assert!(date_time("2010-01-29T18:30:22").is_err());
        assert!(date_time("2010-01-29T18:30:22.123Z").is_err());
        assert!(date_time("2010-13-29T18:30:22Z").is_err());
        assert!(date_time("2010-01-29 18:30:22Z").is_err());
        assert!(date_time("2010-01-29T18:30:22+01:00").is_err());
    }

    #[test]
    fn checksums() {
        let sha1 = "d6a770ba38583ed4bb4525bd96e50461655d2758";
        assert!(checksum(Version::V2_2, "SHA1", sha1).is_ok());
        assert!(checksum(Version::V2_2, "SHA1", &sha1.to_uppercase()).is_err());
        assert!(checksum(Version::V2_2, "SHA1", &sha1[1..]).is_err());
        assert!(checksum(Version::V2_2, "SHA-1", sha1).is_err());
        let e = checksum(Version::V2_2, "BLAKE3", "ab").unwrap_err();
        assert!(e.contains("new in SPDX 2.3"), "{e}");
        assert!(checksum(Version::V2_3, "BLAKE3", "ab").is_ok());
        assert!(checksum(Version::V2_3, "ADLER32", "0123abcd").is_ok());
    }

    #[test]
    fn agents_namespaces_relationships() {
        assert!(agent("Tool: syft-0.100").is_ok());
        assert!(agent("Organization: ").is_err());
        assert!(agent("syft").is_err());
        assert!(namespace("https://example.com/spdx/a-1").is_ok());
        assert!(namespace("https://example.com/spdx#a").is_err());
        assert!(namespace("example.com/spdx").is_err());
        assert!(relationship_type(Version::V2_3, "SPECIFICATION_FOR").is_ok());
        assert!(relationship_type(Version::V2_2, "SPECIFICATION_FOR").is_err());
        assert!(relationship_type(Version::V2_3, "DEPENDS-ON").is_err());
        assert!(reference_category(Version::V2_2, "PACKAGE_MANAGER").is_ok());
        assert!(reference_category(Version::V2_3, "PACKAGE_MANAGER").is_err());
    }
}
