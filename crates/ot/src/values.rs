//! Polled process values, which the decoded events do not carry: Modbus
//! read responses hold register values but not their addresses, so each
//! Read Holding/Input Registers request is remembered by transaction id and
//! its response's values are given the addresses it asked for. Works on
//! segments that start on an ADU boundary (the usual case for polling).

use std::collections::HashMap;
use std::net::IpAddr;

use crate::event::Transport;
use crate::observe::PacketView;

/// Outstanding requests remembered at most (the oldest half is dropped).
const MAX_PENDING: usize = 4096;

/// One register value a server reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegisterValue {
    pub server: IpAddr,
    pub unit: u8,
    /// 3 = holding registers, 4 = input registers.
    pub function: u8,
    pub address: u16,
    pub value: u16,
}

impl RegisterValue {
    /// The point's name in baselines: `server/unit/table/address`.
    pub fn point_key(&self) -> String {
        let table = if self.function == 3 { "hr" } else { "ir" };
        format!("{}/{}/{table}/{}", self.server, self.unit, self.address)
    }
}

/// A read request awaiting its response: (unit, function, address, quantity).
type Request = (u8, u8, u16, u16);

#[derive(Debug, Default)]
pub struct ModbusValues {
    /// (client, server, transaction id) -> the request.
    pending: HashMap<(IpAddr, IpAddr, u16), Request>,
}

impl ModbusValues {
    /// Reads the ADUs of a Modbus/TCP segment (port 502); calls `out` for
    /// each register value in responses that match a remembered request.
    pub fn packet(&mut self, p: &PacketView<'_>, out: &mut dyn FnMut(RegisterValue)) {
        if p.transport != Transport::Tcp || (p.dst.port != 502 && p.src.port != 502) {
            return;
        }
        let to_server = p.dst.port == 502;
        let mut rest = p.payload;
        while rest.len() >= 8 {
            let len = u16::from_be_bytes([rest[4], rest[5]]) as usize;
            if rest[2] != 0 || rest[3] != 0 || !(2..=254).contains(&len) || rest.len() < 6 + len {
                return;
            }
            let (adu, tail) = rest.split_at(6 + len);
            rest = tail;
            let txid = u16::from_be_bytes([adu[0], adu[1]]);
            let (unit, fc) = (adu[6], adu[7]);
            if !matches!(fc, 3 | 4) {
                continue;
            }
            if to_server && adu.len() >= 12 {
                if self.pending.len() >= MAX_PENDING {
                    self.pending.clear();
                }
                let addr = u16::from_be_bytes([adu[8], adu[9]]);
                let qty = u16::from_be_bytes([adu[10], adu[11]]);
                self.pending
                    .insert((p.src.ip, p.dst.ip, txid), (unit, fc, addr, qty));
            } else if !to_server {
                let Some((u, f, addr, qty)) = self.pending.remove(&(p.dst.ip, p.src.ip, txid))
                else {
                    continue;
                };
                if u != unit || f != fc {
                    continue;
                }
                let data = &adu[9.min(adu.len())..];
                for (i, w) in data.chunks_exact(2).take(qty as usize).enumerate() {
                    out(RegisterValue {
                        server: p.src.ip,
                        unit,
                        function: fc,
                        address: addr.wrapping_add(i as u16),
                        value: u16::from_be_bytes([w[0], w[1]]),
                    });
                }
            }
        }
    }
}
