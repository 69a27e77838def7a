//! Checklists in English and Japanese, as Markdown, HTML and JSON.

use kensa_logic::Conditions;
use kensa_logic::checklist::{self, Lang};

fn samba() -> Conditions {
    serde_json::from_str(include_str!("fixtures/cve-2007-2447.conditions.json")).unwrap()
}

#[test]
fn english_markdown_follows_the_tree() {
    let md = checklist::markdown(&checklist::build(&samba(), Lang::En));
    assert!(md.contains("## The vulnerability can be triggered only if ALL of the following hold"));
    assert!(md.contains("### 3. At least one of the following holds"));
    // Questions in tree order, numbered by their place in the tree.
    let q1 = md.find("1. Does the product ship Samba").expect("q1");
    let q2 = md
        .find("2. Is the \"username map script\" option set")
        .expect("q2");
    let q31 = md
        .find("3.1. Can an attacker reach smbd on TCP port 445?")
        .expect("q3.1");
    let q32 = md
        .find("3.2. Can an attacker reach smbd on TCP port 139?")
        .expect("q3.2");
    assert!(q1 < q2 && q2 < q31 && q31 < q32);
    // Per-kind hints: the network one names the commands that list ports.
    assert!(md.contains("ss -tlnp"));
    assert!(md.contains("dpkg -l"));
    // The answers skeleton lists every id.
    for id in ["c1", "c2", "c3", "c4"] {
        assert!(
            md.contains(&format!("  {id}:\n    answer: unknown")),
            "{id}"
        );
    }
}

#[test]
fn japanese_is_written_per_kind_keeping_technical_terms() {
    let list = checklist::build(&samba(), Lang::Ja);
    let md = checklist::markdown(&list);
    assert!(
        md.contains("以下のすべてに該当する場合にのみ、この脆弱性が悪用される可能性があります")
    );
    assert!(md.contains("次のいずれかに該当する"));
    // The tree's own Japanese question, technical terms unchanged.
    assert!(md.contains("smb.conf で \"username map script\" オプションが設定されていますか。"));
    // c3 has no Japanese question: the network lead-in, then the condition as written.
    assert!(md.contains("攻撃者は次の経路で製品に到達できますか。"));
    assert!(md.contains("An attacker can reach smbd on TCP port 445"));
    assert!(md.contains("`ss -tlnp`"));
    assert!(md.contains("ネットワーク露出"));
    assert!(md.contains("回答: はい (yes) / いいえ (no) / 不明 (unknown)"));
    assert!(!md.contains("How to check"));
}

#[test]
fn html_escapes_and_json_keeps_structure() {
    let mut tree = samba();
    if let kensa_logic::Node::Group(g) = &mut tree.logic
        && let kensa_logic::Node::Condition(c) = &mut g.children[0]
    {
        c.question = "Is <script>alert(1)</script> & more shipped?".into();
    }
    let list = checklist::build(&tree, Lang::En);
    let html = checklist::html(&list);
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; more"));
    assert!(!html.contains("<script>"));
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    // Commands in hints are code, not stray backticks.
    assert!(html.contains("<code>ss -tlnp</code>"));
    assert!(!html.contains('`'));

    let json = serde_json::to_value(&list).unwrap();
    assert_eq!(json["root"]["op"], "all");
    assert_eq!(json["root"]["entries"][2]["type"], "group");
    assert_eq!(json["root"]["entries"][2]["op"], "any");
    assert_eq!(json["root"]["entries"][2]["entries"][1]["id"], "c4");
    assert_eq!(json["root"]["entries"][2]["entries"][1]["number"], "3.2");
    assert_eq!(json["ids"], serde_json::json!(["c1", "c2", "c3", "c4"]));
}

#[test]
fn an_empty_tree_says_so() {
    let tree: Conditions = serde_json::from_str(
        r#"{"schema": "kensa.conditions/v1", "vulnerability": "CVE-2099-1", "logic": {"op": "all", "children": []}}"#,
    )
    .unwrap();
    let md = checklist::markdown(&checklist::build(&tree, Lang::Ja));
    assert!(md.contains("発生条件はまだ抽出されていない"), "{md}");
    assert!(md.contains("answers: {}"));
}
