//! A throwaway PostgreSQL cluster for tests: one per test binary, started
//! on first use from Debian's `postgresql` binaries on a free loopback
//! port, with a fresh database per test. `initdb` refuses to run as root,
//! so as root the cluster belongs to the `postgres` user (`runuser`).
//!
//! A watcher process stops the cluster and removes its directory when the
//! test binary exits. `KENSA_TEST_PG_URL` (a server URL without a
//! database, `postgres://user@host:port`) uses an existing server instead.
//! Without either, tests skip with the reason printed.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

/// A PostgreSQL server tests may create databases on.
pub struct Cluster {
    /// `postgres://user@host:port`, no database.
    base: String,
    /// The CA that signed the server's TLS certificate (for 127.0.0.1),
    /// when the cluster serves TLS.
    ca: Option<PathBuf>,
}

static SHARED: OnceLock<Result<Cluster, String>> = OnceLock::new();
static NEXT_DB: AtomicU32 = AtomicU32::new(0);

impl Cluster {
    /// The test binary's cluster, started on first call; `None` (with the
    /// reason printed) when no PostgreSQL server can run here.
    pub fn shared() -> Option<&'static Cluster> {
        match SHARED.get_or_init(start) {
            Ok(c) => Some(c),
            Err(why) => {
                eprintln!("skipped: no PostgreSQL server: {why}");
                None
            }
        }
    }

    /// A new, empty database; its URL.
    pub fn database(&self) -> String {
        let name = format!(
            "kensa_test_{}_{}",
            std::process::id(),
            NEXT_DB.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin =
            postgres::Client::connect(&format!("{}/postgres", self.base), postgres::NoTls)
                .unwrap_or_else(|e| {
                    panic!("cannot connect to the test cluster {}: {e}", self.base)
                });
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("cannot create database {name}: {e}"));
        format!("{}/{name}", self.base)
    }

    /// The PEM file of the CA that signed the server's certificate; `None`
    /// when the cluster serves no TLS (no `openssl` here, or a server from
    /// `KENSA_TEST_PG_URL`).
    pub fn ca_file(&self) -> Option<&Path> {
        self.ca.as_deref()
    }

    /// The server's URL without a database.
    pub fn base_url(&self) -> &str {
        &self.base
    }
}

fn start() -> Result<Cluster, String> {
    if let Ok(url) = std::env::var("KENSA_TEST_PG_URL") {
        return Ok(Cluster {
            base: url.trim_end_matches('/').to_string(),
            ca: None,
        });
    }
    let bin = server_binaries().ok_or(
        "PostgreSQL's initdb is not installed (Debian package `postgresql`; scripts/deps.sh installs it)",
    )?;
    let runner = Runner::for_this_user()?;
    // Not the tempfile crate's drop: the watcher removes the directory once
    // this process is gone, as the cluster lives that long.
    let dir = tempfile::Builder::new()
        .prefix("kensa-pg-")
        .tempdir()
        .map_err(|e| format!("cannot create a directory for the cluster: {e}"))?
        .keep();
    runner.own(&dir)?;
    let data = dir.join("data");
    runner.run(
        Command::new(bin.join("initdb"))
            .args([
                "-U",
                "kensa",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
                "-D",
            ])
            .arg(&data),
        "initdb",
    )?;
    watch(&runner, &bin, &data, &dir);
    let tls = match certificates(&dir, &runner) {
        Ok(ca) => Some(ca),
        Err(why) => {
            eprintln!("note: the test cluster serves no TLS: {why}");
            None
        }
    };
    let mut last = String::new();
    for _ in 0..3 {
        let port = free_port()?;
        let mut options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off \
             -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
            dir.display()
        );
        if tls.is_some() {
            options.push_str(&format!(
                " -c ssl=on -c ssl_cert_file={0}/server.crt -c ssl_key_file={0}/server.key",
                dir.display()
            ));
        }
        let started = runner.run(
            Command::new(bin.join("pg_ctl"))
                .args(["-w", "-t", "60", "-D"])
                .arg(&data)
                .arg("-l")
                .arg(dir.join("server.log"))
                .args(["-o", &options, "start"]),
            "pg_ctl start",
        );
        match started {
            Ok(()) => {
                return Ok(Cluster {
                    base: format!("postgres://kensa@127.0.0.1:{port}"),
                    ca: tls,
                });
            }
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// A throwaway CA and a server certificate it signs for 127.0.0.1, made
/// with the `openssl` command (which Debian's `postgresql` brings, through
/// `ssl-cert`); returns the CA's PEM file.
fn certificates(dir: &Path, runner: &Runner) -> Result<PathBuf, String> {
    let openssl = |args: &[&str]| -> Result<(), String> {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .map_err(|e| format!("cannot run openssl: {e}"))?;
        out.status.success().then_some(()).ok_or_else(|| {
            format!(
                "openssl {}: {}",
                args.first().unwrap_or(&""),
                String::from_utf8_lossy(&out.stderr).trim()
            )
        })
    };
    let rsa = ["-newkey", "rsa:2048", "-nodes", "-days", "2"];
    openssl(
        &[
            &["req", "-x509"][..],
            &rsa,
            &[
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-subj",
                "/CN=kensa test CA",
            ],
        ]
        .concat(),
    )?;
    openssl(
        &[
            &["req"][..],
            &rsa,
            &[
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=127.0.0.1",
            ],
        ]
        .concat(),
    )?;
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .map_err(|e| format!("cannot write server.ext: {e}"))?;
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-out",
        "server.crt",
        "-extfile",
        "server.ext",
    ])?;
    let key = dir.join("server.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("cannot restrict server.key: {e}"))?;
    }
    runner.own(&key)?;
    runner.own(&dir.join("server.crt"))?;
    Ok(dir.join("ca.pem"))
}

