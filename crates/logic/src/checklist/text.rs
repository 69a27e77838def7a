//! The words of a checklist, per language. Japanese is written as a
//! Japanese PSIRT would write it, not translated word for word; option
//! names, commands, ports and product names stay as they are.

use crate::conditions::{ConditionClass, ConditionKind, GroupOp};

/// Checklist language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    En,
    Ja,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ja => "ja",
        }
    }
}

pub fn title(lang: Lang, vulnerability: &str) -> String {
    match lang {
        Lang::En => format!("Trigger-condition checklist: {vulnerability}"),
        Lang::Ja => format!("発生条件チェックリスト: {vulnerability}"),
    }
}

pub fn intro(lang: Lang) -> &'static str {
    match lang {
        Lang::En => {
            "Answer each question for your product with yes, no or unknown, and note what you checked. \
\"Yes\" means the condition holds in the product. The answers decide whether the product is affected."
        }
        Lang::Ja => {
            "各質問について、自社製品での状況を「はい (yes)」「いいえ (no)」「不明 (unknown)」で回答し、確認した内容を記録してください。\
「はい」はその条件が製品で成り立つことを意味します。回答から、製品が影響を受けるかどうかを判定します。"
        }
    }
}

pub fn no_conditions(lang: Lang) -> &'static str {
    match lang {
        Lang::En => {
            "No trigger conditions are known for this vulnerability yet, so there is nothing to check. \
Assess it from the advisory, or write the conditions as a kensa.conditions/v1 document."
        }
        Lang::Ja => {
            "この脆弱性の発生条件はまだ抽出されていないため、確認する項目がありません。\
アドバイザリを基に個別に評価するか、kensa.conditions/v1 形式で条件を記述してください。"
        }
    }
}

/// The heading of a group: the root states what the whole tree means.
pub fn group_heading(lang: Lang, op: GroupOp, root: bool) -> &'static str {
    match (lang, op, root) {
        (Lang::En, GroupOp::All, true) => {
            "The vulnerability can be triggered only if ALL of the following hold"
        }
        (Lang::En, GroupOp::Any, true) => {
            "The vulnerability can be triggered if ANY of the following holds"
        }
        (Lang::En, GroupOp::All, false) => "All of the following hold",
        (Lang::En, GroupOp::Any, false) => "At least one of the following holds",
        (Lang::Ja, GroupOp::All, true) => {
            "以下のすべてに該当する場合にのみ、この脆弱性が悪用される可能性があります"
        }
        (Lang::Ja, GroupOp::Any, true) => {
            "以下のいずれかに該当する場合、この脆弱性が悪用される可能性があります"
        }
        (Lang::Ja, GroupOp::All, false) => "次のすべてに該当する",
        (Lang::Ja, GroupOp::Any, false) => "次のいずれかに該当する",
    }
}

pub fn kind_label(lang: Lang, kind: ConditionKind) -> &'static str {
    use ConditionKind::*;
    match (lang, kind) {
        (Lang::En, Version) => "version",
        (Lang::En, Platform) => "platform",
        (Lang::En, Configuration) => "configuration",
        (Lang::En, FunctionUse) => "function use",
        (Lang::En, Input) => "attacker input",
        (Lang::En, Network) => "network exposure",
        (Lang::En, Privileges) => "privileges",
        (Lang::En, UserInteraction) => "user interaction",
        (Lang::En, Other) => "other",
        (Lang::Ja, Version) => "バージョン",
        (Lang::Ja, Platform) => "動作環境",
        (Lang::Ja, Configuration) => "設定",
        (Lang::Ja, FunctionUse) => "機能の使用",
        (Lang::Ja, Input) => "攻撃者の入力",
        (Lang::Ja, Network) => "ネットワーク露出",
        (Lang::Ja, Privileges) => "権限",
        (Lang::Ja, UserInteraction) => "利用者の操作",
        (Lang::Ja, Other) => "その他",
    }
}

/// The lead-in of a Japanese question when the tree has none in Japanese;
/// the condition's own (technical) text follows it unchanged.
pub fn ja_question_lead(kind: ConditionKind) -> &'static str {
    use ConditionKind::*;
    match kind {
        Version => "製品に組み込まれているバージョンは、次の条件に当てはまりますか。",
        Platform => "製品は次の OS・ハードウェア・環境で動作しますか。",
        Configuration => "出荷時の設定、または顧客が変更できる設定で、次の状態になり得ますか。",
        FunctionUse => "製品は次の機能・関数・モジュールを使用していますか。",
        Input => "攻撃者が用意したデータが、次の形で製品に取り込まれますか。",
        Network => "攻撃者は次の経路で製品に到達できますか。",
        Privileges => "攻撃者が次の権限を得ている、または得られる状況がありますか。",
        UserInteraction => "通常の利用の中で、次の操作を利用者が行う可能性がありますか。",
        Other => "次の条件は製品に当てはまりますか。",
    }
}

