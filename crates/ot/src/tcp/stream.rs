//! One direction of a TCP connection.

/// Memory bounds for one direction of a flow.
#[derive(Debug, Clone, Copy)]
pub struct StreamLimits {
    /// Unconsumed in-order bytes kept while waiting for the rest of a PDU.
    pub max_buffered: usize,
    /// Bytes held in out-of-order segments waiting for a hole to fill.
    pub max_out_of_order_bytes: usize,
    /// Out-of-order segments held.
    pub max_out_of_order_segments: usize,
}

impl Default for StreamLimits {
    fn default() -> Self {
        Self {
            // The largest framed PDU (EtherNet/IP: 24 + 65535) fits.
            max_buffered: 96 * 1024,
            max_out_of_order_bytes: 256 * 1024,
            max_out_of_order_segments: 64,
        }
    }
}

/// What happened to one segment, for the statistics.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct IngestReport {
    /// Bytes already delivered (retransmissions, overlaps), dropped.
    pub retransmitted_bytes: usize,
    /// The segment arrived ahead of a hole and was held.
    pub out_of_order: bool,
    /// A limit was hit: buffered bytes or a hole were given up on.
    pub overflowed: bool,
    /// Bytes skipped because the hole before them never filled.
    pub gap_bytes: u64,
}

/// The packet that carried some stream bytes: PDUs are reported at the
/// frame that completed them, even when they were held for a while.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Origin {
    pub frame: u64,
    pub ts_nanos: i64,
}

/// The decoder's side of reassembly: given contiguous bytes and the packet
/// that brought the last of them, returns how many it used.
pub type Consume<'c> = dyn FnMut(&[u8], Origin) -> usize + 'c;

#[derive(Debug, Default)]
pub struct Stream {
    /// Sequence number of the next byte expected; `None` before any data.
    next_seq: Option<u32>,
    /// In-order bytes not yet consumed by the decoder.
    buf: Vec<u8>,
    /// Segments ahead of `next_seq`: (sequence number, bytes, origin).
    ahead: Vec<(u32, Vec<u8>, Origin)>,
    ahead_bytes: usize,
}

/// Signed distance from `b` to `a` in sequence space.
fn seq_diff(a: u32, b: u32) -> i32 {
    a.wrapping_sub(b) as i32
}

impl Stream {
    /// A SYN fixes the initial sequence number; data starts one after it.
    pub fn on_syn(&mut self, seq: u32) {
        let data_start = seq.wrapping_add(1);
        if self.next_seq != Some(data_start) {
            self.reset();
            self.next_seq = Some(data_start);
        }
    }

    pub fn reset(&mut self) {
        self.next_seq = None;
        self.buf.clear();
        self.ahead.clear();
        self.ahead_bytes = 0;
    }

    /// How many leading bytes of a segment were already delivered, when it
    /// re-sends some and adds new ones after them, at a point where no
    /// partial PDU is pending. Senders that repacketise do this, and so do
    /// injections that rewrite a stream; the new bytes then need not start
    /// a PDU.
    pub fn partly_delivered_at_boundary(&self, seq: u32, len: usize) -> Option<usize> {
        let next = self.next_seq?;
        let behind = seq_diff(next, seq);
        (behind > 0 && (behind as usize) < len && self.buf.is_empty()).then_some(behind as usize)
    }

    /// Bytes held by this direction (for memory accounting and tests).
    pub fn held_bytes(&self) -> usize {
        self.buf.len() + self.ahead_bytes
    }

