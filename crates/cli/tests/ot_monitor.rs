//! `kensa ot monitor`: the live path gives the alerts of the file path.
//!
//! The live test builds a veth pair inside a network namespace it creates,
//! replays a shared capture into one end with tcpreplay and monitors the
//! other; it needs root, `ip` (iproute2), `tcpreplay` and ../shared/data/ot,
//! and is skipped with the reason otherwise. The other tests need none of
//! that.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn kensa() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kensa"));
    c.env_remove("KENSA_DB");
    c
}

fn ot_data() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/ot");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIP: shared OT data not found at {}", dir.display());
        None
    }
}

fn ok(o: Output) -> Output {
    assert!(
        o.status.success(),
        "kensa failed: {}\n{}",
        String::from_utf8_lossy(&o.stderr),
        String::from_utf8_lossy(&o.stdout)
    );
    o
}

fn lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// Each alert's final state (the last line with its id), without the
/// timestamps (a live capture stamps packets when they arrive) and the
/// update marker, sorted.
fn final_alerts(lines: &[Value]) -> Vec<Value> {
    let mut last: std::collections::BTreeMap<String, Value> = Default::default();
    for l in lines {
        let mut a = l.clone();
        let m = a.as_object_mut().unwrap();
        for k in ["ts", "last_ts", "update"] {
            m.remove(k);
        }
        last.insert(l["id"].as_str().unwrap().to_string(), a);
    }
    let mut v: Vec<Value> = last.into_values().collect();
    v.sort_by_key(|a| (a["frame"].as_u64(), a["id"].as_str().map(str::to_string)));
    v
}

/// The openics EtherNet/IP captures: a baseline of the first halves of two
/// sessions, and a capture with a new host (9 s, 30 packets).
fn openics(d: &Path, dir: &Path) -> (PathBuf, PathBuf) {
    let o = d.join("ITI-ICS-Security-Tools/pcaps/openics");
    let baseline = dir.join("eip.json");
    ok(kensa()
        .args([
            "-q",
            "ot",
            "baseline",
            "learn",
            "--split",
            "first-half",
            "-o",
        ])
        .arg(&baseline)
        .arg(o.join("EIP-RebootorRestart.pcap"))
        .arg(o.join("EIP-LockPLCAttempt.pcap"))
        .output()
        .unwrap());
    (baseline, o.join("EIP-ViewDeviceStatus.pcap"))
}

fn detect(baseline: &Path, capture: &Path) -> Vec<Value> {
    let o = ok(kensa()
        .args(["-q", "ot", "detect", "--baseline"])
        .arg(baseline)
        .arg(capture)
        .output()
        .unwrap());
    lines(&String::from_utf8_lossy(&o.stdout))
}

#[test]
fn a_capture_read_through_the_monitor_gives_the_alerts_of_detect() {
    let Some(d) = ot_data() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (baseline, _) = openics(&d, dir.path());
    let capture = d.join("ITI-ICS-Security-Tools/pcaps/openics/EIP-IPAddressChangeAttempt.pcap");
    let o = ok(kensa()
        .args(["ot", "monitor", "--baseline"])
        .arg(&baseline)
        .arg("--read")
        .arg(&capture)
        .output()
        .unwrap());
    let monitored = lines(&String::from_utf8_lossy(&o.stdout));
    let detected = detect(&baseline, &capture);
    assert!(detected.len() >= 5, "{detected:#?}");
    assert_eq!(final_alerts(&monitored), final_alerts(&detected));
    // Every alert was written when first raised, before any update of it.
    let first_lines: Vec<&Value> = monitored
        .iter()
        .filter(|l| l.get("update").is_none())
        .collect();
    assert_eq!(first_lines.len(), detected.len());
    let stats = String::from_utf8_lossy(&o.stderr);
    assert!(
        stats.contains("packets seen                 4,154"),
        "{stats}"
    );
}

#[test]
fn the_output_file_is_rotated_by_size() {
    let Some(d) = ot_data() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (baseline, _) = openics(&d, dir.path());
    let out = dir.path().join("alerts.jsonl");
    let capture = d.join("ITI-ICS-Security-Tools/pcaps/openics/EIP-IPAddressChangeAttempt.pcap");
    ok(kensa()
        .args(["-q", "ot", "monitor", "--baseline"])
        .arg(&baseline)
        .arg("--read")
        .arg(&capture)
        .arg("--output")
        .arg(&out)
        .args(["--rotate-size", "2k", "--rotate-keep", "2"])
        .output()
        .unwrap());
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    let rotated = [
        dir.path().join("alerts.jsonl.1"),
        dir.path().join("alerts.jsonl.2"),
    ];
    assert!(rotated.iter().all(|p| p.exists()), "two rotated files");
    assert!(
        !dir.path().join("alerts.jsonl.3").exists(),
        "only two are kept"
    );
    for p in rotated.iter().chain([&out]) {
        let text = read(p);
        // Whole lines only, each a complete alert; files stay near the size.
        assert!(text.ends_with('\n') && lines(&text).iter().all(|a| a["id"].is_string()));
        assert!(
            text.len() < 2048 + 4096,
            "{} is {} bytes",
            p.display(),
            text.len()
        );
    }
}

