//! Counters a decode run reports at the end.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::decode::Protocol;

#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
pub struct Stats {
    pub packets: u64,
    /// Captured bytes (caplen) of all packets.
    pub bytes: u64,
    /// Packets cut short by the capture's snaplen (caplen < origlen).
    pub truncated_packets: u64,
    /// The capture file ended inside a record.
    pub truncated_file: bool,
    /// pcapng blocks whose trailing length differs from the leading one, or
    /// whose options overrun the block; their packets are not decoded.
    pub malformed_blocks: u64,
    pub unsupported_link: u64,
    pub non_ip: u64,
    /// Frames too short for their own link, IP or transport headers.
    pub malformed_headers: u64,
    pub ip_fragments: u64,
    pub tcp_segments: u64,
    pub udp_datagrams: u64,
    pub flows: u64,
    pub flows_evicted: u64,
    /// Flows dropped after five minutes without a packet.
    pub flows_expired: u64,
    /// Flows carrying one of the decoded protocols.
    pub ot_flows: u64,
    pub retransmitted_bytes: u64,
    pub out_of_order_segments: u64,
    /// A per-flow memory bound was hit and buffered bytes were dropped.
    pub reassembly_overflows: u64,
    /// Bytes never seen (holes skipped in a stream).
    pub gap_bytes: u64,
    /// DNP3 application fragments dropped for exceeding the reassembly bound.
    pub dnp3_fragments_too_long: u64,
    pub pdus: BTreeMap<Protocol, u64>,
    pub malformed: BTreeMap<Protocol, u64>,
}

impl Stats {
    pub fn total_pdus(&self) -> u64 {
        self.pdus.values().sum()
    }

    pub fn total_malformed(&self) -> u64 {
        self.malformed.values().sum()
    }
}
