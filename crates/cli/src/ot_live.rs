//! Packets from a network interface through libpcap: promiscuous, with a
//! BPF filter, a kernel buffer, and non-blocking reads so that the monitor
//! can stop on a signal or a deadline without waiting for traffic.

#[cfg(feature = "live")]
use anyhow::Context;
use anyhow::Result;
#[cfg(not(feature = "live"))]
use anyhow::bail;
use kensa_ot::Packet;

/// How a live capture is opened.
#[cfg_attr(not(feature = "live"), allow(dead_code))]
pub struct LiveOptions<'a> {
    pub interface: &'a str,
    pub promiscuous: bool,
    pub snaplen: u32,
    pub buffer_bytes: u32,
    pub filter: Option<&'a str>,
}

#[cfg(feature = "live")]
pub struct LiveCapture {
    cap: pcap::Capture<pcap::Active>,
    link_type: u32,
}

/// What the kernel reported about the capture.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct KernelStats {
    pub received: u64,
    /// Dropped because the capture buffer was full.
    pub dropped: u64,
    /// Dropped by the interface or its driver.
    pub interface_dropped: u64,
}

#[cfg(feature = "live")]
impl LiveCapture {
    pub fn open(o: &LiveOptions<'_>) -> Result<LiveCapture> {
        if let Some(f) = o.filter {
            check_filter(f)?;
        }
        let inactive = pcap::Capture::from_device(o.interface)
            .with_context(|| format!("interface {}", o.interface))?
            .promisc(o.promiscuous)
            .snaplen(o.snaplen as i32)
            .buffer_size(o.buffer_bytes as i32)
            .immediate_mode(true)
            .timeout(100);
        let cap = inactive.open().map_err(|e| open_error(o.interface, e))?;
        let mut cap = cap
            .setnonblock()
            .with_context(|| format!("interface {}: non-blocking mode", o.interface))?;
        if let Some(f) = o.filter {
            cap.filter(f, true)
                .with_context(|| format!("capture filter {f:?}"))?;
        }
        let link_type = cap.get_datalink().0 as u32;
        Ok(LiveCapture { cap, link_type })
    }

    /// The next packet if one is waiting; `None` when there is none yet.
    pub fn next(&mut self) -> Result<Option<Packet<'_>>> {
        match self.cap.next_packet() {
            Ok(p) => {
                let h = p.header;
                // `timeval`'s field types differ between platforms.
                #[allow(clippy::useless_conversion)]
                let ts_nanos =
                    i64::from(h.ts.tv_sec) * 1_000_000_000 + i64::from(h.ts.tv_usec) * 1_000;
                Ok(Some(Packet {
                    ts_nanos,
                    link_type: self.link_type,
                    caplen: h.caplen,
                    origlen: h.len,
                    interface: 0,
                    data: p.data,
                }))
            }
            Err(pcap::Error::TimeoutExpired) => Ok(None),
            Err(e) => Err(anyhow::Error::new(e).context("reading from the interface")),
        }
    }

    pub fn stats(&mut self) -> Option<KernelStats> {
        self.cap.stats().ok().map(|s| KernelStats {
            received: s.received as u64,
            dropped: s.dropped as u64,
            interface_dropped: s.if_dropped as u64,
        })
    }
}

/// Compiles a filter without an interface, so that a typo is reported
/// before anything is opened.
#[cfg(feature = "live")]
pub fn check_filter(expr: &str) -> Result<()> {
    let dead = pcap::Capture::dead(pcap::Linktype::ETHERNET).context("libpcap")?;
    dead.compile(expr, true)
        .map(|_| ())
        .map_err(|e| anyhow::anyhow!("capture filter {expr:?}: {e}"))
}

#[cfg(feature = "live")]
fn open_error(interface: &str, e: pcap::Error) -> anyhow::Error {
    let text = e.to_string();
    let hint = if text.contains("ermission") || text.contains("not permitted") {
        "\n  hint: live capture needs root or the CAP_NET_RAW capability \
(e.g. `sudo setcap cap_net_raw,cap_net_admin=eip $(which kensa)`)"
            .to_string()
    } else if text.contains("No such device") || text.contains("doesn't exist") {
        let names: Vec<String> = pcap::Device::list()
            .map(|l| l.into_iter().map(|d| d.name).collect())
            .unwrap_or_default();
        format!("\n  hint: interfaces here: {}", names.join(", "))
    } else {
        String::new()
    };
    anyhow::anyhow!("cannot capture on {interface}: {text}{hint}")
}

#[cfg(not(feature = "live"))]
pub struct LiveCapture;

#[cfg(not(feature = "live"))]
impl LiveCapture {
    pub fn open(_o: &LiveOptions<'_>) -> Result<LiveCapture> {
        bail!("this kensa was built without live capture (the `live` feature, which needs libpcap)")
    }
    pub fn next(&mut self) -> Result<Option<Packet<'_>>> {
        Ok(None)
    }
    pub fn stats(&mut self) -> Option<KernelStats> {
        None
    }
}

#[cfg(not(feature = "live"))]
#[allow(dead_code)]
pub fn check_filter(_expr: &str) -> Result<()> {
    bail!("capture filters need live capture (the `live` feature, which needs libpcap)")
}
