use super::compile::compile;
use super::model::Schema;
use super::validate::validate;
use super::*;

/// A small schema with one of each construct the validator checks.
const XSD: &str = r###"<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:t"
           targetNamespace="urn:t" elementFormDefault="qualified">
  <xs:simpleType name="kind">
    <xs:restriction base="xs:string">
      <xs:enumeration value="library"/>
      <xs:enumeration value="firmware"/>
    </xs:restriction>
  </xs:simpleType>
  <xs:simpleType name="sha1">
    <xs:restriction base="xs:token">
      <xs:pattern value="[a-f0-9]{40}"/>
    </xs:restriction>
  </xs:simpleType>
  <xs:complexType name="item">
    <xs:sequence>
      <xs:element name="name" type="xs:normalizedString"/>
      <xs:element name="hash" type="t:sha1" minOccurs="0" maxOccurs="unbounded"/>
      <xs:choice minOccurs="0">
        <xs:element name="when" type="xs:dateTime"/>
        <xs:element name="count" type="xs:integer"/>
      </xs:choice>
      <xs:any namespace="##other" processContents="lax" minOccurs="0" maxOccurs="unbounded"/>
    </xs:sequence>
    <xs:attribute name="kind" type="t:kind" use="required"/>
    <xs:attribute name="id" type="xs:string"/>
  </xs:complexType>
  <xs:element name="list">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="item" type="t:item" maxOccurs="unbounded"/>
      </xs:sequence>
    </xs:complexType>
    <xs:unique name="ids">
      <xs:selector xpath=".//*"/>
      <xs:field xpath="@id"/>
    </xs:unique>
  </xs:element>
</xs:schema>"###;

fn schema() -> Schema {
    compile(&[("t.xsd", XSD)]).unwrap()
}

/// The messages for `items` (the inside of `<list>`), with their places.
fn errors(items: &str) -> Vec<String> {
    let text = format!("<list xmlns=\"urn:t\" xmlns:x=\"urn:x\">\n{items}\n</list>");
    let doc = Doc::parse(&text, 32).unwrap();
    validate(&schema(), &doc, 10)
        .into_iter()
        .map(|v| format!("{}: {}", v.at, v.message))
        .collect()
}

const SHA1: &str = "0123456789abcdef0123456789abcdef01234567";

#[test]
fn a_valid_document_passes() {
    let ok = format!(
        "<item kind=\"library\" id=\"a\"><name>n</name><hash>{SHA1}</hash><hash> {SHA1} </hash>\
         <count>3</count><x:ext><anything/></x:ext></item>\n\
         <item kind=\"firmware\" id=\"b\"><name>m</name><when>2024-01-02T03:04:05Z</when></item>"
    );
    assert_eq!(errors(&ok), Vec::<String>::new());
}

#[test]
fn a_value_outside_the_enumeration_is_refused() {
    let e = errors("<item kind=\"app\"><name>n</name></item>");
    assert_eq!(
        e,
        ["/list/item (line 2, column 1): attribute `kind`: `app` is not one of: library, firmware"]
    );
}

#[test]
fn a_missing_required_element_or_attribute_is_refused() {
    let e = errors("<item kind=\"library\"><hash>{SHA1}</hash></item>");
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(
        e[0].contains("unexpected element `hash` in `item`; expected `name`"),
        "{e:?}"
    );
    let e = errors("<item><name>n</name></item>");
    assert_eq!(
        e,
        ["/list/item (line 2, column 1): missing required attribute `kind` on `item`"]
    );
    let e = errors("");
    assert_eq!(
        e,
        ["/list (line 1, column 1): `list` is incomplete: missing `item`"]
    );
}

#[test]
fn an_unexpected_element_is_refused() {
    // Out of order, twice from a choice, and unknown in the target namespace.
    for (items, name) in [
        (
            "<item kind=\"library\"><count>1</count><name>n</name></item>",
            "count",
        ),
        (
            "<item kind=\"library\"><name>n</name><count>1</count><when>2024-01-02T03:04:05Z</when></item>",
            "when",
        ),
        (
            "<item kind=\"library\"><name>n</name><colour/></item>",
            "colour",
        ),
    ] {
        let e = errors(items);
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].contains(&format!("unexpected element `{name}`")),
            "{e:?}"
        );
    }
    let e = errors("<item kind=\"library\" size=\"1\"><name>n</name></item>");
    assert_eq!(
        e,
        ["/list/item (line 2, column 1): attribute `size` is not allowed on `item`"]
    );
}

