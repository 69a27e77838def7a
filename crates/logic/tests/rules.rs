//! The clause rules of the rules extractor, one behaviour per test, on
//! records built in place (descriptions in NVD house style).

use kensa_logic::extract::{rules, rules_explained};
use kensa_logic::{Condition, ConditionKind, ConditionSource, Conditions, GroupOp, Node};
use kensa_model::{
    Configuration, CpeMatch, CvssMetric, LangText, Operator, Source, SourceKind, VulnRecord,
};

fn record(description: &str, vector: Option<&str>) -> VulnRecord {
    let mut r = VulnRecord::new(
        "CVE-2099-0001",
        Source::new(SourceKind::Nvd, "nvd@nist.gov"),
    );
    r.descriptions.push(LangText {
        lang: "en".into(),
        value: description.into(),
    });
    if let Some(v) = vector {
        r.cvss.push(CvssMetric {
            source: "nvd@nist.gov".into(),
            version: if v.starts_with("CVSS:3.1") {
                "3.1"
            } else {
                "2.0"
            }
            .into(),
            vector: v.into(),
            base_score: None,
            base_severity: None,
            kind: Some("Primary".into()),
        });
    }
    r
}

fn of_kind(doc: &Conditions, kind: ConditionKind) -> Vec<&Condition> {
    doc.conditions()
        .into_iter()
        .filter(|c| c.kind == kind)
        .collect()
}

fn top_children(doc: &Conditions) -> &[Node] {
    match &doc.logic {
        Node::Group(g) if g.op == GroupOp::All => &g.children,
        other => panic!("top node is not an all group: {other:?}"),
    }
}

#[test]
fn listed_alternatives_become_an_any_group() {
    let doc = rules(&[record(
        "The XML parser in Example ASA 9.1, when Clientless SSL VPN, AnyConnect SSL VPN, or AnyConnect IKEv2 VPN is used, allows remote attackers to cause a denial of service via a crafted XML document.",
        None,
    )]);
    let any: Vec<_> = top_children(&doc)
        .iter()
        .filter_map(|n| match n {
            Node::Group(g) if g.op == GroupOp::Any => Some(g),
            _ => None,
        })
        .collect();
    assert_eq!(any.len(), 1, "{doc:#?}");
    let texts: Vec<&str> = any[0]
        .children
        .iter()
        .map(|n| match n {
            Node::Condition(c) => c.text.as_str(),
            Node::Group(_) => panic!("nested group"),
        })
        .collect();
    assert_eq!(
        texts,
        [
            "Clientless SSL VPN is used",
            "AnyConnect SSL VPN is used",
            "AnyConnect IKEv2 VPN is used"
        ]
    );
}

#[test]
fn numbered_inputs_are_alternatives() {
    let doc = rules(&[record(
        "SQL injection vulnerability in index.php in Example CMS 1.0 allows remote attackers to execute arbitrary SQL commands via the (1) id or (2) page parameter.",
        None,
    )]);
    let inputs = of_kind(&doc, ConditionKind::Input);
    assert_eq!(inputs.len(), 2, "{doc:#?}");
    assert!(inputs[0].text.contains("the id"), "{}", inputs[0].text);
    assert!(
        inputs[1].text.contains("the page parameter"),
        "{}",
        inputs[1].text
    );
    assert!(
        top_children(&doc)
            .iter()
            .any(|n| matches!(n, Node::Group(g) if g.op == GroupOp::Any && g.children.len() == 2))
    );
}

#[test]
fn even_when_is_not_a_condition() {
    let doc = rules(&[record(
        "Example Server 2.0 allows remote attackers to read arbitrary files via a crafted path, even when the safe_mode option is enabled.",
        None,
    )]);
    assert!(
        !doc.conditions()
            .iter()
            .any(|c| c.text.contains("safe_mode")),
        "{doc:#?}"
    );
    // The real conditions are still there.
    assert_eq!(of_kind(&doc, ConditionKind::Input).len(), 1);
    assert_eq!(of_kind(&doc, ConditionKind::Network).len(), 1);
}

#[test]
fn when_and_with_clauses_are_configuration() {
    let doc = rules(&[record(
        "SQL injection vulnerability in index.php in Example CMS 3.0, when register_globals is enabled and magic_quotes_gpc is disabled, allows remote attackers to execute arbitrary SQL commands via the page parameter.",
        None,
    )]);
    let config: Vec<&str> = of_kind(&doc, ConditionKind::Configuration)
        .iter()
        .map(|c| c.text.as_str())
        .collect();
    assert_eq!(
        config,
        [
            "register_globals is enabled",
            "magic_quotes_gpc is disabled"
        ]
    );

    let doc = rules(&[record(
        "Example FTP Server 1.11, with \"Sub Directory Include\" enabled, allows remote attackers to cause a denial of service by sending multiple RETR commands.",
        None,
    )]);
    let config = of_kind(&doc, ConditionKind::Configuration);
    assert_eq!(config.len(), 1, "{doc:#?}");
    assert_eq!(config[0].text, "\"Sub Directory Include\" is enabled");
    assert_eq!(config[0].question, "Is \"Sub Directory Include\" enabled?");
    assert!(of_kind(&doc, ConditionKind::Input)[0].text.contains("RETR"));
}

