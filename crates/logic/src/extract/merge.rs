//! One condition per fact, then the tree.
//!
//! - Access cues from the description ("remote attackers") and the vector
//!   (AV:N) become one network, one privileges and one user-interaction
//!   condition, whose evidence lists every source.
//! - A structured platform (AND configuration, CVE 5 platforms) whose words
//!   the description already names ("on the Marvell … chipset", "when a
//!   QLOGIC Ethernet interface is used") adds its evidence to that
//!   condition instead of repeating it.
//! - The tree is `all` over: the version fact, a structured platform, the
//!   description's items (alternatives as `any` groups), then access.

use super::phrase;
use super::{Access, Cue, Fact, Facts, Item, StructuredPlatform};
use crate::conditions::{
    Condition, ConditionKind, ConditionSource, Conditions, Group, GroupOp, Node,
};

pub(crate) fn build(id: &str, facts: Facts) -> Conditions {
    let Facts {
        items,
        cues,
        platforms,
        version,
    } = facts;
    let mut items = group_platforms(items);
    let leftover = fold_platforms(&mut items, platforms);
    let has_stated_condition = items.iter().any(|i| match i {
        Item::One(f) => is_deployment_fact(f),
        Item::Any(fs) => fs.iter().any(is_deployment_fact),
    });

    let mut ordered: Vec<Item> = Vec::new();
    ordered.extend(version.map(Item::One));
    ordered.extend(platform_fact(&leftover).map(Item::One));
    ordered.extend(items);
    ordered.extend(
        access_facts(&cues, has_stated_condition)
            .into_iter()
            .map(Item::One),
    );
    if ordered.is_empty() {
        ordered.push(Item::One(nothing_stated()));
    }

    let mut next = 0;
    let children = ordered
        .into_iter()
        .map(|item| match item {
            Item::One(f) => Node::Condition(condition(f, &mut next)),
            Item::Any(fs) => Node::Group(Group {
                op: GroupOp::Any,
                children: fs
                    .into_iter()
                    .map(|f| Node::Condition(condition(f, &mut next)))
                    .collect(),
            }),
        })
        .collect();
    Conditions::new(
        id,
        Node::Group(Group {
            op: GroupOp::All,
            children,
        }),
    )
}

fn condition(f: Fact, next: &mut usize) -> Condition {
    *next += 1;
    Condition {
        id: format!("c{next}"),
        kind: f.kind,
        class: f.class,
        text: f.text,
        question: f.question,
        question_ja: Some(f.question_ja),
        source: f.source,
        evidence: Some(f.evidence),
    }
}

fn is_deployment_fact(f: &Fact) -> bool {
    matches!(
        f.kind,
        ConditionKind::Configuration | ConditionKind::FunctionUse | ConditionKind::Platform
    )
}

/// Several "on X" platforms in one description ("before 18.0 on Windows and
/// OS X and before 11.2 on Linux") are alternatives: the product runs on one
/// of them. They become one `any` group where the first one stood.
fn group_platforms(items: Vec<Item>) -> Vec<Item> {
    let is_platform = |i: &Item| matches!(i, Item::One(f) if f.kind == ConditionKind::Platform);
    if items.iter().filter(|i| is_platform(i)).count() < 2 {
        return items;
    }
    let mut out = Vec::with_capacity(items.len());
    let mut group_at = None;
    let mut group = Vec::new();
    for item in items {
        match item {
            Item::One(f) if f.kind == ConditionKind::Platform => {
                group_at.get_or_insert(out.len());
                group.push(f);
            }
            other => out.push(other),
        }
    }
    out.insert(group_at.unwrap_or(0), Item::Any(group));
    out
}

/// Folds each structured platform into a description fact that names it
/// (or, failing that, into the description's own platform statement: both
/// say what the product runs on); returns the ones left over.
fn fold_platforms(
    items: &mut [Item],
    platforms: Vec<StructuredPlatform>,
) -> Vec<StructuredPlatform> {
    let mut leftover = Vec::new();
    for p in platforms {
        let named = items.iter_mut().find_map(|item| match item {
            Item::One(f) => names_platform(f, &p).then_some(f),
            Item::Any(fs) => fs.iter_mut().find(|f| names_platform(f, &p)),
        });
        let named = match named {
            Some(f) => Some(f),
            None => items.iter_mut().find_map(|item| match item {
                Item::One(f) if f.kind == ConditionKind::Platform => Some(f),
                Item::Any(fs) => fs.iter_mut().find(|f| f.kind == ConditionKind::Platform),
                _ => None,
            }),
        };
        match named {
            Some(f) => {
                f.evidence.push_str("; ");
                f.evidence.push_str(&p.evidence);
            }
            None => leftover.push(p),
        }
    }
    leftover
}

