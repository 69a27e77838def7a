//! From an alert to the vulnerable asset: with a database, each alert is
//! given the asset it concerns (vendor, product, firmware, from the
//! identities the baseline and the traffic revealed), the known
//! vulnerabilities of that firmware with their triage priority (the same
//! scan and triage as `kensa scan`), and whether any is reachable through
//! the protocol or service the alert is about.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use anyhow::{Context, Result};
use kensa_matching::{ScanOptions, ScanReport, Scanner};
use kensa_ot::baseline::Baseline;
use kensa_ot::detect::Alert;
use kensa_ot::identity::Identity;
use kensa_ot::inventory::{Device, Inventory};
use kensa_store::Store;
use kensa_triage::{Triage, Triager};
use serde::Serialize;
use serde_json::json;

use crate::Ctx;

/// What an alert is given.
pub struct Annotation {
    pub json: serde_json::Value,
    /// `192.168.1.10, a Siemens CPU 315-2 PN/DP with firmware 3.2.7, which has ...`
    pub summary: String,
}

/// One known vulnerability of an asset's firmware.
#[derive(Debug, Clone, Serialize)]
pub struct AssetVuln {
    pub id: String,
    pub priority: Option<u8>,
    pub decision: Option<String>,
    /// From the CVSS vector: network, adjacent, local, physical.
    pub attack_vector: Option<&'static str>,
    #[serde(skip)]
    description: String,
}

#[derive(Debug, Clone)]
struct Asset {
    vendor: Option<String>,
    product: Option<String>,
    firmware: Option<String>,
    vulns: Vec<AssetVuln>,
}

pub struct Enricher {
    store: Store,
    triager: Triager,
    identities: BTreeMap<IpAddr, Vec<Identity>>,
    /// Scanned assets, with the identities they were scanned for.
    assets: HashMap<IpAddr, (Vec<Identity>, Asset)>,
}

/// Triage of a scan's findings, one verdict per vulnerability.
fn triage(
    store: &Store,
    report: &ScanReport,
    triager: &Triager,
) -> Result<BTreeMap<String, Triage>> {
    Ok(kensa_app::triage::triage_findings(
        store,
        &report.findings,
        triager,
    )?)
}

impl Enricher {
    /// An enricher when a database is named (`--db` or `KENSA_DB`), seeded
    /// with the identities the baseline learned.
    pub fn from_ctx(ctx: &Ctx, baseline: &Baseline) -> Result<Option<Enricher>> {
        let named = ctx.db.is_some() || std::env::var_os("KENSA_DB").is_some_and(|v| !v.is_empty());
        if !named {
            return Ok(None);
        }
        let store = ctx.open_existing()?;
        let mut e = Enricher {
            store,
            triager: Triager::default(),
            identities: BTreeMap::new(),
            assets: HashMap::new(),
        };
        for (ip, ids) in &baseline.assets {
            if let Ok(addr) = ip.parse() {
                e.learn(addr, ids);
            }
        }
        Ok(Some(e))
    }

    /// Identities revealed by the traffic being checked.
    pub fn learn_all(&mut self, identities: &BTreeMap<IpAddr, Vec<Identity>>) {
        for (ip, ids) in identities {
            self.learn(*ip, ids);
        }
    }

    fn learn(&mut self, ip: IpAddr, ids: &[Identity]) {
        let mine = self.identities.entry(ip).or_default();
        for id in ids {
            match mine.iter_mut().find(|m| m.source == id.source) {
                Some(m) => kensa_ot::identity::merge(m, id.clone()),
                None => mine.push(id.clone()),
            }
        }
    }

    /// The asset an alert concerns, its vulnerabilities and their reach;
    /// `None` when nothing identifies it.
    pub fn annotate(&mut self, alert: &Alert) -> Option<Annotation> {
        let ip: IpAddr = target(alert).parse().ok()?;
        let ids = self.identities.get(&ip)?.clone();
        let stale = self.assets.get(&ip).is_none_or(|(seen, _)| *seen != ids);
        if stale {
            match self.scan(ip, &ids) {
                Ok(asset) => {
                    self.assets.insert(ip, (ids, asset));
                }
                Err(e) => {
                    eprintln!("warning: scanning the firmware of {ip}: {e:#}");
                    return None;
                }
            }
        }
        let (_, asset) = self.assets.get(&ip)?;
        Some(describe(ip, asset, alert))
    }

