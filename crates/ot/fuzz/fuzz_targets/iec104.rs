#![no_main]
//! IEC 60870-5-104 APCI framing and ASDU parsing.

use kensa_ot::decode::{Frame, iec104};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut ioas = Vec::new();
    if let Frame::Complete(n) = iec104::frame(data) {
        assert!(n <= data.len());
        let _ = iec104::parse(&data[..n], &mut ioas);
    }
    let _ = iec104::parse(data, &mut ioas);
});
