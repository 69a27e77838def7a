//! What an event *does*, in protocol-neutral terms: a stable operation key
//! (the unit baselines learn and detection compares), a human name, a
//! category that says how dangerous an unexpected occurrence is, and the
//! address range it touches. One function per protocol.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::decode::{dnp3, modbus};
use crate::event::{Event, EventKind};
use crate::{Endpoint, Protocol};

/// How much an operation can change the process or the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Responses, acknowledgements, keep-alives, session set-up.
    Session,
    Read,
    /// Unclassified or vendor-specific operations.
    Other,
    Diagnostic,
    Write,
    /// Commands to outputs (DNP3 operate, IEC 104 commands).
    Control,
    /// Device settings: time, network, protocol or mode configuration.
    Configuration,
    File,
    Restart,
    /// CPU stop/run, PLC start/stop, application start/stop.
    StopRun,
    /// Program (block/logic) download or upload.
    Program,
    Firmware,
}

impl Category {
    pub fn name(self) -> &'static str {
        match self {
            Category::Session => "session",
            Category::Read => "read",
            Category::Other => "other",
            Category::Diagnostic => "diagnostic",
            Category::Write => "write",
            Category::Control => "control",
            Category::Configuration => "configuration",
            Category::File => "file",
            Category::Restart => "restart",
            Category::StopRun => "stop/run",
            Category::Program => "program transfer",
            Category::Firmware => "firmware",
        }
    }

    /// Operations that change the process, the program or the device.
    pub fn is_change(self) -> bool {
        self >= Category::Write
    }
}

/// An address range an operation touches: `space` names the table (e.g.
/// "unit 1 holding registers", "g30", "ca 1"), `lo..=hi` the addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressRange {
    pub space: String,
    pub lo: u32,
    pub hi: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// Stable identifier, unique within the protocol (e.g. "req fc=16").
    pub key: String,
    /// Human name, e.g. "WRITE_MULTIPLE_REGISTERS" or "PLC Stop".
    pub name: String,
    pub category: Category,
    pub ranges: Vec<AddressRange>,
}

/// Client and server of an event: the side that sent requests and the
/// side that served them (PLC, outstation, adapter).
pub fn client_server(e: &Event<'_>) -> (Endpoint, Endpoint) {
    if e.to_server {
        (e.src, e.dst)
    } else {
        (e.dst, e.src)
    }
}

/// The host pair an event belongs to, as `client>server`.
pub fn pair_key(client: IpAddr, server: IpAddr) -> String {
    format!("{client}>{server}")
}

/// Link supervision: IEC 104 S-format acknowledgements and TESTFR act/con,
/// DNP3 link-layer-only frames (link status, link reset and their
/// answers). Timers send them (IEC 60870-5-104 t2 and t3, the DNP3 link
/// keep-alive), so whether a learning window holds one depends on its length
/// and idle spells, not on what the hosts do; they carry no data and change
/// nothing. `key` is an operation key (`req …`/`rsp …`).
pub fn is_link_supervision(protocol: Protocol, key: &str) -> bool {
    let bare = key
        .strip_prefix("req ")
        .or_else(|| key.strip_prefix("rsp "))
        .unwrap_or(key);
    match protocol {
        Protocol::Iec104 => matches!(bare, "S" | "U TESTFR_ACT" | "U TESTFR_CON"),
        Protocol::Dnp3 => bare.starts_with("link="),
        _ => false,
    }
}

/// The request an IEC 104 reply confirms, as the key prefix of the
/// request's operations (`req type=T `): a confirmation or termination of
/// activation or deactivation (COT 7, 9, 10) of a control-direction ASDU
/// (commands 45..=69, system commands 100..=107, parameters 110..=113)
/// echoes the command's type and addresses and adds nothing to it.
pub fn iec104_confirmed_request(key: &str) -> Option<String> {
    let rest = key.strip_prefix("rsp type=")?;
    let (t, cot) = rest.split_once(" cot=")?;
    let t: u8 = t.parse().ok()?;
    let cot: u8 = cot.parse().ok()?;
    let control = matches!(t, 45..=69 | 100..=107 | 110..=113);
    (control && matches!(cot, 7 | 9 | 10)).then(|| format!("req type={t} "))
}