    fn scan(&self, ip: IpAddr, ids: &[Identity]) -> Result<Asset> {
        let first = ids.iter().find(|i| i.revision.is_some()).or(ids.first());
        let mut asset = Asset {
            vendor: first.and_then(|i| i.vendor.clone()),
            product: first.and_then(|i| {
                i.product_name
                    .clone()
                    .or(i.model.clone())
                    .or(i.order_number.clone())
            }),
            firmware: first.and_then(|i| i.revision.clone()),
            vulns: Vec::new(),
        };
        if asset.firmware.is_none() {
            return Ok(asset);
        }
        let inventory = Inventory {
            devices: vec![Device::identified(ip, ids.to_vec())],
            ..Inventory::default()
        };
        let bytes = serde_json::to_vec(&inventory.to_cyclonedx())?;
        let sbom = kensa_sbom::parse(&bytes, &kensa_sbom::ParseOptions::default())
            .map_err(|e| anyhow::anyhow!("the asset's CycloneDX: {e}"))?;
        let report = Scanner::new(&self.store)?.scan(&sbom, &ScanOptions::default())?;
        let triages = triage(&self.store, &report, &self.triager)?;
        for f in &report.findings {
            if asset.vulns.iter().any(|v| v.id == f.vulnerability.id) {
                continue;
            }
            let t = triages.get(&f.vulnerability.id);
            let description = self
                .store
                .vuln(&f.vulnerability.id)
                .with_context(|| format!("reading {}", f.vulnerability.id))?
                .and_then(|v| {
                    v.records
                        .iter()
                        .find_map(|r| r.record.description("en").map(str::to_string))
                })
                .unwrap_or_default();
            asset.vulns.push(AssetVuln {
                id: f.vulnerability.id.clone(),
                priority: t.map(|t| t.priority),
                decision: t.map(|t| t.ssvc.decision.clone()),
                attack_vector: t
                    .and_then(|t| t.cvss.as_ref())
                    .and_then(|c| attack_vector(&c.vector)),
                description,
            });
        }
        asset.vulns.sort_by_key(|v| std::cmp::Reverse(v.priority));
        Ok(asset)
    }
}

/// The host an alert is about: the target of the action, or the address
/// whose binding changed.
fn target(a: &Alert) -> &str {
    match a.rule {
        "arp_spoofing" => &a.src,
        "new_host" if a.dst.is_empty() => &a.src,
        _ if a.dst.is_empty() => &a.src,
        _ => &a.dst,
    }
}

fn attack_vector(vector: &str) -> Option<&'static str> {
    let av = vector.split('/').find_map(|m| m.strip_prefix("AV:"))?;
    Some(match av {
        "N" => "network",
        "A" => "adjacent",
        "L" => "local",
        "P" => "physical",
        _ => return None,
    })
}

/// What the alert is about, and the words and ports an advisory uses for it.
fn alert_terms(a: &Alert) -> Option<(String, Vec<&'static str>)> {
    let name = a.protocol.map(|p| p.name().to_string()).or_else(|| {
        a.evidence
            .get("service")
            .and_then(|s| s.as_str())
            .map(str::to_string)
    })?;
    let terms: &[&str] = match name.as_str() {
        "modbus" => &["modbus", "port 502", "502/tcp", "tcp/502"],
        "dnp3" => &["dnp3", "dnp 3", "port 20000", "20000/tcp"],
        "s7comm" | "s7comm-plus" => &[
            "s7comm",
            "s7 communication",
            "s7-plus",
            "iso-tsap",
            "iso-on-tcp",
            "port 102",
            "102/tcp",
            "tcp/102",
            "tcp port 102",
        ],
        "enip" => &[
            "ethernet/ip",
            "enip",
            "cip",
            "44818",
            "common industrial protocol",
        ],
        "iec104" => &["60870-5-104", "iec 104", "iec-104", "port 2404"],
        "http" | "tls" => &[
            "http",
            "https",
            "web server",
            "web interface",
            "webserver",
            "port 80",
            "port 443",
        ],
        "ssh" => &["ssh"],
        "telnet" => &["telnet"],
        "ftp" | "ftp-data" => &["ftp"],
        "tftp" => &["tftp"],
        "smb" | "netbios" => &["smb", "server message block", "netbios", "port 445"],
        "rdp" => &["rdp", "remote desktop"],
        "vnc" => &["vnc"],
        "snmp" => &["snmp"],
        "dns" => &["dns"],
        "ntp" => &["ntp"],
        _ => &[],
    };
    Some((label_of(&name), terms.to_vec()))
}