    /// Adds one segment. `consume` is called with the contiguous bytes now
    /// available and returns how many it used (whole PDUs); the rest is kept
    /// for the next call. In the common in-order case with nothing buffered
    /// the segment's own bytes are passed without copying.
    pub fn ingest(
        &mut self,
        seq: u32,
        payload: &[u8],
        origin: Origin,
        limits: &StreamLimits,
        consume: &mut Consume<'_>,
    ) -> IngestReport {
        let mut report = IngestReport::default();
        if payload.is_empty() {
            return report;
        }
        let next = *self.next_seq.get_or_insert(seq);
        let ahead_by = seq_diff(seq, next);
        if ahead_by > 0 {
            self.hold_ahead(seq, payload, origin, limits, &mut report);
            if report.overflowed {
                self.skip_to_first_held(&mut report, origin, consume, limits);
            }
            return report;
        }
        // Drop what was already delivered (a retransmission or an overlap).
        let already = (-(ahead_by as i64)) as usize;
        if already >= payload.len() {
            report.retransmitted_bytes = payload.len();
            return report;
        }
        report.retransmitted_bytes = already;
        let fresh = &payload[already..];
        self.next_seq = Some(next.wrapping_add(fresh.len() as u32));
        if self.buf.is_empty() {
            let used = consume(fresh, origin).min(fresh.len());
            self.buf.extend_from_slice(&fresh[used..]);
        } else {
            self.buf.extend_from_slice(fresh);
            self.deliver(origin, consume);
        }
        self.drain_ahead(origin, consume);
        self.enforce_buffer_cap(limits, &mut report);
        report
    }

    /// A segment whose bytes were not captured (cut by snaplen): the
    /// partial PDU before it is lost, and the stream goes on after it.
    /// Returns the bytes skipped.
    pub fn skip(&mut self, seq: u32, wire_len: usize) -> u64 {
        let next = *self.next_seq.get_or_insert(seq);
        let end = seq.wrapping_add(wire_len as u32);
        if seq_diff(seq, next) > 0 || seq_diff(end, next) <= 0 {
            // Ahead of a hole, or wholly a retransmission: nothing to skip yet.
            return 0;
        }
        self.buf.clear();
        self.next_seq = Some(end);
        seq_diff(end, next) as u64
    }

    /// The peer acknowledged bytes of this direction that were never
    /// captured (a filtered capture, a lossy tap): they will not come. The
    /// partial PDU before the hole is given up and the stream goes on at
    /// the earliest held segment the acknowledgement reaches, or at the
    /// acknowledged position.
    pub fn on_peer_ack(
        &mut self,
        ack: u32,
        limits: &StreamLimits,
        consume: &mut Consume<'_>,
    ) -> IngestReport {
        let mut report = IngestReport::default();
        let Some(next) = self.next_seq else {
            return report;
        };
        if seq_diff(ack, next) <= 0 {
            return report;
        }
        let first_held = self
            .ahead
            .iter()
            .map(|(s, _, _)| *s)
            .min_by_key(|s| seq_diff(*s, next));
        match first_held {
            Some(first) if seq_diff(first, ack) <= 0 => {
                self.skip_to_first_held(&mut report, Origin::default(), consume, limits);
            }
            _ => {
                report.gap_bytes = seq_diff(ack, next) as u64;
                self.buf.clear();
                self.next_seq = Some(ack);
            }
        }
        report
    }

    /// The frame of the earliest segment held behind a hole.
    pub fn first_held_frame(&self) -> Option<u64> {
        self.ahead.iter().map(|(_, _, o)| o.frame).min()
    }

    /// The end of the input (or of an idle flow): segments still held
    /// behind a hole are delivered, giving up on the hole, so that the last
    /// PDUs of a capture are not lost.
    pub fn flush(&mut self, limits: &StreamLimits, consume: &mut Consume<'_>) -> IngestReport {
        let mut report = IngestReport::default();
        while !self.ahead.is_empty() {
            self.skip_to_first_held(&mut report, Origin::default(), consume, limits);
        }
        report
    }

    fn deliver(&mut self, origin: Origin, consume: &mut Consume<'_>) {
        let used = consume(&self.buf, origin).min(self.buf.len());
        self.buf.drain(..used);
    }

    fn hold_ahead(
        &mut self,
        seq: u32,
        payload: &[u8],
        origin: Origin,
        limits: &StreamLimits,
        report: &mut IngestReport,
    ) {
        report.out_of_order = true;
        if self
            .ahead
            .iter()
            .any(|(s, d, _)| *s == seq && d.len() >= payload.len())
        {
            report.retransmitted_bytes = payload.len();
            return;
        }
        if self.ahead.len() >= limits.max_out_of_order_segments
            || self.ahead_bytes + payload.len() > limits.max_out_of_order_bytes
        {
            report.overflowed = true;
        }
        self.ahead_bytes += payload.len();
        self.ahead.push((seq, payload.to_vec(), origin));
    }