/// Classifies a decoded event; `None` for malformed events.
pub fn operation(e: &Event<'_>) -> Option<Operation> {
    let dir = if e.to_server { "req" } else { "rsp" };
    let op = match &e.kind {
        EventKind::Modbus(m) => modbus_op(m),
        EventKind::Dnp3(d) => dnp3_op(d)?,
        EventKind::S7comm(s) => s7_op(s),
        EventKind::S7commPlus(s) => s7_plus_op(s),
        EventKind::Enip(x) => enip_op(x),
        EventKind::Iec104(i) => iec104_op(i, e.to_server),
        EventKind::Malformed { .. } => return None,
    };
    let mut op = op;
    // Replies mirror requests: they never add danger of their own, but a new
    // kind of reply (an exception, an unsolicited response) is still news.
    if !e.to_server && e.protocol != Protocol::Iec104 && e.protocol != Protocol::Dnp3 {
        op.category = Category::Session;
        op.ranges.clear();
    }
    op.key = format!("{dir} {}", op.key);
    Some(op)
}

fn op(key: String, name: impl Into<String>, category: Category) -> Operation {
    Operation {
        key,
        name: name.into(),
        category,
        ranges: Vec::new(),
    }
}

fn modbus_op(m: &modbus::Modbus) -> Operation {
    use Category::*;
    let fc = m.function_code;
    let name = modbus::function_name(fc)
        .map(str::to_string)
        .unwrap_or_else(|| format!("function {fc}"));
    let category = match fc {
        1..=4 | 7 | 11 | 12 | 20 | 24 => Read,
        5 | 6 | 15 | 16 | 22 | 23 => Write,
        8 => Diagnostic,
        17 => Read,
        21 => File,
        43 => Read,
        _ => Other,
    };
    let mut key = format!("fc={fc}");
    if let Some(sub) = m.subfunction {
        key.push_str(&format!(" sub={sub}"));
    }
    if let Some(exc) = m.exception_code {
        key.push_str(&format!(" exception={exc}"));
    }
    let mut o = op(key, name, category);
    if !m.is_response && m.exception_code.is_none() {
        let table = match fc {
            1 | 5 | 15 => Some("coils"),
            2 => Some("discrete inputs"),
            3 | 6 | 16 | 22 | 23 => Some("holding registers"),
            4 => Some("input registers"),
            _ => None,
        };
        if let (Some(table), Some(addr)) = (table, m.address) {
            let qty = if matches!(fc, 5 | 6 | 22) {
                1
            } else {
                m.quantity.unwrap_or(1).max(1)
            };
            o.ranges.push(AddressRange {
                space: format!("unit {} {table}", m.unit_id),
                lo: addr as u32,
                hi: addr as u32 + qty as u32 - 1,
            });
        }
        if let (Some(addr), Some(qty)) = (m.write_address, m.write_quantity) {
            o.ranges.push(AddressRange {
                space: format!("unit {} holding registers", m.unit_id),
                lo: addr as u32,
                hi: addr as u32 + qty.max(1) as u32 - 1,
            });
        }
    }
    o
}

fn dnp3_op(d: &dnp3::Dnp3<'_>) -> Option<Operation> {
    use Category::*;
    // Link-layer-only frames (link status, reset) have no application function.
    let fc = match d.function_code {
        Some(fc) => fc,
        None => {
            return Some(op(
                format!("link={}", d.link_function),
                "link layer",
                Session,
            ));
        }
    };
    let name = dnp3::function_name(fc)
        .map(str::to_string)
        .unwrap_or_else(|| format!("function {fc}"));
    let category = match fc {
        0 | 129 | 130 | 131 => Session,
        1 | 7..=12 | 23 | 24 => Read,
        2 | 22 => Write,
        3..=6 => Control,
        13 | 14 => Restart,
        15 | 16 | 19 | 20 | 21 | 31 => Configuration,
        17 | 18 => StopRun,
        25..=30 => File,
        _ => Other,
    };
    let mut groups: Vec<u8> = d.objects.iter().map(|o| o.group).collect();
    groups.sort_unstable();
    groups.dedup();
    let mut key = format!("fc={fc}");
    if !groups.is_empty() {
        let g: Vec<String> = groups.iter().map(|g| format!("g{g}")).collect();
        key.push_str(&format!(" {}", g.join(",")));
    }
    let mut o = op(key, name, category);
    if fc < 129 {
        for obj in d.objects {
            if let (Some(lo), Some(hi)) = (obj.start, obj.stop) {
                o.ranges.push(AddressRange {
                    space: format!("g{}", obj.group),
                    lo: lo.min(hi),
                    hi: hi.max(lo),
                });
            }
        }
    }
    Some(o)
}

