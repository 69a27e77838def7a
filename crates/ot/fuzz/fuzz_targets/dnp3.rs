#![no_main]
//! DNP3: link framing and CRCs, transport reassembly over a sequence of
//! frames, and application/object header parsing.

use kensa_ot::decode::{Frame, dnp3};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut reassembler = dnp3::Reassembler::default();
    let mut objects = Vec::new();
    let mut rest = data;
    while let Frame::Complete(n) = dnp3::frame(rest) {
        assert!(n <= rest.len());
        if let Ok(link) = dnp3::parse_link(&rest[..n])
            && let dnp3::Reassembled::Fragment(fragment) = reassembler.push(link.user_data())
        {
            let _ = dnp3::parse_app(fragment, &mut objects);
        }
        rest = &rest[n..];
    }
    let _ = dnp3::parse_app(data, &mut objects);
});
