//! Passive asset inventory: every host seen speaking an industrial
//! protocol, with its MAC addresses and their OUI vendor, the protocols it
//! served or used and its peers, roles inferred from behaviour, and the
//! identity the protocols revealed (see [`crate::identity`]). Renders as
//! JSON or as a CycloneDX 1.6 hardware/firmware BOM.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::Read;
use std::net::IpAddr;

use serde::Serialize;
use serde_json::{Value, json};

use crate::Protocol;
use crate::capture::CaptureError;
use crate::event::{Event, Transport};
use crate::identity::{self, Identity};
use crate::observe::{Observer, PacketView, observe_capture};
use crate::ops::{self, Category};
use crate::oui::{self, format_mac};
use crate::pipeline::PipelineConfig;
use crate::service::Service;

/// Hosts kept; more are counted in `hosts_dropped`.
pub const MAX_DEVICES: usize = 50_000;
const MAX_PEERS: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Serves Modbus, S7comm or EtherNet/IP requests (PLC, RTU, I/O adapter).
    Controller,
    /// Serves DNP3 or IEC 60870-5-104 (outstation / controlled station).
    Outstation,
    /// Polls DNP3 or IEC 60870-5-104 outstations.
    Master,
    /// Reads and writes process data in controllers.
    Hmi,
    /// Downloaded or uploaded programs, stopped/started or restarted devices.
    EngineeringWorkstation,
    /// Serves SMB, FTP or TFTP.
    FileServer,
    /// Serves SSH, Telnet, RDP or VNC.
    RemoteAccessServer,
    /// Serves HTTP or TLS.
    WebServer,
    /// Serves DNS or NetBIOS names.
    NameServer,
    DhcpServer,
    TimeServer,
    /// Answers SNMP (switches, routers, managed devices).
    ManagedDevice,
    /// Serves printing (LPD, IPP, JetDirect).
    Printer,
    /// Uses IT services and serves none.
    Workstation,
}

impl Role {
    /// How much an attack on a host of this role matters: controllers and
    /// outstations run the process; the hosts that command them come next;
    /// printers and plain workstations last.
    pub fn weight(self) -> i8 {
        match self {
            Role::Controller | Role::Outstation => 2,
            Role::Master | Role::Hmi | Role::EngineeringWorkstation => 1,
            Role::Printer | Role::Workstation => -1,
            _ => 0,
        }
    }
}

/// The roles a host's industrial behaviour shows.
pub fn ics_roles(
    serves: &BTreeSet<Protocol>,
    uses: &BTreeSet<Protocol>,
    engineering: bool,
) -> BTreeSet<Role> {
    let mut roles = BTreeSet::new();
    for p in serves {
        roles.insert(match p {
            Protocol::Dnp3 | Protocol::Iec104 => Role::Outstation,
            _ => Role::Controller,
        });
    }
    for p in uses {
        roles.insert(match p {
            Protocol::Dnp3 | Protocol::Iec104 => Role::Master,
            _ if engineering => Role::EngineeringWorkstation,
            _ => Role::Hmi,
        });
    }
    roles
}

/// The roles the IT services a host answered show; a host that only used
/// services is a workstation.
pub fn it_roles(serves: &BTreeSet<Service>, uses_any: bool) -> BTreeSet<Role> {
    let mut roles: BTreeSet<Role> = serves
        .iter()
        .filter_map(|s| {
            Some(match s {
                Service::Smb | Service::Ftp | Service::FtpData | Service::Tftp => Role::FileServer,
                Service::Ssh | Service::Telnet | Service::Rdp | Service::Vnc => {
                    Role::RemoteAccessServer
                }
                Service::Http | Service::Tls => Role::WebServer,
                Service::Dns | Service::Netbios => Role::NameServer,
                Service::Dhcp => Role::DhcpServer,
                Service::Ntp => Role::TimeServer,
                Service::Snmp => Role::ManagedDevice,
                Service::Printing => Role::Printer,
                _ => return None,
            })
        })
        .collect();
    if roles.is_empty() && uses_any {
        roles.insert(Role::Workstation);
    }
    roles
}

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
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identity: Vec<Identity>,
    #[serde(skip)]
    engineering: bool,
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
    identities: BTreeMap<IpAddr, Vec<Identity>>,
    /// CIP identity requests awaiting their reply: (client, port, server).
    cip_pending: HashSet<(IpAddr, u16, IpAddr)>,
    captures: Vec<String>,
    dropped: u64,
}

impl InventoryBuilder {
    pub fn add_capture<R: Read>(&mut self, name: &str, input: R) -> Result<(), CaptureError> {
        self.captures.push(name.to_string());
        self.cip_pending.clear();
        observe_capture(input, PipelineConfig::default(), self)?;
        Ok(())
    }

    fn device(&mut self, ip: IpAddr) -> Option<&mut Device> {
        if !self.devices.contains_key(&ip) && self.devices.len() >= MAX_DEVICES {
            self.dropped += 1;
            return None;
        }
        Some(self.devices.entry(ip).or_insert_with(|| Device {
            ip: ip.to_string(),
            ..Device::default()
        }))
    }

