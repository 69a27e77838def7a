#![no_main]
//! The whole pipeline on an arbitrary capture file: pcap/pcapng reading,
//! link and IP layers, TCP reassembly and every decoder.

use kensa_ot::{PipelineConfig, decode_capture};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut events = 0u64;
    if let Ok(stats) = decode_capture(data, PipelineConfig::default(), &mut |_| events += 1) {
        assert_eq!(events, stats.total_pdus() + stats.total_malformed());
    }
});
