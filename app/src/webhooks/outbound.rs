//! Where webhooks may send: an outbound request made on a caller's say-so
//! must not reach the server's own network (SSRF). A webhook URL must be
//! https to a public address unless an operator's allow-list names its
//! host; the address is checked when the webhook is saved (a name that
//! does not resolve yet is accepted) and again when each delivery resolves
//! it, so a name that later points inside is refused too.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, ToSocketAddrs};

use ipnet::IpNet;

/// The operator's allow-list (`SHUZHUAN_WEBHOOK_ALLOW_HOSTS`): host names,
/// addresses or CIDR ranges that may be private and plain http.
#[derive(Debug, Clone, Default)]
pub struct Outbound {
    hosts: Vec<String>,
    nets: Vec<IpNet>,
}

/// Why a URL or an address is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not an absolute http(s) URL with a host.
    NotAUrl,
    /// Plain http to a host the allow-list does not name.
    NotHttps,
    /// The host is, or resolves to, a loopback, link-local, private or
    /// otherwise non-public address.
    PrivateAddress,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::NotAUrl => "invalid_url",
            Refusal::NotHttps => "https_required",
            Refusal::PrivateAddress => "private_address",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Refusal::NotAUrl => "must be an absolute http or https URL",
            Refusal::NotHttps => "must use https (plain http only to hosts the operator allows)",
            Refusal::PrivateAddress => {
                "names a loopback, link-local or private address, which webhooks may not call"
            }
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Refusal::NotAUrl => "应为完整的 http 或 https 地址",
            Refusal::NotHttps => "必须使用 https（仅运维允许的主机可用 http）",
            Refusal::PrivateAddress => "指向回环、链路本地或内网地址，回调不得访问",
        }
    }
}

impl Outbound {
    /// From the operator's list; entries that are neither a network nor an
    /// address are host names.
    pub fn new(allowed: &[String]) -> Self {
        let mut out = Outbound::default();
        for entry in allowed.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
            if let Ok(net) = entry.parse::<IpNet>() {
                out.nets.push(net);
            } else if let Ok(ip) = entry.parse::<IpAddr>() {
                out.nets.push(IpNet::from(ip));
            } else {
                out.hosts.push(entry.to_ascii_lowercase());
            }
        }
        out
    }

    /// Whether the operator named this host (a name, or an address inside
    /// one of the listed networks).
    fn allows_host(&self, host: &url::Host<&str>) -> bool {
        match host {
            url::Host::Domain(name) => self.hosts.iter().any(|h| h.eq_ignore_ascii_case(name)),
            url::Host::Ipv4(ip) => self.allows_net(IpAddr::V4(*ip)),
            url::Host::Ipv6(ip) => self.allows_net(IpAddr::V6(*ip)),
        }
    }

    fn allows_net(&self, ip: IpAddr) -> bool {
        self.nets.iter().any(|n| n.contains(&ip))
    }

    /// Whether a delivery may connect to `ip`, which the name `host`
    /// resolved to.
    pub fn allows_addr(&self, host: &str, ip: IpAddr) -> bool {
        is_public(ip) || self.allows_net(ip) || self.allows_host(&url::Host::Domain(host))
    }

    /// Whether a URL that names an address literally may be called (no
    /// resolver sees it); a URL naming a host name passes here, its
    /// addresses are checked when it resolves.
    pub fn allows_literal(&self, url: &str) -> bool {
        match url::Url::parse(url).ok().as_ref().and_then(url::Url::host) {
            Some(url::Host::Ipv4(ip)) => {
                is_public(IpAddr::V4(ip)) || self.allows_net(IpAddr::V4(ip))
            }
            Some(url::Host::Ipv6(ip)) => {
                is_public(IpAddr::V6(ip)) || self.allows_net(IpAddr::V6(ip))
            }
            Some(url::Host::Domain(_)) => true,
            None => false,
        }
    }

    /// Checks a URL as a webhook is saved: its form, its scheme, and every
    /// address its host resolves to now (blocking: call off async threads).
    /// A name that does not resolve (yet) passes: deliveries check again.
    pub fn check_url(&self, url: &str) -> Result<(), Refusal> {
        let parsed = url::Url::parse(url).map_err(|_| Refusal::NotAUrl)?;
        let host = parsed.host().ok_or(Refusal::NotAUrl)?;
        match parsed.scheme() {
            "https" => {}
            "http" if self.allows_host(&host) => {}
            "http" => return Err(Refusal::NotHttps),
            _ => return Err(Refusal::NotAUrl),
        }
        let allowed = match host {
            url::Host::Domain(name) => {
                let port = parsed.port_or_known_default().unwrap_or(443);
                // Unresolvable now: accepted, deliveries check again.
                (name, port).to_socket_addrs().map_or(true, |mut found| {
                    found.all(|a| self.allows_addr(name, a.ip()))
                })
            }
            _ => self.allows_literal(url),
        };
        if allowed {
            Ok(())
        } else {
            Err(Refusal::PrivateAddress)
        }
    }
}

/// Whether `ip` is an address of the public internet: not loopback,
/// link-local (cloud metadata at 169.254.169.254), private, shared (CGNAT),
/// unspecified, multicast, broadcast or reserved for documentation.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_unique_local()
        || ip.is_unicast_link_local()
        || ip.segments()[0] == 0x2001 && ip.segments()[1] == 0x0db8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inside_addresses_are_refused_and_public_ones_pass() {
        for inside in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            assert!(!is_public(inside.parse().unwrap()), "{inside}");
        }
        for public in ["8.8.8.8", "114.114.114.114", "2400:3200::1"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn urls_must_be_https_to_public_hosts_unless_allowed() {
        let strict = Outbound::default();
        assert_eq!(
            strict.check_url("http://127.0.0.1:9000/hook"),
            Err(Refusal::NotHttps)
        );
        assert_eq!(
            strict.check_url("https://127.0.0.1:9000/hook"),
            Err(Refusal::PrivateAddress)
        );
        assert_eq!(
            strict.check_url("https://169.254.169.254/latest/meta-data"),
            Err(Refusal::PrivateAddress)
        );
        assert_eq!(
            strict.check_url("https://[::1]/hook"),
            Err(Refusal::PrivateAddress)
        );
        assert_eq!(
            strict.check_url("https://localhost/hook"),
            Err(Refusal::PrivateAddress)
        );
        assert_eq!(
            strict.check_url("ftp://example.com/"),
            Err(Refusal::NotAUrl)
        );
        assert_eq!(strict.check_url("not a url"), Err(Refusal::NotAUrl));
        assert_eq!(strict.check_url("https://8.8.8.8/hook"), Ok(()));

        let by_net = Outbound::new(&["127.0.0.0/8".into()]);
        assert_eq!(by_net.check_url("http://127.0.0.1:9000/hook"), Ok(()));
        assert_eq!(
            by_net.check_url("http://10.0.0.1/hook"),
            Err(Refusal::NotHttps)
        );
        let by_name = Outbound::new(&["localhost".into()]);
        assert_eq!(by_name.check_url("http://localhost:9000/hook"), Ok(()));
        assert!(by_name.allows_addr("localhost", "127.0.0.1".parse().unwrap()));
        assert!(!by_name.allows_addr("evil.example", "127.0.0.1".parse().unwrap()));
    }
}