#[test]
fn remote_attackers_and_av_n_are_one_network_condition() {
    let doc = rules(&[record(
        "Buffer overflow in Example Daemon 1.0 allows remote attackers to execute arbitrary code via a long request.",
        Some("AV:N/AC:L/Au:N/C:P/I:P/A:P"),
    )]);
    let network = of_kind(&doc, ConditionKind::Network);
    assert_eq!(network.len(), 1, "{doc:#?}");
    assert_eq!(network[0].source, ConditionSource::Cvss);
    let evidence = network[0].evidence.as_deref().unwrap_or_default();
    assert!(
        evidence.contains("remote attackers") && evidence.contains("AV:N"),
        "{evidence}"
    );
    assert!(of_kind(&doc, ConditionKind::Privileges).is_empty());
}

#[test]
fn vector_gives_privileges_and_user_interaction_once() {
    let doc = rules(&[record(
        "Example Viewer 2.0 allows user-assisted remote authenticated users to execute arbitrary code via a crafted file.",
        Some("CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:U/C:H/I:H/A:H"),
    )]);
    assert_eq!(
        of_kind(&doc, ConditionKind::Privileges).len(),
        1,
        "{doc:#?}"
    );
    assert_eq!(
        of_kind(&doc, ConditionKind::UserInteraction).len(),
        1,
        "{doc:#?}"
    );
    assert!(
        of_kind(&doc, ConditionKind::Privileges)[0]
            .text
            .contains("authenticated")
    );
}

fn cpe(criteria: &str, vulnerable: bool) -> CpeMatch {
    CpeMatch {
        vulnerable,
        criteria: criteria.into(),
        ..Default::default()
    }
}

fn and_configuration(app: &str, platform: &str) -> Configuration {
    Configuration {
        operator: Some(Operator::And),
        negate: false,
        nodes: vec![
            kensa_model::cpe::Node {
                cpe_match: vec![cpe(app, true)],
                ..Default::default()
            },
            kensa_model::cpe::Node {
                cpe_match: vec![cpe(platform, false)],
                ..Default::default()
            },
        ],
    }
}

#[test]
fn and_configuration_names_the_platform() {
    let mut r = record(
        "Example Agent 3.0 allows local users to gain privileges via a crafted file.",
        Some("AV:L/AC:L/Au:N/C:C/I:C/A:C"),
    );
    r.configurations.push(and_configuration(
        "cpe:2.3:a:example:agent:3.0:*:*:*:*:*:*:*",
        "cpe:2.3:o:microsoft:windows_xp:-:sp2:*:*:*:*:*:*",
    ));
    let doc = rules(&[r]);
    let platforms = of_kind(&doc, ConditionKind::Platform);
    assert_eq!(platforms.len(), 1, "{doc:#?}");
    assert!(
        platforms[0].text.contains("microsoft windows xp sp2"),
        "{}",
        platforms[0].text
    );
    assert_eq!(platforms[0].source, ConditionSource::Cpe);
    // One version condition at most, from the vulnerable criterion.
    assert_eq!(of_kind(&doc, ConditionKind::Version).len(), 1);
}

#[test]
fn firmware_on_its_own_hardware_is_no_platform_condition() {
    let mut r = record(
        "Example PLC firmware 2.0 allows remote attackers to cause a denial of service via crafted packets.",
        None,
    );
    r.configurations.push(and_configuration(
        "cpe:2.3:o:example:plc_firmware:2.0:*:*:*:*:*:*:*",
        "cpe:2.3:h:example:plc:-:*:*:*:*:*:*:*",
    ));
    let doc = rules(&[r]);
    assert!(
        of_kind(&doc, ConditionKind::Platform).is_empty(),
        "{doc:#?}"
    );
}

#[test]
fn platform_named_in_prose_and_configuration_is_one_condition() {
    let mut r = record(
        "The Example driver 1.2 on the Marvell 88W8361P chipset, when WEP mode is enabled, allows remote attackers to cause a denial of service via a malformed association request.",
        None,
    );
    r.configurations.push(and_configuration(
        "cpe:2.3:o:example:driver:1.2:*:*:*:*:*:*:*",
        "cpe:2.3:h:marvell:88w8361p:*:*:*:*:*:*:*:*",
    ));
    let doc = rules(&[r]);
    let platforms = of_kind(&doc, ConditionKind::Platform);
    assert_eq!(platforms.len(), 1, "{doc:#?}");
    assert_eq!(
        platforms[0].text,
        "The product runs on the Marvell 88W8361P chipset"
    );
    assert!(
        platforms[0]
            .evidence
            .as_deref()
            .unwrap()
            .contains("cpe:2.3:h:marvell")
    );
}