#[test]
fn a_value_not_matching_a_pattern_is_refused() {
    let e = errors(
        "<item kind=\"library\"><name>n</name><hash>abc</hash><hash>0123456789ABCDEF0123456789abcdef01234567</hash></item>",
    );
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(
        e[0].starts_with("/list/item/hash[1] (line 2, column 36): `abc` does not match the pattern `[a-f0-9]{40}`"),
        "{e:?}"
    );
    assert!(e[1].starts_with("/list/item/hash[2]"), "{e:?}");
}

#[test]
fn built_in_types_and_unique_attributes() {
    let e = errors(
        "<item kind=\"library\" id=\"a\"><name>n</name><when>2024-01-02</when></item>\n\
         <item kind=\"library\" id=\"a\"><name>n</name><count>x</count></item>",
    );
    assert_eq!(e.len(), 3, "{e:?}");
    assert!(
        e[0].ends_with("`2024-01-02` is not a valid xs:dateTime"),
        "{e:?}"
    );
    assert!(e[2].ends_with("`x` is not a valid xs:integer"), "{e:?}");
    assert!(
        e[1].starts_with(
            "/list/item[2] (line 3, column 1): `id` `a` is not unique (also on line 2)"
        ),
        "{e:?}"
    );
}

#[test]
fn unsupported_constructs_fail_to_compile() {
    for (construct, said) in [
        (
            "<xs:group name=\"g\"><xs:sequence/></xs:group>",
            "top-level `xs:group`",
        ),
        (
            "<xs:complexType name=\"c\"><xs:all><xs:element name=\"a\"/></xs:all></xs:complexType>",
            "`xs:all` in a complex type",
        ),
        (
            "<xs:simpleType name=\"s\"><xs:restriction base=\"xs:string\"><xs:totalDigits value=\"2\"/></xs:restriction></xs:simpleType>",
            "facet `xs:totalDigits`",
        ),
    ] {
        let xsd = format!(
            "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" targetNamespace=\"urn:t\" elementFormDefault=\"qualified\">{construct}\
             <xs:element name=\"e\" type=\"xs:string\"/></xs:schema>"
        );
        let e = compile(&[("u.xsd", &xsd)]).err().unwrap_or_default();
        assert!(e.contains(said) && e.contains("not supported"), "{e}");
    }
}

#[test]
fn every_shipped_schema_compiles() {
    for (slot, (version, ..)) in VERSIONS.iter().enumerate() {
        if let Err(e) = super::schema(slot) {
            panic!("{version}: {e}");
        }
    }
}

/// The validator alone, without Kensa's own checks: each version's XSD
/// accepts every valid XML test BOM of the CycloneDX specification and
/// refuses every invalid one (from ../shared; skipped when absent).
#[test]
fn the_xsds_alone_sort_the_specifications_test_boms() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/vuln/cyclonedx-specification/tools/src/test/resources");
    if !dir.is_dir() {
        eprintln!("skipped: no CycloneDX test BOMs at {}", dir.display());
        return;
    }
    let mut wrong = Vec::new();
    let mut checked = 0;
    for (version, ..) in VERSIONS {
        for entry in std::fs::read_dir(dir.join(version)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let valid = name.starts_with("valid-");
            if !name.ends_with(".xml") || !(valid || name.starts_with("invalid-")) {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let doc = Doc::parse(&text, 64).unwrap();
            match (valid, validate_cyclonedx(&doc, version)) {
                (true, Err(e)) => wrong.push(format!("{version}/{name} refused: {e}")),
                (false, Ok(())) => wrong.push(format!("{version}/{name} accepted")),
                _ => {}
            }
            checked += 1;
        }
    }
    assert!(checked > 300, "only {checked} test BOMs");
    assert_eq!(wrong, Vec::<String>::new());
}
