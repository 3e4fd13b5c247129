//! The oracle side shared by the targets: the reference interpreter's answer for a rule set, and
//! the comparison with a matcher's answer.

use std::sync::OnceLock;

use evmatch::{EventError, Pattern};

/// Bytes for a failure message: the text, with anything unprintable escaped.
pub(crate) fn show(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => format!("{text:?}"),
        Err(_) => format!("(not UTF-8) {:?}", String::from_utf8_lossy(bytes)),
    }
}

/// A pattern that matches nothing likely, used to ask the reference whether it can read an event
/// at all (with no rules there is no other way to ask).
fn probe() -> &'static Pattern {
    static PROBE: OnceLock<Pattern> = OnceLock::new();
    PROBE.get_or_init(|| {
        Pattern::parse(r#"{"\u0000probe": [{"exists": true}]}"#).expect("the probe pattern parses")
    })
}

/// The reference's answer for `rules` (name, pattern; a name may repeat): the names with a
/// matching pattern, each once, in the order the names were first added, as `Matcher::matches`
/// documents. `Err` with the reference's reason when it cannot read the event.
pub(crate) fn reference<'r>(
    rules: &'r [(String, Pattern)],
    event: &[u8],
) -> Result<Vec<&'r str>, String> {
    let readable = probe().matches(event).map_err(|e| e.to_string());
    let mut names: Vec<&str> = Vec::new();
    for (name, _) in rules {
        if !names.contains(&name.as_str()) {
            names.push(name);
        }
    }
    let mut matched = vec![false; names.len()];
    for (name, pattern) in rules {
        let answer = pattern.matches(event);
        match (&readable, &answer) {
            (Ok(_), Ok(_)) | (Err(_), Err(_)) => {}
            _ => panic!(
                "the reference is inconsistent: the probe pattern says {readable:?}, \
                 pattern {pattern} says {answer:?}\n event: {}",
                show(event)
            ),
        }
        if answer == Ok(true) {
            let i = names.iter().position(|n| n == name).expect("listed");
            matched[i] = true;
        }
    }
    readable?;
    Ok(names
        .into_iter()
        .zip(matched)
        .filter_map(|(name, hit)| hit.then_some(name))
        .collect())
}

/// Does a matcher's answer agree with the reference's? Both refuse the event (reasons are not
/// compared), or both give the same names in the same order.
pub(crate) fn agree(
    got: &Result<Vec<&str>, EventError>,
    want: &Result<Vec<&str>, String>,
) -> Result<(), String> {
    match (got, want) {
        (Ok(got), Ok(want)) if got == want => Ok(()),
        (Err(_), Err(_)) => Ok(()),
        (Ok(got), Ok(want)) => Err(format!(
            "the matcher answered {got:?}, the reference {want:?}"
        )),
        (Ok(got), Err(e)) => Err(format!(
            "the matcher answered {got:?}, the reference refused the event: {e}"
        )),
        (Err(e), Ok(want)) => Err(format!(
            "the matcher refused the event ({e}), the reference answered {want:?}"
        )),
    }
}

/// In the fuzz binaries (feature `libfuzzer`) with `EVMATCH_FUZZ_SKIP_KNOWN=1` in the
/// environment, the targets pass over inputs that would hit a known, reported and not yet fixed
/// engine bug, so that a long run can look for others. The stable replay (no feature) never
/// skips. The known bugs (see `fuzz/regressions/README.md`):
///
/// - an empty key as the first segment of an event path (`{"": {"a": ..}}`) is dropped by the
///   reference's flattener (path `a`) but not by the event scanner (path `.a`, as event-ruler
///   joins it). Inputs holding any empty key (`""` then `:`) are passed over.
pub(crate) fn skip_known(texts: &[&[u8]]) -> bool {
    static SKIP: OnceLock<bool> = OnceLock::new();
    let skip = *SKIP.get_or_init(|| {
        cfg!(feature = "libfuzzer")
            && std::env::var_os("EVMATCH_FUZZ_SKIP_KNOWN")
                .is_some_and(|v| !v.is_empty() && v != "0")
    });
    skip && texts.iter().any(|text| has_empty_key(text))
}

/// Does the text hold `""` followed (after whitespace) by `:`? (An over-approximation of "has an
/// empty key".)
fn has_empty_key(text: &[u8]) -> bool {
    text.windows(2).enumerate().any(|(i, pair)| {
        pair == b"\"\""
            && text[i + 2..]
                .iter()
                .find(|b| !b" \t\r\n".contains(b))
                .is_some_and(|&b| b == b':')
    })
}