fn label_of(name: &str) -> String {
    name.parse::<kensa_ot::service::Service>()
        .map(|s| s.label().to_string())
        .unwrap_or_else(|_| name.to_string())
}

/// Whether `text` names `term` as a word (not inside another word).
fn names(text: &str, term: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.match_indices(term).any(|(at, _)| {
        let before = lower[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_ascii_alphanumeric());
        let after = lower[at + term.len()..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_ascii_alphanumeric());
        before && after
    })
}

fn describe(ip: IpAddr, asset: &Asset, alert: &Alert) -> Annotation {
    let terms = alert_terms(alert);
    let vulns: Vec<serde_json::Value> = asset
        .vulns
        .iter()
        .map(|v| {
            let over_network = matches!(v.attack_vector, Some("network" | "adjacent"));
            let via = terms.as_ref().and_then(|(label, ts)| {
                let term = ts.iter().find(|t| names(&v.description, t))?;
                over_network.then(|| (label.clone(), *term))
            });
            json!({
                "id": v.id,
                "priority": v.priority,
                "decision": v.decision,
                "attack_vector": v.attack_vector,
                "reachable_via": via.as_ref().map(|(l, _)| l),
                "why": via.as_ref().map(|(_, t)| format!("the description names {t:?} and the attack vector is {}", v.attack_vector.unwrap_or("?"))),
            })
        })
        .collect();
    let reachable = vulns.iter().any(|v| !v["reachable_via"].is_null());
    let what = match (&asset.vendor, &asset.product) {
        (Some(v), Some(p)) => format!("a {v} {p}"),
        (None, Some(p)) => format!("a {p}"),
        (Some(v), None) => format!("a {v} device"),
        (None, None) => "a device".to_string(),
    };
    let firmware = asset
        .firmware
        .as_ref()
        .map_or(String::new(), |f| format!(" with firmware {f}"));
    let has = if asset.vulns.is_empty() {
        ", with no known vulnerabilities in the database".to_string()
    } else {
        let listed: Vec<String> = vulns
            .iter()
            .take(3)
            .map(|v| {
                let mut parts = Vec::new();
                if let Some(p) = v["priority"].as_u64() {
                    parts.push(format!("priority {p}"));
                }
                match v["attack_vector"].as_str() {
                    Some("network") => parts.push("remote".into()),
                    Some(av) => parts.push(av.into()),
                    None => {}
                }
                if let Some(via) = v["reachable_via"].as_str() {
                    parts.push(format!("via {via}"));
                }
                format!("{} ({})", v["id"].as_str().unwrap_or(""), parts.join(", "))
            })
            .collect();
        let more = asset.vulns.len().saturating_sub(3);
        format!(
            ", which has {}{}",
            listed.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        )
    };
    let summary = format!("[{ip}, {what}{firmware}{has}]");
    Annotation {
        json: json!({
            "ip": ip.to_string(),
            "vendor": asset.vendor,
            "product": asset.product,
            "firmware": asset.firmware,
            "vulnerabilities": vulns,
            "reachable_via_alert": reachable,
            "summary": summary.trim_start_matches('[').trim_end_matches(']'),
        }),
        summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_are_whole_words_and_vectors_parse() {
        assert!(names(
            "Crafted packets to TCP port 102 cause a defect mode",
            "port 102"
        ));
        assert!(!names("the recipient list", "cip"));
        assert!(names("via CIP messages", "cip"));
        assert_eq!(attack_vector("AV:N/AC:L/Au:N/C:N/I:N/A:C"), Some("network"));
        assert_eq!(
            attack_vector("CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            Some("adjacent")
        );
    }
}
