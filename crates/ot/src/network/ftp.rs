//! FTP moves files over separate data connections whose ports the control
//! connection announces (`227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)`,
//! `229 ... (|||port|)`, `PORT h1,h2,h3,h4,p1,p2`, `EPRT |1|ip|port|`).
//! Remembering them lets a data connection on any port be called
//! `ftp-data`, so a file transfer is seen as one.

use std::collections::HashMap;
use std::net::IpAddr;

use super::SECOND;
use super::conversation::Conversation;
use crate::Endpoint;
use crate::service::Service;

const MAX_EXPECTED: usize = 1024;
const EXPECT_FOR: i64 = 120 * SECOND;

#[derive(Debug, Default)]
pub struct Expectations {
    /// Data server endpoint -> (the host expected to connect, until when).
    expected: HashMap<Endpoint, (IpAddr, i64)>,
}

impl Expectations {
    /// Reads the announcements in one control-connection payload.
    pub fn control(&mut self, conv: &Conversation, payload: &[u8], to_server: bool) {
        let Ok(text) = std::str::from_utf8(&payload[..payload.len().min(512)]) else {
            return;
        };
        let until = conv.last_ts + EXPECT_FOR;
        for line in text.lines() {
            let announced = if to_server {
                // Active mode: the FTP server connects to the client's port.
                active(line).map(|(ip, port)| {
                    (
                        Endpoint {
                            ip: ip.unwrap_or(conv.client.ip),
                            port,
                        },
                        conv.server.ip,
                    )
                })
            } else {
                passive(line).map(|(ip, port)| {
                    (
                        Endpoint {
                            ip: ip.unwrap_or(conv.server.ip),
                            port,
                        },
                        conv.client.ip,
                    )
                })
            };
            if let Some((server, client)) = announced
                && self.expected.len() < MAX_EXPECTED
            {
                self.expected.insert(server, (client, until));
            }
        }
    }

    /// Whether a new conversation is an announced data connection.
    pub fn expected(&mut self, client: &Endpoint, server: &Endpoint, now: i64) -> Option<Service> {
        let (who, until) = self.expected.get(server)?;
        (*who == client.ip && now <= *until).then(|| {
            self.expected.remove(server);
            Service::FtpData
        })
    }

    pub fn expire(&mut self, now: i64) {
        self.expected.retain(|_, (_, until)| *until >= now);
    }
}

/// `227 ... (h1,h2,h3,h4,p1,p2)` or `229 ... (|||port|)`.
fn passive(line: &str) -> Option<(Option<IpAddr>, u16)> {
    if let Some(rest) = line.strip_prefix("227") {
        let inner = rest.split_once('(').map_or(rest, |(_, r)| r);
        return six_numbers(inner).map(|(ip, port)| (Some(ip), port));
    }
    let rest = line.strip_prefix("229")?;
    let inner = rest.split_once("(|||")?.1;
    let port = inner.split('|').next()?.parse().ok()?;
    Some((None, port))
}

/// `PORT h1,h2,h3,h4,p1,p2` or `EPRT |1|ip|port|`.
fn active(line: &str) -> Option<(Option<IpAddr>, u16)> {
    let upper = line.get(..4)?.to_ascii_uppercase();
    match upper.as_str() {
        "PORT" => six_numbers(&line[4..]).map(|(ip, port)| (Some(ip), port)),
        "EPRT" => {
            let mut f = line[4..].trim().split('|').skip(2);
            let ip = f.next()?.parse().ok()?;
            let port = f.next()?.parse().ok()?;
            Some((Some(ip), port))
        }
        _ => None,
    }
}

fn six_numbers(s: &str) -> Option<(IpAddr, u16)> {
    let digits: String = s
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .collect();
    let n: Vec<u8> = digits
        .split(',')
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    if n.len() != 6 {
        return None;
    }
    let ip = IpAddr::from([n[0], n[1], n[2], n[3]]);
    Some((ip, u16::from(n[4]) << 8 | u16::from(n[5])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announcements_name_the_data_endpoint() {
        assert_eq!(
            passive("227 Entering Passive Mode (10,0,0,5,19,137)."),
            Some((Some(IpAddr::from([10, 0, 0, 5])), 19 * 256 + 137))
        );
        assert_eq!(
            passive("229 Entering Extended Passive Mode (|||6446|)"),
            Some((None, 6446))
        );
        assert_eq!(
            active("PORT 10,0,0,7,4,1"),
            Some((Some(IpAddr::from([10, 0, 0, 7])), 1025))
        );
        assert_eq!(
            active("EPRT |1|10.0.0.7|6275|"),
            Some((Some(IpAddr::from([10, 0, 0, 7])), 6275))
        );
        assert_eq!(passive("226 Transfer complete."), None);
    }
}
