//! The LLM extractor against a loopback HTTP/1.1 server that speaks the
//! chat-completions protocol and serves recorded-style responses: the
//! merged two-pass result, and the fallback on every kind of failure.
//! Nothing here touches the network.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kensa_logic::llm::{LlmConfig, LlmError, extract, extract_strict};
use kensa_logic::{ConditionKind, ConditionSource, GroupOp, Node};
use kensa_model::{LangText, Source, SourceKind, VulnRecord};
use serde_json::Value;

enum Reply {
    /// 200 with this body.
    Ok(&'static str),
    Status(u16, &'static str),
    /// Read the request, then say nothing for this long.
    Hang(Duration),
}

struct Recorded {
    request_line: String,
    headers: Vec<String>,
    body: Value,
}

/// Serves `replies` in order, one connection each; returns the base URL
/// and what the client sent.
fn serve(replies: Vec<Reply>) -> (String, Arc<Mutex<Vec<Recorded>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for reply in replies {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let mut headers = Vec::new();
            let mut length = 0;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let line = line.trim_end().to_string();
                if line.is_empty() {
                    break;
                }
                if let Some((k, v)) = line.split_once(':')
                    && k.eq_ignore_ascii_case("content-length")
                {
                    length = v.trim().parse().unwrap();
                }
                headers.push(line.to_lowercase());
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            log.lock().unwrap().push(Recorded {
                request_line: request_line.trim_end().to_string(),
                headers,
                body: serde_json::from_slice(&body).unwrap(),
            });
            let mut stream = stream;
            let (status, text) = match reply {
                Reply::Ok(b) => (200, b),
                Reply::Status(s, b) => (s, b),
                Reply::Hang(d) => {
                    std::thread::sleep(d);
                    continue;
                }
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                text.len()
            );
        }
    });
    (url, seen)
}

const ATTACKER: &str = include_str!("fixtures/llm/attacker.json");
const REACHABILITY: &str = include_str!("fixtures/llm/reachability.json");
const PROSE: &str = include_str!("fixtures/llm/invalid-content.json");
const SCHEMA_VIOLATION: &str = include_str!("fixtures/llm/schema-violation.json");

fn record() -> Vec<VulnRecord> {
    let mut r = VulnRecord::new(
        "CVE-2007-2447",
        Source::new(SourceKind::Nvd, "nvd@nist.gov"),
    );
    r.descriptions.push(LangText {
        lang: "en".into(),
        value: "The MS-RPC functionality in smbd in Samba 3.0.0 through 3.0.25rc3 allows remote attackers to execute arbitrary commands via shell metacharacters involving the (1) SamrChangePassword function, when the \"username map script\" smb.conf option is enabled".into(),
    });
    vec![r]
}

fn config(url: String, timeout: Duration) -> LlmConfig {
    LlmConfig {
        base_url: url,
        model: "qwen2.5-7b-instruct".into(),
        api_key: Some("sk-test".into()),
        timeout,
    }
}

