//! Roles a host plays, inferred from what it did: industrial roles from the
//! decoded protocols, IT roles from the services it answered.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::Protocol;
use crate::service::Service;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
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