/// Where to look and which command shows it.
pub fn hint(lang: Lang, kind: ConditionKind) -> &'static str {
    use ConditionKind::*;
    match (lang, kind) {
        (Lang::En, Version) => {
            "Compare the version in the product with the affected range: the SBOM, `--version` output, \
the package manager (`dpkg -l`, `rpm -q`, `apk info -v`), or the firmware's About page. \
Backported fixes count: check the changelog of the package you ship."
        }
        (Lang::En, Platform) => {
            "The product's data sheet or SBOM states the OS, CPU architecture and hardware model; \
on a running unit `uname -a` and `cat /etc/os-release` show them."
        }
        (Lang::En, Configuration) => {
            "Look at the shipped configuration files and the factory defaults (under /etc, the web UI's \
settings page, a configuration export), and whether customers can change the option."
        }
        (Lang::En, FunctionUse) => {
            "Search the product's source and build for the named function or module (`grep -r`), \
and the binaries for the symbol (`nm -D`, `objdump -T`, `ldd` for linked libraries); \
a build option may have left it out."
        }
        (Lang::En, Input) => {
            "Trace whether data from outside (network messages, uploaded files, fields a user fills in) \
reaches the affected parser or function, and what validates it on the way."
        }
        (Lang::En, Network) => {
            "List the listening ports on a unit (`ss -tlnp` or `netstat -an`; `nmap -sT -p-` from another host) \
and the firewall rules; check whether the service is reachable from networks an attacker can use."
        }
        (Lang::En, Privileges) => {
            "Check the accounts and roles the product has (the user manual's role model, default \
credentials) and whether an attacker could hold the rights the attack needs."
        }
        (Lang::En, UserInteraction) => {
            "Check whether normal use of the product involves the action the attack needs \
(opening a file, following a link, visiting a page) and who performs it."
        }
        (Lang::En, Other) => {
            "Confirm the condition with the product's documentation or its developers, and record what they said."
        }
        (Lang::Ja, Version) => {
            "SBOM、`--version` の出力、パッケージ管理 (`dpkg -l`、`rpm -q`、`apk info -v`)、\
またはファームウェアのバージョン情報画面で、製品のバージョンを影響範囲と照合してください。\
修正がバックポートされている場合もあるため、出荷パッケージの changelog も確認してください。"
        }
        (Lang::Ja, Platform) => {
            "OS、CPU アーキテクチャ、ハードウェア型式は製品仕様書や SBOM に記載されています。\
実機では `uname -a` や `cat /etc/os-release` で確認できます。"
        }
        (Lang::Ja, Configuration) => {
            "出荷時の設定ファイルと工場出荷時設定（/etc 配下、Web UI の設定画面、設定のエクスポート）を確認し、\
顧客がそのオプションを変更できるかどうかも確認してください。"
        }
        (Lang::Ja, FunctionUse) => {
            "ソースコードとビルド設定で該当する関数やモジュールを検索し (`grep -r`)、\
バイナリにシンボルが含まれるかを確認してください (`nm -D`、`objdump -T`、リンク先は `ldd`)。\
ビルドオプションで無効化されている場合もあります。"
        }
        (Lang::Ja, Input) => {
            "外部からのデータ（ネットワーク上のメッセージ、アップロードされたファイル、利用者の入力項目）が\
該当するパーサや関数に届くかどうか、途中でどのような検証を受けるかを追跡してください。"
        }
        (Lang::Ja, Network) => {
            "実機で待ち受けポートを一覧し (`ss -tlnp` または `netstat -an`、別ホストから `nmap -sT -p-`)、\
ファイアウォールの設定と合わせて、攻撃者が利用できるネットワークからサービスに到達できるかを確認してください。"
        }
        (Lang::Ja, Privileges) => {
            "製品のアカウントとロール（取扱説明書の権限モデル、初期パスワード）を確認し、\
攻撃に必要な権限を攻撃者が持ち得るかを判断してください。"
        }
        (Lang::Ja, UserInteraction) => {
            "攻撃に必要な操作（ファイルを開く、リンクをたどる、ページを表示する）が製品の通常の使い方に含まれるか、\
誰がその操作を行うかを確認してください。"
        }
        (Lang::Ja, Other) => {
            "製品のドキュメントや開発担当者に条件を確認し、その回答を記録してください。"
        }
    }
}