/// Names of S7comm job functions (parameter function code).
fn s7_job_name(fc: u16) -> Option<(&'static str, Category)> {
    use Category::*;
    Some(match fc {
        0x00 => ("CPU services", Other),
        0x04 => ("Read Variable", Read),
        0x05 => ("Write Variable", Write),
        0x1a => ("Request Download", Program),
        0x1b => ("Download Block", Program),
        0x1c => ("Download Ended", Program),
        0x1d => ("Start Upload", Program),
        0x1e => ("Upload", Program),
        0x1f => ("End Upload", Program),
        0x28 => ("PI-Service (PLC control)", StopRun),
        0x29 => ("PLC Stop", StopRun),
        0xf0 => ("Setup Communication", Session),
        _ => return None,
    })
}

/// Names of S7comm user-data function groups (low nibble of type/group).
fn s7_userdata_group(group: u8) -> (&'static str, Category) {
    use Category::*;
    match group {
        0 => ("mode transition", Other),
        1 => ("programmer commands", Diagnostic),
        2 => ("cyclic data", Read),
        3 => ("block functions", Read),
        4 => ("CPU functions (SZL)", Read),
        5 => ("security (password)", Configuration),
        6 => ("PBC", Other),
        7 => ("time functions", Configuration),
        _ => ("unknown group", Other),
    }
}

fn s7_plus_op(s: &crate::decode::s7comm::S7commPlus) -> Operation {
    use Category::*;
    let fc = s.function_code.unwrap_or(0);
    let (name, cat) = match fc {
        0x04ca => ("CreateObject", Configuration),
        0x04d4 => ("DeleteObject", Configuration),
        0x04f2 => ("SetVariable", Write),
        0x0542 => ("SetMultiVariables", Write),
        0x054c => ("GetMultiVariables", Read),
        0x0524 => ("GetVariable", Read),
        0x0586 => ("Explore", Read),
        0x0556 => ("BeginSequence", Session),
        0x0560 => ("EndSequence", Session),
        0x056b => ("Invoke", Other),
        0 => ("no function", Session),
        _ => ("function", Other),
    };
    op(
        format!("plus opcode={:#x} fc={fc:#06x}", s.opcode.unwrap_or(0)),
        format!("S7comm-plus {name}"),
        cat,
    )
}

/// S7 CPU operating modes (as pushed in mode-transition user data).
fn s7_cpu_mode(mode: u8) -> &'static str {
    match mode {
        0 => "STOP",
        1 => "warm restart",
        2 => "cold restart",
        3 => "hot restart",
        4 => "STARTUP",
        8 => "RUN",
        _ => "another mode",
    }
}

fn s7_op(s: &crate::decode::s7comm::S7comm) -> Operation {
    use Category::*;
    if let (Some(0), Some(mode)) = (s.function_group, s.cpu_mode) {
        // The CPU reports its own mode change: what it reports is news
        // (a STOP), but the operation is the CPU's, not a client's.
        return op(
            format!("userdata group=0 mode={mode}"),
            format!("CPU entered {}", s7_cpu_mode(mode)),
            Session,
        );
    }
    if let (Some(group), Some(sub)) = (s.function_group, s.subfunction) {
        let (name, mut cat) = s7_userdata_group(group);
        // Time group 7 sub-functions 1/3 read the clock, 2/4 set it.
        if group == 7 && matches!(sub, 1 | 3) {
            cat = Read;
        }
        return op(
            format!("userdata group={group} sub={sub}"),
            format!("user data: {name}, sub-function {sub}"),
            cat,
        );
    }
    let rosctr = s.rosctr;
    let fc = s.function_code.unwrap_or(0);
    let (name, cat) = match s.function_code {
        Some(fc) => s7_job_name(fc as u16).unwrap_or(("unknown function", Other)),
        None if rosctr == 2 => ("acknowledgement", Session),
        None => ("no function", Other),
    };
    op(format!("rosctr={rosctr} fc={fc:#04x}"), name, cat)
}

