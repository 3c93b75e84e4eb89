//! Which client a request comes from, for everything that counts per address (sign-in
//! throttling, sign-up and API budgets).
//!
//! Forwarding headers can be written by anyone, so they are read only when the connection
//! comes from a proxy the operator named (`--trusted-proxies`). Each proxy appends the address
//! it saw to `X-Forwarded-For`; walking that list from the right, the first address that is
//! not itself a trusted proxy is the client (anything to its left was written by the client
//! and proves nothing). `Forwarded` (RFC 7239) is read the same way, only when there is no
//! `X-Forwarded-For`.

use std::net::{IpAddr, SocketAddr};

use actix_web::HttpRequest;
use actix_web::http::header::{self, HeaderName};
use ipnet::IpNet;

/// The networks whose connections may say who the client is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// `CIDR,CIDR…`; a bare address is a network of one.
    pub fn parse(input: &str) -> Result<TrustedProxies, String> {
        let mut networks = Vec::new();
        for part in input.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let network = part
                .parse::<IpNet>()
                .or_else(|_| part.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    format!("{part:?} is not an address or network (such as 10.0.0.0/8)")
                })?;
            networks.push(network.trunc());
        }
        Ok(TrustedProxies(networks))
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        self.0.iter().any(|network| network.contains(&address))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::str::FromStr for TrustedProxies {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TrustedProxies::parse(s)
    }
}

/// The client's address: the connection's own, or the one a trusted proxy reports.
pub fn client_ip(req: &HttpRequest) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    let trusted = req.app_data::<actix_web::web::Data<TrustedProxies>>();
    Some(match trusted {
        Some(trusted) => resolve(req, peer, trusted),
        None => canonical(peer),
    })
}

fn resolve(req: &HttpRequest, peer: IpAddr, trusted: &TrustedProxies) -> IpAddr {
    let peer = canonical(peer);
    if trusted.contains(peer) {
        forwarded_client(req, trusted).unwrap_or(peer)
    } else {
        peer
    }
}

/// What a client is counted as: its address, or for IPv6 its /64, since one user is usually
/// handed a whole /64 and counting single addresses there would give endless fresh counters.
pub fn client_network(req: &HttpRequest) -> String {
    client_ip(req).map(network_of).unwrap_or_default()
}

pub fn network_of(address: IpAddr) -> String {
    match canonical(address) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

/// IPv4 clients of a dual-stack socket appear as `::ffff:a.b.c.d`.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// The rightmost forwarded address that is not a trusted proxy; `None` when the headers are
/// missing or a hop is unreadable (then the connection's address is all we know).
fn forwarded_client(req: &HttpRequest, trusted: &TrustedProxies) -> Option<IpAddr> {
    let headers = req.headers();
    let hops: Vec<Option<IpAddr>> = if headers.contains_key(X_FORWARDED_FOR) {
        values(req, X_FORWARDED_FOR)
            .iter()
            .flat_map(|v| v.split(','))
            .map(parse_hop)
            .collect()
    } else {
        values(req, header::FORWARDED)
            .iter()
            .flat_map(|v| v.split(','))
            .filter_map(forwarded_for)
            .map(parse_hop)
            .collect()
    };
    let mut nearest = None;
    for hop in hops.into_iter().rev() {
        let hop = canonical(hop?);
        if !trusted.contains(hop) {
            return Some(hop);
        }
        nearest = Some(hop);
    }
    // Every hop is a proxy of ours: the request started inside; the furthest one is it.
    nearest
}

fn values(req: &HttpRequest, name: HeaderName) -> Vec<String> {
    req.headers()
        .get_all(name)
        .map(|v| v.to_str().unwrap_or("\u{0}").to_string())
        .collect()
}

/// The `for=` parameter of one `Forwarded` element.
fn forwarded_for(element: &str) -> Option<&str> {
    element.split(';').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("for")
            .then(|| value.trim().trim_matches('"'))
    })
}

/// One hop: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1` or `[2001:db8::1]:443`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            hop.strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .and_then(|h| h.parse().ok())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn client(peer: &str, trusted: &str, headers: &[(&str, &str)]) -> Option<IpAddr> {
        let trusted = TrustedProxies::parse(trusted).unwrap_or_else(|e| panic!("{e}"));
        let mut req = TestRequest::default().peer_addr(SocketAddr::new(ip(peer), 40000));
        for (name, value) in headers {
            req = req.append_header((*name, *value));
        }
        Some(resolve(&req.to_http_request(), ip(peer), &trusted))
    }

    #[test]
    fn forwarding_headers_from_strangers_are_ignored() {
        let xff = [("X-Forwarded-For", "198.51.100.7")];
        assert_eq!(client("203.0.113.9", "", &xff), Some(ip("203.0.113.9")));
        assert_eq!(
            client("203.0.113.9", "10.0.0.0/8", &xff),
            Some(ip("203.0.113.9"))
        );
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let trusted = "10.0.0.0/8, 192.168.1.1";
        // The client wrote 1.1.1.1 itself; the proxy at 192.168.1.1 appended what it saw.
        let xff = [("X-Forwarded-For", "1.1.1.1, 198.51.100.7, 192.168.1.1")];
        assert_eq!(client("10.0.0.2", trusted, &xff), Some(ip("198.51.100.7")));
        // Repeated headers are one list.
        let split = [
            ("X-Forwarded-For", "1.1.1.1"),
            ("X-Forwarded-For", "198.51.100.7"),
        ];
        assert_eq!(
            client("10.0.0.2", trusted, &split),
            Some(ip("198.51.100.7"))
        );
        // Only proxies: the furthest one.
        let inside = [("X-Forwarded-For", "10.1.1.1, 10.2.2.2")];
        assert_eq!(client("10.0.0.2", trusted, &inside), Some(ip("10.1.1.1")));
        // Nothing readable: the connection's own address.
        let junk = [("X-Forwarded-For", "1.1.1.1, unknown")];
        assert_eq!(client("10.0.0.2", trusted, &junk), Some(ip("10.0.0.2")));
        assert_eq!(client("10.0.0.2", trusted, &[]), Some(ip("10.0.0.2")));
    }

    #[test]
    fn forwarded_is_read_only_without_x_forwarded_for() {
        let trusted = "127.0.0.1";
        let forwarded = [(
            "Forwarded",
            "for=192.0.2.60;proto=http, For=\"[2001:db8:cafe::17]:4711\"",
        )];
        assert_eq!(
            client("127.0.0.1", trusted, &forwarded),
            Some(ip("2001:db8:cafe::17"))
        );
        let both = [
            ("Forwarded", "for=192.0.2.60"),
            ("X-Forwarded-For", "198.51.100.7"),
        ];
        assert_eq!(
            client("127.0.0.1", trusted, &both),
            Some(ip("198.51.100.7"))
        );
    }

    #[test]
    fn ipv6_clients_count_per_64() {
        assert_eq!(network_of(ip("2001:db8:1:2:aaaa::1")), "2001:db8:1:2::/64");
        assert_eq!(
            network_of(ip("2001:db8:1:2:aaaa::1")),
            network_of(ip("2001:db8:1:2:bbbb::9"))
        );
        assert_ne!(
            network_of(ip("2001:db8:1:2::1")),
            network_of(ip("2001:db8:1:3::1"))
        );
        assert_eq!(network_of(ip("::ffff:198.51.100.7")), "198.51.100.7");
        assert!(TrustedProxies::parse("10.0.0.0/8,::1").is_ok());
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("proxy.example").is_err());
    }
}
