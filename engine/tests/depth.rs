//! Deep events on needed paths: bounded recursion, clean errors past the limit.

use evmatch::{Matcher, Validation};

/// The reader recurses only along needed paths, and arrays keep their path: a rule on `a` makes
/// `{"a": [[[...]]]}` recurse once per level. At the depth limit that must fit in a default
/// 2 MiB thread stack (in debug builds too), and one level more is a clean error.
#[test]
fn deepest_accepted_event_fits_a_default_thread_stack() {
    std::thread::spawn(|| {
        for validation in [Validation::Full, Validation::Structural] {
            let mut matcher = Matcher::builder().validation(validation).build();
            matcher.add_rule("a", r#"{"a": [1]}"#).unwrap();
            matcher.add_rule("b", r#"{"a": {"b": [1]}}"#).unwrap();
            let max = evmatch::limits::MAX_DEPTH;
            // The root object is one level, so the array may nest `max - 1` deep.
            let event =
                |depth: usize| format!(r#"{{"a": {}1{}}}"#, "[".repeat(depth), "]".repeat(depth));
            let deepest = event(max - 1);
            assert_eq!(matcher.matches(deepest.as_bytes()).unwrap(), ["a"]);
            assert!(matches!(
                matcher.matches(event(max).as_bytes()),
                Err(evmatch::EventError::TooDeep { .. })
            ));
            let objects = format!(
                r#"{{"a": {}{{"b": 1}}{}}}"#,
                "[".repeat(max - 2),
                "]".repeat(max - 2)
            );
            assert_eq!(matcher.matches(objects.as_bytes()).unwrap(), ["b"]);
        }
    })
    .join()
    .unwrap();
}
