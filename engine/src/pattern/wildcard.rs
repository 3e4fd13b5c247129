// TEMPORARY STUB so the crate compiles while the real module is written: replace this whole file.
use crate::PatternError;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Wildcard {
    source: String,
}

impl Wildcard {
    pub(crate) fn parse(text: &str) -> Result<Wildcard, PatternError> {
        Ok(Wildcard { source: text.into() })
    }
    pub(crate) fn matches(&self, value: &str) -> bool {
        fn go(p: &[char], v: &[char]) -> bool {
            match p.split_first() {
                None => v.is_empty(),
                Some(('*', rest)) => (0..=v.len()).any(|i| go(rest, &v[i..])),
                Some((c, rest)) => v.first() == Some(c) && go(rest, &v[1..]),
            }
        }
        let p: Vec<char> = self.source.chars().collect();
        let v: Vec<char> = value.chars().collect();
        go(&p, &v)
    }
    pub(crate) fn source(&self) -> &str {
        &self.source
    }
}

pub(crate) fn check_complexity(_wildcards: &[&Wildcard]) -> Result<(), PatternError> {
    Ok(())
}
