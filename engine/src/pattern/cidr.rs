//! IP addresses and CIDR blocks, as EventBridge matches them.
//!
//! A value is an IP address only if it looks like one (dotted decimal quad, or hex digits and
//! colons, as event-ruler's gate regexes say) and then parses strictly. A CIDR range runs from the
//! address as written up to the top of its block: `10.0.0.5/24` covers 10.0.0.5–10.0.0.255, as in
//! event-ruler (the base address is not masked).

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

/// The address `text` holds, if it is one.
pub(crate) fn parse_ip(text: &str) -> Option<IpAddr> {
    if looks_like_ipv4(text) {
        text.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
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
            let low = u32::from(v4);
            Ok(IpRange::V4 {
                low,
                high: low | (u32::MAX >> mask),
            })
        }
        IpAddr::V6(v6) => {
            if mask > 127 {
                return Err(PatternError::CidrIpv6Mask);
            }
            let low = u128::from(v6);
            Ok(IpRange::V6 {
                low,
                high: low | (u128::MAX >> mask),
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

    #[test]
    fn ranges_start_at_the_written_address() {
        let r = parse_cidr("10.0.0.5/24").unwrap();
        assert!(r.contains_text("10.0.0.5"));
        assert!(r.contains_text("10.0.0.255"));
        assert!(!r.contains_text("10.0.0.4"));
        assert!(!r.contains_text("10.0.1.0"));
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
        assert!(parse_ip("01.2.3.4").is_none());
    }
}