/// Names of common CIP object classes.
fn cip_class_name(class: u32) -> Option<&'static str> {
    Some(match class {
        0x01 => "Identity",
        0x02 => "Message Router",
        0x04 => "Assembly",
        0x06 => "Connection Manager",
        0x37 => "File",
        0x67 => "PCCC",
        0x6b => "Symbol",
        0x6c => "Template",
        0x8b => "Time Sync",
        0xf4 => "Port",
        0xf5 => "TCP/IP Interface",
        0xf6 => "Ethernet Link",
        _ => return None,
    })
}

fn cip_service_name(service: u8, class: Option<u32>) -> (String, Category) {
    use Category::*;
    let (name, cat) = match service {
        0x01 => ("Get_Attributes_All", Read),
        0x02 => ("Set_Attributes_All", Write),
        0x03 => ("Get_Attribute_List", Read),
        0x04 => ("Set_Attribute_List", Write),
        0x05 => ("Reset", Restart),
        0x06 => ("Start", StopRun),
        0x07 => ("Stop", StopRun),
        0x08 => ("Create", Configuration),
        0x09 => ("Delete", Configuration),
        0x0a => ("Multiple_Service_Packet", Read),
        0x0d => ("Apply_Attributes", Configuration),
        0x0e => ("Get_Attribute_Single", Read),
        0x10 => ("Set_Attribute_Single", Write),
        0x11 => ("Find_Next_Object_Instance", Read),
        0x15 => ("Restore", Configuration),
        0x16 => ("Save", Configuration),
        0x17 => ("No_Operation", Session),
        0x18 => ("Get_Member", Read),
        0x19 => ("Set_Member", Write),
        0x4b if class == Some(0x67) => ("Execute_PCCC", Other),
        0x4c if class == Some(0x6b) || class.is_none() => ("Read_Tag", Read),
        0x4d if class == Some(0x6b) || class.is_none() => ("Write_Tag", Write),
        0x4e if class == Some(0x06) => ("Forward_Close", Session),
        0x52 if class == Some(0x06) => ("Unconnected_Send", Session),
        0x52 => ("Read_Tag_Fragmented", Read),
        0x53 => ("Write_Tag_Fragmented", Write),
        0x54 if class == Some(0x06) => ("Forward_Open", Session),
        0x5b if class == Some(0x06) => ("Large_Forward_Open", Session),
        s if s >= 0x4b => ("class-specific service", Other),
        _ => ("service", Other),
    };
    let mut name = format!("{name} ({service:#04x})");
    let mut cat = cat;
    if let Some(c) = class {
        match cip_class_name(c) {
            Some(cn) => name.push_str(&format!(" on {cn}")),
            None => name.push_str(&format!(" on class {c:#x}")),
        }
        // Writing network, time or port settings reconfigures the device;
        // writing the File object replaces firmware or EDS files.
        if cat == Write && matches!(c, 0x8b | 0xf4 | 0xf5 | 0xf6) {
            cat = Configuration;
        }
        if c == 0x37 && cat >= Write {
            cat = File;
        }
    }
    (name, cat)
}

fn enip_op(x: &crate::decode::enip::Enip<'_>) -> Operation {
    use Category::*;
    let Some(cmd) = x.command else {
        return op("io".into(), "CIP class 0/1 I/O", Read);
    };
    let Some(service) = x.cip_service else {
        let (name, cat) = match cmd {
            0x00 => ("NOP", Session),
            0x04 => ("ListServices", Read),
            0x63 => ("ListIdentity", Read),
            0x64 => ("ListInterfaces", Read),
            0x65 => ("RegisterSession", Session),
            0x66 => ("UnRegisterSession", Session),
            _ => ("encapsulation command", Other),
        };
        return op(format!("cmd={cmd:#04x}"), name, cat);
    };
    let (name, cat) = cip_service_name(service, x.cip_class);
    let key = match x.cip_class {
        Some(c) => format!("svc={service:#04x} class={c:#x}"),
        None => format!("svc={service:#04x}"),
    };
    op(key, name, cat)
}