fn names_platform(f: &Fact, p: &StructuredPlatform) -> bool {
    if !is_deployment_fact(f) {
        return false;
    }
    let lc = f.text.to_ascii_lowercase();
    p.tokens.iter().any(|t| super::text::has_word(&lc, t))
}

/// One platform condition for the structured platforms the description
/// does not name: the software must run on one of them.
fn platform_fact(platforms: &[StructuredPlatform]) -> Option<Fact> {
    let first = platforms.first()?;
    let names: Vec<&str> = platforms.iter().map(|p| p.name.as_str()).collect();
    let listed = if names.len() == 1 {
        names[0].to_string()
    } else if names.len() <= 4 {
        format!("one of: {}", names.join(", "))
    } else {
        format!(
            "one of {} platforms, e.g. {}",
            names.len(),
            names[..3].join(", ")
        )
    };
    let mut evidence = first.evidence.clone();
    if platforms.len() > 1 {
        evidence.push_str(&format!(" (and {} more)", platforms.len() - 1));
    }
    Some(phrase::platform(&listed, first.source, &evidence))
}

/// Network, privileges, user interaction and attack requirements, one
/// condition each.
fn access_facts(cues: &[Cue], has_stated_condition: bool) -> Vec<Fact> {
    let from_vector = |a: Access| {
        cues.iter()
            .any(|c| c.access == a && c.source == ConditionSource::Cvss)
    };
    let vector_says_local = from_vector(Access::Local) || from_vector(Access::Physical);
    let has = |a: Access| cues.iter().any(|c| c.access == a);
    let mut out = Vec::new();

    // A vector that says local access overrides the description's "remote
    // attackers" (a file a remote attacker sends is opened locally).
    let network: Vec<Access> = [Access::Remote, Access::Adjacent, Access::OnPath]
        .into_iter()
        .filter(|a| {
            if vector_says_local {
                from_vector(*a)
            } else {
                has(*a)
            }
        })
        .collect();
    if !network.is_empty() {
        out.push(network_fact(&network, cues));
    }
    let privileges: Vec<Access> = [
        Access::Local,
        Access::Physical,
        Access::Authenticated,
        Access::Admin,
    ]
    .into_iter()
    .filter(|a| has(*a))
    .collect();
    if !privileges.is_empty() {
        out.push(privileges_fact(&privileges, cues));
    }
    if has(Access::UserInteraction) {
        out.push(Fact {
            class: None,
            kind: ConditionKind::UserInteraction,
            text: "A user must take part: open a crafted file, click a link or visit a page (user interaction)".into(),
            question: "Could a user of the product be led to interact with attacker content (open a file, click a link, visit a page)?".into(),
            question_ja: "利用者が攻撃者の用意したコンテンツを操作する（ファイルを開く、リンクをクリックする、ページを閲覧する）可能性はありますか？".into(),
            source: source_of(cues, &[Access::UserInteraction]),
            evidence: evidence_of(cues, &[Access::UserInteraction]),
        });
    }
    // AT:P says "deployment conditions must hold"; a description that names
    // them has already said which, so the vector adds nothing then.
    if has(Access::AttackRequirements) && !has_stated_condition {
        out.push(Fact {
            class: None,
            kind: ConditionKind::Other,
            text: "Deployment conditions outside the attacker's control hold (CVSS attack requirements present)".into(),
            question: "Does the deployment meet the special conditions the vulnerability needs (CVSS AT:P)?".into(),
            question_ja: "脆弱性の成立に必要な特別な展開条件（CVSS AT:P）を満たしていますか？".into(),
            source: ConditionSource::Cvss,
            evidence: evidence_of(cues, &[Access::AttackRequirements]),
        });
    }
    out
}

