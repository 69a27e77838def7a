//! Vendor of a network interface from the first three bytes of its MAC
//! address (the IEEE OUI), looked up in a small embedded table of vendors
//! common in industrial networks (`data/oui.tsv`). The table is partial by
//! design: an absent OUI means "not in the table", not "unknown vendor".

const TABLE: &str = include_str!("../data/oui.tsv");

/// A 48-bit MAC address.
pub type Mac = [u8; 6];

/// The vendor owning the MAC's OUI, if the embedded table lists it.
/// Locally administered and multicast addresses have no OUI vendor.
pub fn vendor(mac: &Mac) -> Option<&'static str> {
    if mac[0] & 0x03 != 0 {
        return None;
    }
    TABLE
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t'))
        .find(|(oui, _)| parse_oui(oui) == Some([mac[0], mac[1], mac[2]]))
        .map(|(_, name)| name.trim())
}

fn parse_oui(s: &str) -> Option<[u8; 3]> {
    let mut out = [0u8; 3];
    let mut parts = s.split(':');
    for b in &mut out {
        *b = u8::from_str_radix(parts.next()?, 16).ok()?;
    }
    parts.next().is_none().then_some(out)
}

/// `00:0e:8c:01:02:03`.
pub fn format_mac(mac: &Mac) -> String {
    mac.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_line_parses() {
        for l in TABLE.lines().filter(|l| !l.starts_with('#')) {
            let (oui, name) = l.split_once('\t').expect("tab-separated");
            assert!(parse_oui(oui).is_some() && !name.trim().is_empty(), "{l}");
        }
    }

    #[test]
    fn looks_up_ics_vendors_and_ignores_local_addresses() {
        assert_eq!(vendor(&[0, 0x0e, 0x8c, 1, 2, 3]), Some("Siemens"));
        assert_eq!(
            vendor(&[0, 0, 0xbc, 9, 9, 9]),
            Some("Rockwell Automation (Allen-Bradley)")
        );
        assert_eq!(vendor(&[0x02, 0x0e, 0x8c, 1, 2, 3]), None);
        assert_eq!(vendor(&[0x00, 0x11, 0x22, 1, 2, 3]), None);
        assert_eq!(
            format_mac(&[0, 0x0e, 0x8c, 1, 2, 0xff]),
            "00:0e:8c:01:02:ff"
        );
    }
}
