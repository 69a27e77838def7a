//! Passive asset inventory: every host seen on the network, with its MAC
//! addresses and their OUI vendor, the services it answered and used (IT
//! and industrial), the industrial protocols it served or used and its
//! peers, roles inferred from behaviour, and the identity the protocols
//! revealed (see [`crate::identity`]). Renders as JSON or as a CycloneDX
//! 1.6 hardware/firmware BOM.

mod cyclonedx;
mod roles;

pub use cyclonedx::firmware_cpe;
pub use roles::{Role, ics_roles, it_roles};

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::net::IpAddr;

use serde::Serialize;

use crate::Protocol;
use crate::capture::CaptureError;
use crate::event::Event;
use crate::identity::{Identity, IdentityReader};
use crate::network::{Conversation, NetEvent, is_group};
use crate::observe::{Observer, PacketView, observe_capture};
use crate::ops::{self, Category};
use crate::oui::{self, format_mac};
use crate::pipeline::PipelineConfig;
use crate::service::Service;

/// Hosts kept; more are counted in `hosts_dropped`.
pub const MAX_DEVICES: usize = 50_000;
const MAX_PEERS: usize = 256;

#[derive(Debug, Clone, Default, Serialize)]
pub struct Device {
    pub ip: String,
    pub macs: BTreeSet<String>,
    /// Vendor of the first MAC whose OUI the embedded table lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac_vendor: Option<&'static str>,
    pub roles: BTreeSet<Role>,
    /// Protocols the host served (as the PLC/outstation side).
    pub serves: BTreeSet<Protocol>,
    /// Protocols the host used as a client.
    pub uses: BTreeSet<Protocol>,
    pub peers: BTreeSet<String>,
    pub pdus: u64,
    /// Every service it answered (`role: server`) or used (`client`).
    pub services: Vec<ServiceUse>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identity: Vec<Identity>,
    #[serde(skip)]
    engineering: bool,
    #[serde(skip)]
    service_map: BTreeMap<(String, &'static str, String, u16), ServiceUse>,
    #[serde(skip)]
    answered: BTreeSet<Service>,
}

impl Device {
    /// A device known by its address and identities only (for scanning
    /// the firmware of an asset an alert concerns).
    pub fn identified(ip: IpAddr, identity: Vec<Identity>) -> Device {
        Device {
            ip: ip.to_string(),
            identity,
            ..Device::default()
        }
    }
}

/// One service a host answered or used.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ServiceUse {
    /// `ssh`, `modbus`, or `tcp/4444` when not recognised.
    pub service: String,
    /// `server` (it answered) or `client` (it used the service).
    pub role: &'static str,
    pub transport: String,
    /// The server's port.
    pub port: u16,
    pub conversations: u64,
    /// Attempts refused or unanswered.
    pub failed: u64,
    pub bytes: u64,
    /// Distinct hosts on the other end.
    pub peers: u64,
    #[serde(skip)]
    peer_set: BTreeSet<IpAddr>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Inventory {
    pub captures: Vec<String>,
    pub devices: Vec<Device>,
    pub hosts_dropped: u64,
}

#[derive(Default)]
pub struct InventoryBuilder {
    devices: BTreeMap<IpAddr, Device>,
    macs: BTreeMap<IpAddr, BTreeSet<String>>,
    ids: IdentityReader,
    captures: Vec<String>,
    dropped: u64,
}

impl InventoryBuilder {
    /// Identities known from elsewhere (a baseline, an inventory file).
    pub fn add_identity(&mut self, ip: IpAddr, id: Identity) {
        self.ids.add(ip, id);
    }

    pub fn add_capture<R: Read>(&mut self, name: &str, input: R) -> Result<(), CaptureError> {
        self.captures.push(name.to_string());
        self.ids.new_capture();
        observe_capture(input, PipelineConfig::default(), self)?;
        Ok(())
    }

    fn device(&mut self, ip: IpAddr) -> Option<&mut Device> {
        // Broadcast and multicast addresses are not hosts.
        if is_group(ip) || ip.is_unspecified() {
            return None;
        }
        if !self.devices.contains_key(&ip) && self.devices.len() >= MAX_DEVICES {
            self.dropped += 1;
            return None;
        }
        Some(self.devices.entry(ip).or_insert_with(|| Device {
            ip: ip.to_string(),
            ..Device::default()
        }))
    }

