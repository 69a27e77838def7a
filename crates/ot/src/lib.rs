//! Passive OT traffic decoding: capture files in, application PDUs out.
//!
//! The layers mirror the packet: [`capture`] reads pcap/pcapng records,
//! [`link`] strips Ethernet/VLAN/SLL headers, [`ip`] parses IPv4/IPv6 and the
//! transport header, [`tcp`] reassembles byte streams per flow, and
//! [`decode`] holds one hand-written, bounded decoder per industrial
//! protocol. [`pipeline::Pipeline`] ties them together and reports each
//! application PDU (or malformed one) as an [`event::Event`].

pub mod baseline;
pub mod capture;
pub mod decode;
pub mod detect;
pub mod event;
pub mod identity;
pub mod inventory;
pub mod ip;
pub mod link;
pub mod monitor;
pub mod network;
pub mod observe;
pub mod ops;
pub mod oui;
pub mod pipeline;
pub mod service;
pub mod stats;
pub mod synth;
pub mod tcp;
pub mod values;
pub mod window;
pub mod wire;

pub use capture::{CaptureError, CaptureReader, Packet};
pub use event::{Endpoint, Event, EventKind, Protocol};
pub use pipeline::{Pipeline, PipelineConfig, decode_capture};
pub use stats::Stats;
