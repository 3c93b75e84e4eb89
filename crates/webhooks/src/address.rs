//! Where webhooks may go. By default only to public addresses: a dashboard form must not be a
//! way to reach the machine's own services or the private network behind it. The check runs on
//! the resolved address at every delivery (a name can point elsewhere tomorrow), not only when
//! an endpoint is saved.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use url::{Host, Url};

/// Longest accepted endpoint address.
pub const URL_MAX: usize = 2000;

/// Whether an address is on the public internet (not loopback, private, link-local, shared,
/// documentation, multicast or otherwise reserved).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || v6.is_unique_local()
                || v6.is_unicast_link_local()
                || first == 0x0064 && v6.segments()[1] == 0xff9b // NAT64, reaches IPv4 inside
                || first == 0x2001 && v6.segments()[1] == 0x0db8 // documentation
                || first == 0x0100 && v6.segments()[1..4] == [0, 0, 0]) // discard
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || a == 100 && (64..128).contains(&b) // shared address space (carrier NAT)
        || a == 192 && b == 0 && ip.octets()[2] == 0 // IETF protocol assignments
        || a == 198 && (b == 18 || b == 19) // benchmarking
        || a >= 240) // reserved
}

/// Checks an endpoint address as typed: http(s), a host, no user name or password in it, and
/// (unless allowed) not a literal internal address or `localhost`.
pub fn check_url(text: &str, allow_private: bool) -> Result<Url, String> {
    if text.is_empty() {
        return Err("Enter the address to send events to.".to_string());
    }
    if text.len() > URL_MAX {
        return Err(format!(
            "The address is too long (at most {} characters).",
            URL_MAX
        ));
    }
    let url = Url::parse(text)
        .map_err(|_| "Enter a full address starting with https:// or http://.".to_string())?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("Only http:// and https:// addresses can receive webhooks.".to_string());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            "Leave the user name and password out of the address; deliveries are signed instead."
                .to_string(),
        );
    }
    if url.fragment().is_some() {
        return Err("Leave out the #… part; it is never sent.".to_string());
    }
    let internal = match url.host() {
        None => return Err("The address has no host name.".to_string()),
        Some(Host::Ipv4(ip)) => !is_public(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => !is_public(IpAddr::V6(ip)),
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
    };
    if internal && !allow_private {
        return Err(PRIVATE_REFUSED.to_string());
    }
    Ok(url)
}

pub const PRIVATE_REFUSED: &str = "This address is on this machine or a private network; \
     webhooks go only to public addresses unless Insignia runs with --webhooks-allow-private.";

/// Resolves host names for deliveries and drops internal addresses (unless allowed), so the
/// connection can only go where the check says.
pub struct PublicResolver {
    pub allow_private: bool,
}

impl reqwest::dns::Resolve for PublicResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let usable: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| allow_private || is_public(a.ip()))
                .collect();
            if usable.is_empty() {
                let why: Box<dyn std::error::Error + Send + Sync> = if found.is_empty() {
                    format!("{host} has no address").into()
                } else {
                    format!("{host} resolves only to internal addresses").into()
                };
                return Err(why);
            }
            let addrs: reqwest::dns::Addrs = Box::new(usable.into_iter());
            Ok(addrs)
        })
    }
}

/// Whether a URL whose host is a literal address may be sent to (names go through
/// [`PublicResolver`]).
pub fn literal_allowed(url: &Url, allow_private: bool) -> bool {
    allow_private
        || match url.host() {
            Some(Host::Ipv4(ip)) => is_public(IpAddr::V4(ip)),
            Some(Host::Ipv6(ip)) => is_public(IpAddr::V6(ip)),
            _ => true,
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_not_public() {
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "64:ff9b::a00:1",
        ] {
            assert!(!is_public(internal.parse().unwrap()), "{internal}");
        }
        for public in ["93.184.215.14", "1.1.1.1", "2606:4700::1111"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn only_public_http_addresses_are_accepted_by_default() {
        assert!(check_url("https://example.com/hook", false).is_ok());
        assert!(check_url("http://127.0.0.1:9000/hook", false).is_err());
        assert!(check_url("http://localhost/hook", false).is_err());
        assert!(check_url("http://[::1]/hook", false).is_err());
        assert!(check_url("http://127.0.0.1:9000/hook", true).is_ok());
        assert!(check_url("ftp://example.com/", true).is_err());
        assert!(check_url("javascript:alert(1)", true).is_err());
        assert!(check_url("https://user:pw@example.com/", true).is_err());
        assert!(check_url("example.com/hook", true).is_err());
    }
}
