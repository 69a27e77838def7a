#![no_main]
//! TPKT/COTP framing and S7comm / S7comm-plus header parsing.

use kensa_ot::decode::{Frame, s7comm};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Frame::Complete(n) = s7comm::frame(data) {
        assert!(n <= data.len());
        if let Ok(cotp) = s7comm::parse_cotp(&data[..n]) {
            let _ = s7comm::parse(cotp.payload);
        }
    }
    let _ = s7comm::parse(data);
});
