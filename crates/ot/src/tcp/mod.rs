//! TCP byte-stream reassembly and the flow table.
//!
//! Each direction of a flow is a [`Stream`]: it hands the application
//! decoder contiguous bytes in sequence order, trims retransmitted bytes,
//! holds out-of-order segments in a small bounded list, and caps the bytes
//! it keeps. A stream seen mid-connection starts at the first sequence
//! number it sees. When a limit is hit the stream skips ahead and says so;
//! memory per flow never exceeds the configured caps.

mod flow;
mod stream;

pub use flow::{Flow, FlowKey, FlowTable, Side};
pub use stream::{Consume, IngestReport, Origin, Stream, StreamLimits};