#[test]
fn two_passes_are_merged_and_deduplicated() {
    let (url, seen) = serve(vec![Reply::Ok(ATTACKER), Reply::Ok(REACHABILITY)]);
    let tree = extract_strict(&record(), &config(url, Duration::from_secs(10))).unwrap();
    assert_eq!(tree.vulnerability, "CVE-2007-2447");
    assert_eq!(tree.extractor.as_deref(), Some("llm:qwen2.5-7b-instruct"));
    let conditions = tree.conditions();
    let got: Vec<(&str, ConditionKind)> =
        conditions.iter().map(|c| (c.id.as_str(), c.kind)).collect();
    // The reachability pass's configuration condition repeats the
    // attacker pass's (same kind, same words but a full stop): kept once.
    assert_eq!(
        got,
        [
            ("c1", ConditionKind::Network),
            ("c2", ConditionKind::Network),
            ("c3", ConditionKind::Input),
            ("c4", ConditionKind::Configuration),
            ("c5", ConditionKind::Version),
        ]
    );
    assert!(conditions.iter().all(|c| c.source == ConditionSource::Llm));
    // The `any` of the two ports survives inside the merged `all`.
    let Node::Group(root) = &tree.logic else {
        panic!("root is a group")
    };
    assert_eq!(root.op, GroupOp::All);
    assert!(matches!(&root.children[0], Node::Group(g) if g.op == GroupOp::Any));
    // question_ja null stays absent; given ones are kept.
    assert_eq!(conditions[2].question_ja, None);
    assert!(
        conditions[0]
            .question_ja
            .as_deref()
            .unwrap()
            .contains("TCP 445")
    );

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    for r in seen.iter() {
        assert_eq!(r.request_line, "POST /v1/chat/completions HTTP/1.1");
        assert!(
            r.headers
                .contains(&"authorization: bearer sk-test".to_string())
        );
        assert_eq!(r.body["model"], "qwen2.5-7b-instruct");
        assert_eq!(r.body["response_format"]["type"], "json_schema");
        assert_eq!(r.body["response_format"]["json_schema"]["strict"], true);
        let user = r.body["messages"][1]["content"].as_str().unwrap();
        assert!(
            user.contains("username map script"),
            "the record goes to the model"
        );
    }
    let first = seen[0].body["messages"][1]["content"].as_str().unwrap();
    let second = seen[1].body["messages"][1]["content"].as_str().unwrap();
    assert!(first.starts_with("What must an attacker achieve"));
    assert!(second.starts_with("How is the vulnerable code reached"));
}

fn assert_falls_back(replies: Vec<Reply>, timeout: Duration, expect: impl Fn(&LlmError) -> bool) {
    let (url, _) = serve(replies);
    let cfg = config(url.clone(), timeout);
    let err = extract_strict(&record(), &cfg).unwrap_err();
    assert!(expect(&err), "unexpected error: {err}");
    // The same failure through `extract`: the rules tree, with the reason.
    let (url, _) = serve_again(&err);
    let out = extract(&record(), &config(url, timeout));
    assert_eq!(out.conditions, kensa_logic::extract::rules(&record()));
    let why = out.fallback.expect("a fallback says why");
    assert!(why.contains("offline rules extractor"), "{why}");
}

/// A second server giving the same failure, for the `extract` half.
fn serve_again(err: &LlmError) -> (String, Arc<Mutex<Vec<Recorded>>>) {
    match err {
        LlmError::ContentNotJson { .. } => serve(vec![Reply::Ok(PROSE)]),
        LlmError::Schema { .. } => serve(vec![Reply::Ok(SCHEMA_VIOLATION)]),
        LlmError::Status { .. } => serve(vec![Reply::Status(500, "{\"error\":\"overloaded\"}")]),
        LlmError::Timeout { .. } => serve(vec![Reply::Hang(Duration::from_secs(2))]),
        LlmError::Protocol { .. } => serve(vec![Reply::Ok("{\"object\": \"error\"}")]),
        other => panic!("no second server for {other}"),
    }
}

#[test]
fn content_that_is_not_json_falls_back() {
    assert_falls_back(vec![Reply::Ok(PROSE)], Duration::from_secs(10), |e| {
        matches!(
            e,
            LlmError::ContentNotJson {
                pass: "attacker",
                ..
            }
        )
    });
}

