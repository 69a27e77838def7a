//! CycloneDX: what the JSON and XML readers share (versions, component
//! types, known fields).

pub(crate) mod json;
pub(crate) mod xml;

/// For messages.
pub(crate) const KNOWN_JSON: &str = "1.2 to 1.7";
pub(crate) const KNOWN_XML: &str = "1.0 to 1.7";

/// The rules of one specification version, as far as this reader checks
/// them. `minor` is N of "1.N"; `None` for a version this crate does not
/// know, read (in lenient mode only) by the newest rules.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rules {
    pub(crate) minor: Option<u8>,
}

impl Rules {
    /// "1.N" with N up to 7.
    pub(crate) fn for_version(v: &str) -> Rules {
        let minor = v
            .strip_prefix("1.")
            .filter(|n| n.len() == 1)
            .and_then(|n| n.parse::<u8>().ok())
            .filter(|n| *n <= 7);
        Rules { minor }
    }

    fn at_least(self, m: u8) -> bool {
        self.minor.is_none_or(|n| n >= m)
    }

    /// Component `version` is required up to 1.3.
    pub(crate) fn version_required(self) -> bool {
        !self.at_least(4)
    }

    /// JSON schemas from 1.4 on refuse unknown members
    /// (`additionalProperties: false`).
    pub(crate) fn closed_json_objects(self) -> bool {
        self.at_least(4)
    }

    /// `bom-ref` and dependency `ref` have `minLength: 1` from 1.5 on.
    pub(crate) fn refs_nonempty(self) -> bool {
        self.at_least(5)
    }

    /// A JSON property needs a `name` from 1.6 on.
    pub(crate) fn property_name_required_json(self) -> bool {
        self.at_least(6)
    }

    /// Whether `t` is a component type of this version.
    pub(crate) fn type_known(self, t: &str) -> bool {
        const BASE: [&str; 8] = [
            "application",
            "framework",
            "library",
            "container",
            "operating-system",
            "device",
            "firmware",
            "file",
        ];
        const FROM_1_5: [&str; 4] = [
            "platform",
            "device-driver",
            "machine-learning-model",
            "data",
        ];
        const FROM_1_6: [&str; 1] = ["cryptographic-asset"];
        BASE.contains(&t)
            || (self.at_least(5) && FROM_1_5.contains(&t))
            || (self.at_least(6) && FROM_1_6.contains(&t))
    }
}

/// `urn:uuid:` and an RFC 4122 UUID in lower-case hex, as the schemas
/// require.
pub(crate) fn serial_number_ok(s: &str) -> bool {
    s.strip_prefix("urn:uuid:").is_some_and(uuid_ok)
}

fn uuid_ok(u: &str) -> bool {
    let groups: Vec<&str> = u.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

/// The XML schema also accepts `{uuid}`.
pub(crate) fn xml_serial_number_ok(s: &str) -> bool {
    serial_number_ok(s)
        || s.strip_prefix('{')
            .and_then(|s| s.strip_suffix('}'))
            .is_some_and(uuid_ok)
}

/// Members of the BOM object in any JSON schema 1.2 to 1.7.
pub(crate) const BOM_FIELDS: &[&str] = &[
    "$schema",
    "annotations",
    "bomFormat",
    "citations",
    "components",
    "compositions",
    "declarations",
    "definitions",
    "dependencies",
    "externalReferences",
    "formulation",
    "metadata",
    "properties",
    "serialNumber",
    "services",
    "signature",
    "specVersion",
    "version",
    "vulnerabilities",
];

/// Members (JSON) and child elements (XML) of `metadata`.
pub(crate) const METADATA_FIELDS: &[&str] = &[
    "authors",
    "component",
    "distributionConstraints",
    "licenses",
    "lifecycles",
    "manufacture",
    "manufacturer",
    "properties",
    "supplier",
    "timestamp",
    "tools",
];

/// Members of a component (JSON; XML has the same names as child elements,
/// `type`, `mime-type`, `bom-ref` and `isExternal` as attributes).
pub(crate) const COMPONENT_FIELDS: &[&str] = &[
    "author",
    "authors",
    "bom-ref",
    "components",
    "copyright",
    "cpe",
    "cryptoProperties",
    "data",
    "description",
    "evidence",
    "externalReferences",
    "group",
    "hashes",
    "isExternal",
    "licenses",
    "manufacturer",
    "mime-type",
    "modelCard",
    "modified",
    "name",
    "omniborId",
    "patentAssertions",
    "pedigree",
    "properties",
    "publisher",
    "purl",
    "releaseNotes",
    "scope",
    "signature",
    "supplier",
    "swhid",
    "swid",
    "tags",
    "type",
    "version",
    "versionRange",
];

pub(crate) const DEPENDENCY_FIELDS: &[&str] = &["dependsOn", "provides", "ref"];
pub(crate) const ENTITY_FIELDS: &[&str] = &["address", "bom-ref", "contact", "name", "url"];
pub(crate) const CONTACT_FIELDS: &[&str] = &["bom-ref", "email", "name", "phone"];
pub(crate) const PROPERTY_FIELDS: &[&str] = &["name", "value"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_types() {
        assert_eq!(Rules::for_version("1.6").minor, Some(6));
        assert_eq!(Rules::for_version("1.8").minor, None);
        assert_eq!(Rules::for_version("2.0").minor, None);
        assert_eq!(Rules::for_version("1.10").minor, None);
        assert!(Rules::for_version("1.3").version_required());
        assert!(!Rules::for_version("1.4").version_required());
        assert!(!Rules::for_version("1.4").type_known("platform"));
        assert!(Rules::for_version("1.5").type_known("platform"));
        assert!(!Rules::for_version("1.5").type_known("cryptographic-asset"));
        assert!(Rules::for_version("9.9").type_known("cryptographic-asset"));
        assert!(!Rules::for_version("1.6").type_known("foo"));
    }

    #[test]
    fn serial_numbers() {
        assert!(serial_number_ok(
            "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"
        ));
        assert!(!serial_number_ok("urn:uuid:3e671687-395b-41f5-a30f"));
        assert!(!serial_number_ok(
            "urn:uuid:3E671687-395B-41F5-A30F-A58921A69B79"
        ));
        assert!(xml_serial_number_ok(
            "{3e671687-395b-41f5-a30f-a58921a69b79}"
        ));
    }
}