fn iec104_op(i: &crate::decode::iec104::Iec104<'_>, to_server: bool) -> Operation {
    use crate::decode::iec104::ApciFormat;
    use Category::*;
    match i.apci {
        ApciFormat::S => op("S".into(), "supervisory ack", Session),
        ApciFormat::U => op(
            format!("U {}", i.u_function.unwrap_or("?")),
            i.u_function.unwrap_or("U frame"),
            Session,
        ),
        ApciFormat::I => {
            let t = i.type_id.unwrap_or(0);
            let cat = match t {
                1..=44 | 70 => Read,
                45..=64 => Control,
                100..=102 | 106 | 107 => Read,
                103 => Configuration,
                104 => Diagnostic,
                105 => Restart,
                110..=113 => Configuration,
                120..=127 => File,
                _ => Other,
            };
            // A command from the outstation side is an echo/confirmation.
            let cat = if !to_server && cat >= Control {
                Session
            } else {
                cat
            };
            let name = match iec104_type_name(t) {
                Some(n) => format!("{n} (type {t})"),
                None => format!("ASDU type {t}"),
            };
            let mut o = op(format!("type={t} cot={}", i.cot.unwrap_or(0)), name, cat);
            if let (Some(ca), Some(lo), Some(hi)) =
                (i.common_address, i.ioas.iter().min(), i.ioas.iter().max())
            {
                o.ranges.push(AddressRange {
                    space: format!("ca {ca}"),
                    lo: *lo,
                    hi: *hi,
                });
            }
            o
        }
    }
}

