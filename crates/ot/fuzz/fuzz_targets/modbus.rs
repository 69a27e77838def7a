#![no_main]
//! Modbus/TCP framing and parsing on arbitrary stream bytes.

use kensa_ot::decode::{Frame, modbus};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Frame::Complete(n) = modbus::frame(data) {
        assert!(n <= data.len());
        let _ = modbus::parse(&data[..n], false);
        let _ = modbus::parse(&data[..n], true);
    }
    let _ = modbus::parse(data, true);
});