#[test]
fn os_list_is_one_platform_condition() {
    let doc = rules(&[record(
        "Example DB 9.7 on Linux, UNIX, and Windows, when immediate AUTO_REVAL is enabled, allows remote authenticated users to cause a denial of service via a crafted ALTER TABLE statement.",
        None,
    )]);
    let platforms = of_kind(&doc, ConditionKind::Platform);
    assert_eq!(platforms.len(), 1, "{doc:#?}");
    assert_eq!(
        platforms[0].text,
        "The product runs on Linux, UNIX, or Windows"
    );
}

#[test]
fn unknown_vectors_state_no_input() {
    let doc = rules(&[record(
        "Unspecified vulnerability in Example Suite 1.0 allows remote attackers to affect availability via unknown vectors.",
        None,
    )]);
    assert!(of_kind(&doc, ConditionKind::Input).is_empty(), "{doc:#?}");
}

#[test]
fn no_english_description_falls_back_to_structured_data() {
    let mut r = record("x", Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"));
    r.descriptions[0].lang = "ja".into();
    r.descriptions[0].value = "細工されたパケットにより".into();
    let x = rules_explained(&[r]);
    assert!(x.notes.iter().any(|n| n.contains("no English description")));
    let kinds: Vec<ConditionKind> = x.conditions.conditions().iter().map(|c| c.kind).collect();
    assert_eq!(kinds, [ConditionKind::Network]);

    let empty = VulnRecord::new("CVE-2099-0002", Source::new(SourceKind::Nvd, "nvd"));
    let doc = rules(&[empty]);
    let only = doc.conditions();
    assert_eq!(only.len(), 1);
    assert_eq!(only[0].kind, ConditionKind::Other);
    assert!(doc.problems().is_empty(), "{:?}", doc.problems());
    assert!(
        rules(&[])
            .problems()
            .iter()
            .any(|p| p.contains("vulnerability is empty"))
    );
}

#[test]
fn deterministic() {
    let r = record(
        "Example 1.0, when the \"username map script\" option is enabled in smb.conf, allows remote attackers to execute arbitrary commands via shell metacharacters in a username.",
        Some("AV:N/AC:M/Au:N/C:C/I:C/A:C"),
    );
    let a = serde_json::to_string(&rules(std::slice::from_ref(&r))).unwrap();
    let b = serde_json::to_string(&rules(&[r])).unwrap();
    assert_eq!(a, b);
    assert!(
        a.contains(r#"The \"username map script\" option is enabled in smb.conf"#),
        "{a}"
    );
}

#[test]
fn shared_head_noun_and_gerund_subjects() {
    let doc = rules(&[record(
        "Example RT 3.6, when the VERPPrefix and VERPDomain options are enabled, allows remote attackers to execute arbitrary code via unspecified vectors.",
        None,
    )]);
    let config: Vec<&str> = of_kind(&doc, ConditionKind::Configuration)
        .iter()
        .map(|c| c.text.as_str())
        .collect();
    assert_eq!(
        config,
        [
            "The VERPPrefix option is enabled",
            "VERPDomain option is enabled"
        ]
    );

    // "salting … is disabled" is a subject; "when processing a header" is
    // the vulnerable operation, not a condition.
    let doc = rules(&[record(
        "The Authentication component in Example CMS 6.1, when salting for password hashing is disabled, does not require the password when processing a login header, which allows remote attackers to bypass authentication.",
        None,
    )]);
    let config: Vec<&str> = of_kind(&doc, ConditionKind::Configuration)
        .iter()
        .map(|c| c.text.as_str())
        .collect();
    assert_eq!(
        config,
        ["salting for password hashing is disabled"],
        "{doc:#?}"
    );
}

#[test]
fn support_options_and_hosts_running_a_platform() {
    let doc = rules(&[record(
        "Example Daemon 2.1, with IPv6 support, allows remote attackers to cause a denial of service via a crafted packet.",
        None,
    )]);
    let config = of_kind(&doc, ConditionKind::Configuration);
    assert_eq!(config.len(), 1, "{doc:#?}");
    assert_eq!(config[0].text, "IPv6 support is enabled");

    let doc = rules(&[record(
        "Example Agent 4.0 on systems running Windows Server 2008 allows local users to gain privileges via a crafted DLL.",
        None,
    )]);
    let platforms = of_kind(&doc, ConditionKind::Platform);
    assert_eq!(platforms.len(), 1, "{doc:#?}");
    assert_eq!(platforms[0].text, "The product runs on Windows Server 2008");
}