    /// Appends held segments that the stream has now reached. `latest` is
    /// the packet that let them through (none when an acknowledgement or
    /// the end of input did).
    fn drain_ahead(&mut self, mut latest: Origin, consume: &mut Consume<'_>) {
        loop {
            let Some(next) = self.next_seq else { return };
            let Some(i) = self
                .ahead
                .iter()
                .position(|(s, _, _)| seq_diff(*s, next) <= 0)
            else {
                return;
            };
            let (seq, data, origin) = self.ahead.swap_remove(i);
            self.ahead_bytes -= data.len();
            let already = seq_diff(next, seq) as usize;
            if already < data.len() {
                // A PDU completes with the last of its bytes to arrive: the
                // held segment's own packet, unless bytes of a later one
                // are still waiting in front of it.
                if self.buf.is_empty() || origin.frame > latest.frame {
                    latest = origin;
                }
                self.buf.extend_from_slice(&data[already..]);
                self.next_seq = Some(next.wrapping_add((data.len() - already) as u32));
                self.deliver(latest, consume);
            }
        }
    }

    /// The hole before the held segments will not fill within the limits:
    /// give up on it, and on the partial PDU before it, and go on from the
    /// earliest held segment.
    fn skip_to_first_held(
        &mut self,
        report: &mut IngestReport,
        latest: Origin,
        consume: &mut Consume<'_>,
        limits: &StreamLimits,
    ) {
        let Some(next) = self.next_seq else { return };
        let Some(first) = self
            .ahead
            .iter()
            .map(|(s, _, _)| *s)
            .min_by_key(|s| seq_diff(*s, next))
        else {
            return;
        };
        report.gap_bytes += seq_diff(first, next).max(0) as u64;
        self.buf.clear();
        self.next_seq = Some(first);
        self.drain_ahead(latest, consume);
        self.enforce_buffer_cap(limits, report);
    }