    pub fn finish(mut self) -> Inventory {
        let mut devices = Vec::with_capacity(self.devices.len());
        for (ip, mut d) in std::mem::take(&mut self.devices) {
            d.macs = self.macs.remove(&ip).unwrap_or_default();
            d.mac_vendor = d
                .macs
                .iter()
                .filter_map(|m| parse_mac(m))
                .find_map(|m| oui::vendor(&m));
            d.identity = self.ids.identities.remove(&ip).unwrap_or_default();
            d.roles = ics_roles(&d.serves, &d.uses, d.engineering);
            let used_any = d.service_map.keys().any(|k| k.1 == "client");
            let it = it_roles(&d.answered, used_any);
            if d.roles.is_empty() || !it.contains(&Role::Workstation) {
                d.roles.extend(it);
            }
            d.services = std::mem::take(&mut d.service_map).into_values().collect();
            devices.push(d);
        }
        let mut captures = self.captures;
        captures.sort();
        Inventory {
            captures,
            devices,
            hosts_dropped: self.dropped,
        }
    }
}

fn parse_mac(s: &str) -> Option<oui::Mac> {
    let mut m = [0u8; 6];
    let mut parts = s.split(':');
    for b in &mut m {
        *b = u8::from_str_radix(parts.next()?, 16).ok()?;
    }
    Some(m)
}

impl InventoryBuilder {
    /// Adds a finished conversation to both ends' services.
    fn conversation(&mut self, c: &Conversation) {
        let answered = c.answered() && !c.to_group;
        let sides = [
            (c.client.ip, c.server.ip, "client", true),
            (c.server.ip, c.client.ip, "server", answered),
        ];
        for (ip, peer, role, counts) in sides {
            if !counts || ip.is_unspecified() || is_group(ip) {
                continue;
            }
            let Some(d) = self.device(ip) else { continue };
            if role == "server"
                && let Some(s) = c.service
            {
                d.answered.insert(s);
            }
            let key = (c.service_key(), role, c.proto.name(), c.server.port);
            let u = d.service_map.entry(key).or_insert_with(|| ServiceUse {
                service: c.service_key(),
                role,
                transport: c.proto.name(),
                port: c.server.port,
                ..ServiceUse::default()
            });
            u.conversations += 1;
            u.failed += u64::from(c.state.failed());
            u.bytes += c.total_bytes();
            if u.peer_set.len() < MAX_PEERS {
                u.peer_set.insert(peer);
                u.peers = u.peer_set.len() as u64;
            }
            if !is_group(peer) && d.peers.len() < MAX_PEERS {
                d.peers.insert(peer.to_string());
            }
        }
    }
}

impl Observer for InventoryBuilder {
    fn wants_network(&self) -> bool {
        true
    }

    fn net(&mut self, n: &NetEvent<'_>) {
        match n {
            NetEvent::Ended { conv, .. } => self.conversation(conv),
            NetEvent::Arp { arp, .. } if !arp.sender_ip.is_unspecified() => {
                let ip = IpAddr::V4(arp.sender_ip);
                if self.device(ip).is_some() {
                    let set = self.macs.entry(ip).or_default();
                    if set.len() < 8 {
                        set.insert(format_mac(&arp.sender_mac));
                    }
                }
            }
            _ => {}
        }
    }

    fn packet(&mut self, p: &PacketView<'_>) {
        if let Some(mac) = p.src_mac {
            let set = self.macs.entry(p.src.ip).or_default();
            if set.len() < 8 {
                set.insert(format_mac(&mac));
            }
        }
        self.ids.packet(p);
    }

    fn event(&mut self, e: &Event<'_>) {
        if e.is_malformed() {
            return;
        }
        let (client, server) = ops::client_server(e);
        let engineering = e.to_server
            && ops::operation(e).is_some_and(|o| {
                matches!(
                    o.category,
                    Category::Program | Category::StopRun | Category::Firmware | Category::Restart
                )
            });
        if let Some(d) = self.device(server.ip) {
            d.serves.insert(e.protocol);
            d.pdus += 1;
            if d.peers.len() < MAX_PEERS {
                d.peers.insert(client.ip.to_string());
            }
        }
        if let Some(d) = self.device(client.ip) {
            d.uses.insert(e.protocol);
            d.pdus += 1;
            d.engineering |= engineering;
            if d.peers.len() < MAX_PEERS {
                d.peers.insert(server.ip.to_string());
            }
        }
    }
}
