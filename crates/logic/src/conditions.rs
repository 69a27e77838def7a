//! The `kensa.conditions/v1` document: a tree of groups and conditions.

use serde::{Deserialize, Serialize};

/// The schema identifier every document carries.
pub const SCHEMA_ID: &str = "kensa.conditions/v1";

/// The trigger conditions of one vulnerability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conditions {
    pub schema: String,
    pub vulnerability: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extractor: Option<String>,
    pub logic: Node,
}

impl Conditions {
    pub fn new(vulnerability: impl Into<String>, logic: Node) -> Self {
        Conditions {
            schema: SCHEMA_ID.to_string(),
            vulnerability: vulnerability.into(),
            component: None,
            extractor: None,
            logic,
        }
    }

    /// Every condition of the tree, depth first.
    pub fn conditions(&self) -> Vec<&Condition> {
        let mut out = Vec::new();
        self.logic.collect(&mut out);
        out
    }

    /// What makes this document break the `kensa.conditions/v1` contract
    /// beyond what the types already enforce: empty groups, empty required
    /// strings, `text` over [`MAX_TEXT_CHARS`] characters, duplicate ids.
    /// Empty when the document conforms.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.schema != SCHEMA_ID {
            out.push(format!(
                "schema is `{}`, expected `{SCHEMA_ID}`",
                self.schema
            ));
        }
        if self.vulnerability.trim().is_empty() {
            out.push("vulnerability is empty".to_string());
        }
        self.logic.check("logic", &mut out);
        let mut ids: Vec<&str> = self.conditions().iter().map(|c| c.id.as_str()).collect();
        ids.sort_unstable();
        for pair in ids.windows(2) {
            if pair[0] == pair[1] {
                out.push(format!("condition id `{}` is used twice", pair[0]));
            }
        }
        out
    }
}

/// The longest `text` the schema allows, in characters.
pub const MAX_TEXT_CHARS: usize = 160;

/// A node of the tree: a group combining children, or one condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Node {
    Group(Group),
    Condition(Condition),
}

impl Node {
    fn collect<'a>(&'a self, out: &mut Vec<&'a Condition>) {
        match self {
            Node::Group(g) => g.children.iter().for_each(|c| c.collect(out)),
            Node::Condition(c) => out.push(c),
        }
    }

    /// Adds the contract violations under this node to `out`; `at` is the
    /// node's JSON path.
    fn check(&self, at: &str, out: &mut Vec<String>) {
        match self {
            Node::Group(g) => {
                if g.children.is_empty() {
                    out.push(format!("{at}: group has no children"));
                }
                for (i, c) in g.children.iter().enumerate() {
                    c.check(&format!("{at}.children[{i}]"), out);
                }
            }
            Node::Condition(c) => {
                for (field, value) in [("id", &c.id), ("text", &c.text), ("question", &c.question)]
                {
                    if value.trim().is_empty() {
                        out.push(format!("{at}.{field} is empty"));
                    }
                }
                let chars = c.text.chars().count();
                if chars > MAX_TEXT_CHARS {
                    out.push(format!(
                        "{at}.text has {chars} characters (at most {MAX_TEXT_CHARS})"
                    ));
                }
            }
        }
    }
}

/// AND (`all`) or OR (`any`) over the children.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupOp {
    All,
    Any,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub op: GroupOp,
    pub children: Vec<Node>,
}

/// What a condition is about; decides the checklist hint and the VEX
/// justification a "no" answer supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConditionKind {
    Version,
    Platform,
    Configuration,
    FunctionUse,
    Input,
    Network,
    Privileges,
    UserInteraction,
    Other,
}

/// A finer class of condition inside its `kind` (issue #17): what the
/// checklist's hint and the automatic answers look at. Optional, so a
/// `kensa.conditions/v1` reader that does not know it still reads the tree
/// (the schema lets conditions carry further properties).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConditionClass {
    /// A protocol or network service is enabled (web server, Modbus, SNMP).
    ServiceEnabled,
    /// An interface is exposed to the attacker (management interface, UART
    /// console, a TCP port).
    InterfaceExposed,
    /// The user opens or the product loads a file of a given type.
    FileTypeOpened,
    /// A user role or privilege model the attack needs.
    UserRole,
    /// A protocol version or cipher that must be offered (TLS 1.0, RC4).
    ProtocolVersion,
    /// A function or API the product must call (CVE 5 `programRoutines`).
    ApiUsage,
    /// Linux kernel code that must be compiled in (the subsystem and the
    /// files the fix touches, CVE 5 `programFiles`).
    KernelCode,
}

impl ConditionClass {
    pub const ALL: [ConditionClass; 7] = [
        ConditionClass::ServiceEnabled,
        ConditionClass::InterfaceExposed,
        ConditionClass::FileTypeOpened,
        ConditionClass::UserRole,
        ConditionClass::ProtocolVersion,
        ConditionClass::ApiUsage,
        ConditionClass::KernelCode,
    ];

    /// The snake_case name used in JSON.
    pub fn name(self) -> &'static str {
        match self {
            ConditionClass::ServiceEnabled => "service_enabled",
            ConditionClass::InterfaceExposed => "interface_exposed",
            ConditionClass::FileTypeOpened => "file_type_opened",
            ConditionClass::UserRole => "user_role",
            ConditionClass::ProtocolVersion => "protocol_version",
            ConditionClass::ApiUsage => "api_usage",
            ConditionClass::KernelCode => "kernel_code",
        }
    }
}

/// Where the condition was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConditionSource {
    Description,
    Cvss,
    Cpe,
    Affected,
    Advisory,
    Patch,
    Llm,
    Analyst,
}

/// One checkable fact; "yes" to its question means it holds, which moves
/// toward the vulnerability being exploitable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    /// Stable within the document (`c1`, `c2`, ...).
    pub id: String,
    pub kind: ConditionKind,
    /// The finer class, when a rule knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<ConditionClass>,
    /// Short statement, at most 160 characters.
    pub text: String,
    pub question: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question_ja: Option<String>,
    pub source: ConditionSource,
    /// The words of the source the condition was taken from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}