#[test]
fn a_schema_violation_falls_back_naming_the_place() {
    assert_falls_back(
        vec![Reply::Ok(SCHEMA_VIOLATION)],
        Duration::from_secs(10),
        |e| {
            let text = e.to_string();
            matches!(e, LlmError::Schema { .. })
                && text.contains("/logic/children/0/kind")
                && text.contains("telepathy")
        },
    );
    // The second pass failing is as fatal as the first.
    let (url, _) = serve(vec![Reply::Ok(ATTACKER), Reply::Ok(SCHEMA_VIOLATION)]);
    let err = extract_strict(&record(), &config(url, Duration::from_secs(10))).unwrap_err();
    assert!(
        matches!(
            err,
            LlmError::Schema {
                pass: "reachability",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn http_errors_fall_back() {
    assert_falls_back(
        vec![Reply::Status(500, "{\"error\":\"overloaded\"}")],
        Duration::from_secs(10),
        |e| matches!(e, LlmError::Status { status: 500, body, .. } if body.contains("overloaded")),
    );
}

#[test]
fn a_silent_server_times_out_and_falls_back() {
    let started = std::time::Instant::now();
    assert_falls_back(
        vec![Reply::Hang(Duration::from_secs(2))],
        Duration::from_millis(300),
        |e| matches!(e, LlmError::Timeout { .. }),
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the timeout is honoured"
    );
}

#[test]
fn a_response_that_is_not_a_completion_falls_back() {
    assert_falls_back(
        vec![Reply::Ok("{\"object\": \"error\"}")],
        Duration::from_secs(10),
        |e| matches!(e, LlmError::Protocol { .. }) && e.to_string().contains("choices[0]"),
    );
    // A body that is not JSON at all (a proxy's HTML page).
    let (url, _) = serve(vec![Reply::Ok("<html>Bad gateway</html>")]);
    let err = extract_strict(&record(), &config(url, Duration::from_secs(10))).unwrap_err();
    assert!(
        matches!(
            err,
            LlmError::Protocol {
                pass: "attacker",
                ..
            }
        ),
        "{err}"
    );
    // A refusal and a cut-off answer are not trees either.
    let refusal = r#"{"choices": [{"index": 0, "message": {"role": "assistant", "content": null, "refusal": "I can't help with that."}, "finish_reason": "stop"}]}"#;
    let cut = r#"{"choices": [{"index": 0, "message": {"role": "assistant", "content": "{\"logic\": {\"op\""}, "finish_reason": "length"}]}"#;
    for (body, expect) in [(refusal, "refused"), (cut, "cut off")] {
        let (url, _) = serve(vec![Reply::Ok(body)]);
        let err = extract_strict(&record(), &config(url, Duration::from_secs(10))).unwrap_err();
        assert!(err.to_string().contains(expect), "{err}");
    }
}

#[test]
fn nothing_listening_is_a_transport_error() {
    // Bind, learn the port, close: connecting is refused.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cfg = config(
        format!("http://127.0.0.1:{port}/v1"),
        Duration::from_secs(5),
    );
    let out = extract(&record(), &cfg);
    assert!(out.fallback.unwrap().contains("127.0.0.1"));
}

#[test]
fn configuration_comes_from_a_file() {
    let dir = std::env::temp_dir().join(format!("kensa-llm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("llm.yaml");
    std::fs::write(
        &path,
        "base_url: http://127.0.0.1:8080/v1\nmodel: local-model\ntimeout_secs: 30\n",
    )
    .unwrap();
    let cfg = LlmConfig::from_file(&path).unwrap();
    assert_eq!(cfg.model, "local-model");
    assert_eq!(cfg.api_key, None);
    assert_eq!(cfg.timeout, Duration::from_secs(30));
    std::fs::write(&path, "base_url: x\nmodel: m\nmodle: typo\n").unwrap();
    let e = LlmConfig::from_file(&path).unwrap_err().to_string();
    assert!(e.contains("llm.yaml") && e.contains("modle"), "{e}");
    std::fs::write(
        &path,
        "base_url: x\nmodel: m\napi_key_env: KENSA_TEST_UNSET_VARIABLE_X\n",
    )
    .unwrap();
    let e = LlmConfig::from_file(&path).unwrap_err().to_string();
    assert!(e.contains("KENSA_TEST_UNSET_VARIABLE_X"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn two_empty_answers_fall_back() {
    let empty = r#"{"choices": [{"index": 0, "message": {"role": "assistant", "content": "{\"logic\": {\"op\": \"all\", \"children\": []}}"}, "finish_reason": "stop"}]}"#;
    let (url, _) = serve(vec![Reply::Ok(empty), Reply::Ok(empty)]);
    let out = extract(&record(), &config(url, Duration::from_secs(10)));
    assert!(
        out.fallback
            .unwrap()
            .contains("neither pass gave a condition")
    );
}
