//! IP addresses and CIDR blocks, as EventBridge matches them.
//!
//! A value is an IP address only if it looks like one (dotted decimal quad, or hex digits and
//! colons, as event-ruler's gate regexes say) and then parses strictly. An IPv4 octet is one to
//! three decimal digits up to 255, leading zeros allowed and read as decimal (`010.001.002.003`
//! is 10.1.2.3), as event-ruler reads addresses in events and patterns alike (Java's
//! `InetAddress`). A CIDR block is a network: the host bits written into its address are ignored,
//! so `10.1.2.3/16` covers 10.1.0.0–10.1.255.255 (event-ruler 2.0.1 masks them too).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::PatternError;

/// An inclusive range of addresses of one family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IpRange {
    V4 { low: u32, high: u32 },
    V6 { low: u128, high: u128 },
}

impl IpRange {
    /// The range holding just `ip`.
    pub(crate) fn single(ip: IpAddr) -> IpRange {
        match ip {
            IpAddr::V4(v4) => IpRange::V4 {
                low: v4.into(),
                high: v4.into(),
            },
            IpAddr::V6(v6) => IpRange::V6 {
                low: v6.into(),
                high: v6.into(),
            },
        }
    }

    /// Does the string `value` hold an address of this range's family inside it?
    pub(crate) fn contains_text(&self, value: &str) -> bool {
        match (self, parse_ip(value)) {
            (IpRange::V4 { low, high }, Some(IpAddr::V4(ip))) => {
                (*low..=*high).contains(&ip.into())
            }
            (IpRange::V6 { low, high }, Some(IpAddr::V6(ip))) => {
                (*low..=*high).contains(&ip.into())
            }
            _ => false,
        }
    }
}

/// event-ruler's gate: `[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+`.
fn looks_like_ipv4(text: &str) -> bool {
    // Runs on event values, so it allocates nothing.
    let mut parts = 0;
    text.split('.').all(|p| {
        parts += 1;
        !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())
    }) && parts == 4
}

/// event-ruler's gate: `[0-9a-fA-F:]*:[0-9a-fA-F:]*`.
fn looks_like_ipv6(text: &str) -> bool {
    text.contains(':') && text.bytes().all(|b| b == b':' || b.is_ascii_hexdigit())
}

/// A dotted decimal quad: four octets of one to three digits each, at most 255, leading zeros
/// read as decimal. (The standard library refuses leading zeros; event-ruler, through Java's
/// `InetAddress`, reads them as decimal.)
fn parse_ipv4(text: &str) -> Option<Ipv4Addr> {
    // Runs on event values, so it allocates nothing.
    let mut address = 0u32;
    let mut octets = 0;
    for part in text.as_bytes().split(|&b| b == b'.') {
        if part.is_empty() || part.len() > 3 || octets == 4 {
            return None;
        }
        let mut octet = 0u32;
        for &b in part {
            if !b.is_ascii_digit() {
                return None;
            }
            octet = octet * 10 + u32::from(b - b'0');
        }
        if octet > 255 {
            return None;
        }
        address = address << 8 | octet;
        octets += 1;
    }
    (octets == 4).then(|| Ipv4Addr::from(address))
}

/// The address `text` holds, if it is one.
pub(crate) fn parse_ip(text: &str) -> Option<IpAddr> {
    // A text that passes the IPv4 gate but is no address has no colon: it is not IPv6 either.
    if let Some(v4) = parse_ipv4(text) {
        Some(IpAddr::V4(v4))
    } else if looks_like_ipv6(text) {
        text.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
    } else {
        None
    }
}

/// Parse the argument of `{"cidr": ...}`. Errors come in event-ruler's order: slash, mask, address.
pub(crate) fn parse_cidr(text: &str) -> Result<IpRange, PatternError> {
    let (address, mask) = match text.split_once('/') {
        Some((address, mask)) if !mask.is_empty() && !mask.contains('/') => (address, mask),
        _ => return Err(PatternError::CidrSlash),
    };
    let mask = parse_mask(mask)?;
    let ip = if looks_like_ipv4(address) || looks_like_ipv6(address) {
        parse_ip(address).ok_or_else(|| PatternError::InvalidIp(address.to_owned()))?
    } else {
        return Err(PatternError::NonstandardIp(address.to_owned()));
    };
    match ip {
        IpAddr::V4(v4) => {
            if mask > 31 {
                return Err(PatternError::CidrIpv4Mask);
            }
            // The block is a network: the host bits of the address are ignored.
            let host = u32::MAX >> mask;
            let low = u32::from(v4) & !host;
            Ok(IpRange::V4 {
                low,
                high: low | host,
            })
        }
        IpAddr::V6(v6) => {
            if mask > 127 {
                return Err(PatternError::CidrIpv6Mask);
            }
            let host = u128::MAX >> mask;
            let low = u128::from(v6) & !host;
            Ok(IpRange::V6 {
                low,
                high: low | host,
            })
        }
    }
}