#[test]
fn a_bad_filter_is_refused_before_capturing() {
    let o = kensa()
        .args(["ot", "monitor", "--interface", "lo", "--filter", "tcp port"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("capture filter \"tcp port\""), "{err}");
}

/// A network namespace with a veth pair, removed when dropped.
struct Netns(String);

impl Netns {
    fn create() -> Option<Netns> {
        let name = format!("kensa-test-{}", std::process::id());
        let ip = |args: &[&str]| {
            Command::new("ip")
                .args(args)
                .status()
                .is_ok_and(|s| s.success())
        };
        if !ip(&["netns", "add", &name]) {
            eprintln!("SKIP: could not create a network namespace");
            return None;
        }
        let ns = Netns(name);
        let steps: &[&[&str]] = &[
            &[
                "link", "add", "veth0", "type", "veth", "peer", "name", "veth1",
            ],
            &["link", "set", "veth0", "mtu", "9000", "up"],
            &["link", "set", "veth1", "mtu", "9000", "up"],
        ];
        // No IPv6 chatter (router solicitations) beside the replayed traffic.
        let quiet = Command::new("ip")
            .args(["netns", "exec", &ns.0, "sysctl", "-q", "-w"])
            .args([
                "net.ipv6.conf.all.disable_ipv6=1",
                "net.ipv6.conf.default.disable_ipv6=1",
            ])
            .status()
            .is_ok_and(|s| s.success());
        for step in steps {
            let mut args = vec!["netns", "exec", &ns.0, "ip"];
            args.extend_from_slice(step);
            assert!(ip(&args), "ip {step:?}");
        }
        assert!(quiet, "disabling IPv6 in the namespace");
        Some(ns)
    }

    fn exec(&self, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.0, program]);
        c
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Waits until the monitor says it is capturing.
fn started(child: &mut Child, log: &Path) {
    let until = Instant::now() + Duration::from_secs(20);
    while Instant::now() < until {
        if std::fs::read_to_string(log).is_ok_and(|t| t.contains("monitoring interface")) {
            std::thread::sleep(Duration::from_millis(300));
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "monitor exited early ({status}): {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("monitor did not start");
}

fn signal(child: &Child, name: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "kill -{name}");
}

#[test]
fn live_capture_on_a_veth_pair_gives_the_alerts_of_the_file() {
    if cfg!(not(feature = "live")) {
        eprintln!("SKIP: kensa was built without the `live` feature (scripts/test.sh enables it)");
        return;
    }
    let missing: Vec<&str> = ["ip", "tcpreplay"]
        .into_iter()
        .filter(|p| !have(p))
        .collect();
    if !is_root() || !missing.is_empty() {
        eprintln!(
            "SKIP: the live monitor test needs root and ip + tcpreplay (root: {}, missing: {missing:?})",
            is_root()
        );
        return;
    }
    let Some(d) = ot_data() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (baseline, capture) = openics(&d, dir.path());
    let Some(ns) = Netns::create() else { return };
    let (out, log) = (dir.path().join("live.jsonl"), dir.path().join("live.log"));
    let mut child = ns
        .exec(env!("CARGO_BIN_EXE_kensa"))
        .args(["ot", "monitor", "--interface", "veth1", "--baseline"])
        .arg(&baseline)
        .arg("--output")
        .arg(&out)
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    started(&mut child, &log);
    // At the capture's own pace: rates and timing are judged on packet times.
    let replay = ns
        .exec("tcpreplay")
        .args(["-q", "-i", "veth0"])
        .arg(&capture)
        .output()
        .unwrap();
    assert!(
        replay.status.success(),
        "{}",
        String::from_utf8_lossy(&replay.stderr)
    );
    std::thread::sleep(Duration::from_millis(500));
    signal(&child, "INT");
    let status = child.wait().unwrap();
    let stats = std::fs::read_to_string(&log).unwrap();
    assert!(status.success(), "{stats}");
    // The stop reports what was seen: every replayed packet, none dropped.
    assert!(
        stats.contains("packets seen                 30\n"),
        "{stats}"
    );
    assert!(
        stats.contains("dropped by the kernel        0\n"),
        "{stats}"
    );
    let live = lines(&std::fs::read_to_string(&out).unwrap());
    let file = detect(&baseline, &capture);
    assert!(!file.is_empty());
    assert_eq!(final_alerts(&live), final_alerts(&file));

    // --duration stops a run on an idle interface, with its statistics.
    let o = ns
        .exec(env!("CARGO_BIN_EXE_kensa"))
        .args(["ot", "monitor", "-i", "veth1", "--duration", "1"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success() && err.contains("packets seen"), "{err}");

    // SIGTERM stops it as cleanly as SIGINT.
    let log2 = dir.path().join("term.log");
    let mut child = ns
        .exec(env!("CARGO_BIN_EXE_kensa"))
        .args(["ot", "monitor", "-i", "veth1"])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log2).unwrap())
        .spawn()
        .unwrap();
    started(&mut child, &log2);
    signal(&child, "TERM");
    assert!(child.wait().unwrap().success());
    assert!(
        std::fs::read_to_string(&log2)
            .unwrap()
            .contains("packets seen")
    );
}

/// A team server on `db`, started as a user would; stops when dropped.
struct Server(Child, String);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(db: &Path) -> Server {
    use std::io::BufRead;
    let mut child = kensa()
        .arg("--db")
        .arg(db)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .trim_end_matches('/')
        .to_string();
    Server(child, url)
}

/// The number on the statistics line that starts with `label`.
fn count_of(stats: &str, label: &str) -> usize {
    stats
        .lines()
        .find(|l| l.starts_with(label))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|n| n.replace(',', "").parse().ok())
        .unwrap_or_else(|| panic!("no `{label}` in {stats}"))
}