/// IEC 60870-5-101/104 type identifications (companion standard names).
fn iec104_type_name(t: u8) -> Option<&'static str> {
    Some(match t {
        1 => "M_SP_NA_1",
        3 => "M_DP_NA_1",
        5 => "M_ST_NA_1",
        7 => "M_BO_NA_1",
        9 => "M_ME_NA_1",
        11 => "M_ME_NB_1",
        13 => "M_ME_NC_1",
        15 => "M_IT_NA_1",
        20 => "M_PS_NA_1",
        21 => "M_ME_ND_1",
        30 => "M_SP_TB_1",
        31 => "M_DP_TB_1",
        32 => "M_ST_TB_1",
        33 => "M_BO_TB_1",
        34 => "M_ME_TD_1",
        35 => "M_ME_TE_1",
        36 => "M_ME_TF_1",
        37 => "M_IT_TB_1",
        38 => "M_EP_TD_1",
        39 => "M_EP_TE_1",
        40 => "M_EP_TF_1",
        45 => "C_SC_NA_1 single command",
        46 => "C_DC_NA_1 double command",
        47 => "C_RC_NA_1 regulating step command",
        48 => "C_SE_NA_1 set point (normalised)",
        49 => "C_SE_NB_1 set point (scaled)",
        50 => "C_SE_NC_1 set point (float)",
        51 => "C_BO_NA_1 bitstring command",
        58 => "C_SC_TA_1 single command",
        59 => "C_DC_TA_1 double command",
        60 => "C_RC_TA_1 regulating step command",
        61 => "C_SE_TA_1 set point (normalised)",
        62 => "C_SE_TB_1 set point (scaled)",
        63 => "C_SE_TC_1 set point (float)",
        64 => "C_BO_TA_1 bitstring command",
        70 => "M_EI_NA_1 end of initialisation",
        100 => "C_IC_NA_1 interrogation",
        101 => "C_CI_NA_1 counter interrogation",
        102 => "C_RD_NA_1 read",
        103 => "C_CS_NA_1 clock synchronisation",
        104 => "C_TS_NA_1 test",
        105 => "C_RP_NA_1 reset process",
        106 => "C_CD_NA_1 delay acquisition",
        107 => "C_TS_TA_1 test",
        110 => "P_ME_NA_1 parameter (normalised)",
        111 => "P_ME_NB_1 parameter (scaled)",
        112 => "P_ME_NC_1 parameter (float)",
        113 => "P_AC_NA_1 parameter activation",
        120 => "F_FR_NA_1 file ready",
        121 => "F_SR_NA_1 section ready",
        122 => "F_SC_NA_1 call directory/file",
        123 => "F_LS_NA_1 last section",
        124 => "F_AF_NA_1 ack file",
        125 => "F_SG_NA_1 segment",
        126 => "F_DR_TA_1 directory",
        127 => "F_SC_NB_1 query log",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::dnp3::{Dnp3, ObjectHeader};
    use crate::decode::enip::Enip;
    use crate::decode::iec104::{ApciFormat, Iec104};
    use crate::event::Transport;

    fn event(protocol: Protocol, to_server: bool, kind: EventKind<'_>) -> Event<'_> {
        let ep = |last: u8, port: u16| Endpoint {
            ip: IpAddr::from([10, 0, 0, last]),
            port,
        };
        Event {
            frame: 1,
            ts_nanos: 0,
            src: ep(1, 40000),
            dst: ep(2, 20000),
            transport: Transport::Tcp,
            to_server,
            protocol,
            kind,
        }
    }

    #[test]
    fn dnp3_functions_and_object_ranges() {
        let objects = [ObjectHeader {
            group: 30,
            variation: 1,
            qualifier: 0,
            count: 10,
            start: Some(0),
            stop: Some(9),
        }];
        let mut d = Dnp3 {
            src: 1,
            dst: 10,
            link_control: 0xc4,
            from_master: true,
            primary: true,
            link_function: 4,
            transport: None,
            function_code: Some(1),
            app_control: None,
            iin: None,
            objects: &objects,
            objects_complete: Some(true),
        };
        let o = operation(&event(Protocol::Dnp3, true, EventKind::Dnp3(d))).unwrap();
        assert_eq!(
            (o.key.as_str(), o.category),
            ("req fc=1 g30", Category::Read)
        );
        assert_eq!(o.ranges[0].space, "g30");
        assert_eq!((o.ranges[0].lo, o.ranges[0].hi), (0, 9));
        d.function_code = Some(13);
        let o = operation(&event(Protocol::Dnp3, true, EventKind::Dnp3(d))).unwrap();
        assert_eq!(
            (o.name.as_str(), o.category),
            ("COLD_RESTART", Category::Restart)
        );
    }

    #[test]
    fn cip_and_iec104_categories() {
        let reset = Enip {
            command: Some(0x6f),
            cip_service: Some(0x05),
            cip_is_response: Some(false),
            cip_class: Some(1),
            ..Enip::default()
        };
        let o = operation(&event(Protocol::Enip, true, EventKind::Enip(reset))).unwrap();
        assert_eq!(o.name, "Reset (0x05) on Identity");
        assert_eq!(o.category, Category::Restart);
        // The PLC's reply to it is not itself a restart.
        let o = operation(&event(Protocol::Enip, false, EventKind::Enip(reset))).unwrap();
        assert_eq!(o.category, Category::Session);

        let ioas = [4001u32, 4003];
        let cmd = Iec104 {
            apci: ApciFormat::I,
            send_seq: Some(0),
            recv_seq: Some(0),
            u_function: None,
            type_id: Some(45),
            cot: Some(6),
            negative: None,
            test: None,
            originator: None,
            common_address: Some(1),
            sequence: None,
            num_objects: Some(2),
            ioas: &ioas,
        };
        let o = operation(&event(Protocol::Iec104, true, EventKind::Iec104(cmd))).unwrap();
        assert_eq!(o.category, Category::Control);
        assert_eq!(o.name, "C_SC_NA_1 single command (type 45)");
        assert_eq!((o.ranges[0].lo, o.ranges[0].hi), (4001, 4003));
        // Its confirmation echoes it; the outstation's data does not.
        let mut con = cmd;
        con.cot = Some(7);
        let o = operation(&event(Protocol::Iec104, false, EventKind::Iec104(con))).unwrap();
        assert_eq!(
            iec104_confirmed_request(&o.key).as_deref(),
            Some("req type=45 ")
        );
        assert_eq!(iec104_confirmed_request("rsp type=45 cot=47"), None);
        assert_eq!(iec104_confirmed_request("rsp type=13 cot=3"), None);
        assert_eq!(iec104_confirmed_request("req type=45 cot=6"), None);
    }

    #[test]
    fn link_supervision_is_keep_alives_and_transport_acks() {
        assert!(is_link_supervision(Protocol::Iec104, "req U TESTFR_ACT"));
        assert!(is_link_supervision(Protocol::Iec104, "rsp U TESTFR_CON"));
        assert!(is_link_supervision(Protocol::Iec104, "rsp S"));
        assert!(!is_link_supervision(Protocol::Iec104, "req U STOPDT_ACT"));
        assert!(!is_link_supervision(Protocol::Iec104, "req type=45 cot=6"));
        assert!(is_link_supervision(Protocol::Dnp3, "req link=9"));
        assert!(!is_link_supervision(Protocol::Dnp3, "req fc=13"));
        assert!(!is_link_supervision(Protocol::Modbus, "req S"));
    }
}