    fn enforce_buffer_cap(&mut self, limits: &StreamLimits, report: &mut IngestReport) {
        if self.buf.len() > limits.max_buffered {
            // No decoder frames PDUs this large: the stream is not what we
            // thought, or it is corrupt. Drop the bytes and resynchronise.
            self.buf.clear();
            report.overflowed = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A consumer that takes whole 4-byte "PDUs" and records them.
    fn run(
        stream: &mut Stream,
        segs: &[(u32, &[u8])],
        limits: &StreamLimits,
    ) -> (Vec<Vec<u8>>, Vec<IngestReport>) {
        let mut pdus = Vec::new();
        let mut reports = Vec::new();
        for (seq, data) in segs {
            let mut consume = |b: &[u8], _: Origin| {
                let n = b.len() / 4 * 4;
                pdus.extend(b[..n].chunks(4).map(|c| c.to_vec()));
                n
            };
            reports.push(stream.ingest(*seq, data, Origin::default(), limits, &mut consume));
        }
        (pdus, reports)
    }

    #[test]
    fn reorders_trims_retransmissions_and_splits_pdus() {
        let mut s = Stream::default();
        s.on_syn(99);
        let segs: &[(u32, &[u8])] = &[
            (100, b"aaaab"),  // one PDU and a bit
            (108, b"cccc"),   // ahead of a hole
            (105, b"bbb"),    // fills the hole
            (105, b"bbb"),    // retransmission
            (110, b"ccdddd"), // overlap
        ];
        let (pdus, reports) = run(&mut s, segs, &StreamLimits::default());
        assert_eq!(
            pdus,
            vec![
                b"aaaa".to_vec(),
                b"bbbb".to_vec(),
                b"cccc".to_vec(),
                b"dddd".to_vec()
            ]
        );
        assert!(reports[1].out_of_order);
        assert_eq!(reports[3].retransmitted_bytes, 3);
        assert_eq!(reports[4].retransmitted_bytes, 2);
        assert_eq!(s.held_bytes(), 0);
    }

    #[test]
    fn starts_mid_stream_and_wraps_sequence_numbers() {
        let mut s = Stream::default();
        let segs: &[(u32, &[u8])] = &[(u32::MAX - 1, b"xx"), (0, b"yyzzzz")];
        let (pdus, _) = run(&mut s, segs, &StreamLimits::default());
        assert_eq!(pdus, vec![b"xxyy".to_vec(), b"zzzz".to_vec()]);
    }

    #[test]
    fn a_hole_that_never_fills_is_skipped_within_the_limits() {
        let limits = StreamLimits {
            max_buffered: 16,
            max_out_of_order_bytes: 8,
            max_out_of_order_segments: 2,
        };
        let mut s = Stream::default();
        let segs: &[(u32, &[u8])] = &[(0, b"ab"), (10, b"1111"), (14, b"2222"), (18, b"3333")];
        let (pdus, reports) = run(&mut s, segs, &limits);
        assert!(reports[3].overflowed);
        assert_eq!(reports[3].gap_bytes, 8);
        assert_eq!(
            pdus,
            vec![b"1111".to_vec(), b"2222".to_vec(), b"3333".to_vec()]
        );
        assert!(s.held_bytes() <= limits.max_buffered + limits.max_out_of_order_bytes);
    }

    #[test]
    fn bytes_the_peer_acknowledged_but_the_capture_lacks_are_skipped() {
        let limits = StreamLimits::default();
        let mut s = Stream::default();
        // Bytes 100..104 captured, 104..108 never, 108..112 held.
        let (pdus, _) = run(&mut s, &[(100, b"AAAA"), (108, b"CCCC")], &limits);
        assert_eq!(pdus, [b"AAAA".to_vec()]);
        // An acknowledgement short of what we saw changes nothing.
        let mut got = Vec::new();
        let r = s.on_peer_ack(104, &limits, &mut |b: &[u8], _| {
            got.push(b.to_vec());
            b.len()
        });
        assert_eq!((r.gap_bytes, got.len()), (0, 0));
        // The peer acknowledges 112: the hole will not fill.
        let r = s.on_peer_ack(112, &limits, &mut |b: &[u8], _| {
            got.push(b.to_vec());
            b.len()
        });
        assert_eq!(r.gap_bytes, 4);
        assert_eq!(got, [b"CCCC".to_vec()]);
        // Nothing held: the stream moves to the acknowledged position.
        let r = s.on_peer_ack(120, &limits, &mut |b: &[u8], _| b.len());
        assert_eq!(r.gap_bytes, 8);
        let (pdus, reports) = run(&mut s, &[(120, b"DDDD")], &limits);
        assert_eq!(pdus, [b"DDDD".to_vec()]);
        assert!(!reports[0].out_of_order);
    }

    #[test]
    fn unframeable_bytes_are_capped() {
        let limits = StreamLimits {
            max_buffered: 10,
            ..StreamLimits::default()
        };
        let mut s = Stream::default();
        let mut never = |_: &[u8], _: Origin| 0usize;
        let r = s.ingest(0, &[0u8; 8], Origin::default(), &limits, &mut never);
        assert!(!r.overflowed);
        let r = s.ingest(8, &[0u8; 8], Origin::default(), &limits, &mut never);
        assert!(r.overflowed);
        assert_eq!(s.held_bytes(), 0);
    }

    #[test]
    fn held_pdus_keep_their_own_frame_and_are_flushed_at_the_end() {
        let limits = StreamLimits::default();
        let mut s = Stream::default();
        let mut got: Vec<(Vec<u8>, u64)> = Vec::new();
        let at = |frame| Origin { frame, ts_nanos: 0 };
        let mut take = |b: &[u8], o: Origin| {
            got.push((b.to_vec(), o.frame));
            b.len()
        };
        s.ingest(0, b"AAAA", at(1), &limits, &mut take);
        // Bytes 4..8 never captured; 8..12 and 12..16 held.
        s.ingest(8, b"CCCC", at(3), &limits, &mut take);
        s.ingest(12, b"DDDD", at(4), &limits, &mut take);
        // An acknowledgement (frame 5) releases what it reaches, each PDU
        // at the frame that carried it.
        s.on_peer_ack(12, &limits, &mut take);
        s.ingest(20, b"FFFF", at(6), &limits, &mut take);
        let r = s.flush(&limits, &mut take);
        assert_eq!(r.gap_bytes, 4);
        let frames: Vec<u64> = got.iter().map(|(_, f)| *f).collect();
        assert_eq!(frames, [1, 3, 4, 6]);
        assert_eq!(s.held_bytes(), 0);
    }
}