/// Where to look for a condition of a finer class (issue #17).
pub fn class_hint(lang: Lang, class: ConditionClass) -> &'static str {
    use ConditionClass::*;
    match (lang, class) {
        (Lang::En, ServiceEnabled) => {
            "Check whether the service runs by default and whether customers can switch it on: the settings \
page or configuration export, the init scripts or systemd units in the firmware, and on a unit the \
listening ports (`ss -tlnp`, `nmap -sT -sU -p-` from another host)."
        }
        (Lang::En, InterfaceExposed) => {
            "Find out who can reach the interface: which network zone or port it listens on (`ss -tlnp`), \
the firewall rules and the installation guide's network design; for a physical port (UART, JTAG, USB), \
whether it is populated and reachable without opening the housing."
        }
        (Lang::En, FileTypeOpened) => {
            "Check whether the product or its users open files of this type (project files, imports, \
uploads) and where such files can come from: only your own engineering station, or e-mail and shared drives."
        }
        (Lang::En, UserRole) => {
            "Look up the product's role model in the user manual: which roles exist by default, whether \
the named role can be assigned, and who in a typical plant holds it."
        }
        (Lang::En, ProtocolVersion) => {
            "Check which protocol versions and ciphers the product offers: the TLS or service settings, \
and from another host `nmap --script ssl-enum-ciphers -p PORT HOST` or `openssl s_client -connect HOST:PORT`."
        }
        (Lang::En, ApiUsage) => {
            "Search the product's source for calls of the function (`grep -rn`) and the binaries for the \
imported symbol (`nm -D`, `objdump -T`); a library linked but never called is not affected."
        }
        (Lang::En, KernelCode) => {
            "Check the kernel configuration for the subsystem's CONFIG_ symbol (`zcat /proc/config.gz`, the \
build's `.config`), whether the fixed files are in the build's list of compiled files, and on a unit \
`lsmod` for a loadable module."
        }
        (Lang::Ja, ServiceEnabled) => {
            "サービスが出荷時に動作しているか、顧客が有効にできるかを確認してください。設定画面や設定のエクスポート、\
ファームウェア内の起動スクリプトや systemd ユニット、実機の待ち受けポート (`ss -tlnp`、別ホストから `nmap -sT -sU -p-`) で確認できます。"
        }
        (Lang::Ja, InterfaceExposed) => {
            "そのインターフェースに誰が到達できるかを確認してください。待ち受けるネットワークゾーンやポート (`ss -tlnp`)、\
ファイアウォールの設定、設置ガイドのネットワーク構成を見ます。物理ポート (UART、JTAG、USB) の場合は、\
実装されているか、筐体を開けずに触れられるかを確認してください。"
        }
        (Lang::Ja, FileTypeOpened) => {
            "製品または利用者がこの種類のファイル（プロジェクトファイル、インポート、アップロード）を開くか、\
そのファイルがどこから来得るか（自社のエンジニアリング端末のみか、メールや共有ドライブか）を確認してください。"
        }
        (Lang::Ja, UserRole) => {
            "取扱説明書で製品のロール（権限）モデルを確認してください。出荷時にどのロールがあるか、\
そのロールを割り当てられるか、一般的なプラントで誰がそのロールを持つかを確認します。"
        }
        (Lang::Ja, ProtocolVersion) => {
            "製品が提供するプロトコルのバージョンと暗号スイートを確認してください。TLS やサービスの設定、\
別ホストから `nmap --script ssl-enum-ciphers -p PORT HOST` や `openssl s_client -connect HOST:PORT` で確認できます。"
        }
        (Lang::Ja, ApiUsage) => {
            "製品のソースコードでその関数の呼び出しを検索し (`grep -rn`)、バイナリでシンボルのインポートを確認してください \
(`nm -D`、`objdump -T`)。リンクされていても呼び出されないライブラリは影響を受けません。"
        }
        (Lang::Ja, KernelCode) => {
            "カーネル設定でそのサブシステムの CONFIG_ シンボルを確認し (`zcat /proc/config.gz`、ビルドの `.config`)、\
修正されたファイルがビルドでコンパイルされたファイルの一覧に含まれるか、実機ではロード可能モジュールを `lsmod` で確認してください。"
        }
    }
}

/// Labels of the fixed parts of a question entry.
pub struct Labels {
    pub condition: &'static str,
    pub how_to_check: &'static str,
    pub source: &'static str,
    pub answer: &'static str,
    pub answers_template: &'static str,
    pub automatic: &'static str,
}

pub fn labels(lang: Lang) -> Labels {
    match lang {
        Lang::En => Labels {
            condition: "Condition",
            how_to_check: "How to check",
            source: "From the source",
            answer: "Answer: yes / no / unknown",
            answers_template: "Answers file (fill in and pass to `kensa assess --answers`)",
            automatic: "Automatic answer (a proposal; your answer overrides it)",
        },
        Lang::Ja => Labels {
            condition: "条件",
            how_to_check: "確認方法",
            source: "根拠となる記述",
            answer: "回答: はい (yes) / いいえ (no) / 不明 (unknown)",
            answers_template: "回答ファイル（記入して `kensa assess --answers` に指定してください）",
            automatic: "自動回答（提案です。あなたの回答が優先されます）",
        },
    }
}
