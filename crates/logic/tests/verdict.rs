//! Answers evaluated into verdicts with three-valued logic.

use kensa_logic::answers::{self, AnswerValue, AnswersError};
use kensa_logic::verdict::{Status, evaluate};
use kensa_logic::vex::Justification;
use kensa_logic::{Condition, ConditionKind, ConditionSource, Conditions, Group, GroupOp, Node};

fn samba() -> Conditions {
    let text = include_str!("fixtures/cve-2007-2447.conditions.json");
    serde_json::from_str(text).expect("fixture parses")
}

fn verdict(yaml: &str) -> kensa_logic::verdict::Verdict {
    let a = answers::parse(yaml.as_bytes()).expect("answers parse");
    evaluate(&samba(), &a).expect("evaluates")
}

#[test]
fn a_no_in_an_all_group_decides_not_affected() {
    let v = verdict(
        "answers:\n  c1: yes\n  c2:\n    answer: no\n    note: not set in the shipped smb.conf\n    evidence: grep found no match\n",
    );
    assert_eq!(v.status, Status::NotAffected);
    let ids: Vec<&str> = v.deciding.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["c2"]);
    assert_eq!(
        v.deciding[0].evidence.as_deref(),
        Some("grep found no match")
    );
    assert_eq!(v.justification, Some(Justification::RequiresConfiguration));
    assert!(v.basis.contains("c2"), "{}", v.basis);
    assert!(
        v.basis.contains("not set in the shipped smb.conf"),
        "{}",
        v.basis
    );
    assert!(v.basis.starts_with("Not affected"), "{}", v.basis);
    assert_eq!((v.conditions, v.answered), (4, 2));
}

#[test]
fn the_smallest_falsifying_set_is_named() {
    // Both c2 alone and {c3, c4} falsify the root; c2 is smaller.
    let v = verdict("answers:\n  c2: no\n  c3: no\n  c4: no\n");
    assert_eq!(v.status, Status::NotAffected);
    let ids: Vec<&str> = v.deciding.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["c2"]);
    // Only the network: the whole `any` group must be false.
    let v = verdict("answers:\n  c1: yes\n  c2: yes\n  c3: no\n  c4: no\n");
    assert_eq!(v.status, Status::NotAffected);
    let ids: Vec<&str> = v.deciding.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["c3", "c4"]);
    assert_eq!(v.justification, Some(Justification::ProtectedAtPerimeter));
}

#[test]
fn one_true_alternative_is_enough_for_affected() {
    let v = verdict("answers:\n  c1: yes\n  c2: yes\n  c3: unknown\n  c4: yes\n");
    assert_eq!(v.status, Status::Affected);
    let ids: Vec<&str> = v.deciding.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["c1", "c2", "c4"]);
    assert!(v.deciding.iter().all(|d| d.answer == AnswerValue::Yes));
    assert_eq!(v.justification, None);
}

#[test]
fn undecided_trees_list_the_open_questions() {
    let v = verdict("answers:\n  c1: yes\n  c2: unknown\n  c3: no\n");
    assert_eq!(v.status, Status::UnderInvestigation);
    let open: Vec<(&str, &str)> = v.open.iter().map(|o| (o.id.as_str(), o.state)).collect();
    // c1 is settled and c3 is false inside a still-open `any`: neither is asked again.
    assert_eq!(open, [("c2", "unknown"), ("c4", "unanswered")]);
    assert!(v.basis.contains("c4"), "{}", v.basis);
    assert!(v.deciding.is_empty());
    // No answers at all: everything is open.
    let v = verdict("answers: {}\n");
    assert_eq!(v.status, Status::UnderInvestigation);
    assert_eq!(v.open.len(), 4);
}

#[test]
fn unknown_ids_are_refused_with_the_valid_ones() {
    let a = answers::parse(b"answers:\n  c1: yes\n  c7: no\n").unwrap();
    let e = evaluate(&samba(), &a).unwrap_err();
    assert_eq!(
        e,
        AnswersError::UnknownIds {
            ids: vec!["c7".into()],
            valid: vec!["c1".into(), "c2".into(), "c3".into(), "c4".into()],
        }
    );
    let text = e.to_string();
    assert!(
        text.contains("c7") && text.contains("c1, c2, c3, c4"),
        "{text}"
    );
}

#[test]
fn answers_for_another_vulnerability_are_refused() {
    let a = answers::parse(b"vulnerability: CVE-2014-0160\nanswers:\n  c1: no\n").unwrap();
    let e = evaluate(&samba(), &a).unwrap_err().to_string();
    assert!(
        e.contains("CVE-2014-0160") && e.contains("CVE-2007-2447"),
        "{e}"
    );
}

#[test]
fn duplicate_yaml_keys_are_refused() {
    let e = answers::parse(b"answers:\n  c1: yes\n  c1: no\n").unwrap_err();
    assert!(e.to_string().contains("c1"), "{e}");
}

#[test]
fn an_empty_tree_decides_nothing() {
    let tree = Conditions::new(
        "CVE-2099-0001",
        Node::Group(Group {
            op: GroupOp::All,
            children: Vec::new(),
        }),
    );
    let v = evaluate(&tree, &answers::parse(b"answers: {}").unwrap()).unwrap();
    assert_eq!(v.status, Status::UnderInvestigation);
    assert!(v.basis.contains("no conditions"), "{}", v.basis);
    let e = evaluate(&tree, &answers::parse(b"answers: {c1: no}").unwrap()).unwrap_err();
    assert!(
        e.to_string().contains("none: the tree has no conditions"),
        "{e}"
    );
}

fn cond(id: &str, kind: ConditionKind) -> Node {
    Node::Condition(Condition {
        id: id.into(),
        kind,
        class: None,
        text: format!("condition {id}"),
        question: format!("{id}?"),
        question_ja: None,
        source: ConditionSource::Analyst,
        evidence: None,
    })
}

#[test]
fn the_strongest_justification_wins() {
    // any(platform, function_use) false: both are deciding; code_not_reachable
    // (function use) ranks above requires_environment.
    let tree = Conditions::new(
        "CVE-2099-0002",
        Node::Group(Group {
            op: GroupOp::Any,
            children: vec![
                cond("c1", ConditionKind::Platform),
                cond("c2", ConditionKind::FunctionUse),
            ],
        }),
    );
    let v = evaluate(
        &tree,
        &answers::parse(b"answers: {c1: no, c2: no}").unwrap(),
    )
    .unwrap();
    assert_eq!(v.status, Status::NotAffected);
    assert_eq!(v.justification, Some(Justification::CodeNotReachable));
    assert_eq!(
        Justification::CodeNotReachable.cyclonedx(),
        "code_not_reachable"
    );
    assert_eq!(
        Justification::CodeNotReachable.openvex(),
        "vulnerable_code_not_in_execute_path"
    );
    // `other` supports no justification.
    let tree = Conditions::new("CVE-2099-0003", cond("c1", ConditionKind::Other));
    let v = evaluate(&tree, &answers::parse(b"answers: {c1: no}").unwrap()).unwrap();
    assert_eq!(v.status, Status::NotAffected);
    assert_eq!(v.justification, None);
}