/// The directory holding `initdb` and `pg_ctl`: `KENSA_PG_BINDIR`, the
/// newest of Debian's /usr/lib/postgresql/N/bin, or the PATH.
fn server_binaries() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("KENSA_PG_BINDIR") {
        return Some(PathBuf::from(dir));
    }
    let debian = std::fs::read_dir("/usr/lib/postgresql")
        .ok()
        .and_then(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter_map(|e| Some((e.file_name().to_str()?.parse::<u32>().ok()?, e.path())))
                .filter(|(_, p)| p.join("bin/initdb").exists())
                .max_by_key(|(v, _)| *v)
                .map(|(_, p)| p.join("bin"))
        });
    debian.or_else(|| {
        std::env::var_os("PATH").and_then(|path| {
            std::env::split_paths(&path)
                .find(|d| d.join("initdb").exists() && d.join("pg_ctl").exists())
        })
    })
}

/// Runs the server's programs as the user that may: `postgres` when this
/// process is root, this user otherwise.
struct Runner {
    as_postgres: bool,
}

impl Runner {
    fn for_this_user() -> Result<Runner, String> {
        let uid = Command::new("id")
            .arg("-u")
            .output()
            .map_err(|e| format!("cannot run `id`: {e}"))?;
        let root = String::from_utf8_lossy(&uid.stdout).trim() == "0";
        if root
            && !Command::new("id")
                .arg("postgres")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        {
            return Err("running as root and there is no `postgres` user to run initdb as".into());
        }
        Ok(Runner { as_postgres: root })
    }

    fn own(&self, dir: &Path) -> Result<(), String> {
        if !self.as_postgres {
            return Ok(());
        }
        let status = Command::new("chown")
            .arg("postgres:")
            .arg(dir)
            .status()
            .map_err(|e| format!("cannot run chown: {e}"))?;
        status
            .success()
            .then_some(())
            .ok_or_else(|| format!("chown postgres {} failed", dir.display()))
    }

    fn command(&self, cmd: &Command) -> Command {
        let mut out = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(cmd.get_program());
            c
        } else {
            Command::new(cmd.get_program())
        };
        out.args(cmd.get_args());
        out
    }

    fn run(&self, cmd: &mut Command, what: &str) -> Result<(), String> {
        let out = self
            .command(cmd)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {what}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{what} failed: {}{}",
                String::from_utf8_lossy(&out.stderr),
                String::from_utf8_lossy(&out.stdout)
            ))
        }
    }
}

/// Stops the cluster and removes its directory once this process exits.
fn watch(runner: &Runner, bin: &Path, data: &Path, dir: &Path) {
    let stop = runner.command(
        Command::new(bin.join("pg_ctl"))
            .args(["-m", "immediate", "-D"])
            .arg(data)
            .arg("stop"),
    );
    let stop_line: Vec<String> = std::iter::once(stop.get_program())
        .chain(stop.get_args())
        .map(|a| shell_quote(&a.to_string_lossy()))
        .collect();
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1; rm -rf {dir}",
        pid = std::process::id(),
        stop = stop_line.join(" "),
        dir = shell_quote(&dir.to_string_lossy()),
    );
    let _ = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free loopback port: {e}"))
}