fn token_for(db: &Path, user: &str, role: &str) -> String {
    ok(kensa()
        .arg("--db")
        .arg(db)
        .args(["user", "add", user, "--no-password"])
        .output()
        .unwrap());
    ok(kensa()
        .arg("--db")
        .arg(db)
        .args(["grant", user, role, "--global"])
        .output()
        .unwrap());
    let o = ok(kensa()
        .arg("--db")
        .arg(db)
        .args(["token", "create", user])
        .output()
        .unwrap());
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .last()
        .unwrap()
        .to_string()
}

#[test]
fn alerts_go_to_the_team_server_and_a_missing_server_loses_nothing_silently() {
    let Some(d) = ot_data() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (baseline, _) = openics(&d, dir.path());
    let capture = d.join("ITI-ICS-Security-Tools/pcaps/openics/EIP-IPAddressChangeAttempt.pcap");
    let db = dir.path().join("team.db");
    let sensor_token = token_for(&db, "sensor", "analyst");
    let reader_token = token_for(&db, "reader", "viewer");
    let server = serve(&db);
    let o = ok(kensa()
        .args(["ot", "monitor", "--baseline"])
        .arg(&baseline)
        .arg("--read")
        .arg(&capture)
        .args(["--server", &server.1, "--sensor", "cell-7"])
        .env("KENSA_TOKEN", &sensor_token)
        .output()
        .unwrap());
    let written = lines(&String::from_utf8_lossy(&o.stdout));
    let stats = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        count_of(&stats, "sent to the server"),
        written.len(),
        "{stats}"
    );
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut r = agent
        .get(&format!("{}/api/v1/alerts?limit=1000", server.1))
        .header("Authorization", &format!("Bearer {reader_token}"))
        .call()
        .unwrap();
    assert_eq!(r.status(), 200);
    let page: Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
    let stored = page["items"].as_array().unwrap();
    // One row per alert: updates replaced their alert's row.
    assert_eq!(stored.len(), final_alerts(&written).len());
    assert!(stored.iter().all(|a| a["sensor"] == "cell-7"));
    for f in final_alerts(&written) {
        let row = stored.iter().find(|a| a["id"] == f["id"]).expect("stored");
        assert_eq!(row["count"], f["count"], "the latest count of {}", f["id"]);
    }
    // A server that does not answer: the monitor still finishes, and says
    // what it could not deliver.
    drop(server);
    let o = ok(kensa()
        .args(["ot", "monitor", "--baseline"])
        .arg(&baseline)
        .arg("--read")
        .arg(&capture)
        .args(["--server", "http://127.0.0.1:9", "--server-patience", "1"])
        .env("KENSA_TOKEN", &sensor_token)
        .output()
        .unwrap());
    let stats = String::from_utf8_lossy(&o.stderr);
    let undelivered = count_of(&stats, "not delivered");
    assert_eq!(
        undelivered,
        lines(&String::from_utf8_lossy(&o.stdout)).len(),
        "{stats}"
    );
    assert!(stats.contains("warning: --server"), "{stats}");
}