/// Mask bits in canonical decimal only: no sign, no leading zeros (event-ruler's `parseInt` takes
/// `08` and `+8`; we refuse them, see SEMANTICS.md).
fn parse_mask(mask: &str) -> Result<u32, PatternError> {
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if let Some(rest) = mask.strip_prefix('-') {
        if all_digits(rest) {
            return Err(PatternError::CidrMaskNegative);
        }
    }
    if !all_digits(mask) || (mask.len() > 1 && mask.starts_with('0')) {
        return Err(PatternError::CidrMaskNotInteger);
    }
    mask.parse().map_err(|_| PatternError::CidrMaskNotInteger)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(text: &str) -> u32 {
        match parse_ip(text) {
            Some(IpAddr::V4(ip)) => ip.into(),
            other => panic!("{text}: {other:?}"),
        }
    }

    fn v6(text: &str) -> u128 {
        match parse_ip(text) {
            Some(IpAddr::V6(ip)) => ip.into(),
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn host_bits_are_masked() {
        let r = parse_cidr("10.0.0.5/24").unwrap();
        assert_eq!(
            r,
            IpRange::V4 {
                low: v4("10.0.0.0"),
                high: v4("10.0.0.255")
            }
        );
        let r = parse_cidr("192.168.7.77/22").unwrap();
        assert!(r.contains_text("192.168.4.0"));
        assert!(r.contains_text("192.168.4.1"));
        assert!(r.contains_text("192.168.7.255"));
        assert!(!r.contains_text("192.168.3.255"));
        assert!(!r.contains_text("192.168.8.0"));
        let r = parse_cidr("2001:db8:abcd:1234::99/40").unwrap();
        assert_eq!(
            r,
            IpRange::V6 {
                low: v6("2001:db8:ab00::"),
                high: v6("2001:db8:abff:ffff:ffff:ffff:ffff:ffff")
            }
        );
        assert!(r.contains_text("2001:db8:ab12::1"));
        assert!(!r.contains_text("2001:db8:ac00::"));
        assert!(!r.contains_text("2001:db8:aaff:ffff:ffff:ffff:ffff:ffff"));
        // Every mask of both families: the block is the address's network.
        let a = v4("203.0.113.77");
        for mask in 0..32 {
            let r = parse_cidr(&format!("203.0.113.77/{mask}")).unwrap();
            let host = u32::MAX.checked_shr(mask).unwrap_or(0);
            assert_eq!(
                r,
                IpRange::V4 {
                    low: a & !host,
                    high: a | host
                },
                "/{mask}"
            );
        }
        let a = v6("2001:db8:abcd:1234:5678:9abc:def0:1234");
        for mask in 0..128 {
            let r = parse_cidr(&format!("2001:db8:abcd:1234:5678:9abc:def0:1234/{mask}")).unwrap();
            let host = u128::MAX >> mask;
            assert_eq!(
                r,
                IpRange::V6 {
                    low: a & !host,
                    high: a | host
                },
                "/{mask}"
            );
        }
        assert_eq!(
            parse_cidr("255.255.255.255/0").unwrap(),
            IpRange::V4 {
                low: 0,
                high: u32::MAX
            }
        );
        assert_eq!(
            parse_cidr("255.255.255.255/31").unwrap(),
            IpRange::V4 {
                low: u32::MAX - 1,
                high: u32::MAX
            }
        );
    }

    #[test]
    fn leading_zeros_are_decimal() {
        assert_eq!(v4("172.016.005.009"), v4("172.16.5.9"));
        assert_eq!(v4("010.001.002.003"), v4("10.1.2.3"));
        assert_eq!(v4("000.000.000.000"), 0);
        assert_eq!(v4("255.255.255.255"), u32::MAX);
        assert_eq!(v4("00.0.00.0"), 0);
        assert_eq!(v4("001.2.3.4"), v4("1.2.3.4"));
        assert_eq!(v4("1.002.3.4"), v4("1.2.3.4"));
        assert_eq!(v4("1.2.03.4"), v4("1.2.3.4"));
        assert_eq!(v4("1.2.3.004"), v4("1.2.3.4"));
        // Not octal: 010 is ten, 08 and 09 are fine.
        assert_eq!(v4("010.08.09.077"), v4("10.8.9.77"));
        for not_ip in [
            "0010.1.2.3",
            "1.2.3.0004",
            "1.2.3.0377",
            "1.2.3.256",
            "256.0.0.0",
            "1.2.3.999",
            "1.2.3",
            "1.2.3.4.5",
            "1..2.3",
            ".1.2.3",
            "1.2.3.",
            "1.2.3.-4",
            "1.2.3.+4",
            "1.2.3.4 ",
            " 1.2.3.4",
            "1.2.3.x",
            "0x1.2.3.4",
            "١.٢.٣.٤",
            "",
        ] {
            assert_eq!(parse_ip(not_ip), None, "{not_ip:?}");
        }
        let r = parse_cidr("172.16.0.0/12").unwrap();
        assert!(r.contains_text("172.016.005.009"));
        assert!(r.contains_text("172.031.255.255"));
        assert!(!r.contains_text("172.032.000.000"));
        // A pattern's address may carry them too (event-ruler reads both sides alike).
        assert_eq!(parse_cidr("010.000.000.077/8"), parse_cidr("10.0.0.0/8"));
        assert_eq!(
            parse_cidr("0010.0.0.0/8"),
            Err(PatternError::InvalidIp("0010.0.0.0".into()))
        );
        assert_eq!(
            parse_cidr("10.0.0.256/8"),
            Err(PatternError::InvalidIp("10.0.0.256".into()))
        );
    }

    #[test]
    fn families_do_not_mix() {
        let r = parse_cidr("0.0.0.0/0").unwrap();
        assert!(r.contains_text("255.255.255.255"));
        assert!(!r.contains_text("::1"));
        assert!(!r.contains_text("a00:1:ffff::1"));
        assert!(!r.contains_text("12345"));
        let r6 = parse_cidr("2001:db8::/32").unwrap();
        assert!(r6.contains_text("2001:db8:ffff::1"));
        assert!(r6.contains_text("2001:DB8::"));
        assert!(!r6.contains_text("2001:db9::"));
    }

    #[test]
    fn errors_in_event_ruler_order() {
        use PatternError::*;
        let cases = [
            ("10.0.0.0", CidrSlash),
            ("10.0.0.0/", CidrSlash),
            ("10.0.0.0/8/", CidrSlash),
            ("10.0.0.0/x", CidrMaskNotInteger),
            ("10.0.0.0/08", CidrMaskNotInteger),
            ("10.0.0.0/+8", CidrMaskNotInteger),
            ("10.0.0.0/-1", CidrMaskNegative),
            ("bad/x", CidrMaskNotInteger),
            ("hello/8", NonstandardIp("hello".into())),
            ("1.2.3/8", NonstandardIp("1.2.3".into())),
            ("999.0.0.1/8", InvalidIp("999.0.0.1".into())),
            (
                "1:2:3:4:5:6:7:8:9/64",
                InvalidIp("1:2:3:4:5:6:7:8:9".into()),
            ),
            ("10.0.0.0/32", CidrIpv4Mask),
            ("::/128", CidrIpv6Mask),
        ];
        for (text, err) in cases {
            assert_eq!(parse_cidr(text), Err(err), "{text}");
        }
        assert!(parse_cidr("::/127").is_ok());
        assert!(parse_cidr("10.0.0.0/31").is_ok());
    }

    #[test]
    fn ip_gate() {
        assert!(parse_ip("10.0.0.1").is_some());
        assert!(parse_ip("::1").is_some());
        assert!(parse_ip("::ffff:1.2.3.4").is_none()); // fails the hex-and-colons gate
        assert!(parse_ip("10.0.0.1 ").is_none());
        assert!(parse_ip("abc").is_none());
        assert!(parse_ip("01.2.3.4").is_some());
        assert!(parse_ip("1.2.3.4.").is_none());
    }
}