fn network_fact(levels: &[Access], cues: &[Cue]) -> Fact {
    let (text, question, question_ja) = if levels.contains(&Access::OnPath) {
        (
            "The attacker can see or alter the product's network traffic (on-path, man-in-the-middle or sniffing the network)",
            "Can an attacker observe or alter the product's network traffic (on-path / man-in-the-middle)?",
            "攻撃者は製品のネットワーク通信を盗聴・改ざんできる位置（中間者）にいられますか？",
        )
    } else if levels.contains(&Access::Remote) {
        (
            "The vulnerable component is reachable by a remote attacker over the network",
            "Is the vulnerable component reachable from the network by a remote attacker?",
            "脆弱なコンポーネントはネットワーク経由でリモートの攻撃者から到達可能ですか？",
        )
    } else {
        (
            "The attacker is on an adjacent network (same LAN segment, Wi-Fi or Bluetooth range)",
            "Can an attacker get onto a network adjacent to the product (same LAN segment, Wi-Fi or Bluetooth range)?",
            "攻撃者は製品と同じ隣接ネットワーク（同一LANセグメント、Wi-Fi、Bluetoothの範囲）に入れますか？",
        )
    };
    Fact {
        class: None,
        kind: ConditionKind::Network,
        text: text.into(),
        question: question.into(),
        question_ja: question_ja.into(),
        source: source_of(cues, levels),
        evidence: evidence_of(cues, levels),
    }
}

fn privileges_fact(levels: &[Access], cues: &[Cue]) -> Fact {
    let local = levels.contains(&Access::Local);
    let physical = levels.contains(&Access::Physical);
    let admin = levels.contains(&Access::Admin);
    let auth = levels.contains(&Access::Authenticated);
    let (text, question, question_ja) = if physical {
        (
            "The attacker has physical access to the device (local)",
            "Can an attacker get physical access to the device?",
            "攻撃者はデバイスに物理的にアクセスできますか？",
        )
    } else if local && admin {
        (
            "The attacker is a local user with administrator (high) privileges",
            "Can an attacker log in locally with administrator privileges?",
            "攻撃者はローカルで管理者権限を持ってログインできますか？",
        )
    } else if local && auth {
        (
            "The attacker is a local user logged in with an account (low privileges)",
            "Can an attacker log in locally with an account on the system?",
            "攻撃者はシステムにローカルアカウントでログインできますか？",
        )
    } else if local {
        (
            "The attacker has local access: a local user account or code running on the system",
            "Can an attacker run code or log in locally on the system?",
            "攻撃者はシステム上でローカルにコードを実行したりログインしたりできますか？",
        )
    } else if admin {
        (
            "The attacker is authenticated with administrator (high) privileges",
            "Can an attacker authenticate to the product with administrator privileges?",
            "攻撃者は管理者権限で製品に認証できますか？",
        )
    } else {
        (
            "The attacker is authenticated: has a valid account or credentials (low privileges)",
            "Can an attacker authenticate to the product (hold a valid account or credentials)?",
            "攻撃者は製品に認証できますか（有効なアカウントや認証情報を持っていますか）？",
        )
    };
    Fact {
        class: None,
        kind: ConditionKind::Privileges,
        text: text.into(),
        question: question.into(),
        question_ja: question_ja.into(),
        source: source_of(cues, levels),
        evidence: evidence_of(cues, levels),
    }
}

/// The vector when it took part, else the description.
fn source_of(cues: &[Cue], levels: &[Access]) -> ConditionSource {
    if cues
        .iter()
        .any(|c| levels.contains(&c.access) && c.source == ConditionSource::Cvss)
    {
        ConditionSource::Cvss
    } else {
        ConditionSource::Description
    }
}

fn evidence_of(cues: &[Cue], levels: &[Access]) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in cues.iter().filter(|c| levels.contains(&c.access)) {
        if !parts.iter().any(|p| p.contains(c.evidence.as_str())) {
            parts.push(&c.evidence);
        }
    }
    parts.join("; ")
}

/// The one condition of a record that states nothing checkable.
fn nothing_stated() -> Fact {
    Fact {
        class: None,
        kind: ConditionKind::Other,
        text: "No trigger condition is stated; the vulnerable component is assumed reachable when present".into(),
        question: "Is the vulnerable component present and in use in the product?".into(),
        question_ja: "脆弱なコンポーネントは製品に含まれ、使われていますか？".into(),
        source: ConditionSource::Description,
        evidence: "the record states no condition, CVSS vector or affected platform".into(),
    }
}
