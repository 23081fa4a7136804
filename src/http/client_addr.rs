//! The client's address. It is the TCP peer's, unless the peer is one of the proxies listed in
//! `server.trusted_proxies`: then `X-Forwarded-For` is read from the right, skipping trusted
//! hops, and the first address no trusted proxy stands for is the client (nginx's
//! `real_ip_recursive`). A client cannot forge its way past this: the entries it wrote itself
//! sit left of the one the first trusted proxy appended, and reading stops there.
use std::net::{IpAddr, SocketAddr};

use actix_web::http::header::{HeaderMap, HeaderName};
use ipnet::IpNet;

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

/// The resolved client address of a request, in its extensions.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

/// The address, or nothing when unknown (formatted only when the access log is written).
impl std::fmt::Display for ClientIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(ip) => ip.fmt(f),
            None => Ok(()),
        }
    }
}

impl TrustedProxies {
    /// Reads addresses (`10.0.0.5`, `::1`) and networks (`10.0.0.0/8`, `fd00::/8`).
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        entries
            .iter()
            .map(|e| {
                let t = e.trim();
                t.parse::<IpNet>()
                    .or_else(|_| t.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        format!("server.trusted_proxies: {e:?} is not an IP address or a network (10.0.0.0/8)")
                    })
            })
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|n| n.contains(&ip))
    }

    /// The client address of a request from `peer` with these headers.
    pub fn client(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let mut client = peer.map(canonical)?;
        if !self.trusts(client) {
            return Some(client);
        }
        // Several headers count as one list, in order.
        let hops: Vec<&str> = headers
            .get_all(X_FORWARDED_FOR)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        for hop in hops.into_iter().rev() {
            let Some(ip) = parse_hop(hop) else {
                // Garbage: the last address a trusted proxy vouched for stands.
                break;
            };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        Some(client)
    }
}

/// An `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:5678`,
/// `[2001:db8::1]:443`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .map(canonical)
}

/// IPv4 addresses seen through an IPv6 socket (`::ffff:10.0.0.1`) as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(X_FORWARDED_FOR, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies::parse(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let none = TrustedProxies::default();
        let h = headers(&["203.0.113.9"]);
        assert_eq!(none.client(Some(ip("10.0.0.2")), &h), Some(ip("10.0.0.2")));
    }

    #[test]
    fn a_trusted_proxy_names_the_client_and_forged_entries_on_the_left_are_ignored() {
        let p = proxies(&["10.0.0.0/8"]);
        // The client forged "1.1.1.1"; the proxy appended the address it saw.
        let h = headers(&["1.1.1.1, 203.0.113.9"]);
        assert_eq!(p.client(Some(ip("10.0.0.2")), &h), Some(ip("203.0.113.9")));
        // Two trusted hops, split over two headers, and a port on the client's entry.
        let h = headers(&["203.0.113.9:5555, 10.1.1.1", "10.2.2.2"]);
        assert_eq!(p.client(Some(ip("10.0.0.2")), &h), Some(ip("203.0.113.9")));
        let h = headers(&["[2001:db8::7]:443"]);
        assert_eq!(p.client(Some(ip("10.0.0.2")), &h), Some(ip("2001:db8::7")));
    }

    #[test]
    fn an_untrusted_peer_or_a_garbled_header_leaves_the_last_vouched_address() {
        let p = proxies(&["10.0.0.1"]);
        let h = headers(&["203.0.113.9"]);
        // Not from the proxy: whatever it claims, the peer is the client.
        assert_eq!(
            p.client(Some(ip("198.51.100.4")), &h),
            Some(ip("198.51.100.4"))
        );
        let h = headers(&["203.0.113.9, not-an-address"]);
        assert_eq!(p.client(Some(ip("10.0.0.1")), &h), Some(ip("10.0.0.1")));
        // An IPv4 proxy seen through an IPv6 socket is still trusted.
        let h = headers(&["203.0.113.9"]);
        assert_eq!(
            p.client(Some(ip("::ffff:10.0.0.1")), &h),
            Some(ip("203.0.113.9"))
        );
    }

    #[test]
    fn malformed_entries_are_refused_at_start() {
        assert!(TrustedProxies::parse(&["10.0.0.0/33".into()]).is_err());
        assert!(TrustedProxies::parse(&["proxy.local".into()]).is_err());
        assert!(TrustedProxies::parse(&["::1".into(), "192.168.0.0/16".into()]).is_ok());
    }
}
