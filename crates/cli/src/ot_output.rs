//! Where monitor alerts go: stdout, or a file that is rotated by size
//! (FILE, FILE.1, ... FILE.N), one line per alert, flushed as written so
//! that alerts are visible as they happen.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use kensa_ot::detect::Alert;

use crate::ot_assets::Enricher;

pub enum Destination {
    Stdout,
    Rotating {
        path: PathBuf,
        max_bytes: u64,
        keep: usize,
    },
}

pub struct AlertWriter {
    destination: Destination,
    file: Option<BufWriter<File>>,
    written: u64,
    text: bool,
    enricher: Option<Enricher>,
    /// Also sends each alert to the team server.
    forward: Option<crate::ot_forward::Forwarder>,
    pub alerts_written: u64,
    pub updates_written: u64,
}

impl AlertWriter {
    pub fn open(destination: Destination, text: bool, enricher: Option<Enricher>) -> Result<Self> {
        let mut w = AlertWriter {
            destination,
            file: None,
            written: 0,
            text,
            enricher,
            forward: None,
            alerts_written: 0,
            updates_written: 0,
        };
        if let Destination::Rotating { path, .. } = &w.destination {
            let path = path.clone();
            w.reopen(&path)?;
        }
        Ok(w)
    }

    /// Writes alerts (as updates when `update`); returns false when stdout
    /// was closed, which ends the run quietly.
    pub fn write_all(&mut self, alerts: &[Alert], update: bool) -> Result<bool> {
        if alerts.is_empty() {
            return Ok(true);
        }
        let mut buf = Vec::with_capacity(512 * alerts.len());
        for a in alerts {
            self.render(a, update, &mut buf)?;
            if update {
                self.updates_written += 1;
            } else {
                self.alerts_written += 1;
            }
        }
        match self.emit(&buf) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(false),
            Err(e) => Err(anyhow::Error::new(e).context("writing alerts")),
        }
    }

    /// Identities the monitored traffic revealed, for naming assets.
    pub fn learn_identities(
        &mut self,
        ids: &std::collections::BTreeMap<std::net::IpAddr, Vec<kensa_ot::identity::Identity>>,
    ) {
        if let Some(e) = &mut self.enricher {
            e.learn_all(ids);
        }
    }

    /// Sends every alert written from now on to the team server too.
    pub fn forward_to(&mut self, forwarder: crate::ot_forward::Forwarder) {
        self.forward = Some(forwarder);
    }

    /// Stops forwarding, delivering what is queued within `patience`.
    pub fn finish_forwarding(
        &mut self,
        patience: std::time::Duration,
    ) -> Option<crate::ot_forward::ForwardStats> {
        self.forward.take().map(|f| f.finish(patience))
    }

    pub fn has_enricher(&self) -> bool {
        self.enricher.is_some()
    }

    pub fn flush(&mut self) -> Result<()> {
        match &mut self.file {
            Some(f) => f.flush().context("writing alerts"),
            None => match io::stdout().flush() {
                Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e.into()),
                _ => Ok(()),
            },
        }
    }

    fn render(&mut self, a: &Alert, update: bool, buf: &mut Vec<u8>) -> Result<()> {
        let asset = self.enricher.as_mut().and_then(|e| e.annotate(a));
        // The alert as JSON Lines carry it: what the file and the server get.
        let json = |asset: Option<&crate::ot_assets::Annotation>| -> Result<serde_json::Value> {
            let mut v = serde_json::to_value(a)?;
            if update {
                v["update"] = true.into();
            }
            if let Some(asset) = asset {
                v["asset"] = asset.json.clone();
            }
            Ok(v)
        };
        if let Some(f) = &self.forward {
            f.send(json(asset.as_ref())?);
        }
        if self.text {
            let when = chrono::DateTime::from_timestamp(a.ts as i64, 0)
                .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                .unwrap_or_default();
            let mut line = format!("{when} {:<8} {:<28} {}", severity(a), a.rule, a.explanation);
            if a.count > 1 {
                line.push_str(&format!(" (x{})", a.count));
            }
            if let Some(asset) = &asset {
                line.push_str(&format!(" {}", asset.summary));
            }
            buf.extend_from_slice(line.as_bytes());
        } else {
            serde_json::to_writer(&mut *buf, &json(asset.as_ref())?)?;
        }
        buf.push(b'\n');
        Ok(())
    }

    fn emit(&mut self, bytes: &[u8]) -> io::Result<()> {
        let Destination::Rotating {
            path,
            max_bytes,
            keep,
        } = &self.destination
        else {
            let mut out = io::stdout().lock();
            out.write_all(bytes)?;
            return out.flush();
        };
        if self.written > 0 && self.written + bytes.len() as u64 > *max_bytes {
            let (path, keep) = (path.clone(), *keep);
            if let Some(mut f) = self.file.take() {
                f.flush()?;
            }
            rotate(&path, keep)?;
            self.reopen(&path).map_err(io::Error::other)?;
        }
        let f = self.file.as_mut().expect("opened");
        f.write_all(bytes)?;
        f.flush()?;
        self.written += bytes.len() as u64;
        Ok(())
    }

    fn reopen(&mut self, path: &Path) -> Result<()> {
        let f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("opening {}", path.display()))?;
        self.written = f.metadata().map(|m| m.len()).unwrap_or(0);
        self.file = Some(BufWriter::new(f));
        Ok(())
    }
}

fn severity(a: &Alert) -> String {
    serde_json::to_value(a.severity)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// FILE.(keep-1) -> FILE.keep, ..., FILE -> FILE.1; the oldest is removed.
fn rotate(path: &Path, keep: usize) -> io::Result<()> {
    let numbered = |n: usize| {
        let mut p = path.as_os_str().to_owned();
        p.push(format!(".{n}"));
        PathBuf::from(p)
    };
    if keep == 0 {
        return std::fs::remove_file(path);
    }
    let _ = std::fs::remove_file(numbered(keep));
    for n in (1..keep).rev() {
        let from = numbered(n);
        if from.exists() {
            std::fs::rename(&from, numbered(n + 1))?;
        }
    }
    std::fs::rename(path, numbered(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_keeps_the_newest_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("alerts.jsonl");
        for round in 0..4 {
            std::fs::write(&path, format!("round {round}\n")).unwrap();
            rotate(&path, 2).unwrap();
        }
        assert!(!path.exists());
        let read = |n: usize| {
            std::fs::read_to_string(dir.path().join(format!("alerts.jsonl.{n}"))).unwrap()
        };
        assert_eq!(read(1), "round 3\n");
        assert_eq!(read(2), "round 2\n");
        assert!(!dir.path().join("alerts.jsonl.3").exists());
    }
}