    fn add_identity(&mut self, ip: IpAddr, id: Identity) {
        let list = self.identities.entry(ip).or_default();
        // Replies of one source (e.g. several SZL reads) complete each other.
        if let Some(same) = list.iter_mut().find(|i| i.source == id.source) {
            merge_identity(same, id);
        } else if list.len() < 8 {
            list.push(id);
        }
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
            d.identity = self.identities.remove(&ip).unwrap_or_default();
            d.roles = ics_roles(&d.serves, &d.uses, d.engineering);
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

fn merge_identity(into: &mut Identity, from: Identity) {
    macro_rules! fill {
        ($($f:ident),*) => { $( if into.$f.is_none() { into.$f = from.$f; } )* };
    }
    fill!(
        vendor,
        vendor_id,
        device_type,
        product_code,
        product_name,
        model,
        order_number,
        revision,
        serial
    );
}

fn parse_mac(s: &str) -> Option<oui::Mac> {
    let mut m = [0u8; 6];
    let mut parts = s.split(':');
    for b in &mut m {
        *b = u8::from_str_radix(parts.next()?, 16).ok()?;
    }
    Some(m)
}

impl Observer for InventoryBuilder {
    fn packet(&mut self, p: &PacketView<'_>) {
        if let Some(mac) = p.src_mac {
            let set = self.macs.entry(p.src.ip).or_default();
            if set.len() < 8 {
                set.insert(format_mac(&mac));
            }
        }
        if p.payload.is_empty() {
            return;
        }
        let found = match (p.transport, p.src.port, p.dst.port) {
            (Transport::Tcp, 502, _) => identity::modbus_device_id(p.payload),
            (Transport::Tcp, 102, _) => identity::s7_szl(p.payload),
            (_, 44818, _) => identity::enip_list_identity(p.payload).or_else(|| {
                let key = (p.dst.ip, p.dst.port, p.src.ip);
                if self.cip_pending.remove(&key) {
                    identity::cip_identity_reply(p.payload)
                } else {
                    None
                }
            }),
            (Transport::Tcp, _, 44818) => {
                if identity::is_cip_identity_request(p.payload) && self.cip_pending.len() < 4096 {
                    self.cip_pending.insert((p.src.ip, p.src.port, p.dst.ip));
                }
                None
            }
            _ => None,
        };
        if let Some(id) = found {
            self.add_identity(p.src.ip, id);
        }
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

/// A CPE 2.3 name for the firmware, where the identity pins it down:
/// Siemens SIMATIC S7 CPUs by order-number family.
pub fn firmware_cpe(id: &Identity) -> Option<String> {
    let version = id.revision.as_deref()?;
    let order = id.order_number.as_deref()?.replace(' ', "");
    let family = if order.starts_with("6ES721") {
        "simatic_s7-1200_cpu"
    } else if order.starts_with("6ES731") {
        "simatic_s7-300_cpu"
    } else if order.starts_with("6ES741") {
        "simatic_s7-400_cpu"
    } else if order.starts_with("6ES751") {
        "simatic_s7-1500_cpu"
    } else {
        return None;
    };
    Some(format!(
        "cpe:2.3:o:siemens:{family}_firmware:{version}:*:*:*:*:*:*:*"
    ))
}

fn cdx_properties(d: &Device) -> Vec<Value> {
    let mut props = vec![json!({"name": "kensa:ot:ip", "value": d.ip})];
    for m in &d.macs {
        props.push(json!({"name": "kensa:ot:mac", "value": m}));
    }
    if let Some(v) = d.mac_vendor {
        props.push(json!({"name": "kensa:ot:mac-vendor", "value": v}));
    }
    for r in &d.roles {
        props.push(json!({"name": "kensa:ot:role", "value": r}));
    }
    for p in d.serves.iter().chain(&d.uses) {
        props.push(json!({"name": "kensa:ot:protocol", "value": p}));
    }
    props
}

impl Inventory {
    /// A CycloneDX 1.6 BOM: one `device` component per host, with a nested
    /// `firmware` component where a protocol revealed a revision.
    pub fn to_cyclonedx(&self) -> Value {
        let components: Vec<Value> = self
            .devices
            .iter()
            .map(|d| {
                let id = d.identity.first();
                let maker = id
                    .and_then(|i| i.vendor.clone())
                    .or(d.mac_vendor.map(str::to_string));
                let product = id
                    .and_then(|i| {
                        i.product_name
                            .clone()
                            .or(i.model.clone())
                            .or(i.order_number.clone())
                            .or(i.product_code.clone())
                    })
                    .unwrap_or_else(|| format!("host {}", d.ip));
                let mut c = json!({
                    "type": "device",
                    "bom-ref": format!("device:{}", d.ip),
                    "name": product,
                    "properties": cdx_properties(d),
                });
                if let Some(m) = &maker {
                    c["manufacturer"] = json!({"name": m});
                    c["supplier"] = json!({"name": m});
                }
                let firmware: Vec<Value> = d
                    .identity
                    .iter()
                    .filter(|i| i.revision.is_some())
                    .map(|i| {
                        let mut f = json!({
                            "type": "firmware",
                            "bom-ref": format!("firmware:{}:{}", d.ip, i.source),
                            "name": format!("{product} firmware"),
                            "version": i.revision,
                        });
                        if let Some(cpe) = firmware_cpe(i) {
                            f["cpe"] = json!(cpe);
                        }
                        if let Some(v) = &i.vendor {
                            f["supplier"] = json!({"name": v});
                        }
                        f
                    })
                    .collect();
                if !firmware.is_empty() {
                    c["components"] = json!(firmware);
                }
                c
            })
            .collect();
        json!({
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "version": 1,
            "metadata": {
                "tools": {"components": [{"type": "application", "name": "kensa ot inventory"}]},
                "properties": self.captures.iter()
                    .map(|c| json!({"name": "kensa:ot:capture", "value": c}))
                    .collect::<Vec<_>>(),
            },
            "components": components,
        })
    }
}
