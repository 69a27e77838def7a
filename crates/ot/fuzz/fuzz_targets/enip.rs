#![no_main]
//! EtherNet/IP encapsulation, CPF items and CIP (including Multiple
//! Service Packets), and class 0/1 I/O datagrams.

use kensa_ot::decode::{Frame, enip};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut embedded = Vec::new();
    if let Frame::Complete(n) = enip::frame(data) {
        assert!(n <= data.len());
        let _ = enip::parse(&data[..n], &mut embedded);
    }
    let _ = enip::parse_io(data);
});
