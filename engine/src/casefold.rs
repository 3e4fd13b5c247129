//! Unicode case folding, the one notion of "ignoring case" used everywhere.
//!
//! Both the pattern and the event value are folded (Unicode full case folding, CaseFolding.txt
//! status C+F), then compared byte for byte. Folding is applied per character, so
//! `fold(a + b) == fold(a) + fold(b)`, which is what lets prefix and suffix forms work on folded
//! text. event-ruler folds the pattern side only, one UTF-16 unit at a time; SEMANTICS.md lists
//! where that goes wrong and why we do not follow it.

use caseless::Caseless;

/// The case fold of `text`.
pub(crate) fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    fold_into(text, &mut out);
    out
}

/// Append the case fold of `text` to `out` (lets hot paths reuse one buffer).
pub(crate) fn fold_into(text: &str, out: &mut String) {
    if text.is_ascii() {
        let start = out.len();
        out.push_str(text);
        out[start..].make_ascii_lowercase();
    } else {
        out.extend(text.chars().default_case_fold());
    }
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn folds_case_variants_together() {
        assert_eq!(fold("EvB"), "evb");
        assert_eq!(fold("ß"), fold("SS"));
        assert_eq!(fold("ß"), fold("ss"));
        assert_eq!(fold("σ"), fold("ς"));
        assert_eq!(fold("Σ"), fold("ς"));
        assert_eq!(fold("ÉCOLE"), fold("école"));
        assert_eq!(fold("😀"), "😀");
        assert_ne!(fold("a"), fold("b"));
    }

    proptest::proptest! {
        #[test]
        fn fold_is_idempotent_and_per_char(a in "\\PC{0,8}", b in "\\PC{0,8}") {
            proptest::prop_assert_eq!(fold(&fold(&a)), fold(&a));
            proptest::prop_assert_eq!(fold(&format!("{a}{b}")), format!("{}{}", fold(&a), fold(&b)));
        }
    }
}
